import type { DataSource } from 'typeorm';
import { empty, hiddenFromPlanner, join, run, runPrepared, type Sql, sql, where as whereAll } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
import { decodeCursor, encodeCursor, isCursorText } from '../graphql/pagination.js';
import type { Taxonomy } from '../themes/theme.service.js';
import { type Territory, toTerritory } from '../territories/territory.entity.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { ActorOrder } from './actor-enums.js';
import { type FacetGroup, filterSql, textRank } from './actor-filter.js';
import { anchorCte, anchorDistance, NO_DISTANCE_KM, PROXIMITY_RANKS, proximityRank } from './actor-proximity.js';
import { type Actor, actorColumns, type ActorField, toActorOf } from './actor.entity.js';
import type { ActorFilter } from './actor.inputs.js';
import { parseJson, territoryColumns } from './actor.repository.js';

export type { FacetGroup } from './actor-filter.js';

export interface SearchWants {
  totalCount: boolean;
  facets: boolean;
  /** The facet groups to compute when `facets` (default: all). */
  facetGroups?: readonly FacetGroup[];
}

/** One search of the directory: the filter, the page (`first` rows after the cursor `after`) in its order, and what else to compute. */
export interface SearchRequest {
  filter: ActorFilter | undefined;
  first: number;
  after: string | null | undefined;
  /** Absent: PROXIMITY when the search is anchored on a commune (`coversCommune`), NAME otherwise. */
  orderBy: ActorOrder | null | undefined;
  wants: SearchWants;
  /**
   * What to read of the page's actors: `fields` (all when undefined) and the territory of their
   * commune (`commune`). Absent: everything.
   */
  node?: { fields: readonly ActorField[] | undefined; commune: boolean };
}

