import 'reflect-metadata';
import { loadEnv } from '../../server/config/env.js';
import { openDatabase } from '../../server/db/database.js';
import { serveAppToParent } from './app-process.js';

/**
 * The real application for the load test, in a child process (so the load generator does not share
 * its event loop), configured only by the environment as `npm start` is: DATABASE_URL (with
 * `application_name=…`, so the fault injector can find its backends), DB_POOL_SIZE,
 * RATE_LIMIT_PER_MINUTE, TRUST_PROXY (each simulated client sends its own X-Forwarded-For).
 * Sends its port to the parent over IPC and answers its questions (app-process.ts).
 */
const env = loadEnv();
if (!env.databaseUrl) throw new Error('loadtest server: DATABASE_URL is required');
// A crash of the app is a finding of the load test: say it loudly (the parent sees the exit code).
process.on('uncaughtException', (err) => {
  process.stderr.write(`loadtest server: uncaught exception: ${err.stack ?? err}\n`);
  process.exit(70);
});
const db = await openDatabase({
  databaseUrl: env.databaseUrl,
  dataDir: '.data-unused',
  poolSize: env.poolSize,
  statementTimeoutMs: env.statementTimeoutMs,
  migrate: false,
});
await serveAppToParent(db);
