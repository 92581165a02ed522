import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../helpers/factories.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { MEUSE } from '../helpers/places.js';
import { transactionStatements } from '../helpers/transaction.js';

/** Every actor of this file carries this source and every account this domain: afterAll removes exactly them. */
const SOURCE = 'test:membership-transitions.test.ts';
const DOMAIN = '@test-membership-transitions.local';

let server: TestServer;
const { actor, users, createActor, createUser, createCoalition } = fixtures(() => server, { source: SOURCE, domain: DOMAIN });
let coord: CookieClient;
let rep: CookieClient;
let coalitionId: string;
/** The coalition of the round-trip test, apart from the one whose memberships the other tests count. */
let roundTripsCoalitionId: string | undefined;
/** One membership in each status, all of actors `rep` represents. */
const membership: Record<string, string> = {};

const REQUEST = `mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id status } }`;
const INVITE = `mutation ($c: ID!, $a: ID!) { inviteActor(coalitionId: $c, actorId: $a) { id status } }`;
const MUTATIONS = {
  acceptMembership: `mutation ($id: ID!) { acceptMembership(membershipId: $id) { id status } }`,
  rejectMembership: `mutation ($id: ID!) { rejectMembership(membershipId: $id) { id status } }`,
  acceptInvitation: `mutation ($id: ID!) { acceptInvitation(membershipId: $id) { id status } }`,
  declineInvitation: `mutation ($id: ID!) { declineInvitation(membershipId: $id) { id status } }`,
  leaveCoalition: `mutation ($id: ID!) { leaveCoalition(membershipId: $id) { id status } }`,
} as const;
type Mutation = keyof typeof MUTATIONS;

