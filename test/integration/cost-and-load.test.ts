/// <reference types="vite/client" />
import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getIntrospectionQuery, graphql, type GraphQLSchema, Kind, print } from 'graphql';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/database.js';
import * as clientDocuments from '../../client/src/lib/graphql/queries.js';
import { type Env, loadEnv } from '../../server/config/env.js';
import { createDataSource } from '../../server/db/data-source.js';
import { createLoaders, createServices } from '../../server/graphql/context.js';
import { analyzeOperation, ARG_CAPS } from '../../server/graphql/cost.js';
import { createSchema } from '../../server/graphql/schema.js';
import { type AppHooks, createApp } from '../../server/http/app.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * What one anonymous request may cost the server (finding 3 of the security issue): the cost of
 * a request is computed with its variables and refused before any SQL, every list argument has a
 * hard cap, analyses pass a small gate (503 SERVICE_BUSY beyond it) on a pool of their own so that
 * ordinary reads and /readyz still answer, and a statement stopped by the timeout is TIMEOUT.
 */

const SOURCE = 'test:cost-and-load.test.ts';
const MEUSE = { scope: { level: 'DEPARTEMENT', code: '55' } };
const postgres = inject('backend') === 'postgres';

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** The real app on a loopback port with its own settings, logging every SQL statement it sends. */
async function startServer(options: { overrides?: Partial<Env>; hooks?: AppHooks; poolSize?: number } = {}) {
  const queries: string[] = [];
  const ds = createDataSource({ url: testDatabaseUrl(), poolSize: options.poolSize ?? 2, onQuery: (sql) => queries.push(sql) });
  await ds.initialize();
  const httpServer = http.createServer();
  const { app, apollo, gate } = await createApp(ds, httpServer, options.overrides ?? {}, options.hooks ?? {});
  httpServer.on('request', app);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const answer = async (res: Response): Promise<Answer> => {
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // a tile or a file
    }
    return { status: res.status, headers: res.headers, body };
  };
  return {
    queries,
    gate,
    post: async (query: string, variables?: Record<string, unknown>) =>
      answer(await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })),
    get: async (path: string) => answer(await fetch(`${base}${path}`)),
    async close() {
      await apollo.stop();
      await new Promise<void>((r) => httpServer.close(() => r()));
      await ds.destroy();
    },
  };
}

type Server = Awaited<ReturnType<typeof startServer>>;

const codes = (a: Answer) => ((a.body?.errors ?? []) as { extensions?: { code?: string } }[]).map((e) => e.extensions?.code);
/** Statements that read the directory or the analyses (not the ones pg or TypeORM send on their own). */
const heavySql = (queries: string[]) => queries.filter((q) => /\b(actor|territory|coverage_\w+|gap_\w+)\b/i.test(q));
const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
/** The tile of zoom `z` holding a point (lon, lat), asked with a filter. */
function tileUrl(z: number, lon: number, lat: number, filter: unknown, zoom = 7): string {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.asinh(Math.tan((lat * Math.PI) / 180)) / Math.PI) / 2) * n);
  return `/tiles/coverage/${z}/${x}/${y}.mvt?zoom=${zoom}&filter=${encodeURIComponent(JSON.stringify(filter))}`;
}
/** Verdun (Meuse), the middle of Grand Est and of France. */
const VERDUN: [number, number] = [5.3876, 49.1598];
const GRAND_EST: [number, number] = [5.5, 48.7];
const FRANCE: [number, number] = [2.5, 46.5];
const GRAND_EST_COMMUNES = { scope: { level: 'REGION', code: '44' }, level: 'COMMUNE' };

let fixtures: TestServer;
let actorId: string;
let server: Server;

beforeAll(async () => {
  fixtures = await startTestServer();
  const meuse = [{ level: 'DEPARTEMENT', code: '55' }];
  const input = { name: 'Acteur du test de charge', kind: 'ASSOCIATION', sector: 'SOCIAL', communeCode: '55545', themes: ['vaccination'], territories: meuse };
  actorId = (await fixtures.createActor({ ...input, source: SOURCE })).id;
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
  await fixtures?.close();
});

