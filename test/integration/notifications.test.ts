import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok, VERDUN_CPTS } from '../helpers/factories.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { MEUSE } from '../helpers/places.js';

const SOURCE = 'test:notifications.test.ts';
const DOMAIN = '@test-notifications.local';

let server: TestServer;
const { actor, users, createActors, createUser, createCoalition } = fixtures(() => server, { source: SOURCE, domain: DOMAIN });
let coalitionId: string;
let otherCoalitionId: string;

const NOTIFICATIONS = `query ($first: Int, $after: String) {
  myNotifications(first: $first, after: $after) { edges { cursor node { id kind text path readAt channel } } pageInfo { hasNextPage endCursor } unreadCount }
}`;
const REQUEST = `mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id status } }`;
const ACCEPT = `mutation ($id: ID!) { acceptMembership(membershipId: $id) { id status } }`;
const REJECT = `mutation ($id: ID!) { rejectMembership(membershipId: $id) { id status } }`;
const INVITE = `mutation ($c: ID!, $a: ID!) { inviteActor(coalitionId: $c, actorId: $a) { id status } }`;

interface Note {
  id: string;
  kind: string;
  text: string;
  path: string | null;
  readAt: string | null;
  channel: string;
}

async function notes(client: CookieClient): Promise<Note[]> {
  const data = await ok<{ myNotifications: { edges: { node: Note }[] } }>(client.gql(NOTIFICATIONS, { first: 100 }));
  return data.myNotifications.edges.map((e) => e.node);
}

/** Every notification row of this file's accounts, by account key, as the database holds them. */
async function stored(): Promise<Record<string, string[]>> {
  const rows: { email: string; kind: string }[] = await server.ds.query(
    `SELECT u.email, n.kind FROM notification n JOIN user_account u ON u.id = n.account_id WHERE u.email LIKE $1 ORDER BY n.created_at, n.id`,
    [`%${DOMAIN}`],
  );
  const by: Record<string, string[]> = {};
  for (const r of rows) (by[r.email.replace(DOMAIN, '')] ??= []).push(r.kind);
  return by;
}

/** What `fn` adds to the stored notifications, by account key. */
async function added(fn: () => Promise<unknown>): Promise<Record<string, string[]>> {
  const before = await stored();
  await fn();
  const after = await stored();
  const diff: Record<string, string[]> = {};
  for (const [k, kinds] of Object.entries(after)) {
    const extra = kinds.slice(before[k]?.length ?? 0);
    if (extra.length) diff[k] = extra;
  }
  return diff;
}

beforeAll(async () => {
  server = await startTestServer();
  const place = { sector: 'SANTE', themes: ['sante-mentale'], territories: [MEUSE] };
  await createActors({
    pilot: { ...VERDUN_CPTS, name: 'Notifications pilote' },
    otherPilot: { ...VERDUN_CPTS, name: 'Notifications autre pilote' },
    asso: { ...place, kind: 'ASSOCIATION', name: 'Notifications association' },
    invited: { ...place, kind: 'ASSOCIATION', name: 'Notifications invitée' },
  });
  await createUser('coord', 'COORDINATOR', ['pilot']);
  await createUser('coord2', 'COORDINATOR', ['pilot']);
  await createUser('otherCoord', 'COORDINATOR', ['otherPilot']);
  await createUser('member', 'MEMBER', ['asso']);
  await createUser('invitee', 'MEMBER', ['invited']);
  await createUser('stranger', 'MEMBER');
  await createUser('claimant', 'MEMBER');
  await createUser('analyst', 'ANALYST', [], '44');
  const base = { kind: 'THEMATIQUE', themes: ['sante-mentale'], territory: MEUSE };
  coalitionId = (await createCoalition('c', users.coord, { ...base, name: 'Notifications coalition', pilotActorId: actor.pilot })).id;
  otherCoalitionId = (await createCoalition('o', users.otherCoord, { ...base, name: 'Notifications autre', pilotActorId: actor.otherPilot })).id;
});

afterAll(async () => {
  await server?.ds.query(`DELETE FROM coalition WHERE id = ANY($1)`, [[coalitionId, otherCoalitionId].filter(Boolean)]);
  await server?.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server?.ds.query(`DELETE FROM user_account WHERE email LIKE $1`, [`%${DOMAIN}`]);
  await server?.close();
});

