import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok } from '../helpers/factories.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Members-only coalitions attacked from every path that returns a coalition or a membership, by
 * users who once had a membership (declined, left, rejected), by users who have one pending
 * (invited, requested: they see what it is, never who is in it) and by an ARS analyst of another
 * région. Secrets are unique strings: any response that contains them leaks.
 */
const SOURCE = 'test:coalition-visibility.test.ts';
const DOMAIN = '@test-coalition-visibility.local';
/** What no one outside the coalition may read: its name, its description, the name of its active member. */
const SECRET = {
  name: 'Visi Cellule très confidentielle',
  description: 'Description secrète : cellule de crise du nord meusien',
  member: 'Visi Membre actif caché',
};

let server: TestServer;
const { actor, users, coalition, createActor, createRegionalAnalysts, createUser } = fixtures(() => server, { source: SOURCE, domain: DOMAIN });
const membership: Record<string, string> = {};

/** True if the response shows anything of the members-only coalition beyond its id. */
const leaks = (res: unknown) => {
  const text = JSON.stringify(res);
  return Object.values(SECRET).some((s) => text.includes(s));
};

const ids = (list: { id: string }[]) => list.map((x) => x.id);

const REQUEST = `mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id status } }`;
const INVITE = `mutation ($c: ID!, $a: ID!) { inviteActor(coalitionId: $c, actorId: $a) { id status } }`;
/** Every nested field a hostile user would try on a membership it got back. */
const MEMBERSHIP_FIELDS = `id coalitionId status requestedByName decidedByName history { toStatus byName }
  coalition { id name description memberCount members { actor { name } } membersByRole { members { actor { name } } }
    membersBySector { actors { name } } intersectorality { ratio } }`;

beforeAll(async () => {
  server = await startTestServer();
  const meuse = [{ level: 'DEPARTEMENT', code: '55' }];
  // Each actor is represented by an account of the same key: the pilot's coordinator, members otherwise.
  for (const [key, name] of [
    ['pilot', 'Visi CPTS pilote'],
    ['member', SECRET.member],
    ['declined', 'Visi Asso qui décline'],
    ['left', 'Visi Asso qui part'],
    ['rejected', 'Visi Asso refusée'],
    ['invited', 'Visi Asso invitée'],
    ['requester', 'Visi Asso en attente'],
  ]) {
    await createActor(key, { name, kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['sante-mentale'], territories: meuse });
    if (key === 'pilot') await createUser('coord', 'COORDINATOR', [key]);
    else await createUser(key, 'MEMBER', [key]);
  }
  await createRegionalAnalysts();

  const create = `mutation ($input: CreateCoalitionInput!) { createCoalition(input: $input) { id version } }`;
  const secret = await ok(
    users.coord.gql(create, {
      input: {
        name: SECRET.name,
        description: SECRET.description,
        kind: 'COOPERATIVE',
        themes: ['sante-mentale'],
        territory: { level: 'DEPARTEMENT', code: '55' },
        joinPolicy: 'APPROVAL',
        pilotActorId: actor.pilot,
      },
    }),
  );
  coalition.secret = secret.createCoalition.id;
  // A public coalition the pilot also belongs to: a way in to the pilot's other memberships.
  coalition.open = (
    await ok(
      users.coord.gql(create, {
        input: {
          name: 'Visi Réseau public',
          kind: 'THEMATIQUE',
          themes: ['sante-mentale'],
          territory: { level: 'DEPARTEMENT', code: '55' },
          pilotActorId: actor.pilot,
        },
      }),
    )
  ).createCoalition.id;

  // Two requests while the coalition is still public; then it becomes members-only.
  membership.rejected = (await ok(users.rejected.gql(REQUEST, { c: coalition.secret, a: actor.rejected }))).requestMembership.id;
  membership.requester = (await ok(users.requester.gql(REQUEST, { c: coalition.secret, a: actor.requester }))).requestMembership.id;
  await ok(
    users.coord.gql(`mutation ($id: ID!, $v: Int!) { updateCoalition(id: $id, version: $v, input: { visibility: MEMBERS }) { id } }`, {
      id: coalition.secret,
      v: secret.createCoalition.version,
    }),
  );
  for (const key of ['member', 'declined', 'left', 'invited']) {
    membership[key] = (await ok(users.coord.gql(INVITE, { c: coalition.secret, a: actor[key] }))).inviteActor.id;
  }
  await ok(users.member.gql(`mutation ($id: ID!) { acceptInvitation(membershipId: $id) { id } }`, { id: membership.member }));
  await ok(users.left.gql(`mutation ($id: ID!) { acceptInvitation(membershipId: $id) { id } }`, { id: membership.left }));
  await ok(users.coord.gql(`mutation ($id: ID!) { rejectMembership(membershipId: $id) { id } }`, { id: membership.rejected }));
});

