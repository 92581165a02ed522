import type http from 'node:http';
import type pg from 'pg';
import { type Answer, GqlClient, problemOf } from './client.js';
import { type Accounts, type Commune, RUN_SOURCE, THEME_CODES, TOP_THEMES } from './setup.js';
import type { Recorder } from './stats.js';

/**
 * The mixed workload: `clients` simulated users for `seconds`, each with its own address and
 * session, sending its next request as soon as the previous one is answered (closed loop).
 * Members search the directory, read gaps and coalitions, create and update actors (with the
 * version they read) and ask to join coalitions for the actors they represent; coordinators
 * decide the requests of their coalitions. Every write the server acknowledges goes into the
 * ledger, checked against the database afterwards.
 */

export const Q = {
  search: `query ($filter: ActorFilter, $first: Int) { actors(filter: $filter, first: $first, orderBy: NAME) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id name kind kindLabel isDemo lon lat themes { code label } audiences { code } commune { code name } } } } }`,
  searchFacets: `query ($filter: ActorFilter, $first: Int) { actors(filter: $filter, first: $first, orderBy: NAME) {
    totalCount pageInfo { hasNextPage endCursor }
    facets { themes { value label count } kinds { value label count } audiences { value label count } }
    edges { cursor node { id name kind kindLabel isDemo lon lat themes { code label } audiences { code } commune { code name } } } } }`,
  gaps: `query ($filter: GapFilterInput) { gaps(filter: $filter, first: 50) { totalCount territoryCount gapPopulation
    rows { rank territory { code name } population actorCount uncoveredPopulation nearestActorKm } } }`,
  coalition: `query ($id: ID!) { coalition(id: $id) { id name version memberCount viewerCanManage territory { code name } themes { code }
    membersByRole { role label members { id actor { id name } } } } }`,
  coalitionManage: `query ($id: ID!) { coalition(id: $id) { id name memberCount viewerCanManage
    members(statuses: [REQUESTED, ACTIVE]) { id status actor { id name } } history { toStatus } } }`,
  coalitions: `query ($filter: CoalitionFilter) { coalitions(filter: $filter, first: 20) { totalCount edges { node { id name memberCount territory { name } } } } }`,
  createActor: `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version name description } }`,
  updateActor: `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { id version description } }`,
  request: `mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id status } }`,
  accept: `mutation ($id: ID!) { acceptMembership(membershipId: $id) { id status } }`,
  reject: `mutation ($id: ID!) { rejectMembership(membershipId: $id) { id status } }`,
  leave: `mutation ($id: ID!) { leaveCoalition(membershipId: $id) { id status } }`,
};

/** What the server acknowledged (2xx, data, no error). */
export class Ledger {
  /** Actors created by the run: expected name, version and description. */
  actors = new Map<string, { name: string; version: number; description: string | null }>();
  /** Creations that got no clear answer (connection killed): the actor may or may not exist, never twice. */
  unknownCreates = new Set<string>();
  /** Updates that got no clear answer: the stored version may be one more than acknowledged. */
  unknownUpdates = new Map<string, { version: number; description: string }>();
  /** Memberships: the acknowledged statuses, in order (first REQUESTED). */
  memberships = new Map<string, { coalitionId: string; actorId: string; statuses: string[]; unknown: string | null }>();
  writesAcked = 0;
}

let seq = 0;

export interface WorkloadOptions {
  baseUrl: URL;
  agent: http.Agent;
  accounts: Accounts;
  communes: Commune[];
  recorder: Recorder;
  ledger: Ledger;
  state: WorkloadState;
  runId: string;
  seconds: number;
  /** Set `done` to stop the clients early. */
  stop?: { done: boolean };
  /** Only createActor and updateActor (the background writers of the fault phases). */
  writesOnly?: boolean;
}

interface MemberState {
  created: { id: string; version: number; name: string }[];
  /** Open or recent membership per "actorId|coalitionId". */
  memberships: Map<string, { id: string; status: string }>;
}

