import 'reflect-metadata';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openDatabase } from '../../server/db/database.js';
import { createApp } from '../../server/http/app.js';

/**
 * The real application, as `npm start` serves it, in a child process of the benchmark (so the load
 * generator does not share its event loop): DATABASE_URL, a loopback port, a pool of
 * BENCH_POOL_SIZE connections, no per-IP rate limit. Sends its port to the parent over IPC.
 */
if (!process.env.DATABASE_URL) throw new Error('bench server: DATABASE_URL is required');
const db = await openDatabase({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: '.data-unused',
  poolSize: Number(process.env.BENCH_POOL_SIZE ?? 16),
  statementTimeoutMs: 15_000,
  migrate: false,
});
const server = http.createServer();
server.keepAliveTimeout = 60_000;
const { app } = await createApp(db.ds, server, { rateLimitPerMinute: 1_000_000 });
server.on('request', app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.send?.({ port: (server.address() as AddressInfo).port });
// The parent asks for this process's CPU time around each measurement.
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuMs: (u.user + u.system) / 1000 });
  }
});

async function stop() {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
