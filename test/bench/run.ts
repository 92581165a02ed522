import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { openDatabase } from '../../server/db/database.js';
import { runSeeds, type SeedOptions } from '../../seeds/index.js';
import { measureClient } from './client.js';
import { ensureCoalitionDataset } from './coalitions-dataset.js';
import { ensureDataset } from './dataset.js';
import { measureStartup } from './startup.js';
import type { BenchScenario } from './scenario.js';
import { appStats, forkApp, stopApp } from '../load/app-process.js';
import { DEFAULT_POOL_SIZE } from '../../server/config/env.js';
import { cpuBusy } from '../load/stats.js';
import { answerKey, PEER_INPUTS, PEER_TABLE } from './peer.js';

/**
 * `DATABASE_URL=postgres://… npm run bench [-- --only <name or start of name, or client, or startup>…] [--duration <s>] [--warmup <s>] [--app-warmup <s>] [--rounds <n>] [--restarts <n>] [--rebuild]`
 * `npm run bench -- --only startup`: the build, first start and restarts alone (startup.ts), without DATABASE_URL.
 *
 * Migrates and seeds the territories, builds the national benchmark dataset once (see dataset.ts),
 * starts the real app in a child process on a loopback port, then measures every scenario of
 * test/bench/scenarios/: over HTTP with autocannon, and its hand-written SQL (the floor) with `pg`,
 * each at 1 and 16 concurrent clients. Writes bench-results/<date>.json and prints a Markdown table.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const ext = path.extname(fileURLToPath(import.meta.url)); // .js when built, .ts with @swc-node/register
const log = (line: string) => process.stdout.write(`${line}\n`);

function parseArgs(argv: string[]) {
  const args = { only: [] as string[], duration: 10, warmup: 3, appWarmup: 15, rebuild: false, rounds: 1, restarts: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} demande une valeur`);
      return v;
    };
    if (a === '--only') args.only.push(value());
    else if (a === '--duration') args.duration = Number(value());
    else if (a === '--warmup') args.warmup = Number(value());
    else if (a === '--app-warmup') args.appWarmup = Number(value());
    else if (a === '--rounds') args.rounds = Number(value());
    else if (a === '--restarts') args.restarts = Number(value());
    else if (a === '--rebuild') args.rebuild = true;
    else
      throw new Error(
        `Option inconnue : ${a} (options : --only <nom> | client, --duration <s>, --warmup <s>, --app-warmup <s>, --rounds <n>, --restarts <n>, --rebuild)`,
      );
  }
  if (!(args.duration > 0) || !(args.warmup >= 0) || !(args.appWarmup >= 0) || !(args.rounds >= 1) || !(args.restarts >= 1))
    throw new Error('durée, échauffement ou nombre de tours invalide');
  return args;
}

interface Measure {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  errors: number;
  /** CPU time per request: the app's process and the PostgreSQL backends. */
  cpuMsPerRequest?: { app?: number; postgres: number | null; loadGenerator?: number };
}

function summarize(samples: number[], seconds: number, errors: number): Measure {
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    requests: s.length,
    seconds: r2(seconds),
    rps: Math.round(s.length / seconds),
    p50: r2(at(0.5)),
    p95: r2(at(0.95)),
    p99: r2(at(0.99)),
    max: r2(s.length ? s[s.length - 1] : NaN),
    mean: r2(s.reduce((a, b) => a + b, 0) / (s.length || 1)),
    errors,
  };
}

/** The scenario's `i`-th request, sent once (GET, or the GraphQL POST). */
const sendOnce = (url: string, sc: BenchScenario, i: number): Promise<Response> =>
  sc.get
    ? fetch(`${url}${sc.get.path(i)}`)
    : fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: sc.graphql!.query, variables: sc.graphql!.variables(i) }),
      });

/**
 * Waits until the app has answered what autocannon left it when its time ran out: the requests it
 * had sent stay queued in the app (the analyses one at a time, ANALYTICS_CONCURRENCY) and were
 * answered during the next measurement. After 15 s of warm-up at 16 clients, the theme matrix
 * (0.55 s each) had ≈ 9 s of them left, and the first round's p99 was 5.7–7.2 s against 1 s for the
 * next rounds. One more request, sent alone, is answered after them.
 */