/** What the simulated users remember from one phase to the next (warm-up, measure, faults). */
export class WorkloadState {
  members = new Map<number, MemberState>();
  /** Requests waiting for a decision, per coordinator. */
  pending = new Map<number, string[]>();
  /** Last known status of each membership of the run. */
  status = new Map<string, string>();
}

const DEPARTEMENTS = ['08', '10', '51', '52', '54', '55', '57', '67', '68', '88'];

function weighted<T extends string>(table: [T, number][], u: number): T {
  const total = table.reduce((a, [, w]) => a + w, 0);
  let x = u * total;
  for (const [k, w] of table) {
    x -= w;
    if (x < 0) return k;
  }
  return table[table.length - 1][0];
}

export async function runWorkload(o: WorkloadOptions): Promise<{ seconds: number }> {
  const end = performance.now() + o.seconds * 1000;
  const started = performance.now();
  const pending = o.accounts.coordinators.map((_, i) => {
    if (!o.state.pending.has(i)) o.state.pending.set(i, []);
    return o.state.pending.get(i)!;
  });
  const coalitionOwner = new Map(o.accounts.coalitions.map((c) => [c.id, c.coordinator]));
  const status = o.state.status;
  const rec = (kind: string, a: Answer, check?: (data: any) => string | null): boolean => {
    const p = problemOf(a) ?? (check ? check(a.data) : null);
    if (p) {
      o.recorder.fail(kind, a.ms, p, JSON.stringify(a.errors ?? a.networkError ?? a.data ?? a.status));
      return false;
    }
    o.recorder.ok(kind, a.ms);
    return true;
  };
  /** A transition without a clear answer: it may have happened; the membership is left alone afterwards. */
  const unknownTransition = (id: string, res: Answer, to: string) => {
    const p = problemOf(res);
    if (p === 'NETWORK' || p === 'INTERNAL_SERVER_ERROR' || res.status >= 500) {
      status.set(id, 'UNKNOWN');
      o.ledger.memberships.get(id)!.unknown = to;
    }
  };
  const rand = Math.random;
  const commune = () => o.communes[Math.floor(rand() * o.communes.length)].code;
  const theme = () => THEME_CODES[Math.floor(rand() ** 1.5 * THEME_CODES.length)];

  async function read(c: GqlClient, kind: 'search' | 'searchFacets' | 'gaps' | 'coalition' | 'coalitions'): Promise<void> {
    if (kind === 'search' || kind === 'searchFacets') {
      const res = await c.gql(Q[kind], { filter: { coversCommune: commune(), themesAny: [theme()] }, first: 20 });
      rec(kind, res, (d) => (typeof d?.actors?.totalCount === 'number' ? null : 'BAD_SHAPE'));
    } else if (kind === 'gaps') {
      const res = await c.gql(Q.gaps, {
        filter: {
          scope: { level: 'DEPARTEMENT', code: DEPARTEMENTS[Math.floor(rand() * DEPARTEMENTS.length)] },
          level: 'COMMUNE',
          themes: [TOP_THEMES[Math.floor(rand() * TOP_THEMES.length)]],
        },
      });
      rec(kind, res, (d) => (Array.isArray(d?.gaps?.rows) ? null : 'BAD_SHAPE'));
    } else if (kind === 'coalition') {
      const id = o.accounts.coalitions[Math.floor(rand() * o.accounts.coalitions.length)].id;
      rec('coalitionPage', await c.gql(Q.coalition, { id }), (d) => (d?.coalition?.id === id ? null : 'BAD_SHAPE'));
    } else {
      const res = await c.gql(Q.coalitions, { filter: { territory: { level: 'DEPARTEMENT', code: DEPARTEMENTS[Math.floor(rand() * DEPARTEMENTS.length)] } } });
      rec('coalitionList', res, (d) => (Array.isArray(d?.coalitions?.edges) ? null : 'BAD_SHAPE'));
    }
  }

  async function member(i: number): Promise<void> {
    const acc = o.accounts.members[i];
    const c = acc.client;
    if (!o.state.members.has(i)) o.state.members.set(i, { created: [], memberships: new Map() });
    const st = o.state.members.get(i)!;
    const table: [string, number][] = o.writesOnly
      ? [
          ['createActor', 40],
          ['updateActor', 60],
        ]
      : [
          ['search', 26],
          ['searchFacets', 18],
          ['gaps', 8],
          ['coalition', 12],
          ['coalitions', 6],
          ['createActor', 6],
          ['updateActor', 12],
          ['requestMembership', 8],
          ['leaveCoalition', 4],
        ];
    while (performance.now() < end && !o.stop?.done) {
      let op = weighted(table, rand());
      if (op === 'updateActor' && st.created.length === 0) op = 'createActor';
      if (op === 'leaveCoalition' && ![...st.memberships.values()].some((m) => status.get(m.id) === 'ACTIVE')) op = 'requestMembership';
      if (op === 'createActor') {
        const n = ++seq;
        const name = `Acteur de charge ${o.runId} c${i} n${n}`;
        const code = commune();
        const res = await c.gql(Q.createActor, {
          input: {
            name,
            kind: 'ASSOCIATION',
            sector: 'SOCIAL',
            communeCode: code,
            themes: [theme()],
            audiences: ['jeunes'],
            territories: [{ level: 'COMMUNE', code }],
            source: RUN_SOURCE,
            isDemo: true,
          },
        });
        const ok = rec('createActor', res, (d) => (d?.createActor?.version === 1 && d.createActor.name === name ? null : 'BAD_SHAPE'));
        if (ok) {
          const a = res.data.createActor;
          o.ledger.actors.set(a.id, { name, version: 1, description: null });
          o.ledger.writesAcked++;
          st.created.push({ id: a.id, version: 1, name });
        } else if (problemOf(res) === 'NETWORK' || res.status >= 500 || problemOf(res) === 'INTERNAL_SERVER_ERROR') o.ledger.unknownCreates.add(name);
      } else if (op === 'updateActor') {
        const a = st.created[Math.floor(rand() * st.created.length)];
        const description = `Mise à jour ${o.runId} c${i} #${++seq}`;
        // One update in four moves the actor's territory to its EPCI or back: its coverage is rewritten.
        const input: Record<string, unknown> = { description };
        if (rand() < 0.25) {
          const home = o.communes[Math.floor(rand() * o.communes.length)];
          input.communeCode = home.code;
          input.territories = home.epci && rand() < 0.5 ? [{ level: 'EPCI', code: home.epci }] : [{ level: 'COMMUNE', code: home.code }];
        }
        const res = await c.gql(Q.updateActor, { id: a.id, v: a.version, input });
        const ok = rec('updateActor', res, (d) => (d?.updateActor?.version === a.version + 1 ? null : 'BAD_SHAPE'));
        if (ok) {
          a.version++;
          o.ledger.actors.set(a.id, { name: a.name, version: a.version, description });
          o.ledger.writesAcked++;
        } else {
          if (problemOf(res) === 'NETWORK' || problemOf(res) === 'INTERNAL_SERVER_ERROR') {
            o.ledger.unknownUpdates.set(a.id, { version: a.version + 1, description });
          }
          // Re-read the version before updating it again.
          const cur = await c.gql(`query ($id: ID!) { actor(id: $id) { version description } }`, { id: a.id });
          if (cur.data?.actor) {
            if (cur.data.actor.version !== a.version)
              o.ledger.actors.set(a.id, { name: a.name, version: cur.data.actor.version, description: cur.data.actor.description });
            a.version = cur.data.actor.version;
          }
        }
      } else if (op === 'requestMembership') {
        const actorId = acc.actors[Math.floor(rand() * acc.actors.length)];
        const free = o.accounts.coalitions.filter((co) => {
          const m = st.memberships.get(`${actorId}|${co.id}`);
          return !m || status.get(m.id) === 'REJECTED' || status.get(m.id) === 'LEFT';
        });
        if (free.length === 0) {
          await read(c, 'search');
          continue;
        }
        const co = free[Math.floor(rand() * free.length)];
        const res = await c.gql(Q.request, { c: co.id, a: actorId });
        if (rec('requestMembership', res, (d) => (d?.requestMembership?.status === 'REQUESTED' ? null : 'BAD_SHAPE'))) {
          const id = res.data.requestMembership.id;
          st.memberships.set(`${actorId}|${co.id}`, { id, status: 'REQUESTED' });
          status.set(id, 'REQUESTED');
          o.ledger.memberships.set(id, { coalitionId: co.id, actorId, statuses: ['REQUESTED'], unknown: null });
          o.ledger.writesAcked++;
          pending[coalitionOwner.get(co.id)!].push(id);
        }
      } else if (op === 'leaveCoalition') {
        const m = [...st.memberships.values()].filter((x) => status.get(x.id) === 'ACTIVE');
        const target = m[Math.floor(rand() * m.length)];
        const res = await c.gql(Q.leave, { id: target.id });
        if (rec('leaveCoalition', res, (d) => (d?.leaveCoalition?.status === 'LEFT' ? null : 'BAD_SHAPE'))) {
          status.set(target.id, 'LEFT');
          o.ledger.memberships.get(target.id)!.statuses.push('LEFT');
          o.ledger.writesAcked++;
        } else unknownTransition(target.id, res, 'LEFT');
      } else {
        await read(c, op as any);
      }
    }
  }

  async function coordinator(i: number): Promise<void> {
    const c = o.accounts.coordinators[i].client;
    const table: [string, number][] = [
      ['decide', 40],
      ['manage', 20],
      ['gaps', 15],
      ['search', 15],
      ['coalition', 10],
    ];
    // Write-only phases (faults) leave the memberships to the fault scenario.
    if (o.writesOnly) return;
    while (performance.now() < end && !o.stop?.done) {
      const op = weighted(table, rand());
      if (op === 'decide') {
        const id = pending[i].shift();
        if (!id) {
          if (o.writesOnly) await new Promise((r) => setTimeout(r, 5));
          else await read(c, 'coalition');
          continue;
        }
        const accept = rand() < 0.75;
        const res = await c.gql(accept ? Q.accept : Q.reject, { id });
        const to = accept ? 'ACTIVE' : 'REJECTED';
        const field = accept ? 'acceptMembership' : 'rejectMembership';
        if (rec(field, res, (d) => (d?.[field]?.status === to ? null : 'BAD_SHAPE'))) {
          status.set(id, to);
          o.ledger.memberships.get(id)!.statuses.push(to);
          o.ledger.writesAcked++;
        } else unknownTransition(id, res, to);
      } else if (op === 'manage') {
        const id = o.accounts.coordinators[i].coalitions[Math.floor(rand() * o.accounts.coordinators[i].coalitions.length)];
        rec('coalitionManage', await c.gql(Q.coalitionManage, { id }), (d) => (d?.coalition?.viewerCanManage === true ? null : 'BAD_SHAPE'));
      } else {
        await read(c, op as any);
      }
    }
  }

  await Promise.all([...o.accounts.members.map((_, i) => member(i)), ...o.accounts.coordinators.map((_, i) => coordinator(i))]);
  return { seconds: (performance.now() - started) / 1000 };
}

