import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { ActorOrder } from '../../server/actors/actor-enums.js';
import { searchActors } from '../../server/actors/actor-search.js';
import type { ActorFilter } from '../../server/actors/actor.inputs.js';
import { actorFieldsFor } from '../../server/actors/actor.resolver.js';
import { TerritoryService } from '../../server/territories/territory.service.js';
import { ThemeService } from '../../server/themes/theme.service.js';
import { runPrepared, sql } from '../../server/db/sql.js';
import { startApp } from '../helpers/app.js';
import { type GraphQLResponse, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Named prepared statements (runPrepared, server/db/sql.ts): their text is parsed once per
 * connection. On the embedded PGlite every connection shares one backend, where the name already
 * exists once another connection prepared it (« prepared statement already exists »,
 * server/db/embedded.ts). The directory's search found from a commune is one, on a generic plan
 * that reads the commune first (below); other searches run unnamed. Many searches of the same
 * shape at once, on both backends, must each get their own answer, the one they get alone.
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

  it('should keep one plan for a search found from its commune, in either order, and plan the others for their values', { timeout: 120_000 }, async () => {
    // The plan cache of the app's one connection: on the primary alone, also in the run with a read
    // replica (where the searches would be served by the replica's own connection).
    const app = await startApp({}, {}, { poolSize: 1, replicaUrls: [] });
    // The commune page's own order (proximity, the default with a commune) and the name order,
    // with and without facets; a text search beside them.
    const PAGE = `query ($c: String!, $t: [String!]) { actors(filter: { coversCommune: $c, themesAny: $t }, first: 5) { totalCount edges { node { id } } } }`;
    const TEXT = `query ($c: String!) { actors(filter: { coversCommune: $c, text: "préparée" }, first: 5) { totalCount } }`;
    try {
      // Three themes, two forms of the theme condition (one code or several): eight runs of each text.
      for (let i = 0; i < 24; i++) {
        for (const body of [
          { query: SEARCH, variables: variables(i) },
          { query: PAGE, variables: { c: COMMUNES[i % COMMUNES.length], t: [THEMES[i % THEMES.length]] } },
          { query: TEXT, variables: { c: COMMUNES[i % COMMUNES.length] } },
        ]) {
          const res = await app.post(body);
          expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
        }
      }
      // The pool's one connection (and PGlite's one backend): both commune searches named, and on
      // one generic plan after their first five runs; the text search never named.
      const named: { statement: string; generic_plans: number; custom_plans: number }[] = await app.ds.query(
        `SELECT statement, generic_plans::int AS generic_plans, custom_plans::int AS custom_plans FROM pg_prepared_statements
         WHERE statement LIKE '%FROM coverage_commune cc JOIN actor a%'`,
      );
      expect(named.filter((p) => p.statement.includes('websearch_to_tsquery'))).toEqual([]);
      expect(named.some((p) => p.statement.includes('theme_facets'))).toBe(true);
      expect(named.some((p) => p.statement.includes('prox_rank, coalesce') && !p.statement.includes('theme_facets'))).toBe(true);
      for (const p of named) {
        // Five plans made for their values, then the generic one for each of the (at least three) runs after them.
        expect(p.custom_plans).toBe(5);
        expect(p.generic_plans).toBeGreaterThanOrEqual(3);
      }
      // And custom plans are not forced on the connection: that re-planned every foreign-key check.
      const [{ mode }] = await app.ds.query(`SELECT current_setting('plan_cache_mode') AS mode`);
      expect(mode).toBe('auto');
    } finally {
      await app.close();
    }
  });

  it('should find the commune’s rows first in the generic plan of a commune search, and answer as a search planned for its values', async () => {
    const vocabularies = { taxonomy: await new ThemeService(server.ds).taxonomy(), territories: new TerritoryService(server.ds) };
    for (const [orderBy, facets] of [ActorOrder.NAME, ActorOrder.PROXIMITY].flatMap((o) => [false, true].map((f) => [o, f] as const))) {
      // The statement as the search sends it, and its values.
      let sent: { text: string; values: unknown[] } | undefined;
      const capture = { query: async (text: unknown, values: unknown[]) => ((sent = { text: String(text), values }), [{ page: '[]', total: 0 }]) };
      const filter: ActorFilter = { coversCommune: COMMUNES[0], themesAny: ['sante-mentale'] };
      await searchActors(capture as unknown as DataSource, vocabularies, { filter, first: 5, after: null, orderBy, wants: { totalCount: true, facets } });
      const qr = server.ds.createQueryRunner();
      await qr.connect();
      try {
        const literal = (v: unknown) => {
          if (Array.isArray(v)) return `'{${v.join(',')}}'::text[]`;
          if (typeof v === 'number') return String(v);
          if (typeof v === 'string') return `'${v}'`;
          throw new Error(`unexpected value ${JSON.stringify(v)}`);
        };
        await qr.query(`PREPARE commune_search AS ${sent!.text}`);
        await qr.query(`SET plan_cache_mode = force_generic_plan`);
        const [
          {
            'QUERY PLAN': [plan],
          },
        ] = await qr.query(`EXPLAIN (FORMAT JSON) EXECUTE commune_search(${sent!.values.map(literal).join(', ')})`);
        type Node = { 'Relation Name'?: string; 'Subplan Name'?: string; Plans?: Node[] } & Record<string, unknown>;
        const nodes = (n: Node): Node[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
        const m0 = nodes(plan.Plan).find((n) => n['Subplan Name'] === 'CTE m0');
        expect(m0, `${orderBy} ${facets}: ${JSON.stringify(plan.Plan)}`).toBeDefined();
        // m0 reads the commune's coverage and its actors, and nothing of their themes: whatever the
        // statistics (on the bench base, the coverage index then each actor by its key), no plan of
        // it can start from the actors of a theme.
        const conditions = (n: Node) => ['Filter', 'Index Cond', 'Recheck Cond', 'Join Filter', 'Hash Cond'].map((k) => (typeof n[k] === 'string' ? n[k] : ''));
        const coverage = nodes(m0!).filter((n) => n['Relation Name'] === 'coverage_commune');
        expect(coverage.flatMap(conditions).join(' '), JSON.stringify(m0)).toContain('commune_code');
        expect(nodes(m0!).flatMap(conditions).join(' '), JSON.stringify(m0)).not.toContain('themes');
      } finally {
        await qr.query(`DEALLOCATE commune_search`);
        await qr.query(`RESET plan_cache_mode`);
        await qr.release();
      }
    }
    // The answers of the named search on its generic plan (after the first test's runs on this
    // file's connections too), next to the same search planned for its values: a filter on every
    // review status makes it one that is not named.
    const everyStatus = ['VALIDATED', 'PENDING_REVIEW', 'REJECTED'];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < COMMUNES.length * 2; i++) {
        const vars = variables(i);
        const named = await server.gql(SEARCH, vars);
        const planned = await server.gql(SEARCH.replace('themesAny: $t', `themesAny: $t, reviewStatuses: [${everyStatus.join(', ')}]`), vars);
        expect(named.errors, JSON.stringify(named.errors)).toBeUndefined();
        expect(named.data).toEqual(planned.data);
      }
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
