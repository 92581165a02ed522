import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `gap_zone(geometry)` becomes an SQL-standard function (`RETURN …`) without a search path of its
 * own: PostgreSQL inlines it into the expression that calls it (issue 17: the first start within a
 * minute).
 *
 * Migration 1764000000012 wrote it as an SQL function with `SET search_path = public`, so that
 * pg_restore, which recomputes generated columns with an empty search path, finds PostGIS. A
 * function with a SET clause is never inlined: each call ran the SQL function executor and set the
 * search path, and the territory seed calls it twice a row (`zone`, and `gap_project` for
 * `geom_proj`). Measured on the embedded database, inserting the 36,416 territories of the seed into
 * a copy of the table: 1.4 s without the generated columns, 6.0 s with them, 3.1 s with this
 * `gap_zone` (same zone and projected geometry for every territory).
 *
 * An SQL-standard body is parsed when the function is created: the PostGIS functions it calls are
 * bound then (and recorded as its dependencies), whatever the search path of a later call. The
 * zones and their order are those of migration 1764000000012: the zone of a geometry is that of the
 * centre of its bounding box.
 */
const ZONES: [epsg: number, ymin: number, ymax: number, xmin: number, xmax: number, where: string][] = [
  [2154, 41, 52, -6, 11, 'métropole, Corse: Lambert-93'],
  [32621, 46, 48, -57, -55.5, 'Saint-Pierre-et-Miquelon'],
  [32620, 14, 19, -64, -60, 'Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy'],
  [32622, 1.5, 6.5, -55, -51, 'Guyane'],
  [32740, -22, -20.5, 55, 56, 'La Réunion'],
  [32738, -13.5, -12.4, 44.8, 45.5, 'Mayotte'],
];

const Y = '(public.st_ymin(g) + public.st_ymax(g)) / 2';
const X = '(public.st_xmin(g) + public.st_xmax(g)) / 2';

const INLINED = `
  CREATE OR REPLACE FUNCTION gap_zone(g geometry) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
${ZONES.map(([epsg, y0, y1, x0, x1]) => `    WHEN ${Y} BETWEEN ${y0} AND ${y1} AND ${X} BETWEEN ${x0} AND ${x1} THEN ${epsg}`).join('\n')}
  END`;

const WITH_SEARCH_PATH = `
  CREATE OR REPLACE FUNCTION gap_zone(g geometry) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public AS $$
    SELECT CASE
${ZONES.map(([epsg, y0, y1, x0, x1, where]) => `      WHEN c.y BETWEEN ${y0} AND ${y1} AND c.x BETWEEN ${x0} AND ${x1} THEN ${epsg} -- ${where}`).join('\n')}
    END
    FROM (SELECT (ST_XMin(g) + ST_XMax(g)) / 2 AS x, (ST_YMin(g) + ST_YMax(g)) / 2 AS y) c
  $$`;

export class InlinedZone1764000000033 implements MigrationInterface {
  name = 'InlinedZone1764000000033';

  async up(q: QueryRunner): Promise<void> {
    await q.query(INLINED);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(WITH_SEARCH_PATH);
  }
}
