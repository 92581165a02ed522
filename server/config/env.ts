import os from 'node:os';
import path from 'node:path';
import { loadSiteSettings } from './site.js';
import type { SiteSettings } from './site-settings.js';
import { DEFAULT_REPLICA_MAX_LAG_MS, parseReplicaUrls } from '../db/replica-urls.js';
import type { JitOptions } from '../graphql/jit-executor.js';

/**
 * DB_POOL_SIZE when unset: twice the cores plus two, the PostgreSQL wiki's starting point for a
 * pool (« Number Of Database Connections »): 6 on 2 cores. More connections than that only share
 * the same cores among more backends and preempt the app's event loop more often. Under the mixed
 * load test (test/load/run.ts, which uses this default) on 2 cores, six alternated pairs on
 * 6 December 2026: 6 connections served 235–279 req/s with createActor p50 91–108 ms, 10 served
 * 210–271 req/s with 107–131 ms. With the database on a machine of its own, set it from that
 * machine's cores.
 */
export const DEFAULT_POOL_SIZE = 2 * os.availableParallelism() + 2;

/** Runtime configuration, read once from the environment and validated. */
export interface Env {
  /** PostgreSQL + PostGIS connection string; unset means the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Read replicas of DATABASE_URL (DATABASE_REPLICA_URL, comma-separated): see server/db/replicas.ts. */
  replicaUrls: string[];
  /** REPLICA_MAX_LAG_MS: a replica more stale than this serves no reads until it catches up. */
  replicaMaxLagMs: number;
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
  /** When graphql-jit compiles a document (GRAPHQL_JIT_AFTER, GRAPHQL_JIT_CACHE): see server/graphql/jit-executor.ts. */
  graphqlJit: JitOptions;
  /**
   * The analytics gate (coverage maps, theme matrix, comparisons, large gap pages, exports, tiles
   * over a large scope): `concurrency` analyses at once (ANALYTICS_CONCURRENCY, half the cores, at
   * least 1; they use a pool of that many connections of their own, besides DB_POOL_SIZE),
   * `queue` waiting (ANALYTICS_QUEUE, 16) at most `queueTimeoutMs` (ANALYTICS_QUEUE_TIMEOUT_MS,
   * 10 s); beyond, 503 SERVICE_BUSY with Retry-After: `retryAfterSeconds` (ANALYTICS_RETRY_AFTER_S, 5).
   */
  analytics: { concurrency: number; queue: number; queueTimeoutMs: number; retryAfterSeconds: number };
  /**
   * Express's `trust proxy` (TRUST_PROXY): a number of proxies in front of the app (`1`), `true`,
   * or addresses and names (`loopback`, `10.0.0.0/8`). Unset: the client's address is the socket's.
   */
  trustProxy: boolean | number | string | undefined;
  /**
   * Origins allowed besides the app's own in the Content-Security-Policy (img-src and
   * connect-src): CSP_EXTRA_ORIGINS, plus the origin of VITE_RASTER_TILES_URL when it is set.
   */
  cspExtraOrigins: string[];
  /**
   * Months after which a record whose information nobody responsible confirmed (Actor.verifiedAt)
   * is stale: FRESHNESS_MONTHS, 18 by default.
   */
  freshnessMonths: number;
  /** Who runs the instance and whether it carries the State's brand (BRAND_STATE, SITE_*): see SiteSettings. */
  site: SiteSettings;
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

/** TRUST_PROXY as Express must get it: given the string `1`, Express trusts the address 0.0.0.1. */
export function parseTrustProxy(value: string | undefined): Env['trustProxy'] {
  const raw = value?.trim();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw;
}

/**
 * The origins of CSP_EXTRA_ORIGINS (separated by commas or spaces) and of VITE_RASTER_TILES_URL
 * (the raster background the client was built with). Only http(s) origins: no keyword, wildcard
 * or `;` can reach the policy.
 */
export function parseCspOrigins(list: string | undefined, rasterTilesUrl: string | undefined): string[] {
  const origins = new Set<string>();
  const add = (name: string, value: string) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      // reported below
    }
    if (!url || !/^https?:\/\/[a-z0-9.-]+(:\d+)?$|^https?:\/\/\[[0-9a-f:.]+\](:\d+)?$/i.test(url.origin)) {
      throw new Error(`Invalid ${name}=${value}: expected http(s) origins such as https://tiles.example.org`);
    }
    origins.add(url.origin);
  };
  for (const item of (list ?? '').split(/[\s,]+/)) if (item) add('CSP_EXTRA_ORIGINS', item);
  if (rasterTilesUrl) add('VITE_RASTER_TILES_URL', rasterTilesUrl);
  return [...origins];
}

let cached: Env | undefined;

export function loadEnv(): Env {
  if (cached) return cached;
  const seed = process.env.SEED ?? 'auto';
  if (seed !== 'auto' && seed !== 'skip') throw new Error(`Invalid SEED=${seed}: expected auto or skip`);
  const production = process.env.NODE_ENV === 'production';
  cached = {
    databaseUrl: process.env.DATABASE_URL || undefined,
    replicaUrls: parseReplicaUrls(process.env.DATABASE_REPLICA_URL),
    replicaMaxLagMs: intVar('REPLICA_MAX_LAG_MS', DEFAULT_REPLICA_MAX_LAG_MS, 100, 3_600_000),
    dataDir: path.resolve(process.env.DATA_DIR ?? '.data'),
    host: process.env.HOST ?? '127.0.0.1',
    port: intVar('PORT', 4000, 0, 65535),
    logLevel: process.env.LOG_LEVEL ?? 'info',
    seed,
    poolSize: intVar('DB_POOL_SIZE', DEFAULT_POOL_SIZE, 1, 200),
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
    graphqlJit: { after: intVar('GRAPHQL_JIT_AFTER', 10, 0, 1_000_000), maxCompiled: intVar('GRAPHQL_JIT_CACHE', 500, 1, 100_000) },
    analytics: {
      // Half the cores: the analyses' answers are built on the one thread every request shares.
      concurrency: intVar('ANALYTICS_CONCURRENCY', Math.max(1, Math.floor(os.availableParallelism() / 2)), 1, 64),
      queue: intVar('ANALYTICS_QUEUE', 16, 0, 1000),
      queueTimeoutMs: intVar('ANALYTICS_QUEUE_TIMEOUT_MS', 10_000, 100, 600_000),
      retryAfterSeconds: intVar('ANALYTICS_RETRY_AFTER_S', 5, 1, 3600),
    },
    trustProxy: parseTrustProxy(process.env.TRUST_PROXY),
    cspExtraOrigins: parseCspOrigins(process.env.CSP_EXTRA_ORIGINS, process.env.VITE_RASTER_TILES_URL),
    freshnessMonths: intVar('FRESHNESS_MONTHS', 18, 1, 240),
    site: loadSiteSettings(),
  };
  return cached;
}
