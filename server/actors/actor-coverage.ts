import { type Queryable, run, type Sql, sql } from '../db/sql.js';

/** Communes of a declared territory of `level`, matched on the commune's `column`. */
const byLevel = (ids: readonly string[], level: Sql, column: Sql) => sql`
  SELECT c.code AS commune_code, at.actor_id FROM actor_territory at
    JOIN territory c ON c.level = 'COMMUNE' AND ${column} = at.code
    WHERE at.actor_id = ANY(${ids}::uuid[]) AND at.level = ${level}`;

/**
 * Resolves declared territories and radius into coverage rows: the covered communes (an
 * arrondissement counts as its commune), then every EPCI, EPT, département and région they touch.
 * One equi-join per level rather than one join with OR conditions (which PostgreSQL can only run
 * as communes × declared territories: ~10 s for 1,000 actors against ~0.3 s here).
 */
export async function resolveCoverage(db: Queryable, ids: readonly string[]): Promise<void> {
  await run(db, sql`DELETE FROM coverage_commune WHERE actor_id = ANY(${ids}::uuid[])`);
  await run(db, sql`DELETE FROM coverage_area WHERE actor_id = ANY(${ids}::uuid[])`);
  await run(
    db,
    sql`INSERT INTO coverage_commune (commune_code, actor_id)
        SELECT DISTINCT commune_code, actor_id FROM (
          ${byLevel(ids, sql`'COMMUNE'`, sql`c.code`)}
          UNION ALL ${byLevel(ids, sql`'EPCI'`, sql`c.epci_code`)}
          UNION ALL ${byLevel(ids, sql`'EPT'`, sql`c.ept_code`)}
          UNION ALL ${byLevel(ids, sql`'DEPARTEMENT'`, sql`c.departement_code`)}
          UNION ALL ${byLevel(ids, sql`'REGION'`, sql`c.region_code`)}
          UNION ALL
          SELECT c.code, at.actor_id FROM actor_territory at JOIN territory c ON c.level = 'COMMUNE'
            WHERE at.actor_id = ANY(${ids}::uuid[]) AND at.level = 'PAYS'
          UNION ALL
          SELECT r.commune_code, at.actor_id FROM actor_territory at
            JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.code = at.code
            WHERE at.actor_id = ANY(${ids}::uuid[]) AND at.level = 'ARRONDISSEMENT'
          UNION ALL
          SELECT c.code, a.id FROM actor a
            JOIN territory c ON c.level = 'COMMUNE'
              AND c.geom && ST_Expand(a.location, a.radius_km / 111.0 / greatest(cos(radians(ST_Y(a.location))), 0.2))
              AND ST_DWithin(c.geom::geography, a.location::geography, a.radius_km * 1000)
            WHERE a.id = ANY(${ids}::uuid[]) AND a.radius_km IS NOT NULL AND a.location IS NOT NULL
        ) s`,
  );
  await run(
    db,
    sql`INSERT INTO coverage_area (level, code, actor_id)
        SELECT DISTINCT x.level, x.code, cc.actor_id
        FROM coverage_commune cc
        JOIN territory c ON c.level = 'COMMUNE' AND c.code = cc.commune_code
        CROSS JOIN LATERAL (VALUES ('EPCI', c.epci_code), ('EPT', c.ept_code), ('DEPARTEMENT', c.departement_code),
                                   ('REGION', c.region_code), ('PAYS', 'FR')) AS x(level, code)
        WHERE cc.actor_id = ANY(${ids}::uuid[]) AND x.code IS NOT NULL
        UNION
        SELECT 'ARRONDISSEMENT', r.code, cc.actor_id FROM coverage_commune cc
        JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.commune_code = cc.commune_code
        WHERE cc.actor_id = ANY(${ids}::uuid[])
          AND (NOT EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = cc.actor_id AND at.level = 'ARRONDISSEMENT')
               OR EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = cc.actor_id AND at.level = 'ARRONDISSEMENT' AND at.code = r.code))`,
  );
}
