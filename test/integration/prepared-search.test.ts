import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      // The pool's one connection (and PGlite's one backend): no statement there ever ran on a generic plan.
      const [plans] = await app.ds.query(`SELECT count(*)::int AS named, coalesce(sum(generic_plans), 0)::int AS generic FROM pg_prepared_statements`);
      expect(plans.generic).toBe(0);
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
