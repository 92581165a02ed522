import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { QueryRunner } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { seedDataDir } from '../../seeds/paths.js';
import { TERRITORY_SHAPE_COLUMNS, TERRITORY_SHAPES_FILE } from '../../seeds/territories.js';
import { DISPLAY_TOLERANCE, deriveTerritoryGeometries } from '../../seeds/territory-geometry.js';
import { useTestServer } from '../helpers/server.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';

const server = useTestServer();

type Column = (typeof TERRITORY_SHAPE_COLUMNS)[number];

/** The shipped geometries (seeds/data/geo/derived), as TWKB hex, by `level:code`. */
function shipped(): Map<string, Record<Column, string | null>> {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(seedDataDir(), TERRITORY_SHAPES_FILE))).toString('utf8');
  const byKey = new Map<string, Record<Column, string | null>>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [level, code, ...values] = line.split('\t');
    byKey.set(
      `${level}:${code}`,
      Object.fromEntries(TERRITORY_SHAPE_COLUMNS.map((c, i) => [c, values[i] === '\\N' ? null : values[i].replace(/^\\\\x/, '')])) as Record<
        Column,
        string | null
      >,
    );
  }
  return byKey;
}

/** The EPCI lying wholly in the Meuse: the derivation restricted to it computes their unions in full. */
const MEUSE_EPCI = `SELECT epci_code FROM territory WHERE level = 'COMMUNE' AND epci_code IS NOT NULL GROUP BY epci_code HAVING bool_and(departement_code = '55')`;

/** The EPCI of `codesSql` whose geometry has holes, and how many. */
async function unionHoles(qr: QueryRunner, codesSql: string): Promise<{ code: string; holes: number }[]> {
  return (await qr.query(
    `SELECT code, (SELECT sum(ST_NumInteriorRings(d.geom)) FROM ST_Dump(geom) d)::int AS holes FROM territory
     WHERE level = 'EPCI' AND code IN (${codesSql}) AND EXISTS (SELECT 1 FROM ST_Dump(geom) d WHERE ST_NumInteriorRings(d.geom) > 0) ORDER BY code`,
  )) as { code: string; holes: number }[];
}

/**
 * The territories whose geometries the derivation restricted to the Meuse and Paris computes in full:
 * their communes and arrondissements, Paris, the EPCI lying wholly in the Meuse, every département and
 * région for their own boundaries (read from their files whatever the restriction), and the Meuse and
 * Paris for their maps' boundaries (merged from their communes).
 */
const COMPARED = `
  SELECT level, code, c.col FROM territory t
  CROSS JOIN unnest($1::text[]) AS c(col)
  WHERE (level IN ('COMMUNE', 'ARRONDISSEMENT') AND departement_code IN ('55', '75'))
     OR (level = 'EPCI' AND code IN (${MEUSE_EPCI}))
     OR (level IN ('DEPARTEMENT', 'REGION') AND c.col IN ('geom', 'geom_display', 'label_point'))
     OR (level = 'DEPARTEMENT' AND code IN ('55', '75'))`;

interface Difference {
  level: string;
  code: string;
  col: Column;
  /** Hausdorff distance between the shipped and the computed geometry, in degrees. */
  hausdorff: number | null;
  /** Area of their symmetric difference over the computed perimeter: how far apart their outlines lie on average, in degrees. */
  apart: number | null;
  same_parts: boolean;
  shipped_valid: boolean;
  /** Neither shipped nor computed (the COM, absent from the IGN data). */
  both_missing: boolean;
}

/**
 * Computed (the rows of `territory` in `qr`) against shipped, one row per territory and column;
 * `only`, those of one level and column.
 */
