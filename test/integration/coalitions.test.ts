import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_COALITION, epciOf, fixtures } from '../helpers/factories.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/** Every actor of this file carries this source and every account this domain: afterAll removes exactly them. */
const SOURCE = 'test:coalitions.test.ts';
const DOMAIN = '@test-coalitions.local';
const PASSWORD = 'mot de passe de test';
const FORGED = '00000000-0000-4000-8000-000000000000';

let server: TestServer;
let verdunEpci: string;
const { actor, coalition, users, createActor, createActors, createRegionalAnalysts, createUser, createCoalition, logIn } = fixtures(() => server, {
  source: SOURCE,
  domain: DOMAIN,
  password: PASSWORD,
});

const REQUEST = `mutation ($c: ID!, $a: ID!, $role: MembershipRole) { requestMembership(coalitionId: $c, actorId: $a, role: $role) { id status role } }`;
const ACCEPT = `mutation ($id: ID!) { acceptMembership(membershipId: $id) { id status } }`;
const REJECT = `mutation ($id: ID!) { rejectMembership(membershipId: $id) { id status } }`;
const INVITE = `mutation ($c: ID!, $a: ID!, $role: MembershipRole) { inviteActor(coalitionId: $c, actorId: $a, role: $role) { id status role } }`;
const ACCEPT_INVITATION = `mutation ($id: ID!) { acceptInvitation(membershipId: $id) { id status } }`;
const DECLINE_INVITATION = `mutation ($id: ID!) { declineInvitation(membershipId: $id) { id status } }`;
const LEAVE = `mutation ($id: ID!) { leaveCoalition(membershipId: $id) { id status } }`;
const COALITION = `query ($id: ID!) { coalition(id: $id) { id name memberCount members { id role status actor { id name } } } }`;

beforeAll(async () => {
  server = await startTestServer();
  verdunEpci = await epciOf(server, '55545');
  const verdun = [{ level: 'COMMUNE', code: '55545' }];
  const meuse = { level: 'DEPARTEMENT', code: '55' };
  const epci = { level: 'EPCI', code: verdunEpci };
  const saintDenis = { level: 'COMMUNE', code: '93066' };
  const grandEst = { level: 'REGION', code: '44' };
  await createActors({
    pilotA: { name: 'Coal CPTS pilote', kind: 'CPTS', sector: 'SANTE', themes: ['sante-mentale'], territories: [epci] },
    pilotB: { name: 'Coal Centre hospitalier', kind: 'ETABLISSEMENT_SANTE', sector: 'SANTE', themes: ['sante-mentale'], territories: [meuse] },
    partner1: { name: 'Coal Asso jeunesse', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['sante-mentale-promotion'], territories: verdun },
    partner2: { name: 'Coal Asso prévention', kind: 'ASSOCIATION', sector: 'SANTE', themes: ['addictions'], territories: verdun },
    college: { name: 'Coal Collège', kind: 'EDUCATION_NATIONALE', sector: 'EDUCATION', themes: ['sante-mentale'], territories: verdun },
    bailleur: { name: 'Coal Bailleur social', kind: 'AUTRE', sector: 'LOGEMENT', themes: ['precarite'], territories: [meuse] },
    far: { name: 'Coal Asso Saint-Denis', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['sante-mentale'], territories: [saintDenis] },
  });
  // The graph fixture: Y1, Y2 – G1 – X – G2 – Z1 – P, and I alone. X is the bridging actor.
  const hospital = { kind: 'ETABLISSEMENT_SANTE', sector: 'SANTE', themes: ['sante-environnement-bruit'], territories: verdun };
  for (const k of ['X', 'Y1', 'Y2', 'Z1', 'P', 'I']) await createActor(k, { ...hospital, name: `Coal graphe ${k}` });

  await createUser('coord', 'COORDINATOR', ['pilotA']);
  await createUser('coord2', 'COORDINATOR', ['pilotB']);
  await createUser('member', 'MEMBER', ['partner1']);
  await createUser('other', 'MEMBER', ['partner2']);
  await createUser('outsider', 'COORDINATOR', ['far']);
  await createRegionalAnalysts();
  await createUser('graph', 'COORDINATOR', ['X', 'Z1']);

  const mental = { themes: ['sante-mentale'] };
  const noise = { kind: 'THEMATIQUE', themes: ['sante-environnement-bruit'], pilotActorId: actor.X };
  const c1 = { ...mental, name: 'Coal Santé mentale du Verdunois', kind: 'CLSM', territory: epci, startDate: '2025-01-01', pilotActorId: actor.pilotA };
  await createCoalition('c1', users.coord, c1);
  for (const [key, input] of Object.entries({
    secret: { ...mental, name: 'Coal Cellule confidentielle', kind: 'COOPERATIVE', territory: meuse, visibility: 'MEMBERS', joinPolicy: 'INVITATION' },
    open: { name: 'Coal Réseau ouvert', kind: 'THEMATIQUE', themes: ['addictions'], territory: meuse, joinPolicy: 'OPEN' },
    ended: { ...mental, name: 'Coal Convention 2018-2022', kind: 'CONVENTION', territory: grandEst, startDate: '2018-01-01', endDate: '2022-12-31' },
  })) {
    await createCoalition(key, users.coord2, { ...input, pilotActorId: actor.pilotB });
  }
  await createCoalition('g1', users.graph, { ...noise, name: 'Coal graphe G1', territory: { level: 'COMMUNE', code: '55545' } });
  await createCoalition('g2', users.graph, { ...noise, name: 'Coal graphe G2', territory: epci });
  await server.ds.query(
    `INSERT INTO membership (coalition_id, actor_id, role, status) VALUES ($1, $2, 'MEMBRE', 'ACTIVE'), ($1, $3, 'MEMBRE', 'ACTIVE'), ($4, $5, 'PARTENAIRE', 'ACTIVE')`,
    [coalition.g1, actor.Y1, actor.Y2, coalition.g2, actor.Z1],
  );
  const partnership = await users.graph.gql(
    `mutation ($input: CreatePartnershipInput!) { createPartnership(input: $input) { id kind actorA { id } actorB { id } } }`,
    { input: { actorId: actor.Z1, partnerActorId: actor.P, kind: 'CONVENTION', title: 'Convention de test', startDate: '2024-01-01' } },
  );
  expect(partnership.errors, JSON.stringify(partnership.errors)).toBeUndefined();
  // P has no representative: the ARS analyst of the région confirms the declaration, which makes it public.
  const confirmed = await users.analyst44.gql(`mutation ($id: ID!) { confirmPartnership(id: $id) { status } }`, { id: partnership.data.createPartnership.id });
  expect(confirmed.data?.confirmPartnership, JSON.stringify(confirmed.errors)).toEqual({ status: 'ACTIVE' });
});

