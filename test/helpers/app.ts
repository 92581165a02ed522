import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../server/db/data-source.js';
import { createApp } from '../../server/http/app.js';
import { TEST_REPLICA_MAX_LAG_MS, testDatabaseUrl, testReplicaUrls } from './database.js';

export interface StartedApp {
  /** http://127.0.0.1:<port> */
  url: string;
  ds: DataSource;
  gate: Awaited<ReturnType<typeof createApp>>['gate'];
  jitStats: Awaited<ReturnType<typeof createApp>>['jitStats'];
  /** POSTs a GraphQL body to /graphql and returns the status, the parsed body and the headers. */
  post(body: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * The real app with settings of its own (`overrides` of the environment, `hooks`), on this test
 * file's database and a loopback port: for the tests of a setting (rate limit, trusted proxy,
 * production mode, analytics gate) next to the file's ordinary server.
 */
export async function startApp(
  overrides: Parameters<typeof createApp>[2] = {},
  hooks: Parameters<typeof createApp>[3] = {},
  options: { poolSize?: number; onQuery?: (sql: string) => void; replicaUrls?: string[]; replicaMaxLagMs?: number } = {},
): Promise<StartedApp> {
  const ds = createDataSource({
    url: testDatabaseUrl(),
    poolSize: options.poolSize ?? 2,
    onQuery: options.onQuery,
    replicaUrls: options.replicaUrls ?? testReplicaUrls(),
    replicaMaxLagMs: options.replicaMaxLagMs ?? TEST_REPLICA_MAX_LAG_MS,
  });
  await ds.initialize();
  const httpServer = http.createServer();
  const { app, apollo, gate, jitStats } = await createApp(ds, httpServer, overrides, hooks);
  httpServer.on('request', app);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  return {
    url,
    ds,
    gate,
    jitStats,
    async post(body) {
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json(), headers: res.headers };
    },
    async close() {
      await apollo.stop();
      await new Promise<void>((r) => httpServer.close(() => r()));
      await ds.destroy();
    },
  };
}
