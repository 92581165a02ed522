import { type Shared, type Sql, empty, ident, join, shared, sql } from '../db/sql.js';
import { DEPARTEMENT_MAP_ZOOM, REGION_MAP_ZOOM, halfPixelDegrees } from '../territories/map-geometry.js';
import { PARENT_COLUMN, PARENT_COLUMNS } from '../territories/territory-hierarchy.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { communeId, type CountSource, countSource, decisive } from './gap-source.js';
import { actorConditions, type GapSpec, type Group } from './gap-spec.js';
import { GapLevel, GapOrder } from './gap.inputs.js';

/** Column of a commune holding its territory of each analysed level. */
const UNIT_COLUMN: Record<GapLevel, Sql> = {
  COMMUNE: sql`code`,
  EPCI: sql`epci_code`,
  DEPARTEMENT: sql`departement_code`,
};

export const ORDER_SQL: Record<GapOrder, Sql> = {
  UNCOVERED_POPULATION: sql`r.uncovered_pop DESC, r.pop DESC, r.code`,
  POPULATION: sql`r.pop DESC, r.code`,
  ACTORS_PER_10K: sql`r.per10k ASC NULLS FIRST, r.pop DESC, r.code`,
  NAME: sql`r.name, r.code`,
};

/** A lon/lat box: west, south, east, north. */
export type Box = [number, number, number, number];

/** The statement of one request: its count source, and the CTEs every query starts with. */
export interface GapQuery {
  spec: GapSpec;
  source: CountSource;
  /** The CTEs sc, u, m and the count source's, as `WITH` takes them. */
  base: Sql;
}

/**
 * The CTEs every query starts with:
 * - sc: communes of the scope; u: territories at the level; m: member communes of each of them
 *   (all its communes, even outside the scope); communes carry an integer id (communeId) so
 *   that the large joins below compare integers;
 * - then the count source's (gap-source.ts), chosen here once for the whole statement.
 */
export function gapQuery(spec: GapSpec, groups: Group[], { decisiveOnly = false } = {}): GapQuery {
  const scopeColumn = PARENT_COLUMN[spec.scope.level];
  const scopeWhere = join(
    [
      spec.scope.level === TerritoryLevel.PAYS || !scopeColumn ? empty : sql`AND c.${ident(scopeColumn, PARENT_COLUMNS)} = ${spec.scope.code}`,
      spec.within ? sql`AND ${meets(sql`c.geom`, spec.within)}` : empty,
    ],
    sql` `,
  );
  const unit = UNIT_COLUMN[spec.level];
  const commune = spec.level === GapLevel.COMMUNE;
  const units = commune ? sql`SELECT code FROM sc` : sql`SELECT DISTINCT ${unit} AS code FROM sc WHERE ${unit} IS NOT NULL`;
  const members = commune
    ? sql`SELECT code AS unit, code, id, population FROM sc`
    : sql`SELECT c.${unit} AS unit, c.code, ${communeId(sql`c.code`)} AS id, c.population FROM territory c
           WHERE c.level = 'COMMUNE' AND c.${unit} = ANY(ARRAY(SELECT code FROM u))`;
  const source = countSource({
    spec,
    groups,
    gids: shared(groups.map((g) => g.id)),
    areaLevel: commune ? null : shared(spec.level),
    communes: commune ? sql`sc` : sql`(SELECT code, id FROM m UNION SELECT code, id FROM sc)`,
    decisiveOnly,
  });
  const base = sql`
      sc AS MATERIALIZED (
        SELECT c.code, ${communeId(sql`c.code`)} AS id, c.population, c.epci_code, c.departement_code FROM territory c
        WHERE c.level = 'COMMUNE' ${scopeWhere}),
      u AS MATERIALIZED (${units}),
      m AS ${commune ? empty : sql`MATERIALIZED`} (${members}),
      ${source.counts()}`;
  return { spec, source, base };
}

/** The presence class of a relation's counts nl and na. */
export const presenceOf = (rel: Sql): Sql => sql`CASE WHEN ${rel}.nl > 0 THEN 'LOCAL' WHEN ${rel}.na > 0 THEN 'WIDE_ONLY' ELSE 'NONE' END`;

