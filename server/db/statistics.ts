import type { Queryable } from './sql.js';

/** Rows written at once from which the planner statistics are refreshed right after (imports, seeding). */
export const ANALYZE_FROM_ROWS = 1000;

/** The tables a large write of actors changes: the directory and its coverage, then the gap aggregates. */
const DIRECTORY_TABLES = 'actor, coverage_commune, coverage_area';
const AGGREGATE_TABLES = 'coverage_theme_count, actor_theme_key, actor_theme_point';

/**
 * Refreshes the planner statistics of the directory's tables after `rows` were written, when they
 * are `from` or more. The embedded PGlite runs no autovacuum: without this its planner kept the
 * statistics of the start (ANALYZE in server/main.ts) whatever was imported since, and chose plans
 * for near-empty tables (a région's coverage map took 20 s instead of 1.9 s). Native PostgreSQL
 * gets them at once too, instead of at autovacuum's next pass. Run after the write's commit.
 * `aggregatesRebuilt`: the write rebuilt the gap aggregates (`gap_rebuild()`), which ends by
 * analysing their tables: they are not analysed again (0.49 s of the demonstration's first start).
 */
export async function refreshStatistics(db: Queryable, rows: number, from = ANALYZE_FROM_ROWS, { aggregatesRebuilt = false } = {}): Promise<boolean> {
  if (rows < from) return false;
  await analyzeDirectory(db, { aggregates: !aggregatesRebuilt });
  return true;
}

/** ANALYZE of the directory's tables (the actors, their coverage and, unless told otherwise, the gap aggregates). */
export async function analyzeDirectory(db: Queryable, { aggregates = true } = {}): Promise<void> {
  await db.query(`ANALYZE ${DIRECTORY_TABLES}${aggregates ? `, ${AGGREGATE_TABLES}` : ''}`);
}

/**
 * Records the data version `version` (by default the current one) as the one the statistics were
 * refreshed for: the next start of the embedded database does not ANALYZE again for what was
 * written up to it. A caller that reads it before its ANALYZE leaves a write made meanwhile to the
 * next refresh.
 */
export async function recordStatisticsRefreshed(db: Queryable, version?: string): Promise<void> {
  await db.query(
    `INSERT INTO seed_state (name, version, finished_at) SELECT 'statistics', coalesce($1, version::text), now() FROM data_version
     ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, finished_at = now()`,
    [version ?? null],
  );
}

/**
 * At a start of the embedded database: ANALYZE, unless nothing was written since the last time.
 * PGlite keeps no activity counters across restarts (`n_mod_since_analyze` comes back at 0), so the
 * data version (`data_version`, migration 1764000000025, bumped by every committed write of actors,
 * their coverage or territories) stands in for them: the version refreshed last is kept in
 * `seed_state`. It is read before ANALYZE, so a write during it leaves the next start to refresh
 * again. Returns whether it ran (≈ 2.5 s on the full seed, every restart before).
 */
export async function refreshStatisticsAtStart(db: Queryable): Promise<boolean> {
  const [row] = (await db.query(
    `SELECT d.version::text AS current, s.version AS refreshed FROM data_version d LEFT JOIN seed_state s ON s.name = 'statistics'`,
  )) as { current: string; refreshed: string | null }[];
  if (row && row.current === row.refreshed) return false;
  await db.query('ANALYZE');
  if (row) {
    await db.query(
      `INSERT INTO seed_state (name, version, finished_at) VALUES ('statistics', $1, now())
       ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, finished_at = now()`,
      [row.current],
    );
  }
  return true;
}

/**
 * After a seed wrote the territories or the directory (each refreshed its own tables' statistics
 * right after writing them): the tables never analysed yet (the vocabularies, accounts, coalitions;
 * milliseconds), then the data version is recorded as refreshed, so that the start that follows does
 * not ANALYZE the whole database again (≈ 2.6 s on the full seed; 46 s on a loaded machine).
 */
export async function refreshStatisticsAfterSeed(db: Queryable): Promise<void> {
  const tables = (await db.query(
    `SELECT format('%I.%I', schemaname, relname) AS name FROM pg_stat_user_tables
     WHERE last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY 1`,
  )) as { name: string }[];
  if (tables.length) await db.query(`ANALYZE ${tables.map((t) => t.name).join(', ')}`);
  await recordStatisticsRefreshed(db);
}
