import { type Shared, type Sql, empty, shared, sql, where } from '../db/sql.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { actorConditions, FRESH_KEY_PREFIX, type GapSpec, type Group, LOCAL_KEY_PREFIX } from './gap-spec.js';
import { Presence } from './gap.inputs.js';

/** An integer standing for a commune code, unique: 55545 → 55545, 2A004 → 100004, 2B033 → 200033. */
export const communeId = (col: Sql): Sql =>
  // Commune codes (COG) are five characters: digits, or 2A/2B and three digits. No regular
  // expression: a tenth of the time of the national gaps went to matching one per commune.
  sql`(CASE substr(${col}, 2, 1) WHEN 'A' THEN 100000 + substr(${col}, 3)::int WHEN 'B' THEN 200000 + substr(${col}, 3)::int ELSE ${col}::int END)`;

/** What the count CTEs are built from: the request, its columns and the base CTEs' names. */
export interface CountContext {
  spec: GapSpec;
  groups: Group[];
  /** The column ids, in order (one parameter). */
  gids: Shared;
  /** The analysed level when above communes (EPCI, département): one parameter; null for communes. */
  areaLevel: Shared | null;
  /** Every commune whose counts are needed: the scope's, and the other members of its territories. */
  communes: Sql;
  /**
   * Only the counts the request decides with (`n`): the theme matrix without its totals. The
   * maintained aggregates then read one key per column instead of three; `nl`, `na` and `nv` are
   * not computed apart, so presence classes and wide-scope figures mean nothing: read them for
   * the rows shown with `exactCounts`.
   */
  decisiveOnly?: boolean;
}

/**
 * Where the actor counts come from. Chosen once per request (countSource), it writes every part
 * of the statement that depends on it:
 * - `counts`: CTEs g(gid, ord …), kc(ord, id, n, nl, na, nv): actors per commune, and, above
 *   communes, ka(ord, code, n, nl, na, nv): actors per territory of the level;
 * - `joinCounts`: a commune relation × the columns, with their counts;
 * - `scopeActors`: distinct actors covering the scope, per column, as a relation (gid, nl, na, nv).
 * Every count comes four ways: `nl` the actors present locally, `nv` those of them whose record
 * was confirmed recently (the others are stale), `na` those covering in any way (région or
 * country included), and `n` the one the request's presence decides with.
 */
export interface CountSource {
  counts(): Sql;
  joinCounts(communes: Sql): Sql;
  scopeActors(): Sql;
  /**
   * The exact nl, na and nv of a few rows of `r` (rel, with its code and ord) as relation `pc`,
   * at the analysed level: those of `r` itself, unless the statement read the decisive counts
   * only (`decisiveOnly`), in which case they are read again for these rows alone. A list of
   * gaps needs the decisive count of every territory but the three counts of its page only.
   */
  exactCounts(rel: Sql, level: Shared): Sql;
}

/** The row's own counts, as relation `pc` (exactCounts when every count was computed). */
const ownCounts = (rel: Sql): Sql => sql`CROSS JOIN LATERAL (SELECT ${rel}.nl, ${rel}.na, ${rel}.nv) pc`;

/** The count the request decides with, of relation `rel`: local presence (`nl`), or any coverage (`na`). */
export const decisive = (spec: GapSpec, rel: Sql): Sql => (spec.presence === Presence.LOCAL ? sql`${rel}.nl` : sql`${rel}.na`);

/** True when the maintained per-theme counts answer the request exactly. */
export function aggregatesAnswer(spec: GapSpec, groups: Group[]): boolean {
  return !spec.kinds && !spec.audiences && groups.every((g) => g.keys.length === 1);
}

/** The source of a request: the maintained aggregates when they answer it, else the live counts. */
export function countSource(ctx: CountContext): CountSource {
  return aggregatesAnswer(ctx.spec, ctx.groups) ? new AggregateSource(ctx) : new LiveSource(ctx);
}

/**
 * The maintained aggregates of migration 1764000000005 (coverage_theme_count): one theme key per
 * column, every actor of it (or every field actor, under the `terrain:` keys). Its counts are
 * dense: one row per (commune, column), zeros included.
 */