async function drain(url: string, sc: BenchScenario): Promise<void> {
  await (await sendOnce(url, sc, 0)).arrayBuffer();
}

/** The scenario's request (GraphQL POST or GET) over HTTP with autocannon; latencies taken from its per-response event (sub-millisecond). */
async function measureHttp(url: string, sc: BenchScenario, connections: number, seconds: number, counter: { i: number }, rate?: number): Promise<Measure> {
  const samples: number[] = [];
  let errors = 0;
  const instance = autocannon({
    url: `${url}/graphql`,
    connections,
    duration: seconds,
    pipelining: 1,
    // At most this many requests a second, all clients together (the peer paced at the app's rate).
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      sc.get
        ? {
            method: 'GET',
            path: sc.get.path(0),
            setupRequest: (req: any) => ({ ...req, path: sc.get!.path(counter.i++) }),
            onResponse: (status: number) => status !== 200 && errors++,
          }
        : {
            method: 'POST',
            path: '/graphql',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req: any) => ({
              ...req,
              body: JSON.stringify({ query: sc.graphql!.query, variables: sc.graphql!.variables(counter.i++) }),
            }),
            onResponse: (status: number, body: string) => {
              if (status !== 200 || body.startsWith('{"errors"') || body.includes('"errors":[')) errors++;
            },
          },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => samples.push(ms));
  const result: any = await instance;
  errors += result.errors + result.timeouts + result.non2xx;
  return summarize(samples, result.duration, errors);
}

/** The SQL floor: `connections` loops, each sending the statement and waiting for its rows. */
async function measureSql(pool: pg.Pool, sc: BenchScenario, connections: number, seconds: number, counter: { i: number }): Promise<Measure> {
  const samples: number[] = [];
  let errors = 0;
  const sql = sc.sql!;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = await pool.connect();
      try {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await client.query(sql.text, sql.values(counter.i++));
            samples.push(performance.now() - t);
          } catch {
            errors++;
          }
        }
      } finally {
        client.release();
      }
    }),
  );
  return summarize(samples, (performance.now() - started) / 1000, errors);
}

/** `--only client`: the browser timings (alone, or with the scenarios also named). */
const CLIENT = 'client';
/** `--only startup`: the build, first start and restarts of `npm start` on the embedded database (startup.ts); no DATABASE_URL needed alone. */
const STARTUP = 'startup';

async function loadScenarios(only: string[]): Promise<BenchScenario[]> {
  // The browser timings and the start are measured apart: named alone, they run no scenario.
  const apartOnly = only.includes(CLIENT) || only.includes(STARTUP);
  const dir = path.join(here, 'scenarios');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts'))
    .sort();
  const all: BenchScenario[] = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    if (Array.isArray(mod.scenarios)) all.push(...mod.scenarios);
  }
  // A scenario is chosen by its name or by the start of its name (names hold commas and colons).
  const chosen = (o: string) => all.filter((s) => s.name === o || s.name.startsWith(o));
  only = only.filter((o) => o !== CLIENT && o !== STARTUP);
  for (const o of only) if (!chosen(o).length) throw new Error(`Scénario inconnu : ${o} (connus : ${all.map((s) => s.name).join(' | ')})`);
  if (!only.length) return apartOnly ? [] : all;
  return all.filter((s) => only.some((o) => chosen(o).includes(s)));
}

/** The app's pool: the one `npm start` opens (DB_POOL_SIZE's default, 2 × cores + 2), unless BENCH_POOL_SIZE says otherwise. */
const appPoolSize = Number(process.env.BENCH_POOL_SIZE ?? DEFAULT_POOL_SIZE);

async function startServer(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    BENCH_POOL_SIZE: String(appPoolSize),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    NODE_ENV: 'production',
  };
  const { child, url } = await forkApp(path.join(here, `server${ext}`), env, ['ignore', 'inherit', 'inherit', 'ipc']);
  return { child, url: url.origin };
}

/** CPU time (ms) used so far by the app's process. */
const serverCpuMs = async (child: ChildProcess) => (await appStats(child)).cpuMs;

/** CPU time (ms) used so far by each PostgreSQL backend of this database, by pid (null when /proc cannot tell). */
async function postgresCpuMs(pool: pg.Pool): Promise<Map<number, number> | null> {
  const { rows } = await pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  const byPid = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
      byPid.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // utime + stime, in ticks of 10 ms
    } catch {
      // A backend that ended between the list and its file: not counted (see postgresCpuSpent).
    }
  }
  return byPid;
}