afterAll(() => server?.close());

describe('creating coalitions', () => {
  it('makes the pilot actor an active PILOTE and its user a coordinator', async () => {
    const res = await users.coord.gql(
      `query ($id: ID!) { coalition(id: $id) { kind kindLabel viewerCanManage territory { name } themes { code }
      membersByRole { role label members { actor { id } } } } }`,
      { id: coalition.c1 },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.coalition).toMatchObject({ kind: 'CLSM', viewerCanManage: true, themes: [{ code: 'sante-mentale' }] });
    expect(res.data.coalition.membersByRole).toEqual([{ role: 'PILOTE', label: 'Pilote', members: [{ actor: { id: actor.pilotA } }] }]);
    const visitor = await server.gql(`query ($id: ID!) { coalition(id: $id) { viewerCanManage } }`, { id: coalition.c1 });
    expect(visitor.data.coalition.viewerCanManage).toBe(false);
  });

  it('should not let a visitor, a member or a coordinator for an actor it does not represent create one', async () => {
    const input = {
      name: 'Coal intrus',
      kind: 'THEMATIQUE',
      themes: ['addictions'],
      territory: { level: 'DEPARTEMENT', code: '55' },
      pilotActorId: actor.partner1,
    };
    expect(errorCodes(await server.gql(CREATE_COALITION, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await users.member.gql(CREATE_COALITION, { input }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord.gql(CREATE_COALITION, { input }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord.gql(CREATE_COALITION, { input: { ...input, pilotActorId: FORGED } }))).toEqual(['NOT_FOUND']);
    // An analyst creates only in its région.
    expect(errorCodes(await users.analyst11.gql(CREATE_COALITION, { input }))).toEqual(['FORBIDDEN']);
  });

  it('should refuse unknown themes, unknown territories and periods ending before they start', async () => {
    const base = { name: 'Coal invalide', kind: 'CLS', themes: ['addictions'], territory: { level: 'DEPARTEMENT', code: '55' }, pilotActorId: actor.pilotA };
    const bad = async (input: Record<string, unknown>) => errorCodes(await users.coord.gql(CREATE_COALITION, { input: { ...base, ...input } }));
    expect(await bad({ themes: ['pas-un-theme'] })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ territory: { level: 'DEPARTEMENT', code: '00' } })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ startDate: '2024-01-01', endDate: '2023-01-01' })).toEqual(['BAD_USER_INPUT']);
    expect(await bad({ startDate: '01/01/2024' })).toEqual(['BAD_USER_INPUT']);
  });

  it('updates with the version read, refuses a stale version, and only for coordinators', async () => {
    const read = await users.coord.gql(`query ($id: ID!) { coalition(id: $id) { version } }`, { id: coalition.c1 });
    const version = read.data.coalition.version;
    const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateCoalitionInput!) { updateCoalition(id: $id, version: $v, input: $input) { version description } }`;
    const input = { description: 'Conseil local de santé mentale du Grand Verdun' };
    expect(errorCodes(await server.gql(UPDATE, { id: coalition.c1, v: version, input }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await users.member.gql(UPDATE, { id: coalition.c1, v: version, input }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.analyst11.gql(UPDATE, { id: coalition.c1, v: version, input }))).toEqual(['FORBIDDEN']);
    const ok = await users.coord.gql(UPDATE, { id: coalition.c1, v: version, input });
    expect(ok.data.updateCoalition).toEqual({ version: version + 1, description: input.description });
    expect(errorCodes(await users.coord.gql(UPDATE, { id: coalition.c1, v: version, input }))).toEqual(['CONFLICT']);
    // The ARS analyst of Grand Est manages the coalitions of its région.
    const analyst = await users.analyst44.gql(UPDATE, { id: coalition.c1, v: version + 1, input: { description: 'CLSM du Grand Verdun' } });
    expect(analyst.errors).toBeUndefined();
  });
});

describe('members-only coalitions', () => {
  it('should be invisible to visitors, in the list, by id and in the territory graph', async () => {
    const byId = await server.gql(COALITION, { id: coalition.secret });
    expect(errorCodes(byId)).toEqual(['NOT_FOUND']);
    const list = await server.gql(`{ coalitions(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: 200) { edges { node { id } } } }`);
    const ids = list.data.coalitions.edges.map((e: any) => e.node.id);
    expect(ids).toContain(coalition.c1);
    expect(ids).not.toContain(coalition.secret);
    const graph = await server.gql(`{ coalitionGraph(scope: { level: DEPARTEMENT, code: "55" }) { nodes { id } } }`);
    expect(graph.data.coalitionGraph.nodes.map((n: any) => n.id)).not.toContain(coalition.secret);
  });

  it('should be invisible to a signed-in user whose actors are not members', async () => {
    expect(errorCodes(await users.member.gql(COALITION, { id: coalition.secret }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.coord.gql(COALITION, { id: coalition.secret }))).toEqual(['NOT_FOUND']);
    // Asking to join a coalition one cannot see is the same as asking for one that does not exist.
    expect(errorCodes(await users.member.gql(REQUEST, { c: coalition.secret, a: actor.partner1 }))).toEqual(['NOT_FOUND']);
  });

  it('is visible to its members, to the ARS analysts of its région and, without its members, to an invited actor', async () => {
    expect((await users.coord2.gql(COALITION, { id: coalition.secret })).data.coalition.id).toBe(coalition.secret);
    expect((await users.analyst44.gql(COALITION, { id: coalition.secret })).data.coalition.id).toBe(coalition.secret);
    expect(errorCodes(await users.analyst11.gql(COALITION, { id: coalition.secret }))).toEqual(['NOT_FOUND']);
    const invite = await users.coord2.gql(INVITE, { c: coalition.secret, a: actor.partner2, role: 'PARTENAIRE' });
    expect(invite.data.inviteActor).toMatchObject({ status: 'INVITED', role: 'PARTENAIRE' });
    const invited = await users.other.gql(COALITION, { id: coalition.secret });
    expect(invited.data.coalition).toMatchObject({ id: coalition.secret, name: 'Coal Cellule confidentielle', memberCount: null });
    expect(invited.data.coalition.members).toEqual([]);
    // The coordinator cannot answer for the invited actor; its representative can.
    expect(errorCodes(await users.coord2.gql(ACCEPT_INVITATION, { id: invite.data.inviteActor.id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.member.gql(ACCEPT_INVITATION, { id: invite.data.inviteActor.id }))).toEqual(['NOT_FOUND']);
    const declined = await users.other.gql(DECLINE_INVITATION, { id: invite.data.inviteActor.id });
    expect(declined.data.declineInvitation.status).toBe('REJECTED');
    expect(errorCodes(await users.other.gql(ACCEPT_INVITATION, { id: invite.data.inviteActor.id }))).toEqual(['CONFLICT']);
  });

  it('should refuse a request to a coalition open on invitation only, even to a member-to-be', async () => {
    // partner2 declined, so it no longer sees the coalition; the pilot's user tries for its own other actor instead.
    await server.ds.query(`INSERT INTO user_actor (user_id, actor_id) SELECT id, $2 FROM user_account WHERE email = $1`, [`coord2${DOMAIN}`, actor.bailleur]);
    const relog = server.client();
    await relog.gql(`mutation { logIn(email: "coord2${DOMAIN}", password: "${PASSWORD}") { id } }`);
    expect(errorCodes(await relog.gql(REQUEST, { c: coalition.secret, a: actor.bailleur }))).toEqual(['FORBIDDEN']);
    await server.ds.query(`DELETE FROM user_actor WHERE actor_id = $1`, [actor.bailleur]);
  });

  it('should not let the last pilot leave', async () => {
    const members = await users.coord2.gql(COALITION, { id: coalition.secret });
    const pilot = members.data.coalition.members.find((m: any) => m.role === 'PILOTE');
    expect(errorCodes(await users.coord2.gql(LEAVE, { id: pilot.id }))).toEqual(['CONFLICT']);
  });

  it('lets only the coalition’s coordinators invite, and one open invitation per actor however many are sent at once', async () => {
    const vars = { c: coalition.open, a: actor.college, role: 'PILOTE' };
    expect(errorCodes(await server.gql(INVITE, vars))).toEqual(['UNAUTHENTICATED']);
    // A member of another coalition, a coordinator of another one, an ARS analyst of another région.
    expect(errorCodes(await users.member.gql(INVITE, vars))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord.gql(INVITE, vars))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.analyst11.gql(INVITE, vars))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord2.gql(INVITE, { ...vars, a: FORGED }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.coord2.gql(INVITE, { ...vars, role: 'CHEF' }))).toEqual(['BAD_USER_INPUT']);
    expect(await server.ds.query(`SELECT 1 FROM membership WHERE coalition_id = $1 AND actor_id = $2`, [coalition.open, actor.college])).toEqual([]);
    // Five at once: one invitation, the others a CONFLICT.
    const all = await Promise.all(Array.from({ length: 5 }, () => users.coord2.gql(INVITE, vars)));
    expect(all.filter((r) => r.data?.inviteActor?.status === 'INVITED')).toHaveLength(1);
    expect(all.flatMap(errorCodes).sort()).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT']);
    await server.ds.query(`DELETE FROM membership WHERE coalition_id = $1 AND actor_id = $2`, [coalition.open, actor.college]);
  });

  it('says which membership is the last active pilot, as leaveCoalition decides it, and no other', async () => {
    const PILOTS = `query ($id: ID!) { coalition(id: $id) { members(statuses: [ACTIVE, INVITED]) { id role status lastPilot } } }`;
    const read = async () => (await users.coord2.gql(PILOTS, { id: coalition.secret })).data.coalition.members as any[];
    const [pilot] = (await read()).filter((m) => m.role === 'PILOTE');
    expect(pilot.lastPilot).toBe(true);
    // Its refusal and this field agree: the pilot alone may not leave.
    expect(errorCodes(await users.coord2.gql(LEAVE, { id: pilot.id }))).toEqual(['CONFLICT']);
    // A second pilot, invited, is not active yet: the first is still the last, the invited one is not.
    const invited = await users.coord2.gql(`mutation ($c: ID!, $a: ID!) { inviteActor(coalitionId: $c, actorId: $a, role: PILOTE) { id status } }`, {
      c: coalition.secret,
      a: actor.partner1,
    });
    expect(invited.errors).toBeUndefined();
    const second = invited.data.inviteActor.id;
    expect((await read()).map((m) => [m.id, m.status, m.lastPilot])).toEqual(
      expect.arrayContaining([
        [pilot.id, 'ACTIVE', true],
        [second, 'INVITED', false],
      ]),
    );
    // Active, it frees the first: neither is the last one then, and the first may leave.
    await server.ds.query(`UPDATE membership SET status = 'ACTIVE' WHERE id = $1`, [second]);
    expect((await read()).filter((m) => m.role === 'PILOTE').map((m) => m.lastPilot)).toEqual([false, false]);
    expect((await read()).filter((m) => m.role !== 'PILOTE').every((m) => m.lastPilot === false)).toBe(true);
    await server.ds.query(`DELETE FROM membership WHERE id = $1`, [second]);
    expect((await read()).find((m) => m.id === pilot.id).lastPilot).toBe(true);
  });
});

describe('suggested partners', () => {
  it('ranks actors covering the territory by shared theme, coverage and missing sectors, with reasons', async () => {
    const res = await users.coord.gql(
      `query ($id: ID!) { suggestedPartners(coalitionId: $id, first: 50) {
      actor { id } score coveredCommunes communeCount sharedThemes missingSectors reasons { kind label } } }`,
      { id: coalition.c1 },
    );
    expect(res.errors).toBeUndefined();
    const mine = res.data.suggestedPartners.filter((s: any) => Object.values(actor).includes(s.actor.id));
    const keyOf = (id: string) => Object.entries(actor).find(([, v]) => v === id)![0];
    expect(mine.map((s: any) => keyOf(s.actor.id))).toEqual(['partner1', 'pilotB', 'college', 'bailleur', 'partner2']);
    const [partner1, , college, bailleur, partner2] = mine;
    expect(partner1.sharedThemes).toEqual(['sante-mentale-promotion']);
    expect(partner1.missingSectors.sort()).toEqual(['ASSOCIATIONS', 'SOCIAL']);
    expect(partner1.reasons.map((r: any) => r.kind)).toEqual(['SAME_THEME', 'COVERS_COMMUNES', 'MISSING_SECTOR']);
    expect(partner1.coveredCommunes).toBe(1);
    expect(partner1.reasons[1].label).toBe(`Couvre 1 des ${partner1.communeCount} communes du territoire`);
    expect(college.missingSectors).toEqual(['EDUCATION']);
    expect(bailleur.sharedThemes).toEqual([]);
    expect(bailleur.missingSectors).toEqual(['LOGEMENT']);
    expect(bailleur.coveredCommunes).toBe(bailleur.communeCount);
    expect(bailleur.reasons[0].label).toMatch(/^Couvre tout le territoire/);
    expect(partner2.reasons.map((r: any) => r.kind)).toEqual(['COVERS_COMMUNES', 'MISSING_SECTOR']);
    // Members are never suggested, nor actors outside the territory.
    const ids = res.data.suggestedPartners.map((s: any) => s.actor.id);
    expect(ids).not.toContain(actor.pilotA);
    expect(ids).not.toContain(actor.far);
  });

  it('calls an actor on the parent theme of a sub-theme coalition « Thème plus large », never « Même thème »', async () => {
    // A coalition on Tabac: partner2 works on Addictions, its parent; the others on santé mentale (no theme in common).
    const created = await users.coord.gql(CREATE_COALITION, {
      input: {
        name: 'Coal Moi(s) sans tabac du Verdunois',
        kind: 'THEMATIQUE',
        themes: ['addictions-tabac'],
        territory: { level: 'EPCI', code: verdunEpci },
        startDate: '2025-01-01',
        pilotActorId: actor.pilotA,
      },
    });
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    const res = await users.coord.gql(
      `query ($id: ID!) { suggestedPartners(coalitionId: $id, first: 50) { actor { id } score sharedThemes reasons { kind label } } }`,
      { id: created.data.createCoalition.id },
    );
    expect(res.errors).toBeUndefined();
    const byActor = new Map(res.data.suggestedPartners.map((s: any) => [s.actor.id, s]));
    const broader: any = byActor.get(actor.partner2);
    expect(broader.sharedThemes).toEqual(['addictions']);
    expect(broader.reasons.map((r: any) => [r.kind, r.label])[0]).toEqual(['BROADER_THEME', 'Thème plus large : Prévention des addictions']);
    expect(res.data.suggestedPartners.flatMap((s: any) => s.reasons).filter((r: any) => r.kind === 'SAME_THEME')).toEqual([]);
  });

  it('should not suggest for a members-only coalition one cannot see', async () => {
    expect(errorCodes(await server.gql(`{ suggestedPartners(coalitionId: "${coalition.secret}") { score } }`))).toEqual(['NOT_FOUND']);
  });
});

describe('the join workflow', () => {
  /** A coalition of the test's own, piloted by pilotA (users.coord), on the EPCI of Verdun. */
  async function ownCoalition(name: string, joinPolicy = 'APPROVAL'): Promise<string> {
    const res = await users.coord.gql(CREATE_COALITION, {
      input: {
        name: `Coal ${name}`,
        kind: 'CLSM',
        themes: ['sante-mentale'],
        territory: { level: 'EPCI', code: verdunEpci },
        startDate: '2025-01-01',
        pilotActorId: actor.pilotA,
        joinPolicy,
      },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data.createCoalition.id;
  }

  /** Asks, as `as`, for `actorKey` to join `c`; the request must be recorded. */
  async function request(as: CookieClient, c: string, actorKey: string, role?: string): Promise<string> {
    const res = await as.gql(REQUEST, { c, a: actor[actorKey], role });
    expect(res.data?.requestMembership?.status, JSON.stringify(res.errors)).toBe('REQUESTED');
    return res.data.requestMembership.id;
  }

  /** partner1's pending request (by users.member) to a coalition of the test's own. */
  async function pendingRequest(name: string): Promise<{ c: string; requestId: string }> {
    const c = await ownCoalition(name);
    return { c, requestId: await request(users.member, c, 'partner1', 'PARTENAIRE') };
  }

  /** pilotB becomes a second pilot of `c` through an invitation; returns another client of its user, coord2. */
  async function secondPilot(c: string): Promise<CookieClient> {
    const invite = await users.coord.gql(INVITE, { c, a: actor.pilotB, role: 'PILOTE' });
    expect(invite.errors).toBeUndefined();
    expect((await users.coord2.gql(ACCEPT_INVITATION, { id: invite.data.inviteActor.id })).data.acceptInvitation.status).toBe('ACTIVE');
    return logIn('coord2');
  }

  /**
   * A coalition with two pilots (pilotA, pilotB), partner1 an active PARTENAIRE after a first
   * request refused, and partner2 accepted then removed by a coordinator.
   */
  async function coalitionWithHistory(name: string): Promise<string> {
    const c = await ownCoalition(name);
    await secondPilot(c);
    expect((await users.coord.gql(REJECT, { id: await request(users.member, c, 'partner1', 'PARTENAIRE') })).data.rejectMembership.status).toBe('REJECTED');
    expect((await users.coord.gql(ACCEPT, { id: await request(users.member, c, 'partner1', 'PARTENAIRE') })).data.acceptMembership.status).toBe('ACTIVE');
    const partner2 = await request(users.other, c, 'partner2');
    expect((await users.coord.gql(ACCEPT, { id: partner2 })).data.acceptMembership.status).toBe('ACTIVE');
    expect((await users.coord.gql(LEAVE, { id: partner2 })).data.leaveCoalition.status).toBe('LEFT');
    return c;
  }

  it('should refuse requests from visitors, for actors one does not represent, for forged ids, and as pilot', async () => {
    expect(errorCodes(await server.gql(REQUEST, { c: coalition.c1, a: actor.partner1 }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await users.member.gql(REQUEST, { c: coalition.c1, a: actor.partner2 }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.member.gql(REQUEST, { c: FORGED, a: actor.partner1 }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.member.gql(REQUEST, { c: 'pas-un-uuid', a: actor.partner1 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await users.member.gql(REQUEST, { c: coalition.c1, a: FORGED }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.member.gql(REQUEST, { c: coalition.c1, a: actor.partner1, role: 'PILOTE' }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.member.gql(REQUEST, { c: coalition.ended, a: actor.partner1 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('records a request once: a second one while pending is refused, even sent at the same time', async () => {
    const c = await ownCoalition('demande unique');
    const [a, b] = await Promise.all([
      users.member.gql(REQUEST, { c, a: actor.partner1, role: 'PARTENAIRE' }),
      users.member.gql(REQUEST, { c, a: actor.partner1, role: 'PARTENAIRE' }),
    ]);
    const results = [a, b];
    const ok = results.filter((r) => !r.errors);
    expect(ok).toHaveLength(1);
    expect(results.flatMap(errorCodes)).toEqual(['CONFLICT']);
    expect(ok[0].data.requestMembership).toMatchObject({ status: 'REQUESTED', role: 'PARTENAIRE' });
    expect(errorCodes(await users.member.gql(REQUEST, { c, a: actor.partner1 }))).toEqual(['CONFLICT']);
  });

  it('shows the pending request to coordinators and to the requester only', async () => {
    const { c, requestId } = await pendingRequest('demande visible');
    const Q = `query ($id: ID!) { coalition(id: $id) { members(statuses: [REQUESTED]) { id } } }`;
    const pending = async (client: { gql: TestServer['gql'] }) => {
      const res = await client.gql(Q, { id: c });
      expect(res.errors).toBeUndefined();
      return res.data.coalition.members;
    };
    expect(await pending(server)).toEqual([]);
    expect(await pending(users.other)).toEqual([]);
    expect(await pending(users.coord)).toEqual([{ id: requestId }]);
    expect(await pending(users.member)).toEqual([{ id: requestId }]);
    const mine = await users.member.gql(`{ me { memberships { id status coalition { id } } } }`);
    expect(mine.data.me.memberships).toContainEqual({ id: requestId, status: 'REQUESTED', coalition: { id: c } });
  });

  it('should not let anyone but a coordinator of that coalition decide', async () => {
    const { requestId } = await pendingRequest('décision réservée');
    expect(errorCodes(await server.gql(ACCEPT, { id: requestId }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await users.member.gql(ACCEPT, { id: requestId }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.other.gql(REJECT, { id: requestId }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.outsider.gql(ACCEPT, { id: requestId }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord2.gql(ACCEPT, { id: requestId }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.analyst11.gql(ACCEPT, { id: requestId }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord.gql(ACCEPT, { id: FORGED }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await users.coord.gql(ACCEPT, { id: 'x' }))).toEqual(['BAD_USER_INPUT']);
    // An invitation is answered by the actor, not decided by the coordinator.
    expect(errorCodes(await users.coord.gql(ACCEPT_INVITATION, { id: requestId }))).toEqual(['FORBIDDEN']);
  });

  it('gives one decision and one CONFLICT when two coordinators decide at once', async () => {
    const { c, requestId } = await pendingRequest('deux décisions');
    // coord2 becomes a second pilot of the coalition through an invitation.
    const coord2 = await secondPilot(c);
    const [a, b] = await Promise.all([users.coord.gql(ACCEPT, { id: requestId }), coord2.gql(REJECT, { id: requestId })]);
    const results = [a, b];
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.flatMap(errorCodes)).toEqual(['CONFLICT']);
    const [row] = await server.ds.query(`SELECT status FROM membership WHERE id = $1`, [requestId]);
    const winner = results.find((r) => !r.errors)!;
    expect(row.status).toBe(winner.data.acceptMembership?.status ?? winner.data.rejectMembership?.status);
    const events = await server.ds.query(`SELECT to_status FROM membership_event WHERE membership_id = $1 ORDER BY id`, [requestId]);
    expect(events.map((e: any) => e.to_status)).toEqual(['REQUESTED', row.status]);
  });

  it('gives one success and one CONFLICT for two identical accepts at once', async () => {
    const c = await ownCoalition('deux acceptations');
    const coord2 = await secondPilot(c);
    const id = await request(users.other, c, 'partner2');
    const results = await Promise.all([users.coord.gql(ACCEPT, { id }), coord2.gql(ACCEPT, { id })]);
    expect(results.filter((r) => !r.errors).map((r) => r.data.acceptMembership.status)).toEqual(['ACTIVE']);
    expect(results.flatMap(errorCodes)).toEqual(['CONFLICT']);
  });

  it('joins an open coalition at once', async () => {
    const c = await ownCoalition('ouverte', 'OPEN');
    const res = await users.member.gql(REQUEST, { c, a: actor.partner1 });
    expect(res.data.requestMembership.status).toBe('ACTIVE');
  });

  it('keeps the whole history when an actor leaves and joins again', async () => {
    const { c, requestId } = await pendingRequest('historique');
    expect((await users.coord.gql(ACCEPT, { id: requestId })).data.acceptMembership.status).toBe('ACTIVE');
    const left = await users.member.gql(LEAVE, { id: requestId });
    expect(left.data.leaveCoalition.status).toBe('LEFT');
    expect(errorCodes(await users.member.gql(LEAVE, { id: requestId }))).toEqual(['CONFLICT']);
    const again = await users.member.gql(REQUEST, { c, a: actor.partner1, role: 'PARTENAIRE' });
    expect(again.data.requestMembership.status).toBe('REQUESTED');
    expect((await users.coord.gql(ACCEPT, { id: again.data.requestMembership.id })).data.acceptMembership.status).toBe('ACTIVE');
    const H = `query ($id: ID!) { coalition(id: $id) { members { id actor { id } history { fromStatus toStatus byName } } } }`;
    const res = await users.member.gql(H, { id: c });
    const mine = res.data.coalition.members.find((m: any) => m.actor.id === actor.partner1);
    expect(mine.id).toBe(again.data.requestMembership.id);
    const steps = mine.history.map((e: any) => `${e.fromStatus ?? '-'}>${e.toStatus}`);
    expect(steps.slice(-5)).toEqual(['-:REQUESTED', 'REQUESTED:ACTIVE', 'ACTIVE:LEFT', '-:REQUESTED', 'REQUESTED:ACTIVE'].map((s) => s.replace(':', '>')));
    expect(mine.history.every((e: any) => !String(e.byName).includes('@'))).toBe(true);
    expect(mine.history.at(-1).byName).toBe('Personne coord');
    const who = `query ($id: ID!) { coalition(id: $id) { members { actor { id } requestedByName decidedByName } } }`;
    const asMember = (await users.member.gql(who, { id: c })).data.coalition.members.find((m: any) => m.actor.id === actor.partner1);
    expect(asMember).toMatchObject({ requestedByName: 'Personne member', decidedByName: 'Personne coord' });
    const asVisitor = (await server.gql(who, { id: c })).data.coalition.members.find((m: any) => m.actor.id === actor.partner1);
    expect(asVisitor).toMatchObject({ requestedByName: null, decidedByName: null });
    // History is not for visitors nor for other members.
    const visitor = await server.gql(`query ($id: ID!) { coalition(id: $id) { history { toStatus } } }`, { id: c });
    expect(errorCodes(visitor)).toEqual(['FORBIDDEN']);
    const stranger = await users.other.gql(H, { id: c });
    expect(stranger.data.coalition.members.find((m: any) => m.actor.id === actor.partner1).history).toBeNull();
    expect((await server.gql(H, { id: c })).data.coalition.members.every((m: any) => m.history === null)).toBe(true);
  });

  it('should not let another member remove a member, but lets a coordinator', async () => {
    const c = await ownCoalition('retrait');
    expect((await users.coord.gql(ACCEPT, { id: await request(users.member, c, 'partner1') })).data.acceptMembership.status).toBe('ACTIVE');
    const partner2 = await request(users.other, c, 'partner2');
    expect((await users.coord.gql(ACCEPT, { id: partner2 })).data.acceptMembership.status).toBe('ACTIVE');
    expect(errorCodes(await users.member.gql(LEAVE, { id: partner2 }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await server.gql(LEAVE, { id: partner2 }))).toEqual(['UNAUTHENTICATED']);
    expect((await users.coord.gql(LEAVE, { id: partner2 })).data.leaveCoalition.status).toBe('LEFT');
  });

  it('reports members by role and sector and the intersectorality', async () => {
    const id = await coalitionWithHistory('par rôle et secteur');
    const res = await server.gql(
      `query ($id: ID!) { coalition(id: $id) { memberCount
      membersByRole { role members { actor { id } } }
      membersBySector { sector actors { id } }
      intersectorality { ratio present { category count } missing { category } } } }`,
      { id },
    );
    expect(res.errors).toBeUndefined();
    const c = res.data.coalition;
    expect(c.memberCount).toBe(3);
    expect(c.membersByRole.map((g: any) => [g.role, g.members.length])).toEqual([
      ['PILOTE', 2],
      ['PARTENAIRE', 1],
    ]);
    expect(c.membersBySector).toEqual([
      { sector: 'SANTE', actors: expect.arrayContaining([{ id: actor.pilotA }, { id: actor.pilotB }]) },
      { sector: 'SOCIAL', actors: [{ id: actor.partner1 }] },
    ]);
    expect(c.intersectorality.present).toEqual([
      { category: 'SANTE', count: 2 },
      { category: 'SOCIAL', count: 1 },
      { category: 'ASSOCIATIONS', count: 1 },
    ]);
    expect(c.intersectorality.missing.map((s: any) => s.category)).toEqual(['EDUCATION', 'LOGEMENT', 'COLLECTIVITES', 'ETAT', 'USAGERS']);
    expect(c.intersectorality.ratio).toBeCloseTo(3 / 8);
  });

  it('never exposes the email of a person outside `me`', async () => {
    const id = await coalitionWithHistory('sans courriel');
    const res = await users.coord.gql(
      `query ($id: ID!) { coalition(id: $id) { members(statuses: [ACTIVE, LEFT, REJECTED, REQUESTED]) {
      actor { name } history { byName } coalition { name } } history { byName } } }`,
      { id },
    );
    expect(JSON.stringify(res)).not.toContain(DOMAIN);
    const types = await server.gql(`{ __schema { types { name fields { name } } } }`);
    const withEmail = types.data.__schema.types.filter((t: any) => t.fields?.some((f: any) => f.name === 'email')).map((t: any) => t.name);
    // Actor.email is the organisation's public address, not a person's.
    expect(withEmail.sort()).toEqual(['Actor', 'User']);
  });
});

describe('listing coalitions', () => {
  it('filters by territory (inside or containing), theme and kind, hides ended ones unless asked, and pages', async () => {
    const Q = `query ($filter: CoalitionFilter, $first: Int, $after: String) { coalitions(filter: $filter, first: $first, after: $after) {
      totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
    const ids = async (filter: Record<string, unknown>) =>
      (await server.gql(Q, { filter, first: 200 })).data.coalitions.edges
        .map((e: any) => e.node.id)
        .filter((id: string) => Object.values(coalition).includes(id));
    // A commune sees the coalitions of its EPCI and of its département, and its own.
    expect((await ids({ territory: { level: 'COMMUNE', code: '55545' } })).sort()).toEqual([coalition.c1, coalition.open, coalition.g1, coalition.g2].sort());
    expect(await ids({ territory: { level: 'DEPARTEMENT', code: '93' } })).toEqual([]);
    expect(await ids({ territory: { level: 'COMMUNE', code: '55545' }, themes: ['addictions-tabac'] })).toEqual([coalition.open]);
    expect(await ids({ kinds: ['CLSM'] })).toEqual([coalition.c1]);
    expect(await ids({ kinds: ['CONVENTION'] })).toEqual([]);
    expect(await ids({ kinds: ['CONVENTION'], includeEnded: true })).toEqual([coalition.ended]);
    // An actor of the test's own joins c1 (on approval) and the open coalition, then leaves both.
    const joiner = (
      await server.createActor({
        source: SOURCE,
        name: 'Coal Asso qui rejoint',
        kind: 'ASSOCIATION',
        sector: 'SOCIAL',
        themes: ['addictions'],
        territories: [{ level: 'COMMUNE', code: '55545' }],
      })
    ).id;
    const joinerUser = await server.signedIn({ email: `joiner${DOMAIN}`, password: PASSWORD, actorIds: [joiner] });
    const joined = (await joinerUser.gql(REQUEST, { c: coalition.open, a: joiner })).data.requestMembership;
    expect(joined.status).toBe('ACTIVE');
    const requested = (await joinerUser.gql(REQUEST, { c: coalition.c1, a: joiner })).data.requestMembership;
    expect((await users.coord.gql(ACCEPT, { id: requested.id })).data.acceptMembership.status).toBe('ACTIVE');
    expect(await ids({ actorId: joiner })).toEqual(expect.arrayContaining([coalition.c1, coalition.open]));
    for (const id of [joined.id, requested.id]) expect((await joinerUser.gql(LEAVE, { id })).data.leaveCoalition.status).toBe('LEFT');
    const page1 = await server.gql(Q, { filter: { territory: { level: 'COMMUNE', code: '55545' } }, first: 1 });
    expect(page1.data.coalitions.pageInfo.hasNextPage).toBe(true);
    const page2 = await server.gql(Q, {
      filter: { territory: { level: 'COMMUNE', code: '55545' } },
      first: 1,
      after: page1.data.coalitions.pageInfo.endCursor,
    });
    expect(page2.data.coalitions.edges[0].node.id).not.toBe(page1.data.coalitions.edges[0].node.id);
    expect(errorCodes(await server.gql(Q, { first: 1, after: 'garbage' }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('batching', () => {
  it('reads a page of coalitions with territories, members, actors and histories in the same number of queries, whatever its size', async () => {
    const Q = `query ($first: Int) { coalitions(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: $first) { edges { node {
      territory { name } themes { code } memberCount members { actor { name } coalition { id } history { toStatus } } intersectorality { ratio } } } } }`;
    const count = async (first: number) => {
      server.queries.length = 0;
      const res = await users.analyst44.gql(Q, { first });
      expect(res.errors).toBeUndefined();
      expect(res.data.coalitions.edges.length).toBe(first);
      return server.queries.length;
    };
    expect(await count(5)).toBe(await count(1));
  });
});

describe('graphs', () => {
  const GRAPH = `query ($scope: TerritoryRefInput!, $themes: [String!]) { coalitionGraph(scope: $scope, themes: $themes) {
    nodes { id kind degree betweenness component isolated } edges { source target kind role partnershipKind }
    components { index actorCount coalitionCount } isolatedActorCount truncated } }`;

  it('computes degree, betweenness and components so that the bridging and isolated actors stand out', async () => {
    const res = await server.gql(GRAPH, { scope: { level: 'COMMUNE', code: '55545' }, themes: ['sante-environnement-bruit'] });
    expect(res.errors).toBeUndefined();
    const g = res.data.coalitionGraph;
    const node = (id: string) => g.nodes.find((n: any) => n.id === id);
    for (const k of ['X', 'Y1', 'Y2', 'Z1', 'P', 'I']) expect(node(actor[k]), k).toBeDefined();
    expect(node(coalition.g1).kind).toBe('COALITION');
    const degree = Object.fromEntries(['X', 'Y1', 'Y2', 'Z1', 'P', 'I'].map((k) => [k, node(actor[k]).degree]));
    expect(degree).toEqual({ X: 2, Y1: 1, Y2: 1, Z1: 2, P: 1, I: 0 });
    expect(node(coalition.g1).degree).toBe(3);
    expect(node(coalition.g2).degree).toBe(2);
    // In the tree Y1,Y2–G1–X–G2–Z1–P, X separates 3×3 pairs, Z1 1×5, leaves none.
    const bx = node(actor.X).betweenness;
    expect(bx).toBeGreaterThan(0);
    expect(node(actor.Z1).betweenness / bx).toBeCloseTo(5 / 9, 5);
    expect(node(coalition.g1).betweenness).toBeCloseTo(bx, 6);
    expect(node(actor.Y1).betweenness).toBe(0);
    const actorsOfComponent = g.nodes.filter((n: any) => n.kind === 'ACTOR' && n.component === node(actor.X).component);
    expect(Math.max(...actorsOfComponent.map((n: any) => n.betweenness))).toBe(bx);
    // One component holds the seven linked nodes; the isolated actor is alone in its own.
    const comp = g.components.find((c: any) => c.index === node(actor.X).component);
    expect(comp).toEqual({ index: node(actor.X).component, actorCount: 5, coalitionCount: 2 });
    expect(node(actor.I)).toMatchObject({ isolated: true, degree: 0, component: null });
    expect(g.isolatedActorCount).toBeGreaterThanOrEqual(1);
    expect(g.isolatedActorCount).toBe(g.nodes.filter((n: any) => n.isolated).length);
    expect(g.edges).toContainEqual({ source: actor.Z1, target: actor.P, kind: 'PARTNERSHIP', role: null, partnershipKind: 'CONVENTION' });
    expect(g.edges.filter((e: any) => (e.kind === 'MEMBERSHIP' && e.target === coalition.g1) || e.source === coalition.g1)).toHaveLength(3);
    expect(g.truncated).toBe(false);
  });

  it('walks an actor’s network ring by ring through coalitions and partnerships', async () => {
    const Q = `query ($id: ID!, $d: Int!) { actorNetwork(actorId: $id, depth: $d) { nodes { id kind depth degree } edges { source target kind } } }`;
    const at = async (d: number) => {
      const res = await server.gql(Q, { id: actor.Y1, d });
      expect(res.errors).toBeUndefined();
      return Object.fromEntries(res.data.actorNetwork.nodes.map((n: any) => [n.id, n.depth]));
    };
    const keyed = (m: Record<string, number>) =>
      Object.fromEntries(Object.entries(m).map(([id, d]) => [Object.entries({ ...actor, ...coalition }).find(([, v]) => v === id)?.[0] ?? id, d]));
    expect(keyed(await at(1))).toEqual({ Y1: 0, g1: 1, X: 1, Y2: 1 });
    expect(keyed(await at(2))).toEqual({ Y1: 0, g1: 1, X: 1, Y2: 1, g2: 2, Z1: 2 });
    expect(keyed(await at(3))).toEqual({ Y1: 0, g1: 1, X: 1, Y2: 1, g2: 2, Z1: 2, P: 3 });
    expect(errorCodes(await server.gql(Q, { id: actor.Y1, d: 4 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await server.gql(Q, { id: FORGED, d: 1 }))).toEqual(['NOT_FOUND']);
  });

  it('should not reveal members-only coalitions in an actor’s network to visitors', async () => {
    const Q = `query ($id: ID!) { actorNetwork(actorId: $id, depth: 1) { nodes { id } } }`;
    const visitor = (await server.gql(Q, { id: actor.pilotB })).data.actorNetwork.nodes.map((n: any) => n.id);
    expect(visitor).not.toContain(coalition.secret);
    const member = (await users.coord2.gql(Q, { id: actor.pilotB })).data.actorNetwork.nodes.map((n: any) => n.id);
    expect(member).toContain(coalition.secret);
  });
});
