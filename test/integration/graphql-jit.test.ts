import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTOR, ACTORS, COMMUNE, COMPARE_COVERAGE, GAPS_PAGE, THEME_MATRIX, VOCABULARY } from '../../client/src/lib/graphql/queries.js';
import { COALITION, COALITIONS } from '../../client/src/lib/graphql/coalitions.js';
import { type StartedApp, startApp } from '../helpers/app.js';
import { fixtures, MEUSE_CLSM, VERDUN_CPTS } from '../helpers/factories.js';
import { useTestServer } from '../helpers/server.js';

/**
 * graphql-jit (server/graphql/jit-executor.ts) must answer exactly as graphql-js: the same data in
 * the same order, the same errors with the same codes, paths and HTTP statuses. Two apps on this
 * file's database, one executing with graphql-js only (GRAPHQL_JIT_AFTER=0), one compiling every
 * document at its first use (1), get the same requests: the client's own documents, and requests
 * built to fail in each way a request fails after validation.
 */
const server = useTestServer();
const f = fixtures(server, { source: 'jit-test', domain: '@jit.test' });
let graphqlJs: StartedApp;
let jit: StartedApp;

beforeAll(async () => {
  await f.createActors({
    cpts: { ...VERDUN_CPTS, name: 'CPTS du Verdunois (jit)' },
    association: {
      name: 'Association Jeunesse et prévention (jit)',
      kind: 'ASSOCIATION',
      sector: 'SOCIAL',
      themes: ['addictions-tabac', 'sante-mentale-promotion'],
      audiences: ['jeunes'],
      communeCode: '55545',
      lon: 5.38,
      lat: 49.16,
      website: 'https://jeunesse.example.org',
      territories: [{ level: 'COMMUNE', code: '55545' }],
    },
    ville: {
      name: 'Ville de Paris, santé (jit)',
      kind: 'COLLECTIVITE',
      sector: 'COLLECTIVITE',
      themes: ['vaccination'],
      territories: [{ level: 'DEPARTEMENT', code: '75' }],
    },
  });
  const pilot = await f.createUser('pilot', 'COORDINATOR', ['cpts']);
  await f.createCoalition('clsm', pilot, { ...MEUSE_CLSM, name: 'CLSM de la Meuse (jit)', pilotActorId: f.actor.cpts, visibility: 'PUBLIC' });
  [graphqlJs, jit] = await Promise.all([startApp({ graphqlJit: { after: 0, maxCompiled: 500 } }), startApp({ graphqlJit: { after: 1, maxCompiled: 500 } })]);
});
afterAll(async () => {
  await graphqlJs?.close();
  await jit?.close();
});

/** The same request to both apps: the same status and the same body, to the character. */
async function same(body: { query: string; variables?: Record<string, unknown>; operationName?: string }) {
  const [a, b] = await Promise.all([graphqlJs.post(body), jit.post(body)]);
  expect(JSON.stringify({ status: b.status, body: b.body }), body.query.slice(0, 80)).toBe(JSON.stringify({ status: a.status, body: a.body }));
  return a;
}

