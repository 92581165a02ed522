/**
 * The settings of the read replicas (server/db/replicas.ts), read with the environment before the
 * database opens: apart from replicas.ts, so that reading them does not load TypeORM first (the
 * server imports it while the embedded database starts, server/main.ts).
 */

/** Default of REPLICA_MAX_LAG_MS: a replica more stale than this serves no reads. */
export const DEFAULT_REPLICA_MAX_LAG_MS = 5_000;

/** `host:port/database` of a URL, never its password (logs, /readyz). */
export function replicaName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'réplica';
  }
}

/**
 * DATABASE_REPLICA_URL: PostgreSQL URLs separated by commas (or spaces). Anything else stops the
 * start: a typo must not silently send every read to the primary.
 */
export function parseReplicaUrls(value: string | undefined): string[] {
  const urls = (value ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const url of urls) {
    const protocol = URL.canParse(url) ? new URL(url).protocol : '';
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') throw new Error(`Invalid DATABASE_REPLICA_URL: ${replicaName(url)} is not a postgres:// URL`);
  }
  return urls;
}
