import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadEnv } from '../../server/config/env.js';
import { openDatabase } from '../../server/db/database.js';
import { createApp } from '../../server/http/app.js';

/**
 * The real application for the load test, in a child process (so the load generator does not share
 * its event loop), configured only by the environment as `npm start` is: DATABASE_URL (with
 * `application_name=…`, so the fault injector can find its backends), DB_POOL_SIZE,
 * RATE_LIMIT_PER_MINUTE, TRUST_PROXY (each simulated client sends its own X-Forwarded-For).
 * Sends its port to the parent over IPC.
 */
const env = loadEnv();
if (!env.databaseUrl) throw new Error('loadtest server: DATABASE_URL is required');
const db = await openDatabase({
  databaseUrl: env.databaseUrl,
  dataDir: '.data-unused',
  poolSize: env.poolSize,
  statementTimeoutMs: env.statementTimeoutMs,
  migrate: false,
});
const server = http.createServer();
server.keepAliveTimeout = 60_000;
const { app } = await createApp(db.ds, server);
server.on('request', app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.send?.({ port: (server.address() as AddressInfo).port });
// How long requests wait for the event loop (the heavy scenario reads it).
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
process.on('message', (m) => {
  if (m === 'loop') {
    process.send?.({ loopP99Ms: Math.round(loopDelay.percentile(99) / 1e6), loopMaxMs: Math.round(loopDelay.max / 1e6) });
    loopDelay.reset();
  }
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuMs: (u.user + u.system) / 1000, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) });
  }
});
// A crash of the app is a finding of the load test: say it loudly (the parent sees the exit code).
process.on('uncaughtException', (err) => {
  process.stderr.write(`loadtest server: uncaught exception: ${err.stack ?? err}\n`);
  process.exit(70);
});

async function stop() {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