/**
 * PostgreSQL CPU (ms) spent between two readings: each backend's growth, the whole time of those
 * started in between (the app's pool opens connections as clients are added). Comparing two sums
 * instead gave negative figures when backends came and went.
 */
function postgresCpuSpent(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let spent = 0;
  for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
  return spent;
}

/** Milliseconds per request, to the hundredth. */
const perRequest = (ms: number | null, requests: number) => (ms === null ? null : Math.round((ms / requests) * 100) / 100);

type Run = { connections: number; graphql: Measure; sql?: Measure };

/** The element of `list` in the middle when ordered by `by` (the median round of several). */
const middle = <T>(list: T[], by: (t: T) => number): T => [...list].sort((a, b) => by(a) - by(b))[Math.floor(list.length / 2)];

/** A round of the peer: as fast as it goes, and paced at the app's throughput. */
type PeerRound = { free: Measure; paced: Measure };

/**
 * The peer of a scenario (peer.ts): the app's answers to its first PEER_INPUTS inputs captured,
 * served back by peer-server.ts, checked, then loaded at 16 clients for the scenario's rounds:
 * as fast as it goes (`free`), and paced at `appRps`, the app's own throughput (`paced`). A
 * process's CPU per request depends on its rate: at a few hundred requests a second each one wakes
 * the process alone, at a thousand several share a wake-up (the peer: 0.83–0.84 ms at 320 req/s,
 * 0.63–0.72 ms at 1,400–1,600, 7 December 2026). The paced figure is the one to read the app's
 * against. With the scenario's floor SQL, a second peer runs that statement for each request (its
 * rows read and dropped, the answer taken from memory), paced too (`floor`): a hand-written
 * Apollo + `pg` server doing the floor's SQL work. Returns the round with the median free
 * throughput, the floor peer's median round, and every round.
 */
