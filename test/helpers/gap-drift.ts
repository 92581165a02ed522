/**
 * SQL for the gap aggregates' consistency checks: every aggregate row that differs from a
 * recomputation from actor + coverage (only active and validated actors count). Must return none.
 */
export const DRIFT = `
  WITH fresh AS (
    SELECT k AS theme, 'COMMUNE' AS level, cc.commune_code AS code, count(*)::int AS n FROM coverage_commune cc
      JOIN actor a ON a.id = cc.actor_id AND a.status = 'ACTIVE' AND a.review_status = 'VALIDATED' CROSS JOIN unnest(gap_theme_keys(a.themes, a.kind)) k GROUP BY 1, 2, 3
    UNION ALL
    SELECT k, ca.level, ca.code, count(*)::int FROM coverage_area ca
      JOIN actor a ON a.id = ca.actor_id AND a.status = 'ACTIVE' AND a.review_status = 'VALIDATED' CROSS JOIN unnest(gap_theme_keys(a.themes, a.kind)) k GROUP BY 1, 2, 3),
  kept AS (SELECT theme, level, code, actor_count AS n FROM coverage_theme_count WHERE actor_count <> 0),
  points AS (
    SELECT a.id, k FROM actor a CROSS JOIN unnest(gap_theme_keys(a.themes, a.kind)) k WHERE a.status = 'ACTIVE' AND a.review_status = 'VALIDATED' AND a.location IS NOT NULL)
  SELECT 'count' AS what, theme, level, code FROM fresh FULL JOIN kept USING (theme, level, code) WHERE fresh.n IS DISTINCT FROM kept.n
  UNION ALL
  SELECT 'point', coalesce(points.k, p.theme), NULL, coalesce(points.id, p.actor_id)::text FROM points
    FULL JOIN actor_theme_point p ON p.actor_id = points.id AND p.theme = points.k WHERE points.id IS NULL OR p.actor_id IS NULL`;
