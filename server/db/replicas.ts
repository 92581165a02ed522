import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { DataSource, type DataSourceOptions, type EntityManager, type QueryRunner } from 'typeorm';
import { logger } from '../logger.js';
import { DEFAULT_REPLICA_MAX_LAG_MS, replicaName } from './replica-urls.js';
import { PoolPriority } from './pool-priority.js';

export { DEFAULT_REPLICA_MAX_LAG_MS, parseReplicaUrls, replicaName } from './replica-urls.js';

/**
 * Read replicas (DATABASE_REPLICA_URL): PostgreSQL standbys fed by streaming replication.
 *
 * The app keeps one DataSource, the primary's, everywhere (services, loaders, resolvers). That
 * DataSource is a RoutedDataSource: a statement sent with `query()` outside a transaction, while the
 * current request was declared a replica read (`readFromReplicas`: searches, gaps, coverage,
 * tiles, exports) and has not written yet, runs on a replica. Everything else runs on the primary:
 * mutations, sessions (the request's sign-in is read before the operation is known), every
 * transaction, and every statement after a transaction of the same request (`transaction()` pins
 * the request to the primary, so a read that follows a write sees it).
 *
 * A request reads from one replica (one view of the data: a tile and the data version it is cached
 * under come from the same server), the least busy, ties taken in turn. A replica that cannot be
 * reached, that refuses a statement (a write that slipped into a read, a query cancelled by a
 * conflict with recovery) or that lacks the database is left aside: the statement and the rest
 * of the request are served by the primary, with a warning in the log, never an error for the
 * user. A replica found down is tried again after REPLICA_RETRY_MS.
 *
 * A replica too far behind is left aside the same way (REPLICA_MAX_LAG_MS, 5 s by default): a lag
 * monitor reads the primary's WAL position and each replica's replayed position several times a
 * second; a replica's staleness is the age of the newest primary position it has replayed. Over the
 * limit, its reads go to the primary (or another replica) until it has caught up. A paused replay,
 * a broken WAL stream or a replica swamped by a long query all show there, before users read old data.
 */

/** What the current request may read from a replica (one object per request, see AsyncLocalStorage). */
interface ReadRoute {
  /** Declared a read that tolerates a replica's lag (readFromReplicas). */
  replica: boolean;
  /** Wrote, or a replica failed it: every statement from now on goes to the primary. */
  primary: boolean;
  /** The replica chosen at its first read (undefined before it). */
  chosen?: Replica;
}

const routes = new AsyncLocalStorage<ReadRoute>();

/** TypeORM's isolation levels (the type is not exported by its index). */
type IsolationLevel = Parameters<DataSource['transaction']>[0];

/**
 * Runs `work` (the rest of a request) with a route of its own: on the primary until
 * `readFromReplicas()` is called within it. Express: `(req, res, next) => withReadRoute(next)`.
 */
export function withReadRoute<T>(work: () => T, replica = false): T {
  return routes.run({ replica, primary: false }, work);
}

/** Declares the current request a read that may be served by a replica (no-op outside a route). */
export function readFromReplicas(): void {
  const route = routes.getStore();
  if (route) route.replica = true;
}

/** Keeps the rest of the current request on the primary (no-op outside a route). */
export function stayOnPrimary(): void {
  const route = routes.getStore();
  if (route) route.primary = true;
}

/** A replica found down is tried again after this long. */
export const REPLICA_RETRY_MS = 5_000;
/** Longest wait for a connection to a replica (a host that does not answer). */
const REPLICA_CONNECT_TIMEOUT_MS = 3_000;

/** Errors meaning the replica cannot be used now (unreachable, shutting down, no such database). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNAVAILABLE_SQLSTATE = new Set(['57P01', '57P02', '57P03', '57P04', '3D000']);
/** Errors meaning this statement cannot run on a standby: a write (25006), a conflict with recovery (40001). */
const REFUSED_SQLSTATE = new Set(['25006', '40001']);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Why a failed statement should be served by the primary instead: 'down', 'refused', or null (a real error). */
export function fallbackReason(err: unknown): 'down' | 'refused' | null {
  const code = errorCode(err);
  if (code && (UNREACHABLE.has(code) || UNAVAILABLE_SQLSTATE.has(code) || code.startsWith('08'))) return 'down';
  if (code && REFUSED_SQLSTATE.has(code)) return 'refused';
  const message = err instanceof Error ? err.message : '';
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) return 'down';
  return null;
}

