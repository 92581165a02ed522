import { logger } from '../logger.js';
import type { Queryable } from './sql.js';
import { analyzeDirectory, recordStatisticsRefreshed, refreshStatisticsAtStart } from './statistics.js';

/**
 * What PostgreSQL's background processes do for a native server, done for the embedded one.
 *
 * PGlite is a single backend with no checkpointer and no autovacuum: nothing checkpoints while it
 * runs (max_wal_size is never acted on), and nothing vacuums. Measured on the demo's data directory
 * (5 December 2026): one actor widened to the whole country and back four times left 640 MB of WAL
 * in `pg_wal` (64 MB after a clean stop's checkpoint), the tables grew from 480 to 741 MB, and a
 * restart after a crash (`kill -9`) replayed all that WAL: 21.9 s to `/readyz` instead of 4. The
 * dead rows also cost the gap analyses their index-only scans: on native PostgreSQL, with
 * autovacuum held back, the theme matrix read 1.28 million heap pages for visibility and took
 * 5.1 s instead of 0.78 s once vacuumed.
 *
 * The app (server/main.ts) runs a pass every `intervalMs` on the embedded database only:
 * - `CHECKPOINT` once the WAL written since the last checkpoint reaches `checkpointBytes` (half of
 *   EMBEDDED_SETTINGS.max_wal_size: crash recovery replays no more than that), or once the last
 *   checkpoint is `checkpointSeconds` old and anything was written since (checkpoint_timeout);
 * - `VACUUM` of the whole database and ANALYZE of the directory's tables once `vacuumBytes` of WAL
 *   were written since the last vacuum: the WAL is the one measure of how much was updated and
 *   deleted that PGlite keeps (its activity counters, `n_dead_tup` and the like, stay at zero).
 *   Single actor edits write kilobytes; an import, a national actor or a merge, megabytes.
 *
 * Each statement holds PGlite's single backend while it runs (CHECKPOINT ≈ 0.1 s; VACUUM and
 * ANALYZE 2 to 4 s on the demo after a national actor, 0.05 s of VACUUM when nothing is dead):
 * other requests wait that long, once after such a write.
 */
export interface MaintenanceThresholds {
  checkpointBytes: number;
  checkpointSeconds: number;
  vacuumBytes: number;
}

export const EMBEDDED_MAINTENANCE: MaintenanceThresholds & { intervalMs: number } = {
  checkpointBytes: 32 * 1024 * 1024,
  checkpointSeconds: 300,
  vacuumBytes: 128 * 1024 * 1024,
  intervalMs: 15_000,
};

/**
 * At a start of the embedded database, before it serves: fresh planner statistics when anything
 * was written since the last refresh (without them the coverage map of a région took 20 s instead
 * of 1.9 s; ≈ 2.5 s, statistics.ts), and the rows of the aggregates' pending deltas, deleted by
 * every write at commit (migration 1764000000025), vacuumed.
 */
export async function maintainAtStart(db: Queryable): Promise<void> {
  const t = Date.now();
  const analyzed = await refreshStatisticsAtStart(db);
  await db.query('VACUUM coverage_theme_pending, coverage_theme_pending_tx');
  logger.info({ ms: Date.now() - t, analyzed }, 'embedded database maintained (statistics refreshed when written since, pending deltas vacuumed)');
}

/** WAL written since the last checkpoint that is not worth one on its own (the checkpoint record itself). */
const IDLE_WAL_BYTES = 64 * 1024;

export interface MaintenancePass {
  checkpoint: boolean;
  vacuum: boolean;
  /** WAL written since the last checkpoint, and since the last vacuum, before the pass. */
  walSinceCheckpoint: number;
  walSinceVacuum: number;
}

export class EmbeddedMaintenance {
  /** Where the WAL stood after the last vacuum (null: none yet in this process, counted from its first pass). */
  private vacuumedAt: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly thresholds: MaintenanceThresholds = EMBEDDED_MAINTENANCE,
  ) {}

  /** One pass: reads where the WAL stands (one statement), and checkpoints or vacuums if due. */
  async pass(): Promise<MaintenancePass> {
    const [wal] = (await this.db.query(
      `SELECT pg_current_wal_lsn()::text AS lsn,
              pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 AS since_checkpoint,
              pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce($1::pg_lsn, pg_current_wal_lsn()))::float8 AS since_vacuum,
              extract(epoch FROM now() - checkpoint_time)::float8 AS checkpoint_age,
              (SELECT version::text FROM data_version) AS data_version
       FROM pg_control_checkpoint()`,
      [this.vacuumedAt],
    )) as { lsn: string; since_checkpoint: number; since_vacuum: number; checkpoint_age: number; data_version: string }[];
    this.vacuumedAt ??= wal.lsn;
    const { checkpointBytes, checkpointSeconds, vacuumBytes } = this.thresholds;
    const result: MaintenancePass = { checkpoint: false, vacuum: false, walSinceCheckpoint: wal.since_checkpoint, walSinceVacuum: wal.since_vacuum };
    const started = Date.now();
    if (wal.since_vacuum >= vacuumBytes) {
      await this.db.query('VACUUM');
      await analyzeDirectory(this.db);
      await recordStatisticsRefreshed(this.db, wal.data_version);
      result.vacuum = true;
    }
    // A vacuum writes WAL of its own (hint bits, visibility map): the checkpoint after it bounds that too.
    if (result.vacuum || wal.since_checkpoint >= checkpointBytes || (wal.since_checkpoint > IDLE_WAL_BYTES && wal.checkpoint_age >= checkpointSeconds)) {
      await this.db.query('CHECKPOINT');
      result.checkpoint = true;
    }
    if (result.vacuum) {
      const [after] = (await this.db.query(`SELECT pg_current_wal_lsn()::text AS lsn`)) as { lsn: string }[];
      this.vacuumedAt = after.lsn;
    }
    if (result.checkpoint) logger.info({ ...result, ms: Date.now() - started }, 'embedded database maintained');
    return result;
  }

  /** Runs a pass every `intervalMs` (never two at once), without keeping the process alive. */
  start(intervalMs = EMBEDDED_MAINTENANCE.intervalMs): this {
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .catch((err: unknown) => logger.warn({ err }, 'embedded database maintenance failed'))
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops the passes, waiting for one under way (before the database closes). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
