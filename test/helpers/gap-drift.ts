import type { DataSource } from 'typeorm';
import { inRolledBackTransaction } from './transaction.js';

/**
 * SQL for the gap aggregates' consistency checks: every aggregate row that differs from a
 * recomputation from actor + coverage (only active and validated actors count; a row of local
 * presence counts under each key again, prefixed `local:`, and once more, prefixed `fresh:`, when
 * the actor's record was confirmed within the freshness policy — computed here from `verified_at`,
 * not from the stored flag). Must return none.
 */
export const DRIFT = `
  WITH ak AS MATERIALIZED (
    SELECT id, gap_theme_keys(themes, kind) AS keys,
      coalesce(verified_at >= now() - make_interval(months => (SELECT months FROM freshness_policy)), false) AS fresh
    FROM actor WHERE status = 'ACTIVE' AND review_status = 'VALIDATED'),
  rows AS (
    SELECT 'COMMUNE' AS level, cc.commune_code AS code, cc.actor_id, cc.local FROM coverage_commune cc
    UNION ALL
    SELECT ca.level, ca.code, ca.actor_id, ca.local FROM coverage_area ca),
  fresh AS (
    SELECT p || k AS theme, r.level, r.code, count(*)::int AS n FROM rows r JOIN ak ON ak.id = r.actor_id
      CROSS JOIN unnest(ak.keys) k
      CROSS JOIN unnest(CASE WHEN r.local AND ak.fresh THEN ARRAY['', 'local:', 'fresh:'] WHEN r.local THEN ARRAY['', 'local:'] ELSE ARRAY[''] END) p
    GROUP BY 1, 2, 3),
  kept AS (SELECT theme, level, code, actor_count AS n FROM coverage_theme_count WHERE actor_count <> 0),
  points AS (
    SELECT ak.id, k FROM ak JOIN actor a ON a.id = ak.id CROSS JOIN unnest(ak.keys) k WHERE a.location IS NOT NULL)
  SELECT 'count' AS what, theme, level, code FROM fresh FULL JOIN kept USING (theme, level, code) WHERE fresh.n IS DISTINCT FROM kept.n
  UNION ALL
  SELECT 'point', coalesce(points.k, p.theme), NULL, coalesce(points.id, p.actor_id)::text FROM points
    FULL JOIN actor_theme_point p ON p.actor_id = points.id AND p.theme = points.k WHERE points.id IS NULL OR p.actor_id IS NULL`;

/**
 * The coverage counts the triggers maintained and those a full `gap_rebuild()` gives, as two
 * checksums that must be equal; the rebuild runs in a transaction rolled back, so the database is
 * left as it was.
 */
export async function countsBeforeAndAfterRebuild(ds: DataSource): Promise<{ maintained: string; rebuilt: string }> {
  return inRolledBackTransaction(ds, async (qr) => {
    const maintained = await coverageChecksum(qr);
    await qr.query(`SELECT gap_rebuild()`);
    return { maintained, rebuilt: await coverageChecksum(qr) };
  });
}

/** A checksum of every non-zero coverage count, read through `db` (a transaction's runner, or the pool). */
export async function coverageChecksum(db: Pick<DataSource, 'query'>): Promise<string> {
  const [{ h }] = await db.query(`SELECT md5(string_agg(theme || level || code || ':' || actor_count, ',' ORDER BY theme, level, code)) AS h
                                  FROM coverage_theme_count WHERE actor_count > 0`);
  return h;
}
