import http from 'node:http';
import { type Answer, GqlClient, problemOf } from './client.js';
import { Recorder, type OpSummary } from './stats.js';

/**
 * The heavy scenario (finding 3 of the security issue): `heavy` anonymous clients send, in a closed
 * loop, the heaviest requests the server accepts (just under the cost limit, or analyses of a
 * large scope), while `readers` other clients read `actor(id)` and one probes /readyz. The
 * analyses must pass the analytics gate (503 SERVICE_BUSY with Retry-After beyond it, counted
 * apart) and the readers must keep answering quickly: their p50/p99 is the figure of the scenario.
 */

const GRAND_EST = { scope: { level: 'REGION', code: '44' }, level: 'COMMUNE', themes: [], fieldActorsOnly: true };
const REGIONS = ['44', '32', '11', '84', '76', '75'];

/** The heaviest requests the limits allow, each under the cost limit (20,000) by itself. */
export const HEAVY: { name: string; query?: string; variables?: Record<string, unknown>; get?: string }[] = [
  {
    name: 'carte Grand Est complète',
    query: `query ($f: GapFilterInput) { coverage(filter: $f, zoom: 7, withDistance: true) { summary { population } features } }`,
    variables: { f: GRAND_EST },
  },
  {
    name: 'matrice Grand Est',
    query: `query ($f: GapFilterInput) { themeMatrix(filter: $f) { themes { code } rows { territory { code name } population counts missingThemes } } }`,
    variables: { f: GRAND_EST },
  },
  {
    name: 'lacunes France (5 000)',
    query: `query ($n: Int) { gaps(first: $n) { totalCount rows { rank population actorCount territory { code name } } } }`,
    variables: { n: 5000 },
  },
  {
    name: 'comparaison de 6 régions',
    query: `query ($s: [TerritoryRefInput!]!) { compareCoverage(scopes: $s) { scopes { scope { code } summary { population coveredPopulation actorCount } byTheme { theme { code } summary { actorCount } } } } }`,
    variables: { s: REGIONS.map((code) => ({ level: 'REGION', code })) },
  },
  {
    name: 'communes couvertes de 40 acteurs, contours',
    query: `query ($f: Int, $g: Int) { actors(first: $f, filter: { coversCommune: "51454" }) { edges { node { id coveredCommunes(first: $g) { nodes { code geometry } } } } } }`,
    variables: { f: 40, g: 40 },
  },
  { name: 'export CSV de tous les acteurs', get: '/export/acteurs.csv' },
  // The largest tile allowed: a région's communes (a tile of every commune of France is refused).
  { name: 'tuile Grand Est (z 5), communes', get: `/tiles/coverage/5/16/11.mvt?zoom=7&filter=${encodeURIComponent(JSON.stringify(GRAND_EST))}` },
];

export interface LoopStats {
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

export interface HeavyReport {
  seconds: number;
  heavyClients: number;
  readers: number;
  /** The same readers alone just before (what the machine gives without the heavy clients). */
  baseline: OpSummary;
  baselineLoop: LoopStats | null;
  /** Latencies of actor(id) (the figure of the scenario). */
  readersSummary: OpSummary;
  /** The app's event-loop delay during the heavy phase. */
  loop: LoopStats | null;
  readyz: OpSummary;
  /** Per heavy request: served, refused 503 SERVICE_BUSY (with Retry-After), other problems. */
  heavy: {
    name: string;
    served: number;
    busy: number;
    busyWithRetryAfter: number;
    other: number;
    otherCodes: Record<string, number>;
    p50: number;
    max: number;
  }[];
  /** 5xx answers other than 503 SERVICE_BUSY, everywhere (must be 0). */
  unexpected5xx: number;
  examples: string[];
}

function get(base: URL, path: string, ip: string, agent: http.Agent): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { host: base.hostname, port: base.port, path, method: 'GET', agent, headers: { 'x-forwarded-for': ip }, timeout: 120_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - t0;
          const type = String(res.headers['content-type'] ?? '');
          let errors: Answer['errors'];
          if (type.includes('application/json')) {
            try {
              errors = JSON.parse(Buffer.concat(chunks).toString('utf8')).errors;
            } catch {
              errors = [{ message: 'JSON illisible', extensions: { code: 'BAD_JSON' } }];
            }
          }
          resolve({ status: res.statusCode ?? 0, data: errors ? undefined : true, errors, ms, headers: res.headers });
        });
        res.on('error', (err) => resolve({ status: 0, networkError: err.message, ms: performance.now() - t0, headers: {} }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, networkError: err.message, ms: performance.now() - t0, headers: {} }));
    req.end();
  });
}

const isBusy = (a: Answer) => a.status === 503 && a.errors?.[0]?.extensions?.code === 'SERVICE_BUSY';

