import type { DataSource } from 'typeorm';
import { type Sql, empty, one, shared, sql } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
import type { Theme } from '../themes/theme.entity.js';
import type { ThemeService } from '../themes/theme.service.js';
import type { TerritoryLevel } from '../territories/territory-level.js';
import { TERRITORY_SELECT, type Territory, type TerritoryRow, toTerritory } from '../territories/territory.entity.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { GapSpecReader, type GapSpec } from './gap-spec.js';
import { type Box, featureCollection, figures, gapQuery, nearest, ORDER_SQL, presenceOf, RANKED, summaries } from './gap-sql.js';
import { GapLevel, GapOrder, type GapFilterInput, mapClassOf, type PresenceClass } from './gap.inputs.js';
import type { CoverageSummary, TerritoryCoverage } from './gap.types.js';

/** The largest page of gaps. */
export const MAX_GAP_PAGE = 5_000;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const round = (v: number | null, digits: number) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const parse = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** A territory row as the figures query returns it. */
interface FigureRow extends TerritoryRow {
  pop: string | number;
  n: number;
  nl: number;
  na: number;
  nv: number;
  presence: PresenceClass;
  per10k: number | null;
  communes: number;
  covered_communes: number;
  covered_pop: string | number;
  uncovered_pop: string | number;
  is_gap: boolean;
  nearest_m: number | null;
  rank: number | null;
}

interface SummaryRow {
  gid: string;
  pop: string | number;
  covered_pop: string | number;
  communes: number;
  covered_communes: number;
  territories: number;
  uncovered_territories: number;
  gaps: number;
  actors: number;
  local_actors: number;
  wide_actors: number;
  wide_only_communes: number;
  wide_only_pop: string | number;
  verified_local_actors: number;
  stale_only_communes: number;
  stale_only_pop: string | number;
}

/**
 * Gaps and coverage: which territories of a scope have no (or too few) prevention actors for a
 * theme, as lists, choropleth maps, theme matrices and side-by-side comparisons.
 *
 * Counts come from the maintained aggregates of migration 1764000000005 (coverage_theme_count,
 * actor_theme_point) when the request is one theme (or any theme) without kind or public filter;
 * otherwise they are computed from coverage_commune / coverage_area and the filtered actors. The
 * source is chosen once per request (gap-source.ts); the statements are written in gap-sql.ts.
 * Either way every answer is one SQL round trip.
 *
 * Only ACTIVE + VALIDATED actors count (moderation, migration 1764000000017): both paths start from
 * actor_theme_key, and the nearest actor from actor_theme_point, which hold those actors only; a
 * new reader of the figures must start from them too, never from `actor` alone.
 */
export class GapService {
  private readonly specs: GapSpecReader;

  constructor(
    private readonly ds: DataSource,
    themes: ThemeService,
    territories: TerritoryService,
  ) {
    this.specs = new GapSpecReader(themes, territories);
  }

  private static toSummary(row: SummaryRow | undefined): CoverageSummary {
    const pop = num(row?.pop);
    const covered = num(row?.covered_pop);
    const actors = num(row?.actors);
    return {
      population: pop,
      coveredPopulation: covered,
      coveredPopulationShare: pop > 0 ? round(covered / pop, 6) : null,
      communeCount: num(row?.communes),
      coveredCommuneCount: num(row?.covered_communes),
      territoryCount: num(row?.territories),
      uncoveredTerritoryCount: num(row?.uncovered_territories),
      gapCount: num(row?.gaps),
      actorCount: actors,
      localActorCount: num(row?.local_actors),
      wideActorCount: num(row?.wide_actors),
      wideOnlyCommuneCount: num(row?.wide_only_communes),
      wideOnlyPopulation: num(row?.wide_only_pop),
      verifiedLocalActorCount: num(row?.verified_local_actors),
      staleOnlyCommuneCount: num(row?.stale_only_communes),
      staleOnlyPopulation: num(row?.stale_only_pop),
      actorsPer10k: pop > 0 ? round((actors * 10000) / pop, 4) : null,
    };
  }

  private static toCoverage(row: FigureRow): TerritoryCoverage {
    const pop = num(row.pop);
    const covered = num(row.covered_pop);
    return {
      territory: toTerritory(row),
      population: pop,
      actorCount: num(row.n),
      localActorCount: num(row.nl),
      wideActorCount: num(row.na) - num(row.nl),
      verifiedLocalActorCount: num(row.nv),
      presence: row.presence,
      mapClass: mapClassOf(row.presence, num(row.nv)),
      actorsPer10k: round(numOrNull(row.per10k), 4),
      covered: num(row.covered_communes) > 0,
      isGap: row.is_gap,
      communeCount: num(row.communes),
      coveredCommuneCount: num(row.covered_communes),
      coveredPopulation: covered,
      coveredPopulationShare: pop > 0 ? round(covered / pop, 6) : null,
      uncoveredPopulation: num(row.uncovered_pop),
      nearestActorKm: row.nearest_m === null || row.nearest_m === undefined ? null : round(Number(row.nearest_m) / 1000, 3),
      rank: numOrNull(row.rank),
    };
  }

