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
  /** NODE_ENV=production: hides field suggestions, turns introspection off unless asked. */
  production: boolean;
  introspection: boolean;
  /** GraphQL requests per minute and per client IP address. */
  rateLimitPerMinute: number;
  limits: { maxDepth: number; maxCost: number; maxAliases: number; maxTokens: number };
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
  const production = process.env.NODE_ENV === 'production';
  cached = {
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: path.resolve(process.env.DATA_DIR ?? '.data'),
    host: process.env.HOST ?? '127.0.0.1',
    port: intVar('PORT', 4000, 0, 65535),
    logLevel: process.env.LOG_LEVEL ?? 'info',
    seed,
    poolSize: intVar('DB_POOL_SIZE', 10, 1, 200),
    statementTimeoutMs: intVar('STATEMENT_TIMEOUT_MS', 15_000, 100, 600_000),
    production,
    introspection: process.env.INTROSPECTION ? process.env.INTROSPECTION === 'true' : !production,
    rateLimitPerMinute: intVar('RATE_LIMIT_PER_MINUTE', 1200, 1, 1_000_000),
    limits: {
      maxDepth: intVar('GRAPHQL_MAX_DEPTH', 10, 2, 50),
      maxCost: intVar('GRAPHQL_MAX_COST', 20_000, 100, 10_000_000),
      maxAliases: intVar('GRAPHQL_MAX_ALIASES', 15, 1, 1000),
      maxTokens: intVar('GRAPHQL_MAX_TOKENS', 2_000, 100, 100_000),
    },
  };
  return cached;
}