class AggregateSource implements CountSource {
  /** Each column's key, its local key and its recent one (g.key, g.lkey, g.vkey). */
  private readonly keys: Shared;
  private readonly localKeys: Shared;
  private readonly freshKeys: Shared;
  /**
   * The keys the counts read: all three of each column, in that order; or, with `decisiveOnly`,
   * its decisive key alone (a third of the rows: nl, na and nv of kc and ka are then all that count).
   */
  private readonly readKeys: Shared;

  constructor(private readonly ctx: CountContext) {
    const keys = ctx.groups.map((g) => g.keys[0]);
    const localKeys = keys.map((k) => LOCAL_KEY_PREFIX + k);
    const freshKeys = keys.map((k) => FRESH_KEY_PREFIX + k);
    this.keys = shared(keys);
    this.localKeys = shared(localKeys);
    this.freshKeys = shared(freshKeys);
    this.readKeys = ctx.decisiveOnly ? shared(ctx.spec.presence === Presence.LOCAL ? localKeys : keys) : shared([...keys, ...localKeys, ...freshKeys]);
  }

  counts(): Sql {
    const { spec, gids, communes } = this.ctx;
    const { keys, localKeys, freshKeys, readKeys } = this;
    // The commune rows of every key the request reads, from index-only ranges of the primary key
    // (theme, level, code) INCLUDE (actor_count) (migration 1764000000034): all of France in one
    // range per key; a smaller scope in one range per key and two-character prefix of its communes'
    // codes (their département, 2A/2B, or 97 overseas), a superset that the joins of kc narrow down.
    // Rows carry the commune's code and the key's position in readKeys (column ord; ord + n for its
    // local key, ord + 2n for its recent one). A column's three counts of a commune are gathered by
    // one hashed aggregation (kp), then joined to the communes by their code; kr is read inline,
    // not materialised (writing and reading back its 95,000 rows cost as much as the aggregation).
    // Bench base, gaps of all France for one theme: 600–770 ms when kc joined a materialised kr
    // three times (three sorts of 95,000 rows and their merge joins), 137–146 ms (median over the
    // themes) this way (6 December 2026).
    const n = this.ctx.groups.length;
    const keyRanges =
      spec.scope.level === TerritoryLevel.PAYS
        ? { from: sql`unnest(${readKeys}::text[]) WITH ORDINALITY AS key(key, pos)`, within: empty }
        : {
            from: sql`(SELECT DISTINCT left(y.code, 2) AS p FROM ${communes} y) p CROSS JOIN unnest(${readKeys}::text[]) WITH ORDINALITY AS key(key, pos)`,
            within: sql`AND k.code BETWEEN p.p AND p.p || 'ZZZ'`,
          };
    const rows = sql`SELECT k.code, key.pos::int AS pos, k.actor_count FROM ${keyRanges.from}
      CROSS JOIN LATERAL (SELECT k.code, k.actor_count FROM coverage_theme_count k
        WHERE k.theme = key.key AND k.level = 'COMMUNE' ${keyRanges.within} OFFSET 0) k`;
    // Decisive counts only: the rows read are kc itself, joined to the communes by code (joinCounts),
    // neither aggregated nor made dense. Bench base, gaps of all France for one theme: 75–80 ms
    // instead of 200 ms for the dense three-key counts (night of 6 December 2026).
    const g = sql`g AS (SELECT gid, key, lkey, vkey, ord::int AS ord
              FROM unnest(${gids}::text[], ${keys}::text[], ${localKeys}::text[], ${freshKeys}::text[]) WITH ORDINALITY AS g(gid, key, lkey, vkey, ord))`;
    if (this.ctx.decisiveOnly) {
      return sql`
        ${g},
        kr AS (${rows}),
        kc AS (SELECT kr.code, kr.pos AS ord, kr.actor_count AS n, kr.actor_count AS nl, kr.actor_count AS na, kr.actor_count AS nv FROM kr)
        ${this.areaCounts()}`;
    }
    const kp = sql`SELECT kr.code, (kr.pos - 1) % ${n}::int + 1 AS ord,
             max(kr.actor_count) FILTER (WHERE kr.pos > ${n}::int AND kr.pos <= ${2 * n}::int) AS nl,
             max(kr.actor_count) FILTER (WHERE kr.pos <= ${n}::int) AS na,
             max(kr.actor_count) FILTER (WHERE kr.pos > ${2 * n}::int) AS nv
           FROM kr GROUP BY 1, 2`;
    const kc = sql`SELECT x.id, g.ord, coalesce(kp.nl, 0) AS nl, coalesce(kp.na, 0) AS na, coalesce(kp.nv, 0) AS nv
           FROM ${communes} x CROSS JOIN g
           LEFT JOIN (${kp}) kp ON kp.code = x.code AND kp.ord = g.ord`;
    return sql`
        ${g},
        kr AS (${rows}),
        -- Dense: one row per (commune, column), zeros included.
        kc AS MATERIALIZED (SELECT z.*, ${decisive(spec, sql`z`)} AS n FROM (${kc}) z)
        ${this.areaCounts()}`;
  }