/** Per (territory, column) figures, as CTE `r`; `f` is the grouping over member communes. */
export function figures({ spec, source }: GapQuery): Sql {
  const minActors = spec.minActors;
  const minPer10k = shared(spec.minPer10k);
  const f =
    spec.level === GapLevel.COMMUNE
      ? sql`SELECT m.code, m.id, g.gid, g.ord, coalesce(m.population, 0)::bigint AS pop, 1 AS communes,
             (coalesce(kc.n, 0) > 0)::int AS covered_communes,
             CASE WHEN kc.n > 0 THEN coalesce(m.population, 0) ELSE 0 END::bigint AS covered_pop, coalesce(kc.n, 0) AS n,
             coalesce(kc.nl, 0) AS nl, coalesce(kc.na, 0) AS na, coalesce(kc.nv, 0) AS nv
           FROM ${source.joinCounts(sql`m`)}`
      : sql`SELECT f.*, coalesce(ka.n, 0) AS n, coalesce(ka.nl, 0) AS nl, coalesce(ka.na, 0) AS na, coalesce(ka.nv, 0) AS nv FROM (
             SELECT m.unit AS code, g.gid, g.ord, sum(coalesce(m.population, 0))::bigint AS pop, count(*)::int AS communes,
               count(*) FILTER (WHERE kc.n > 0)::int AS covered_communes,
               coalesce(sum(m.population) FILTER (WHERE kc.n > 0), 0)::bigint AS covered_pop
             FROM ${source.joinCounts(sql`m`)}
             GROUP BY m.unit, g.gid, g.ord) f
           LEFT JOIN ka ON ka.ord = f.ord AND ka.code = f.code`;
  return sql`
      f AS (${f}),
      r AS (
        SELECT f.*, f.pop - f.covered_pop AS uncovered_pop,
          ${presenceOf(sql`f`)} AS presence,
          CASE WHEN f.pop > 0 THEN f.n * 10000.0::float8 / f.pop END AS per10k,
          (f.n < coalesce(${minActors}::int, 0)
            OR (${minPer10k}::float8 IS NOT NULL AND CASE WHEN f.pop > 0 THEN f.n * 10000.0::float8 / f.pop < ${minPer10k}::float8
                                                          ELSE f.n = 0 END)) AS is_gap
        FROM f)`;
}

/** Summary per column, as CTE `s`: population from the scope's communes, territories from `r`. */
export function summaries({ spec, source }: GapQuery): Sql {
  return sql`
      sp AS (${
        spec.level === GapLevel.COMMUNE
          ? // The territories are the scope's communes: the same sums, without a second join.
            sql`SELECT r.gid, sum(r.pop)::bigint AS pop, sum(r.covered_pop)::bigint AS covered_pop,
               count(*)::int AS communes, sum(r.covered_communes)::int AS covered_communes,
               count(*) FILTER (WHERE r.nl = 0 AND r.na > 0)::int AS wide_only_communes,
               coalesce(sum(r.pop) FILTER (WHERE r.nl = 0 AND r.na > 0), 0)::bigint AS wide_only_pop,
               count(*) FILTER (WHERE r.nl > 0 AND r.nv = 0)::int AS stale_only_communes,
               coalesce(sum(r.pop) FILTER (WHERE r.nl > 0 AND r.nv = 0), 0)::bigint AS stale_only_pop
             FROM r GROUP BY r.gid`
          : sql`SELECT g.gid, sum(coalesce(sc.population, 0))::bigint AS pop,
               coalesce(sum(sc.population) FILTER (WHERE kc.n > 0), 0)::bigint AS covered_pop,
               count(*)::int AS communes, count(*) FILTER (WHERE kc.n > 0)::int AS covered_communes,
               count(*) FILTER (WHERE coalesce(kc.nl, 0) = 0 AND kc.na > 0)::int AS wide_only_communes,
               coalesce(sum(sc.population) FILTER (WHERE coalesce(kc.nl, 0) = 0 AND kc.na > 0), 0)::bigint AS wide_only_pop,
               count(*) FILTER (WHERE kc.nl > 0 AND coalesce(kc.nv, 0) = 0)::int AS stale_only_communes,
               coalesce(sum(sc.population) FILTER (WHERE kc.nl > 0 AND coalesce(kc.nv, 0) = 0), 0)::bigint AS stale_only_pop
             FROM ${source.joinCounts(sql`sc`)}
             GROUP BY g.gid`
      }),
      st AS (
        SELECT r.gid, count(*)::int AS territories, count(*) FILTER (WHERE r.covered_communes = 0)::int AS uncovered_territories,
          count(*) FILTER (WHERE r.is_gap)::int AS gaps
        FROM r GROUP BY r.gid),
      s AS (
        SELECT g.gid, g.ord, sp.pop, sp.covered_pop, sp.communes, sp.covered_communes, sp.wide_only_communes, sp.wide_only_pop,
          sp.stale_only_communes, sp.stale_only_pop, coalesce(xa.nv, 0) AS verified_local_actors,
          coalesce(st.territories, 0) AS territories, coalesce(st.uncovered_territories, 0) AS uncovered_territories,
          coalesce(st.gaps, 0) AS gaps, coalesce(${decisive(spec, sql`xa`)}, 0) AS actors, coalesce(xa.nl, 0) AS local_actors,
          coalesce(xa.na, 0) - coalesce(xa.nl, 0) AS wide_actors
        FROM g LEFT JOIN sp ON sp.gid = g.gid LEFT JOIN st ON st.gid = g.gid LEFT JOIN ${source.scopeActors()} xa ON xa.gid = g.gid)`;
}

/** rm: the main column's rows, gaps ranked (largest uncovered population first). */
export const RANKED = sql`
      rm AS MATERIALIZED (
        SELECT r.*, CASE WHEN r.is_gap THEN row_number() OVER (PARTITION BY r.is_gap ORDER BY ${ORDER_SQL.UNCOVERED_POPULATION}) END AS rank
        FROM r WHERE r.gid = 'main')`;