/** What /readyz says of a replica. */
export interface ReplicaStatus {
  name: string;
  /** `lagging`: reachable but over REPLICA_MAX_LAG_MS behind, its reads served elsewhere. */
  status: 'up' | 'down' | 'lagging';
  /** WAL the replica has still to replay, in bytes (null when it is down or the primary is unknown). */
  lagBytes: number | null;
  /** How stale its data is, as last measured by the lag monitor (null before a measure, or down). */
  lagMs: number | null;
}

/**
 * The lag monitor's statements start with this comment: background work of the app, not of a
 * request (the query observer of data-source.ts, which tests count per request, skips them).
 */
export const LAG_MONITOR = '/* replica lag monitor */';

/** A WAL position (`16/B374D848`) as a number of bytes. */
export function lsnBytes(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/**
 * The primary's WAL positions over the last moments, each with when it was read: a replica that has
 * replayed up to `replayed` holds everything the primary had written at the last sample at or
 * below it, so its staleness is that sample's age (0 when it has replayed the newest).
 */
export class WalClock {
  private samples: { at: number; lsn: bigint }[] = [];

  /** `keepMs`: how far back samples are kept (beyond it, a staleness is only known to be at least that). */
  constructor(private readonly keepMs: number) {}

  record(lsn: bigint, at = Date.now()): void {
    this.samples.push({ at, lsn });
    // Keep the newest sample older than the window: it bounds the staleness of a replica far behind.
    while (this.samples.length > 2 && this.samples[1].at < at - this.keepMs) this.samples.shift();
  }

  /** Milliseconds of data a replica that replayed up to `replayed` lacks (null before any sample). */
  stalenessMs(replayed: bigint, now = Date.now()): number | null {
    if (this.samples.length === 0) return null;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (this.samples[i].lsn <= replayed) return i === this.samples.length - 1 ? 0 : now - this.samples[i + 1].at;
    }
    return now - this.samples[0].at;
  }
}

/** A replica's staleness, as the lag monitor last measured it. */
export interface ReplicaLag {
  ms: number | null;
  lagging: boolean;
}

/** One replica: its own pool (a DataSource of the primary's settings on the replica's URL). */
export class Replica {
  readonly name: string;
  /** Statements running on it now (the least busy replica gets the next request). */
  active = 0;
  private downUntil = 0;
  private ds: DataSource | undefined;
  private starting: Promise<DataSource> | undefined;

  /** `number`: its place in DATABASE_REPLICA_URL, in its connections' application_name (`repertoire-replica-2`). */
  constructor(
    readonly url: string,
    private readonly options: DataSourceOptions,
    readonly number = 1,
    /** What the lag monitor last measured: shared by the pools of one replica (the analytics pool's follows the main one's). */
    readonly lag: ReplicaLag = { ms: null, lagging: false },
  ) {
    this.name = replicaName(url);
  }

  /** Usable now: not too far behind, and up or down long enough ago to be tried again. */
  get available(): boolean {
    return !this.lagging && Date.now() >= this.downUntil;
  }

  /** Staleness at the lag monitor's last measure (null before one). */
  get lagMs(): number | null {
    return this.lag.ms;
  }

  /** Over the maximum lag at the last measure: left aside until it catches up. */
  get lagging(): boolean {
    return this.lag.lagging;
  }

  /** Found down less than REPLICA_RETRY_MS ago. */
  get down(): boolean {
    return Date.now() < this.downUntil;
  }

  /** Records a measured staleness against `maxLagMs`, logging when it crosses it either way. */
  setLag(lagMs: number, maxLagMs: number): void {
    this.lag.ms = lagMs;
    const lagging = lagMs > maxLagMs;
    if (lagging === this.lag.lagging) return;
    this.lag.lagging = lagging;
    if (lagging) logger.warn({ replica: this.name, lagMs, maxLagMs }, 'read replica lagging behind the primary: its reads are served elsewhere');
    else logger.info({ replica: this.name, lagMs }, 'read replica caught up: reads go to it again');
  }

