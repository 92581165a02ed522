import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type { DataSource } from 'typeorm';
import { type Log, progress } from './progress.js';
import { seedDataDir } from './paths.js';
import { seedMapBoundaries } from './map-boundaries.js';
import type { TerritoryRecord } from '../server/territories/territory.entity.js';

const require = createRequire(import.meta.url);

interface CogCommune {
  code: string;
  nom: string;
  zone: 'metro' | 'drom' | 'com';
  type: 'commune-actuelle' | 'commune-deleguee' | 'commune-associee' | 'arrondissement-municipal';
  departement: string;
  region: string;
  commune?: string;
  codesPostaux?: string[];
  population?: number;
}
interface CogGroup {
  code: string;
  nom: string;
  type: string;
  populationMunicipale?: number;
  membres: { code: string; populationMunicipale?: number }[];
}
interface CogArea {
  code: string;
  nom: string;
  zone: string;
  region?: string;
}

type TerritoryInput = TerritoryRecord;

/** The membership columns of a territory with no wider one recorded (a région, the country). */
const NO_PARENT = { commune_code: null, epci_code: null, ept_code: null, departement_code: null, region_code: null } as const;

export interface LevelReport {
  total: number;
  withGeometry: number;
  withoutGeometry: number;
  /** Codes without a boundary, by zone (COM communes have none in the shipped data). */
  withoutGeometryCodes: string[];
}

export interface TerritorySeedReport {
  levels: Record<string, LevelReport>;
  /** Unions that needed a fallback method (the first one failed in GEOS). */
  unionFallbacks: string[];
  seconds: number;
}

export interface TerritorySeedOptions {
  log: Log;
  /** Load commune boundaries only for these départements (tests); all by default. */
  departements?: string[];
}

