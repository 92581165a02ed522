import { csvCell, CSV_BOM } from '../actors/actor-export.js';
import { LARGE_SCOPE_ROWS, rowsInScope } from '../graphql/cost.js';
import { enumLabels } from '../graphql/enums.js';
import { AppError } from '../graphql/errors.js';
import { normalizeKey } from '../text.js';
import { LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { Territory } from '../territories/territory.entity.js';
import type { TerritoryService } from '../territories/territory.service.js';
import type { GapSpec } from './gap-spec.js';
import { type GapFilterInput, GapLevel, GapOrder, Presence, PresenceClass } from './gap.inputs.js';
import { MAX_GAP_PAGE, type GapService } from './gap.service.js';
import type { TerritoryCoverage } from './gap.types.js';

/**
 * Most gaps one CSV export gives: any région at commune level (Grand Est, the largest, has 5,115
 * communes), France at EPCI or département level, twice over. Each page of the export computes the
 * scope's figures again on the analytics pool: France at commune level with more gaps than this is
 * refused up front with its count, never cut silently (one file per région instead).
 */
export const MAX_GAP_EXPORT_ROWS = 10_000;

/** Most territories in the coverage map's GeoJSON: a région's communes, as for the `coverage` query and the tiles. */
export const MAX_COVERAGE_EXPORT_ROWS = LARGE_SCOPE_ROWS;

const fr = (n: number) => n.toLocaleString('fr-FR');

// ---------------------------------------------------------------------------------------------
// File names

/** The plural of each level, as the file names say it. */
const LEVEL_WORDS: Record<GapLevel, string> = { COMMUNE: 'communes', EPCI: 'epci', DEPARTEMENT: 'departements' };

/** Today in France (an export made at 00:30 in Paris is dated of that day). */
export const parisDate = (now = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(now);

/**
 * `lacunes_region-44-grand-est_communes_sante-mentale_2026-12-03.csv`: what, scope (level, code,
 * name), level, themes (`tous-themes` without any), `toute-couverture` when every coverage counts
 * (presence ANY; local presence, the default, is not said) and date, in ASCII so that every system
 * keeps it.
 */
export function exportFileName(what: 'lacunes' | 'couverture', spec: GapSpec, extension: 'csv' | 'geojson', now = new Date()): string {
  const scope = spec.scope.level === TerritoryLevel.PAYS ? 'france' : normalizeKey(`${spec.scope.level}-${spec.scope.code}-${spec.scope.name}`).slice(0, 60);
  const codes = spec.themes.map((t) => t.code);
  const themes = codes.length === 0 ? 'tous-themes' : codes.length <= 3 ? codes.join('+') : `${codes.length}-themes`;
  const presence = spec.presence === Presence.ANY ? '_toute-couverture' : '';
  return `${what}_${scope}_${LEVEL_WORDS[spec.level]}_${themes}${presence}_${parisDate(now)}.${extension}`;
}

// ---------------------------------------------------------------------------------------------
// Labels next to codes

/** The département and région of a territory, codes and names (its own for a département). */
export interface Parents {
  departementCode: string | null;
  departement: string | null;
  regionCode: string | null;
  region: string | null;
}

/** Names of the départements and régions of some territories, read in one query (then remembered). */
export class ParentNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly territories: TerritoryService) {}

  async load(list: Territory[]): Promise<void> {
    const refs = new Map<string, { level: TerritoryLevel; code: string }>();
    for (const t of list) {
      const { departementCode, regionCode } = this.codes(t);
      if (departementCode && !this.names.has(`D:${departementCode}`))
        refs.set(`D:${departementCode}`, { level: TerritoryLevel.DEPARTEMENT, code: departementCode });
      if (regionCode && !this.names.has(`R:${regionCode}`)) refs.set(`R:${regionCode}`, { level: TerritoryLevel.REGION, code: regionCode });
    }
    const found = await this.territories.findMany([...refs.values()]);
    for (const t of found) if (t) this.names.set(`${t.level === TerritoryLevel.REGION ? 'R' : 'D'}:${t.code}`, t.name);
  }

  of(t: Territory): Parents {
    const { departementCode, regionCode } = this.codes(t);
    return {
      departementCode,
      departement: departementCode ? (this.names.get(`D:${departementCode}`) ?? null) : null,
      regionCode,
      region: regionCode ? (this.names.get(`R:${regionCode}`) ?? null) : null,
    };
  }

  private codes(t: Territory) {
    return t.level === TerritoryLevel.DEPARTEMENT
      ? { departementCode: t.code, regionCode: t.regionCode }
      : { departementCode: t.departementCode, regionCode: t.regionCode };
  }
}

// ---------------------------------------------------------------------------------------------
// CSV of the gaps

type Cell = string | number | boolean | null;

/** A percentage of a 0–1 share, to two decimals. */
const percent = (share: number | null) => (share === null ? null : Math.round(share * 10_000) / 100);

const PRESENCE_LABELS = enumLabels(PresenceClass);

