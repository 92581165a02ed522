import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The nearest actor of a theme, found in a local projection instead of on the sphere.
 *
 * "Distance from each commune to the nearest actor of the theme" was a geography KNN per commune:
 * every candidate the index returns is rechecked with a spherical polygon-to-point distance, which
 * made the distances most of a département's coverage map (≈ 250 ms of 340 for Pas-de-Calais on the
 * national bench). A planar KNN in metres is about three times faster. Each point and each territory
 * now also carries its geometry in the conformal projection of its part of France (`gap_zone`):
 * Lambert-93 for metropolitan France and Corsica, the WGS 84 UTM zone of each overseas
 * département and of Saint-Pierre-et-Miquelon. Their scale error stays within ±0.3 %, so the
 * nearest actor found in the projection is the nearest on the ground except between two actors
 * within 0.3 % of the same distance; the distance reported is still the geodesic one, measured
 * from that actor (server/gaps/gap.service.ts, `nearest`).
 *
 * Territories and points outside every zone (none with a boundary today) have no projection; for
 * them, and when a zone holds no actor of the theme (a theme absent from Mayotte, say), the search
 * falls back to the geography KNN over every point.
 *
 * Both columns are generated, so the triggers and `gap_rebuild()` of the gap-aggregates migration
 * stay as they are.
 */
export class ProjectedNearest1764000000012 implements MigrationInterface {
  name = 'ProjectedNearest1764000000012';

  async up(q: QueryRunner): Promise<void> {
    // Both functions name their search path: pg_restore recomputes the generated columns with an
    // empty one. The zone of a geometry is that of the centre of its bounding box (an EPSG code, used as the
    // zone's identifier too). The boxes are generous: a zone only chooses the projection.
    await q.query(`
      CREATE FUNCTION gap_zone(g geometry) RETURNS integer
      LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public AS $$
        SELECT CASE
          WHEN c.y BETWEEN 41 AND 52 AND c.x BETWEEN -6 AND 11 THEN 2154        -- métropole, Corse: Lambert-93
          WHEN c.y BETWEEN 46 AND 48 AND c.x BETWEEN -57 AND -55.5 THEN 32621   -- Saint-Pierre-et-Miquelon
          WHEN c.y BETWEEN 14 AND 19 AND c.x BETWEEN -64 AND -60 THEN 32620     -- Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy
          WHEN c.y BETWEEN 1.5 AND 6.5 AND c.x BETWEEN -55 AND -51 THEN 32622   -- Guyane
          WHEN c.y BETWEEN -22 AND -20.5 AND c.x BETWEEN 55 AND 56 THEN 32740   -- La Réunion
          WHEN c.y BETWEEN -13.5 AND -12.4 AND c.x BETWEEN 44.8 AND 45.5 THEN 32738 -- Mayotte
        END
        FROM (SELECT (ST_XMin(g) + ST_XMax(g)) / 2 AS x, (ST_YMin(g) + ST_YMax(g)) / 2 AS y) c
      $$`);
    // Projected coordinates in metres, each zone moved 100,000 km east of the previous one: one
    // planar space (SRID 0) and one (theme, proj) index hold every zone without overlap, and a
    // nearest actor from another zone is recognisable by its zone. (A zone column inside the GiST
    // index made the KNN four times slower.)
    await q.query(`
      CREATE FUNCTION gap_project(g geometry) RETURNS geometry
      LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public AS $$
        SELECT CASE WHEN z.zone IS NOT NULL THEN ST_Translate(ST_SetSRID(ST_Transform(g, z.zone), 0),
          1e8 * array_position(ARRAY[2154, 32620, 32621, 32622, 32738, 32740], z.zone), 0) END
        FROM (SELECT gap_zone(g) AS zone) z
      $$`);
    await q.query(`ALTER TABLE actor_theme_point
      ADD COLUMN zone integer GENERATED ALWAYS AS (gap_zone(geog::geometry)) STORED,
      ADD COLUMN proj geometry GENERATED ALWAYS AS (gap_project(geog::geometry)) STORED`);
    await q.query(`CREATE INDEX actor_theme_point_proj_idx ON actor_theme_point USING gist (theme, proj) WHERE proj IS NOT NULL`);
    await q.query(`ALTER TABLE territory
      ADD COLUMN zone integer GENERATED ALWAYS AS (gap_zone(geom)) STORED,
      ADD COLUMN geom_proj geometry GENERATED ALWAYS AS (gap_project(geom)) STORED`);
    await q.query(`ANALYZE actor_theme_point`);
    await q.query(`ANALYZE territory`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE territory DROP COLUMN geom_proj, DROP COLUMN zone`);
    await q.query(`DROP INDEX actor_theme_point_proj_idx`);
    await q.query(`ALTER TABLE actor_theme_point DROP COLUMN proj, DROP COLUMN zone`);
    await q.query(`DROP FUNCTION gap_project(geometry)`);
    await q.query(`DROP FUNCTION gap_zone(geometry)`);
  }
}