  /** The replica's pool, connected at the first need (a replica down at start is tried later). */
  private pool(): Promise<DataSource> {
    if (this.ds?.isInitialized) return Promise.resolve(this.ds);
    this.starting ??= (async () => {
      const extra = (this.options as { extra?: Record<string, unknown> }).extra ?? {};
      const ds = new DataSource({
        ...this.options,
        url: this.url,
        extra: { ...extra, connectionTimeoutMillis: REPLICA_CONNECT_TIMEOUT_MS, application_name: `repertoire-replica-${this.number}` },
      } as DataSourceOptions);
      try {
        await ds.initialize();
        this.ds = ds;
        return ds;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }

  /** Connects now; a failure marks it down (and is logged), never thrown. */
  async start(): Promise<void> {
    try {
      await this.pool();
    } catch (err) {
      this.markDown(err);
    }
  }

  async query(text: string, values?: unknown[]): Promise<unknown> {
    this.active++;
    try {
      const result: unknown = await (await this.pool()).query(text, values);
      this.markUp();
      return result;
    } finally {
      this.active--;
    }
  }

  markDown(err: unknown): void {
    if (this.downUntil === 0) {
      logger.warn(
        { replica: this.name, code: errorCode(err), err: err instanceof Error ? err.message : String(err) },
        'read replica unavailable: its reads are served by the primary',
      );
    }
    this.downUntil = Date.now() + REPLICA_RETRY_MS;
  }

  private markUp(): void {
    if (this.downUntil === 0) return;
    this.downUntil = 0;
    logger.info({ replica: this.name }, 'read replica back: reads go to it again');
  }

  /** For /readyz: reachable, and how far behind `primaryLsn` (the primary's current WAL position). */
  async status(primaryLsn: string | null): Promise<ReplicaStatus> {
    try {
      const [row] = (await this.query(
        `SELECT CASE WHEN $1::pg_lsn IS NULL THEN NULL ELSE pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 END AS lag`,
        [primaryLsn],
      )) as { lag: number | null }[];
      return { name: this.name, status: this.lagging ? 'lagging' : 'up', lagBytes: row.lag === null ? null : Math.max(0, row.lag), lagMs: this.lagMs };
    } catch (err) {
      if (fallbackReason(err) === 'down') this.markDown(err);
      return { name: this.name, status: 'down', lagBytes: null, lagMs: null };
    }
  }

  async close(): Promise<void> {
    const ds = this.ds ?? (await this.starting?.catch(() => undefined));
    if (ds?.isInitialized) await ds.destroy();
  }
}

/**
 * The primary's DataSource, which sends the reads of replica requests to a replica (see the top of
 * this file). Without replicas it is a plain DataSource.
 */
export class RoutedDataSource extends DataSource {
  readonly replicas: readonly Replica[];
  /** REPLICA_MAX_LAG_MS: a replica staler than this serves no reads. */
  readonly maxLagMs: number;
  private turn = 0;
  private monitor: NodeJS.Timeout | undefined;
  private measuring = false;
  private readonly wal: WalClock;
  /** The primary pool's line: transactions before single statements (server/db/pool-priority.ts). */
  private priority: PoolPriority | undefined;

  /** `lagOf`: another RoutedDataSource on the same replicas whose lag monitor this one follows instead of running its own. */
  constructor(
    options: DataSourceOptions,
    replicaUrls: readonly string[] = [],
    maxLagMs = DEFAULT_REPLICA_MAX_LAG_MS,
    private readonly lagOf?: RoutedDataSource,
  ) {
    super(options);
    this.replicas = replicaUrls.map((url, i) => new Replica(url, options, i + 1, lagOf?.replicas[i].lag));
    this.maxLagMs = maxLagMs;
    this.wal = new WalClock(2 * maxLagMs);
  }

  /**
   * The same primary and replicas with other settings (the analytics pool: its own pools
   * everywhere), left aside when this one's lag monitor finds a replica too far behind.
   */
  withOptions(options: Partial<DataSourceOptions>): RoutedDataSource {
    return new RoutedDataSource(
      { ...this.options, ...options } as DataSourceOptions,
      this.replicas.map((r) => r.url),
      this.maxLagMs,
      this,
    );
  }

  override async initialize(): Promise<this> {
    await super.initialize();
    this.priority = new PoolPriority((this.driver as unknown as { master: pg.Pool }).master);
    await Promise.all(this.replicas.map((r) => r.start()));
    if (this.replicas.length > 0 && !this.lagOf) {
      await this.measureLag();
      // Four measures within the limit (at most one a second, at least one every 50 ms).
      const every = Math.min(1_000, Math.max(50, Math.floor(this.maxLagMs / 4)));
      this.monitor = setInterval(() => void this.measureLag(), every);
      this.monitor.unref();
    }
    return this;
  }

  override async destroy(): Promise<void> {
    clearInterval(this.monitor);
    await Promise.all(this.replicas.map((r) => r.close()));
    await super.destroy();
  }

  /**
   * One measure of the lag monitor: the primary's WAL position, then each replica's replayed one.
   * A replica that does not answer is marked down as by a failed read; a failure on the primary
   * leaves the last measures as they were (the primary's own errors show in the requests).
   */
  async measureLag(): Promise<void> {
    if (this.measuring) return;
    this.measuring = true;
    try {
      const [{ lsn }] = await super.query<{ lsn: string }[]>(`${LAG_MONITOR} SELECT pg_current_wal_lsn()::text AS lsn`);
      this.wal.record(lsnBytes(lsn));
      await Promise.all(
        this.replicas.map(async (r) => {
          if (r.down) return; // tried again by the reads, after REPLICA_RETRY_MS
          try {
            const [row] = (await r.query(`${LAG_MONITOR} SELECT pg_last_wal_replay_lsn()::text AS lsn`)) as { lsn: string | null }[];
            // A server that is not a standby has no replay position: it is the primary's data, current.
            const stale = row.lsn === null ? 0 : this.wal.stalenessMs(lsnBytes(row.lsn));
            if (stale !== null) r.setLag(stale, this.maxLagMs);
          } catch (err) {
            if (fallbackReason(err) === 'down') r.markDown(err);
          }
        }),
      );
    } catch {
      // Unreachable primary: nothing to compare with.
    } finally {
      this.measuring = false;
    }
  }

  /** The least busy available replica, ties taken in turn; undefined when none is available. */
  private pick(): Replica | undefined {
    const n = this.replicas.length;
    this.turn = (this.turn + 1) % n;
    let best: Replica | undefined;
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(this.turn + i) % n];
      if (r.available && (!best || r.active < best.active)) best = r;
    }
    return best;
  }

  override async query<T = unknown>(query: string, parameters?: unknown[], queryRunner?: QueryRunner): Promise<T> {
    const route = queryRunner || this.replicas.length === 0 ? undefined : routes.getStore();
    if (!route?.replica || route.primary) return super.query<T>(query, parameters, queryRunner);
    route.chosen ??= this.pick();
    const replica = route.chosen;
    if (!replica?.available) {
      route.primary = true;
      return super.query<T>(query, parameters);
    }
    try {
      return (await replica.query(query, parameters)) as T;
    } catch (err) {
      const reason = fallbackReason(err);
      if (!reason) throw err;
      if (reason === 'down') replica.markDown(err);
      else logger.warn({ replica: replica.name, code: errorCode(err) }, 'read replica refused a statement: served by the primary');
      route.primary = true;
      return super.query<T>(query, parameters);
    }
  }

  /**
   * A transaction writes (or locks): it runs on the primary, and so does the rest of the request.
   * Its connection is taken first in line when the pool is short of them (PoolPriority).
   */
  override transaction<T>(run: (m: EntityManager) => Promise<T>): Promise<T>;
  override transaction<T>(isolation: IsolationLevel, run: (m: EntityManager) => Promise<T>): Promise<T>;
  override async transaction<T>(first: IsolationLevel | ((m: EntityManager) => Promise<T>), run?: (m: EntityManager) => Promise<T>): Promise<T> {
    stayOnPrimary();
    const runner = this.createQueryRunner();
    try {
      await (this.priority ? this.priority.transactionCheckout(() => runner.connect()) : runner.connect());
      return await (run ? runner.manager.transaction(first as IsolationLevel, run) : runner.manager.transaction(first as (m: EntityManager) => Promise<T>));
    } finally {
      await runner.release();
    }
  }

  /** Each replica, up or down, with its lag behind the primary (the primary's position read first). */
  async replicaStatus(): Promise<ReplicaStatus[]> {
    if (this.replicas.length === 0) return [];
    let lsn: string | null = null;
    try {
      [{ lsn }] = await super.query<{ lsn: string }[]>(`SELECT pg_current_wal_lsn()::text AS lsn`);
    } catch {
      // The primary answered /readyz's first probe: a failure here only leaves the lag unknown.
    }
    return Promise.all(this.replicas.map((r) => r.status(lsn)));
  }
}

/** The replicas of a DataSource (none for a plain one). */
export function replicasOf(ds: DataSource): readonly Replica[] {
  return ds instanceof RoutedDataSource ? ds.replicas : [];
}
