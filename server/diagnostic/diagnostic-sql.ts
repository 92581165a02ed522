import type { DataSource } from 'typeorm';
import { run, shared, type Sql, sql } from '../db/sql.js';
import { LOCAL_KEY_PREFIX } from '../gaps/gap-spec.js';
import type { CoverageSummary } from '../gaps/gap.types.js';

/** One column of figures: the actors having theme key `key` (actor_theme_key: '*' any theme, `terrain:` field actors). */
export interface KeyGroup {
  gid: string;
  key: string;
}

/**
 * The figures of one column over a set of communes, named as GapService's CoverageSummary names
 * them (at level COMMUNE, with the default threshold, a gap is a commune without local presence).
 */
export type CommuneSetFigures = Pick<
  CoverageSummary,
  | 'localActorCount'
  | 'wideActorCount'
  | 'communeCount'
  | 'population'
  | 'coveredCommuneCount'
  | 'coveredPopulation'
  | 'gapCount'
  | 'wideOnlyCommuneCount'
  | 'wideOnlyPopulation'
>;

/**
 * The gap figures of an arbitrary set of communes (a CLS perimeter), column by column: what
 * GapService gives for a territory scope at level COMMUNE, computed here because no scope of the
 * COG holds an arbitrary list. Per commune, the maintained counts of coverage_theme_count (level
 * COMMUNE, the key and its `local:` twin); distinct actors from coverage_commune and
 * actor_theme_key (validated, active actors only), an actor being local to the set when it is
 * present locally in at least one of its communes, as coverage_area.local is for a territory.
 * `communes` is a relation with a `code` column; one statement.
 */
export async function communeSetFigures(ds: DataSource, communes: Sql, groups: KeyGroup[]): Promise<Map<string, CommuneSetFigures>> {
  const gids = groups.map((g) => g.gid);
  const keys = groups.map((g) => g.key);
  const rows = await run<Record<string, string | number>>(
    ds,
    sql`
    WITH g AS (SELECT gid, key, ${LOCAL_KEY_PREFIX} || key AS lkey, ord::int AS ord
               FROM unnest(${gids}::text[], ${keys}::text[]) WITH ORDINALITY AS g(gid, key, ord)),
      sc AS MATERIALIZED (
        SELECT c.code, coalesce(c.population, 0)::bigint AS pop FROM territory c
        WHERE c.level = 'COMMUNE' AND c.code IN (SELECT code FROM (${communes}) x)),
      kc AS (
        SELECT sc.code, sc.pop, g.gid,
          coalesce(max(k.actor_count) FILTER (WHERE k.theme = g.lkey), 0) AS nl,
          coalesce(max(k.actor_count) FILTER (WHERE k.theme = g.key), 0) AS na
        FROM sc CROSS JOIN g
        LEFT JOIN coverage_theme_count k ON k.level = 'COMMUNE' AND k.code = sc.code AND k.theme IN (g.key, g.lkey)
        GROUP BY sc.code, sc.pop, g.gid),
      per AS (
        SELECT kc.gid, count(*)::int AS communes, sum(kc.pop)::bigint AS pop,
          count(*) FILTER (WHERE kc.nl > 0)::int AS local_communes,
          coalesce(sum(kc.pop) FILTER (WHERE kc.nl > 0), 0)::bigint AS local_pop,
          count(*) FILTER (WHERE kc.nl = 0 AND kc.na > 0)::int AS wide_only_communes,
          coalesce(sum(kc.pop) FILTER (WHERE kc.nl = 0 AND kc.na > 0), 0)::bigint AS wide_only_pop
        FROM kc GROUP BY kc.gid),
      act AS MATERIALIZED (
        SELECT cc.actor_id, bool_or(cc.local) AS local FROM coverage_commune cc
        WHERE cc.commune_code IN (SELECT code FROM sc) GROUP BY cc.actor_id),
      xa AS (
        SELECT g.gid, count(*) FILTER (WHERE act.local)::int AS nl, count(*)::int AS na
        FROM act JOIN actor_theme_key s ON s.actor_id = act.actor_id JOIN g ON g.key = ANY(s.keys)
        GROUP BY g.gid)
    SELECT g.gid, coalesce(per.communes, 0) AS communes, coalesce(per.pop, 0) AS pop,
      coalesce(per.local_communes, 0) AS local_communes, coalesce(per.local_pop, 0) AS local_pop,
      coalesce(per.wide_only_communes, 0) AS wide_only_communes, coalesce(per.wide_only_pop, 0) AS wide_only_pop,
      coalesce(xa.nl, 0) AS local_actors, coalesce(xa.na, 0) - coalesce(xa.nl, 0) AS wide_actors
    FROM g LEFT JOIN per ON per.gid = g.gid LEFT JOIN xa ON xa.gid = g.gid ORDER BY g.ord`,
  );
  return new Map(
    rows.map((r) => [
      String(r.gid),
      {
        localActorCount: Number(r.local_actors),
        wideActorCount: Number(r.wide_actors),
        communeCount: Number(r.communes),
        population: Number(r.pop),
        coveredCommuneCount: Number(r.local_communes),
        coveredPopulation: Number(r.local_pop),
        gapCount: Number(r.communes) - Number(r.local_communes),
        wideOnlyCommuneCount: Number(r.wide_only_communes),
        wideOnlyPopulation: Number(r.wide_only_pop),
      },
    ]),
  );
}