export interface SearchResult {
  /** `commune`: the territory of the actor's address commune, read with the page (undefined without one). */
  rows: { actor: Actor; distanceKm: number | null; cursor: string; commune?: Territory }[];
  hasNextPage: boolean;
  totalCount: number;
  facets: Record<FacetGroup, [string, number][]>;
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
const isRank = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= PROXIMITY_RANKS.PAYS;
const isRelevanceKey = (v: unknown): v is [number, string] =>
  Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && (v[0] as number) >= 0 && (v[0] as number) <= 2 && isCursorText(v[1]);
const isProximityKey = (v: unknown): v is [number, number, string] =>
  Array.isArray(v) && v.length === 3 && isRank(v[0]) && isDistance(v[1]) && isCursorText(v[2]);

interface Order {
  /** The sort keys in the materialised set (all in the order's direction), then m.id. */
  keys: Sql;
  desc: boolean;
  /** The cursor's value, from a row of the page. */
  value: (row: Record<string, unknown>) => unknown;
  isValue: (v: unknown) => boolean;
  cast: (v: unknown) => Sql;
}

/**
 * Each order: its keys in the materialised set, its direction, the value its cursor keeps, and
 * that value's check and cast: a cursor holds values of the order's types (a name, a distance, a
 * timestamp, a proximity rank), so that a forged one is a BAD_USER_INPUT and never an SQL error.
 */
const ORDERS: Record<ActorOrder, Order> = {
  [ActorOrder.PROXIMITY]: {
    keys: sql`m.prox_rank, m.prox_km, m.search_name`,
    desc: false,
    value: (r) => [r.prox_rank, r.prox_km, r.sort_name],
    isValue: isProximityKey,
    cast: (v) => {
      const [rank, km, name] = v as [number, number, string];
      return sql`${rank}::int, ${km}::float8, ${name}::text`;
    },
  },
  [ActorOrder.NAME]: { keys: sql`m.search_name`, desc: false, value: (r) => r.sort_name, isValue: isCursorText, cast: (v) => sql`${v}::text` },
  [ActorOrder.RELEVANCE]: {
    keys: sql`m.text_rank, m.search_name`,
    desc: false,
    value: (r) => [r.text_rank, r.sort_name],
    isValue: isRelevanceKey,
    cast: (v) => {
      const [rank, name] = v as [number, string];
      return sql`${rank}::int, ${name}::text`;
    },
  },
  [ActorOrder.DISTANCE]: { keys: sql`m.distance_km`, desc: false, value: (r) => r.distance_km, isValue: isDistance, cast: (v) => sql`${v}::float8` },
  [ActorOrder.UPDATED_AT]: {
    keys: sql`m.updated_at`,
    desc: true,
    value: (r) => r.sort_updated,
    isValue: isTimestamp,
    cast: (v) => sql`${v}::timestamptz`,
  },
};

/** The facet groups, each a subquery over `rel` (the materialised set, or the wider one) where `cond` holds. */
const FACETS: Record<FacetGroup, (rel: Sql, cond: Sql) => Sql> = {
  themes: (rel, cond) => sql`, (SELECT COALESCE(json_agg(json_build_array(k, n)), '[]') FROM (
      SELECT k, count(DISTINCT s.id) AS n FROM ${rel} s, unnest(s.themes) c
      JOIN theme th ON th.code = c, unnest(ARRAY[th.code, th.parent_code]) k
      WHERE k IS NOT NULL AND ${cond} GROUP BY k) f) AS theme_facets`,
  kinds: (rel, cond) =>
    sql`, (SELECT COALESCE(json_agg(json_build_array(kind, n)), '[]') FROM (SELECT kind, count(*) AS n FROM ${rel} s WHERE ${cond} GROUP BY kind) f) AS kind_facets`,
  sectors: (rel, cond) =>
    sql`, (SELECT COALESCE(json_agg(json_build_array(sector, n)), '[]') FROM (SELECT sector, count(*) AS n FROM ${rel} s WHERE ${cond} GROUP BY sector) f) AS sector_facets`,
  audiences: (rel, cond) =>
    sql`, (SELECT COALESCE(json_agg(json_build_array(au, n)), '[]') FROM (SELECT au, count(*) AS n FROM ${rel} s, unnest(s.audiences) au WHERE ${cond} GROUP BY au) f) AS audience_facets`,
  presence: (rel, cond) =>
    sql`, (SELECT json_build_array(json_build_array('LOCAL', count(*) FILTER (WHERE s.is_local))) FROM ${rel} s WHERE ${cond}) AS presence_facets`,
};

/** The column of the wider set that says whether a row matches a facet group's own selection (a constant name). */
const FLAG: Record<FacetGroup, Sql> = {
  themes: sql`g_themes`,
  kinds: sql`g_kinds`,
  sectors: sql`g_sectors`,
  audiences: sql`g_audiences`,
  presence: sql`g_presence`,
};
const ALL_GROUPS: readonly FacetGroup[] = ['themes', 'kinds', 'sectors', 'audiences', 'presence'];

/**
 * One SQL round trip: the filtered set is materialised once, then the page, the total and the
 * facets are read from it. Facets are disjunctive: when a facet group asked for has a selection of
 * its own, the set is materialised without the groups' selections (`m0`, with one flag column per
 * selection) and the filtered set `m` is cut from it; each group then counts over `m0` with every
 * selection but its own.
 */
export async function searchActors(
  ds: DataSource,
  vocabularies: { taxonomy: Taxonomy; territories: Pick<TerritoryService, 'knownKeys'> },
  { filter, first, after, orderBy: asked, wants, node = { fields: undefined, commune: true } }: SearchRequest,
): Promise<SearchResult> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badInput(`« first » doit être compris entre 0 et ${MAX_PAGE}`, 'first');
  if (asked === ActorOrder.DISTANCE && !filter?.near) throw badInput('Le tri par distance demande le filtre « near »', 'orderBy');
  const { from, base, groups, distance, anchor, local, anchorOnly } = await filterSql(filter, vocabularies.taxonomy, vocabularies.territories, {
    planOnce: true,
  });
  if (asked === ActorOrder.PROXIMITY && !anchor) throw badInput('L’ordre de proximité demande le filtre « coversCommune »', 'orderBy');
  const text = filter?.text?.trim();
  if (asked === ActorOrder.RELEVANCE && !text) throw badInput('L’ordre de pertinence demande le filtre « text »', 'orderBy');
  const orderBy = asked ?? (anchor ? ActorOrder.PROXIMITY : text ? ActorOrder.RELEVANCE : ActorOrder.NAME);
  const order = ORDERS[orderBy];
  const dir = order.desc ? sql`DESC` : sql`ASC`;
  let keyset = sql`true`;
  if (after) {
    const [value, id] = decodeCursor(after, (v): v is unknown => order.isValue(v));
    keyset = sql`(${order.keys}, m.id) ${order.desc ? sql`<` : sql`>`} (${order.cast(value)}, ${id}::uuid)`;
  }
  const asks = new Set<FacetGroup>(wants.facets ? (wants.facetGroups ?? ALL_GROUPS) : []);
  if (!local) asks.delete('presence');
  const selected = ALL_GROUPS.filter((g) => groups[g]);
  // Disjunctive facets need the set without the selections when a group asked for has one; a
  // search found from its commune alone reads the commune's coverage first in any case (below).
  const wide = selected.some((g) => asks.has(g)) || (anchorOnly && selected.length > 0);
  const proximity = orderBy === ActorOrder.PROXIMITY && anchor;
  // The order's columns over actor `a` (or a row `a` of the wider set m0), the anchor being `p`.
  const ordering = (near: Sql | null) =>
    join([
      sql`${near ?? (proximity ? anchorDistance : sql`NULL::float8`)} AS distance_km`,
      proximity
        ? sql`${proximityRank} AS prox_rank, coalesce(${anchorDistance}, ${NO_DISTANCE_KM}::float8) AS prox_km`
        : sql`NULL::int AS prox_rank, NULL::float8 AS prox_km`,
      sql`${orderBy === ActorOrder.RELEVANCE && text ? textRank(text) : sql`NULL::int`} AS text_rank`,
    ]);
  const anchored = (rel: Sql) => join([rel, ...(proximity ? [sql`anchor p`] : [])], sql` CROSS JOIN `);
  const kept = sql`a.id, a.search_name, a.updated_at, a.kind, a.sector, a.themes, a.audiences, ${local ?? sql`NULL::boolean`} AS is_local`;
  const flags = (alias: Sql, except?: FacetGroup) =>
    join(
      selected.filter((g) => g !== except).map((g) => sql`${alias}.${FLAG[g]}`),
      sql` AND `,
    );
  // The wider set keeps what the order needs (the place and radius only for proximity: a geometry
  // per row of a commune's thousands of actors); the order itself is computed for the cut only.
  const sets = wide
    ? sql`m0 AS MATERIALIZED (
            SELECT ${kept}${proximity ? sql`, a.commune_code, a.radius_km, a.location` : empty}, ${distance ?? sql`NULL::float8`} AS near_km,
                   ${join(selected.map((g) => sql`(${groups[g]!}) AS ${FLAG[g]}`))}
            FROM ${from} ${whereAll(base)}),
          m AS MATERIALIZED (SELECT a.*, ${ordering(distance ? sql`a.near_km` : null)} FROM ${anchored(sql`m0 a`)} WHERE ${flags(sql`a`)})`
    : sql`m AS MATERIALIZED (SELECT ${kept}, ${ordering(distance)} FROM ${anchored(from)} ${whereAll([...base, ...selected.map((g) => groups[g]!)])})`;
  const facet = (g: FacetGroup) =>
    asks.has(g) ? (wide && groups[g] ? FACETS[g](sql`m0`, selected.length > 1 ? flags(sql`s`, g) : sql`true`) : FACETS[g](sql`m`, sql`true`)) : empty;
  // The page is cut from the materialised set first, then only its rows are read from actor
  // (with the territory of their commune, so that the « commune » field needs no second query).
  //
  // Found from its commune alone (anchorOnly, the directory's commune page), the search is a named
  // prepared statement (runPrepared) that PostgreSQL stops planning after five runs on a
  // connection: one generic plan then serves every commune and theme. Planning it cost 0.9 to
  // 1.7 ms a search on the bench base, as much as a third of running it. That plan holds for any
  // value because m0 reads the commune's coverage alone, the selections applied to its rows
  // afterwards: with the themes beside the commune in one WHERE, the generic plan read every actor
  // of the themes to keep one commune's (bench base: 70 ms against 6 ms planned for the values).
  // PostgreSQL keeps a generic plan only when it costs no more than the plans made for the values;
  // the commune's code and the page's size are hidden from those too (hiddenFromPlanner, filterSql
  // and below), or it kept planning each search. Over 110 communes and themes of the bench base (the
  // biggest and drawn ones), the generic plan runs as fast as one made for the values: 2.98 against
  // 2.98 ms ordered by name, 5.17 against 5.44 ms by proximity (facets included).
  // Other searches (text, place, territory…) stay unnamed, planned for their values every time.
  // Forcing custom plans on the connections (plan_cache_mode) re-planned every foreign-key check
  // and trigger statement too: loading the demonstration actors took 99 to 112 s instead of 28.
  const limit = anchorOnly ? hiddenFromPlanner(first + 1, 'int') : sql`${first + 1}`;
  const [row] = await (anchorOnly ? runPrepared : run)<Record<string, unknown>>(
    ds,
    sql`
      WITH ${proximity ? sql`${anchorCte(proximity)}, ` : empty}${sets}
      SELECT
        (SELECT COALESCE(json_agg(row_to_json(x) ORDER BY x.ord), '[]') FROM (
           SELECT ${actorColumns('a', node.fields)}, p.distance_km, p.prox_rank, p.prox_km, p.text_rank, p.search_name AS sort_name, p.updated_at AS sort_updated, p.ord
                  ${
                    node.commune
                      ? sql`, (SELECT row_to_json(c) FROM (SELECT ${territoryColumns} FROM territory t
                     WHERE t.code = a.commune_code AND t.level IN ('COMMUNE', 'ARRONDISSEMENT') LIMIT 1) c) AS commune_territory`
                      : empty
                  }
           FROM (SELECT m.*, row_number() OVER (ORDER BY ${order.keys} ${dir}, m.id ${dir}) AS ord
                 FROM m WHERE ${keyset} ORDER BY ${order.keys} ${dir}, m.id ${dir} LIMIT ${limit}) p
           JOIN actor a ON a.id = p.id) x) AS page
        ${wants.totalCount ? sql`, (SELECT count(*) FROM m) AS total` : empty}
        ${facet('themes')}${facet('kinds')}${facet('sectors')}${facet('audiences')}${facet('presence')}`,
  );
  const page = parseJson<Record<string, unknown>[]>(row.page);
  const rows = page.slice(0, first).map((r) => ({
    actor: toActorOf(r, node.fields),
    distanceKm: r.distance_km === null ? null : Math.round((r.distance_km as number) * 1000) / 1000,
    cursor: encodeCursor(order.value(r), r.id as string),
    commune: r.commune_territory ? toTerritory(r.commune_territory as Parameters<typeof toTerritory>[0]) : undefined,
  }));
  const facets = (v: unknown) => parseJson<[string, number][] | null>(v) ?? [];
  return {
    rows,
    hasNextPage: page.length > first,
    totalCount: wants.totalCount ? Number(row.total) : 0,
    facets: {
      themes: facets(row.theme_facets),
      kinds: facets(row.kind_facets),
      sectors: facets(row.sector_facets),
      audiences: facets(row.audience_facets),
      presence: facets(row.presence_facets),
    },
  };
}