  /** ka, above communes: each territory's counts of the keys read (decisive only: nl, na, nv mean nothing). */
  private areaCounts(): Sql {
    const { spec, areaLevel } = this.ctx;
    if (!areaLevel) return empty;
    return sql`, ka AS (SELECT z.*, ${decisive(spec, sql`z`)} AS n FROM (
                 SELECT g.ord, k.code, coalesce(max(k.actor_count) FILTER (WHERE k.theme = g.lkey), 0) AS nl,
                   coalesce(max(k.actor_count) FILTER (WHERE k.theme = g.key), 0) AS na,
                   coalesce(max(k.actor_count) FILTER (WHERE k.theme = g.vkey), 0) AS nv
                 FROM u JOIN coverage_theme_count k ON k.level = ${areaLevel} AND k.code = u.code AND k.theme = ANY(${this.readKeys}::text[])
                 JOIN g ON k.theme IN (g.key, g.lkey, g.vkey)
                 GROUP BY g.ord, k.code) z)`;
  }

  joinCounts(c: Sql): Sql {
    return this.ctx.decisiveOnly
      ? sql`${c} CROSS JOIN g LEFT JOIN kc ON kc.ord = g.ord AND kc.code = ${c}.code`
      : sql`${c} JOIN kc ON kc.id = ${c}.id JOIN g ON g.ord = kc.ord`;
  }

  exactCounts(rel: Sql, level: Shared): Sql {
    if (!this.ctx.decisiveOnly) return ownCounts(rel);
    return sql`CROSS JOIN LATERAL (
        SELECT coalesce(max(k.actor_count) FILTER (WHERE k.theme = g3.lkey), 0) AS nl,
          coalesce(max(k.actor_count) FILTER (WHERE k.theme = g3.key), 0) AS na,
          coalesce(max(k.actor_count) FILTER (WHERE k.theme = g3.vkey), 0) AS nv
        FROM g g3 JOIN coverage_theme_count k ON k.theme IN (g3.key, g3.lkey, g3.vkey) AND k.level = ${level} AND k.code = ${rel}.code
        WHERE g3.ord = ${rel}.ord) pc`;
  }

  scopeActors(): Sql {
    const { scope } = this.ctx.spec;
    return sql`(SELECT g2.gid, max(k.actor_count) FILTER (WHERE k.theme = g2.lkey) AS nl, max(k.actor_count) FILTER (WHERE k.theme = g2.key) AS na,
                  max(k.actor_count) FILTER (WHERE k.theme = g2.vkey) AS nv
                FROM g g2 JOIN coverage_theme_count k ON k.theme IN (g2.key, g2.lkey, g2.vkey) AND k.level = ${scope.level} AND k.code = ${scope.code}
                GROUP BY g2.gid)`;
  }
}

/**
 * Counts computed from coverage_commune / coverage_area and the filtered actors (kinds, publics,
 * several theme keys in one column). Only the pairs with actors have rows.
 */
class LiveSource implements CountSource {
  constructor(private readonly ctx: CountContext) {}

