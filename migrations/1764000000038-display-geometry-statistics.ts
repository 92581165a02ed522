import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The territory's geometries that are only drawn: selected and returned, never a join, an index or an order. */
const DRAWN = ['geom_display', 'geom_z7', 'geom_z9'];

/**
 * No planner statistics for the territory's drawn geometries (`geom_display`, and the maps'
 * `geom_z7` and `geom_z9`): queries select them (tiles, coverage, exports, a map's extent), none
 * joins or sorts on them, and only the seed's fill-ins test them (for NULL or empty, on the rows of
 * one level, read whole anyway): their statistics never shape a plan that matters. Gathering them was the
 * larger part of `ANALYZE territory`, which reads each sampled row's geometries whole. On the
 * demonstration's embedded database, warm: 1.41–2.26 s with them, 0.87 s without. At a first start,
 * where it runs once the territories are loaded (seeds/territories.ts), timed from the driver in
 * alternated runs: 1.86–2.05 s before this migration, 1.39–1.45 s after (three runs each).
 */
export class DisplayGeometryStatistics1764000000038 implements MigrationInterface {
  name = 'DisplayGeometryStatistics1764000000038';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE territory ${DRAWN.map((c) => `ALTER COLUMN ${c} SET STATISTICS 0`).join(', ')}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE territory ${DRAWN.map((c) => `ALTER COLUMN ${c} SET STATISTICS -1`).join(', ')}`);
  }
}