/** The columns of the gaps CSV, in order: name and value. */
const GAP_COLUMNS: [string, (r: TerritoryCoverage, p: Parents) => Cell][] = [
  ['rang', (r) => r.rank],
  ['niveau', (r) => LEVEL_LABELS[r.territory.level]],
  ['code', (r) => r.territory.code],
  ['territoire', (r) => r.territory.name],
  ['departement_code', (_, p) => p.departementCode],
  ['departement', (_, p) => p.departement],
  ['region_code', (_, p) => p.regionCode],
  ['region', (_, p) => p.region],
  ['population', (r) => r.population],
  ['couverture', (r) => PRESENCE_LABELS[r.presence]],
  ['acteurs', (r) => r.actorCount],
  ['acteurs_presents_localement', (r) => r.localActorCount],
  ['dont_fiche_verifiee_recemment', (r) => r.verifiedLocalActorCount],
  ['acteurs_regionaux_ou_nationaux', (r) => r.wideActorCount],
  ['acteurs_pour_10000_habitants', (r) => r.actorsPer10k],
  ['communes', (r) => r.communeCount],
  ['communes_couvertes', (r) => r.coveredCommuneCount],
  ['population_couverte', (r) => r.coveredPopulation],
  ['population_couverte_pct', (r) => percent(r.coveredPopulationShare)],
  ['population_sans_acteur', (r) => r.uncoveredPopulation],
  ['distance_acteur_le_plus_proche_km', (r) => r.nearestActorKm],
];

export const gapCsvHeader = () => `${CSV_BOM}${GAP_COLUMNS.map(([name]) => name).join(';')}\r\n`;

/** Rows as CSV lines: `;`, decimal commas, cells a spreadsheet would run as formulas quoted (csvCell). */
export const gapCsvLines = (rows: TerritoryCoverage[], names: ParentNames) =>
  rows
    .map((r) => {
      const p = names.of(r.territory);
      return `${GAP_COLUMNS.map(([, value]) => csvCell(value(r, p))).join(';')}\r\n`;
    })
    .join('');

/**
 * The gaps of a filter page by page, ranked as the `gaps` query ranks them (same service, same
 * rules: validated actors only, same filter checks), with the nearest actor. The first page
 * comes before anything is written: it checks the filter and the count (at most `maxRows`).
 */
export async function* gapExportPages(
  gaps: GapService,
  filter: GapFilterInput,
  maxRows = MAX_GAP_EXPORT_ROWS,
  pageSize = MAX_GAP_PAGE,
): AsyncGenerator<{ spec: GapSpec; rows: TerritoryCoverage[] }> {
  for (let offset = 0; ; offset += pageSize) {
    const page = await gaps.gaps(filter, GapOrder.UNCOVERED_POPULATION, pageSize, offset, true);
    if (offset === 0 && page.totalCount > maxRows) {
      throw new AppError(
        'BAD_USER_INPUT',
        `Ce filtre donne ${fr(page.totalCount)} lacunes : un export en compte ${fr(maxRows)} au plus. ` +
          'Choisissez un périmètre plus petit (une région, un département) ou le niveau EPCI ou département.',
        { field: 'filter', count: page.totalCount, maxRows },
      );
    }
    yield { spec: page.spec, rows: page.rows };
    if (page.rows.length < pageSize || offset + pageSize >= page.totalCount) return;
  }
}

// ---------------------------------------------------------------------------------------------
// GeoJSON of the coverage map

/** Refuses, before any SQL, a map over more territories than a région has communes (as the `coverage` query's cost limit does). */
export function checkCoverageExportSize(filter: GapFilterInput): void {
  const rows = rowsInScope(filter);
  if (rows > MAX_COVERAGE_EXPORT_ROWS) {
    throw new AppError(
      'BAD_USER_INPUT',
      `Carte trop vaste : jusqu’à ${fr(rows)} territoires pour ${fr(MAX_COVERAGE_EXPORT_ROWS)} au plus. ` +
        'Choisissez un périmètre plus petit (une région, un département) ou le niveau EPCI ou département.',
      { field: 'filter', maxRows: MAX_COVERAGE_EXPORT_ROWS },
    );
  }
}

/**
 * The coverage map of a filter as a GeoJSON FeatureCollection: every territory of the scope with
 * all its figures (the `coverage` query's, with the distance to the nearest actor), its level
 * label and the names of its département and région.
 */
export async function coverageGeoJson(
  gaps: GapService,
  territories: TerritoryService,
  filter: GapFilterInput,
  zoom: number | null,
): Promise<{ spec: GapSpec; json: string }> {
  checkCoverageExportSize(filter);
  const result = await gaps.coverage(filter, zoom, true);
  const fc = result.features as GeoJSON.FeatureCollection;
  const found = await territories.findMany(fc.features.map((f) => ({ level: result.spec.level, code: String(f.id) })));
  const names = new ParentNames(territories);
  const known = found.filter((t): t is Territory => t !== null);
  await names.load(known);
  const byCode = new Map(known.map((t) => [t.code, t]));
  for (const f of fc.features) {
    const t = byCode.get(String(f.id));
    if (t) f.properties = { ...f.properties, niveau: LEVEL_LABELS[t.level], ...names.of(t) };
  }
  return { spec: result.spec, json: JSON.stringify(fc) };
}