describe('notifications of the join workflow', () => {
  let requestId: string;

  it('should tell the coalition’s coordinators only of a join request, never the requester or another coalition’s coordinator', async () => {
    const diff = await added(async () => {
      requestId = (await ok(users.member.gql(REQUEST, { c: coalitionId, a: actor.asso }))).requestMembership.id;
    });
    expect(diff).toEqual({ coord: ['JOIN_REQUEST_RECEIVED'], coord2: ['JOIN_REQUEST_RECEIVED'] });
    const [note] = await notes(users.coord);
    expect(note).toMatchObject({ kind: 'JOIN_REQUEST_RECEIVED', path: '/mon-espace', readAt: null, channel: 'in_app' });
    expect(note.text).toBe('« Notifications association » demande à rejoindre « Notifications coalition ».');
  });

  it('should write nothing for a transition the table refuses (a non-coordinator’s decision, a second request)', async () => {
    const diff = await added(async () => {
      expect(errorCodes(await users.member.gql(ACCEPT, { id: requestId }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await users.otherCoord.gql(ACCEPT, { id: requestId }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await users.member.gql(REQUEST, { c: coalitionId, a: actor.asso }))).toEqual(['CONFLICT']);
    });
    expect(diff).toEqual({});
  });

  it('should tell the requester’s representatives once when two coordinators decide at the same time', async () => {
    const diff = await added(async () => {
      const answers = await Promise.all([users.coord.gql(ACCEPT, { id: requestId }), users.coord2.gql(REJECT, { id: requestId })]);
      expect(answers.flatMap(errorCodes)).toEqual(['CONFLICT']);
    });
    expect(diff).toEqual({ member: ['JOIN_REQUEST_DECIDED'] });
    const [note] = await notes(users.member);
    expect(note.text).toMatch(/^La demande de « Notifications association » pour rejoindre « Notifications coalition » a été (acceptée|refusée)\.$/);
  });

  it('should tell the invited actor’s representatives of an invitation, not the coordinator who invited', async () => {
    const diff = await added(() => ok(users.coord.gql(INVITE, { c: coalitionId, a: actor.invited })));
    expect(diff).toEqual({ invitee: ['INVITATION_RECEIVED'] });
  });

  it('should write the notification in the event’s transaction: when it cannot be written, the request is not made either', async () => {
    await server.ds.query(`ALTER TABLE notification ADD CONSTRAINT test_refuse_requests CHECK (kind <> 'JOIN_REQUEST_RECEIVED') NOT VALID`);
    try {
      const res = await users.invitee.gql(REQUEST, { c: otherCoalitionId, a: actor.invited });
      expect(res.errors).toBeDefined();
    } finally {
      await server.ds.query(`ALTER TABLE notification DROP CONSTRAINT test_refuse_requests`);
    }
    const rows = await server.ds.query(`SELECT 1 FROM membership WHERE coalition_id = $1 AND actor_id = $2`, [otherCoalitionId, actor.invited]);
    expect(rows).toHaveLength(0);
  });
});

describe('notifications of moderation and partnerships', () => {
  it('should tell the author and the representatives of an actor of its moderation decision, and nobody else', async () => {
    const created = await ok(
      users.member.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id reviewStatus } }`, {
        input: {
          source: SOURCE,
          name: 'Notifications fiche à valider',
          kind: 'ASSOCIATION',
          sector: 'SOCIAL',
          themes: ['sante-mentale'],
          territories: [MEUSE],
        },
      }),
    );
    expect(created.createActor.reviewStatus).toBe('PENDING_REVIEW');
    const diff = await added(() =>
      ok(users.analyst.gql(`mutation ($id: ID!) { rejectActor(id: $id, reason: "Doublon") { id } }`, { id: created.createActor.id })),
    );
    expect(diff).toEqual({ member: ['MODERATION_DECIDED'] });
    const [note] = await notes(users.member);
    expect(note.text).toBe('La fiche « Notifications fiche à valider » a été refusée. Motif : Doublon');
    expect(note.path).toBe(`/acteurs/${created.createActor.id}`);
    // A decision the rules refuse (the actor is no longer pending) tells nobody.
    const again = await added(async () => {
      const res = await users.analyst.gql(`mutation ($id: ID!) { validateActor(id: $id) { id } }`, { id: created.createActor.id });
      expect(errorCodes(res)).toEqual(['CONFLICT']);
    });
    expect(again).toEqual({});
  });

  it('should tell the other side of a declared partnership that it has one to confirm, not the declaring side', async () => {
    const diff = await added(() =>
      ok(
        users.member.gql(`mutation ($input: CreatePartnershipInput!) { createPartnership(input: $input) { id status } }`, {
          input: { actorId: actor.asso, partnerActorId: actor.pilot, kind: 'CONVENTION' },
        }),
      ),
    );
    expect(diff).toEqual({ coord: ['PARTNERSHIP_TO_CONFIRM'], coord2: ['PARTNERSHIP_TO_CONFIRM'] });
  });
});

describe('notifications of claims (written by server/claims, read here)', () => {
  it('should tell the structure’s representatives of a claim and the claimant of the decision, in French', async () => {
    let claimId = '';
    const received = await added(async () => {
      const data = await ok(users.claimant.gql(`mutation ($a: ID!) { claimActor(actorId: $a, message: "Directrice") { id } }`, { a: actor.invited }));
      claimId = data.claimActor.id;
    });
    expect(received).toEqual({ invitee: ['CLAIM_RECEIVED'] });
    const [note] = await notes(users.invitee);
    expect(note.text).toBe('Personne claimant demande à représenter « Notifications invitée ».');
    const decided = await added(() =>
      ok(users.invitee.gql(`mutation ($id: ID!) { decideActorClaim(id: $id, accept: false, reason: "Inconnue") { id } }`, { id: claimId })),
    );
    expect(decided).toEqual({ claimant: ['CLAIM_DECIDED'] });
    const [answer] = await notes(users.claimant);
    expect(answer.text).toBe('Votre demande pour représenter « Notifications invitée » a été refusée. Motif : Inconnue');
  });
});

describe('only the owner reads and marks its notifications', () => {
  it('should refuse a visitor and give it no unread count', async () => {
    expect(errorCodes(await server.gql(NOTIFICATIONS, { first: 5 }))).toEqual(['UNAUTHENTICATED']);
    expect((await server.gql(`{ unreadNotificationCount }`)).data).toEqual({ unreadNotificationCount: 0 });
    expect(errorCodes(await server.gql(`mutation { markAllNotificationsRead }`))).toEqual(['UNAUTHENTICATED']);
  });

  it('should show an account none of another account’s notifications', async () => {
    const theirs = await notes(users.coord);
    expect(theirs.length).toBeGreaterThan(0);
    expect(await notes(users.stranger)).toEqual([]);
    expect(await notes(users.otherCoord)).toEqual([]);
    expect((await ok(users.stranger.gql(`{ unreadNotificationCount }`))).unreadNotificationCount).toBe(0);
  });

  it('should not mark another account’s notifications read, by literal or variable, nor say whether they exist', async () => {
    const ids = (await notes(users.coord)).map((n) => n.id);
    const byVariable = await ok(users.stranger.gql(`mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`, { ids }));
    const byLiteral = await ok(users.stranger.gql(`mutation { markNotificationsRead(ids: ["${ids[0]}"]) }`));
    const unknown = await ok(users.stranger.gql(`mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`, { ids: [crypto.randomUUID()] }));
    expect([byVariable.markNotificationsRead, byLiteral.markNotificationsRead, unknown.markNotificationsRead]).toEqual([0, 0, 0]);
    expect((await ok(users.stranger.gql(`mutation { markAllNotificationsRead }`))).markAllNotificationsRead).toBe(0);
    expect((await notes(users.coord)).every((n) => n.readAt === null)).toBe(true);
  });

  it('should refuse a malformed id with a French message and change nothing', async () => {
    const res = await users.coord.gql(`mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`, { ids: ['1 OR 1=1'] });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toBe('Identifiant de notification invalide');
  });

  it('should count unread notifications down as the owner marks some, then all, read', async () => {
    const count = async () => (await ok(users.coord.gql(`{ unreadNotificationCount }`))).unreadNotificationCount as number;
    const mine = await notes(users.coord);
    expect(await count()).toBe(mine.length);
    expect((await ok(users.coord.gql(`mutation ($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`, { ids: [mine[0].id] }))).markNotificationsRead).toBe(1);
    expect(await count()).toBe(mine.length - 1);
    expect((await ok(users.coord.gql(`mutation { markAllNotificationsRead }`))).markAllNotificationsRead).toBe(mine.length - 1);
    expect(await count()).toBe(0);
    // Marking is the owner's alone: its fellow coordinator's copies stay unread.
    expect((await notes(users.coord2)).every((n) => n.readAt === null)).toBe(true);
  });

  it('should page through the notifications newest first with the cursor, and refuse a forged cursor', async () => {
    const all = await notes(users.coord);
    const first = await ok(users.coord.gql(NOTIFICATIONS, { first: 1 }));
    const rest = await ok(users.coord.gql(NOTIFICATIONS, { first: 100, after: first.myNotifications.pageInfo.endCursor }));
    expect([...first.myNotifications.edges, ...rest.myNotifications.edges].map((e: { node: Note }) => e.node.id)).toEqual(all.map((n) => n.id));
    expect(errorCodes(await users.coord.gql(NOTIFICATIONS, { first: 1, after: 'Zm9yZ2Vk' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await users.coord.gql(NOTIFICATIONS, { first: 1000 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('should serve the French labels of the notification kinds in the vocabulary', async () => {
    const res = await server.gql(`{ vocabulary { notificationKinds { code label } } }`);
    expect(res.data.vocabulary.notificationKinds).toContainEqual({ code: 'JOIN_REQUEST_RECEIVED', label: 'Demande d’adhésion reçue' });
  });
});
