import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { RoutedDataSource, readFromReplicas, withReadRoute } from '../../server/db/replicas.js';
import { logger } from '../../server/logger.js';
import { startApp, type StartedApp } from '../helpers/app.js';
import { databaseName, maintenanceClient, testDatabaseUrl, testReplicaUrls, waitForReplicas } from '../helpers/database.js';
import { VERDUN } from '../helpers/places.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Read replicas (DATABASE_REPLICA_URL, server/db/replicas.ts), on a real streaming replica of the
 * test server: `.ci/run` starts one (`pg_basebackup -R`) and sets TEST_DATABASE_REPLICA_URL; this
 * file's database, copied on the primary, is read on the replica once replayed. Without a replica
 * the file is skipped (embedded run, native run without replica).
 *
 * What reads where is proved by pausing the replica's replay (`pg_wal_replay_pause()`): a write
 * then exists on the primary only, so an answer that contains it came from the primary, and one
 * that lacks it from the replica. This file's database commits with `synchronous_commit = local`,
 * so its writes do not wait for the paused replica (in CI the replica run's role waits for the
 * replica to apply every commit otherwise, `synchronous_commit = remote_apply`, so that the other
 * files read their own writes back in their next request).
 */
const SOURCE = 'test:read-replicas.test.ts';
const replicated = inject('backend') === 'postgres' && Boolean(process.env.TEST_DATABASE_REPLICA_URL);

const CREATE = `mutation ($input: CreateActorInput!) {
  createActor(input: $input) { id name themes { code } territories { level code } }
}`;
const SEARCH = `query ($text: String!) { actors(filter: { text: $text }, first: 5) { totalCount edges { node { id name } } } }`;
const ONE = `query ($id: ID!) { actor(id: $id) { id name } }`;

let server: TestServer;
let replica: pg.Client;

/** A client on this file's database on the (first) replica. */
async function replicaClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testReplicaUrls()[0] });
  await client.connect();
  return client;
}

/** Runs `work` with the replica's replay paused: what the primary writes meanwhile is not on the replica. */
async function whileReplayPaused<T>(work: () => Promise<T>): Promise<T> {
  await replica.query('SELECT pg_wal_replay_pause()');
  try {
    return await work();
  } finally {
    await replica.query('SELECT pg_wal_replay_resume()');
    await waitForReplicas(testDatabaseUrl());
  }
}

const actorInput = (name: string) => ({
  name,
  kind: 'ASSOCIATION',
  sector: 'SANTE',
  communeCode: VERDUN,
  themes: ['addictions'],
  territories: [{ level: 'COMMUNE', code: VERDUN }],
  source: SOURCE,
});

