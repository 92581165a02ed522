import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `territory.geom_z9`: boundaries for maps of a département (zoom 8 and 9). Like `geom_z7`, they
 * come from a topology whose shared borders are simplified once (seeds/prepare-map-boundaries.ts),
 * written by the territory seed: simplifying each boundary at each request left white slivers
 * between communes. Until the seed runs, the display geometry stands in.
 */
export class DepartementMapGeometry1764000000024 implements MigrationInterface {
  name = 'DepartementMapGeometry1764000000024';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE territory ADD COLUMN geom_z9 geometry(MultiPolygon, 4326)`);
    await q.query(`UPDATE territory SET geom_z9 = coalesce(geom_display, geom) WHERE geom IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE territory DROP COLUMN geom_z9`);
  }
}
