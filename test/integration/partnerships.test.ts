import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnershipConfirmation1764000000015 } from '../../migrations/1764000000015-partnership-confirmation.js';
import { fixtures } from '../helpers/factories.js';
import { errorCodes, type GraphQLResponse, startTestServer, type TestServer } from '../helpers/server.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';
import { MEUSE } from '../helpers/places.js';

/**
 * Direct partnerships: declared by one side, PENDING and seen only by the two sides, the ARS
 * analysts of their région and admins until the other side confirms; declined, ended, never twice
 * at once; every change in the history. Attacked by the declaring side, strangers, an analyst of
 * another région, concurrent requests.
 */
const SOURCE = 'test:partnerships.test.ts';
const DOMAIN = '@test-partnerships.local';
const PASSWORD = 'mot de passe de test';
const FORGED = '00000000-0000-4000-8000-000000000000';

let server: TestServer;
const f = fixtures(() => server, { source: SOURCE, domain: DOMAIN, password: PASSWORD });
const { actor, users, createRegionalAnalysts, createUser } = f;
type Client = { gql: TestServer['gql'] };

const FIELDS = `id kind status title ended endDate confirmedAt endedAt viewerCanDecide viewerCanEnd actorA { id } actorB { id }
  history { fromStatus toStatus reason byName }`;
const CREATE = `mutation ($input: CreatePartnershipInput!) { createPartnership(input: $input) { ${FIELDS} } }`;
const CONFIRM = `mutation ($id: ID!) { confirmPartnership(id: $id) { ${FIELDS} } }`;
const DECLINE = `mutation ($id: ID!, $reason: String) { declinePartnership(id: $id, reason: $reason) { ${FIELDS} } }`;
const END = `mutation ($id: ID!, $reason: String) { endPartnership(id: $id, reason: $reason) { ${FIELDS} } }`;
const PARTNERSHIPS_OF = `query ($id: ID!) { actor(id: $id) { partnerships { id status } } }`;

async function declare(as: Client, a: string, b: string, kind = 'CONVENTION', extra: Record<string, unknown> = {}): Promise<any> {
  const res = await as.gql(CREATE, { input: { actorId: actor[a], partnerActorId: actor[b], kind, title: `Test ${a}–${b} ${kind}`, ...extra } });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.createPartnership;
}

/** The partnerships of an actor as `as` sees them, by id. */
async function seenBy(as: Client, a: string): Promise<Record<string, string>> {
  const res = await as.gql(PARTNERSHIPS_OF, { id: actor[a] });
  expect(res.errors).toBeUndefined();
  return Object.fromEntries(res.data.actor.partnerships.map((p: any) => [p.id, p.status]));
}

/** Partnership edges of the Meuse graph and of the actor's network, as `as` sees them. */
async function edgesSeenBy(as: Client, a: string, includeEnded = false): Promise<{ graph: any[]; network: any[] }> {
  const res: GraphQLResponse = await as.gql(
    `query ($id: ID!, $ended: Boolean!) {
      graph: coalitionGraph(scope: { level: DEPARTEMENT, code: "55" }, themes: ["parentalite"], includeEnded: $ended) { edges { source target kind partnershipKind partnershipStatus } }
      network: actorNetwork(actorId: $id, depth: 1, includeEnded: $ended) { edges { source target kind partnershipKind partnershipStatus } } }`,
    { id: actor[a], ended: includeEnded },
  );
  expect(res.errors).toBeUndefined();
  const mine = (e: any) => e.kind === 'PARTNERSHIP' && Object.values(actor).includes(e.source) && Object.values(actor).includes(e.target);
  return { graph: res.data.graph.edges.filter(mine), network: res.data.network.edges.filter(mine) };
}

const pair = (a: string, b: string) => [actor[a], actor[b]].sort().join(':');
const pairs = (edges: any[]) => edges.map((e) => [e.source, e.target].sort().join(':') + `:${e.partnershipStatus}`).sort();