describe.skipIf(!replicated)('read replicas (DATABASE_REPLICA_URL)', () => {
  beforeAll(async () => {
    const admin = maintenanceClient(testDatabaseUrl());
    await admin.connect();
    try {
      // For this role in this database: above a setting of the role (CI's replica run) or of the server.
      await admin.query(`ALTER ROLE CURRENT_USER IN DATABASE "${databaseName(testDatabaseUrl())}" SET synchronous_commit = local`);
    } finally {
      await admin.end();
    }
    // The app's connections open after the setting: they commit without waiting for the replica.
    server = await startTestServer();
    await server.createActor(actorInput('Réplica de base'));
    replica = await replicaClient();
    await waitForReplicas(testDatabaseUrl());
  });

  afterAll(async () => {
    await replica?.query('SELECT pg_wal_replay_resume()').catch(() => {});
    await replica?.end();
    if (!server) return;
    await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
    await server.close();
  });

  it('should read back a freshly created actor from the primary within the mutation, while the search is served by the lagging replica', async () => {
    const name = `Réplica retardé ${Date.now()}`;
    await whileReplayPaused(async () => {
      const created = await server.admin.gql(CREATE, { input: actorInput(name) });
      expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
      expect(created.data.createActor).toMatchObject({ name, themes: [{ code: 'addictions' }], territories: [{ level: 'COMMUNE', code: VERDUN }] });
      // The search reads the replica, which has not replayed the creation yet.
      const search = await server.gql(SEARCH, { text: name });
      expect(search.errors).toBeUndefined();
      expect(search.data.actors.totalCount).toBe(0);
      // One actor's record is read on the primary (a user opens what they just wrote).
      const one = await server.gql(ONE, { id: created.data.createActor.id });
      expect(one.data.actor.name).toBe(name);
    });
    // Replayed: the replica finds it too.
    const search = await server.gql(SEARCH, { text: name });
    expect(search.data.actors.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([name]);
  });

  it('should read a replica request on the standby, and every statement after a transaction of the same request on the primary', async () => {
    const ds = server.ds;
    const standby = async () => (await ds.query<{ r: boolean }[]>(`SELECT pg_is_in_recovery() AS r`))[0].r;
    expect(await standby()).toBe(false);
    expect(await withReadRoute(standby)).toBe(false);
    expect(await withReadRoute(standby, true)).toBe(true);
    const name = `Écrit puis relu ${Date.now()}`;
    await whileReplayPaused(() =>
      withReadRoute(async () => {
        readFromReplicas();
        expect(await standby()).toBe(true);
        await ds.transaction((m) => m.query(`UPDATE actor SET name = $1 WHERE id = (SELECT id FROM actor WHERE source = $2 LIMIT 1)`, [name, SOURCE]));
        expect(await standby()).toBe(false);
        const [row] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM actor WHERE name = $1`, [name]);
        expect(row.n).toBe(1);
      }),
    );
  });

  it('should serve a write that slips into a replica request from the primary, with a warning, not an error', async () => {
    const warn = vi.spyOn(logger, 'warn');
    try {
      const n = await withReadRoute(async () => {
        await server.ds.query(`UPDATE actor SET phone = phone WHERE source = $1`, [SOURCE]);
        return (await server.ds.query<{ r: boolean }[]>(`SELECT pg_is_in_recovery() AS r`))[0].r;
      }, true);
      expect(n).toBe(false);
      expect(warn.mock.calls.some((c) => String(c[1]).includes('refused a statement'))).toBe(true);
    } finally {
      warn.mockRestore();
    }
  });

  it('should answer searches, gaps, coverage and tiles from the replica, and one actor’s record and the session from the primary', async () => {
    const GAPS = `{ gaps(filter: { scope: { level: REGION, code: "44" }, level: DEPARTEMENT, themes: ["addictions"], minActors: 100000 }, first: 20) {
      rows { territory { code } actorCount } } }`;
    const COVERAGE = `{ coverage(compact: true, withDistance: false, filter: { scope: { level: DEPARTEMENT, code: "55" }, level: EPCI, themes: ["addictions"] }) {
      summary { actorCount } } }`;
    const meuse = (res: any) => res.data.gaps.rows.find((r: { territory: { code: string } }) => r.territory.code === '55').actorCount as number;
    const tileVersion = async (url: string) => {
      const res = await fetch(
        `${url}/tiles/coverage/8/131/87.mvt?filter=${encodeURIComponent(JSON.stringify({ scope: { level: 'DEPARTEMENT', code: '55' } }))}`,
      );
      expect(res.status).toBe(200);
      return /^"(\d+)-/.exec(res.headers.get('etag') ?? '')?.[1];
    };
    // The same app without replicas: what the primary says.
    const primary = await startApp({}, {}, { replicaUrls: [] });
    try {
      const name = `Présent à Verdun ${Date.now()}`;
      const gapsBefore = meuse(await server.gql(GAPS));
      const coverageBefore = (await server.gql(COVERAGE)).data.coverage.summary.actorCount as number;
      await whileReplayPaused(async () => {
        const created = await server.admin.gql(CREATE, { input: actorInput(name) });
        expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
        // The primary counts the new actor; the replicas' answers are those of before it.
        expect(meuse((await primary.post({ query: GAPS })).body)).toBe(gapsBefore + 1);
        expect(meuse(await server.gql(GAPS))).toBe(gapsBefore);
        expect((await primary.post({ query: COVERAGE })).body.data.coverage.summary.actorCount).toBe(coverageBefore + 1);
        expect((await server.gql(COVERAGE)).data.coverage.summary.actorCount).toBe(coverageBefore);
        const [{ version }] = await server.ds.query<{ version: string }[]>(`SELECT version::text AS version FROM data_version`);
        const { rows } = await replica.query<{ version: string }>(`SELECT version::text AS version FROM data_version`);
        expect(rows[0].version).not.toBe(version);
        expect(await tileVersion(server.url)).toBe(rows[0].version);
        expect(await tileVersion(primary.url)).toBe(version);
        // `me` beside a search: the whole document on the primary, which has the new actor.
        const mixed = await server.admin.gql(`query ($text: String!) { me { id } actors(filter: { text: $text }) { totalCount } }`, { text: name });
        expect(mixed.data.actors.totalCount).toBe(1);
      });
    } finally {
      await primary.close();
    }
  });

  it('should fall back to the primary, with a logged warning, when a replica cannot be reached, and say so in /readyz', async () => {
    const warn = vi.spyOn(logger, 'warn');
    // Port 9 (discard) on the loopback: nothing listens, the connection is refused at once.
    const down = `postgres://postgres@127.0.0.1:9/${databaseName(testDatabaseUrl())}`;
    let app: StartedApp | undefined;
    try {
      app = await startApp({}, {}, { replicaUrls: [down, testReplicaUrls()[0]] });
      expect(app.ds).toBeInstanceOf(RoutedDataSource);
      for (let i = 0; i < 6; i++) {
        const res = await app.post({ query: SEARCH, variables: { text: 'Réplica' } });
        expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
        expect(res.body.data.actors.totalCount).toBeGreaterThanOrEqual(1);
      }
      expect(warn.mock.calls.some((c) => String(c[1]).includes('read replica unavailable'))).toBe(true);
      const ready = await fetch(`${app.url}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { status: string; replicas: { replica: number; status: string; lagBytes: number | null }[] };
      expect(body.status).toBe('ready');
      expect(body.replicas.map((r) => [r.replica, r.status])).toEqual([
        [1, 'down'],
        [2, 'up'],
      ]);
      expect(body.replicas[1].lagBytes).toBeGreaterThanOrEqual(0);
      // Never the replica's address on the public probe.
      expect(JSON.stringify(body)).not.toContain('127.0.0.1');
    } finally {
      warn.mockRestore();
      await app?.close();
    }
  });

  it('should leave aside a replica further behind than REPLICA_MAX_LAG_MS, say so in /readyz, and read from it again once caught up', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const app = await startApp({}, {}, { replicaMaxLagMs: 300 });
    const readyz = async () => ((await (await fetch(`${app.url}/readyz`)).json()) as { replicas: { status: string; lagMs: number | null }[] }).replicas[0];
    const onStandby = () => withReadRoute(async () => (await app.ds.query<{ r: boolean }[]>(`SELECT pg_is_in_recovery() AS r`))[0].r, true);
    try {
      await vi.waitFor(async () => expect((await readyz()).lagMs).toBe(0), { timeout: 10_000, interval: 50 });
      expect(await onStandby()).toBe(true);
      const name = `Réplica trop en retard ${Date.now()}`;
      await whileReplayPaused(async () => {
        const created = await server.admin.gql(CREATE, { input: actorInput(name) });
        expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
        // Over 300 ms behind the primary: the monitor leaves the replica aside.
        await vi.waitFor(async () => expect((await readyz()).status).toBe('lagging'), { timeout: 10_000, interval: 50 });
        expect((await readyz()).lagMs).toBeGreaterThan(300);
        // The search is served by the primary: the new actor is there, though the replica has not replayed it.
        const search = await app.post({ query: SEARCH, variables: { text: name } });
        expect(search.body.data.actors.totalCount).toBe(1);
        expect(await onStandby()).toBe(false);
        expect(warn.mock.calls.some((c) => String(c[1]).includes('lagging behind the primary'))).toBe(true);
      });
      // Replayed: back under the limit, the replica serves the reads again.
      await vi.waitFor(async () => expect((await readyz()).status).toBe('up'), { timeout: 10_000, interval: 50 });
      expect(await onStandby()).toBe(true);
      const search = await app.post({ query: SEARCH, variables: { text: name } });
      expect(search.body.data.actors.totalCount).toBe(1);
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });

  it('should keep the lag monitor’s statements out of those counted per request', async () => {
    server.queries.length = 0;
    await (server.ds as RoutedDataSource).measureLag();
    await server.gql(SEARCH, { text: 'Réplica' });
    expect(server.queries.length).toBeGreaterThan(0);
    expect(server.queries.filter((q) => /pg_current_wal_lsn|pg_last_wal_replay_lsn/.test(q))).toEqual([]);
  });

  it('should spread the reads over the replicas', async () => {
    // The same standby under two names: two replicas for the app, told apart by application_name.
    const [url] = testReplicaUrls();
    const second = url.replace('127.0.0.1', 'localhost');
    const app = await startApp({}, {}, { replicaUrls: [url, second], poolSize: 2 });
    try {
      await Promise.all(Array.from({ length: 8 }, () => app.post({ query: SEARCH, variables: { text: 'Réplica' } })));
      const { rows } = await replica.query<{ name: string }>(
        `SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'repertoire-replica-%' ORDER BY 1`,
      );
      expect(rows.map((r) => r.name)).toEqual(['repertoire-replica-1', 'repertoire-replica-2']);
    } finally {
      await app.close();
    }
  });
});