async function compare(
  qr: QueryRunner,
  shapes: Map<string, Record<Column, string | null>>,
  { shift = 0, only }: { shift?: number; only?: { level: string; col: Column } } = {},
): Promise<Difference[]> {
  const pairs = ((await qr.query(COMPARED, [TERRITORY_SHAPE_COLUMNS])) as { level: string; code: string; col: Column }[]).filter(
    (p) => !only || (p.level === only.level && p.col === only.col),
  );
  const hex = pairs.map((p) => shapes.get(`${p.level}:${p.code}`)?.[p.col] ?? null);
  const rows = (await qr.query(
    `WITH p AS (
       SELECT p.level, p.code, p.col, ST_Translate(ST_SetSRID(ST_GeomFromTWKB(decode(p.hex, 'hex')), 4326), $5, 0) AS s,
              CASE p.col WHEN 'geom' THEN t.geom WHEN 'geom_display' THEN t.geom_display WHEN 'label_point' THEN t.label_point
                         WHEN 'geom_z7' THEN t.geom_z7 WHEN 'geom_z9' THEN t.geom_z9 END AS c
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS p(level, code, col, hex)
       JOIN territory t ON t.level = p.level AND t.code = p.code)
     SELECT level, code, col,
            ST_HausdorffDistance(s, c) AS hausdorff,
            CASE WHEN ST_Dimension(c) = 2 THEN ST_Area(ST_SymDifference(s, c)) / nullif(ST_Perimeter(c), 0) END AS apart,
            ST_NumGeometries(s) IS NOT DISTINCT FROM ST_NumGeometries(c) AS same_parts,
            coalesce(ST_IsValid(s), false) AS shipped_valid, s IS NULL AND c IS NULL AS both_missing
     FROM p`,
    [pairs.map((p) => p.level), pairs.map((p) => p.code), pairs.map((p) => p.col), hex, shift],
  )) as Difference[];
  expect(rows).toHaveLength(pairs.length);
  return rows.map((r) => ({
    ...r,
    hausdorff: r.hausdorff === null ? null : Number(r.hausdorff),
    apart: r.apart === null ? null : Number(r.apart),
  }));
}

/**
 * Distance allowed between the shipped and the computed outlines, at worst (Hausdorff) and on average
 * (symmetric difference over perimeter): 1e-5° (about a metre). The shipped coordinates are rounded
 * to 1e-6° (TERRITORY_SHAPE_PRECISION), and the GEOS of the two backends may round a union differently.
 * A display copy is a simplification: its own tolerance (the GEOS of PGlite's PostGIS and that of
 * native PostgreSQL simplify the same boundary differently, each within that tolerance of it).
 */
const TOLERANCE = 1e-5;
const allowed = (d: Difference) => (d.col === 'geom_display' ? DISPLAY_TOLERANCE[d.level] : TOLERANCE);
const isOff = (d: Difference) =>
  !d.both_missing &&
  (d.hausdorff === null || !(d.hausdorff <= allowed(d)) || (d.apart !== null && !(d.apart <= allowed(d))) || !d.same_parts || !d.shipped_valid);

