import type { DataSource } from 'typeorm';

/** A territory's actors: present locally, and covering it in any way (région or country included). */
export interface PresenceTruth {
  local: number;
  any: number;
  /** Of the local ones, those whose record was confirmed within `freshMonths` (never: stale). */
  verified: number;
}

/**
 * Local presence recomputed from its definition, over the declared territories, the radius and the
 * address of the active, validated actors (never over the stored coverage the app maintains): per
 * commune (or EPCI) of a département, the actors having one of `themes` (give sub-themes too) that
 * are present locally (commune, EPCI, département, radius ≤ 50 km, address) and that cover it at all,
 * and the local ones whose `verified_at` is within the last `freshMonths` months.
 */
export async function presenceTruth(
  ds: DataSource,
  {
    departement,
    themes,
    level = 'COMMUNE',
    leaveOutKinds = [],
    freshMonths = 18,
  }: { departement: string; themes: string[]; level?: 'COMMUNE' | 'EPCI'; leaveOutKinds?: readonly string[]; freshMonths?: number },
): Promise<Map<string, PresenceTruth>> {
  const unit = level === 'COMMUNE' ? 'c.code' : 'c.epci_code';
  const rows: { code: string; local: number; any: number; verified: number }[] = await ds.query(
    `WITH act AS (
       SELECT id, radius_km, location, commune_code, coalesce(verified_at >= now() - make_interval(months => $4::int), false) AS fresh FROM actor
       WHERE status = 'ACTIVE' AND review_status = 'VALIDATED' AND themes && $1::text[] AND NOT kind = ANY($3::text[])),
     c AS (SELECT code, epci_code, departement_code, region_code, geom FROM territory WHERE level = 'COMMUNE' AND departement_code = $2),
     pairs AS (
       SELECT c.code, a.id, a.fresh,
         bool_or(at.level IN ('COMMUNE', 'EPCI', 'DEPARTEMENT') OR (a.radius_km <= 50 AND d.within) OR a.commune_code = c.code) AS local,
         bool_or(at.level IS NOT NULL OR d.within OR a.commune_code = c.code) AS covers
       FROM c CROSS JOIN act a
       LEFT JOIN actor_territory at ON at.actor_id = a.id AND (
            (at.level = 'COMMUNE' AND at.code = c.code) OR (at.level = 'EPCI' AND at.code = c.epci_code)
         OR (at.level = 'DEPARTEMENT' AND at.code = c.departement_code) OR (at.level = 'REGION' AND at.code = c.region_code)
         OR at.level = 'PAYS')
       CROSS JOIN LATERAL (SELECT a.radius_km IS NOT NULL AND ST_DWithin(c.geom::geography, a.location::geography, a.radius_km * 1000) AS within) d
       GROUP BY c.code, a.id, a.fresh)
     SELECT ${unit} AS code, count(DISTINCT p.id) FILTER (WHERE p.local)::int AS local, count(DISTINCT p.id) FILTER (WHERE p.covers)::int AS any,
       count(DISTINCT p.id) FILTER (WHERE p.local AND p.fresh)::int AS verified
     FROM c LEFT JOIN pairs p ON p.code = c.code GROUP BY ${unit}`,
    [themes, departement, leaveOutKinds, freshMonths],
  );
  return new Map(rows.map((r) => [r.code, { local: r.local, any: r.any, verified: r.verified }]));
}

/** The map class the definition gives. */
export const presenceClass = (t: PresenceTruth) => (t.local > 0 ? 'LOCAL' : t.any > 0 ? 'WIDE_ONLY' : 'NONE');