/** Freshness of the records present locally in a set of communes (freshnessOf). */
export interface FreshnessRow {
  actors: number;
  fresh: number;
  stale: number;
  never: number;
  stale_only_communes: number;
  stale_only_pop: number;
  /** The stale records that are the only local presence of some communes, with how many. */
  to_verify: { id: string; communes: number }[];
}

/** How many records to list as « à vérifier en priorité ». */
export const TO_VERIFY_LIMIT = 20;

/**
 * Freshness of the actors having `key` and present locally in at least one commune of
 * `communes` (a relation with a `code` column): confirmed since `staleBefore` (fresh), before it
 * (stale), never; the communes whose whole local presence rests on records to verify (stale or
 * never confirmed), and those records, the ones holding the most such communes first.
 */
export async function freshnessOf(ds: DataSource, communes: Sql, key: string, staleBefore: Date): Promise<FreshnessRow> {
  const before = shared(staleBefore);
  const [row] = await run<{ figures: FreshnessRow }>(
    ds,
    sql`
    WITH sc AS MATERIALIZED (
        SELECT c.code, coalesce(c.population, 0)::bigint AS pop FROM territory c
        WHERE c.level = 'COMMUNE' AND c.code IN (SELECT code FROM (${communes}) x)),
      la AS MATERIALIZED (
        SELECT cc.commune_code, cc.actor_id, (a.verified_at IS NOT NULL AND a.verified_at >= ${before}::timestamptz) AS fresh,
          a.verified_at IS NULL AS never
        FROM coverage_commune cc JOIN sc ON sc.code = cc.commune_code
        JOIN actor_theme_key s ON s.actor_id = cc.actor_id AND ${key} = ANY(s.keys)
        JOIN actor a ON a.id = cc.actor_id
        WHERE cc.local),
      ac AS (SELECT DISTINCT actor_id, fresh, never FROM la),
      so AS (SELECT la.commune_code FROM la GROUP BY la.commune_code HAVING NOT bool_or(la.fresh)),
      tv AS (
        SELECT la.actor_id AS id, count(*)::int AS communes FROM la JOIN so ON so.commune_code = la.commune_code
        GROUP BY la.actor_id ORDER BY count(*) DESC, la.actor_id LIMIT ${TO_VERIFY_LIMIT})
    SELECT json_build_object(
      'actors', (SELECT count(*) FROM ac),
      'fresh', (SELECT count(*) FROM ac WHERE fresh),
      'stale', (SELECT count(*) FROM ac WHERE NOT fresh AND NOT never),
      'never', (SELECT count(*) FROM ac WHERE never),
      'stale_only_communes', (SELECT count(*) FROM so),
      'stale_only_pop', (SELECT coalesce(sum(sc.pop), 0) FROM so JOIN sc ON sc.code = so.commune_code),
      'to_verify', (SELECT coalesce(json_agg(tv ORDER BY tv.communes DESC, tv.id), '[]') FROM tv)) AS figures`,
  );
  const f = typeof row.figures === 'string' ? (JSON.parse(row.figures) as FreshnessRow) : row.figures;
  return f;
}
