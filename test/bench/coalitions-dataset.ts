import type { DataSource } from 'typeorm';
import { CoalitionKind, MembershipRole } from '../../server/coalitions/coalition-enums.js';

/**
 * 2,000 generated coalitions (source 'bench:coalitions', `is_demo`) over the national benchmark
 * actors (source 'bench', see dataset.ts): 5 % on a région, 20 % on a département, 50 % on an
 * EPCI, 25 % on a commune; 5 to 30 active members drawn among the bench actors covering the
 * territory (the first is the pilot); 10 % ended, 10 % members-only; plus two partnerships per
 * coalition between two of its members. Everything is derived from md5 hashes, so the same
 * territories and actors give the same rows. Run after `ensureDataset` (it needs its actors).
 */
export const COALITION_DATASET_VERSION = 'bench-coalitions-v2;coalitions=2000;confirmed-partnerships';
export const BENCH_COALITIONS = 2_000;
const SOURCE = 'bench:coalitions';

type Log = (line: string) => void;

export async function ensureCoalitionDataset(ds: DataSource, options: { rebuild?: boolean; log: Log }): Promise<{ built: boolean }> {
  const [state] = await ds.query(`SELECT version FROM seed_state WHERE name = 'bench-coalitions'`);
  const [{ coalitions, members }] = await ds.query(
    `SELECT (SELECT count(*) FROM coalition WHERE source = $1)::int AS coalitions,
            (SELECT count(*) FROM membership m JOIN coalition c ON c.id = m.coalition_id WHERE c.source = $1)::int AS members`,
    [SOURCE],
  );
  // Rebuilding the actors cascades to the memberships: then the coalitions are rebuilt too.
  if (state?.version === COALITION_DATASET_VERSION && coalitions === BENCH_COALITIONS && members > 0 && !options.rebuild) {
    options.log(`Coalitions de banc déjà présentes (${COALITION_DATASET_VERSION}) : rien à reconstruire`);
    return { built: false };
  }
  const started = Date.now();
  await ds.transaction(async (m) => {
    const q = (sql: string, params?: unknown[]) => m.query(sql, params);
    await q(`DELETE FROM partnership WHERE source = $1`, [SOURCE]);
    await q(`DELETE FROM coalition WHERE source = $1`, [SOURCE]);
    await q(`CREATE OR REPLACE FUNCTION pg_temp.coal_rnd(n bigint, salt text) RETURNS float8
      LANGUAGE sql IMMUTABLE AS $$ SELECT ('x' || substr(md5(salt || ':' || n), 1, 13))::bit(52)::bigint / 4503599627370496.0 $$`);
    // Candidate territories of each level: those where some bench actor acts.
    await q(`CREATE TEMP TABLE coal_place ON COMMIT DROP AS
      SELECT lv AS level, (row_number() OVER (PARTITION BY lv ORDER BY code) - 1)::int AS i, code FROM (
        SELECT DISTINCT level AS lv, code FROM coverage_area ca
        WHERE level IN ('REGION','DEPARTEMENT','EPCI') AND EXISTS (SELECT 1 FROM actor a WHERE a.id = ca.actor_id AND a.source = 'bench')
        UNION
        SELECT DISTINCT 'COMMUNE', commune_code FROM actor WHERE source = 'bench' AND commune_code IS NOT NULL
          AND EXISTS (SELECT 1 FROM territory t WHERE t.level = 'COMMUNE' AND t.code = actor.commune_code)) s`);
    const counts: { level: string; n: number }[] = await q(`SELECT level, count(*)::int AS n FROM coal_place GROUP BY level`);
    const n = Object.fromEntries(counts.map((c) => [c.level, c.n]));
    if (!n.COMMUNE) throw new Error('Coalitions de banc : aucun acteur de banc (lancer ensureDataset avant)');
    const themes: { code: string }[] = await q(`SELECT code FROM theme ORDER BY code`);
    await q(
      `CREATE TEMP TABLE coal_gen ON COMMIT DROP AS
       SELECT g.n, md5('bench-coalition:' || g.n)::uuid AS id, p.level, p.code,
         ($2::text[])[1 + floor(array_length($2::text[], 1) * pg_temp.coal_rnd(g.n, 'kind'))::int] AS kind,
         ARRAY(SELECT DISTINCT ($3::text[])[1 + floor(array_length($3::text[], 1) * pg_temp.coal_rnd(g.n, 'theme' || j))::int]
               FROM generate_series(1, 1 + floor(2 * pg_temp.coal_rnd(g.n, 'nthemes'))::int) j ORDER BY 1) AS themes,
         5 + floor(26 * pg_temp.coal_rnd(g.n, 'size'))::int AS size,
         pg_temp.coal_rnd(g.n, 'ended') < 0.1 AS ended,
         pg_temp.coal_rnd(g.n, 'visibility') < 0.1 AS members_only
       FROM generate_series(1, $1::int) g(n)
       CROSS JOIN LATERAL (SELECT CASE WHEN g.n % 20 = 0 THEN 'REGION' WHEN g.n % 20 < 5 THEN 'DEPARTEMENT'
                                       WHEN g.n % 20 < 15 THEN 'EPCI' ELSE 'COMMUNE' END AS lv) l
       JOIN coal_place p ON p.level = l.lv
         AND p.i = floor((CASE l.lv WHEN 'REGION' THEN $4 WHEN 'DEPARTEMENT' THEN $5 WHEN 'EPCI' THEN $6 ELSE $7 END)::int
                         * pg_temp.coal_rnd(g.n, 'place'))::int`,
      [BENCH_COALITIONS, Object.values(CoalitionKind), themes.map((t) => t.code), n.REGION ?? 0, n.DEPARTEMENT ?? 0, n.EPCI ?? 0, n.COMMUNE],
    );
    await q(
      `INSERT INTO coalition (id, name, kind, themes, territory_level, territory_code, area_keys, region_code, start_date, end_date,
         visibility, join_policy, is_demo, source)
       SELECT g.id, 'Coalition de test ' || g.n, g.kind, g.themes, g.level, g.code,
         array_remove(ARRAY[g.level || ':' || g.code, 'PAYS:FR', 'REGION:' || coalesce(t.region_code, CASE WHEN g.level = 'REGION' THEN g.code END),
           'DEPARTEMENT:' || t.departement_code, 'EPCI:' || t.epci_code, 'EPT:' || t.ept_code], NULL),
         CASE WHEN g.level = 'REGION' THEN g.code ELSE t.region_code END,
         CASE WHEN g.ended THEN date '2018-01-01' ELSE date '2024-01-01' END,
         CASE WHEN g.ended THEN date '2022-12-31' END,
         CASE WHEN g.members_only THEN 'MEMBERS' ELSE 'PUBLIC' END,
         CASE WHEN g.n % 3 = 0 THEN 'OPEN' ELSE 'APPROVAL' END, true, $1
       FROM coal_gen g JOIN territory t ON t.level = g.level AND t.code = g.code`,
      [SOURCE],
    );
    // Members: the bench actors covering the territory, drawn by a hash of (coalition, actor).
    await q(
      `INSERT INTO membership (coalition_id, actor_id, role, status, decided_at)
       SELECT g.id, x.actor_id,
         CASE WHEN x.k = 1 THEN $1 WHEN x.k <= 3 THEN $2 WHEN x.k <= 6 THEN $3 ELSE $4 END, 'ACTIVE', now()
       FROM coal_gen g
       CROSS JOIN LATERAL (
         SELECT actor_id, row_number() OVER (ORDER BY md5(g.id::text || actor_id::text)) AS k FROM (
           SELECT cc.actor_id FROM coverage_commune cc WHERE g.level = 'COMMUNE' AND cc.commune_code = g.code
           UNION ALL
           SELECT ca.actor_id FROM coverage_area ca WHERE g.level <> 'COMMUNE' AND ca.level = g.level AND ca.code = g.code) c
         JOIN actor a ON a.id = c.actor_id AND a.source = 'bench'
         ORDER BY md5(g.id::text || actor_id::text) LIMIT g.size) x`,
      [MembershipRole.PILOTE, MembershipRole.SIGNATAIRE, MembershipRole.PARTENAIRE, MembershipRole.MEMBRE],
    );
    await q(
      `INSERT INTO membership_event (membership_id, coalition_id, actor_id, from_status, to_status, role)
       SELECT m.id, m.coalition_id, m.actor_id, NULL, 'ACTIVE', m.role FROM membership m JOIN coal_gen g ON g.id = m.coalition_id`,
    );
    // Two partnerships per coalition, between members drawn by hash, confirmed (as the public
    // documents' ones); a pair drawn twice keeps one (the unique index on open partnerships).
    await q(
      `INSERT INTO partnership (actor_a, actor_b, kind, title, start_date, end_date, source, status, confirmed_at)
       SELECT a.actor_id, b.actor_id, 'CONVENTION', 'Convention de test ' || g.n || '-' || j, date '2023-01-01', NULL, $1, 'ACTIVE', now()
       FROM coal_gen g CROSS JOIN generate_series(1, 2) j
       CROSS JOIN LATERAL (SELECT actor_id FROM membership m WHERE m.coalition_id = g.id ORDER BY md5(j || ':a:' || m.actor_id) LIMIT 1) a
       CROSS JOIN LATERAL (SELECT actor_id FROM membership m WHERE m.coalition_id = g.id ORDER BY md5(j || ':b:' || m.actor_id) LIMIT 1) b
       WHERE a.actor_id <> b.actor_id
       ON CONFLICT DO NOTHING`,
      [SOURCE],
    );
    await q(
      `INSERT INTO seed_state (name, version, report, finished_at) VALUES ('bench-coalitions', $1, '{}', now())
       ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, finished_at = now()`,
      [COALITION_DATASET_VERSION],
    );
  });
  for (const table of ['coalition', 'membership', 'membership_event', 'partnership']) await ds.query(`VACUUM (ANALYZE) ${table}`);
  const [{ c, m, p }] = await ds.query(
    `SELECT (SELECT count(*) FROM coalition WHERE source = $1)::int AS c,
            (SELECT count(*) FROM membership mm JOIN coalition cc ON cc.id = mm.coalition_id WHERE cc.source = $1)::int AS m,
            (SELECT count(*) FROM partnership WHERE source = $1)::int AS p`,
    [SOURCE],
  );
  options.log(`Coalitions de banc : ${c} coalitions, ${m} adhésions, ${p} partenariats en ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { built: true };
}
