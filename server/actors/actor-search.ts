import type { DataSource } from 'typeorm';
import { empty, one, type Sql, sql, where as whereAll } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
import { decodeCursor, encodeCursor, isCursorText } from '../graphql/pagination.js';
import type { Taxonomy } from '../themes/theme.service.js';
import { type Territory, toTerritory } from '../territories/territory.entity.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { ActorOrder } from './actor-enums.js';
import { filterSql } from './actor-filter.js';
import { type Actor, actorColumns, toActor } from './actor.entity.js';
import type { ActorFilter } from './actor.inputs.js';
import { parseJson, territoryColumns } from './actor.repository.js';

export type FacetGroup = 'themes' | 'kinds' | 'sectors' | 'audiences';

export interface SearchWants {
  totalCount: boolean;
  facets: boolean;
  /** The facet groups to compute when `facets` (default: all four). */
  facetGroups?: readonly FacetGroup[];
}

/** One search of the directory: the filter, the page (`first` rows after the cursor `after`) in its order, and what else to compute. */
export interface SearchRequest {
  filter: ActorFilter | undefined;
  first: number;
  after: string | null | undefined;
  orderBy: ActorOrder;
  wants: SearchWants;
}

export interface SearchResult {
  /** `commune`: the territory of the actor's address commune, read with the page (undefined without one). */
  rows: { actor: Actor; distanceKm: number | null; cursor: string; commune?: Territory }[];
  hasNextPage: boolean;
  totalCount: number;
  facets: { themes: [string, number][]; kinds: [string, number][]; sectors: [string, number][]; audiences: [string, number][] };
}

const MAX_PAGE = 200;

/** A timestamp as PostgreSQL writes it in JSON (2026-12-03T06:50:15.123456+00:00), on a real calendar day. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:\d{2})?)$/;
function isTimestamp(v: unknown): v is string {
  const m = typeof v === 'string' ? TIMESTAMP.exec(v) : null;
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1 && day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

const isDistance = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Each order: its key in the materialised set, its direction, the row field its cursor keeps, and
 * that value's check and cast: a cursor holds a value of the order's type (a name, a distance, a
 * timestamp), so that a forged one is a BAD_USER_INPUT and never an SQL error.
 */
const ORDERS: Record<ActorOrder, { key: Sql; desc: boolean; field: string; isValue: (v: unknown) => boolean; cast: (v: unknown) => Sql }> = {
  [ActorOrder.NAME]: { key: sql`m.search_name`, desc: false, field: 'sort_name', isValue: isCursorText, cast: (v) => sql`${v}::text` },
  [ActorOrder.DISTANCE]: { key: sql`m.distance_km`, desc: false, field: 'distance_km', isValue: isDistance, cast: (v) => sql`${v}::float8` },
  [ActorOrder.UPDATED_AT]: { key: sql`m.updated_at`, desc: true, field: 'sort_updated', isValue: isTimestamp, cast: (v) => sql`${v}::timestamptz` },
};

/** The facet groups, each a subquery over the materialised set `m`. */
const FACETS: Record<FacetGroup, Sql> = {
  themes: sql`, (SELECT COALESCE(json_agg(json_build_array(k, n)), '[]') FROM (
      SELECT k, count(DISTINCT m.id) AS n FROM m, unnest(m.themes) c
      JOIN theme th ON th.code = c, unnest(ARRAY[th.code, th.parent_code]) k
      WHERE k IS NOT NULL GROUP BY k) f) AS theme_facets`,
  kinds: sql`, (SELECT COALESCE(json_agg(json_build_array(kind, n)), '[]') FROM (SELECT kind, count(*) AS n FROM m GROUP BY kind) f) AS kind_facets`,
  sectors: sql`, (SELECT COALESCE(json_agg(json_build_array(sector, n)), '[]') FROM (SELECT sector, count(*) AS n FROM m GROUP BY sector) f) AS sector_facets`,
  audiences: sql`, (SELECT COALESCE(json_agg(json_build_array(au, n)), '[]') FROM (SELECT au, count(*) AS n FROM m, unnest(m.audiences) au GROUP BY au) f) AS audience_facets`,
};

