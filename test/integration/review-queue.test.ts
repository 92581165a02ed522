import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, TEST_PASSWORD } from '../helpers/factories.js';
import { type CookieClient, errorCodes } from '../helpers/server.js';
import { moderationFile } from '../helpers/moderation-file.js';
import { allPages } from '../helpers/pages.js';

/**
 * The moderation queue (Query.reviewQueue): ARS analysts read the pending actors acting in their
 * région, administrators all of them or one région's; nobody else reads it, and an analyst never
 * reaches another région's pending actors, whatever the path (variables, nested fields, mutations).
 */
const file = moderationFile('review-queue');
const { SOURCE, DOMAIN } = file;

let member: CookieClient;
let coordinator: CookieClient;
/** Pending actors by key: in Meuse (44), in Seine-Saint-Denis (11), and on both départements. */
const pending: Record<'meuse' | 'seineSaintDenis' | 'both', { id: string; version: number }> = {} as never;

const QUEUE = `query ($region: String, $first: Int, $after: String) {
  reviewQueue(region: $region, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor pendingSince pendingReason submittedBy node { id name kindLabel territories { level code } reviewStatus } }
  } }`;
const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version reviewStatus } }`;
const VALIDATE = `mutation ($id: ID!, $reason: String, $version: Int) { validateActor(id: $id, reason: $reason, version: $version) { reviewStatus } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { rejectActor(id: $id, reason: $reason) { reviewStatus } }`;
const REVIEW_VIEW = `query ($id: ID!) { actor(id: $id) { reviewStatus viewerCanReview reviewHistory { toStatus reason byName } } }`;

interface QueueEdge {
  cursor: string;
  pendingSince: string;
  pendingReason: string | null;
  submittedBy: string | null;
  node: { id: string; name: string; reviewStatus: string };
}

async function queue(client: CookieClient, variables: Record<string, unknown> = {}) {
  const data = await ok<{ reviewQueue: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: QueueEdge[] } }>(
    client.gql(QUEUE, { first: 100, ...variables }),
  );
  return data.reviewQueue;
}

/** The ids of this file's actors in a queue, in its order. */
const ours = (edges: QueueEdge[]) => edges.map((e) => e.node.id).filter((id) => Object.values(pending).some((p) => p.id === id));

/** What the database says is pending and covers a commune of `region`: the truth the queue is compared with. */
async function pendingIn(region: string | null): Promise<string[]> {
  const rows: { id: string }[] = await file.server.ds.query(
    `SELECT a.id FROM actor a WHERE a.review_status = 'PENDING_REVIEW' AND a.status = 'ACTIVE'
       AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM coverage_commune cc JOIN territory c ON c.level = 'COMMUNE' AND c.code = cc.commune_code
                                        WHERE cc.actor_id = a.id AND c.region_code = $1))
     ORDER BY a.id`,
    [region],
  );
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  await file.signInAnalysts();
  member = await file.server.signedIn({ email: `membre${DOMAIN}`, password: TEST_PASSWORD, displayName: 'Membre inscrit' });
  coordinator = await file.server.signedIn({ email: `coordination${DOMAIN}`, password: TEST_PASSWORD, role: 'COORDINATOR' });
  const create = async (name: string, input: Record<string, unknown>) => {
    const res = await ok<{ createActor: { id: string; version: number; reviewStatus: string } }>(
      member.gql(CREATE, { input: { name, kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], source: SOURCE, ...input } }),
    );
    expect(res.createActor.reviewStatus).toBe('PENDING_REVIEW');
    return res.createActor;
  };
  pending.meuse = await create('File Association de Verdun', { communeCode: '55545' });
  pending.seineSaintDenis = await create('File Association de Saint-Denis', { communeCode: '93066' });
  pending.both = await create('File Réseau Meuse et Seine-Saint-Denis', {
    communeCode: '55545',
    territories: [
      { level: 'DEPARTEMENT', code: '55' },
      { level: 'DEPARTEMENT', code: '93' },
    ],
  });
  // Validated at once (created by an administrator): never in the queue.
  await file.server.createActor({
    name: 'File Association validée',
    kind: 'ASSOCIATION',
    sector: 'SANTE',
    themes: ['vaccination'],
    communeCode: '55545',
    source: SOURCE,
  });
});

describe('the moderation queue', () => {
  it('should list to an analyst the pending actors acting in his région only, oldest first, with reason, author and date', async () => {
    const q = await queue(file.analyst44);
    expect(q.edges.map((e) => e.node.id).sort()).toEqual(await pendingIn('44'));
    expect(ours(q.edges)).toEqual([pending.meuse.id, pending.both.id]);
    expect(q.totalCount).toBe(q.edges.length);
    const since = q.edges.map((e) => Date.parse(e.pendingSince));
    expect(since).toEqual([...since].sort((a, b) => a - b));
    const verdun = q.edges.find((e) => e.node.id === pending.meuse.id)!;
    expect(verdun).toMatchObject({ submittedBy: 'Membre inscrit', node: { name: 'File Association de Verdun', reviewStatus: 'PENDING_REVIEW' } });
    expect(verdun.pendingReason).toMatch(/compte membre/);
    const [{ at }]: { at: Date }[] = await file.server.ds.query(`SELECT at FROM actor_review_event WHERE actor_id = $1 ORDER BY id DESC LIMIT 1`, [
      pending.meuse.id,
    ]);
    expect(Date.parse(verdun.pendingSince)).toBe(new Date(at).getTime());

    const idf = await queue(file.analyst11);
    expect(idf.edges.map((e) => e.node.id).sort()).toEqual(await pendingIn('11'));
    expect(ours(idf.edges)).toEqual([pending.seineSaintDenis.id, pending.both.id]);
  });

  it('should list every région to an administrator, and one région when he asks for it', async () => {
    const all = await queue(file.server.admin);
    expect(all.edges.map((e) => e.node.id).sort()).toEqual(await pendingIn(null));
    expect(ours(all.edges)).toEqual([pending.meuse.id, pending.seineSaintDenis.id, pending.both.id]);
    const idf = await queue(file.server.admin, { region: '11' });
    expect(idf.edges.map((e) => e.node.id).sort()).toEqual(await pendingIn('11'));
    expect(errorCodes(await file.server.admin.gql(QUEUE, { region: '99' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await file.server.admin.gql(QUEUE, { region: "11' OR '1'='1" }))).toEqual(['BAD_USER_INPUT']);
  });

  it('should refuse the queue to visitors (UNAUTHENTICATED) and to members and coordinators (FORBIDDEN)', async () => {
    const visitor = await file.server.gql(QUEUE, {});
    expect(errorCodes(visitor)).toEqual(['UNAUTHENTICATED']);
    expect(visitor.data).toBeNull();
    for (const client of [member, coordinator]) {
      const res = await client.gql(QUEUE, {});
      expect(errorCodes(res)).toEqual(['FORBIDDEN']);
      expect(res.errors![0].message).toMatch(/analyste|administrateur/);
      expect(res.data).toBeNull();
    }
  });

  it('should not let an analyst read another région’s queue, through a variable or a literal', async () => {
    for (const region of ['11', '93', '']) {
      expect(errorCodes(await file.analyst44.gql(QUEUE, { region })), region).toEqual(region === '' ? [] : ['FORBIDDEN']);
    }
    expect(errorCodes(await file.analyst44.gql(`{ reviewQueue(region: "11") { totalCount } }`))).toEqual(['FORBIDDEN']);
    // His own région by name: the same queue as without it.
    expect(ours((await queue(file.analyst44, { region: '44' })).edges)).toEqual([pending.meuse.id, pending.both.id]);
  });

  it('should page through the queue with the cursor codec, and refuse a forged cursor', async () => {
    const pages = await allPages((after) => queue(file.server.admin, { first: 1, after }));
    const seen = pages.flatMap((page) => page.edges.map((e) => e.node.id));
    expect(seen).toEqual((await queue(file.server.admin)).edges.map((e) => e.node.id));
    const forged = [
      Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000000Z' OR 1=1 --", pending.meuse.id])).toString('base64url'),
      Buffer.from(JSON.stringify(['2026-13-45T00:00:00.000000Z', pending.meuse.id])).toString('base64url'),
      Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000000Z', 'pas-un-uuid'])).toString('base64url'),
      'pas un curseur',
    ];
    for (const cursor of forged) {
      const res = await file.server.admin.gql(QUEUE, { after: cursor });
      expect(errorCodes(res), cursor).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].message).toMatch(/Curseur de pagination invalide/);
    }
    expect(errorCodes(await file.server.admin.gql(QUEUE, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
  });

  it('should not let an analyst decide, nor read the history of, a pending actor of another région', async () => {
    const { id } = pending.seineSaintDenis;
    expect(errorCodes(await file.analyst44.gql(VALIDATE, { id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await file.analyst44.gql(REJECT, { id, reason: 'Hors de ma région' }))).toEqual(['FORBIDDEN']);
    const seen = (await ok<{ actor: { viewerCanReview: boolean; reviewHistory: unknown } }>(file.analyst44.gql(REVIEW_VIEW, { id }))).actor;
    expect(seen).toEqual({ reviewStatus: 'PENDING_REVIEW', viewerCanReview: false, reviewHistory: null });
    // Nested: the actors of his région's queue, and the search, give no history of another région's actor either.
    const nested = await ok<{ actors: { edges: { node: { id: string; reviewHistory: unknown; viewerCanReview: boolean } }[] } }>(
      file.analyst44.gql(`query ($f: ActorFilter) { actors(filter: $f, first: 50) { edges { node { id reviewHistory { reason } viewerCanReview } } } }`, {
        f: { reviewStatuses: ['PENDING_REVIEW'], text: 'File' },
      }),
    );
    const other = nested.actors.edges.find((e) => e.node.id === id);
    expect(other?.node).toEqual({ id, reviewHistory: null, viewerCanReview: false });
    // The analyst of its région sees both.
    const own = (await ok<{ actor: { viewerCanReview: boolean; reviewHistory: { byName: string }[] } }>(file.analyst11.gql(REVIEW_VIEW, { id }))).actor;
    expect(own.viewerCanReview).toBe(true);
    expect(own.reviewHistory.map((e) => e.byName)).toEqual(['Membre inscrit']);
    const [{ review_status }]: { review_status: string }[] = await file.server.ds.query(`SELECT review_status FROM actor WHERE id = $1`, [id]);
    expect(review_status).toBe('PENDING_REVIEW');
  });

  it('should take an actor out of the queue once validated or rejected, a refusal needing its reason', async () => {
    const before = await queue(file.analyst44);
    expect(errorCodes(await file.analyst44.gql(REJECT, { id: pending.meuse.id, reason: '  ' }))).toEqual(['BAD_USER_INPUT']);
    expect((await queue(file.analyst44)).totalCount).toBe(before.totalCount);
    expect((await ok(file.analyst44.gql(VALIDATE, { id: pending.meuse.id, version: pending.meuse.version }))).validateActor.reviewStatus).toBe('VALIDATED');
    expect((await ok(file.analyst11.gql(REJECT, { id: pending.both.id, reason: 'Doublon d’un acteur existant' }))).rejectActor.reviewStatus).toBe('REJECTED');
    const after = await queue(file.analyst44);
    expect(after.totalCount).toBe(before.totalCount - 2);
    expect(ours(after.edges)).toEqual([]);
    expect(ours((await queue(file.analyst11)).edges)).toEqual([pending.seineSaintDenis.id]);
    // A second decision on the same actor: CONFLICT, never a second event.
    expect(errorCodes(await file.server.admin.gql(VALIDATE, { id: pending.both.id }))).toEqual(['CONFLICT']);
  });
});
