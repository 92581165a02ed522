import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok, VERDUN_CPTS } from '../helpers/factories.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { MEUSE } from '../helpers/places.js';

const SOURCE = 'test:mon-espace.test.ts';
const DOMAIN = '@test-mon-espace.local';

let server: TestServer;
const { actor, users, coalition, createActors, createRegionalAnalysts, createUser, createCoalition } = fixtures(() => server, {
  source: SOURCE,
  domain: DOMAIN,
});
/** The pending request of `asso` in each coalition, by coalition key. */
const request: Record<string, string> = {};

const PENDING = `query ($first: Int) { pendingRequestsToDecide(first: $first) { id coalition { id } actor { id } } pendingRequestsToDecideCount }`;
const REQUEST = `mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id status } }`;

const pendingOf = async (client: CookieClient) => {
  const data = await ok<{ pendingRequestsToDecide: { id: string; coalition: { id: string } | null }[]; pendingRequestsToDecideCount: number }>(
    client.gql(PENDING, { first: 200 }),
  );
  return { ids: data.pendingRequestsToDecide.map((m) => m.id).sort(), count: data.pendingRequestsToDecideCount };
};

beforeAll(async () => {
  server = await startTestServer();
  const place = { sector: 'SOCIAL', themes: ['sante-mentale'], territories: [MEUSE] };
  await createActors({
    pilotA: { ...VERDUN_CPTS, name: 'Espace pilote A' },
    pilotB: { ...VERDUN_CPTS, name: 'Espace pilote B' },
    asso: { ...place, kind: 'ASSOCIATION', name: 'Espace association' },
    other: { ...place, kind: 'ASSOCIATION', name: 'Espace autre association' },
  });
  await createUser('coordA', 'COORDINATOR', ['pilotA']);
  await createUser('coordB', 'COORDINATOR', ['pilotB']);
  await createUser('member', 'MEMBER', ['asso']);
  await createUser('otherMember', 'MEMBER', ['other']);
  await createRegionalAnalysts();
  const base = { kind: 'THEMATIQUE', themes: ['sante-mentale'], territory: MEUSE };
  await createCoalition('a', users.coordA, { ...base, name: 'Espace coalition A', pilotActorId: actor.pilotA });
  // A public coalition: anyone sees it and its active members, only its coordinators its requests.
  await createCoalition('b', users.coordB, { ...base, name: 'Espace coalition B', pilotActorId: actor.pilotB });
  for (const key of ['a', 'b']) request[key] = (await ok(users.member.gql(REQUEST, { c: coalition[key], a: actor.asso }))).requestMembership.id;
});

afterAll(async () => {
  await server?.ds.query(`DELETE FROM coalition WHERE id = ANY($1)`, [Object.values(coalition)]);
  await server?.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server?.ds.query(`DELETE FROM user_account WHERE email LIKE $1`, [`%${DOMAIN}`]);
  await server?.close();
});