/**
 * The deliberate burst: `n` cheap requests from one client address, `concurrency` at a time. With
 * a limit of L per minute, about n − L of them must get 429 RATE_LIMITED with Retry-After.
 */
export async function burst(baseUrl: URL, agent: http.Agent, ip: string, n: number, concurrency: number) {
  const c = new GqlClient(baseUrl, ip, agent);
  let next = 0;
  const out = { sent: 0, ok: 0, limited: 0, limitedWithRetryAfter: 0, other: 0, otherCodes: {} as Record<string, number>, seconds: 0 };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const res = await c.gql(`{ __typename }`);
        out.sent++;
        if (res.status === 429 && res.errors?.[0]?.extensions?.code === 'RATE_LIMITED') {
          out.limited++;
          if (res.headers['retry-after']) out.limitedWithRetryAfter++;
        } else if (!problemOf(res)) out.ok++;
        else {
          out.other++;
          const p = problemOf(res)!;
          out.otherCodes[p] = (out.otherCodes[p] ?? 0) + 1;
        }
      }
    }),
  );
  out.seconds = Math.round((performance.now() - t0) / 100) / 10;
  return out;
}

/** Checks every acknowledged write against the database; returns the problems found. */
export async function verifyLedger(pool: pg.Pool, ledger: Ledger, runId: string): Promise<{ problems: string[]; checked: Record<string, number> }> {
  const problems: string[] = [];
  const ids = [...ledger.actors.keys()];
  const { rows } = await pool.query(`SELECT id, name, version, description FROM actor WHERE id = ANY($1::uuid[])`, [ids]);
  const byId = new Map(rows.map((r: any) => [r.id, r]));
  for (const [id, want] of ledger.actors) {
    const got: any = byId.get(id);
    const maybe = ledger.unknownUpdates.get(id);
    if (!got) problems.push(`acteur acquitté absent : ${id} (${want.name})`);
    else if (got.version === want.version && got.description === want.description) continue;
    else if (maybe && got.version === maybe.version && got.description === maybe.description) continue;
    else problems.push(`acteur ${id} : attendu v${want.version} « ${want.description} », trouvé v${got.version} « ${got.description} »`);
  }
  // No actor twice: names of the run are unique by construction.
  const dup = await pool.query(`SELECT name, count(*)::int AS n FROM actor WHERE source = $1 AND name LIKE $2 GROUP BY name HAVING count(*) > 1`, [
    RUN_SOURCE,
    `Acteur de charge ${runId} %`,
  ]);
  for (const d of dup.rows) problems.push(`acteur en double : « ${d.name} » × ${d.n}`);
  // Created actors without acknowledgement may exist, never twice (checked above); any other is a phantom.
  const { rows: all } = await pool.query(`SELECT id, name FROM actor WHERE source = $1 AND name LIKE $2`, [RUN_SOURCE, `Acteur de charge ${runId} c%`]);
  for (const a of all) if (!ledger.actors.has(a.id) && !ledger.unknownCreates.has(a.name)) problems.push(`acteur jamais demandé : « ${a.name} »`);
  // Every acknowledged actor has its coverage (one commune at least), as a write in one transaction leaves it.
  const { rows: bare } = await pool.query(
    `SELECT a.id FROM actor a WHERE a.id = ANY($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM coverage_commune cc WHERE cc.actor_id = a.id)`,
    [ids],
  );
  for (const b of bare) problems.push(`acteur sans couverture : ${b.id}`);

  const mids = [...ledger.memberships.keys()];
  const ms = await pool.query(`SELECT id, status FROM membership WHERE id = ANY($1::uuid[])`, [mids]);
  const ev = await pool.query(
    `SELECT membership_id, array_agg(to_status ORDER BY id) AS statuses FROM membership_event WHERE membership_id = ANY($1::uuid[]) GROUP BY membership_id`,
    [mids],
  );
  const mStatus = new Map(ms.rows.map((r: any) => [r.id, r.status]));
  const mEvents = new Map(ev.rows.map((r: any) => [r.membership_id, r.statuses as string[]]));
  for (const [id, want] of ledger.memberships) {
    const got = mStatus.get(id);
    const events = mEvents.get(id) ?? [];
    const expected = want.statuses;
    const last = expected[expected.length - 1];
    const okStatus = got === last || (want.unknown !== null && got === want.unknown);
    const okEvents = events.join('>') === expected.join('>') || (want.unknown !== null && events.join('>') === [...expected, want.unknown].join('>'));
    if (!got) problems.push(`adhésion acquittée absente : ${id}`);
    else if (!okStatus) problems.push(`adhésion ${id} : statut attendu ${last}, trouvé ${got}`);
    if (got && !okEvents) problems.push(`adhésion ${id} : historique attendu ${expected.join('>')}, trouvé ${events.join('>') || '(vide)'}`);
    // The history always ends with the stored status: a transition is never half-written.
    if (got && events[events.length - 1] !== got) problems.push(`adhésion ${id} : statut ${got} mais dernier événement ${events[events.length - 1]}`);
  }
  return { problems, checked: { actors: ids.length, memberships: mids.length, unknownCreates: ledger.unknownCreates.size } };
}
