import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorFieldsFor } from '../../server/actors/actor.resolver.js';
import { runPrepared, sql } from '../../server/db/sql.js';
import { startApp } from '../helpers/app.js';
import { type GraphQLResponse, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Named prepared statements (runPrepared, server/db/sql.ts): their text is parsed once per
 * connection. On the embedded PGlite every connection shares one backend, where the name already
 * exists once another connection prepared it (« prepared statement already exists »,
 * server/db/embedded.ts). The directory's search ran as one until it was found on a generic plan
 * (below): it now runs unnamed. Many searches of the same shape at once, on both backends, must
 * each get their own answer, the one they get alone.
 */
const SOURCE = 'test:prepared-search.test.ts';
const COMMUNES = ['55545', '55029', '57463', '54395', '51454', '67482'];
const THEMES = ['sante-mentale', 'addictions', 'vaccination'];

const SEARCH = `query ($c: String!, $t: [String!], $first: Int!) {
  actors(filter: { coversCommune: $c, themesAny: $t }, first: $first, orderBy: NAME) {
    totalCount edges { node { id name } } facets { themes { value count } kinds { value count } presence { value count } }
  }
}`;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  for (const [i, code] of COMMUNES.entries()) {
    for (let k = 0; k <= i % 3; k++) {
      await server.createActor({
        name: `Recherche préparée ${code} ${k}`,
        kind: k % 2 ? 'CPTS' : 'ASSOCIATION',
        sector: 'SOCIAL',
        communeCode: code,
        themes: [THEMES[(i + k) % THEMES.length]],
        territories: [{ level: 'COMMUNE', code }],
        source: SOURCE,
      });
    }
  }
});

afterAll(async () => {
  if (!server) return;
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server.close();
});

const variables = (i: number) => ({ c: COMMUNES[i % COMMUNES.length], t: [THEMES[i % THEMES.length]], first: 1 + (i % 3) });

describe('the search as a prepared statement', () => {
  it('should not mix up the answers of many searches of the same shape sent at once', { timeout: 120_000 }, async () => {
    const alone: GraphQLResponse[] = [];
    for (let i = 0; i < 18; i++) alone.push(await server.gql(SEARCH, variables(i)));
    for (const res of alone) expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(alone.some((r) => r.data.actors.totalCount > 0)).toBe(true);
    for (let round = 0; round < 3; round++) {
      const together = await Promise.all(alone.map((_, i) => server.gql(SEARCH, variables(i))));
      together.forEach((res, i) => expect(res, `search ${i}, round ${round}`).toEqual(alone[i]));
    }
  });

  it('should send the search once per connection and then only its name', async () => {
    const qr = server.ds.createQueryRunner();
    await qr.connect();
    try {
      const statement = sql`SELECT count(*)::int AS n FROM actor WHERE source = ${SOURCE} AND ${'sante-mentale'} = ANY(themes)`;
      const [first] = await runPrepared<{ n: number }>(qr, statement);
      const [again] = await runPrepared<{ n: number }>(qr, statement);
      expect(again).toEqual(first);
      const named: { name: string }[] = await qr.query(`SELECT name FROM pg_prepared_statements WHERE statement = $1`, [statement.toQuery().text]);
      expect(named).toHaveLength(1);
      expect(named[0].name).toMatch(/^s_/);
    } finally {
      await qr.release();
    }
  });

  it('should plan the search for each commune and theme, never once for all (a generic plan)', { timeout: 120_000 }, async () => {
    // As a named statement, the search went to a generic plan after five runs (5 custom plans, then
    // 7 generic of 12 here, on both backends), which on the bench base read every actor of the themes
    // to keep one commune's: 70 ms against 6 ms. It now runs unnamed, planned for its values.
    const app = await startApp({}, {}, { poolSize: 1 });
    try {
      for (let i = 0; i < 12; i++) {
        const res = await app.post({ query: SEARCH, variables: variables(i) });
        expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
      }
      // The pool's one connection (and PGlite's one backend): the search was never a named statement,
      // so never on a generic plan. Key lookups are named (a territory by its code, an actor by id):
      // their generic plan is the one they would get for any value.
      const named = await app.ds.query(`SELECT statement, generic_plans FROM pg_prepared_statements`);
      const searches = named.filter((p: { statement: string }) => p.statement.includes('FROM coverage_commune cc JOIN actor a'));
      expect(searches).toEqual([]);
      // And custom plans are not forced on the connection: that re-planned every foreign-key check.
      const [{ mode }] = await app.ds.query(`SELECT current_setting('plan_cache_mode') AS mode`);
      expect(mode).toBe('auto');
    } finally {
      await app.close();
    }
  });

  it('should answer a bad value in a prepared statement with an error, the connection staying usable', async () => {
    const qr = server.ds.createQueryRunner();
    await qr.connect();
    try {
      const statement = (id: string) => sql`SELECT count(*)::int AS n FROM actor WHERE id = ${id}::uuid`;
      await expect(runPrepared(qr, statement('pas un identifiant'))).rejects.toThrow(/uuid/);
      expect(await runPrepared(qr, statement('00000000-0000-0000-0000-000000000000'))).toEqual([{ n: 0 }]);
    } finally {
      await qr.release();
    }
  });
});

