import fs from 'node:fs';
import type { DataSource } from 'typeorm';
import { logger } from '../logger.js';
import { type EmbeddedDatabase, startEmbeddedDatabase } from './embedded.js';
import { initialCluster } from './initial-cluster.js';
import { leaveRestartBundle, restartBundle } from './postgis-bundle.js';

export interface Database {
  ds: DataSource;
  /** Set when the database is the embedded PGlite one. */
  embedded?: EmbeddedDatabase;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  migrate?: boolean;
  /** Read replicas of `databaseUrl` (DATABASE_REPLICA_URL); ignored by the embedded database. */
  replicaUrls?: readonly string[];
  /** REPLICA_MAX_LAG_MS (server/db/replicas.ts). */
  replicaMaxLagMs?: number;
}

/**
 * The migrations this code has, by the names of their files: a restart with the same ones needs
 * only part of PostGIS. Read from the folder rather than from migrations/index.ts, whose modules
 * (and TypeORM's, and the server's enums they import) took 0.2–0.3 s to load: main.ts starts the
 * embedded database first, and this module is on its way.
 */
export function migrationsKey(): string {
  return fs
    .readdirSync(new URL('../../migrations/', import.meta.url))
    .filter((file) => /^\d+-[\w-]+\.[jt]s$/.test(file))
    .map((file) => file.replace(/\.[jt]s$/, ''))
    .sort()
    .join('\n');
}

/**
 * The embedded database writes no more WAL than its own crash recovery needs: it has no standby and
 * no archive to feed. With `wal_level = minimal`, what a transaction writes into a table it created
 * or truncated, and the indexes it builds, skip the WAL (written to their files at commit instead):
 * the first start's bulk loads (the territories' temporary tables, the coverage written before its
 * indexes, `gap_rebuild()`'s tables). First start on a new data directory, alternated runs on two
 * cores: 47.3, 49.5, 51.0 s with PGlite's `replica`, 42.1, 46.4, 43.1 s with `minimal`.
 */
export const EMBEDDED_SETTINGS: Record<string, string> = {
  wal_level: 'minimal',
  max_wal_senders: '0',
  // PostgreSQL keeps the WAL segments of past checkpoints for reuse, up to max_wal_size: the demo's
  // data directory held 369 MB of them after its first start (882 MB in all), copied again with
  // each test file's database. 65 MB with these; first start no slower (47.3, 51.3 s against 52.6 s
  // at the time, alternated). PGlite has no checkpointer to act on them while it runs: the app's
  // maintenance pass does (embedded-maintenance.ts).
  max_wal_size: '64MB',
  min_wal_size: '32MB',
  // PGlite lays out its whole buffer pool at every start: with PGlite's 128 MB, one function of
  // its WebAssembly took 470 ms of a 2.1 s start (CPU profile of the start alone), 133 ms with
  // 32 MB. 96 MB still holds what the pages read: a warm Grand Est gaps query took 119–153 ms
  // against 111–138 ms with 128 MB, and 150–205 ms with 32 or 64 MB. Restarts of the demo
  // (npm start → /readyz, alternated, 14 and 16 of them): median 4.0 s against 4.29 s; first start
  // unchanged (43.96 and 44.0 s against 45.46 s).
  shared_buffers: '96MB',
};

/**
 * Connects to DATABASE_URL, or starts the embedded PGlite + PostGIS database in `dataDir`,
 * then runs pending migrations. Either way the app talks to PostgreSQL through `pg`.
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = options.databaseUrl;
  const schema = migrationsKey();
  let postgisBundle: URL | undefined;
  if (!url) {
    const started = Date.now();
    postgisBundle = restartBundle(options.dataDir, schema);
    const cluster = initialCluster(options.dataDir);
    embedded = await startEmbeddedDatabase(options.dataDir, undefined, postgisBundle, EMBEDDED_SETTINGS, cluster);
    url = embedded.url;
    logger.info(
      { dataDir: options.dataDir, ms: Date.now() - started, postgis: postgisBundle ? 'restart bundle' : 'whole bundle', initialCluster: !!cluster },
      'embedded PGlite + PostGIS database started',
    );
  }
  // PGlite multiplexes every connection onto one backend: more than a few adds nothing.
  const poolSize = embedded ? Math.min(options.poolSize ?? 5, 5) : options.poolSize;
  // The embedded database has no standby to read from: DATABASE_REPLICA_URL is ignored there.
  const replicaUrls = embedded ? [] : (options.replicaUrls ?? []);
  if (embedded && options.replicaUrls?.length) logger.warn('DATABASE_REPLICA_URL ignored: the embedded database has no read replica (set DATABASE_URL)');
  // Imported here rather than at the top: TypeORM loads while the embedded database starts (server/main.ts).
  const { createDataSource } = await import('./data-source.js');
  const ds = createDataSource({
    url,
    poolSize,
    statementTimeoutMs: embedded ? undefined : options.statementTimeoutMs,
    replicaUrls,
    replicaMaxLagMs: options.replicaMaxLagMs,
  });
  try {
    await ds.initialize();
    if (options.migrate !== false) {
      const ran = await ds.runMigrations({ transaction: 'each' });
      if (ran.length > 0) logger.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');
      if (embedded && !postgisBundle) leaveRestartBundle(options.dataDir, schema);
    }
  } catch (err) {
    if (ds.isInitialized) await ds.destroy();
    await embedded?.stop();
    throw err;
  }
  return {
    ds,
    embedded,
    async close() {
      if (ds.isInitialized) await ds.destroy();
      await embedded?.stop();
    },
  };
}