afterAll(() => server?.close());

describe('the answer of the mutation that ends a membership', () => {
  it('should not show the coalition to the actor that declines its invitation', async () => {
    const res = await users.declined.gql(`mutation ($id: ID!) { declineInvitation(membershipId: $id) { ${MEMBERSHIP_FIELDS} } }`, { id: membership.declined });
    expect(res.errors).toBeUndefined();
    expect(res.data.declineInvitation).toMatchObject({
      id: membership.declined,
      coalitionId: coalition.secret,
      status: 'REJECTED',
      coalition: null,
      history: null,
    });
    expect(leaks(res)).toBe(false);
  });

  it('should not show the coalition to the actor that leaves it', async () => {
    const res = await users.left.gql(`mutation ($id: ID!) { leaveCoalition(membershipId: $id) { ${MEMBERSHIP_FIELDS} } }`, { id: membership.left });
    expect(res.errors).toBeUndefined();
    expect(res.data.leaveCoalition).toMatchObject({ status: 'LEFT', coalition: null, history: null, decidedByName: null });
    expect(leaks(res)).toBe(false);
  });
});

describe('an ended membership (declined, left, rejected)', () => {
  const hostile = ['declined', 'left', 'rejected'] as const;

  it('should show in `me` only the coalition’s id and the membership’s own status', async () => {
    for (const key of hostile) {
      const res = await users[key].gql(`{ me { memberships { ${MEMBERSHIP_FIELDS} } } }`);
      expect(res.errors, key).toBeUndefined();
      const mine = res.data.me.memberships.filter((m: any) => m.coalitionId === coalition.secret);
      expect(mine, key).toEqual([
        expect.objectContaining({ status: key === 'left' ? 'LEFT' : 'REJECTED', coalition: null, history: null, requestedByName: null, decidedByName: null }),
      ]);
      expect(leaks(res), key).toBe(false);
    }
  });

  it('should not show the coalition through the actor’s own memberships, nor through the memberships of its members', async () => {
    const Q = `query ($own: ID!, $pilot: ID!, $member: ID!) {
      own: actor(id: $own) { coalitionMemberships(statuses: [ACTIVE, REQUESTED, INVITED, REJECTED, LEFT]) { ${MEMBERSHIP_FIELDS} } }
      pilot: actor(id: $pilot) { coalitionMemberships(statuses: [ACTIVE, REQUESTED, INVITED, REJECTED, LEFT]) { ${MEMBERSHIP_FIELDS} } }
      member: actor(id: $member) { coalitionMemberships { ${MEMBERSHIP_FIELDS} } } }`;
    for (const key of hostile) {
      const res = await users[key].gql(Q, { own: actor[key], pilot: actor.pilot, member: actor.member });
      expect(res.errors, key).toBeUndefined();
      expect(
        res.data.own.coalitionMemberships.map((m: any) => m.coalition),
        key,
      ).toEqual([null]);
      expect(
        res.data.pilot.coalitionMemberships.map((m: any) => m.coalitionId),
        key,
      ).toEqual([coalition.open]);
      expect(res.data.member.coalitionMemberships, key).toEqual([]);
      expect(leaks(res), key).toBe(false);
    }
  });

  it('should answer NOT_FOUND by id, with a literal or a variable, and for suggestions and new requests', async () => {
    for (const key of hostile) {
      const c = users[key];
      expect(errorCodes(await c.gql(`query ($id: ID!) { coalition(id: $id) { name } }`, { id: coalition.secret })), key).toEqual(['NOT_FOUND']);
      const literal = await c.gql(`{ coalition(id: "${coalition.secret}") { name description members { actor { name } } } }`);
      expect(errorCodes(literal), key).toEqual(['NOT_FOUND']);
      expect(leaks(literal)).toBe(false);
      expect(errorCodes(await c.gql(`query ($id: ID!) { suggestedPartners(coalitionId: $id) { score } }`, { id: coalition.secret })), key).toEqual([
        'NOT_FOUND',
      ]);
      expect(errorCodes(await c.gql(REQUEST, { c: coalition.secret, a: actor[key] })), key).toEqual(['NOT_FOUND']);
    }
  });

  it('should not list the coalition, nor match it by member, nor draw it in a graph', async () => {
    const Q = `query ($scope: TerritoryRefInput!, $filter: CoalitionFilter, $pilot: ID!, $own: ID!) {
      all: coalitions(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: 200) { totalCount edges { node { id name } } }
      byMember: coalitions(filter: $filter, first: 200) { edges { node { id name } } }
      graph: coalitionGraph(scope: $scope) { nodes { id label } edges { source target kind } }
      pilotNetwork: actorNetwork(actorId: $pilot, depth: 3) { nodes { id label } edges { source target } }
      ownNetwork: actorNetwork(actorId: $own, depth: 3, includeEnded: true) { nodes { id label } } }`;
    for (const key of hostile) {
      const res = await users[key].gql(Q, {
        scope: { level: 'DEPARTEMENT', code: '55' },
        filter: { actorId: actor.member },
        pilot: actor.pilot,
        own: actor[key],
      });
      expect(res.errors, key).toBeUndefined();
      expect(ids(res.data.all.edges.map((e: any) => e.node)), key).not.toContain(coalition.secret);
      expect(res.data.byMember.edges, key).toEqual([]);
      expect(ids(res.data.graph.nodes), key).not.toContain(coalition.secret);
      expect(
        res.data.graph.edges.filter((e: any) => e.target === coalition.secret || e.source === coalition.secret),
        key,
      ).toEqual([]);
      // Linked actors come first: the hidden member must sort among the unlinked ones, after « Visi Asso… ».
      const at = (k: string) => ids(res.data.graph.nodes).indexOf(actor[k]);
      expect(at('pilot'), key).toBeLessThan(at('declined'));
      expect(at('declined'), key).toBeLessThan(at('member'));
      expect(ids(res.data.pilotNetwork.nodes), key).not.toContain(coalition.secret);
      expect(ids(res.data.pilotNetwork.nodes), key).not.toContain(actor.member);
      expect(ids(res.data.ownNetwork.nodes), key).toEqual([actor[key]]);
      // Actors are public (the member is drawn as an actor of the territory), the coalition is not.
      expect(JSON.stringify(res), key).not.toContain(SECRET.name);
    }
  });

  it('should not reach the coalition by walking from a public coalition through its members', async () => {
    const res = await users.left.gql(
      `query ($id: ID!) { coalition(id: $id) { members { actor { name
      coalitionMemberships(statuses: [ACTIVE, INVITED, REQUESTED, REJECTED, LEFT]) { coalitionId status coalition { name description members { actor { name } } } } } } } }`,
      { id: coalition.open },
    );
    expect(res.errors).toBeUndefined();
    const reached = res.data.coalition.members.flatMap((m: any) => m.actor.coalitionMemberships.map((cm: any) => cm.coalitionId));
    expect(reached).toEqual([coalition.open]);
    expect(leaks(res)).toBe(false);
  });
});