async function measurePeer(
  appUrl: string,
  databaseUrl: string,
  pool: pg.Pool,
  sc: BenchScenario,
  args: { duration: number; warmup: number; appWarmup: number; rounds: number },
  appRps: number,
): Promise<PeerRound & { floor?: Measure; rounds: PeerRound[]; floorRounds: Measure[] }> {
  const graphql = sc.graphql!;
  const peerSc: BenchScenario = { ...sc, graphql: { query: graphql.query, variables: (i) => graphql.variables(i % PEER_INPUTS) } };
  await pool.query(`DROP TABLE IF EXISTS ${PEER_TABLE}`);
  await pool.query(`CREATE UNLOGGED TABLE ${PEER_TABLE} (input text PRIMARY KEY, answer json NOT NULL, sql_values json)`);
  let peer: ChildProcess | undefined;
  try {
    const answers: string[] = [];
    for (let i = 0; i < PEER_INPUTS; i++) {
      const body = (await (await sendOnce(appUrl, sc, i)).json()) as { data: Record<string, unknown>; errors?: unknown };
      if (body.errors) throw new Error(`pair ${sc.name} #${i} : ${JSON.stringify(body.errors).slice(0, 300)}`);
      const [value] = Object.values(body.data);
      answers.push(JSON.stringify(body.data));
      await pool.query(`INSERT INTO ${PEER_TABLE} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        answerKey(graphql.variables(i)),
        JSON.stringify(value),
        sc.sql ? JSON.stringify(sc.sql.values(i)) : null,
      ]);
    }
    const env = { ...process.env, DATABASE_URL: databaseUrl, BENCH_POOL_SIZE: String(appPoolSize), NODE_ENV: 'production' };
    const rate = Math.max(1, Math.round(appRps));
    /** Starts the peer in `mode` (peer-server.ts), checks that it gives the app's answers, warms it up. */
    const startPeer = async (mode: 'answer' | 'floor') => {
      const started = await forkApp(path.join(here, `peer-server${ext}`), { ...env, BENCH_PEER_MODE: mode, BENCH_PEER_SQL: sc.sql?.text ?? '' }, [
        'ignore',
        'inherit',
        'inherit',
        'ipc',
      ]);
      peer = started.child;
      const url = started.url.origin;
      for (let i = 0; i < 5; i++) {
        const got = JSON.stringify(((await (await sendOnce(url, peerSc, i)).json()) as { data: unknown }).data);
        if (got !== answers[i]) throw new Error(`pair ${sc.name} #${i} : sa réponse diffère de celle de l’app`);
      }
      if (args.appWarmup > 0) await measureHttp(url, peerSc, 16, args.appWarmup, { i: 0 }, mode === 'floor' ? rate : undefined);
      return url;
    };
    const measure = async (url: string, label: string, r: number, pace?: number) => {
      if (args.warmup > 0) await measureHttp(url, peerSc, 16, args.warmup, { i: 0 }, pace);
      const cpu0 = await serverCpuMs(peer!);
      const m = await measureHttp(url, peerSc, 16, args.duration, { i: 1000 * (r + 1) }, pace);
      m.cpuMsPerRequest = { app: perRequest((await serverCpuMs(peer!)) - cpu0, m.requests)!, postgres: null };
      log(
        `  ${label}, 16 clients${pace ? ` au rythme de l’app (${pace} req/s au plus)` : ''}, tour ${r + 1}, charge ${load()} : ` +
          `p50 ${fmt(m.p50)} ms, ${m.rps} req/s${m.errors ? `, ${m.errors} ERREURS` : ''} (CPU/req : pair ${m.cpuMsPerRequest.app} ms)`,
      );
      return m;
    };
    let url = await startPeer('answer');
    const rounds: PeerRound[] = [];
    for (let r = 0; r < args.rounds; r++) {
      rounds.push({ free: await measure(url, 'pair Apollo + pg', r), paced: await measure(url, 'pair Apollo + pg', r, rate) });
    }
    await stopApp(peer);
    peer = undefined;
    const floor: Measure[] = [];
    if (sc.sql) {
      url = await startPeer('floor');
      for (let r = 0; r < args.rounds; r++) floor.push(await measure(url, 'pair Apollo + pg + le SQL plancher', r, rate));
    }
    const median = middle(rounds, (round) => round.free.rps);
    return { ...median, floor: floor.length ? middle(floor, (m) => m.cpuMsPerRequest?.app ?? 0) : undefined, rounds, floorRounds: floor };
  } finally {
    await stopApp(peer);
    await pool.query(`DROP TABLE IF EXISTS ${PEER_TABLE}`);
  }
}

/** Issue 17's targets, as ratios to the floor of the same run and the app's CPU per request. */
function floorChecks(sc: BenchScenario, one: Run | undefined, many: Run | undefined): { target: string; value: number; ok: boolean }[] {
  const tg = sc.floorTargets ?? {};
  const checks: { target: string; value: number; ok: boolean }[] = [];
  const r2 = (v: number) => Math.round(v * 100) / 100;
  if (tg.rps !== undefined && many?.sql) {
    const ratio = r2(many.graphql.rps / many.sql.rps);
    checks.push({ target: `req/s ≥ ${tg.rps} × celles du SQL (${many.connections} clients)`, value: ratio, ok: ratio >= tg.rps });
  }
  if (tg.p50 !== undefined && one?.sql) {
    const ratio = r2(one.graphql.p50 / one.sql.p50);
    checks.push({ target: `p50 ≤ ${tg.p50} × celui du SQL (1 client)`, value: ratio, ok: ratio <= tg.p50 });
  }
  const cpu = many?.graphql.cpuMsPerRequest?.app;
  if (tg.appCpuMs !== undefined && cpu !== undefined) {
    checks.push({ target: `CPU de l’app ≤ ${tg.appCpuMs} ms par requête (${many!.connections} clients)`, value: cpu, ok: cpu <= tg.appCpuMs });
  }
  return checks;
}

