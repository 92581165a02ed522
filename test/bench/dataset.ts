import type { DataSource, QueryRunner } from 'typeorm';
import { ActorKind, Sector } from '../../server/actors/actor-enums.js';
import { LOCAL_RADIUS_KM } from '../../server/actors/actor-coverage.js';
import { ActorService } from '../../server/actors/actor.service.js';
import { TerritoryService } from '../../server/territories/territory.service.js';
import { ThemeService } from '../../server/themes/theme.service.js';

/**
 * The national benchmark dataset: 100,000 generated actors (`is_demo`, source 'bench', named
 * "Acteur de test N") over every real commune, with the territory sizes of PERFORMANCE.md:
 * half one commune, a quarter an EPCI, 15 % a département, 8 % a 5–30 km radius around a
 * commune's label point, 2 % a région. Everything is derived from md5 hashes of the row number
 * (no random() call), so the same code on the same territories gives the same rows, whatever
 * the plan. Bump BENCH_DATASET_VERSION whenever the generator changes.
 */
export const BENCH_DATASET_VERSION = 'bench-v2;actors=100000';
export const BENCH_ACTORS = 100_000;

export interface DatasetReport {
  version: string;
  actors: number;
  coverageCommuneRows: number;
  coverageAreaRows: number;
  seconds: number;
  steps: Record<string, number>;
  checkedActors: number;
}

type Log = (line: string) => void;