/**
 * One SQL round trip: the filtered set is materialised once, then the page, the total and the
 * facets are read from it.
 */
export async function searchActors(
  ds: DataSource,
  vocabularies: { taxonomy: Taxonomy; territories: Pick<TerritoryService, 'knownKeys'> },
  { filter, first, after, orderBy, wants }: SearchRequest,
): Promise<SearchResult> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badInput(`« first » doit être compris entre 0 et ${MAX_PAGE}`, 'first');
  if (orderBy === ActorOrder.DISTANCE && !filter?.near) throw badInput('Le tri par distance demande le filtre « near »', 'orderBy');
  const { from, where, distance } = await filterSql(filter, vocabularies.taxonomy, vocabularies.territories);
  const order = ORDERS[orderBy];
  const dir = order.desc ? sql`DESC` : sql`ASC`;
  let keyset = sql`true`;
  if (after) {
    const [value, id] = decodeCursor(after, (v): v is unknown => order.isValue(v));
    keyset = sql`(${order.key}, m.id) ${order.desc ? sql`<` : sql`>`} (${order.cast(value)}, ${id}::uuid)`;
  }
  const groups = new Set<FacetGroup>(wants.facets ? (wants.facetGroups ?? ['themes', 'kinds', 'sectors', 'audiences']) : []);
  // The page is cut from the materialised set first, then only its rows are read from actor
  // (with the territory of their commune, so that the « commune » field needs no second query).
  const row = await one<Record<string, unknown>>(
    ds,
    sql`
      WITH m AS MATERIALIZED (
        SELECT a.id, a.search_name, a.updated_at, a.kind, a.sector, a.themes, a.audiences,
               ${distance ?? sql`NULL::float8`} AS distance_km
        FROM ${from} ${whereAll(where)}
      )
      SELECT
        (SELECT COALESCE(json_agg(row_to_json(x) ORDER BY x.ord), '[]') FROM (
           SELECT ${actorColumns()}, p.distance_km, p.search_name AS sort_name, p.updated_at AS sort_updated, p.ord,
                  (SELECT row_to_json(c) FROM (SELECT ${territoryColumns} FROM territory t
                     WHERE t.code = a.commune_code AND t.level IN ('COMMUNE', 'ARRONDISSEMENT') LIMIT 1) c) AS commune_territory
           FROM (SELECT m.*, row_number() OVER (ORDER BY ${order.key} ${dir}, m.id ${dir}) AS ord
                 FROM m WHERE ${keyset} ORDER BY ${order.key} ${dir}, m.id ${dir} LIMIT ${first + 1}) p
           JOIN actor a ON a.id = p.id) x) AS page
        ${wants.totalCount ? sql`, (SELECT count(*) FROM m) AS total` : empty}
        ${groups.has('themes') ? FACETS.themes : empty}
        ${groups.has('kinds') ? FACETS.kinds : empty}
        ${groups.has('sectors') ? FACETS.sectors : empty}
        ${groups.has('audiences') ? FACETS.audiences : empty}`,
  );
  const page = parseJson<Record<string, unknown>[]>(row!.page);
  const rows = page.slice(0, first).map((r) => ({
    actor: toActor(r),
    distanceKm: r.distance_km === null ? null : Math.round((r.distance_km as number) * 1000) / 1000,
    cursor: encodeCursor(r[order.field], r.id as string),
    commune: r.commune_territory ? toTerritory(r.commune_territory as Parameters<typeof toTerritory>[0]) : undefined,
  }));
  const facets = (v: unknown) => parseJson<[string, number][] | null>(v) ?? [];
  return {
    rows,
    hasNextPage: page.length > first,
    totalCount: wants.totalCount ? Number(row!.total) : 0,
    facets: {
      themes: facets(row!.theme_facets),
      kinds: facets(row!.kind_facets),
      sectors: facets(row!.sector_facets),
      audiences: facets(row!.audience_facets),
    },
  };
}