describe('query cost computed with the variables', () => {
  const attacks: [string, string, Record<string, unknown>][] = [
    [
      'the covered communes of 200 actors with their boundaries',
      `query ($f: Int, $g: Int) { actors(first: $f) { edges { node { coveredCommunes(first: $g) { nodes { geometry } } } } } }`,
      { f: 200, g: 1000 },
    ],
    ['15 gap lists of 5,000 rows', `query ($f: Int) { ${aliases(15, 'gaps(first: $f) { rows { rank population territory { code name } } }')} }`, { f: 5000 }],
    ['15 maps of every commune of France', `query ($l: GapLevel) { ${aliases(15, 'coverage(filter: { level: $l }) { features }')} }`, { l: 'COMMUNE' }],
    [
      'one map of every commune of France',
      `query ($l: GapLevel, $c: Boolean!) { coverage(filter: { level: $l }, compact: $c) { features } }`,
      { l: 'COMMUNE', c: true },
    ],
    [
      'a département matrix asked 15 times',
      `query ($f: GapFilterInput) { ${aliases(15, 'themeMatrix(filter: $f) { rows { territory { code } counts } }')} }`,
      { f: MEUSE },
    ],
  ];
  for (const [what, query, variables] of attacks) {
    it(`should refuse ${what} sent with variables, before any SQL`, async () => {
      server.queries.length = 0;
      const res = await server.post(query, variables);
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.body.errors[0].message).toMatch(/^Requête trop coûteuse : coût estimé \d+ pour 20000 au plus/);
      expect(res.body.errors[0].extensions).toMatchObject({ limit: 'cost', maxCost: 20000 });
      expect(res.body.data).toBeUndefined();
      expect(heavySql(server.queries)).toEqual([]);
    });
  }

  it('should refuse the expensive values of a document it served cheaply just before, many at once', async () => {
    // The analysis is kept per document and values of its cost variables (cachedAnalyzer): the
    // same text made cheap by a skipped field or a short page must not lend its analysis.
    const query = `query ($x: Boolean!, $f: Int, $g: Int) {
      themes { code }
      actors(first: $f) @include(if: $x) { edges { node { coveredCommunes(first: $g) { nodes { geometry } } } } }
    }`;
    const cheap = [
      { x: false, f: 200, g: 1000 },
      { x: true, f: 1, g: 1 },
    ];
    for (const res of await Promise.all(Array.from({ length: 8 }, (_, i) => server.post(query, cheap[i % 2])))) {
      expect(res.status, JSON.stringify(res.body.errors)).toBe(200);
      expect(res.body.data.themes.length).toBeGreaterThan(0);
    }
    server.queries.length = 0;
    const dear = await Promise.all(Array.from({ length: 4 }, () => server.post(query, { x: true, f: 200, g: 1000 })));
    for (const res of dear) {
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.body.errors[0].extensions).toMatchObject({ limit: 'cost', maxCost: 20000 });
    }
    expect(heavySql(server.queries)).toEqual([]);
    // And the cheap ones are still served after.
    expect((await server.post(query, cheap[1])).status).toBe(200);
  });

  it('should count a page size given by a variable exactly as the same literal', async () => {
    const schema = await createSchema();
    const { parse } = await import('graphql');
    const literal = analyzeOperation(schema, parse(`{ actors(first: 50) { edges { node { coveredCommunes(first: 30) { nodes { geometry } } } } } }`), {});
    const variable = analyzeOperation(
      schema,
      parse(`query ($f: Int, $g: Int) { actors(first: $f) { edges { node { coveredCommunes(first: $g) { nodes { geometry } } } } } }`),
      { f: 50, g: 30 },
    );
    const defaults = analyzeOperation(
      schema,
      parse(`query ($f: Int = 50, $g: Int = 30) { actors(first: $f) { edges { node { coveredCommunes(first: $g) { nodes { geometry } } } } } }`),
      {},
    );
    expect(literal!.cost).toBeGreaterThan(50 * 30 * 10);
    expect(variable!.cost).toBe(literal!.cost);
    expect(defaults!.cost).toBe(literal!.cost);
  });

  it('should accept every document the client sends, for the largest région', async () => {
    const schema = await createSchema();
    const grandEst = { scope: { level: 'REGION', code: '44' }, level: 'COMMUNE', themes: [], fieldActorsOnly: true };
    // The variables the client sends; the others get any value of their type.
    const given: Record<string, unknown> = { text: 'verdun', levels: ['COMMUNE'], first: 30, code: '44', orderBy: 'NAME', zoom: 7 };
    // The comparison of the gaps page: four régions at most, the largest ones.
    given.scopes = ['44', '84', '75', '76'].map((code) => ({ level: 'REGION', code }));
    const byType: Record<string, unknown> = {
      ID: actorId,
      String: 'x',
      Int: 1,
      Boolean: false,
      GapFilterInput: grandEst,
      TerritoryLevel: 'COMMUNE',
      ActorFilter: { coversCommune: '55545' },
      CoalitionFilter: {},
      UpdateActorInput: {},
      CreateActorInput: {},
      ActorChangeInput: {},
      CreateCoalitionInput: { pilotActorId: actorId },
      UpdateCoalitionInput: {},
      CreatePartnershipInput: { actorId, partnerActorId: actorId, kind: 'CONVENTION' },
      MembershipRole: 'MEMBRE',
      SignUpInput: { email: 'a@b.fr', password: 'mot de passe long', displayName: 'A' },
    };
    const modules = import.meta.glob<Record<string, unknown>>('../../client/src/lib/graphql/*.ts', { eager: true });
    const costs: Record<string, number> = {};
    for (const [file, exports] of Object.entries(modules)) {
      for (const [name, document] of Object.entries(exports)) {
        if (!document || typeof document !== 'object' || (document as { kind?: string }).kind !== 'Document') continue;
        const doc = document as import('graphql').DocumentNode;
        const variables: Record<string, unknown> = {};
        for (const def of doc.definitions) {
          if (def.kind !== Kind.OPERATION_DEFINITION) continue;
          for (const v of def.variableDefinitions ?? []) {
            const n = v.variable.name.value;
            const type = v.type.kind === Kind.NON_NULL_TYPE ? v.type.type : v.type;
            if (n in given) variables[n] = given[n];
            else if (type.kind === Kind.NAMED_TYPE && type.name.value in byType) variables[n] = byType[type.name.value];
            else if (type.kind === Kind.LIST_TYPE) {
              // A list (ids to mark read…): one value of its item type.
              const item = type.type.kind === Kind.NON_NULL_TYPE ? type.type.type : type.type;
              if (item.kind === Kind.NAMED_TYPE && item.name.value in byType) variables[n] = [byType[item.name.value]];
            }
          }
        }
        costs[`${file.split('/').pop()}:${name}`] = analyzeOperation(schema, doc, variables)?.cost ?? NaN;
      }
    }
    expect(Object.keys(costs).length).toBeGreaterThan(25);
    const maxCost = loadEnv().limits.maxCost;
    const over = Object.entries(costs).filter(([, c]) => !(c <= maxCost));
    expect(over, JSON.stringify(costs)).toEqual([]);
    // The heaviest of them, the coverage map of Grand Est with every indicator, still has room.
    expect(costs['queries.ts:COVERAGE_EXPORT']).toBeLessThan(maxCost * 0.75);
  });

  it('should let the schema explorer’s introspection query through (development)', async () => {
    const res = await server.post(getIntrospectionQuery());
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.__schema.types.length).toBeGreaterThan(50);
  });

  it('should serve the gaps page of a région as the client asks for it', async () => {
    const res = await server.post(print(clientDocuments.GAPS_PAGE), {
      filter: { scope: { level: 'REGION', code: '44' }, level: 'COMMUNE', themes: [], fieldActorsOnly: true },
      zoom: 7,
    });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.gaps.territoryCount).toBeGreaterThan(5000);
  });
});

