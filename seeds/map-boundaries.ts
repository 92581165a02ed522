import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { merge } from 'topojson-client';
import type { MultiPolygon, Polygon, Topology } from 'topojson-specification';
import type { Queryable } from '../server/db/sql.js';
import { MAP_GEOMETRY_COLUMNS, type MapZoom } from '../server/territories/map-geometry.js';
import { COMMUNES_OBJECT, MAP_BOUNDARY_FILES } from './prepare-map-boundaries.js';
import { seedDataDir } from './paths.js';
import type { Log } from './progress.js';

interface Member {
  level: 'COMMUNE' | 'ARRONDISSEMENT';
  code: string;
  commune_code: string | null;
  epci_code: string | null;
  ept_code: string | null;
  departement_code: string | null;
  region_code: string | null;
}

/** The wider levels, each merged from the communes that the COG puts in it. */
const GROUPS = [
  { level: 'EPCI', column: 'epci_code' },
  { level: 'EPT', column: 'ept_code' },
  { level: 'DEPARTEMENT', column: 'departement_code' },
  { level: 'REGION', column: 'region_code' },
] as const;

const chunk = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * The boundaries of the maps, one column per zoom (`geom_z7`, `geom_z9`), from the topologies
 * prepared by seeds/prepare-map-boundaries.ts: communes and arrondissements as they are there,
 * and every wider territory (Paris, Lyon and Marseille, EPCI, EPT, département, région) merged
 * from its communes' shared borders, so that neighbours keep touching at every level. A territory
 * absent from the topologies (boundaries not loaded, COM) keeps its display geometry; rows already
 * right are left untouched, so that a second seed rewrites nothing.
 */
export async function seedMapBoundaries(ds: Queryable, { log, departements }: { log: Log; departements?: string[] }): Promise<void> {
  // In a fixed order: a merge's rings start where its first piece does, and a new order would rewrite rows.
  const members = (await ds.query(
    `SELECT level, code, commune_code, epci_code, ept_code, departement_code, region_code
     FROM territory WHERE level IN ('COMMUNE', 'ARRONDISSEMENT') AND geom IS NOT NULL ORDER BY level, code`,
  )) as Member[];
  const wanted = departements ? new Set(departements) : null;
  const loaded = members.filter((m) => !wanted || (m.departement_code !== null && wanted.has(m.departement_code)));
  for (const zoom of Object.keys(MAP_BOUNDARY_FILES).map(Number) as MapZoom[]) {
    const topology = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(seedDataDir(), MAP_BOUNDARY_FILES[zoom]))).toString('utf8')) as Topology;
    const object = topology.objects[COMMUNES_OBJECT];
    if (object.type !== 'GeometryCollection') throw new Error(`${MAP_BOUNDARY_FILES[zoom]}: no « ${COMMUNES_OBJECT} » collection`);
    // A commune that mapshaper's cleaning left empty (nothing of its own) is not there.
    const byCode = new Map(
      object.geometries.flatMap((g) => (g.type === 'Polygon' || g.type === 'MultiPolygon' ? [[String(g.id), g as Polygon | MultiPolygon] as const] : [])),
    );
    // A commune's pieces: itself, or its arrondissements (Paris, Lyon, Marseille).
    const pieces = new Map<string, (Polygon | MultiPolygon)[]>();
    for (const m of loaded) {
      const g = byCode.get(m.code);
      if (!g) continue;
      pieces.set(m.code, [g]);
      if (m.level === 'ARRONDISSEMENT' && m.commune_code) pieces.set(m.commune_code, [...(pieces.get(m.commune_code) ?? []), g]);
    }
    const rows: { level: string; code: string; g: GeoJSON.Geometry }[] = [];
    for (const m of loaded) {
      const g = byCode.get(m.code);
      if (g) rows.push({ level: m.level, code: m.code, g: merge(topology, [g]) });
    }
    const cities = new Set(loaded.filter((m) => m.level === 'ARRONDISSEMENT' && m.commune_code).map((m) => m.commune_code!));
    for (const city of cities) rows.push({ level: 'COMMUNE', code: city, g: merge(topology, pieces.get(city)!) });
    for (const { level, column } of GROUPS) {
      const groups = new Map<string, (Polygon | MultiPolygon)[]>();
      for (const m of loaded) {
        const key = m[column];
        if (m.level === 'COMMUNE' && key && pieces.has(m.code)) groups.set(key, [...(groups.get(key) ?? []), ...pieces.get(m.code)!]);
      }
      for (const [code, objects] of groups) rows.push({ level, code, g: merge(topology, objects) });
    }
    const column = MAP_GEOMETRY_COLUMNS[zoom];
    for (const batch of chunk(rows, 500)) {
      await ds.query(
        `UPDATE territory t SET ${column} = n.g
         FROM (SELECT f.level, f.code, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(f.g::text), 4326)), 3)) AS g
               FROM json_to_recordset($1::json) AS f(level text, code text, g json)) n
         WHERE t.level = n.level AND t.code = n.code AND NOT ST_IsEmpty(n.g) AND ST_AsEWKB(t.${column}) IS DISTINCT FROM ST_AsEWKB(n.g)`,
        [JSON.stringify(batch)],
      );
    }
    // Territories the topology does not hold, or whose repair failed (PGlite answers a GEOS
    // failure with no row): their display geometry, so that none goes missing from the maps.
    await ds.query(
      `UPDATE territory SET ${column} = coalesce(geom_display, geom)
       WHERE geom IS NOT NULL AND (${column} IS NULL OR ST_IsEmpty(${column}))`,
    );
    const [{ missing }] = (await ds.query(
      `SELECT count(*) AS missing FROM territory WHERE geom IS NOT NULL AND (${column} IS NULL OR ST_IsEmpty(${column}))`,
    )) as { missing: string }[];
    if (Number(missing) > 0) throw new Error(`${missing} territories without a zoom-${zoom} map boundary`);
    log(`  Contours des cartes (zoom ${zoom}, frontières partagées simplifiées une fois) : ${rows.length}`);
  }
}