describe('pendingRequestsToDecide', () => {
  it('should give each coordinator the pending requests of the coalitions it manages, and those only', async () => {
    expect(await pendingOf(users.coordA)).toEqual({ ids: [request.a], count: 1 });
    expect(await pendingOf(users.coordB)).toEqual({ ids: [request.b], count: 1 });
  });

  it('should give a member, an analyst of another région and a visitor nothing', async () => {
    expect(await pendingOf(users.member)).toEqual({ ids: [], count: 0 });
    expect(await pendingOf(users.analyst11)).toEqual({ ids: [], count: 0 });
    expect(errorCodes(await server.gql(PENDING, { first: 10 }))).toEqual(['UNAUTHENTICATED']);
    expect((await server.gql(`{ pendingRequestsToDecideCount }`)).data).toEqual({ pendingRequestsToDecideCount: 0 });
  });

  it('should give an ARS analyst of the région and an administrator the requests of every coalition they oversee', async () => {
    const analyst = await pendingOf(users.analyst44);
    expect(analyst.ids).toEqual(expect.arrayContaining([request.a, request.b].sort()));
    const admin = await ok(server.admin.gql(PENDING, { first: 200 }));
    expect(admin.pendingRequestsToDecide.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining([request.a, request.b]));
  });

  it('should not show a coordinator another coalition’s requests through a nested path', async () => {
    // Through its own list: the coalition of a request, its members of every status.
    const nested = await ok(
      users.coordA.gql(
        `{ pendingRequestsToDecide { coalition { id members(statuses: [REQUESTED]) { id } } actor { coalitionMemberships(statuses: [REQUESTED]) { id } } } }`,
      ),
    );
    const ids = JSON.stringify(nested);
    expect(ids).toContain(request.a);
    expect(ids).not.toContain(request.b);
    // Through the other coalition itself, by id, as a literal and as a variable, and through the requesting actor.
    const literal = await ok(users.coordA.gql(`{ coalition(id: "${coalition.b}") { members(statuses: [REQUESTED]) { id } } }`));
    const variable = await ok(users.coordA.gql(`query ($id: ID!) { coalition(id: $id) { members(statuses: [REQUESTED]) { id } } }`, { id: coalition.b }));
    const viaActor = await ok(
      users.coordA.gql(`query ($id: ID!) { actor(id: $id) { coalitionMemberships(statuses: [REQUESTED]) { id } } }`, { id: actor.asso }),
    );
    expect([literal.coalition.members, variable.coalition.members]).toEqual([[], []]);
    // The requesting actor's pending memberships: the one of the coordinator's coalition only.
    expect(viaActor.actor.coalitionMemberships).toEqual([{ id: request.a }]);
  });

  it('should refuse another coalition’s coordinator the decision, from « Mon espace » as from anywhere, and change nothing', async () => {
    for (const mutation of ['acceptMembership', 'rejectMembership']) {
      const res = await users.coordA.gql(`mutation ($id: ID!) { ${mutation}(membershipId: $id) { id status } }`, { id: request.b });
      expect(errorCodes(res)).toEqual(['FORBIDDEN']);
      expect(res.errors![0].message).toBe('Seuls les coordinateurs de cette coalition décident des demandes.');
    }
    const [{ status }] = await server.ds.query(`SELECT status FROM membership WHERE id = $1`, [request.b]);
    expect(status).toBe('REQUESTED');
    expect(await pendingOf(users.coordB)).toEqual({ ids: [request.b], count: 1 });
  });

  it('should refuse a page size over its cap', async () => {
    expect(errorCodes(await users.coordA.gql(PENDING, { first: 1000 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('should drop a request from the list once decided', async () => {
    await ok(users.coordA.gql(`mutation ($id: ID!) { acceptMembership(membershipId: $id) { id } }`, { id: request.a }));
    expect(await pendingOf(users.coordA)).toEqual({ ids: [], count: 0 });
  });
});

describe('leaving a coalition from « Mon espace »', () => {
  it('should end the membership through the transition table and write it in the history', async () => {
    const left = await ok(users.member.gql(`mutation ($id: ID!) { leaveCoalition(membershipId: $id) { id status endedAt } }`, { id: request.a }));
    expect(left.leaveCoalition).toMatchObject({ id: request.a, status: 'LEFT' });
    expect(left.leaveCoalition.endedAt).not.toBeNull();
    const history = await ok(
      users.coordA.gql(`query ($id: ID!) { coalition(id: $id) { history { membershipId fromStatus toStatus byName } } }`, { id: coalition.a }),
    );
    expect(history.coalition.history.filter((e: { membershipId: string }) => e.membershipId === request.a)).toEqual([
      { membershipId: request.a, fromStatus: null, toStatus: 'REQUESTED', byName: 'Personne member' },
      { membershipId: request.a, fromStatus: 'REQUESTED', toStatus: 'ACTIVE', byName: 'Personne coordA' },
      { membershipId: request.a, fromStatus: 'ACTIVE', toStatus: 'LEFT', byName: 'Personne member' },
    ]);
    const me = await ok(users.member.gql(`{ me { memberships { id status } } }`));
    expect(me.me.memberships).toContainEqual({ id: request.a, status: 'LEFT' });
  });

  it('should not let another actor’s representative end a membership, and keep it unchanged', async () => {
    const res = await users.otherMember.gql(`mutation ($id: ID!) { leaveCoalition(membershipId: $id) { id } }`, { id: request.b });
    expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    const [{ status }] = await server.ds.query(`SELECT status FROM membership WHERE id = $1`, [request.b]);
    expect(status).toBe('REQUESTED');
  });
});

describe('Actor.representatives', () => {
  const REPS = `query ($id: ID!) { actor(id: $id) { representatives } }`;

  it('should name the representatives to themselves and to administrators, never their e-mails', async () => {
    expect((await ok(users.member.gql(REPS, { id: actor.asso }))).actor.representatives).toEqual(['Personne member']);
    expect((await ok(server.admin.gql(REPS, { id: actor.asso }))).actor.representatives).toEqual(['Personne member']);
  });

  it('should give null to anyone else, directly or through a coalition’s members', async () => {
    for (const client of [users.otherMember, users.coordB, users.analyst44]) {
      expect((await ok(client.gql(REPS, { id: actor.asso }))).actor.representatives).toBeNull();
    }
    expect((await server.gql(REPS, { id: actor.asso })).data.actor.representatives).toBeNull();
    const viaMembers = await ok(
      users.otherMember.gql(`query ($id: ID!) { coalition(id: $id) { members { actor { representatives } } } }`, { id: coalition.a }),
    );
    expect(viaMembers.coalition.members.every((m: { actor: { representatives: unknown } }) => m.actor.representatives === null)).toBe(true);
  });
});