describe('a pending membership (invited, requested)', () => {
  it('shows what the actor is invited to or asked for, never who is in it', async () => {
    const Q = `query ($id: ID!) { coalition(id: $id) { id name description memberCount intersectorality { ratio }
      members(statuses: [ACTIVE, INVITED, REQUESTED, REJECTED, LEFT]) { id status actor { name } }
      membersByRole { members { actor { name } } } membersBySector { actors { name } } } }`;
    for (const key of ['invited', 'requester']) {
      const res = await users[key].gql(Q, { id: coalition.secret });
      expect(res.errors, key).toBeUndefined();
      expect(res.data.coalition, key).toEqual({
        id: coalition.secret,
        name: SECRET.name,
        description: SECRET.description,
        memberCount: null,
        intersectorality: null,
        // Its own membership only: not the active members, nor the other invitations and requests.
        members: [{ id: membership[key], status: key === 'invited' ? 'INVITED' : 'REQUESTED', actor: { name: expect.any(String) } }],
        membersByRole: [],
        membersBySector: [],
      });
      expect(JSON.stringify(res)).not.toContain(SECRET.member);
      const mine = await users[key].gql(`{ me { memberships { coalition { id name members { actor { name } } } } } }`);
      expect(mine.data.me.memberships, key).toEqual([{ coalition: { id: coalition.secret, name: SECRET.name, members: [] } }]);
    }
  });

  it('should not give the member list through suggestions, history, lists, filters or graphs', async () => {
    for (const key of ['invited', 'requester']) {
      const c = users[key];
      expect(errorCodes(await c.gql(`query ($id: ID!) { suggestedPartners(coalitionId: $id) { actor { name } } }`, { id: coalition.secret })), key).toEqual([
        'FORBIDDEN',
      ]);
      expect(errorCodes(await c.gql(`query ($id: ID!) { coalition(id: $id) { history { actorId } } }`, { id: coalition.secret })), key).toEqual(['FORBIDDEN']);
      const res = await c.gql(
        `query ($member: ID!) {
        all: coalitions(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: 200) { edges { node { id } } }
        byMember: coalitions(filter: { actorId: $member }, first: 200) { edges { node { id } } }
        graph: coalitionGraph(scope: { level: DEPARTEMENT, code: "55" }) { nodes { id } }
        network: actorNetwork(actorId: $member, depth: 1) { nodes { id } }
        member: actor(id: $member) { coalitionMemberships { coalitionId } } }`,
        { member: actor.member },
      );
      expect(res.errors, key).toBeUndefined();
      expect(ids(res.data.all.edges.map((e: any) => e.node)), key).not.toContain(coalition.secret);
      expect(res.data.byMember.edges, key).toEqual([]);
      expect(ids(res.data.graph.nodes), key).not.toContain(coalition.secret);
      expect(ids(res.data.network.nodes), key).toEqual([actor.member]);
      expect(res.data.member.coalitionMemberships, key).toEqual([]);
    }
  });
});