beforeAll(async () => {
  server = await startTestServer();
  const meuse = [{ level: 'DEPARTEMENT', code: '55' }];
  for (const [key, name, kind, sector] of [
    ['ars', 'Part Agence régionale de santé', 'ARS', 'ETAT'],
    ['asso', 'Part Association parentalité', 'ASSOCIATION', 'SOCIAL'],
    ['asso2', 'Part Association médiation', 'ASSOCIATION', 'SOCIAL'],
    ['mairie', 'Part Mairie', 'COLLECTIVITE', 'COLLECTIVITE'],
    ['caf', 'Part Caisse d’allocations familiales', 'AUTRE', 'SOCIAL'],
  ]) {
    actor[key] = (await server.createActor({ source: SOURCE, name, kind, sector, themes: ['parentalite'], territories: meuse })).id;
  }
  await createUser('ars', 'MEMBER', ['ars']);
  await createUser('asso', 'MEMBER', ['asso']);
  await createUser('asso2', 'MEMBER', ['asso2']);
  await createUser('mairie', 'MEMBER', ['mairie']);
  await createUser('both', 'COORDINATOR', ['asso2', 'mairie']);
  await createUser('stranger', 'MEMBER', []);
  await createRegionalAnalysts();
});

afterAll(() => server?.close());