  /** The gaps of a scope, ranked; `withDistance` computes the nearest actor for the page. */
  async gaps(
    filter: GapFilterInput,
    orderBy: GapOrder,
    first: number,
    offset: number,
    withDistance: boolean,
  ): Promise<{ spec: GapSpec; totalCount: number; territoryCount: number; gapPopulation: number; rows: TerritoryCoverage[] }> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_GAP_PAGE) {
      throw badInput(`« first » doit être compris entre 0 et ${MAX_GAP_PAGE}`, 'first');
    }
    if (!Number.isInteger(offset) || offset < 0) throw badInput('« offset » doit être positif ou nul', 'offset');
    const spec = await this.specs.read(filter);
    // Whether a territory is a gap, and its rank, come from the decisive count alone; the page's
    // rows read their local, wide-scope and recent counts again (exactCounts).
    const q = gapQuery(spec, [spec.main], { decisiveOnly: true });
    const row = await this.one(sql`
      WITH ${q.base},
      ${figures(q)},
      gp AS MATERIALIZED (
        SELECT r.*, row_number() OVER (ORDER BY ${ORDER_SQL[orderBy]}) AS rank
        FROM (${
          orderBy === GapOrder.NAME
            ? sql`SELECT r.*, t.name FROM r JOIN territory t ON t.level = ${spec.level} AND t.code = r.code WHERE r.is_gap`
            : sql`SELECT r.* FROM r WHERE r.is_gap`
        }) r),
      page AS (SELECT * FROM gp ORDER BY rank LIMIT ${first} OFFSET ${offset})
      SELECT (SELECT count(*)::int FROM gp) AS total, (SELECT count(*)::int FROM r) AS territories,
        (SELECT coalesce(sum(pop), 0)::bigint FROM gp) AS gap_pop,
        (SELECT coalesce(json_agg(x ORDER BY x.rank), '[]') FROM (
           SELECT ${TERRITORY_SELECT}, page.pop, page.n, pc.nl, pc.na, pc.nv, ${presenceOf(sql`pc`)} AS presence, page.per10k, page.communes,
             page.covered_communes, page.covered_pop, page.uncovered_pop, page.is_gap, page.rank, ${withDistance ? sql`nn.d` : sql`NULL::float8`} AS nearest_m
           FROM page JOIN territory t ON t.level = ${spec.level} AND t.code = page.code
           ${q.source.exactCounts(sql`page`, shared(spec.level))}
           ${withDistance ? nearest(spec, spec.main) : empty}) x) AS rows`);
    return {
      spec,
      totalCount: num(row.total),
      territoryCount: num(row.territories),
      gapPopulation: num(row.gap_pop),
      rows: parse<FigureRow[]>(row.rows).map((r) => GapService.toCoverage(r)),
    };
  }

  /**
   * Every territory of the scope as a GeoJSON FeatureCollection built in SQL, with the summary
   * for all themes together and per theme, and the scope's bounding box. `zoom` (web-map zoom
   * level) sets the simplification; without it the stored display geometry is used. Without
   * `withFeatures`, the figures and the box only (the map then comes as tiles: coverageFeatures).
   */
  async coverage(
    filter: GapFilterInput,
    zoom: number | null,
    withDistance: boolean,
    compact = false,
    withFeatures = true,
  ): Promise<{
    spec: GapSpec;
    summary: CoverageSummary;
    byTheme: { theme: Theme; summary: CoverageSummary }[];
    features: unknown;
    bbox: Box | null;
  }> {
    GapService.checkZoom(zoom);
    const spec = await this.specs.read(filter);
    const themeGroups = await this.specs.themeGroups(spec);
    const q = gapQuery(spec, [spec.main, ...themeGroups.map((t) => t.group)]);
    const row = await this.one(sql`
      WITH ${q.base},
      ${figures(q)},
      ${summaries(q)},
      ${RANKED}
      SELECT
        (SELECT json_agg(s ORDER BY s.ord) FROM s) AS summaries,
        (SELECT json_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (
           SELECT ST_Extent(t.geom_z7) AS e FROM rm JOIN territory t ON t.level = ${spec.level} AND t.code = rm.code) x
         WHERE e IS NOT NULL) AS bbox,
        ${withFeatures ? featureCollection(spec, { zoom, withDistance, compact }) : sql`NULL::json`} AS features`);
    const byGid = GapService.summariesByGid(row.summaries);
    return {
      spec,
      summary: GapService.toSummary(byGid.get('main')),
      byTheme: themeGroups.map(({ theme, group }) => ({ theme, summary: GapService.toSummary(byGid.get(group.id)) })),
      features: withFeatures ? parse(row.features) : null,
      bbox: row.bbox ? parse<Box>(row.bbox) : null,
    };
  }

  /**
   * The compact features of the coverage map whose boundary meets a lon/lat box (a map tile), and
   * nothing else: no per-theme column, no summary. On a map of communes, only the communes in the
   * box are counted (each commune's figures are its own); a territory of another level counts all
   * its communes.
   */
  async coverageFeatures(filter: GapFilterInput, zoom: number, within: Box): Promise<GeoJSON.FeatureCollection> {
    GapService.checkZoom(zoom);
    const spec = await this.specs.read(filter);
    if (spec.level === GapLevel.COMMUNE) spec.within = within;
    const q = gapQuery(spec, [spec.main]);
    const row = await this.one(sql`
      WITH ${q.base},
      ${figures(q)},
      ${RANKED}
      SELECT ${featureCollection(spec, { zoom, withDistance: false, compact: true, within })} AS features`);
    return parse(row.features);
  }

  /** Territories × themes: actor counts per theme (the requested themes, or every top-level theme). */
  async matrix(
    filter: GapFilterInput,
    withTotals = true,
  ): Promise<{
    spec: GapSpec;
    themes: Theme[];
    rows: { territory: Territory; population: number; counts: number[]; missingThemes: string[] }[];
    totals: { theme: Theme; summary: CoverageSummary }[];
  }> {
    const spec = await this.specs.read(filter);
    const themeGroups = await this.specs.themeGroups(spec);
    // The cells are the decisive counts only; the totals also need local and wide-scope figures.
    const q = gapQuery(
      spec,
      themeGroups.map((t) => t.group),
      { decisiveOnly: !withTotals },
    );
    const row = await this.one(sql`
      WITH ${q.base},
      ${figures(q)},
      ${withTotals ? sql`${summaries(q)},` : empty}
      cells AS (
        SELECT r.code, max(r.pop) AS pop, array_agg(r.n ORDER BY r.ord) AS counts FROM r
        GROUP BY ${spec.level === GapLevel.COMMUNE ? sql`r.id, ` : empty}r.code)
      SELECT
        ${withTotals ? sql`(SELECT json_agg(s ORDER BY s.ord) FROM s)` : sql`'[]'::json`} AS summaries,
        (SELECT coalesce(json_agg(x ORDER BY x.pop DESC, x.code), '[]') FROM (
           SELECT t.*, cells.pop, cells.counts FROM cells
           CROSS JOIN LATERAL (SELECT ${TERRITORY_SELECT} FROM territory t
                               WHERE t.level = ${spec.level} AND t.code = cells.code OFFSET 0) t) x) AS rows`);
    const byGid = GapService.summariesByGid(row.summaries);
    const themes = themeGroups.map((t) => t.theme);
    return {
      spec,
      themes,
      rows: parse<(TerritoryRow & { pop: number; counts: number[] })[]>(row.rows).map((r) => ({
        territory: toTerritory(r),
        population: num(r.pop),
        counts: r.counts.map(Number),
        missingThemes: themes.filter((_, i) => Number(r.counts[i]) === 0).map((t) => t.code),
      })),
      totals: themeGroups.map(({ theme, group }) => ({ theme, summary: GapService.toSummary(byGid.get(group.id)) })),
    };
  }

  /** The same indicators for several scopes, side by side (one SQL statement per scope, run together). */
  async compare(
    scopes: { level: TerritoryLevel; code: string }[],
    filter: GapFilterInput | null | undefined,
  ): Promise<{ spec: GapSpec; scopes: { scope: Territory; summary: CoverageSummary; byTheme: { theme: Theme; summary: CoverageSummary }[] }[] }> {
    if (scopes.length < 2 || scopes.length > 6) throw badInput('La comparaison porte sur 2 à 6 périmètres', 'scopes');
    if (filter?.scope) throw badInput('Pour une comparaison, donnez les périmètres dans « scopes », pas dans « filter.scope »', 'scope');
    const specs = await Promise.all(scopes.map((s) => this.specs.read(filter, s)));
    const results = await Promise.all(
      specs.map(async (spec) => {
        const themeGroups = await this.specs.themeGroups(spec);
        const q = gapQuery(spec, [spec.main, ...themeGroups.map((t) => t.group)]);
        const row = await this.one(sql`
          WITH ${q.base},
          ${figures(q)},
          ${summaries(q)}
          SELECT (SELECT json_agg(s ORDER BY s.ord) FROM s) AS summaries`);
        const byGid = GapService.summariesByGid(row.summaries);
        return {
          scope: spec.scope,
          summary: GapService.toSummary(byGid.get('main')),
          byTheme: themeGroups.map(({ theme, group }) => ({ theme, summary: GapService.toSummary(byGid.get(group.id)) })),
        };
      }),
    );
    return { spec: specs[0], scopes: results };
  }

  /** Runs one statement of this service: one row of JSON columns. */
  private async one(statement: Sql): Promise<Record<string, unknown>> {
    return (await one(this.ds, statement)) ?? {};
  }

  private static summariesByGid(json: unknown): Map<string, SummaryRow> {
    return new Map((parse<SummaryRow[] | null>(json) ?? []).map((s) => [s.gid, s]));
  }

  private static checkZoom(zoom: number | null): void {
    if (zoom !== null && (!Number.isInteger(zoom) || zoom < 0 || zoom > 18)) throw badInput('« zoom » doit être compris entre 0 et 18', 'zoom');
  }
}