  counts(): Sql {
    const { spec, groups, gids, areaLevel, communes } = this.ctx;
    const conditions = actorConditions(spec);
    const groupKeys = JSON.stringify(groups.map((g, i) => ({ ord: i + 1, keys: g.keys })));
    // Only actors touching the territories examined: they alone can cover their communes.
    const allCommunes = spec.scope.level === TerritoryLevel.PAYS;
    const touching = areaLevel
      ? sql`(SELECT DISTINCT ca.actor_id FROM coverage_area ca WHERE ca.level = ${areaLevel} AND ca.code IN (SELECT code FROM u))`
      : allCommunes
        ? sql`(SELECT actor_id FROM actor_theme_key)`
        : sql`(SELECT ca.actor_id FROM coverage_area ca WHERE ca.level = ${spec.scope.level} AND ca.code = ${spec.scope.code})`;
    const ka = areaLevel
      ? sql`, ka AS (SELECT z.*, ${decisive(spec, sql`z`)} AS n FROM (
                 SELECT fa.ord, ca.code, count(*) FILTER (WHERE ca.local)::int AS nl, count(*)::int AS na,
                   count(*) FILTER (WHERE ca.local AND ca.fresh)::int AS nv FROM fa
                 JOIN (SELECT fid.id, ca.code, ca.local, fid.fresh FROM fid
                       CROSS JOIN LATERAL (SELECT ca.code, ca.local FROM coverage_area ca
                                           WHERE ca.actor_id = fid.id AND ca.level = ${areaLevel} OFFSET 0) ca
                       WHERE ca.code IN (SELECT code FROM u)) ca ON ca.id = fa.id
                 GROUP BY fa.ord, ca.code) z)`
      : empty;
    return sql`
        g AS (SELECT gid, ord::int AS ord FROM unnest(${gids}::text[]) WITH ORDINALITY AS g(gid, ord)),
        gk AS (SELECT * FROM json_to_recordset(${groupKeys}::json) AS x(ord int, keys text[])),
        fa AS MATERIALIZED (
          SELECT s.actor_id AS id, gk.ord FROM ${touching} sa
          JOIN actor_theme_key s ON s.actor_id = sa.actor_id JOIN gk ON s.keys && gk.keys
          ${conditions.length ? sql`JOIN actor a ON a.id = s.actor_id ${where(conditions)}` : empty}),
        fid AS MATERIALIZED (SELECT DISTINCT fa.id, a.verified_recently AS fresh FROM fa JOIN actor a ON a.id = fa.id),
        cov AS MATERIALIZED (
          SELECT fid.id AS actor_id, ${communeId(sql`cc.commune_code`)} AS id, cc.local, cc.local AND fid.fresh AS fresh FROM fid
          CROSS JOIN LATERAL (SELECT cc.commune_code, cc.local FROM coverage_commune cc WHERE cc.actor_id = fid.id OFFSET 0) cc
          ${allCommunes ? empty : sql`WHERE cc.commune_code IN (SELECT code FROM ${communes} y)`}),
        kc AS MATERIALIZED (SELECT z.*, ${decisive(spec, sql`z`)} AS n FROM (
          SELECT fa.ord, cov.id, count(*) FILTER (WHERE cov.local)::int AS nl, count(*)::int AS na,
            count(*) FILTER (WHERE cov.fresh)::int AS nv
          FROM fa JOIN cov ON cov.actor_id = fa.id GROUP BY fa.ord, cov.id) z)
        ${ka}`;
  }

  joinCounts(c: Sql): Sql {
    return sql`${c} CROSS JOIN g LEFT JOIN kc ON kc.ord = g.ord AND kc.id = ${c}.id`;
  }

  exactCounts(rel: Sql): Sql {
    return ownCounts(rel);
  }

  scopeActors(): Sql {
    const { scope } = this.ctx.spec;
    return sql`(SELECT g2.gid, count(DISTINCT fa.id) FILTER (WHERE ca.local)::int AS nl, count(DISTINCT fa.id)::int AS na,
                count(DISTINCT fa.id) FILTER (WHERE ca.local AND fid.fresh)::int AS nv
              FROM fa JOIN fid ON fid.id = fa.id JOIN g g2 ON g2.ord = fa.ord
              JOIN coverage_area ca ON ca.actor_id = fa.id AND ca.level = ${scope.level} AND ca.code = ${scope.code}
              GROUP BY g2.gid)`;
  }
}
