import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

const PROJECT_SQL = `
  SELECT CASE WHEN z.zone IS NOT NULL THEN ST_Translate(ST_SetSRID(ST_Transform(g, z.zone), 0),
    1e8 * array_position(ARRAY[2154, 32620, 32621, 32622, 32738, 32740], z.zone), 0) END
  FROM (SELECT gap_zone(g) AS zone) z`;

/**
 * `gap_rebuild()` took 27 s for 3,650 actors (the load test's base), past the 15 s statement
 * timeout, so an import large enough to rebuild the gap aggregates failed with an internal error:
 * - `gap_project` (migration 1764000000012), an SQL function with its own search path, is never
 *   inlined, and PostGIS then builds its PROJ transformation again on every call: 0.55 ms a point
 *   (15.6 s for 25,568 actor × theme points). The same body in PL/pgSQL keeps the transformation
 *   for the transaction: 29 µs a point, same geometries (the generated columns are not recomputed).
 *   Every actor write and every territory seeded goes through it too.
 * - `coverage_theme_count` (430,814 rows there) was refilled through its two indexes: 10 s. The
 *   rebuild now drops them after its TRUNCATE (which already locks the table) and builds them
 *   again once the table is full: 5.4 s.
 */
export class FastGapRebuild1764000000014 implements MigrationInterface {
  name = 'FastGapRebuild1764000000014';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION gap_project(g geometry) RETURNS geometry
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = public AS $$
      DECLARE
        zone integer := gap_zone(g);
      BEGIN
        IF zone IS NULL THEN RETURN NULL; END IF;
        RETURN ST_Translate(ST_SetSRID(ST_Transform(g, zone), 0),
          1e8 * array_position(ARRAY[2154, 32620, 32621, 32622, 32738, 32740], zone), 0);
      END $$`);
    await rewrite(q, 'gap_rebuild()', [
      [
        'TRUNCATE actor_theme_key, actor_theme_point, coverage_theme_count;',
        `TRUNCATE actor_theme_key, actor_theme_point, coverage_theme_count;
         DROP INDEX coverage_theme_count_code_idx;
         ALTER TABLE coverage_theme_count DROP CONSTRAINT coverage_theme_count_pkey;`,
      ],
      [
        'ANALYZE actor_theme_key;',
        `ALTER TABLE coverage_theme_count ADD CONSTRAINT coverage_theme_count_pkey PRIMARY KEY (theme, level, code);
         CREATE INDEX coverage_theme_count_code_idx ON coverage_theme_count (level, code, theme) INCLUDE (actor_count);
         ANALYZE actor_theme_key;`,
      ],
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_rebuild()', [
      [
        `
         DROP INDEX coverage_theme_count_code_idx;
         ALTER TABLE coverage_theme_count DROP CONSTRAINT coverage_theme_count_pkey;`,
        '',
      ],
      [
        `ALTER TABLE coverage_theme_count ADD CONSTRAINT coverage_theme_count_pkey PRIMARY KEY (theme, level, code);
         CREATE INDEX coverage_theme_count_code_idx ON coverage_theme_count (level, code, theme) INCLUDE (actor_count);
         `,
        '',
      ],
    ]);
    await q.query(`
      CREATE OR REPLACE FUNCTION gap_project(g geometry) RETURNS geometry
      LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public AS $$${PROJECT_SQL}
      $$`);
  }
}