async function ok(client: CookieClient, query: string, variables: Record<string, unknown>) {
  const res = await client.gql(query, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return Object.values(res.data as Record<string, { id: string; status: string }>)[0];
}

/** Statuses and the number of history events of the coalition's memberships, as its coordinator reads them. */
async function snapshot() {
  const res = await coord.gql(
    `query ($id: ID!) { coalition(id: $id) { members(statuses: [REQUESTED, INVITED, ACTIVE, REJECTED, LEFT]) { id status } history { id } } }`,
    { id: coalitionId },
  );
  return res.data.coalition;
}

beforeAll(async () => {
  server = await startTestServer();
  const place = { sector: 'SANTE', themes: ['sante-mentale'], territories: [MEUSE] };
  const pilot = await createActor('pilot', { ...place, name: 'Transitions pilote', kind: 'CPTS' });
  const statuses = ['REQUESTED', 'INVITED', 'ACTIVE', 'REJECTED', 'LEFT'];
  for (const s of statuses) await createActor(s, { ...place, name: `Transitions ${s}`, kind: 'ASSOCIATION' });
  coord = await createUser('coord', 'COORDINATOR', ['pilot']);
  rep = await createUser('rep', 'MEMBER', statuses);
  coalitionId = (
    await createCoalition('c', coord, { name: 'Transitions', kind: 'THEMATIQUE', themes: ['sante-mentale'], territory: MEUSE, pilotActorId: pilot })
  ).id;
  membership.REQUESTED = (await ok(rep, REQUEST, { c: coalitionId, a: actor.REQUESTED })).id;
  membership.INVITED = (await ok(coord, INVITE, { c: coalitionId, a: actor.INVITED })).id;
  membership.ACTIVE = (await ok(rep, REQUEST, { c: coalitionId, a: actor.ACTIVE })).id;
  await ok(coord, MUTATIONS.acceptMembership, { id: membership.ACTIVE });
  membership.REJECTED = (await ok(rep, REQUEST, { c: coalitionId, a: actor.REJECTED })).id;
  await ok(coord, MUTATIONS.rejectMembership, { id: membership.REJECTED });
  membership.LEFT = (await ok(rep, REQUEST, { c: coalitionId, a: actor.LEFT })).id;
  await ok(coord, MUTATIONS.acceptMembership, { id: membership.LEFT });
  await ok(rep, MUTATIONS.leaveCoalition, { id: membership.LEFT });
});

afterAll(async () => {
  await server?.ds.query(`DELETE FROM coalition WHERE id = ANY($1::uuid[])`, [[coalitionId, roundTripsCoalitionId].filter(Boolean)]);
  await server?.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server?.ds.query(`DELETE FROM user_account WHERE email LIKE $1`, [`%${DOMAIN}`]);
  await server?.close();
});

describe('membership transitions through the API', () => {
  // The moves README « Rôles et règles » does not allow, each tried by the party who could make it from another status.
  const refused: [string, Mutation, 'coord' | 'rep'][] = [
    ['REQUESTED', 'acceptInvitation', 'rep'],
    ['REQUESTED', 'declineInvitation', 'rep'],
    ['INVITED', 'acceptMembership', 'coord'],
    ['INVITED', 'rejectMembership', 'coord'],
    ['ACTIVE', 'acceptMembership', 'coord'],
    ['ACTIVE', 'rejectMembership', 'coord'],
    ['ACTIVE', 'acceptInvitation', 'rep'],
    ['ACTIVE', 'declineInvitation', 'rep'],
    ...(['REJECTED', 'LEFT'] as const).flatMap((s) => [
      [s, 'acceptMembership', 'coord'] as [string, Mutation, 'coord'],
      [s, 'rejectMembership', 'coord'] as [string, Mutation, 'coord'],
      [s, 'acceptInvitation', 'rep'] as [string, Mutation, 'rep'],
      [s, 'declineInvitation', 'rep'] as [string, Mutation, 'rep'],
      [s, 'leaveCoalition', 'rep'] as [string, Mutation, 'rep'],
      [s, 'leaveCoalition', 'coord'] as [string, Mutation, 'coord'],
    ]),
  ];

  it('should refuse every move the transition table does not allow (CONFLICT with the current status), changing nothing', async () => {
    const before = await snapshot();
    // The pilot and the five memberships above, and their ten events.
    expect(before.members.map((m: { status: string }) => m.status).sort()).toEqual(['ACTIVE', 'ACTIVE', 'INVITED', 'LEFT', 'REJECTED', 'REQUESTED']);
    expect(before.history).toHaveLength(10);
    for (const [status, mutation, who] of refused) {
      const res = await (who === 'coord' ? coord : rep).gql(MUTATIONS[mutation], { id: membership[status] });
      expect(errorCodes(res), `${mutation} on ${status} by ${who}`).toEqual(['CONFLICT']);
      expect(res.errors![0].extensions?.currentStatus).toBe(status);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('should not let the actor decide its own request, nor a coordinator answer an invitation for the actor (FORBIDDEN), changing nothing', async () => {
    const before = await snapshot();
    for (const [status, mutation, client] of [
      ['REQUESTED', 'acceptMembership', rep],
      ['REQUESTED', 'rejectMembership', rep],
      ['INVITED', 'acceptInvitation', coord],
      ['INVITED', 'declineInvitation', coord],
    ] as const) {
      expect(errorCodes(await client.gql(MUTATIONS[mutation], { id: membership[status] })), `${mutation} on ${status}`).toEqual(['FORBIDDEN']);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('what a membership write sends', () => {
  // Under load each round trip waits for its turn: a request and a decision each sent five statements
  // in their transaction (the row, its event, the notice's facts, its recipients, the notice), now three.
  it('should write a request with its event and the coordinators’ notice in three statements, and a decision with its own in three', async () => {
    const place = { sector: 'SANTE', themes: ['sante-mentale'], territories: [MEUSE] };
    await createActor('roundTrips', { ...place, name: 'Transitions allers-retours', kind: 'ASSOCIATION' });
    roundTripsCoalitionId = (
      await createCoalition('roundTrips', coord, {
        name: 'Allers-retours',
        kind: 'THEMATIQUE',
        themes: ['sante-mentale'],
        territory: MEUSE,
        pilotActorId: actor.pilot,
      })
    ).id;
    const repOf = await createUser('repRoundTrips', 'MEMBER', ['roundTrips']);

    server.queries.length = 0;
    const requested = await ok(repOf, REQUEST, { c: roundTripsCoalitionId, a: actor.roundTrips });
    expect(transactionStatements(server.queries)).toHaveLength(3);
    server.queries.length = 0;
    await ok(coord, MUTATIONS.acceptMembership, { id: requested.id });
    expect(transactionStatements(server.queries)).toHaveLength(3);

    // What they wrote: both events, by their authors, and each notice to the other side only.
    const events: { from_status: string | null; to_status: string; user_id: string }[] = await server.ds.query(
      `SELECT from_status, to_status, user_id FROM membership_event WHERE membership_id = $1 ORDER BY id`,
      [requested.id],
    );
    expect(events).toEqual([
      { from_status: null, to_status: 'REQUESTED', user_id: repOf.userId },
      { from_status: 'REQUESTED', to_status: 'ACTIVE', user_id: users.coord.userId },
    ]);
    const notices: { account_id: string; kind: string }[] = await server.ds.query(
      `SELECT account_id, kind FROM notification WHERE payload->>'membershipId' = $1 ORDER BY kind`,
      [requested.id],
    );
    expect(notices).toEqual([
      { account_id: repOf.userId, kind: 'JOIN_REQUEST_DECIDED' },
      { account_id: users.coord.userId, kind: 'JOIN_REQUEST_RECEIVED' },
    ]);
  });
});
