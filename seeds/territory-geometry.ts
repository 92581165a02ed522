import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Queryable } from '../server/db/sql.js';
import { seedMapBoundaries } from './map-boundaries.js';
import { seedDataDir } from './paths.js';
import { type Log, progress } from './progress.js';

/*
 * How the geometries of the territories are derived from the source boundaries (seeds/data/geo):
 * repaired commune, département and région boundaries, Paris, Lyon and Marseille from their
 * arrondissements, every EPCI and EPT from its member communes, the simplified copies for display
 * and the label points, and the maps' boundaries with shared borders (seeds/map-boundaries.ts).
 * This ran at every first start (more than a minute of GEOS on PGlite); it now runs when the data
 * is prepared (`npm run prepare:territories`, seeds/prepare-territories.ts), whose result the seed
 * loads as it is, and in test/integration/territory-shapes.test.ts, which checks that the shipped
 * result equals what the database computes from the sources.
 */

function readGeoJson(file: string): GeoJSON.FeatureCollection {
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as GeoJSON.FeatureCollection;
}

const chunk = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const ARRONDISSEMENT = /^(751\d{2}|6938\d|132\d{2})$/;

/** Repairs a GeoJSON geometry into a valid MultiPolygon, 4326. */
const VALID_MULTIPOLYGON = (expr: string) => `ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${expr}), 4326)), 3))`;

/**
 * Ways to union member polygons, tried in order. On PGlite a GEOS failure yields no row rather
 * than an error, so every union is checked and retried with the next method.
 */
const UNION_METHODS = [
  `ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(c.geom, 0.000001)), 3))`,
  `ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Buffer(ST_Collect(c.geom), 0)), 3))`,
  `ST_Multi(ST_CollectionExtract(ST_Collect(c.geom), 3))`,
];

/**
 * Removes the slivers from the unions of `level` (EPCI, EPT, Paris/Lyon/Marseille): the member
 * boundaries shipped were simplified département by département (seeds/data/README.md), so two
 * neighbours do not always meet exactly, and the union kept the thin gaps between them as holes.
 * On 7 December 2026, 73,701 holes in 1,227 of the 1,255 EPCI (and 133 in the 11 EPT), drawn as
 * dashes inside the outline on an actor's map, and shipped in the exports. A hole is kept when it is
 * a real enclave:
 * - at least half of it lies in communes outside the group (Gardères and Luquet, of the
 *   Hautes-Pyrénées, inside CC du Nord Est Béarn; 8 holes of 1 ha or more);
 * - or it is 1 km² or more: Llívia, a Spanish town inside CC Pyrénées Cerdagne, is in no commune.
 * Every other hole was 12 ha at most and at least half outside any other commune.
 * Removing holes leaves a valid polygon valid. `column` names the members' group (epci_code…); $1 is
 * the level, $2 the codes of the unions (the source boundaries of the other communes keep their holes).
 */
const dropSliverHoles = (column: string) => `
  UPDATE territory p SET geom = n.geom
  FROM (SELECT p.code, ST_Multi(ST_Collect(ARRAY(
          SELECT ST_MakePolygon(ST_ExteriorRing(d.geom), ARRAY(
                   SELECT h.ring
                   FROM generate_series(1, ST_NumInteriorRings(d.geom)) AS i,
                        LATERAL (SELECT ST_InteriorRingN(d.geom, i) AS ring, ST_MakePolygon(ST_InteriorRingN(d.geom, i)) AS hole) h,
                        LATERAL (SELECT ST_Area(h.hole::geography) AS m2) a
                   WHERE a.m2 >= 1e6
                      OR (a.m2 >= 1e4 AND (SELECT coalesce(sum(ST_Area(ST_Intersection(c.geom, h.hole))), 0) FROM territory c
                                           WHERE c.level = 'COMMUNE' AND c.code <> p.code AND c.${column} IS DISTINCT FROM p.code
                                             AND c.geom && h.hole) >= 0.5 * ST_Area(h.hole))
                   ORDER BY i))
          FROM ST_Dump(p.geom) d ORDER BY d.path))) AS geom
        FROM territory p WHERE p.level = $1 AND p.code = ANY($2::text[]) AND p.geom IS NOT NULL
          AND EXISTS (SELECT 1 FROM ST_Dump(p.geom) d WHERE ST_NumInteriorRings(d.geom) > 0)) n
  WHERE p.level = $1 AND p.code = n.code AND NOT ST_IsEmpty(n.geom) AND ST_AsEWKB(p.geom) IS DISTINCT FROM ST_AsEWKB(n.geom)`;