describe('declaring a partnership', () => {
  /** The declaration every test of this block looks at: asso → ars, a convention, still pending. */
  let declared: any;
  let id: string;
  beforeAll(async () => {
    declared = await declare(users.asso, 'asso', 'ars');
    id = declared.id;
  });

  it('records it as PENDING, with its declaration in the history', async () => {
    const p = declared;
    expect(p).toMatchObject({
      kind: 'CONVENTION',
      status: 'PENDING',
      confirmedAt: null,
      viewerCanDecide: false,
      viewerCanEnd: true,
      actorA: { id: actor.asso },
      actorB: { id: actor.ars },
    });
    expect(p.history).toEqual([{ fromStatus: null, toStatus: 'PENDING', reason: null, byName: 'Personne asso' }]);
  });

  it('should not show a pending partnership to visitors, strangers or an analyst of another région, by any path', async () => {
    for (const who of [server, users.stranger, users.asso2, users.analyst11]) {
      expect(await seenBy(who, 'ars')).not.toHaveProperty(id);
      expect(await seenBy(who, 'asso')).not.toHaveProperty(id);
      const { graph, network } = await edgesSeenBy(who, 'asso');
      expect(pairs(graph)).not.toContain(`${pair('asso', 'ars')}:PENDING`);
      expect(network).toEqual([]);
    }
    // Nor can they act on it: it does not exist for them.
    expect(errorCodes(await users.stranger.gql(CONFIRM, { id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.analyst11.gql(DECLINE, { id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.asso2.gql(END, { id }))).toEqual(['NOT_FOUND']);
  });

  it('shows it with its status to both sides, the analysts of their région and admins', async () => {
    for (const who of [users.asso, users.ars, users.analyst44, server.admin]) {
      expect(await seenBy(who, 'ars')).toMatchObject({ [id]: 'PENDING' });
      const { graph, network } = await edgesSeenBy(who, 'asso');
      expect(pairs(graph)).toContain(`${pair('asso', 'ars')}:PENDING`);
      expect(pairs(network)).toEqual([`${pair('asso', 'ars')}:PENDING`]);
    }
    const asArs = await users.ars.gql(`query ($id: ID!) { actor(id: $id) { partnerships { id viewerCanDecide viewerCanEnd history { toStatus } } } }`, {
      id: actor.ars,
    });
    expect(asArs.data.actor.partnerships).toContainEqual({ id, viewerCanDecide: true, viewerCanEnd: true, history: [{ toStatus: 'PENDING' }] });
  });

  it('should refuse a second one of the same kind between the same pair, from either side (CONFLICT), but not of another kind', async () => {
    // A pair of the test's own, so that the other tests' views of asso and ars stay as they are.
    await f.createActor('pairA', { name: 'Part Association du doublon', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['parentalite'], territories: [MEUSE] });
    await f.createActor('pairB', {
      name: 'Part Centre social du doublon',
      kind: 'ASSOCIATION',
      sector: 'SOCIAL',
      themes: ['parentalite'],
      territories: [MEUSE],
    });
    const [pairA, pairB] = [await f.createUser('pairA', 'MEMBER', ['pairA']), await f.createUser('pairB', 'MEMBER', ['pairB'])];
    await declare(pairA, 'pairA', 'pairB');
    const again = await pairA.gql(CREATE, { input: { actorId: actor.pairA, partnerActorId: actor.pairB, kind: 'CONVENTION' } });
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(again.errors![0].message).toMatch(/déjà déclaré entre ces deux acteurs/);
    const reverse = await pairB.gql(CREATE, { input: { actorId: actor.pairB, partnerActorId: actor.pairA, kind: 'CONVENTION' } });
    expect(errorCodes(reverse)).toEqual(['CONFLICT']);
    const other = await declare(pairB, 'pairB', 'pairA', 'COFINANCEMENT');
    expect(other.status).toBe('PENDING');
    const [{ n }] = await server.ds.query(
      `SELECT count(*)::int AS n FROM partnership WHERE least(actor_a, actor_b) = least($1::uuid, $2::uuid) AND greatest(actor_a, actor_b) = greatest($1::uuid, $2::uuid)`,
      [actor.pairA, actor.pairB],
    );
    expect(n).toBe(2);
  });

  it('gives one success and CONFLICTs for the same declaration sent at once from both sides', async () => {
    const input = (a: string, b: string) => ({ input: { actorId: actor[a], partnerActorId: actor[b], kind: 'ACCORD_CADRE' } });
    const results = await Promise.all([
      users.asso2.gql(CREATE, input('asso2', 'caf')),
      users.asso2.gql(CREATE, input('asso2', 'caf')),
      server.admin.gql(CREATE, input('caf', 'asso2')),
      users.asso2.gql(CREATE, input('asso2', 'caf')),
      server.admin.gql(CREATE, input('caf', 'asso2')),
    ]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.flatMap(errorCodes)).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT']);
    const [{ n }] = await server.ds.query(
      `SELECT count(*)::int AS n FROM partnership WHERE $1::uuid IN (actor_a, actor_b) AND $2::uuid IN (actor_a, actor_b)`,
      [actor.asso2, actor.caf],
    );
    expect(n).toBe(1);
  });

  it('should refuse visitors, actors one does not represent, bad and unknown ids', async () => {
    const input = { actorId: actor.asso, partnerActorId: actor.mairie, kind: 'AUTRE' };
    expect(errorCodes(await server.gql(CREATE, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await users.ars.gql(CREATE, { input }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.asso.gql(CREATE, { input: { ...input, partnerActorId: 'pas-un-uuid' } }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await users.asso.gql(CREATE, { input: { ...input, partnerActorId: FORGED } }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.asso.gql(CREATE, { input: { ...input, partnerActorId: actor.asso } }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('confirming', () => {
  let id: string;

  beforeAll(async () => {
    id = (await declare(users.mairie, 'mairie', 'ars')).id;
  });

  it('should not let the declaring side confirm its own declaration, nor decline it', async () => {
    expect(errorCodes(await users.mairie.gql(CONFIRM, { id }))).toEqual(['FORBIDDEN']);
    // A person representing both sides declared nothing here but represents the declaring actor.
    expect(errorCodes(await users.both.gql(CONFIRM, { id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.mairie.gql(DECLINE, { id }))).toEqual(['FORBIDDEN']);
    // An admin who declared for an actor cannot confirm it either.
    const byAdmin = await declare(server.admin, 'caf', 'mairie', 'COFINANCEMENT');
    expect(byAdmin.viewerCanDecide).toBe(false);
    expect(errorCodes(await server.admin.gql(CONFIRM, { id: byAdmin.id }))).toEqual(['FORBIDDEN']);
    expect((await users.mairie.gql(CONFIRM, { id: byAdmin.id })).data.confirmPartnership.status).toBe('ACTIVE');
    expect(errorCodes(await users.mairie.gql(CONFIRM, { id: 'x' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await users.mairie.gql(CONFIRM, { id: FORGED }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await server.gql(CONFIRM, { id }))).toEqual(['UNAUTHENTICATED']);
    const [row] = await server.ds.query(`SELECT status, confirmed_at FROM partnership WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'PENDING', confirmed_at: null });
  });

  it('gives one confirmation and one CONFLICT when the other side and an analyst confirm at once', async () => {
    const results = await Promise.all([users.ars.gql(CONFIRM, { id }), users.analyst44.gql(CONFIRM, { id })]);
    expect(results.filter((r) => !r.errors).map((r) => r.data.confirmPartnership.status)).toEqual(['ACTIVE']);
    expect(results.flatMap(errorCodes)).toEqual(['CONFLICT']);
    const [winner] = results.filter((r) => !r.errors);
    expect(winner.data.confirmPartnership.history.map((e: any) => `${e.fromStatus}>${e.toStatus}`)).toEqual(['null>PENDING', 'PENDING>ACTIVE']);
    expect(winner.data.confirmPartnership.confirmedAt).not.toBeNull();
  });

  it('makes it public: listed for everyone, drawn in the graphs, without its history', async () => {
    // A declaration of the test's own, confirmed by the other side.
    const id = (await declare(users.mairie, 'mairie', 'ars', 'AUTRE')).id;
    expect((await users.ars.gql(CONFIRM, { id })).data.confirmPartnership.status).toBe('ACTIVE');
    for (const who of [server, users.stranger, users.analyst11]) {
      expect(await seenBy(who, 'mairie')).toMatchObject({ [id]: 'ACTIVE' });
      const { graph, network } = await edgesSeenBy(who, 'mairie');
      expect(pairs(graph)).toContain(`${pair('mairie', 'ars')}:ACTIVE`);
      expect(pairs(network)).toContain(`${pair('mairie', 'ars')}:ACTIVE`);
    }
    const visitor = await server.gql(`query ($id: ID!) { actor(id: $id) { partnerships { id history { toStatus } viewerCanEnd } } }`, { id: actor.mairie });
    expect(visitor.data.actor.partnerships.find((p: any) => p.id === id)).toEqual({ id, history: null, viewerCanEnd: false });
    // Confirmed: nobody confirms or declines it again.
    expect(errorCodes(await users.ars.gql(CONFIRM, { id }))).toEqual(['CONFLICT']);
    expect(errorCodes(await users.ars.gql(DECLINE, { id }))).toEqual(['CONFLICT']);
  });
});

describe('declining and ending', () => {
  it('lets the other side decline with a reason; a declined one stays hidden and no longer blocks a new declaration', async () => {
    const p = await declare(users.asso, 'asso', 'mairie', 'AUTRE');
    expect(errorCodes(await users.mairie.gql(DECLINE, { id: p.id, reason: 'x'.repeat(1001) }))).toEqual(['BAD_USER_INPUT']);
    const res = await users.mairie.gql(DECLINE, { id: p.id, reason: '  Aucune convention signée avec nous.  ' });
    expect(res.errors).toBeUndefined();
    expect(res.data.declinePartnership).toMatchObject({ status: 'DECLINED', viewerCanDecide: false, viewerCanEnd: false });
    expect(res.data.declinePartnership.endedAt).not.toBeNull();
    expect(res.data.declinePartnership.history.at(-1)).toEqual({
      fromStatus: 'PENDING',
      toStatus: 'DECLINED',
      reason: 'Aucune convention signée avec nous.',
      byName: 'Personne mairie',
    });
    expect(await seenBy(server, 'mairie')).not.toHaveProperty(p.id);
    expect(await seenBy(users.asso, 'mairie')).toMatchObject({ [p.id]: 'DECLINED' });
    expect(errorCodes(await users.mairie.gql(CONFIRM, { id: p.id }))).toEqual(['CONFLICT']);
    expect(errorCodes(await users.asso.gql(END, { id: p.id }))).toEqual(['CONFLICT']);
    expect((await declare(users.asso, 'asso', 'mairie', 'AUTRE')).status).toBe('PENDING');
  });

  it('lets either side end an active one: ended today, public as ended, drawn only with the ended ones', async () => {
    const p = await declare(users.asso, 'asso', 'asso2', 'CONVENTION', { startDate: '2024-01-01' });
    await users.asso2.gql(CONFIRM, { id: p.id });
    expect(errorCodes(await users.stranger.gql(END, { id: p.id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.analyst11.gql(END, { id: p.id }))).toEqual(['FORBIDDEN']);
    const ended = await users.asso2.gql(END, { id: p.id, reason: 'Convention non renouvelée' });
    expect(ended.errors).toBeUndefined();
    const [{ today }] = await server.ds.query(`SELECT to_char(current_date, 'YYYY-MM-DD') AS today`);
    expect(ended.data.endPartnership).toMatchObject({ status: 'ENDED', ended: true, endDate: today, viewerCanEnd: false });
    expect(ended.data.endPartnership.history.map((e: any) => e.toStatus)).toEqual(['PENDING', 'ACTIVE', 'ENDED']);
    expect(errorCodes(await users.asso.gql(END, { id: p.id }))).toEqual(['CONFLICT']);
    expect(await seenBy(server, 'asso2')).toMatchObject({ [p.id]: 'ENDED' });
    expect(pairs((await edgesSeenBy(server, 'asso2')).network)).not.toContain(`${pair('asso', 'asso2')}:ENDED`);
    expect(pairs((await edgesSeenBy(server, 'asso2', true)).network)).toContain(`${pair('asso', 'asso2')}:ENDED`);
  });

  it('lets the declaring side withdraw a pending one, which never becomes public', async () => {
    const p = await declare(users.ars, 'ars', 'caf', 'AUTRE');
    const res = await users.ars.gql(END, { id: p.id, reason: 'Déclaré par erreur' });
    expect(res.data.endPartnership).toMatchObject({ status: 'ENDED', confirmedAt: null });
    expect(await seenBy(server, 'ars')).not.toHaveProperty(p.id);
    expect((await edgesSeenBy(users.ars, 'ars', true)).network.map((e) => e.partnershipStatus)).not.toContain('ENDED');
  });
});

describe('partnerships awaiting the viewer’s confirmation', () => {
  const Q = `{ partnershipsToConfirm { id status actorA { id } actorB { id } } }`;

  it('lists the declarations of others that the viewer may confirm, never its own', async () => {
    // Pending both ways around ars, whatever the other tests did.
    await declare(users.asso2, 'asso2', 'ars', 'COFINANCEMENT');
    await declare(users.ars, 'ars', 'asso2', 'ACCORD_CADRE');
    const pending = await server.ds.query(`SELECT id, actor_a, actor_b FROM partnership WHERE status = 'PENDING' AND $1::uuid IN (actor_a, actor_b)`, [
      actor.ars,
    ]);
    expect(pending.length).toBeGreaterThan(0);
    const forArs = (await users.ars.gql(Q)).data.partnershipsToConfirm;
    expect(forArs.map((p: any) => p.id).sort()).toEqual(
      pending
        .filter((p: any) => p.actor_b === actor.ars)
        .map((p: any) => p.id)
        .sort(),
    );
    expect(forArs.every((p: any) => p.status === 'PENDING' && p.actorB.id === actor.ars)).toBe(true);
    const declaredByArs = pending.filter((p: any) => p.actor_a === actor.ars).map((p: any) => p.id);
    expect(declaredByArs.length).toBeGreaterThan(0);
    for (const id of declaredByArs) expect(forArs.map((p: any) => p.id)).not.toContain(id);

    const mine = new Set(Object.values(actor));
    const forAnalyst11 = (await users.analyst11.gql(Q)).data.partnershipsToConfirm.filter((p: any) => mine.has(p.actorA.id));
    expect(forAnalyst11).toEqual([]);
    const forAnalyst44 = (await users.analyst44.gql(Q)).data.partnershipsToConfirm.filter((p: any) => mine.has(p.actorA.id));
    const allPending = await server.ds.query(`SELECT id FROM partnership WHERE status = 'PENDING' AND actor_a = ANY($1::uuid[])`, [[...mine]]);
    expect(forAnalyst44.map((p: any) => p.id).sort()).toEqual(allPending.map((p: any) => p.id).sort());
    expect(errorCodes(await server.gql(Q))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('the migration', () => {
  it('keeps existing partnerships public, ends those whose period is over and declines duplicates', async () => {
    const migration = new PartnershipConfirmation1764000000015();
    await inRolledBackTransaction(server.ds, async (qr) => {
      await migration.down(qr);
      const insert = async (a: string, b: string, kind: string, end: string | null, at: string) =>
        (
          await qr.query(
            `INSERT INTO partnership (actor_a, actor_b, kind, end_date, created_at, source) VALUES ($1, $2, $3, $4, $5, 'documents-publics') RETURNING id`,
            [actor[a], actor[b], kind, end, at],
          )
        )[0].id as string;
      const current = await insert('caf', 'asso', 'CONVENTION', null, '2020-01-01');
      const duplicate = await insert('asso', 'caf', 'CONVENTION', '2099-12-31', '2021-01-01');
      const over = await insert('caf', 'asso', 'COFINANCEMENT', '2022-12-31', '2019-01-01');
      await migration.up(qr);
      const rows = await qr.query(
        `SELECT id, status, confirmed_at IS NOT NULL AS confirmed,
           (SELECT array_agg(coalesce(from_status, '-') || '>' || to_status ORDER BY e.id) FROM partnership_event e WHERE e.partnership_id = p.id) AS steps
         FROM partnership p WHERE id = ANY($1::uuid[])`,
        [[current, duplicate, over]],
      );
      const by = Object.fromEntries(rows.map((r: any) => [r.id, { status: r.status, confirmed: r.confirmed, steps: r.steps }]));
      expect(by[current]).toEqual({ status: 'ACTIVE', confirmed: true, steps: ['->ACTIVE'] });
      expect(by[over]).toEqual({ status: 'ENDED', confirmed: true, steps: ['->ACTIVE', 'ACTIVE>ENDED'] });
      expect(by[duplicate]).toEqual({ status: 'DECLINED', confirmed: false, steps: ['->ACTIVE', 'ACTIVE>DECLINED'] });
    });
  });
});