describe('graphql-jit answers as graphql-js', () => {
  it('should answer the client’s documents identically, data in the same order, down to nested lists and labels', async () => {
    const list = await same({ query: print(ACTORS), variables: { filter: { coversCommune: '55545' }, first: 2, orderBy: 'NAME' } });
    expect(list.body.data.actors.totalCount).toBeGreaterThanOrEqual(2);
    expect(list.body.data.actors.facets.themes.length).toBeGreaterThan(0);
    // The next page, from the cursor the first one gave; then the theme filter, proximity order by default.
    await same({ query: print(ACTORS), variables: { filter: { coversCommune: '55545' }, first: 2, after: list.body.data.actors.pageInfo.endCursor } });
    await same({ query: print(ACTORS), variables: { filter: { coversCommune: '55545', themesAny: ['addictions'] }, first: 20 } });
    const one = await same({ query: print(ACTOR), variables: { id: f.actor.association } });
    expect(one.body.data.actor.themes.map((t: { code: string }) => t.code)).toEqual(['addictions-tabac', 'sante-mentale-promotion']);
    await same({ query: print(COMMUNE), variables: { code: '55545', level: 'COMMUNE' } });
    await same({ query: print(GAPS_PAGE), variables: { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, themes: ['sante-mentale'] } } });
    await same({ query: print(THEME_MATRIX), variables: { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'EPCI' } } });
    await same({
      query: print(COMPARE_COVERAGE),
      variables: {
        scopes: [
          { level: 'DEPARTEMENT', code: '55' },
          { level: 'DEPARTEMENT', code: '75' },
        ],
      },
    });
    await same({ query: print(VOCABULARY) });
    const coalitions = await same({ query: print(COALITIONS), variables: { first: 10 } });
    expect(coalitions.body.data.coalitions.edges.length).toBeGreaterThan(0);
    await same({ query: print(COALITION), variables: { id: f.coalition.clsm } });
  });

  it('should answer fragments, aliases, directives and __typename identically', async () => {
    await same({
      query: `query Q($skip: Boolean!, $code: String!) {
        a: territory(code: $code, level: COMMUNE) { ...T parents @skip(if: $skip) { code level } }
        b: territory(code: "55", level: DEPARTEMENT) { __typename ...T children(first: 3) { code name } }
        themes { code label children @include(if: $skip) { code } }
      }
      fragment T on Territory { code name level population }`,
      variables: { skip: false, code: '55545' },
    });
    // Two operations in one document: the one named is run.
    await same({ query: 'query A { themes { code } } query B { audiences { code label } }', operationName: 'B' });
  });

  it('should give the same errors: codes, messages, paths, locations and HTTP statuses', async () => {
    // A refusal in a resolver (unknown theme): BAD_USER_INPUT at its path, data null.
    await same({ query: print(ACTORS), variables: { filter: { coversCommune: '55545', themesAny: ['pas-un-theme'] }, first: 5 } });
    // A variable of the wrong type, a required one missing, an unknown operation: refused before execution (400).
    await same({ query: print(ACTORS), variables: { first: 'vingt' } });
    await same({ query: print(ACTOR), variables: {} });
    await same({ query: 'query A { themes { code } }', operationName: 'B' });
    // Not found, nullable: data with a null and no error, or NOT_FOUND, as graphql-js says.
    await same({ query: print(ACTOR), variables: { id: '00000000-0000-4000-8000-000000000000' } });
    await same({ query: print(ACTOR), variables: { id: 'pas-un-uuid' } });
    // Not signed in: a mutation refused, and a field refused among others that answer.
    await same({ query: 'mutation { createActor(input: { name: "Intrus", kind: ASSOCIATION, territories: [] }) { id } }' });
    await same({ query: '{ themes { code } me { id } }' });
    // An error deep in a list (a forged cursor), with aliases around it.
    await same({ query: `{ ok: themes { code } bad: actors(first: 2, after: "bm9uLWN1cnNldXI") { totalCount } }` });
  });
});

describe('when the server compiles', () => {
  it('should compile a document only once it comes back, so that a flood of made-up documents is never compiled', async () => {
    const app = await startApp({ graphqlJit: { after: 3, maxCompiled: 2 } });
    try {
      const before = app.jitStats();
      // Fifty different documents, once each (aliases make each text new): graphql-js answers them all.
      const flood = await Promise.all(Array.from({ length: 50 }, (_, i) => app.post({ query: `{ t${i}: themes { code } }` })));
      expect(flood.every((r, i) => r.status === 200 && r.body.data[`t${i}`].length > 0)).toBe(true);
      expect(app.jitStats().compilations - before.compilations).toBe(0);
      // One document three times: graphql-js twice, then compiled once, even when many come at the same time.
      const query = '{ themes { code label } }';
      const answers = await Promise.all(Array.from({ length: 12 }, () => app.post({ query })));
      expect(new Set(answers.map((r) => JSON.stringify(r.body))).size).toBe(1);
      const after = app.jitStats();
      expect(after.compilations - before.compilations).toBe(1);
      expect(after.jitExecutions - before.jitExecutions).toBe(10);
      // The cache holds two compiled documents at most: the least recently used is dropped.
      for (const q of ['{ audiences { code } }', '{ vocabulary { actorKinds { code } } }']) for (let i = 0; i < 3; i++) await app.post({ query: q });
      expect(app.jitStats().compilations - before.compilations).toBe(3);
      expect(app.jitStats().compiled).toBe(2);
    } finally {
      await app.close();
    }
  });
});