/** The COG 2026 package: every territory row, with memberships and populations. */
export function buildTerritoryRows(): TerritoryInput[] {
  const communes = require('@etalab/decoupage-administratif/data/communes.json') as CogCommune[];
  const epcis = require('@etalab/decoupage-administratif/data/epci.json') as CogGroup[];
  const epts = require('@etalab/decoupage-administratif/data/ept.json') as CogGroup[];
  const departements = require('@etalab/decoupage-administratif/data/departements.json') as CogArea[];
  const regions = require('@etalab/decoupage-administratif/data/regions.json') as CogArea[];

  const epciOf = new Map<string, string>();
  for (const e of epcis) for (const m of e.membres) epciOf.set(m.code, e.code);
  const eptOf = new Map<string, string>();
  for (const e of epts) for (const m of e.membres) eptOf.set(m.code, e.code);

  const current = communes.filter((c) => c.type === 'commune-actuelle');
  const byCode = new Map(current.map((c) => [c.code, c]));
  const rows: TerritoryInput[] = [];
  const popByDep = new Map<string, number>();
  const popByReg = new Map<string, number>();

  for (const c of current) {
    const pop = c.population ?? null;
    popByDep.set(c.departement, (popByDep.get(c.departement) ?? 0) + (pop ?? 0));
    popByReg.set(c.region, (popByReg.get(c.region) ?? 0) + (pop ?? 0));
    rows.push({
      level: 'COMMUNE',
      code: c.code,
      name: c.nom,
      kind: c.zone,
      population: pop,
      postal_codes: c.codesPostaux ?? [],
      commune_code: null,
      epci_code: epciOf.get(c.code) ?? null,
      ept_code: eptOf.get(c.code) ?? null,
      departement_code: c.departement,
      region_code: c.region,
    });
  }
  for (const a of communes.filter((c) => c.type === 'arrondissement-municipal')) {
    const parent = byCode.get(a.commune!);
    rows.push({
      level: 'ARRONDISSEMENT',
      code: a.code,
      name: a.nom,
      kind: a.zone,
      population: a.population ?? null,
      postal_codes: a.codesPostaux ?? [],
      commune_code: a.commune ?? null,
      epci_code: parent ? (epciOf.get(parent.code) ?? null) : null,
      ept_code: parent ? (eptOf.get(parent.code) ?? null) : null,
      departement_code: a.departement,
      region_code: a.region,
    });
  }
  // An intercommunality may straddle départements: its département is the one holding most of its population.
  const mainDepartement = (g: CogGroup) => {
    const pops = new Map<string, number>();
    for (const m of g.membres) {
      const c = byCode.get(m.code);
      if (c) pops.set(c.departement, (pops.get(c.departement) ?? 0) + (m.populationMunicipale ?? c.population ?? 0));
    }
    const [dep] = [...pops.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [null];
    return dep;
  };
  const depRegion = new Map(departements.map((d) => [d.code, d.region ?? null]));
  const mgp = epcis.find((e) => e.type === 'METRO' && e.membres.some((m) => m.code === '75056'));
  for (const [level, groups] of [
    ['EPCI', epcis],
    ['EPT', epts],
  ] as const) {
    for (const g of groups) {
      const dep = mainDepartement(g);
      const population = g.membres.reduce((s, m) => s + (m.populationMunicipale ?? byCode.get(m.code)?.population ?? 0), 0);
      rows.push({
        level,
        code: g.code,
        name: g.nom,
        kind: g.type || level,
        population,
        postal_codes: [],
        commune_code: null,
        // Every EPT lies inside the Métropole du Grand Paris.
        epci_code: level === 'EPT' ? (mgp?.code ?? null) : null,
        ept_code: null,
        departement_code: dep,
        region_code: dep ? (depRegion.get(dep) ?? null) : null,
      });
    }
  }
  for (const d of departements) {
    rows.push({
      level: 'DEPARTEMENT',
      code: d.code,
      name: d.nom,
      kind: d.zone,
      population: popByDep.get(d.code) ?? null,
      postal_codes: [],
      commune_code: null,
      epci_code: null,
      ept_code: null,
      departement_code: null,
      region_code: d.region ?? null,
    });
  }
  for (const r of regions) {
    rows.push({
      level: 'REGION',
      code: r.code,
      name: r.nom,
      kind: r.zone,
      population: popByReg.get(r.code) ?? null,
      postal_codes: [],
      ...NO_PARENT,
    });
  }
  rows.push({
    level: 'PAYS',
    code: 'FR',
    name: 'France',
    kind: null,
    population: [...popByReg.values()].reduce((a, b) => a + b, 0),
    postal_codes: [],
    ...NO_PARENT,
  });
  return rows;
}

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

/** Display tolerance (degrees) per level: about 50 m for communes to 500 m for régions. */
const DISPLAY_TOLERANCE: Record<string, number> = {
  ARRONDISSEMENT: 0.0003,
  COMMUNE: 0.0005,
  EPT: 0.0008,
  EPCI: 0.001,
  DEPARTEMENT: 0.002,
  REGION: 0.004,
};

/**
 * Loads the official territories (COG 2026 from @etalab/decoupage-administratif) and their
 * boundaries (IGN ADMIN EXPRESS COG 2025, shipped in seeds/data/geo). Idempotent: rows are
 * upserted only when they differ, so a second run changes nothing.
 */
export async function seedTerritories(ds: DataSource, options: TerritorySeedOptions): Promise<TerritorySeedReport> {
  const { log } = options;
  const started = Date.now();
  const rows = buildTerritoryRows();

  const upsert = progress('Territoires (COG 2026)', rows.length, log);
  for (const batch of chunk(rows, 2000)) {
    await ds.query(
      `INSERT INTO territory AS t (level, code, name, kind, population, postal_codes, commune_code, epci_code, ept_code, departement_code, region_code)
       SELECT level, code, name, kind, population, postal_codes, commune_code, epci_code, ept_code, departement_code, region_code
       FROM json_to_recordset($1::json) AS r(level text, code text, name text, kind text, population int, postal_codes text[],
            commune_code text, epci_code text, ept_code text, departement_code text, region_code text)
       ON CONFLICT (level, code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, population = EXCLUDED.population,
         postal_codes = EXCLUDED.postal_codes, commune_code = EXCLUDED.commune_code, epci_code = EXCLUDED.epci_code,
         ept_code = EXCLUDED.ept_code, departement_code = EXCLUDED.departement_code, region_code = EXCLUDED.region_code
       WHERE (t.name, t.kind, t.population, t.postal_codes, t.commune_code, t.epci_code, t.ept_code, t.departement_code, t.region_code)
         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.population, EXCLUDED.postal_codes, EXCLUDED.commune_code,
           EXCLUDED.epci_code, EXCLUDED.ept_code, EXCLUDED.departement_code, EXCLUDED.region_code)`,
      [JSON.stringify(batch)],
    );
    upsert.tick(batch.length);
  }
  upsert.done();

  // Commune and arrondissement boundaries, région file by région file.
  const geoDir = path.join(seedDataDir(), 'geo');
  const files = fs
    .readdirSync(path.join(geoDir, 'communes'))
    .filter((f) => f.endsWith('.geojson.gz'))
    .sort();
  const wanted = options.departements ? new Set(options.departements) : null;
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
    await ds.query(
      `UPDATE territory t SET geom = n.geom
       FROM (SELECT f.level, f.code, ${VALID_MULTIPOLYGON('f.g::text')} AS geom
             FROM json_to_recordset($1::json) AS f(level text, code text, g json)) n
       WHERE t.level = n.level AND t.code = n.code AND ST_AsEWKB(t.geom) IS DISTINCT FROM ST_AsEWKB(n.geom)`,
      [JSON.stringify(batch)],
    );
    shapes.tick(batch.length);
  }
  shapes.done();
  const missing: { level: string; code: string }[] = await ds.query(
    `SELECT t.level, t.code FROM territory t JOIN unnest($1::text[], $2::text[]) AS k(level, code)
       ON t.level = k.level AND t.code = k.code WHERE t.geom IS NULL`,
    [features.map((f) => f.level), features.map((f) => f.code)],
  );
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
    await ds.query(
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
    const groups: { code: string }[] = await ds.query(
      `SELECT DISTINCT c.${u.column} AS code FROM territory c
       WHERE c.level = $1 AND c.${u.column} IS NOT NULL AND c.geom IS NOT NULL ORDER BY 1`,
      [u.memberLevel],
    );
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
      await ds.query(unionSql(UNION_METHODS[0]), [batch, u.memberLevel, u.level]);
      bar.tick(batch.length);
    }
    bar.done();
    // Check every union, and retry the failed ones one by one with the next methods.
    for (const method of UNION_METHODS.slice(1)) {
      const failed: { code: string }[] = await ds.query(
        `SELECT code FROM territory WHERE level = $1 AND code = ANY($2::text[]) AND (geom IS NULL OR ST_IsEmpty(geom))`,
        [u.level, groups.map((g) => g.code)],
      );
      for (const { code } of failed) {
        unionFallbacks.push(`${u.level}:${code}`);
        await ds.query(unionSql(method), [[code], u.memberLevel, u.level]);
      }
    }
  }

  // Display copies and label points, checked below like everything derived from geometry.
  for (const [level, tolerance] of Object.entries(DISPLAY_TOLERANCE)) {
    await ds.query(
      `UPDATE territory SET geom_display = n.d, label_point = n.p
       FROM (SELECT code, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SimplifyPreserveTopology(geom, $2)), 3)) AS d,
                    ST_PointOnSurface(geom) AS p
             FROM territory WHERE level = $1 AND geom IS NOT NULL) n
       WHERE territory.level = $1 AND territory.code = n.code
         AND (ST_AsEWKB(territory.geom_display) IS DISTINCT FROM ST_AsEWKB(n.d) OR territory.label_point IS NULL)`,
      [level, tolerance],
    );
    // A failed GEOS call leaves rows untouched on PGlite: fall back to the full geometry for them.
    await ds.query(
      `UPDATE territory SET geom_display = geom, label_point = COALESCE(label_point, ST_Centroid(geom))
       WHERE level = $1 AND geom IS NOT NULL AND (geom_display IS NULL OR label_point IS NULL OR ST_IsEmpty(geom_display))`,
      [level],
    );
  }
  log(`  Contours simplifiés pour l'affichage : ${Object.keys(DISPLAY_TOLERANCE).length} niveaux`);
  // Maps of a région or a département: borders shared with the neighbours, simplified once.
  await seedMapBoundaries(ds, { log, departements: options.departements });

  const counts: { level: string; total: string; with_geom: string; without: string[] | null }[] = await ds.query(
    `SELECT level, count(*) AS total, count(geom) AS with_geom,
            (array_agg(code ORDER BY code) FILTER (WHERE geom IS NULL)) AS without
     FROM territory GROUP BY level`,
  );
  const levels: Record<string, LevelReport> = {};
  for (const c of counts) {
    levels[c.level] = {
      total: Number(c.total),
      withGeometry: Number(c.with_geom),
      withoutGeometry: Number(c.total) - Number(c.with_geom),
      withoutGeometryCodes: c.without ?? [],
    };
  }
  return { levels, unionFallbacks, seconds: (Date.now() - started) / 1000 };
}