// The derivation of the Meuse and Paris takes seconds on a quiet machine, minutes on a loaded one.
describe('prepared territory geometries (seeds/data/geo/derived)', () => {
  it('should equal what the database computes from the source boundaries: communes, Paris, EPCI, display copies, label points, map boundaries', async () => {
    const shapes = shipped();
    const { differences, compared, computedFromScratch, holes } = await inRolledBackTransaction(server().ds, async (qr) => {
      // Everything the derivation writes, wiped: what it leaves is computed here, from the sources.
      await qr.query(`UPDATE territory SET geom = NULL, geom_display = NULL, label_point = NULL, geom_z7 = NULL, geom_z9 = NULL WHERE geom IS NOT NULL`);
      await deriveTerritoryGeometries(qr, { log: () => {}, departements: ['55', '75'] });
      const [{ n }] = (await qr.query(`SELECT count(*)::int AS n FROM territory WHERE level = 'COMMUNE' AND departement_code = '55' AND geom IS NOT NULL`)) as {
        n: number;
      }[];
      const found = await compare(qr, shapes);
      return { differences: found.filter(isOff), compared: found, computedFromScratch: n, holes: await unionHoles(qr, MEUSE_EPCI) };
    });
    expect(computedFromScratch).toBeGreaterThan(490);
    // The unions computed here keep no sliver: one hole in the EPCI of the Meuse, Othe's (see below).
    expect(holes).toEqual([{ code: '245501259', holes: 1 }]);
    // Every kind of row is there: communes, arrondissements, Paris, EPCI, départements, régions; every column.
    expect(new Set(compared.map((d) => d.level))).toEqual(new Set(['COMMUNE', 'ARRONDISSEMENT', 'EPCI', 'DEPARTEMENT', 'REGION']));
    expect(new Set(compared.map((d) => d.col))).toEqual(new Set(TERRITORY_SHAPE_COLUMNS));
    expect(compared.some((d) => d.code === '75056' && d.col === 'geom')).toBe(true);
    expect(compared.filter((d) => d.level === 'EPCI' && d.col === 'geom').length).toBeGreaterThan(5);
    expect(differences.slice(0, 10)).toEqual([]);
    expect(compared.filter((d) => !d.both_missing).length).toBeGreaterThan(2000);
  }, 600_000);

  it('should tell a geometry moved by ten metres from the computed one (what the test above relies on)', async () => {
    const shapes = shipped();
    // The communes' boundaries only: the other columns go through the same comparison.
    const polygons = await inRolledBackTransaction(server().ds, (qr) => compare(qr, shapes, { shift: 0.0001, only: { level: 'COMMUNE', col: 'geom' } }));
    expect(polygons.length).toBeGreaterThan(490);
    expect(polygons.every(isOff)).toBe(true);
  }, 300_000);

  it('should ship unions whose holes are real enclaves, not the slivers between their member communes', async () => {
    // The holes of every EPCI and EPT shipped, decoded by the database. Before 7 December 2026 there
    // were 73,834 (52 in CA du Grand Verdun), drawn as dashes inside the outlines.
    const holes = await inRolledBackTransaction(server().ds, async (qr) => {
      await qr.query(`CREATE TEMPORARY TABLE shipped_union (level text, code text, geom geometry) ON COMMIT DROP`);
      const unions = [...shipped()].filter(([key, v]) => /^(EPCI|EPT):/.test(key) && v.geom);
      await qr.query(
        `INSERT INTO shipped_union SELECT split_part(k, ':', 1), split_part(k, ':', 2), ST_SetSRID(ST_GeomFromTWKB(decode(h, 'hex')), 4326)
         FROM unnest($1::text[], $2::text[]) AS u(k, h)`,
        [unions.map(([key]) => key), unions.map(([, v]) => v.geom)],
      );
      return (await qr.query(
        `SELECT level, code, (SELECT sum(ST_NumInteriorRings(d.geom)) FROM ST_Dump(geom) d)::int AS holes FROM shipped_union
         WHERE EXISTS (SELECT 1 FROM ST_Dump(geom) d WHERE ST_NumInteriorRings(d.geom) > 0) ORDER BY level, code`,
      )) as { level: string; code: string; holes: number }[];
    });
    expect(holes).toEqual(
      [
        ['200041630', 1], // CA Ardenne Métropole: Singly
        ['200067296', 1], // CC du Nord Est Béarn: Gardères and Luquet, of the Hautes-Pyrénées
        ['200067478', 1], // CC Comtal Lot et Truyère: part of Sébazac-Concourès
        ['200067593', 1], // CC Marche et Combraille en Aquitaine: part of Saint-Alpinien
        ['200071991', 2], // CC Retz en Valois: Vauciennes, twice
        ['245501259', 1], // CC du Pays de Montmédy: Othe, of the Meurthe-et-Moselle
        ['246600399', 1], // CC Pyrénées Cerdagne: Llívia, in Spain
        ['247100647', 1], // CC Bresse Nord Intercom': Chêne-Sec, of the Jura
      ].map(([code, n]) => ({ level: 'EPCI', code, holes: n })),
    );
  });

  it('should load the shipped geometries as they are: the seeded Verdun is the shipped one', async () => {
    const verdun = shipped().get('COMMUNE:55545')!;
    const [row] = await server().ds.query<{ same: boolean; srid: number; type: string; projected: boolean }[]>(
      `SELECT ST_Equals(geom, ST_SetSRID(ST_GeomFromTWKB(decode($1, 'hex')), 4326)) AS same, ST_SRID(geom) AS srid, GeometryType(geom) AS type,
              geom_proj IS NOT NULL AS projected
       FROM territory WHERE level = 'COMMUNE' AND code = '55545'`,
      [verdun.geom],
    );
    expect(row).toEqual({ same: true, srid: 4326, type: 'MULTIPOLYGON', projected: true });
  });
});