/** Builds the dataset unless the recorded version is already there (or `rebuild`). */
export async function ensureDataset(ds: DataSource, options: { rebuild?: boolean; log: Log }): Promise<{ built: boolean; report: DatasetReport }> {
  const [state] = await ds.query(`SELECT version, report FROM seed_state WHERE name = 'bench'`);
  if (state && state.version === BENCH_DATASET_VERSION && !options.rebuild) {
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM actor WHERE source = 'bench'`);
    if (n === BENCH_ACTORS) {
      options.log(`Jeu de données de banc déjà présent (${BENCH_DATASET_VERSION}) : rien à reconstruire`);
      return { built: false, report: state.report };
    }
    options.log(`seed_state annonce le jeu de banc mais ${n} acteurs trouvés : reconstruction`);
  }
  const report = await buildDataset(ds, options.log);
  return { built: true, report };
}

async function buildDataset(ds: DataSource, log: Log): Promise<DatasetReport> {
  const started = Date.now();
  const steps: Record<string, number> = {};
  let t = Date.now();
  const step = (name: string) => {
    steps[name] = (Date.now() - t) / 1000;
    log(`  ${name} : ${steps[name].toFixed(1)} s`);
    t = Date.now();
  };
  const qr = ds.createQueryRunner();
  await qr.connect();
  let report: DatasetReport;
  try {
    await qr.startTransaction();
    const q = (sql: string, params?: unknown[]) => qr.query(sql, params);
    await q(`SET LOCAL statement_timeout = 0`);
    // The gap aggregates are rebuilt once at the end rather than by triggers on 14 M rows.
    await q(`SET LOCAL app.gap_aggregates_deferred = 'on'`);
    const [{ rolsuper }] = await q(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
    await removePrevious(q, log);
    step('suppression du jeu précédent');

    await q(`CREATE FUNCTION pg_temp.bench_rnd(n bigint, salt text) RETURNS float8
      LANGUAGE sql IMMUTABLE AS $$ SELECT ('x' || substr(md5(salt || ':' || n), 1, 13))::bit(52)::bigint / 4503599627370496.0 $$`);
    // Home communes: every commune with a boundary (all of metropolitan France and the DROM).
    await q(`CREATE TEMP TABLE bench_home ON COMMIT DROP AS
      SELECT (row_number() OVER (ORDER BY code) - 1)::int AS i, code, epci_code, departement_code, region_code, label_point
      FROM territory WHERE level = 'COMMUNE' AND geom IS NOT NULL AND label_point IS NOT NULL`);
    const [{ homes }] = await q(`SELECT count(*)::int AS homes FROM bench_home`);
    // Themes in a fixed shuffled order; the draw u^2.5 makes the first ones common and the last rare.
    await q(`CREATE TEMP TABLE bench_theme ON COMMIT DROP AS
      SELECT (row_number() OVER (ORDER BY md5('bench-theme:' || code)) - 1)::int AS i, code FROM theme`);
    await q(`CREATE TEMP TABLE bench_audience ON COMMIT DROP AS
      SELECT (row_number() OVER (ORDER BY position, code) - 1)::int AS i, code FROM audience`);
    const [{ nt, na }] = await q(`SELECT (SELECT count(*) FROM bench_theme)::int AS nt, (SELECT count(*) FROM bench_audience)::int AS na`);
    const kinds = Object.values(ActorKind);
    const sectors = Object.values(Sector);
    await q(
      `CREATE TEMP TABLE bench_gen ON COMMIT DROP AS
       SELECT g.n, md5('bench-actor:' || g.n)::uuid AS id, h.code AS home, h.label_point,
         CASE WHEN g.n % 100 < 50 THEN 'COMMUNE' WHEN g.n % 100 < 75 THEN 'EPCI' WHEN g.n % 100 < 90 THEN 'DEPARTEMENT'
              WHEN g.n % 100 < 98 THEN 'RADIUS' ELSE 'REGION' END AS scope,
         h.epci_code, h.departement_code, h.region_code,
         ($2::text[])[1 + floor(array_length($2::text[], 1) * pg_temp.bench_rnd(g.n, 'kind') ^ 2)::int] AS kind,
         ($3::text[])[1 + floor(array_length($3::text[], 1) * pg_temp.bench_rnd(g.n, 'sector') ^ 1.5)::int] AS sector,
         ARRAY(SELECT DISTINCT th.code FROM generate_series(1,
                 CASE WHEN pg_temp.bench_rnd(g.n, 'nthemes') < 0.5 THEN 1 WHEN pg_temp.bench_rnd(g.n, 'nthemes') < 0.85 THEN 2 ELSE 3 END) j
               JOIN bench_theme th ON th.i = floor($4::int * pg_temp.bench_rnd(g.n, 'theme' || j) ^ 2.5)::int
               ORDER BY 1) AS themes,
         ARRAY(SELECT DISTINCT au.code FROM generate_series(1, floor(3 * pg_temp.bench_rnd(g.n, 'naudiences'))::int) j
               JOIN bench_audience au ON au.i = floor($5::int * pg_temp.bench_rnd(g.n, 'audience' || j))::int
               ORDER BY 1) AS audiences,
         round((5 + 25 * pg_temp.bench_rnd(g.n, 'radius'))::numeric, 1)::real AS radius_km
       FROM generate_series(1, $6::int) g(n)
       JOIN bench_home h ON h.i = floor($1::int * pg_temp.bench_rnd(g.n, 'home'))::int`,
      [homes, kinds, sectors, nt, na, BENCH_ACTORS],
    );
    await q(`ALTER TABLE bench_gen ADD PRIMARY KEY (id)`);
    await q(
      `INSERT INTO actor (id, name, kind, sector, commune_code, location, themes, audiences, radius_km, is_demo, source, verified_at)
       SELECT id, 'Acteur de test ' || n, kind, sector, home, label_point, themes, audiences,
              CASE WHEN scope = 'RADIUS' THEN radius_km END, true, 'bench',
              -- 70 % of the records confirmed once, over the 600 days before June 2026; the rest never.
              CASE WHEN n % 10 < 7 THEN timestamptz '2026-06-01' - (n % 600) * interval '1 day' END
       FROM bench_gen ORDER BY n`,
    );
    // One declared territory per actor (none for radius actors); an EPCI actor whose commune has
    // no EPCI falls back to its département.
    await q(
      `INSERT INTO actor_territory (actor_id, level, code)
       SELECT id, lv, cd FROM (
         SELECT id,
           CASE scope WHEN 'EPCI' THEN CASE WHEN epci_code IS NULL THEN 'DEPARTEMENT' ELSE 'EPCI' END ELSE scope END AS lv,
           CASE scope WHEN 'COMMUNE' THEN home WHEN 'EPCI' THEN coalesce(epci_code, departement_code)
                      WHEN 'DEPARTEMENT' THEN departement_code WHEN 'REGION' THEN region_code END AS cd
         FROM bench_gen WHERE scope <> 'RADIUS') s`,
    );
    step('acteurs et territoires déclarés');

    await writeCoverage(q, Boolean(rolsuper), step);
    const [{ cc }] = await q(`SELECT count(*)::int AS cc FROM coverage_commune cc JOIN bench_gen g ON g.id = cc.actor_id`);
    const [{ ca }] = await q(`SELECT count(*)::int AS ca FROM coverage_area ca JOIN bench_gen g ON g.id = ca.actor_id`);

    const checked = await checkCoverage(ds, qr);
    step(`contrôle : couverture de ${checked} acteurs recalculée par ActorService.resolveCoverage, identique`);

    const [{ has }] = await q(`SELECT to_regproc('gap_rebuild') IS NOT NULL AS has`);
    if (has) {
      await q(`SELECT gap_rebuild()`);
      step('agrégats des lacunes (gap_rebuild)');
    }
    report = {
      version: BENCH_DATASET_VERSION,
      actors: BENCH_ACTORS,
      coverageCommuneRows: cc,
      coverageAreaRows: ca,
      seconds: 0,
      steps,
      checkedActors: checked,
    };
    report.seconds = (Date.now() - started) / 1000;
    await q(
      `INSERT INTO seed_state (name, version, report, finished_at) VALUES ('bench', $1, $2, now())
       ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, report = EXCLUDED.report, finished_at = now()`,
      [BENCH_DATASET_VERSION, JSON.stringify(report)],
    );
    await qr.commitTransaction();
  } catch (err) {
    if (qr.isTransactionActive) await qr.rollbackTransaction();
    throw err;
  } finally {
    await qr.release();
  }
  for (const table of ['actor', 'actor_territory', 'coverage_commune', 'coverage_area', 'coverage_theme_count', 'actor_theme_key', 'actor_theme_point']) {
    const [{ exists }] = await ds.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [table]);
    if (!exists) continue;
    // FREEZE and INDEX_CLEANUP ON so that every page ends all-visible (index-only scans of the
    // coverage never visit the heap), including the few the coverage check left with dead rows.
    for (let attempt = 0; attempt < 3; attempt++) {
      await ds.query(`VACUUM (FREEZE, ANALYZE, INDEX_CLEANUP ON) ${table}`);
      const [{ pages, visible }] = await ds.query(`SELECT relpages AS pages, relallvisible AS visible FROM pg_class WHERE oid = $1::regclass`, [table]);
      if (visible >= pages * 0.99) break;
    }
  }
  step('VACUUM ANALYZE');
  report.seconds = (Date.now() - started) / 1000;
  report.steps = steps;
  await ds.query(`UPDATE seed_state SET report = $1 WHERE name = 'bench'`, [JSON.stringify(report)]);
  return report;
}

type Q = (sql: string, params?: unknown[]) => Promise<any>;

/** Removes a previous benchmark dataset (actors with source 'bench') and its coverage. */
async function removePrevious(q: Q, log: Log): Promise<void> {
  const [{ bench, others }] = await q(
    `SELECT count(*) FILTER (WHERE source = 'bench')::int AS bench, count(*) FILTER (WHERE source IS DISTINCT FROM 'bench')::int AS others FROM actor`,
  );
  if (bench === 0) return;
  log(`  suppression de ${bench} acteurs de banc précédents`);
  if (others === 0) {
    // Only benchmark actors: emptying the coverage tables is instant.
    await q(`TRUNCATE coverage_commune, coverage_area, actor_territory`);
  } else {
    await q(`DELETE FROM coverage_commune WHERE actor_id IN (SELECT id FROM actor WHERE source = 'bench')`);
    await q(`DELETE FROM coverage_area WHERE actor_id IN (SELECT id FROM actor WHERE source = 'bench')`);
  }
  await q(`DELETE FROM actor WHERE source = 'bench'`);
  await q(`DELETE FROM seed_state WHERE name = 'bench'`);
}

/**
 * The coverage of the generated actors, set-based, with exactly the rules of
 * ActorService.resolveCoverage (checked on a sample afterwards):
 * - communes: those of the declared territory (a commune, or the communes whose EPCI, EPT,
 *   département or région is the declared one; all for PAYS; an arrondissement counts as its
 *   commune), plus for a radius every commune whose boundary is within radius_km of the location;
 * - areas: every EPCI, EPT, département, région (and PAYS FR) of the covered communes, and every
 *   arrondissement of a covered commune (only the declared ones if the actor declared arrondissements).
 * Each generated actor declares exactly one territory or only a radius, so the communes and areas
 * of a declared territory are computed once per distinct territory and then joined to the actors.
 */
async function writeCoverage(q: Q, superuser: boolean, step: (name: string) => void): Promise<void> {
  const [{ multi }] = await q(
    `SELECT count(*)::int AS multi FROM (SELECT actor_id FROM actor_territory at JOIN bench_gen g ON g.id = at.actor_id
       GROUP BY actor_id HAVING count(*) > 1) x`,
  );
  if (multi > 0) throw new Error('bench: un acteur généré déclare plusieurs territoires');
  await q(`CREATE TEMP TABLE bench_key ON COMMIT DROP AS
    SELECT DISTINCT at.level, at.code FROM actor_territory at JOIN bench_gen g ON g.id = at.actor_id`);
  // The OR of resolveCoverage, one branch per level (a territory has one level, so the branches are disjoint).
  await q(`CREATE TEMP TABLE bench_key_commune ON COMMIT DROP AS
    SELECT k.level, k.code, c.code AS commune_code FROM bench_key k JOIN territory c ON c.level = 'COMMUNE' AND c.code = k.code WHERE k.level = 'COMMUNE'
    UNION ALL SELECT k.level, k.code, c.code FROM bench_key k JOIN territory c ON c.level = 'COMMUNE' AND c.epci_code = k.code WHERE k.level = 'EPCI'
    UNION ALL SELECT k.level, k.code, c.code FROM bench_key k JOIN territory c ON c.level = 'COMMUNE' AND c.ept_code = k.code WHERE k.level = 'EPT'
    UNION ALL SELECT k.level, k.code, c.code FROM bench_key k JOIN territory c ON c.level = 'COMMUNE' AND c.departement_code = k.code WHERE k.level = 'DEPARTEMENT'
    UNION ALL SELECT k.level, k.code, c.code FROM bench_key k JOIN territory c ON c.level = 'COMMUNE' AND c.region_code = k.code WHERE k.level = 'REGION'
    UNION ALL SELECT k.level, k.code, c.code FROM bench_key k JOIN territory c ON c.level = 'COMMUNE' WHERE k.level = 'PAYS'
    UNION ALL SELECT k.level, k.code, r.commune_code FROM bench_key k JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.code = k.code WHERE k.level = 'ARRONDISSEMENT'`);
  await q(`CREATE TEMP TABLE bench_key_area ON COMMIT DROP AS
    SELECT DISTINCT kc.level, kc.code, x.level AS area_level, x.code AS area_code
    FROM bench_key_commune kc JOIN territory c ON c.level = 'COMMUNE' AND c.code = kc.commune_code
    CROSS JOIN LATERAL (VALUES ('EPCI', c.epci_code), ('EPT', c.ept_code), ('DEPARTEMENT', c.departement_code),
                               ('REGION', c.region_code), ('PAYS', 'FR')) AS x(level, code)
    WHERE x.code IS NOT NULL
    UNION
    SELECT kc.level, kc.code, 'ARRONDISSEMENT', r.code FROM bench_key_commune kc
    JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.commune_code = kc.commune_code
    WHERE kc.level <> 'ARRONDISSEMENT' OR r.code = kc.code`);
  // Radius actors: communes within the radius, as resolveCoverage finds them.
  await q(`CREATE TEMP TABLE bench_radius_commune ON COMMIT DROP AS
    SELECT c.code AS commune_code, a.id AS actor_id, a.radius_km <= ${LOCAL_RADIUS_KM}::real AS local FROM actor a JOIN bench_gen g ON g.id = a.id AND g.scope = 'RADIUS'
    JOIN territory c ON c.level = 'COMMUNE'
      AND c.geom && ST_Expand(a.location, a.radius_km / 111.0 / greatest(cos(radians(ST_Y(a.location))), 0.2))
      AND ST_DWithin(c.geom::geography, a.location::geography, a.radius_km * 1000)
    WHERE a.radius_km IS NOT NULL AND a.location IS NOT NULL`);
  step('communes et zones par territoire déclaré, communes des rayons');

  // Bulk load: secondary indexes are dropped and rebuilt (inside the transaction, so a failure
  // restores them), and with a superuser the per-row foreign-key and gap triggers are skipped
  // (session_replication_role = replica): every actor_id comes from the actors just inserted.
  const indexes: { indexname: string; indexdef: string }[] = await q(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
     WHERE i.schemaname = current_schema() AND i.tablename IN ('coverage_commune', 'coverage_area')
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
  );
  for (const i of indexes) await q(`DROP INDEX ${i.indexname}`);
  if (superuser) await q(`SET LOCAL session_replication_role = replica`);
  // Local presence (migration 1764000000018): a declared région or the country is wide-scope, a
  // radius up to LOCAL_RADIUS_KM local, every other declared territory local; an area is local when
  // a local commune of the actor lies in it (all or none here: one declared territory per actor).
  await q(`INSERT INTO coverage_commune (commune_code, actor_id, local)
    SELECT commune_code, actor_id, local FROM (
      SELECT kc.commune_code, at.actor_id, at.level NOT IN ('REGION', 'PAYS') AS local FROM actor_territory at JOIN bench_gen g ON g.id = at.actor_id
      JOIN bench_key_commune kc ON kc.level = at.level AND kc.code = at.code
      UNION ALL SELECT commune_code, actor_id, local FROM bench_radius_commune) s
    ORDER BY commune_code, actor_id`);
  // The address commune: local presence, covered even outside the declared territory.
  await q(`CREATE TEMP TABLE bench_address_commune ON COMMIT DROP AS
    SELECT c.code AS commune_code, a.id AS actor_id FROM actor a JOIN bench_gen g ON g.id = a.id
      LEFT JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.code = a.commune_code
      JOIN territory c ON c.level = 'COMMUNE' AND c.code = coalesce(r.commune_code, a.commune_code)`);
  await q(`INSERT INTO coverage_commune (commune_code, actor_id, local)
    SELECT commune_code, actor_id, true FROM bench_address_commune
    ON CONFLICT (commune_code, actor_id) DO UPDATE SET local = true`);
  step('coverage_commune');
  await q(`INSERT INTO coverage_area (level, code, actor_id, local)
    SELECT level, code, actor_id, local FROM (
      SELECT ka.area_level AS level, ka.area_code AS code, at.actor_id, at.level NOT IN ('REGION', 'PAYS') AS local
      FROM actor_territory at JOIN bench_gen g ON g.id = at.actor_id
      JOIN bench_key_area ka ON ka.level = at.level AND ka.code = at.code
      UNION
      SELECT x.level, x.code, rc.actor_id, rc.local FROM bench_radius_commune rc
      JOIN territory c ON c.level = 'COMMUNE' AND c.code = rc.commune_code
      CROSS JOIN LATERAL (VALUES ('EPCI', c.epci_code), ('EPT', c.ept_code), ('DEPARTEMENT', c.departement_code),
                                 ('REGION', c.region_code), ('PAYS', 'FR')) AS x(level, code)
      WHERE x.code IS NOT NULL
      UNION
      SELECT 'ARRONDISSEMENT', r.code, rc.actor_id, rc.local FROM bench_radius_commune rc
      JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.commune_code = rc.commune_code) s
    ORDER BY level, code, actor_id`);
  await q(`INSERT INTO coverage_area (level, code, actor_id, local)
    SELECT x.level, x.code, ac.actor_id, true FROM bench_address_commune ac
    JOIN territory c ON c.level = 'COMMUNE' AND c.code = ac.commune_code
    CROSS JOIN LATERAL (VALUES ('EPCI', c.epci_code), ('EPT', c.ept_code), ('DEPARTEMENT', c.departement_code),
                               ('REGION', c.region_code), ('PAYS', 'FR')) AS x(level, code)
    WHERE x.code IS NOT NULL
    UNION ALL
    SELECT 'ARRONDISSEMENT', r.code, ac.actor_id, true FROM bench_address_commune ac
    JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.commune_code = ac.commune_code
    WHERE NOT EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = ac.actor_id AND at.level = 'ARRONDISSEMENT')
       OR EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = ac.actor_id AND at.level = 'ARRONDISSEMENT' AND at.code = r.code)
    ON CONFLICT (level, code, actor_id) DO UPDATE SET local = true`);
  step('coverage_area');
  if (superuser) {
    await q(`SET LOCAL session_replication_role = origin`);
    // What the skipped foreign keys would have checked.
    const [{ orphans }] = await q(`SELECT
      (SELECT count(*) FROM bench_gen g WHERE NOT EXISTS (SELECT 1 FROM actor a WHERE a.id = g.id))::int AS orphans`);
    if (orphans > 0) throw new Error('bench: couverture vers des acteurs absents');
  }
  for (const i of indexes) await q(i.indexdef);
  step('index de couverture reconstruits');
}

/**
 * Recomputes the coverage of a sample of 100 generated actors (20 of each territory size) with
 * ActorService.resolveCoverage, compares it with what was written, and rolls the recomputation back.
 */
async function checkCoverage(ds: DataSource, qr: QueryRunner): Promise<number> {
  const ids: string[] = (
    await qr.query(`SELECT id FROM (
        SELECT id, row_number() OVER (PARTITION BY scope ORDER BY md5('bench-check:' || n)) AS r FROM bench_gen) s
      WHERE r <= 20 ORDER BY id`)
  ).map((r: { id: string }) => r.id);
  const snapshot = async (): Promise<{ communes: string[]; areas: string[] }> => {
    const communes = await qr.query(
      `SELECT actor_id || ' ' || commune_code || ' ' || local AS k FROM coverage_commune WHERE actor_id = ANY($1::uuid[]) ORDER BY 1`,
      [ids],
    );
    const areas = await qr.query(
      `SELECT actor_id || ' ' || level || ' ' || code || ' ' || local AS k FROM coverage_area WHERE actor_id = ANY($1::uuid[]) ORDER BY 1`,
      [ids],
    );
    return { communes: communes.map((r: { k: string }) => r.k), areas: areas.map((r: { k: string }) => r.k) };
  };
  const written = await snapshot();
  await qr.query(`SAVEPOINT bench_check`);
  const service = new ActorService(ds, new ThemeService(ds), new TerritoryService(ds));
  await service.resolveCoverage(qr.manager, ids);
  const resolved = await snapshot();
  await qr.query(`ROLLBACK TO SAVEPOINT bench_check`);
  for (const key of ['communes', 'areas'] as const) {
    const a = written[key];
    const b = resolved[key];
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
      const onlyWritten = a.filter((v) => !b.includes(v)).slice(0, 5);
      const onlyResolved = b.filter((v) => !a.includes(v)).slice(0, 5);
      throw new Error(
        `bench: la couverture générée (${key}) diffère de resolveCoverage : ${a.length} contre ${b.length} lignes ; ` +
          `seulement générées ${JSON.stringify(onlyWritten)}, seulement résolues ${JSON.stringify(onlyResolved)}`,
      );
    }
  }
  if (written.communes.length === 0) throw new Error('bench: échantillon de couverture vide');
  return ids.length;
}