/** The machine's load (1, 5, 15 min), said with every measurement: the machine may be shared. */
const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The startup measurement (startup.ts), printed with its checks and written to bench-results/startup-<date>.json. */
async function reportStartup(restarts: number) {
  const root = path.resolve(here, '../../..');
  const loadBefore = load();
  const report = await measureStartup(root, restarts, log);
  fs.mkdirSync('bench-results', { recursive: true });
  const file = path.join('bench-results', `startup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ ...report, machine: { cpus: os.cpus().length, node: process.version }, loadAverage: { before: loadBefore, after: load() } }, null, 2),
  );
  log(
    [
      '',
      '| démarrage (npm start, base embarquée) | secondes |',
      '|---|---:|',
      `| construction (node scripts/build.mjs --force) | ${report.buildSeconds} |`,
      `| premier démarrage, nouveau dossier de données (démonstration chargée) | ${report.firstStartSeconds} |`,
      `| redémarrages | ${report.restartSeconds.join(' ; ')} |`,
      '',
      ...report.checks.map((c) => `- démarrage : ${c.target} → ${c.value} ${c.ok ? '✓' : '✗ manqué'}`),
      '',
      `Charge de la machine (1, 5, 15 min) : ${loadBefore} au début, ${load()} à la fin`,
      `Rapport : ${file}`,
    ].join('\n'),
  );
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const wantsStartup = args.only.length === 0 || args.only.includes(STARTUP);
  if (args.only.length > 0 && args.only.every((o) => o === STARTUP)) return reportStartup(args.restarts);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    log(
      'npm run bench demande DATABASE_URL=postgres://… (PostgreSQL 15+ et PostGIS 3, base dédiée : le banc y ajoute 100 000 acteurs).\n' +
        'La base embarquée (PGlite, un seul processus WASM) n’est pas la cible des mesures : elle est refusée.',
    );
    process.exit(2);
  }
  const started = Date.now();
  const db = await openDatabase({ databaseUrl, dataDir: '.data-unused', poolSize: 4, statementTimeoutMs: 600_000 });
  let server: ChildProcess | undefined;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 16 });
  try {
    const [{ version }] = await db.ds.query(`SELECT version()`);
    if (/emscripten|wasm|pglite/i.test(version)) throw new Error(`DATABASE_URL désigne une base PGlite (${version}) : le banc demande un PostgreSQL natif`);
    log(`Base : ${version}`);
    log('Migrations faites ; territoires…');
    await runSeeds(db.ds, { log, actors: false } as SeedOptions);
    const t = Date.now();
    const { built, report: dataset } = await ensureDataset(db.ds, { rebuild: args.rebuild, log });
    if (built) log(`Jeu de banc construit en ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const tc = Date.now();
    const coalitions = await ensureCoalitionDataset(db.ds, { rebuild: args.rebuild || built, log });
    if (coalitions.built) log(`Coalitions de banc construites en ${((Date.now() - tc) / 1000).toFixed(1)} s`);
    log(`Jeu de banc : ${dataset.actors} acteurs, ${dataset.coverageCommuneRows} lignes coverage_commune, ${dataset.coverageAreaRows} lignes coverage_area`);
    // Measured on the base as autovacuum keeps a live one. Its counters restart at zero with the
    // server after a crash or an immediate stop, and then it no longer knew that 742,000 gap counters
    // of this base had been rewritten since its last pass: the theme matrix's index-only scan
    // visited the table for each of them (1.28 million heap fetches, 5.1 s against 0.78 s vacuumed),
    // and the bench measured that state (5 December 2026). A few seconds when nothing is to do.
    const tv = Date.now();
    await db.ds.query('VACUUM (ANALYZE)');
    log(`VACUUM (ANALYZE) de la base de banc : ${((Date.now() - tv) / 1000).toFixed(1)} s`);
    const settings: Record<string, string> = Object.fromEntries(
      (
        await db.ds.query(
          `SELECT name, setting || coalesce(unit, '') AS v FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size',
             'random_page_cost', 'jit', 'max_connections', 'fsync', 'synchronous_commit', 'max_parallel_workers_per_gather', 'server_version')`,
        )
      ).map((r: { name: string; v: string }) => [r.name, r.v]),
    );
    const [{ postgis }] = await db.ds.query(`SELECT postgis_lib_version() AS postgis`);
    await db.close();

    const scenarios = await loadScenarios(args.only);
    log(`Scénarios : ${scenarios.map((s) => s.name).join(', ')}`);
    const loadBefore = load();
    log(`Charge de la machine (1, 5, 15 min) : ${loadBefore}`);
    // The app's pool is the one `npm start` opens (appPoolSize), as in the load test. One connection
    // per client (16) served the directory's page at 0.62–0.66 × its floor against 0.73–0.78 × with 6
    // (two alternated rounds of each, 6 December 2026).
    const app = await startServer(databaseUrl);
    server = app.child;
    const benchDb = { query: (text: string, values?: unknown[]) => pool.query(text, values as any[]) };

    const results: any[] = [];
    for (const sc of scenarios) {
      try {
        await sc.setup?.(benchDb);
      } catch (err) {
        // One scenario without its data does not stop the others.
        const message = err instanceof Error ? err.message : String(err);
        log(`\n${sc.name} : IGNORÉ, préparation impossible : ${message}`);
        results.push({ name: sc.name, description: sc.description, skipped: message, runs: [], checks: [] });
        continue;
      }
      // Correctness first: a few requests, GraphQL against the SQL statement.
      let maxBytes = 0;
      for (let i = 0; i < 25; i++) {
        if (sc.get) {
          const res = await sendOnce(app.url, sc, i);
          const body = new Uint8Array(await res.arrayBuffer());
          if (res.status !== 200) throw new Error(`${sc.name} #${i}: ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 500)}`);
          maxBytes = Math.max(maxBytes, body.length);
          sc.get.check(i, body);
          continue;
        }
        const res = await sendOnce(app.url, sc, i);
        const text = await res.text();
        maxBytes = Math.max(maxBytes, Buffer.byteLength(text));
        const body = JSON.parse(text);
        if (res.status !== 200 || body.errors) throw new Error(`${sc.name} #${i}: ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
        if (sc.sql && sc.verify) sc.verify(i, body.data, (await pool.query(sc.sql.text, sc.sql.values(i) as any[])).rows);
      }
      log(
        `\n${sc.name} : réponses vérifiées${sc.verify && sc.sql ? ' (identiques au SQL)' : ''}${sc.get ? ' (tuiles décodées)' : ''}, ${maxBytes} octets au plus`,
      );
      const runs: any[] = [];
      // The app as it runs for hours: its hot paths compiled by V8's optimising compiler. After a few
      // seconds that compiler still took 17 % of the app's CPU (perf, directory scenario), counted
      // per request; at 16 clients for --app-warmup seconds (15 by default) first: after 20 s at 8 clients it was 2 %.
      if (args.appWarmup > 0) await measureHttp(app.url, sc, 16, args.appWarmup, { i: 0 }).then(() => drain(app.url, sc));
      const idleBusy = await cpuBusy(1000);
      if (idleBusy !== null && idleBusy > 15) log(`  ATTENTION : la machine est déjà occupée à ${idleBusy} % hors banc ; les mesures en pâtiront`);
      for (const connections of sc.connections ?? [1, 16]) {
        const rounds: { graphql: Measure; sql?: Measure }[] = [];
        for (let r = 0; r < args.rounds; r++) {
          const counter = { i: 1000 * (r + 1) };
          if (args.warmup > 0) await measureHttp(app.url, sc, connections, args.warmup, { i: 0 }).then(() => drain(app.url, sc));
          const cpu0 = [await serverCpuMs(app.child), await postgresCpuMs(pool)] as const;
          const own0 = process.cpuUsage();
          const graphql: Measure = await measureHttp(app.url, sc, connections, args.duration, counter);
          const own = process.cpuUsage(own0);
          const cpu1 = [await serverCpuMs(app.child), await postgresCpuMs(pool)] as const;
          graphql.cpuMsPerRequest = {
            app: Math.round(((cpu1[0] - cpu0[0]) / graphql.requests) * 100) / 100,
            postgres: perRequest(postgresCpuSpent(cpu0[1], cpu1[1]), graphql.requests),
            loadGenerator: Math.round(((own.user + own.system) / 1000 / graphql.requests) * 100) / 100,
          };
          let sql: Measure | undefined;
          if (sc.sql) {
            if (args.warmup > 0) await measureSql(pool, sc, connections, args.warmup, { i: 0 });
            const pg0 = await postgresCpuMs(pool);
            sql = await measureSql(pool, sc, connections, args.duration, { i: 1000 * (r + 1) });
            const pg1 = await postgresCpuMs(pool);
            sql.cpuMsPerRequest = { postgres: perRequest(postgresCpuSpent(pg0, pg1), sql.requests) };
          }
          log(
            `  ${connections} client(s), tour ${r + 1}, charge ${load()} : ${sc.get ? 'GET' : 'GraphQL'} p50 ${fmt(graphql.p50)} ms, p99 ${fmt(graphql.p99)} ms, ${graphql.rps} req/s` +
              (graphql.errors ? `, ${graphql.errors} ERREURS` : '') +
              ` (CPU/req : app ${graphql.cpuMsPerRequest?.app} ms, PG ${graphql.cpuMsPerRequest?.postgres} ms, autocannon ${graphql.cpuMsPerRequest?.loadGenerator} ms)` +
              (sql ? ` | SQL p50 ${fmt(sql.p50)} ms, p99 ${fmt(sql.p99)} ms, ${sql.rps} req/s (CPU/req PG ${sql.cpuMsPerRequest?.postgres} ms)` : ''),
          );
          rounds.push({ graphql, sql });
        }
        // Several rounds: keep the round with the median GraphQL throughput.
        runs.push({ connections, ...middle(rounds, (round) => round.graphql.rps), rounds: rounds.length > 1 ? rounds : undefined });
      }
      const one = runs.find((r) => r.connections === 1);
      const many = [...runs].sort((a, b) => b.connections - a.connections)[0];
      const peer = sc.peer && sc.graphql && many ? await measurePeer(app.url, databaseUrl, pool, sc, args, many.graphql.rps) : undefined;
      const tg = sc.targets ?? {};
      const checks: { target: string; value: number; ok: boolean }[] = [];
      if (tg.p50Ms !== undefined && one) checks.push({ target: `p50 ≤ ${tg.p50Ms} ms (1 client)`, value: one.graphql.p50, ok: one.graphql.p50 <= tg.p50Ms });
      if (tg.p99Ms !== undefined && one) checks.push({ target: `p99 ≤ ${tg.p99Ms} ms (1 client)`, value: one.graphql.p99, ok: one.graphql.p99 <= tg.p99Ms });
      if (tg.maxMs !== undefined && one) checks.push({ target: `max ≤ ${tg.maxMs} ms (1 client)`, value: one.graphql.max, ok: one.graphql.max <= tg.maxMs });
      if (tg.rps !== undefined && many)
        checks.push({ target: `≥ ${tg.rps} req/s (${many.connections} clients)`, value: many.graphql.rps, ok: many.graphql.rps >= tg.rps });
      if (tg.maxBytes !== undefined) checks.push({ target: `réponse ≤ ${tg.maxBytes} octets`, value: maxBytes, ok: maxBytes <= tg.maxBytes });
      if (one?.sql) {
        const ratio = Math.round((one.graphql.p50 / one.sql.p50) * 100) / 100;
        checks.push({ target: 'GraphQL p50 ≤ 3 × SQL p50 (1 client)', value: ratio, ok: ratio <= 3 });
      }
      checks.push(...floorChecks(sc, one, many));
      // A failed request answers fast: no timing of a run with errors meets its target.
      const errors = runs.flatMap((r) => r.rounds ?? [r]).reduce((n, r) => n + r.graphql.errors + (r.sql?.errors ?? 0), 0);
      if (errors > 0) for (const c of checks) c.ok = false;
      checks.unshift({ target: 'aucune requête en erreur (GraphQL et SQL, tous les tours)', value: errors, ok: errors === 0 });
      results.push({ name: sc.name, description: sc.description, cpuBusyBeforePercent: idleBusy, maxBytes, targets: sc.targets ?? {}, runs, peer, checks });
    }

    // What a user waits for in the browser, against the same server and dataset.
    const client = args.only.length && !args.only.includes(CLIENT) ? { skipped: 'non demandé (--only)' } : await measureClient(app.url);
    if ('skipped' in client) log(`\nclient : ${client.skipped}`);

    const report = {
      startedAt: new Date(started).toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      options: args,
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      database: { version, postgis, settings },
      loadAverage: { before: loadBefore, after: load() },
      appPoolSize,
      dataset,
      scenarios: results,
      client,
    };
    fs.mkdirSync('bench-results', { recursive: true });
    const file = path.join('bench-results', `bench-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(report, null, 2));

    const lines = [
      '',
      `| scénario | clients | GraphQL (ou GET) p50 | p95 | p99 | req/s | CPU app / req | SQL p50 | p95 | p99 | req/s | GraphQL / SQL (p50) | GraphQL / SQL (req/s) |`,
      `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ];
    for (const r of results) {
      for (const run of r.runs) {
        const g: Measure = run.graphql;
        const s: Measure | undefined = run.sql;
        lines.push(
          `| ${r.name} | ${run.connections} | ${fmt(g.p50)} ms | ${fmt(g.p95)} ms | ${fmt(g.p99)} ms | ${g.rps}${g.errors ? ` (${g.errors} err.)` : ''} | ` +
            `${fmt(g.cpuMsPerRequest?.app)} ms | ` +
            (s
              ? `${fmt(s.p50)} ms | ${fmt(s.p95)} ms | ${fmt(s.p99)} ms | ${s.rps} | ${(g.p50 / s.p50).toFixed(2)} × | ${(g.rps / s.rps).toFixed(2)} × |`
              : '— | — | — | — | — | — |'),
        );
      }
      const peerRow = (label: string, p: Measure) =>
        `| ${r.name}, ${label} | 16 | ${fmt(p.p50)} ms | ${fmt(p.p95)} ms | ${fmt(p.p99)} ms | ${p.rps} | ${fmt(p.cpuMsPerRequest?.app)} ms | — | — | — | — | — | — |`;
      if (r.peer) lines.push(peerRow('pair Apollo + pg seuls', r.peer.free), peerRow('pair au rythme de l’app', r.peer.paced));
      if (r.peer?.floor) lines.push(peerRow('pair + SQL plancher, au rythme de l’app', r.peer.floor));
    }
    lines.push('');
    for (const r of results) {
      for (const c of r.checks) lines.push(`- ${r.name} : ${c.target} → ${c.value} ${c.ok ? '✓' : '✗ manqué'}`);
      const p: Measure | undefined = r.peer?.paced;
      const many = [...r.runs].sort((a: Run, b: Run) => b.connections - a.connections)[0];
      if (p && many)
        lines.push(
          `- ${r.name} : les mêmes réponses servies par Apollo Server 5 + pg seuls (test/bench/peer-server.ts), au rythme de l’app → ` +
            `${fmt(p.cpuMsPerRequest?.app)} ms de CPU / req (à pleine vitesse : ${fmt(r.peer.free.cpuMsPerRequest?.app)} ms) ; ` +
            `l’app : ${fmt(many.graphql.cpuMsPerRequest?.app)} ms, soit ${fmt((many.graphql.cpuMsPerRequest?.app ?? NaN) - (p.cpuMsPerRequest?.app ?? NaN))} ms de plus`,
        );
      const f: Measure | undefined = r.peer?.floor;
      if (f && many)
        lines.push(
          `- ${r.name} : le même pair exécutant à chaque requête le SQL plancher, au rythme de l’app → ${fmt(f.cpuMsPerRequest?.app)} ms de CPU / req ` +
            `(l’app : ${fmt(many.graphql.cpuMsPerRequest?.app)} ms)`,
        );
    }
    if (!('skipped' in client)) {
      lines.push('', '| dans le navigateur (Chromium, profil vide) | médiane | max | cible |', '|---|---:|---:|---|');
      for (const t of client.timings) lines.push(`| ${t.name} | ${t.medianMs} ms | ${t.maxMs} ms | ${t.target} ${t.ok ? '✓' : '✗ manqué'} |`);
      const gz = (re: RegExp) => client.bundle.filter((b) => re.test(b.file)).reduce((n, b) => n + b.gzipBytes, 0);
      lines.push(
        '',
        `Client (gzip) : ${Math.round(gz(/^(?!maplibre).*\.m?js$/) / 1024)} kio de JS hors MapLibre, ` +
          `${Math.round(gz(/^maplibre.*\.m?js$/) / 1024)} kio MapLibre (et son worker), ${Math.round(gz(/\.css$/) / 1024)} kio de CSS`,
      );
    }
    lines.push('', `Charge de la machine (1, 5, 15 min) : ${loadBefore} au début, ${load()} à la fin`, `Rapport : ${file}`);
    log(lines.join('\n'));
  } finally {
    await stopApp(server);
    await pool.end();
    await db.close();
  }
  // Last, on a machine the app above no longer loads.
  if (wantsStartup) await reportStartup(args.restarts);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