/**
 * A search reads only the columns its page's actors are asked for (actorFieldsFor,
 * server/actors/actor.resolver.ts), and the whole row as soon as one field is resolved from more
 * than its own column. Whatever the selection (fragments, aliases, fields resolved elsewhere),
 * every actor of a page must read as `actor(id)` reads it.
 */
describe('the fields a search reads of its actors', () => {
  const FILTER = { themesAny: THEMES };

  /** Every field of Actor without arguments whose type is a scalar or an enum (list or not, null or not). */
  async function leafFields(): Promise<string[]> {
    const res = await server.gql(`{ __type(name: "Actor") { fields { name args { name } type { kind ofType { kind ofType { kind ofType { kind } } } } } } }`);
    type T = { kind: string; ofType?: T | null };
    const leaf = (t: T): boolean => (t.ofType ? leaf(t.ofType) : t.kind === 'SCALAR' || t.kind === 'ENUM');
    return (res.data.__type.fields as { name: string; args: unknown[]; type: T }[]).filter((f) => f.args.length === 0 && leaf(f.type)).map((f) => f.name);
  }

  it('should answer every field of a page’s actor as actor(id) does, and a part of them as the whole', async () => {
    const leaves = await leafFields();
    // Fields resolved from more than their column (moderation, permissions): the search then reads the whole row.
    expect(leaves).toEqual(expect.arrayContaining(['name', 'kindLabel', 'isStale', 'viewerCanEdit', 'sourceLabel']));
    const all = `${leaves.join(' ')} themes { code label } audiences { code label } commune { code name level } territories { level code }`;
    const whole = await server.gql(`query ($f: ActorFilter) { actors(filter: $f, first: 50) { edges { node { ${all} } } } }`, { f: FILTER });
    expect(whole.errors, JSON.stringify(whole.errors)).toBeUndefined();
    const nodes: Record<string, unknown>[] = whole.data.actors.edges.map((e: { node: Record<string, unknown> }) => e.node);
    expect(nodes.length).toBeGreaterThan(1);
    for (const node of nodes) {
      const one = await server.gql(`query ($id: ID!) { actor(id: $id) { ${all} } }`, { id: node.id });
      expect(node).toEqual(one.data.actor);
    }
    // The client's list, through a fragment and aliases: the same values as the whole row's.
    const part = await server.gql(
      `query ($f: ActorFilter) { actors(filter: $f, first: 50) { edges { node { ...Card nom: name } } } }
       fragment Card on Actor { id kindLabel sectorLabel lon lat radiusKm themes { code } commune { name } }`,
      { f: FILTER },
    );
    expect(part.errors, JSON.stringify(part.errors)).toBeUndefined();
    expect(part.data.actors.edges.map((e: { node: unknown }) => e.node)).toEqual(
      nodes.map((n) => ({
        id: n.id,
        kindLabel: n.kindLabel,
        sectorLabel: n.sectorLabel,
        lon: n.lon,
        lat: n.lat,
        radiusKm: n.radiusKm,
        themes: (n.themes as { code: string }[]).map(({ code }) => ({ code })),
        commune: n.commune ? { name: (n.commune as { name: string }).name } : null,
        nom: n.name,
      })),
    );
  });

  it('should read only the columns of the fields asked, and the whole row for one resolved elsewhere', () => {
    expect(actorFieldsFor(['name', 'kindLabel', 'commune', '__typename'])?.sort()).toEqual(['communeCode', 'id', 'kind', 'name']);
    expect(actorFieldsFor(['themes', 'audiences', 'lon'])?.sort()).toEqual(['audienceCodes', 'id', 'lon', 'themeCodes']);
    expect(actorFieldsFor(['name', 'isStale'])).toBeUndefined();
    expect(actorFieldsFor(['coalitionMemberships'])).toBeUndefined();
  });
});