describe('coverage tiles', () => {
  it('should refuse a tile of every commune of France, before any SQL, and serve it by EPCI', async () => {
    server.queries.length = 0;
    const res = await server.get(tileUrl(5, ...FRANCE, { level: 'COMMUNE' }));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'z' });
    expect(res.body.errors[0].message).toMatch(/^Tuile trop vaste/);
    expect(heavySql(server.queries)).toEqual([]);
    const byEpci = await server.get(tileUrl(5, ...FRANCE, { level: 'EPCI' }));
    expect(byEpci.status).toBe(200);
    // Closer, the same communes come in tiles of their own size.
    expect((await server.get(tileUrl(8, ...VERDUN, { level: 'COMMUNE' }))).status).toBe(200);
  });
});

describe('hard caps of list arguments', () => {
  const over: [string, string, Record<string, unknown>, string, number][] = [
    ['actors(first)', `query ($n: Int) { actors(first: $n) { totalCount } }`, { n: 201 }, 'first', 200],
    [
      'coveredCommunes(first) nested in a page',
      `query ($n: Int) { actors(first: 1) { edges { node { coveredCommunes(first: $n) { totalCount } } } } }`,
      { n: 1001 },
      'first',
      1000,
    ],
    [
      'coveredCommunes(offset)',
      `query ($id: ID!, $n: Int) { actor(id: $id) { coveredCommunes(offset: $n) { totalCount } } }`,
      { n: 100_001 },
      'offset',
      100000,
    ],
    ['gaps(first)', `query ($n: Int) { gaps(first: $n, filter: { scope: { level: DEPARTEMENT, code: "55" } }) { totalCount } }`, { n: 5001 }, 'first', 5000],
    ['searchTerritories(first)', `query ($n: Int) { searchTerritories(text: "verdun", first: $n) { code } }`, { n: 51 }, 'first', 50],
    [
      'searchTerritories(levels)',
      `query ($l: [TerritoryLevel!]) { searchTerritories(text: "verdun", levels: $l) { code } }`,
      { l: Array(11).fill('COMMUNE') },
      'levels',
      10,
    ],
    [
      'children(first) in a fragment',
      `query ($n: Int) { territory(code: "55") { ...T } } fragment T on Territory { children(first: $n) { code } }`,
      { n: 1001 },
      'first',
      1000,
    ],
    ['coalitions(first)', `query ($n: Int) { coalitions(first: $n) { totalCount } }`, { n: 201 }, 'first', 200],
    [
      'suggestedPartners(first)',
      `query ($n: Int) { suggestedPartners(coalitionId: "00000000-0000-0000-0000-000000000000", first: $n) { score } }`,
      { n: 101 },
      'first',
      100,
    ],
    ['actorNetwork(depth)', `query ($id: ID!, $n: Int) { actorNetwork(actorId: $id, depth: $n) { truncated } }`, { n: 4 }, 'depth', 3],
    [
      'coalitionGraph(themes)',
      `query ($t: [String!]) { coalitionGraph(scope: { level: DEPARTEMENT, code: "55" }, themes: $t) { truncated } }`,
      { t: Array(61).fill('vaccination') },
      'themes',
      60,
    ],
    [
      'compareCoverage(scopes)',
      `query ($s: [TerritoryRefInput!]!) { compareCoverage(scopes: $s) { level } }`,
      { s: Array(7).fill({ level: 'DEPARTEMENT', code: '55' }) },
      'scopes',
      6,
    ],
    ['a negative page size', `query ($n: Int) { actors(first: $n) { totalCount } }`, { n: -1 }, 'first', 200],
  ];
  for (const [what, query, variables, field, cap] of over) {
    it(`should refuse ${what} over its cap with BAD_USER_INPUT naming the cap, before any SQL`, async () => {
      server.queries.length = 0;
      const res = await server.post(query, { id: actorId, ...variables });
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.body.errors[0].extensions.field).toBe(field);
      expect(res.body.errors[0].message).toContain(String(cap));
      expect(heavySql(server.queries)).toEqual([]);
    });
  }

  describe('in the resolvers too (the schema executed without the HTTP layer)', () => {
    let schema: GraphQLSchema;
    let ds: DataSource;
    beforeAll(async () => {
      schema = await createSchema();
      ds = createDataSource({ url: testDatabaseUrl(), poolSize: 1 });
      await ds.initialize();
    });
    afterAll(async () => {
      await ds?.destroy();
    });
    for (const [what, query, variables, field, cap] of over) {
      it(`should refuse ${what} over its cap in its resolver`, async () => {
        const services = createServices(ds);
        const res = await graphql({
          schema,
          source: query,
          variableValues: { id: actorId, ...variables },
          contextValue: { ds, services, loaders: createLoaders(ds, services), user: null },
        });
        const error = res.errors?.find((e) => e.extensions?.field === field);
        expect(error?.extensions?.code, JSON.stringify(res.errors)).toBe('BAD_USER_INPUT');
        expect(error?.message).toContain(String(cap));
      });
    }
  });

  it('should list a cap for every page size of the schema', async () => {
    const schema = await createSchema();
    const paged: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !('getFields' in type) || typeof type.getFields !== 'function') continue;
      for (const f of Object.values(type.getFields() as Record<string, { args?: { name: string }[] }>)) {
        if (f.args?.some((a) => a.name === 'first' || a.name === 'offset' || a.name === 'depth')) paged.push(`${type.name}.${(f as any).name}`);
      }
    }
    expect(paged.length).toBeGreaterThan(5);
    expect(paged.filter((p) => !ARG_CAPS[p])).toEqual([]);
  });
});