/** Display tolerance (degrees) per level: about 50 m for communes to 500 m for régions. */
export const DISPLAY_TOLERANCE: Record<string, number> = {
  ARRONDISSEMENT: 0.0003,
  COMMUNE: 0.0005,
  EPT: 0.0008,
  EPCI: 0.001,
  DEPARTEMENT: 0.002,
  REGION: 0.004,
};

/**
 * Derives every geometry of the territories rows already in `territory` (their attributes loaded):
 * of all of France, or of the communes of `departements` and the groups made of them. Returns the
 * unions that needed a fallback method.
 */
export async function deriveTerritoryGeometries(db: Queryable, { log, departements }: { log: Log; departements?: string[] }): Promise<string[]> {
  // Commune and arrondissement boundaries, région file by région file.
  const geoDir = path.join(seedDataDir(), 'geo');
  const files = fs
    .readdirSync(path.join(geoDir, 'communes'))
    .filter((f) => f.endsWith('.geojson.gz'))
    .sort();
  const wanted = departements ? new Set(departements) : null;
  const depOf = (code: string) => (code.startsWith('97') ? code.slice(0, 3) : code.slice(0, 2));
  const features: { level: string; code: string; g: GeoJSON.Geometry }[] = [];
  for (const file of files) {
    for (const f of readGeoJson(path.join(geoDir, 'communes', file)).features) {
      const code = String(f.properties?.code);
      if (wanted && !wanted.has(depOf(code))) continue;
      features.push({ level: ARRONDISSEMENT.test(code) ? 'ARRONDISSEMENT' : 'COMMUNE', code, g: f.geometry });
    }
  }
  const shapes = progress('Contours des communes (IGN)', features.length, log);
  for (const batch of chunk(features, 1000)) {
    await db.query(
      `UPDATE territory t SET geom = n.geom
       FROM (SELECT f.level, f.code, ${VALID_MULTIPOLYGON('f.g::text')} AS geom
             FROM json_to_recordset($1::json) AS f(level text, code text, g json)) n
       WHERE t.level = n.level AND t.code = n.code AND ST_AsEWKB(t.geom) IS DISTINCT FROM ST_AsEWKB(n.geom)`,
      [JSON.stringify(batch)],
    );
    shapes.tick(batch.length);
  }
  shapes.done();
  const missing = (await db.query(
    `SELECT t.level, t.code FROM territory t JOIN unnest($1::text[], $2::text[]) AS k(level, code)
       ON t.level = k.level AND t.code = k.code WHERE t.geom IS NULL`,
    [features.map((f) => f.level), features.map((f) => f.code)],
  )) as { level: string; code: string }[];
  if (missing.length > 0) {
    throw new Error(
      `${missing.length} boundaries could not be loaded: ${missing
        .slice(0, 10)
        .map((m) => m.code)
        .join(', ')}`,
    );
  }

  // Départements and régions: IGN generalised shapes.
  for (const [level, file] of [
    ['DEPARTEMENT', 'departements.geojson.gz'],
    ['REGION', 'regions.geojson.gz'],
  ] as const) {
    const feats = readGeoJson(path.join(geoDir, file)).features.map((f) => ({ code: String(f.properties?.code), g: f.geometry }));
    await db.query(
      `UPDATE territory t SET geom = n.geom
       FROM (SELECT f.code, ${VALID_MULTIPOLYGON('f.g::text')} AS geom FROM json_to_recordset($1::json) AS f(code text, g json)) n
       WHERE t.level = $2 AND t.code = n.code AND ST_AsEWKB(t.geom) IS DISTINCT FROM ST_AsEWKB(n.geom)`,
      [JSON.stringify(feats), level],
    );
    log(`  Contours des ${level === 'REGION' ? 'régions' : 'départements'} : ${feats.length}`);
  }

  // Paris, Lyon, Marseille from their arrondissements; EPCI and EPT from their member communes.
  const unionFallbacks: string[] = [];
  const unions: { level: string; memberLevel: string; column: string }[] = [
    { level: 'COMMUNE', memberLevel: 'ARRONDISSEMENT', column: 'commune_code' },
    { level: 'EPCI', memberLevel: 'COMMUNE', column: 'epci_code' },
    { level: 'EPT', memberLevel: 'COMMUNE', column: 'ept_code' },
  ];
  for (const u of unions) {
    const groups = (await db.query(
      `SELECT DISTINCT c.${u.column} AS code FROM territory c
       WHERE c.level = $1 AND c.${u.column} IS NOT NULL AND c.geom IS NOT NULL ORDER BY 1`,
      [u.memberLevel],
    )) as { code: string }[];
    const label = { COMMUNE: 'Paris, Lyon, Marseille (arrondissements)', EPCI: 'Contours des EPCI (union)', EPT: 'Contours des EPT (union)' }[u.level]!;
    const bar = progress(label, groups.length, log);
    const unionSql = (method: string) =>
      `UPDATE territory p SET geom = n.geom
       FROM (SELECT c.${u.column} AS code, ${method} AS geom FROM territory c
             WHERE c.level = $2 AND c.${u.column} = ANY($1::text[]) AND c.geom IS NOT NULL GROUP BY c.${u.column}) n
       WHERE p.level = $3 AND p.code = n.code AND NOT ST_IsEmpty(n.geom)
         AND ST_AsEWKB(p.geom) IS DISTINCT FROM ST_AsEWKB(n.geom)`;
    for (const batch of chunk(
      groups.map((g) => g.code),
      25,
    )) {
      await db.query(unionSql(UNION_METHODS[0]), [batch, u.memberLevel, u.level]);
      bar.tick(batch.length);
    }
    bar.done();
    // Check every union, and retry the failed ones one by one with the next methods.
    for (const method of UNION_METHODS.slice(1)) {
      const failed = (await db.query(`SELECT code FROM territory WHERE level = $1 AND code = ANY($2::text[]) AND (geom IS NULL OR ST_IsEmpty(geom))`, [
        u.level,
        groups.map((g) => g.code),
      ])) as { code: string }[];
      for (const { code } of failed) {
        unionFallbacks.push(`${u.level}:${code}`);
        await db.query(unionSql(method), [[code], u.memberLevel, u.level]);
      }
    }
    await db.query(dropSliverHoles(u.column), [u.level, groups.map((g) => g.code)]);
  }

  // Display copies and label points, checked below like everything derived from geometry.
  for (const [level, tolerance] of Object.entries(DISPLAY_TOLERANCE)) {
    await db.query(
      `UPDATE territory SET geom_display = n.d, label_point = n.p
       FROM (SELECT code, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SimplifyPreserveTopology(geom, $2)), 3)) AS d,
                    ST_PointOnSurface(geom) AS p
             FROM territory WHERE level = $1 AND geom IS NOT NULL) n
       WHERE territory.level = $1 AND territory.code = n.code
         AND (ST_AsEWKB(territory.geom_display) IS DISTINCT FROM ST_AsEWKB(n.d) OR territory.label_point IS NULL)`,
      [level, tolerance],
    );
    // A failed GEOS call leaves rows untouched on PGlite: fall back to the full geometry for them.
    await db.query(
      `UPDATE territory SET geom_display = geom, label_point = COALESCE(label_point, ST_Centroid(geom))
       WHERE level = $1 AND geom IS NOT NULL AND (geom_display IS NULL OR label_point IS NULL OR ST_IsEmpty(geom_display))`,
      [level],
    );
  }
  log(`  Contours simplifiés pour l'affichage : ${Object.keys(DISPLAY_TOLERANCE).length} niveaux`);
  // Maps of a région or a département: borders shared with the neighbours, simplified once.
  await seedMapBoundaries(db, { log, departements });

  return unionFallbacks;
}
