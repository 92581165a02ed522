import { describe, expect, inject, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/database.js';
import { loadEnv } from '../../server/config/env.js';
import { createDataSource } from '../../server/db/data-source.js';
import { startApp } from '../helpers/app.js';
import { errorCodes, useTestServer } from '../helpers/server.js';

const server = useTestServer();

describe('GraphQL defences', () => {
  it('refuses a query nested deeper than the limit', async () => {
    const nest = (n: number): string => (n === 0 ? 'code' : `parents { ${nest(n - 1)} }`);
    const res = await server().gql(`{ territory(code: "55545") { ${nest(12)} } }`);
    expect(errorCodes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].message).toMatch(/trop imbriquée : 14 niveaux pour 10 au plus/);
    expect(res.errors![0].extensions!.limit).toBe('depth');
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: territory(code: "55545") { code }`).join(' ');
    const res = await server().gql(`{ ${aliases} }`);
    expect(errorCodes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].message).toMatch(/Trop d’alias : 40 pour 15 au plus/);
  });

  it('refuses a document with too many tokens', async () => {
    const fields = Array.from({ length: 2500 }, () => 'code').join(' ');
    const res = await server().gql(`{ territory(code: "55545") { ${fields} } }`);
    expect(res.status).toBe(400);
    expect(errorCodes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].message).toMatch(/Requête trop longue/);
  });

  it('should answer a document of 500 aliases (over the token limit) with a client error, not HTTP 500', async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: territory(code: "55545") { code }`).join(' ');
    const res = await server().gql(`{ ${aliases} }`);
    expect(res.status).toBe(400);
    expect(errorCodes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].extensions!.limit).toBe('tokens');
    expect(res.errors![0].message).toBe('Requête trop longue : plus de 2000 éléments.');
  });

  it('refuses a query whose estimated cost is too high', async () => {
    const level = (n: number): string =>
      n === 0 ? 'code name population postalCodes level kind hasGeometry lon lat' : `children(first: 1000) { code name ${level(n - 1)} }`;
    const res = await server().gql(`{ a: territory(code: "FR", level: PAYS) { ${level(6)} } b: territory(code: "44", level: REGION) { ${level(6)} } }`);
    expect(errorCodes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].message).toMatch(/Requête trop coûteuse/);
  });

  it('should refuse a coalition filter repeating a nature past its cap, sent as a variable', async () => {
    const kinds = Array.from({ length: 5_000 }, () => 'THEMATIQUE');
    const res = await server().gql(`query ($f: CoalitionFilter) { coalitions(filter: $f, first: 5) { totalCount } }`, { f: { kinds } });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0].message).toMatch(/20 natures au plus/);
  });

  it('should mark every GraphQL answer Cache-Control: no-store, served or refused', async () => {
    for (const query of ['{ themes { code } }', '{ territory(code: "55545") { nam } }', '{ gaps(first: 100000) { totalCount } }']) {
      const res = await fetch(`${server().url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      expect(res.headers.get('cache-control'), query).toBe('no-store');
    }
  });

  it('refuses batched requests', async () => {
    const res = await fetch(`${server().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ themes { code } }' }, { query: '{ themes { code } }' }]),
    });
    expect(res.status).toBe(400);
  });

  it('answers an oversized body with PAYLOAD_TOO_LARGE, in JSON', async () => {
    const res = await fetch(`${server().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ themes { code } }', variables: { x: 'a'.repeat(2_000_000) } }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers broken JSON with BAD_REQUEST, in JSON', async () => {
    const res = await fetch(`${server().url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a cross-site simple request (CSRF guard)', async () => {
    const res = await fetch(`${server().url}/graphql?query=${encodeURIComponent('{ themes { code } }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it('limits requests per client and per minute, with RATE_LIMITED and Retry-After', async () => {
    const limited = await startApp({ rateLimitPerMinute: 3 });
    try {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await limited.post({ query: '{ themes { code } }' }));
      expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
      expect(answers[3].status).toBe(429);
      expect(answers[3].body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(answers[3].body.errors[0].message).toMatch(/Trop de requêtes/);
      expect(answers[4].headers.get('ratelimit-policy') ?? answers[4].headers.get('retry-after')).toBeTruthy();
    } finally {
      await limited.close();
    }
  });

  it('in production, hides field suggestions and introspection', async () => {
    const prod = await startApp({ production: true, introspection: false });
    try {
      const typo = await prod.post({ query: '{ territory(code: "55545") { nam } }' });
      expect(typo.body.errors[0].message).not.toMatch(/Did you mean/);
      // Every other hint graphql-js gives about the schema: enum values (literal or variable),
      // arguments, types, input fields.
      const probes = [
        { query: '{ territory(code: "55545", level: COMUNE) { code } }' },
        { query: 'query ($l: TerritoryLevel) { territory(code: "55545", level: $l) { code } }', variables: { l: 'COMUNE' } },
        { query: '{ territory(code: "55545", levle: COMMUNE) { code } }' },
        { query: 'query ($l: TerritoryLevl) { territory(code: "55545", level: $l) { code } }' },
        { query: '{ gaps(filter: { scop: { level: DEPARTEMENT, code: "55" } }) { totalCount } }' },
        { query: 'query ($f: GapFilterInput) { gaps(filter: $f) { totalCount } }', variables: { f: { level: 'COMUNE' } } },
      ];
      for (const probe of probes) {
        const res = await prod.post(probe);
        expect(res.status, JSON.stringify(probe)).toBe(400);
        expect(res.body.errors.length).toBeGreaterThan(0);
        for (const e of res.body.errors) expect(e.message).not.toMatch(/Did you mean|"COMMUNE"|"level"|"scope"|"TerritoryLevel"\./);
      }
      const intro = await prod.post({ query: '{ __schema { types { name } } }' });
      expect(intro.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(intro.body.errors[0].message).toMatch(/introspection/i);
    } finally {
      await prod.close();
    }
    // The default (development) keeps both, for the schema explorer.
    expect(loadEnv().introspection).toBe(true);
    expect((await server().gql('{ territory(code: "55545", level: COMUNE) { code } }')).errors![0].message).toMatch(/Did you mean the enum value "COMMUNE"/);
  });
});

describe('operations endpoints', () => {
  it('answers liveness and readiness', async () => {
    expect(await (await fetch(`${server().url}/healthz`)).json()).toEqual({ status: 'ok' });
    // With DATABASE_REPLICA_URL it also lists the replicas (read-replicas.test.ts).
    expect(await (await fetch(`${server().url}/readyz`)).json()).toMatchObject({ status: 'ready' });
  });
});

describe('statement timeout', () => {
  // PGlite ignores per-connection settings sent at start-up (it is one shared backend), so the
  // server-side timeout is proven on native PostgreSQL, where it is configured.
  it.runIf(inject('backend') === 'postgres')('cancels a statement running longer than STATEMENT_TIMEOUT_MS', async () => {
    const ds = createDataSource({ url: testDatabaseUrl(), poolSize: 1, statementTimeoutMs: 200 });
    await ds.initialize();
    try {
      await expect(ds.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
    } finally {
      await ds.destroy();
    }
  });
});