/** Test that a geometry's box meets a lon/lat box, with the box as parameters. */
function meets(column: Sql, box: Box): Sql {
  return sql`${column} && ST_MakeEnvelope(${join(box.map((c) => sql`${c}::float8`))}, 4326)`;
}

/**
 * Distance in metres from the territory `t` to the nearest filtered actor having one of the
 * column's keys. The nearest is found by a planar KNN in the territory's local projection
 * (Lambert-93, or the UTM zone of its overseas département: migration 1764000000012), about
 * three times cheaper than on the sphere; the distance returned is the geodesic one to that
 * actor. Without a projection, or with no such actor in the zone, it searches on the sphere.
 */
export function nearest(spec: GapSpec, group: Group): Sql {
  const conditions = actorConditions(spec);
  const actors = conditions.length ? sql`JOIN actor a ON a.id = p.actor_id AND ${join(conditions, sql` AND `)}` : empty;
  const knn = (key: Sql | Shared) => sql`coalesce(
        (SELECT CASE WHEN p.zone = t.zone THEN ST_Distance(p.geog, tg.g) END FROM actor_theme_point p ${actors}
         WHERE p.theme = ${key} AND p.proj IS NOT NULL AND t.geom_proj IS NOT NULL
         ORDER BY p.proj <-> t.geom_proj LIMIT 1),
        (SELECT ST_Distance(p.geog, tg.g) FROM actor_theme_point p ${actors}
         WHERE p.theme = ${key} AND tg.g IS NOT NULL ORDER BY p.geog <-> tg.g LIMIT 1))`;
  const body =
    group.keys.length === 1
      ? sql`SELECT ${knn(shared(group.keys[0]))} AS d`
      : sql`SELECT min(${knn(sql`gk.key`)}) AS d FROM unnest(${group.keys}::text[]) gk(key)`;
  return sql`LEFT JOIN LATERAL (SELECT t.geom::geography AS g) tg ON true
            LEFT JOIN LATERAL (${body}) nn ON true`;
}

/** How the features of a coverage map are drawn. */
export interface FeatureOptions {
  zoom: number | null;
  withDistance: boolean;
  compact: boolean;
  /** Only the territories whose boundary meets this box (a map tile). */
  within?: Box;
}

/** The FeatureCollection of the rows of rm, built in SQL. */
export function featureCollection(spec: GapSpec, { zoom, withDistance, compact, within }: FeatureOptions): Sql {
  // Up to zoom 9, the boundaries stored for maps, whose shared borders were simplified once (no
  // sliver between neighbours: server/territories/map-geometry.ts); deeper, the boundary simplified
  // to half a pixel at this zoom. Without a zoom, the stored display geometry.
  const geom =
    zoom === null
      ? sql`t.geom_display`
      : zoom <= REGION_MAP_ZOOM
        ? sql`t.geom_z7`
        : zoom <= DEPARTEMENT_MAP_ZOOM
          ? sql`t.geom_z9`
          : sql`ST_SimplifyPreserveTopology(t.geom, ${halfPixelDegrees(zoom)}::float8)`;
  // Decimals of the coordinates: 4 (about 10 m) is finer than a pixel up to zoom 10.
  const digits = zoom !== null && zoom <= 10 ? sql`4` : sql`5`;
  const properties = compact
    ? sql`json_build_object('code', t.code, 'name', t.name, 'population', rm.pop, 'actorCount', rm.n,
           'localActorCount', rm.nl, 'wideActorCount', rm.na - rm.nl, 'verifiedLocalActorCount', rm.nv, 'presence', rm.presence,
           'covered', rm.covered_communes > 0, 'isGap', rm.is_gap)`
    : sql`json_build_object('code', t.code, 'name', t.name, 'level', t.level, 'population', rm.pop,
           'actorCount', rm.n, 'localActorCount', rm.nl, 'wideActorCount', rm.na - rm.nl, 'verifiedLocalActorCount', rm.nv,
           'presence', rm.presence, 'actorsPer10k', round(rm.per10k::numeric, 4), 'covered', rm.covered_communes > 0,
           'isGap', rm.is_gap, 'communeCount', rm.communes, 'coveredCommuneCount', rm.covered_communes,
           'coveredPopulation', rm.covered_pop,
           'coveredPopulationShare', CASE WHEN rm.pop > 0 THEN round(rm.covered_pop::numeric / rm.pop, 6) END,
           'uncoveredPopulation', rm.uncovered_pop,
           'nearestActorKm', ${withDistance ? sql`round((nn.d / 1000.0)::numeric, 3)` : sql`NULL`},
           'rank', rm.rank)`;
  return sql`(SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
          'type', 'Feature', 'id', t.code, 'geometry', ST_AsGeoJSON(${geom}, ${digits})::json, 'properties', ${properties})
          ORDER BY t.code), '[]'::json))
       FROM rm JOIN territory t ON t.level = ${spec.level} AND t.code = rm.code
       ${withDistance ? nearest(spec, spec.main) : empty}
       ${within ? sql`WHERE ${meets(sql`t.geom`, within)}` : empty})`;
}
