import type http from 'node:http';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { ActorService } from '../../server/actors/actor.service.js';
import { TerritoryService } from '../../server/territories/territory.service.js';
import { ThemeService } from '../../server/themes/theme.service.js';
import { type Answer, GqlClient, problemOf } from './client.js';
import { type Accounts, actorsCsv, type Commune, IMPORT_SOURCE, importCsv, RUN_SOURCE } from './setup.js';
import { Recorder } from './stats.js';
import { Q, type Ledger, runWorkload, type WorkloadState } from './workload.js';

/**
 * Faults: the database connections of the app are killed (pg_terminate_backend from a side
 * connection) in the middle of a large all-or-nothing import and in the middle of membership
 * decisions, while background clients keep creating and updating actors. Afterwards: the import
 * is entirely absent or entirely present, no decision is half-written, every acknowledged write is
 * there exactly once, nothing else changed (checksums), and the app answers again.
 */

type Log = (line: string) => void;

export interface FaultContext {
  databaseUrl: string;
  appName: string;
  baseUrl: URL;
  agent: http.Agent;
  accounts: Accounts;
  communes: Commune[];
  ledger: Ledger;
  state: WorkloadState;
  ds: DataSource;
  runId: string;
  importRows: number;
  /** The app's pool (DB_POOL_SIZE): how many of its decisions can be inside a transaction at once. */
  poolSize: number;
  log: Log;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface FaultReport {
  checks: Check[];
  scenarios: Record<string, unknown>[];
  backgroundWrites: { acked: number; failed: number; errorCodes: Record<string, number> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** md5 checksums and counts of the tables a write touches; `where` keeps the rows compared. */
async function snapshot(pool: pg.Pool, exclude: { actorSources: string[]; membershipIds: string[] }) {
  const keep = `actor_id NOT IN (SELECT id FROM actor WHERE source = ANY($1::text[]))`;
  const q = async (name: string, sql: string, params: unknown[]) => {
    const {
      rows: [r],
    } = await pool.query(sql, params);
    return [name, `${r.n}:${r.h ?? '-'}`] as const;
  };
  const s = [exclude.actorSources];
  const parts = await Promise.all([
    q(
      'actor',
      `SELECT count(*)::int AS n, md5(string_agg(id || ':' || version || ':' || status, ',' ORDER BY id)) AS h FROM actor WHERE source IS NULL OR NOT (source = ANY($1::text[]))`,
      s,
    ),
    q(
      'actor_territory',
      `SELECT count(*)::int AS n, md5(string_agg(actor_id || ':' || level || ':' || code, ',' ORDER BY actor_id, level, code)) AS h FROM actor_territory WHERE ${keep}`,
      s,
    ),
    q(
      'coverage_commune',
      `SELECT count(*)::int AS n, md5(string_agg(actor_id || ':' || commune_code, ',' ORDER BY actor_id, commune_code)) AS h FROM coverage_commune WHERE ${keep}`,
      s,
    ),
    q(
      'coverage_area',
      `SELECT count(*)::int AS n, md5(string_agg(actor_id || ':' || level || ':' || code, ',' ORDER BY actor_id, level, code)) AS h FROM coverage_area WHERE ${keep}`,
      s,
    ),
    q(
      'membership',
      `SELECT count(*)::int AS n, md5(string_agg(id || ':' || status || ':' || role, ',' ORDER BY id)) AS h FROM membership WHERE NOT (id = ANY($1::uuid[]))`,
      [exclude.membershipIds],
    ),
    q(
      'membership_event',
      `SELECT count(*)::int AS n, md5(string_agg(id || ':' || membership_id || ':' || to_status, ',' ORDER BY id)) AS h FROM membership_event WHERE NOT (membership_id = ANY($1::uuid[]))`,
      [exclude.membershipIds],
    ),
    q('session', `SELECT count(*)::int AS n, md5(string_agg(token_hash, ',' ORDER BY token_hash)) AS h FROM session`, []),
  ]);
  return Object.fromEntries(parts) as Record<string, string>;
}

function compare(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before)
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k} ${before[k]} → ${after[k]}`);
}

/** The gap aggregates (maintained by triggers) against a full recomputation, rolled back. */
async function aggregatesConsistent(pool: pg.Pool): Promise<string | null> {
  const c = await pool.connect();
  try {
    const sum = async () =>
      (
        await c.query(`SELECT
          (SELECT md5(string_agg(theme || level || code || ':' || actor_count, ',' ORDER BY theme, level, code)) FROM coverage_theme_count WHERE actor_count > 0) AS counts,
          (SELECT md5(string_agg(actor_id || theme, ',' ORDER BY actor_id, theme)) FROM actor_theme_point) AS points`)
      ).rows[0];
    await c.query('BEGIN');
    const maintained = await sum();
    await c.query('SELECT gap_rebuild()');
    const rebuilt = await sum();
    await c.query('ROLLBACK');
    if (maintained.counts !== rebuilt.counts) return 'coverage_theme_count diffère de gap_rebuild()';
    if (maintained.points !== rebuilt.points) return 'actor_theme_point diffère de gap_rebuild()';
    return null;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

/** The stored coverage of `ids` against ActorService.resolveCoverage, recomputed and rolled back. */
async function coverageConsistent(ds: DataSource, ids: string[]): Promise<string | null> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    const snap = async () =>
      (
        await qr.query(
          `SELECT
          (SELECT count(*)::int FROM coverage_commune WHERE actor_id = ANY($1::uuid[])) AS cc,
          (SELECT md5(string_agg(actor_id || commune_code, ',' ORDER BY actor_id, commune_code)) FROM coverage_commune WHERE actor_id = ANY($1::uuid[])) AS hc,
          (SELECT md5(string_agg(actor_id || level || code, ',' ORDER BY actor_id, level, code)) FROM coverage_area WHERE actor_id = ANY($1::uuid[])) AS ha`,
          [ids],
        )
      )[0];
    await qr.startTransaction();
    const stored = await snap();
    await new ActorService(ds, new ThemeService(ds), new TerritoryService(ds)).resolveCoverage(qr.manager, ids);
    const resolved = await snap();
    await qr.rollbackTransaction();
    if (stored.cc === 0) return 'aucune ligne de couverture';
    if (stored.hc !== resolved.hc || stored.ha !== resolved.ha) return `couverture stockée (${stored.cc} communes) ≠ couverture recalculée (${resolved.cc})`;
    return null;
  } finally {
    if (qr.isTransactionActive) await qr.rollbackTransaction();
    await qr.release();
  }
}

export async function runFaults(f: FaultContext): Promise<FaultReport> {
  const checks: Check[] = [];
  const scenarios: Record<string, unknown>[] = [];
  const check = (name: string, ok: boolean, detail = '') => {
    checks.push({ name, ok, detail });
    f.log(`  ${ok ? 'OK  ' : 'ÉCHEC'} ${name}${detail ? ` — ${detail}` : ''}`);
  };
  const pool = new pg.Pool({ connectionString: f.databaseUrl, max: 4, application_name: 'loadtest-verifier' });
  // `side` holds the locks; `watch` reads pg_stat_activity and terminates (inside a transaction,
  // pg_stat_activity is a snapshot taken at its first read: it must not be read from `side`).
  const side = new pg.Client({ connectionString: f.databaseUrl, application_name: 'loadtest-injector' });
  await side.connect();
  const watch = new pg.Client({ connectionString: f.databaseUrl, application_name: 'loadtest-injector' });
  await watch.connect();
  const bgRecorder = new Recorder();
  const anon = new GqlClient(f.baseUrl, '10.200.0.1', f.agent);
  // A member not among the background writers, for the writes that check recovery.
  const writer = f.accounts.members[f.accounts.members.length - 1].client;

  const appBackends = async (where = 'true') =>
    (
      await watch.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND ${where}`, [
        f.appName,
      ])
    ).rows[0].n as number;
  const terminate = async () =>
    (
      await watch.query(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
        [f.appName],
      )
    ).rows[0].n as number;
  /** Polls `cond`; gives up (false) once `over()` says the request watched has already been answered. */
  const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs = 120_000, over: () => boolean = () => false) => {
    const t0 = Date.now();
    while (!(await cond())) {
      if (over()) return false;
      if (Date.now() - t0 > timeoutMs) throw new Error(`délai dépassé en attendant : ${what}`);
      await sleep(5);
    }
    return true;
  };
  /** After a kill: time to the first good answer, then 20 reads and 5 writes that must all succeed. */
  const recovery = async (label: string) => {
    const t0 = performance.now();
    let first: Answer | null = null;
    let failedBefore = 0;
    while (performance.now() - t0 < 15_000) {
      const a = await anon.gql(Q.search, { filter: { coversCommune: f.communes[0].code }, first: 5 });
      if (!problemOf(a)) {
        first = a;
        break;
      }
      failedBefore++;
      await sleep(20);
    }
    const toFirst = Math.round(performance.now() - t0);
    const bad: string[] = [];
    if (first) {
      for (let i = 0; i < 20; i++) {
        const a = await anon.gql(Q.search, { filter: { coversCommune: f.communes[(i * 37) % f.communes.length].code, themesAny: ['addictions'] }, first: 20 });
        if (problemOf(a)) bad.push(problemOf(a)!);
      }
      for (let i = 0; i < 5; i++) {
        const name = `Acteur de charge ${f.runId} reprise ${label} ${i}`;
        const a = await writer.gql(Q.createActor, {
          input: {
            name,
            kind: 'ASSOCIATION',
            sector: 'SOCIAL',
            communeCode: f.communes[i].code,
            territories: [{ level: 'COMMUNE', code: f.communes[i].code }],
            themes: ['addictions'],
            source: RUN_SOURCE,
            isDemo: true,
          },
        });
        if (problemOf(a)) bad.push(problemOf(a)!);
        else f.ledger.actors.set(a.data.createActor.id, { name, version: 1, description: null });
      }
    }
    check(
      `${label} : l’application répond de nouveau (le pool se reconnecte)`,
      !!first && bad.length === 0,
      first
        ? `première réponse après ${toFirst} ms (${failedBefore} échec(s) avant), puis 20 lectures et 5 écritures : ${bad.length ? bad.join(',') : 'toutes réussies'}`
        : 'aucune réponse en 15 s',
    );
    return { msToFirstSuccess: toFirst, failedBefore, afterwards: bad.length };
  };
  /** Background writers (members creating and updating actors) during a fault. */
  const background = () => {
    const stop = { done: false };
    const done = runWorkload({
      baseUrl: f.baseUrl,
      agent: f.agent,
      accounts: { ...f.accounts, members: f.accounts.members.slice(0, 6) },
      communes: f.communes,
      recorder: bgRecorder,
      ledger: f.ledger,
      state: f.state,
      runId: f.runId,
      seconds: 600,
      writesOnly: true,
      stop,
    });
    return async () => {
      stop.done = true;
      await done;
    };
  };

  const exclude = () => ({ actorSources: [RUN_SOURCE, IMPORT_SOURCE], membershipIds: [] as string[] });

  // ---------------------------------------------------------------- import
  // One file per attempt (its own names), so that every attempt is really cut in the middle.
  const variants = ['tot', 'fin', 'hasard'] as const;
  type Variant = (typeof variants)[number];
  const prefix = (v: Variant) => `Acteur importé ${f.runId} ${v} `;
  const csvOf = (v: Variant) =>
    actorsCsv(f.communes, 0, f.importRows, { name: (n) => `${prefix(v)}${n + 1}`, source: IMPORT_SOURCE, salt: `fault-import:${f.runId}:${v}`, local: true });
  const importCount = async (v: Variant) =>
    (await pool.query(`SELECT count(*)::int AS n FROM actor WHERE source = $1 AND name LIKE $2`, [IMPORT_SOURCE, `${prefix(v)}%`])).rows[0].n as number;
  const before = await snapshot(pool, exclude());
  // Imports are for administrators.
  const importClient = f.accounts.admin;

  /**
   * One import cut in the middle; returns whether it ended present.
   * - early: coverage_area is locked first, so the import stops at its first coverage write (its
   *   first 1,000 actors and their territories written, not committed); killed there.
   * - late: coverage_theme_count is locked, so it stops at gap_rebuild(), its last statement,
   *   every row written, not committed; killed there, while background writers write actors.
   * - timed: killed at a random moment after its transaction started writing.
   */
  const killedImport = async (label: string, v: Variant) => {
    // Background writers only where the import's backend can be told apart from theirs.
    const stopBg = v === 'fin' ? background() : async () => {};
    await sleep(300);
    const t0 = performance.now();
    if (v === 'tot') {
      await side.query('BEGIN');
      await side.query('LOCK TABLE coverage_area IN SHARE ROW EXCLUSIVE MODE');
    } else if (v === 'fin') {
      await side.query('BEGIN');
      await side.query('LOCK TABLE coverage_theme_count IN ACCESS SHARE MODE');
    }
    let answered = false;
    const answer = importCsv(importClient, csvOf(v)).finally(() => (answered = true));
    const over = () => answered;
    let killed = 0;
    let delayMs = 0;
    let seen: boolean;
    if (v === 'tot') {
      seen = await waitFor(
        'import bloqué sur coverage_area',
        // By the lock it waits for, whatever statement waits: matched by its text (`LIKE
        // '%coverage_area%'`), the wait was no longer seen and the phase ended on the client's timeout.
        async () =>
          (await appBackends(
            `wait_event_type = 'Lock' AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_stat_activity.pid AND NOT l.granted AND l.relation = 'coverage_area'::regclass)`,
          )) > 0,
        120_000,
        over,
      );
    } else if (v === 'fin') {
      seen = await waitFor(
        'import bloqué sur gap_rebuild',
        async () => (await appBackends(`wait_event_type = 'Lock' AND query LIKE '%gap_rebuild%'`)) > 0,
        120_000,
        over,
      );
    } else {
      seen = await waitFor('écritures de l’import', async () => (await appBackends(`backend_xid IS NOT NULL`)) > 0, 120_000, over);
      delayMs = Math.round(Math.random() * 300);
      await sleep(delayMs);
    }
    if (seen && !answered) killed = await terminate();
    if (v !== 'hasard') await side.query('ROLLBACK');
    const res = await answer;
    const killedAfterMs = Math.round(performance.now() - t0);
    await stopBg();
    const rec = await recovery(label);
    const acked = !problemOf(res) && res.data?.importActors?.committed === true;
    const n = await importCount(v);
    const present = n === f.importRows;
    check(
      `${label} : import tout ou rien`,
      (n === 0 || present) && killed > 0,
      `${killed ? `${killed} connexions de l’application coupées après ${killedAfterMs} ms` : 'PAS COUPÉ (import terminé avant)'} ; ${n} acteurs importés sur ${f.importRows} ; réponse ${acked ? 'acquittée' : (problemOf(res) ?? 'non enregistrée')}`,
    );
    if (acked) check(`${label} : import acquitté présent`, present, `${n}/${f.importRows}`);
    scenarios.push({
      name: label,
      variant: v,
      delayMs,
      killedBackends: killed,
      killedAfterMs,
      answer: acked ? 'acquitté' : problemOf(res),
      importedRows: n,
      recovery: rec,
    });
    return present;
  };

  f.log(`Pannes : imports de ${f.importRows} lignes (tout ou rien) coupés en cours, puis décisions d’adhésion coupées en cours`);
  const present: Record<Variant, boolean> = {
    tot: await killedImport('import coupé tôt (verrou sur coverage_area)', 'tot'),
    fin: await killedImport('import coupé à la fin, avec écritures concurrentes (verrou sur gap_rebuild)', 'fin'),
    hasard: await killedImport('import coupé au hasard', 'hasard'),
  };
  const afterKills = await snapshot(pool, exclude());
  const diff = compare(before, afterKills);
  check(
    'après les coupures : le reste de la base est inchangé (sommes md5 hors écritures du test)',
    diff.length === 0,
    diff.join(' ; ') || Object.keys(before).join(', ') + ' identiques',
  );
  // The operator runs the cut imports again: each must now go through, once.
  for (const v of variants) {
    if (present[v]) continue;
    const stopBg = background();
    const res = await importCsv(importClient, csvOf(v));
    await stopBg();
    const r = res.data?.importActors;
    check(
      `import « ${v} » relancé : acquitté`,
      !problemOf(res) && r?.committed === true && r.created === f.importRows,
      JSON.stringify(r ? { created: r.created, unchanged: r.unchanged, rejected: r.rejected } : res.errors).slice(0, 300),
    );
  }
  const counts = await Promise.all(variants.map((v) => importCount(v)));
  check(
    'imports : chacun présent une seule fois',
    counts.every((c) => c === f.importRows),
    `${counts.join(' + ')} acteurs pour ${variants.length} × ${f.importRows} lignes`,
  );
  const dupes = (
    await pool.query(`SELECT count(*)::int AS n FROM (SELECT name FROM actor WHERE source = $1 GROUP BY name, commune_code HAVING count(*) > 1) d`, [
      IMPORT_SOURCE,
    ])
  ).rows[0].n;
  check('imports : aucun doublon', dupes === 0, `${dupes} nom(s) en double`);
  const ids = (
    await pool.query(`SELECT id FROM actor WHERE source = $1 AND name LIKE $2 ORDER BY id`, [IMPORT_SOURCE, `Acteur importé ${f.runId} %`])
  ).rows.map((r) => r.id as string);
  const cov = await coverageConsistent(f.ds, ids);
  check('imports : couverture complète (identique à resolveCoverage)', cov === null, cov ?? `${ids.length} acteurs`);
  const reimport = await importCsv(importClient, csvOf('tot'));
  const rr = reimport.data?.importActors;
  check(
    'import relancé une fois de plus : rien ne change (tout « inchangé »)',
    rr?.unchanged === f.importRows && rr.created === 0,
    JSON.stringify(rr ? { created: rr.created, updated: rr.updated, unchanged: rr.unchanged } : reimport.errors).slice(0, 200),
  );

  // ---------------------------------------------------------------- membership decisions
  const pairs = (
    await pool.query(
      `SELECT m.actor AS actor_id, c.id AS coalition_id, m.k FROM unnest($1::uuid[], $2::int[]) AS m(actor, k)
       CROSS JOIN unnest($3::uuid[]) AS c(id)
       WHERE NOT EXISTS (SELECT 1 FROM membership x WHERE x.actor_id = m.actor AND x.coalition_id = c.id AND x.status IN ('REQUESTED','INVITED','ACTIVE'))
       ORDER BY md5(m.actor::text || c.id::text) LIMIT 48`,
      [f.accounts.members.flatMap((mm) => mm.actors), f.accounts.members.flatMap((_, i) => [i, i, i]), f.accounts.coalitions.map((c) => c.id)],
    )
  ).rows as { actor_id: string; coalition_id: string; k: number }[];
  const owner = new Map(f.accounts.coalitions.map((c) => [c.id, c.coordinator]));
  const requests: { id: string; coordinator: number }[] = [];
  for (const p of pairs) {
    const res = await f.accounts.members[p.k].client.gql(Q.request, { c: p.coalition_id, a: p.actor_id });
    if (problemOf(res)) throw new Error(`requestMembership avant panne : ${problemOf(res)} ${JSON.stringify(res.errors)}`);
    const id = res.data.requestMembership.id as string;
    requests.push({ id, coordinator: owner.get(p.coalition_id)! });
    f.ledger.memberships.set(id, { coalitionId: p.coalition_id, actorId: p.actor_id, statuses: ['REQUESTED'], unknown: null });
  }
  const faultIds = requests.map((r) => r.id);
  const beforeM = await snapshot(pool, { actorSources: [RUN_SOURCE, IMPORT_SOURCE], membershipIds: faultIds });
  const decide = (r: { id: string; coordinator: number }) => f.accounts.coordinators[r.coordinator].client.gql(Q.accept, { id: r.id });

  const killedDecisions = async (label: string, batch: typeof requests, how: 'lock' | 'timed') => {
    const stopBg = background();
    await sleep(300);
    if (how === 'lock') {
      // Every decision stops between its UPDATE membership and its INSERT membership_event.
      await side.query('BEGIN');
      await side.query('LOCK TABLE membership_event IN SHARE ROW EXCLUSIVE MODE');
    }
    const answers = Promise.all(batch.map((r) => decide(r)));
    let killed: number;
    if (how === 'lock') {
      // All the decisions the app's pool lets into a transaction at once, less one (a background write may hold it).
      const want = Math.max(1, Math.min(batch.length, 8, f.poolSize - 1));
      await waitFor(
        `${want} décisions bloquées en cours de transaction`,
        async () => (await appBackends(`wait_event_type = 'Lock' AND query LIKE '%membership_event%'`)) >= want,
      );
      killed = await terminate();
      await side.query('ROLLBACK');
    } else {
      await waitFor('décisions en cours', async () => (await appBackends(`query LIKE '%UPDATE membership SET%' AND state <> 'idle'`)) > 0, 1000).catch(
        () => {},
      );
      await sleep(Math.random() * 5);
      killed = await terminate();
    }
    const res = await answers;
    await stopBg();
    const rec = await recovery(label);
    let acked = 0;
    batch.forEach((r, i) => {
      const m = f.ledger.memberships.get(r.id)!;
      if (!problemOf(res[i]) && res[i].data.acceptMembership.status === 'ACTIVE') {
        m.statuses.push('ACTIVE');
        acked++;
      } else m.unknown = 'ACTIVE';
    });
    // Right after the kill: each decision is entirely there or entirely absent.
    const rows = (
      await pool.query(
        `SELECT m.id, m.status, coalesce((SELECT array_agg(e.to_status ORDER BY e.id) FROM membership_event e WHERE e.membership_id = m.id), '{}') AS ev
         FROM membership m WHERE m.id = ANY($1::uuid[])`,
        [batch.map((r) => r.id)],
      )
    ).rows as { id: string; status: string; ev: string[] }[];
    const half = rows.filter(
      (r) => !((r.status === 'REQUESTED' && r.ev.join('>') === 'REQUESTED') || (r.status === 'ACTIVE' && r.ev.join('>') === 'REQUESTED>ACTIVE')),
    );
    const lost = batch.filter((r, i) => !problemOf(res[i]) && rows.find((x) => x.id === r.id)?.status !== 'ACTIVE');
    const decided = rows.filter((r) => r.status === 'ACTIVE').length;
    check(
      `${label} : aucune décision à moitié écrite`,
      half.length === 0,
      half.length ? half.map((h) => `${h.id} ${h.status} [${h.ev.join('>')}]`).join(' ; ') : `${decided} décidées, ${rows.length - decided} encore en attente`,
    );
    check(`${label} : aucune décision acquittée perdue`, lost.length === 0, `${acked} acquittées sur ${batch.length}`);
    // The coordinator tries the unanswered ones again: done now, or CONFLICT if it had gone through.
    let conflicts = 0;
    let retried = 0;
    const retryProblems: string[] = [];
    for (let i = 0; i < batch.length; i++) {
      if (!problemOf(res[i])) continue;
      retried++;
      const again = await decide(batch[i]);
      const p = problemOf(again);
      const m = f.ledger.memberships.get(batch[i].id)!;
      if (!p) {
        m.statuses.push('ACTIVE');
        m.unknown = null;
      } else if (p === 'CONFLICT' && rows.find((x) => x.id === batch[i].id)?.status === 'ACTIVE') {
        conflicts++;
        m.statuses.push('ACTIVE');
        m.unknown = null;
      } else retryProblems.push(p);
    }
    check(
      `${label} : décisions refaites sans doublon`,
      retryProblems.length === 0,
      `${retried} refaites : ${retried - conflicts - retryProblems.length} passées, ${conflicts} déjà faites (CONFLICT)${retryProblems.length ? `, erreurs ${retryProblems.join(',')}` : ''}`,
    );
    scenarios.push({
      name: label,
      how,
      decisions: batch.length,
      killedBackends: killed,
      acked,
      decidedBeforeRetry: decided,
      retried,
      conflicts,
      recovery: rec,
    });
  };
  await killedDecisions('décisions coupées en pleine transaction (verrou sur membership_event)', requests.slice(0, 24), 'lock');
  await killedDecisions('décisions coupées au hasard', requests.slice(24), 'timed');
  const finalRows = (
    await pool.query(
      `SELECT m.id, m.status, (SELECT count(*)::int FROM membership_event e WHERE e.membership_id = m.id AND e.to_status = 'ACTIVE') AS activations
       FROM membership m WHERE m.id = ANY($1::uuid[])`,
      [faultIds],
    )
  ).rows;
  const wrong = finalRows.filter((r: any) => r.status !== 'ACTIVE' || r.activations !== 1);
  check(
    'adhésions : toutes acceptées une seule fois (un seul événement ACTIVE chacune)',
    wrong.length === 0 && finalRows.length === faultIds.length,
    `${finalRows.length - wrong.length}/${faultIds.length}`,
  );
  const afterM = await snapshot(pool, { actorSources: [RUN_SOURCE, IMPORT_SOURCE], membershipIds: faultIds });
  const diffM = compare(beforeM, afterM);
  check('après les décisions coupées : le reste de la base est inchangé (sommes md5)', diffM.length === 0, diffM.join(' ; ') || 'identiques');
  const agg = await aggregatesConsistent(pool);
  check('agrégats des lacunes identiques à un recalcul complet (gap_rebuild)', agg === null, agg ?? 'coverage_theme_count et actor_theme_point identiques');
  await side.end();
  await watch.end();
  await pool.end();
  const bg = bgRecorder.summarize(1).total;
  return { checks, scenarios, backgroundWrites: { acked: bg.requests - bg.errors, failed: bg.errors, errorCodes: bg.errorCodes } };
}
