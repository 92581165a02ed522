import { type Sql, sql } from '../db/sql.js';
import { LOCAL_RADIUS_KM } from './actor-coverage.js';
import type { Anchor } from './actor-filter.js';

/**
 * Proximity order of the actors covering a commune (or an arrondissement), as a coordinator reads
 * the list: the smallest intervention territory through which the actor covers the commune first,
 * then the distance from the commune, then the name. Ranks:
 *
 * 0. the commune itself, one of its arrondissements, the actor's address there, or a radius of at
 *    most LOCAL_RADIUS_KM reaching it;
 * 1. its EPCI or EPT;
 * 2. its département;
 * 3. its région, or a wider radius reaching it;
 * 4. the whole country.
 *
 * Ranks 0 to 2 are exactly local presence (`coverage_commune.local`, migration 1764000000018).
 */
export const PROXIMITY_RANKS = { COMMUNE: 0, ARRONDISSEMENT: 0, EPCI: 1, EPT: 1, DEPARTEMENT: 2, REGION: 3, PAYS: 4 } as const;

/** Where an actor without a location sorts among those of its rank: after every distance (km). */
export const NO_DISTANCE_KM = 1e9;

/** The anchor's commune (an arrondissement's own commune) with its memberships and arrondissements, and the anchor's point, as the CTE `anchor`. */
export function anchorCte(anchor: Anchor): Sql {
  return sql`anchor AS (
    SELECT c.code, c.epci_code, c.ept_code, c.departement_code, c.region_code, c.geom, x.label_point AS point,
           ARRAY(SELECT r.code FROM territory r WHERE r.level = 'ARRONDISSEMENT' AND r.commune_code = c.code) AS arrondissements
    FROM territory x
    JOIN territory c ON c.level = 'COMMUNE' AND c.code = CASE WHEN x.level = 'ARRONDISSEMENT' THEN x.commune_code ELSE x.code END
    WHERE x.level = ${anchor.level} AND x.code = ${anchor.code})`;
}

const RANK = PROXIMITY_RANKS;

/** The rank of actor `a` for the commune of `anchor p` (see PROXIMITY_RANKS); PostgreSQL's least() skips the paths that do not apply. */
export const proximityRank = sql`least(
  CASE WHEN a.commune_code = p.code OR a.commune_code = ANY(p.arrondissements) THEN ${RANK.COMMUNE}::int END,
  CASE WHEN a.radius_km IS NOT NULL AND a.location IS NOT NULL AND ST_DWithin(p.geom::geography, a.location::geography, a.radius_km * 1000)
    THEN CASE WHEN a.radius_km <= ${LOCAL_RADIUS_KM}::real THEN ${RANK.COMMUNE}::int ELSE ${RANK.REGION}::int END END,
  (SELECT min(CASE at.level WHEN 'COMMUNE' THEN ${RANK.COMMUNE}::int WHEN 'ARRONDISSEMENT' THEN ${RANK.ARRONDISSEMENT}::int
                            WHEN 'EPCI' THEN ${RANK.EPCI}::int WHEN 'EPT' THEN ${RANK.EPT}::int
                            WHEN 'DEPARTEMENT' THEN ${RANK.DEPARTEMENT}::int WHEN 'REGION' THEN ${RANK.REGION}::int ELSE ${RANK.PAYS}::int END)
     FROM actor_territory at
     WHERE at.actor_id = a.id
       AND ((at.level = 'COMMUNE' AND at.code = p.code) OR (at.level = 'ARRONDISSEMENT' AND at.code = ANY(p.arrondissements))
            OR (at.level = 'EPCI' AND at.code = p.epci_code) OR (at.level = 'EPT' AND at.code = p.ept_code)
            OR (at.level = 'DEPARTEMENT' AND at.code = p.departement_code) OR (at.level = 'REGION' AND at.code = p.region_code)
            OR at.level = 'PAYS')),
  ${RANK.PAYS}::int)`;

/** Distance (km) from actor `a`'s location to the point of `anchor p`; NULL without a location. */
export const anchorDistance = sql`ST_Distance(a.location::geography, p.point::geography) / 1000.0`;