describe('analytics gate', () => {
  it('should answer SERVICE_BUSY with Retry-After beyond the gate and its queue, while actor(id) and /readyz still answer', async () => {
    // The analyses in the gate wait for a lock the test holds (native PostgreSQL: an advisory lock
    // taken by a statement on the analytics pool; PGlite, one backend for all: a promise).
    const LOCK = 7_331_001;
    let entered = 0;
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const holder = postgres ? new pg.Client({ connectionString: testDatabaseUrl() }) : null;
    if (holder) {
      await holder.connect();
      await holder.query('SELECT pg_advisory_lock($1)', [LOCK]);
    }
    const busy = await startServer({
      poolSize: 2,
      overrides: { analytics: { concurrency: 1, queue: 1, queueTimeoutMs: 120_000, retryAfterSeconds: 7 } },
      hooks: {
        onAnalyticsEnter: async (analytics) => {
          entered++;
          if (postgres) await analytics.query('SELECT pg_advisory_xact_lock_shared($1)', [LOCK]);
          else await opened;
        },
      },
    });
    const waitFor = async (ok: () => boolean) => {
      for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(ok()).toBe(true);
    };
    try {
      const MATRIX = `query ($f: GapFilterInput) { themeMatrix(filter: $f) { rows { territory { code } counts } } }`;
      const first = busy.post(MATRIX, { f: MEUSE });
      await waitFor(() => entered === 1);
      const queued = busy.post(MATRIX, { f: MEUSE });
      await waitFor(() => busy.gate.stats.waiting === 1);

      // Beyond the gate and its queue: GraphQL, export and a tile of a région are refused at once.
      const refusedQuery = await busy.post(MATRIX, { f: MEUSE });
      expect(refusedQuery.status).toBe(503);
      expect(refusedQuery.headers.get('retry-after')).toBe('7');
      expect(codes(refusedQuery)).toEqual(['SERVICE_BUSY']);
      expect(refusedQuery.body.errors[0].message).toMatch(/Service occupé.*Réessayez dans 7 s/);
      expect(refusedQuery.body.errors[0].extensions).toEqual({ code: 'SERVICE_BUSY', retryAfter: 7 });
      // A request that is no analysis but costs a quarter of the limit or more is gated too.
      const costly = await busy.post(
        `query ($f: Int, $g: Int) { actors(first: $f) { edges { node { coveredCommunes(first: $g) { nodes { geometry } } } } } }`,
        { f: 40, g: 20 },
      );
      expect(costly.status).toBe(503);
      expect(codes(costly)).toEqual(['SERVICE_BUSY']);
      const refusedExport = await busy.get(`/export/acteurs.csv?filter=${encodeURIComponent(JSON.stringify({ text: 'test' }))}`);
      expect(refusedExport.status).toBe(503);
      expect(refusedExport.headers.get('retry-after')).toBe('7');
      expect(refusedExport.body.errors[0].extensions).toEqual({ code: 'SERVICE_BUSY', retryAfter: 7 });
      const refusedTile = await busy.get(tileUrl(6, ...GRAND_EST, GRAND_EST_COMMUNES));
      expect(refusedTile.status).toBe(503);
      expect(refusedTile.body.errors[0].extensions.code).toBe('SERVICE_BUSY');

      // Ordinary reads do not wait for the analyses.
      const actor = await busy.post(`query ($id: ID!) { actor(id: $id) { id name } }`, { id: actorId });
      expect(actor.status).toBe(200);
      expect(actor.body.data.actor).toEqual({ id: actorId, name: 'Acteur du test de charge' });
      expect((await busy.get('/readyz')).body).toEqual({ status: 'ready' });
      const gapsPage = await busy.post(`query { gaps(first: 10, filter: { scope: { level: DEPARTEMENT, code: "55" } }) { territoryCount } }`);
      expect(gapsPage.status).toBe(200);
      expect(gapsPage.body.data.gaps.territoryCount).toBeGreaterThan(400);
      // A tile of a département is not an analysis of a large scope: served at once.
      const smallTile = await busy.get(tileUrl(9, ...VERDUN, MEUSE, 9));
      expect(smallTile.status).toBe(200);

      // The gate opens: both waiting analyses are served.
      if (holder) await holder.query('SELECT pg_advisory_unlock($1)', [LOCK]);
      else open();
      for (const res of [await first, await queued]) {
        expect(res.status).toBe(200);
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data.themeMatrix.rows.length).toBeGreaterThan(400);
      }
      expect(busy.gate.stats).toEqual({ running: 0, waiting: 0 });
    } finally {
      open();
      await holder?.end();
      await busy.close();
    }
  });

  it('should answer SERVICE_BUSY to an analysis that waited longer than the queue allows', async () => {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    let entered = 0;
    const busy = await startServer({
      overrides: { analytics: { concurrency: 1, queue: 4, queueTimeoutMs: 200, retryAfterSeconds: 3 } },
      hooks: {
        onAnalyticsEnter: async () => {
          entered++;
          await opened;
        },
      },
    });
    try {
      const EXPORT = `query { exportActors(filter: { text: "Acteur du test de charge" }) }`;
      const first = busy.post(EXPORT);
      for (let i = 0; i < 500 && entered === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const late = await busy.post(EXPORT);
      expect(late.status).toBe(503);
      expect(late.headers.get('retry-after')).toBe('3');
      expect(codes(late)).toEqual(['SERVICE_BUSY']);
      open();
      const served = await first;
      expect(served.status).toBe(200);
      expect(served.body.data.exportActors).toContain('Acteur du test de charge');
      expect(busy.gate.stats).toEqual({ running: 0, waiting: 0 });
    } finally {
      open();
      await busy.close();
    }
  });
});

