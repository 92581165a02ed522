import path from 'node:path';

/** Runtime configuration, read once from the environment and validated. */
export interface Env {
  /** PostgreSQL + PostGIS connection string; unset means the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Folder of the embedded database (only without DATABASE_URL). */
  dataDir: string;
  host: string;
  port: number;
  logLevel: string;
  /** `auto` seeds what is missing at start-up, `skip` never seeds. */
  seed: 'auto' | 'skip';
  /** Connections in the pg pool. */
  poolSize: number;
  /** Server-side limit for one SQL statement, in milliseconds. */
  statementTimeoutMs: number;
}

function intVar(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Invalid ${name}=${raw}: expected an integer between ${min} and ${max}`);
  }
  return value;
}

let cached: Env | undefined;

export function loadEnv(): Env {
  if (cached) return cached;
  const seed = process.env.SEED ?? 'auto';
  if (seed !== 'auto' && seed !== 'skip') throw new Error(`Invalid SEED=${seed}: expected auto or skip`);
  cached = {
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: path.resolve(process.env.DATA_DIR ?? '.data'),
    host: process.env.HOST ?? '127.0.0.1',
    port: intVar('PORT', 4000, 0, 65535),
    logLevel: process.env.LOG_LEVEL ?? 'info',
    seed,
    poolSize: intVar('DB_POOL_SIZE', 10, 1, 200),
    statementTimeoutMs: intVar('STATEMENT_TIMEOUT_MS', 15_000, 100, 600_000),
  };
  return cached;
}
