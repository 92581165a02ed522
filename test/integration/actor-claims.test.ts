import { beforeAll, describe, expect, it } from 'vitest';
import { fixtures, MEUSE_CLSM, ok, type SignedIn } from '../helpers/factories.js';
import { errorCodes, type GraphQLResponse, useTestServer } from '../helpers/server.js';
import { MEUSE } from '../helpers/places.js';

/**
 * Claims to represent an actor, from sign-up to coalition: a brand-new account finds its structure
 * and asks to represent it; the structure's representatives decide, or when it has none an ARS
 * analyst of its région or an administrator; or the account declares a new structure (pending
 * moderation) and represents it at once. Attacked by strangers, the claimant himself, an analyst of
 * another région, duplicate and concurrent requests, and every path that could read a claim.
 */
const SOURCE = 'test:actor-claims.test.ts';
const DOMAIN = '@test-claims.local';
const FORGED = '00000000-0000-4000-8000-000000000000';
const THEME = 'parentalite';

const server = useTestServer();
const f = fixtures(server, { source: SOURCE, domain: DOMAIN });
const { actor, users, createRegionalAnalysts, createUser } = f;

const FIELDS = 'id status statusLabel message claimantName decisionReason decidedByName decidedAt viewerCanDecide viewerCanWithdraw actor { id name }';
const CLAIM = `mutation ($a: ID!, $m: String) { claimActor(actorId: $a, message: $m) { ${FIELDS} } }`;
const DECIDE = `mutation ($id: ID!, $accept: Boolean!, $r: String) { decideActorClaim(id: $id, accept: $accept, reason: $r) { ${FIELDS} } }`;
const WITHDRAW = `mutation ($id: ID!) { withdrawActorClaim(id: $id) { ${FIELDS} } }`;
const MINE = `{ myActorClaims { ${FIELDS} } }`;
const TO_DECIDE = `{ actorClaimsToDecide { ${FIELDS} } }`;
const ME = `{ me { actors { id } } }`;
const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id reviewStatus } }`;

type Client = { gql: SignedIn['gql'] };

/** A brand-new member representing nothing. */
let fresh = 0;
const newcomer = () => createUser(`nouveau${++fresh}`, 'MEMBER');

async function claim(as: Client, key: string, message = 'Je suis la directrice de la structure'): Promise<any> {
  return (await ok(as.gql(CLAIM, { a: actor[key], m: message }))).claimActor;
}

const decide = (as: Client, id: string, accept = true, reason: string | null = null): Promise<GraphQLResponse> => as.gql(DECIDE, { id, accept, r: reason });

const myActors = async (as: Client): Promise<string[]> => (await ok(as.gql(ME))).me.actors.map((a: { id: string }) => a.id);
const toDecide = async (as: Client): Promise<string[]> => (await ok(as.gql(TO_DECIDE))).actorClaimsToDecide.map((c: { id: string }) => c.id);

async function notificationsOf(userId: string, kind: string): Promise<any[]> {
  return server().ds.query(`SELECT payload FROM notification WHERE account_id = $1 AND kind = $2 ORDER BY created_at`, [userId, kind]);
}

beforeAll(async () => {
  const territories = [MEUSE];
  await f.createActors({
    repped: {
      name: 'Claim Maison des familles de Verdun',
      kind: 'ASSOCIATION',
      sector: 'SOCIAL',
      themes: [THEME],
      territories,
      siret: '73282932000074',
      communeCode: '55545',
    },
    orphan: { name: 'Claim Centre social orphelin', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: [THEME], territories, rna: 'W551000777' },
    orphan2: { name: 'Claim Point écoute parents', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: [THEME], territories },
    other: { name: 'Claim Autre association', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: [THEME], territories },
    pilot: { name: 'Claim CPTS pilote', kind: 'CPTS', sector: 'SANTE', themes: ['sante-mentale'], territories },
  });
  await createUser('rep', 'MEMBER', ['repped']);
  await createUser('rep2', 'MEMBER', ['repped']);
  await createUser('otherRep', 'MEMBER', ['other']);
  await createRegionalAnalysts();
  await createUser('coord', 'COORDINATOR', ['pilot']);
  await f.createCoalition('clsm', users.coord, { ...MEUSE_CLSM, name: 'Claim CLSM de la Meuse', pilotActorId: actor.pilot });
});

describe('finding one’s structure', () => {
  it.each([
    ['its name, without accents', 'maison des familles de verdun', 'repped'],
    ['its SIRET, with spaces', '732 829 320 00074', 'repped'],
    ['its RNA number', 'w551000777', 'orphan'],
    ['the commune of its address', 'Verdun', 'repped'],
  ])('should find an existing structure by %s', async (_by, query, key) => {
    const { claimableActors } = await ok(server().gql(`query ($q: String!) { claimableActors(query: $q, first: 20) { id } }`, { q: query }));
    expect(claimableActors.map((a: { id: string }) => a.id)).toContain(actor[key]);
  });

  it('should refuse a search of one character or a page over 50 with BAD_USER_INPUT', async () => {
    expect(errorCodes(await server().gql(`{ claimableActors(query: "a") { id } }`))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await server().gql(`{ claimableActors(query: "Claim", first: 51) { id } }`))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('claiming a structure that has representatives', () => {
  it('should let a representative accept: the claimant then represents it, and both sides are notified', async () => {
    const me = await newcomer();
    const c = await claim(me, 'repped');
    expect(c).toMatchObject({ status: 'PENDING', statusLabel: 'En attente', viewerCanWithdraw: true, viewerCanDecide: false, actor: { id: actor.repped } });
    expect((await notificationsOf(users.rep.userId, 'CLAIM_RECEIVED')).map((n) => n.payload.claimId)).toContain(c.id);
    expect(await notificationsOf(users.analyst44.userId, 'CLAIM_RECEIVED')).toEqual([]);
    expect(await toDecide(users.rep)).toContain(c.id);

    const decided = (await ok(decide(users.rep, c.id, true, 'Bienvenue'))).decideActorClaim;
    expect(decided).toMatchObject({ status: 'ACCEPTED', decisionReason: 'Bienvenue', decidedByName: 'Personne rep', viewerCanDecide: false });
    expect(await myActors(me)).toContain(actor.repped);
    expect((await notificationsOf(me.userId, 'CLAIM_DECIDED')).map((n) => n.payload)).toEqual([expect.objectContaining({ claimId: c.id, accepted: true })]);
    expect((await ok(me.gql(MINE))).myActorClaims).toEqual([expect.objectContaining({ id: c.id, status: 'ACCEPTED' })]);
  });

  it('should not let the analyst of its région, a representative of another structure or the claimant decide', async () => {
    const me = await newcomer();
    const c = await claim(me, 'repped');
    expect(errorCodes(await decide(users.analyst44, c.id))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await decide(users.otherRep, c.id))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await decide(me, c.id))).toEqual(['FORBIDDEN']);
    // The same attack with the id written in the document rather than in variables.
    expect(errorCodes(await users.otherRep.gql(`mutation { decideActorClaim(id: "${c.id}", accept: true) { id } }`))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await server().gql(DECIDE, { id: c.id, accept: true }))).toEqual(['UNAUTHENTICATED']);
    expect(await myActors(me)).toEqual([]);
    const [{ status }] = await server().ds.query(`SELECT status FROM actor_claim WHERE id = $1`, [c.id]);
    expect(status).toBe('PENDING');
  });

  it('should give exactly one decision to many concurrent decisions, and CONFLICT to the others', async () => {
    const me = await newcomer();
    const c = await claim(me, 'repped');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => decide(i % 2 ? users.rep : users.rep2, c.id, i % 3 !== 0)));
    const won = results.filter((r) => !r.errors);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.errors).map((r) => errorCodes(r)[0])).toEqual(Array(7).fill('CONFLICT'));
    const [{ n }] = await server().ds.query(`SELECT count(*)::int AS n FROM notification WHERE kind = 'CLAIM_DECIDED' AND account_id = $1`, [me.userId]);
    expect(n).toBe(1);
  });

  it('should refuse a second pending claim on the same structure, even sent at once, with CONFLICT ALREADY_PENDING', async () => {
    const me = await newcomer();
    const results = await Promise.all(Array.from({ length: 6 }, () => me.gql(CLAIM, { a: actor.repped })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((x) => x.errors)) expect(r.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_PENDING' });
    const [{ n }] = await server().ds.query(`SELECT count(*)::int AS n FROM actor_claim WHERE account_id = $1`, [me.userId]);
    expect(n).toBe(1);
  });

  it('should refuse a claim on a structure the account already represents with CONFLICT ALREADY_REPRESENTS', async () => {
    const res = await users.rep.gql(CLAIM, { a: actor.repped });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_REPRESENTS' });
  });

  it('should refuse claims from visitors, on unknown or forged ids, and messages over 1,000 characters', async () => {
    const me = await newcomer();
    expect(errorCodes(await server().gql(CLAIM, { a: actor.repped }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await me.gql(CLAIM, { a: FORGED }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await me.gql(CLAIM, { a: 'pas-un-id' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await me.gql(CLAIM, { a: actor.repped, m: 'x'.repeat(1001) }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await me.gql(DECIDE, { id: FORGED, accept: true }))).toEqual(['NOT_FOUND']);
    expect((await ok(me.gql(MINE))).myActorClaims).toEqual([]);
  });

  it('should let the claimant withdraw, then claim again; nobody else may withdraw', async () => {
    const me = await newcomer();
    const c = await claim(me, 'repped');
    expect(errorCodes(await users.otherRep.gql(WITHDRAW, { id: c.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.rep.gql(WITHDRAW, { id: c.id }))).toEqual(['FORBIDDEN']);
    expect((await ok(me.gql(WITHDRAW, { id: c.id }))).withdrawActorClaim).toMatchObject({ status: 'WITHDRAWN', viewerCanWithdraw: false });
    expect(errorCodes(await decide(users.rep, c.id))).toEqual(['CONFLICT']);
    expect(await toDecide(users.rep)).not.toContain(c.id);
    expect((await claim(me, 'repped')).status).toBe('PENDING');
  });
});

describe('claiming a structure without representatives', () => {
  it('should let an analyst of its région accept, and notify the analysts of that région and the administrators', async () => {
    const me = await newcomer();
    const c = await claim(me, 'orphan');
    expect((await notificationsOf(users.analyst44.userId, 'CLAIM_RECEIVED')).map((n) => n.payload.claimId)).toContain(c.id);
    expect(await notificationsOf(users.analyst11.userId, 'CLAIM_RECEIVED')).toEqual([]);
    expect(await toDecide(users.analyst44)).toContain(c.id);
    expect(await toDecide(users.analyst11)).not.toContain(c.id);
    expect(errorCodes(await decide(users.analyst11, c.id))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await decide(users.otherRep, c.id))).toEqual(['NOT_FOUND']);
    expect((await ok(decide(users.analyst44, c.id))).decideActorClaim.status).toBe('ACCEPTED');
    expect(await myActors(me)).toEqual([actor.orphan]);

    // It now has a representative: the next claim is his to decide, no longer the analyst's.
    const next = await claim(await newcomer(), 'orphan');
    expect(await toDecide(me)).toEqual([next.id]);
    expect(await toDecide(users.analyst44)).not.toContain(next.id);
    expect(errorCodes(await decide(users.analyst44, next.id))).toEqual(['NOT_FOUND']);
  });

  it('should let an administrator decide, and refuse an analyst deciding his own claim', async () => {
    const c = await claim(users.analyst44, 'orphan2');
    expect(await toDecide(users.analyst44)).not.toContain(c.id);
    expect(errorCodes(await decide(users.analyst44, c.id))).toEqual(['FORBIDDEN']);
    expect(await toDecide(server().admin)).toContain(c.id);
    expect((await ok(decide(server().admin, c.id, false, 'Compte d’analyste : demandez un rattachement'))).decideActorClaim.status).toBe('REJECTED');
    expect(await myActors(users.analyst44)).toEqual([]);
    expect((await notificationsOf(users.analyst44.userId, 'CLAIM_DECIDED')).map((n) => n.payload)).toEqual([
      expect.objectContaining({ claimId: c.id, accepted: false }),
    ]);
  });
});

describe('nobody else reads a claim', () => {
  it('should not show a claim to other accounts through the lists, and have no field reaching claims from an actor or an account', async () => {
    const me = await newcomer();
    const c = await claim(me, 'repped', 'Message privé de la demande');
    for (const other of [users.otherRep, users.analyst44, users.analyst11, users.coord]) {
      expect(await toDecide(other)).not.toContain(c.id);
      expect((await ok(other.gql(MINE))).myActorClaims.map((x: { id: string }) => x.id)).not.toContain(c.id);
    }
    expect(errorCodes(await server().gql(MINE))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await server().gql(TO_DECIDE))).toEqual(['UNAUTHENTICATED']);
    for (const query of [`{ actor(id: "${actor.repped}") { claims { id } } }`, `{ me { claims { id } } }`, `{ me { actorClaims { id } } }`]) {
      expect(errorCodes(await users.otherRep.gql(query))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
    // Its notifications went to the structure's representatives only.
    const told = await server().ds.query(
      `SELECT n.account_id FROM notification n WHERE n.payload->>'claimId' = $1
         AND NOT EXISTS (SELECT 1 FROM user_actor ua WHERE ua.user_id = n.account_id AND ua.actor_id = $2)`,
      [c.id, actor.repped],
    );
    expect(told).toEqual([]);
  });
});

describe('declaring a new structure', () => {
  const input = (patch: Record<string, unknown>) => ({
    name: 'Claim Nouvelle association des parents',
    kind: 'ASSOCIATION',
    sector: 'SOCIAL',
    themes: [THEME],
    territories: [MEUSE],
    source: SOURCE,
    ...patch,
  });

  it.each([
    ['a SIRET whose key is wrong', { siret: '73282932000075' }, 'siret'],
    ['a SIRET of 13 digits', { siret: '7328293200007' }, 'siret'],
    ['a La Poste SIRET whose digits do not add up to a multiple of 5', { siret: '35600000000002' }, 'siret'],
    ['an RNA number without its W', { rna: '551000777' }, 'rna'],
    ['an RNA number of 8 characters', { rna: 'W55100077' }, 'rna'],
  ])('should refuse %s, naming the field, and write nothing', async (_name, patch, field) => {
    const me = await newcomer();
    const [{ n: before }] = await server().ds.query(`SELECT count(*)::int AS n FROM actor`);
    const res = await me.gql(CREATE, { input: input(patch) });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect((res.errors![0].extensions!.fields as { field: string }[]).map((x) => x.field)).toEqual([field]);
    const [{ n: after }] = await server().ds.query(`SELECT count(*)::int AS n FROM actor`);
    expect(after).toBe(before);
    expect(await myActors(me)).toEqual([]);
  });

  it('should accept a SIRET with a good key and La Poste’s exception', async () => {
    // Not 73282932000074: « repped » holds it, and two active actors may not share a SIRET (actor-identifiers.test.ts).
    for (const siret of ['26010004500012', '35600000000001', '35600000000048']) {
      const me = await newcomer();
      expect((await ok(me.gql(CREATE, { input: input({ name: `Claim Structure ${siret}`, siret }) }))).createActor.reviewStatus).toBe('PENDING_REVIEW');
    }
  });

  it('should make the declared structure pending, counted in no gap figure, and let its declarer ask to join a coalition', async () => {
    const figures = async () =>
      ok(
        server().gql(
          `query ($f: GapFilterInput, $e: GapFilterInput) { gaps(filter: $f, first: 0) { totalCount gapPopulation }
            coverage(filter: $e, withDistance: false) { summary { actorCount coveredPopulation gapCount } } }`,
          { f: { themes: [THEME], scope: MEUSE }, e: { themes: [THEME], scope: MEUSE, level: 'EPCI' } },
        ),
      );
    const before = await figures();
    const me = await newcomer();
    const created = (await ok(me.gql(CREATE, { input: input({ name: 'Claim Parents solidaires de Stenay', territories: [MEUSE] }) }))).createActor;
    expect(created.reviewStatus).toBe('PENDING_REVIEW');
    expect(await myActors(me)).toEqual([created.id]);
    expect(await figures()).toEqual(before);

    const req = await me.gql(`mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { status } }`, {
      c: f.coalition.clsm,
      a: created.id,
    });
    expect(req.data?.requestMembership.status, JSON.stringify(req.errors)).toBe('REQUESTED');
    const { coalition } = await ok(
      users.coord.gql(`query ($id: ID!) { coalition(id: $id) { pending: members(statuses: [REQUESTED]) { actor { id reviewStatus } } } }`, {
        id: f.coalition.clsm,
      }),
    );
    expect(coalition.pending).toContainEqual({ actor: { id: created.id, reviewStatus: 'PENDING_REVIEW' } });
  });
});
