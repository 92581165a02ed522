import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { copyChunks, copyIn, copyRows } from './copy.js';
import type { Log } from './progress.js';
import { seedDataDir } from './paths.js';
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
  seconds: number;
}

export interface TerritorySeedOptions {
  log: Log;
  /** Load commune boundaries only for these départements (tests); all by default. */
  departements?: string[];
  /**
   * The prepared geometries to load (TERRITORY_SHAPES_FILE by default); `null`: none, only the
   * territories' attributes (the preparation itself, seeds/prepare-territories.ts).
   */
  shapesFile?: string | null;
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

/**
 * The geometries of every territory, derived from seeds/data/geo once, when the data is prepared
 * (seeds/prepare-territories.ts, seeds/territory-geometry.ts): one line per territory in COPY's text
 * format, gzip-compressed. Each geometry is TWKB (hex), at TERRITORY_SHAPE_PRECISION decimals.
 */
export const TERRITORY_SHAPES_FILE = path.join('geo', 'derived', 'territoires.tsv.gz');

/** The columns of TERRITORY_SHAPES_FILE, in order (after `level` and `code`). */
export const TERRITORY_SHAPE_COLUMNS = ['geom', 'geom_display', 'label_point', 'geom_z7', 'geom_z9'] as const;

/**
 * Decimals of degrees kept per column: 1e-6° (≈ 0.1 m) is the grid of the unions (ST_Union's grid
 * size), and the source boundaries have 5 decimals, so the boundaries keep every vertex as computed;
 * 7 for the label points.
 */
export const TERRITORY_SHAPE_PRECISION: Record<(typeof TERRITORY_SHAPE_COLUMNS)[number], number> = {
  geom: 6,
  geom_display: 6,
  label_point: 7,
  geom_z7: 6,
  geom_z9: 6,
};

const ATTRIBUTES = [
  'level',
  'code',
  'name',
  'kind',
  'population',
  'postal_codes',
  'commune_code',
  'epci_code',
  'ept_code',
  'departement_code',
  'region_code',
] as const;

/**
 * With `departements` (tests), the geometries loaded, as `level\tcode`: the communes and
 * arrondissements of those départements, the cities and the EPCI and EPT they belong to, and every
 * département and région.
 */
function wantedShapes(rows: TerritoryInput[], departements: string[]): Set<string> {
  const deps = new Set(departements);
  const keys = new Set<string>();
  for (const r of rows) {
    if (r.level === 'DEPARTEMENT' || r.level === 'REGION') keys.add(`${r.level}\t${r.code}`);
    if ((r.level !== 'COMMUNE' && r.level !== 'ARRONDISSEMENT') || !r.departement_code || !deps.has(r.departement_code)) continue;
    keys.add(`${r.level}\t${r.code}`);
    if (r.commune_code) keys.add(`COMMUNE\t${r.commune_code}`);
    if (r.epci_code) keys.add(`EPCI\t${r.epci_code}`);
    if (r.ept_code) keys.add(`EPT\t${r.ept_code}`);
  }
  return keys;
}

/** A text array in PostgreSQL's literal form (`{"a","b"}`). */
const arrayLiteral = (items: string[]) => `{${items.map((i) => `"${i.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/**
 * Loads the official territories (COG 2026 from @etalab/decoupage-administratif) and their
 * geometries (prepared from IGN ADMIN EXPRESS COG 2025, TERRITORY_SHAPES_FILE), each through one
 * `COPY … FROM STDIN` into a temporary table, then one INSERT: a territory is written once, with its
 * geometries (a row rewritten per geometry column recomputed its projection and its index entries
 * each time). Idempotent: a row is rewritten only when it differs, so a second run changes nothing.
 * With `departements`, the communes and arrondissements of those départements and the EPCI and EPT
 * they belong to get their geometries, and every département and région.
 */
export async function seedTerritories(ds: DataSource, options: TerritorySeedOptions): Promise<TerritorySeedReport> {
  const { log } = options;
  const started = Date.now();
  const rows = buildTerritoryRows();
  const shapesFile = options.shapesFile === undefined ? path.join(seedDataDir(), TERRITORY_SHAPES_FILE) : options.shapesFile;
  const shape = (column: (typeof TERRITORY_SHAPE_COLUMNS)[number]) => `ST_SetSRID(ST_GeomFromTWKB(s.${column}), 4326)`;
  const qr = ds.createQueryRunner();
  try {
    const client = (await qr.connect()) as PoolClient;
    await qr.startTransaction();
    await qr.query(`SET LOCAL statement_timeout = 0`);
    await qr.query(`CREATE TEMPORARY TABLE territory_rows (LIKE territory) ON COMMIT DROP`);
    await qr.query(
      `CREATE TEMPORARY TABLE territory_shapes (level text, code text, ${TERRITORY_SHAPE_COLUMNS.map((c) => `${c} bytea`).join(', ')}) ON COMMIT DROP`,
    );
    await copyIn(
      client,
      `COPY territory_rows (${ATTRIBUTES.join(', ')}) FROM STDIN`,
      copyRows(rows.map((r) => ATTRIBUTES.map((a) => (a === 'postal_codes' ? arrayLiteral(r.postal_codes) : r[a])))),
    );
    if (shapesFile) {
      const wanted = options.departements && wantedShapes(rows, options.departements);
      await copyIn(
        client,
        `COPY territory_shapes FROM STDIN`,
        wanted
          ? copyChunks(
              zlib
                .gunzipSync(fs.readFileSync(shapesFile))
                .toString('utf8')
                .split('\n')
                .filter((line) => wanted.has(line.slice(0, line.indexOf('\t', line.indexOf('\t') + 1)))),
            )
          : fs.createReadStream(shapesFile).pipe(zlib.createGunzip()),
      );
    }
    const [{ count }] = (await qr.query(
      `WITH written AS (
         INSERT INTO territory AS t (${ATTRIBUTES.join(', ')}, ${TERRITORY_SHAPE_COLUMNS.join(', ')})
         SELECT ${ATTRIBUTES.map((a) => `r.${a}`).join(', ')}, ${TERRITORY_SHAPE_COLUMNS.map(shape).join(', ')}
         FROM territory_rows r LEFT JOIN territory_shapes s USING (level, code)
         ON CONFLICT (level, code) DO UPDATE SET ${[...ATTRIBUTES.slice(2), ...TERRITORY_SHAPE_COLUMNS].map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
         WHERE (${ATTRIBUTES.slice(2)
           .map((a) => `t.${a}`)
           .join(', ')}, ${TERRITORY_SHAPE_COLUMNS.map((c) => `ST_AsEWKB(t.${c})`).join(', ')})
           IS DISTINCT FROM (${ATTRIBUTES.slice(2)
             .map((a) => `EXCLUDED.${a}`)
             .join(', ')}, ${TERRITORY_SHAPE_COLUMNS.map((c) => `ST_AsEWKB(EXCLUDED.${c})`).join(', ')})
         RETURNING 1)
       SELECT count(*)::int AS count FROM written`,
    )) as { count: number }[];
    await qr.commitTransaction();
    log(`  Territoires et contours (COG 2026, IGN) : ${rows.length} territoires, ${count} écrits`);
  } catch (err) {
    if (qr.isTransactionActive) await qr.rollbackTransaction();
    throw err;
  } finally {
    await qr.release();
  }
  // A large write: the planner's statistics at once (PGlite has no autovacuum; server/db/statistics.ts).
  await ds.query('ANALYZE territory');

  const counts = await ds.query<{ level: string; total: string; with_geom: string; without: string[] | null }[]>(
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
  return { levels, seconds: (Date.now() - started) / 1000 };
}
