import type { MigrationInterface, QueryRunner } from 'typeorm';
import { FILL_REGION_MAP_GEOMETRY } from '../server/territories/map-geometry.js';

/**
 * `territory.geom_z7`: boundaries simplified once for maps of a whole région (zoom ≤ 7), instead
 * of at each request (server/territories/map-geometry.ts). The territory seed fills it for new
 * boundaries; this fills it for those already loaded.
 */
export class RegionMapGeometry1764000000013 implements MigrationInterface {
  name = 'RegionMapGeometry1764000000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE territory ADD COLUMN geom_z7 geometry(MultiPolygon, 4326)`);
    for (const sql of FILL_REGION_MAP_GEOMETRY) await q.query(sql, [null]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE territory DROP COLUMN geom_z7`);
  }
}