describe('statement timeout', () => {
  // PGlite is one shared backend that does not enforce statement_timeout: proven on PostgreSQL.
  it.skipIf(!postgres)(
    'should answer TIMEOUT, never INTERNAL_SERVER_ERROR, when an analysis outlives the statement timeout (GraphQL, tile, export) — PostgreSQL only, PGlite has no statement timeout',
    async () => {
      // One connection in the analytics pool, given a 1 ms statement timeout when an analysis enters
      // the gate: the real analyses then run into it.
      const slow = await startServer({
        overrides: { analytics: { concurrency: 1, queue: 4, queueTimeoutMs: 60_000, retryAfterSeconds: 5 } },
        hooks: { onAnalyticsEnter: (analytics) => analytics.query('SET statement_timeout = 1') },
      });
      try {
        const map = await slow.post(`query ($f: GapFilterInput) { coverage(filter: $f, zoom: 9) { summary { population } features } }`, { f: MEUSE });
        expect(codes(map)).toEqual(['TIMEOUT']);
        expect(map.body.errors[0].message).toMatch(/^Délai dépassé/);
        expect(JSON.stringify(map.body)).not.toMatch(/statement timeout|canceling|INTERNAL/);
        // The other analyses on that pool: a tile of a région and an export.
        const tile = await slow.get(tileUrl(6, ...GRAND_EST, GRAND_EST_COMMUNES));
        expect(tile.status).toBe(503);
        expect(tile.body.errors[0]).toMatchObject({ extensions: { code: 'TIMEOUT' } });
        expect(tile.body.errors[0].message).toMatch(/^Délai dépassé/);
        const file = await slow.get(`/export/acteurs.csv?filter=${encodeURIComponent(JSON.stringify({ coversCommune: '55545' }))}`);
        expect(file.status).toBe(503);
        expect(file.body.errors[0].extensions).toEqual({ code: 'TIMEOUT' });
        // Ordinary requests are not on that pool.
        expect((await slow.post(`query ($id: ID!) { actor(id: $id) { id } }`, { id: actorId })).body.data.actor.id).toBe(actorId);
      } finally {
        await slow.close();
      }
    },
  );
});
