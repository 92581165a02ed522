/**
 * Geometries stored for maps of a whole région (web-map zoom ≤ 7). Simplifying 5,000 commune
 * boundaries at each request took about 180 ms of the Grand Est coverage map; stored once, it is
 * a column read.
 */
export const REGION_MAP_ZOOM = 7;

/** Half a pixel of a 256-px web-map tile at this zoom, in degrees: the simplification tolerance of maps. */
export const halfPixelDegrees = (zoom: number) => 360 / 256 / 2 ** zoom / 2;

/**
 * Fills `geom_z7` for the territories of one level (`$1`, or every level when null): the boundary
 * simplified without self-intersections, repaired and kept as polygons; where GEOS fails (PGlite
 * then returns nothing, see TOOLCHAIN), the display geometry, so that no territory goes missing.
 * Rows already right are left untouched, so that a forced re-seed rewrites nothing.
 */
export const FILL_REGION_MAP_GEOMETRY = [
  `UPDATE territory SET geom_z7 = n.g
   FROM (SELECT level, code, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SimplifyPreserveTopology(geom, ${halfPixelDegrees(REGION_MAP_ZOOM)})), 3)) AS g
         FROM territory WHERE geom IS NOT NULL AND ($1::text IS NULL OR level = $1)) n
   WHERE territory.level = n.level AND territory.code = n.code AND ST_AsEWKB(territory.geom_z7) IS DISTINCT FROM ST_AsEWKB(n.g)`,
  `UPDATE territory SET geom_z7 = coalesce(geom_display, geom)
   WHERE geom IS NOT NULL AND ($1::text IS NULL OR level = $1) AND (geom_z7 IS NULL OR ST_IsEmpty(geom_z7))`,
];

/** The zooms with boundaries stored for maps: région maps (7) and département maps (9). */
export type MapZoom = 7 | 9;

/** The column of each zoom's boundaries, prepared with shared borders simplified once (seeds/map-boundaries.ts). */
export const MAP_GEOMETRY_COLUMNS: Record<MapZoom, 'geom_z7' | 'geom_z9'> = { 7: 'geom_z7', 9: 'geom_z9' };

/** Deepest zoom served from the stored boundaries; deeper maps simplify the full boundary at each request. */
export const DEPARTEMENT_MAP_ZOOM = 9;
