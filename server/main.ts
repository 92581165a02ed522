import 'reflect-metadata';
import http from 'node:http';
import { loadEnv } from './config/env.js';
import { startDatabaseThread } from './db/embedded.js';
import { logger } from './logger.js';

const env = loadEnv();
const started = Date.now();
// The embedded database's thread first: it loads PGlite while this one loads the migrations and the app.
if (!env.databaseUrl) startDatabaseThread();
const { openDatabase } = await import('./db/database.js');
// The app's modules are imported while the database opens: the embedded one spends part of its
// start waiting on its files (PostGIS's bundle read and unpacked off this thread).
const opening = openDatabase({
  databaseUrl: env.databaseUrl,
  dataDir: env.dataDir,
  poolSize: env.poolSize,
  statementTimeoutMs: env.statementTimeoutMs,
  replicaUrls: env.replicaUrls,
  replicaMaxLagMs: env.replicaMaxLagMs,
});
opening.catch(() => {}); // its failure is thrown below, once the imports are done
const [{ createApp }, { createSchema }, { runSeeds, startupSeedOptions }, { replicasOf }, { EmbeddedMaintenance, maintainAtStart }] = await Promise.all([
  import('./http/app.js'),
  import('./graphql/schema.js'),
  import('../seeds/index.js'),
  import('./db/replicas.js'),
  import('./db/embedded-maintenance.js'),
]);
// The schema too is built while the database opens (createApp takes it as it is).
const schema = createSchema();
schema.catch(() => {}); // thrown by createApp
const db = await opening;
if (env.seed === 'auto') {
  await runSeeds(db.ds, { log: (line) => process.stdout.write(`${line}\n`), ...startupSeedOptions(!env.databaseUrl) });
}
// The embedded database's upkeep at start, while the app is created: the server listens once both are done.
const maintained = db.embedded ? maintainAtStart(db.ds) : Promise.resolve();
maintained.catch(() => {}); // thrown below, once the app is created

const httpServer = http.createServer();
const { app } = await createApp(db.ds, httpServer, {}, { schema });
await maintained;
// While it runs, the checkpoints and vacuums PGlite has no background process for (embedded-maintenance.ts).
const maintenance = db.embedded ? new EmbeddedMaintenance(db.ds).start() : undefined;
httpServer.on('request', app);
await new Promise<void>((resolve) => httpServer.listen(env.port, env.host, resolve));
const address = httpServer.address();
const port = typeof address === 'object' && address ? address.port : env.port;
logger.info({ ms: Date.now() - started, port }, 'ready');
process.stdout.write(
  `\nRépertoire territorial prêt en ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
    `  Application : http://localhost:${port}/\n  GraphQL     : http://localhost:${port}/graphql\n` +
    `  Base        : ${db.embedded ? `embarquée (PGlite + PostGIS) dans ${env.dataDir}` : 'DATABASE_URL'}${replicasLine(db.ds)}\n\n`,
);

/** ` + 2 réplicas en lecture` when DATABASE_REPLICA_URL is in use. */
function replicasLine(ds: typeof db.ds): string {
  const n = replicasOf(ds).length;
  return n === 0 ? '' : ` + ${n} réplica${n > 1 ? 's' : ''} en lecture (DATABASE_REPLICA_URL)`;
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // The drain plugin lets in-flight requests finish before the database closes.
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  await maintenance?.stop();
  await db.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
