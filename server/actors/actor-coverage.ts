import { oneOfIds, type Queryable, run, runPrepared, type Sql, sql, together } from '../db/sql.js';

/** The widest radius that is still local presence (a larger one is wide-scope coverage, like a région). */
export const LOCAL_RADIUS_KM = 50;

/** Communes of a declared territory of `level`, matched on the commune's `column`; `local` says whether that level is local presence. */
const byLevel = (actorIs: (col: Sql) => Sql, level: Sql, column: Sql, local: boolean) => sql`
  SELECT c.code AS commune_code, at.actor_id, ${local ? sql`true` : sql`false`} AS local FROM actor_territory at
    JOIN territory c ON c.level = 'COMMUNE' AND ${column} = at.code
    WHERE ${actorIs(sql`at.actor_id`)} AND at.level = ${level}`;

/**
 * Resolves declared territories and radius into coverage rows: the covered communes (an
 * arrondissement counts as its commune), then every EPCI, EPT, département and région they touch.
 * One equi-join per level rather than one join with OR conditions (which PostgreSQL can only run
 * as communes × declared territories: ~10 s for 1,000 actors against ~0.3 s here).
 *
 * Each row says whether the actor is *present* there (`local`, migration 1764000000018): its
 * territory there is a commune or arrondissement, an EPCI or EPT, a département or a radius of at
 * most LOCAL_RADIUS_KM, or its address is in the commune (which is then covered even when the
 * declared territory does not reach it). A région or the whole country is wide-scope coverage. A
 * territory above the commune is local when the actor is present in one of its communes.
 */
export async function resolveCoverage(
  db: Queryable,
  ids: readonly string[],
  { fresh = false, alongside = [] }: { fresh?: boolean; alongside?: readonly Sql[] } = {},
): Promise<void> {
  // The old coverage is removed in one statement (actors just inserted, `fresh`, have none), with
  // what the caller writes alongside: the declared territories the new coverage is read from.
  const write = ids.length === 1 ? runPrepared : run;
  const actorIs = oneOfIds(ids);
  const before = fresh
    ? alongside
    : [...alongside, sql`DELETE FROM coverage_commune WHERE ${actorIs(sql`actor_id`)}`, sql`DELETE FROM coverage_area WHERE ${actorIs(sql`actor_id`)}`];
  if (before.length) await write(db, together(before));
  // The communes, then the areas they lie in, in one statement: the areas are read from the commune
  // rows the statement returns, which are all of these actors' (their old ones are gone).
  //
  // One actor's (a save, a creation) is a named prepared statement, on a plan made for one actor:
  // planning it took 4.8 ms a call under the mixed load test (pg_stat_statements, 6 December 2026),
  // more than running it. Several actors' (imports, seeding) stay planned for their number.
  await write(
    db,
    sql`WITH cc AS (
          INSERT INTO coverage_commune (commune_code, actor_id, local)
          SELECT commune_code, actor_id, bool_or(local) FROM (
            ${byLevel(actorIs, sql`'COMMUNE'`, sql`c.code`, true)}
            UNION ALL ${byLevel(actorIs, sql`'EPCI'`, sql`c.epci_code`, true)}
            UNION ALL ${byLevel(actorIs, sql`'EPT'`, sql`c.ept_code`, true)}
            UNION ALL ${byLevel(actorIs, sql`'DEPARTEMENT'`, sql`c.departement_code`, true)}
            UNION ALL ${byLevel(actorIs, sql`'REGION'`, sql`c.region_code`, false)}
            UNION ALL
            SELECT c.code, at.actor_id, false FROM actor_territory at JOIN territory c ON c.level = 'COMMUNE'
              WHERE ${actorIs(sql`at.actor_id`)} AND at.level = 'PAYS'
            UNION ALL
            SELECT r.commune_code, at.actor_id, true FROM actor_territory at
              JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.code = at.code
              WHERE ${actorIs(sql`at.actor_id`)} AND at.level = 'ARRONDISSEMENT'
            UNION ALL
            SELECT c.code, a.id, a.radius_km <= ${LOCAL_RADIUS_KM}::real FROM actor a
              JOIN territory c ON c.level = 'COMMUNE'
                AND c.geom && ST_Expand(a.location, a.radius_km / 111.0 / greatest(cos(radians(ST_Y(a.location))), 0.2))
                AND ST_DWithin(c.geom::geography, a.location::geography, a.radius_km * 1000)
              WHERE ${actorIs(sql`a.id`)} AND a.radius_km IS NOT NULL AND a.location IS NOT NULL
            UNION ALL
            SELECT c.code, a.id, true FROM actor a
              LEFT JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.code = a.commune_code
              JOIN territory c ON c.level = 'COMMUNE' AND c.code = coalesce(r.commune_code, a.commune_code)
              WHERE ${actorIs(sql`a.id`)} AND a.commune_code IS NOT NULL
          ) s
          GROUP BY commune_code, actor_id
          RETURNING commune_code, actor_id, local)
        INSERT INTO coverage_area (level, code, actor_id, local)
        SELECT x.level, x.code, cc.actor_id, bool_or(cc.local)
        FROM cc
        JOIN territory c ON c.level = 'COMMUNE' AND c.code = cc.commune_code
        CROSS JOIN LATERAL (VALUES ('EPCI', c.epci_code), ('EPT', c.ept_code), ('DEPARTEMENT', c.departement_code),
                                   ('REGION', c.region_code), ('PAYS', 'FR')) AS x(level, code)
        WHERE x.code IS NOT NULL
        GROUP BY x.level, x.code, cc.actor_id
        UNION ALL
        SELECT 'ARRONDISSEMENT', r.code, cc.actor_id, cc.local FROM cc
        JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.commune_code = cc.commune_code
        WHERE NOT EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = cc.actor_id AND at.level = 'ARRONDISSEMENT')
           OR EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = cc.actor_id AND at.level = 'ARRONDISSEMENT' AND at.code = r.code)`,
  );
}