describe('ARS analysts', () => {
  const Q = `query ($id: ID!) { coalition(id: $id) { memberCount members { actor { name } } history { toStatus } } }`;

  it('should not let an analyst of another région see the coalition by any path', async () => {
    expect(errorCodes(await users.analyst11.gql(Q, { id: coalition.secret }))).toEqual(['NOT_FOUND']);
    const res = await users.analyst11.gql(
      `query ($pilot: ID!, $member: ID!) {
      all: coalitions(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: 200) { edges { node { id } } }
      graph: coalitionGraph(scope: { level: DEPARTEMENT, code: "55" }) { nodes { id } }
      network: actorNetwork(actorId: $pilot, depth: 2) { nodes { id } }
      member: actor(id: $member) { coalitionMemberships(statuses: [ACTIVE, INVITED, REQUESTED, REJECTED, LEFT]) { coalitionId } } }`,
      {
        pilot: actor.pilot,
        member: actor.member,
      },
    );
    expect(res.errors).toBeUndefined();
    expect(ids(res.data.all.edges.map((e: any) => e.node))).not.toContain(coalition.secret);
    expect(ids(res.data.graph.nodes)).not.toContain(coalition.secret);
    expect(ids(res.data.network.nodes)).not.toContain(coalition.secret);
    expect(res.data.member.coalitionMemberships).toEqual([]);
    expect(leaks(res)).toBe(false);
    expect(errorCodes(await users.analyst11.gql(`mutation ($id: ID!) { acceptMembership(membershipId: $id) { id } }`, { id: membership.requester }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  it('lets the analyst of its région, an admin, its coordinator and an active member see it with its members', async () => {
    const graph = await users.coord.gql(`{ coalitionGraph(scope: { level: DEPARTEMENT, code: "55" }) { nodes { id } } }`);
    const at = (k: string) => ids(graph.data.coalitionGraph.nodes).indexOf(actor[k]);
    expect(at('member')).toBeLessThan(at('declined'));
    for (const c of [users.analyst44, server.admin, users.coord, users.member]) {
      const res = await c.gql(`query ($id: ID!) { coalition(id: $id) { memberCount members { actor { name } } } }`, { id: coalition.secret });
      expect(res.errors).toBeUndefined();
      expect(res.data.coalition.memberCount).toBe(2);
      expect(res.data.coalition.members.map((m: any) => m.actor.name).sort()).toEqual(['Visi CPTS pilote', SECRET.member]);
      const list = await c.gql(`query ($a: ID!) { coalitions(filter: { actorId: $a }, first: 200) { edges { node { id } } } }`, { a: actor.member });
      expect(ids(list.data.coalitions.edges.map((e: any) => e.node))).toEqual([coalition.secret]);
    }
    // History is for those who manage it: the analyst of its région, admins, coordinators.
    expect((await users.analyst44.gql(Q, { id: coalition.secret })).data.coalition.history.length).toBeGreaterThan(0);
    expect(errorCodes(await users.member.gql(Q, { id: coalition.secret }))).toEqual(['FORBIDDEN']);
  });
});