/** A reader: actor(id) of dataset actors, one after the other, until `end`. */
async function readActors(
  o: { baseUrl: URL; agent: http.Agent; actorIds: string[] },
  i: number,
  rec: Recorder,
  end: number,
  note: (a: Answer, what: string) => void,
): Promise<void> {
  // Each reader stands for many visitors (one address out of 250 in turn): one address reading
  // this fast would pass the per-client rate limit.
  const visitors = Array.from({ length: 250 }, (_, v) => new GqlClient(o.baseUrl, `10.78.${i}.${v + 1}`, o.agent));
  for (let k = 0; performance.now() < end; k++) {
    const id = o.actorIds[(i * 7919 + k * 104_729) % o.actorIds.length];
    const a = await visitors[k % visitors.length].gql(`query ($id: ID!) { actor(id: $id) { id name kind themes { code } commune { code name } } }`, { id });
    note(a, 'actor(id)');
    const p = problemOf(a) ?? (a.data?.actor?.id === id ? null : 'BAD_SHAPE');
    if (p) rec.fail('actor(id)', a.ms, p, JSON.stringify(a.errors ?? a.networkError).slice(0, 300));
    else rec.ok('actor(id)', a.ms);
  }
}

export async function runHeavyScenario(o: {
  baseUrl: URL;
  agent: http.Agent;
  actorIds: string[];
  seconds: number;
  baselineSeconds: number;
  heavyClients: number;
  readers: number;
  /** The app's event-loop delay since the last call (null where it cannot be read). */
  loopStats: () => Promise<LoopStats | null>;
}): Promise<HeavyReport> {
  // Baseline: the readers alone.
  const base = new Recorder();
  await o.loopStats();
  const baseEnd = performance.now() + o.baselineSeconds * 1000;
  const baseStart = performance.now();
  await Promise.all(Array.from({ length: o.readers }, (_, i) => readActors(o, i, base, baseEnd, () => {})));
  const baseline = base.summarize((performance.now() - baseStart) / 1000).total;
  const baselineLoop = await o.loopStats();

  const end = performance.now() + o.seconds * 1000;
  const started = performance.now();
  const readers = new Recorder();
  const heavyRec = new Recorder();
  const readyz = new Recorder();
  type Count = Omit<HeavyReport['heavy'][number], 'name' | 'p50' | 'max'>;
  const counts = new Map(HEAVY.map((h): [string, Count] => [h.name, { served: 0, busy: 0, busyWithRetryAfter: 0, other: 0, otherCodes: {} }]));
  const examples: string[] = [];
  let unexpected5xx = 0;
  const note = (a: Answer, what: string) => {
    if (a.status >= 500 && !isBusy(a)) {
      unexpected5xx++;
      if (examples.length < 20) examples.push(`${what}: HTTP ${a.status} ${JSON.stringify(a.errors ?? a.networkError).slice(0, 300)}`);
    }
  };

  const heavyClient = async (i: number) => {
    const c = new GqlClient(o.baseUrl, `10.77.0.${i + 1}`, o.agent);
    for (let k = i; performance.now() < end; k++) {
      const h = HEAVY[k % HEAVY.length];
      const a = h.get ? await get(o.baseUrl, h.get, c.clientIp, o.agent) : await c.gql(h.query!, h.variables, 120_000);
      const count = counts.get(h.name)!;
      note(a, h.name);
      if (isBusy(a)) {
        count.busy++;
        if (a.headers['retry-after']) count.busyWithRetryAfter++;
        // A client that reads Retry-After would wait seconds; this one only catches its breath.
        await new Promise((r) => setTimeout(r, 200));
      } else if (problemOf(a)) {
        const p = problemOf(a)!;
        count.other++;
        count.otherCodes[p] = (count.otherCodes[p] ?? 0) + 1;
        if (examples.length < 20) examples.push(`${h.name}: ${p} ${JSON.stringify(a.errors ?? a.networkError).slice(0, 300)}`);
        heavyRec.fail(h.name, a.ms, p, '');
      } else {
        count.served++;
        heavyRec.ok(h.name, a.ms);
      }
    }
  };

  const prober = async () => {
    while (performance.now() < end) {
      const a = await get(o.baseUrl, '/readyz', '10.79.0.1', o.agent);
      note(a, '/readyz');
      if (a.status !== 200) readyz.fail('/readyz', a.ms, `HTTP_${a.status}`, '');
      else readyz.ok('/readyz', a.ms);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  await Promise.all([
    ...Array.from({ length: o.heavyClients }, (_, i) => heavyClient(i)),
    ...Array.from({ length: o.readers }, (_, i) => readActors(o, i, readers, end, note)),
    prober(),
  ]);
  const seconds = (performance.now() - started) / 1000;
  const loop = await o.loopStats();
  const heavySummary = new Map(heavyRec.summarize(seconds).byKind.map((k) => [k.kind, k]));
  return {
    seconds: Math.round(seconds * 10) / 10,
    heavyClients: o.heavyClients,
    readers: o.readers,
    baseline,
    baselineLoop,
    readersSummary: readers.summarize(seconds).total,
    loop,
    readyz: readyz.summarize(seconds).total,
    heavy: HEAVY.map((h) => ({
      name: h.name,
      ...counts.get(h.name)!,
      p50: heavySummary.get(h.name)?.p50 ?? NaN,
      max: heavySummary.get(h.name)?.max ?? NaN,
    })),
    unexpected5xx,
    examples: [...examples, ...readers.examples].slice(0, 20),
  };
}
