import 'reflect-metadata';
import { DEFAULT_POOL_SIZE } from '../../server/config/env.js';
import { openDatabase } from '../../server/db/database.js';
import { serveAppToParent } from '../load/app-process.js';

/**
 * The real application, as `npm start` serves it, in a child process of the benchmark (so the load
 * generator does not share its event loop): DATABASE_URL, a loopback port, a pool of
 * BENCH_POOL_SIZE connections (set by the bench: the pool `npm start` opens, unless given), no
 * per-IP rate limit. Sends its port to the parent over IPC and answers its questions
 * (test/load/app-process.ts).
 */
if (!process.env.DATABASE_URL) throw new Error('bench server: DATABASE_URL is required');
const db = await openDatabase({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: '.data-unused',
  poolSize: Number(process.env.BENCH_POOL_SIZE ?? DEFAULT_POOL_SIZE),
  statementTimeoutMs: 15_000,
  migrate: false,
});
await serveAppToParent(db, { rateLimitPerMinute: 1_000_000 });
