import type { Queryable } from './sql.js';

/** Rows written at once from which the planner statistics are refreshed right after (imports, seeding). */
export const ANALYZE_FROM_ROWS = 1000;

/** The tables a large write of actors changes: the directory, its coverage and the gap aggregates. */
const DIRECTORY_TABLES = 'actor, coverage_commune, coverage_area, coverage_theme_count, actor_theme_key, actor_theme_point';

/**
 * Refreshes the planner statistics of the directory's tables after `rows` were written, when they
 * are `from` or more. The embedded PGlite runs no autovacuum: without this its planner kept the
 * statistics of the start (ANALYZE in server/main.ts) whatever was imported since, and chose plans
 * for near-empty tables (a région's coverage map took 20 s instead of 1.9 s). Native PostgreSQL
 * gets them at once too, instead of at autovacuum's next pass. Run after the write's commit.
 */
export async function refreshStatistics(db: Queryable, rows: number, from = ANALYZE_FROM_ROWS): Promise<boolean> {
  if (rows < from) return false;
  await db.query(`ANALYZE ${DIRECTORY_TABLES}`);
  return true;
}
