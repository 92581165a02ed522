import { beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok, type SignedIn } from '../helpers/factories.js';
import { allPages } from '../helpers/pages.js';
import { MEUSE, VERDUN } from '../helpers/places.js';
import { errorCodes, useTestServer } from '../helpers/server.js';

/**
 * « Pas un doublon » (dismissDuplicate, restoreDuplicate, dismissedDuplicates): who may set a pair
 * aside (an analyst of another région, a member representing both, a visitor, through variables and
 * literals), what a refusal leaves (nothing), unknown, archived and merged actors, the same actor
 * twice, a pair set aside twice (the first decision, once, also when two arrive together), a pair
 * whose reasons change afterwards, a dismissal racing a merge, and the administrator's « Rétablir ».
 */
const SOURCE = 'test:duplicate-dismissal.test.ts';
const DOMAIN = '@test-dismissal.local';

const server = useTestServer();
const f = fixtures(server, { source: SOURCE, domain: DOMAIN });
const { actor, users, createUser } = f;

type Client = { gql: SignedIn['gql'] };

const DISMISSAL = 'id a { id name } b { id name } reason byName at restoredAt viewerCanRestore';
const DISMISS = `mutation ($a: ID!, $b: ID!, $reason: String) { dismissDuplicate(a: $a, b: $b, reason: $reason) { ${DISMISSAL} } }`;
const RESTORE = `mutation ($a: ID!, $b: ID!) { restoreDuplicate(a: $a, b: $b) { ${DISMISSAL} } }`;
const DISMISSED = `query ($region: String, $first: Int, $after: String) {
  dismissedDuplicates(region: $region, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${DISMISSAL} } } } }`;
const DUPLICATES = `query ($after: String) { duplicateActors(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { a { id } b { id } reasons } } } }`;
const MERGE = `mutation ($keep: ID!, $remove: ID!) { mergeActors(keep: $keep, remove: $remove) { id } }`;

const meuse = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  kind: 'ETABLISSEMENT_MEDICO_SOCIAL',
  sector: 'MEDICO_SOCIAL',
  themes: ['sante-mentale'],
  territories: [MEUSE],
  communeCode: VERDUN,
  ...extra,
});
/** Two sites of one association: one website, one e-mail, two communes (as the BAPU Aix-Marseille of the demonstration seed). */
const site = (name: string, communeCode: string, tag: string) =>
  meuse(`Dismiss ${name}`, { communeCode, website: `https://${tag}.example.fr/`, email: `contact@${tag}.example.fr` });

const dismiss = (as: Client, x: string, y: string, reason?: string) => as.gql(DISMISS, { a: actor[x], b: actor[y], reason });
const restore = (as: Client, x: string, y: string) => as.gql(RESTORE, { a: actor[x], b: actor[y] });

/** The pairs a client reads in « doublons possibles », as sorted « a|b » keys with their reasons. */
async function listed(as: Client): Promise<Map<string, string[]>> {
  const pages = await allPages(async (after) => (await ok(as.gql(DUPLICATES, { after }))).duplicateActors);
  return new Map(pages.flatMap((p) => p.edges.map((e: any) => [[e.node.a.id, e.node.b.id].sort().join('|'), e.node.reasons] as const)));
}
const pairKey = (x: string, y: string) => [actor[x], actor[y]].sort().join('|');

async function rows(x: string, y: string): Promise<{ actor_a: string; actor_b: string; user_id: string; reason: string | null; restored_at: Date | null }[]> {
  return server().ds.query(
    `SELECT actor_a, actor_b, user_id, reason, restored_at FROM actor_duplicate_dismissal
     WHERE (actor_a, actor_b) IN (($1::uuid, $2::uuid), ($2::uuid, $1::uuid)) ORDER BY at`,
    [actor[x], actor[y]],
  );
}

beforeAll(async () => {
  await f.createActors({
    aix: site('BAPU Aix-Marseille - site Aix', VERDUN, 'dismiss-bapu'),
    marseille: site('BAPU Aix-Marseille - site Marseille', '55029', 'dismiss-bapu'),
    rightsA: site('Centre A', VERDUN, 'dismiss-rights'),
    rightsB: site('Centre B', '55029', 'dismiss-rights'),
    // A national actor and a Meuse one with one e-mail: no Grand Est analyst may set them aside.
    national: meuse('Dismiss Fédération nationale', { territories: [{ level: 'PAYS', code: 'FR' }], email: 'fede@dismiss.example.fr' }),
    local: meuse('Dismiss Antenne meusienne', { email: 'fede@dismiss.example.fr', communeCode: '55029' }),
    archived: site('Archivée', VERDUN, 'dismiss-archived'),
    live: site('Vivante', '55029', 'dismiss-archived'),
    twiceA: site('Deux fois A', VERDUN, 'dismiss-twice'),
    twiceB: site('Deux fois B', '55029', 'dismiss-twice'),
    newA: site('Nouvelle raison A', VERDUN, 'dismiss-new'),
    newB: site('Nouvelle raison B', '55029', 'dismiss-new'),
  });
  await f.createRegionalAnalysts();
  await createUser('member', 'MEMBER', ['rightsA', 'rightsB']);
  await createUser('coord', 'COORDINATOR', ['rightsA']);
});

describe('« Pas un doublon »', () => {
  it('should take the pair out of the list for everyone, stored once with who, when and why, and list it as set aside', async () => {
    expect((await listed(users.analyst44)).get(pairKey('aix', 'marseille'))).toEqual(['SAME_WEBSITE', 'SAME_EMAIL']);
    // Named in either order: stored smaller id first.
    const [x, y] = actor.aix < actor.marseille ? ['marseille', 'aix'] : ['aix', 'marseille'];
    const d = (await ok(dismiss(users.analyst44, x, y, '  Deux sites réels de la même association  '))).dismissDuplicate;
    expect(d).toMatchObject({ reason: 'Deux sites réels de la même association', byName: expect.any(String), restoredAt: null, viewerCanRestore: false });
    expect(d.a.name < d.b.name).toBe(true);
    expect(await rows('aix', 'marseille')).toEqual([
      { actor_a: actor[y], actor_b: actor[x], user_id: users.analyst44.userId, reason: 'Deux sites réels de la même association', restored_at: null },
    ]);
    for (const as of [users.analyst44, server().admin]) expect((await listed(as)).has(pairKey('aix', 'marseille'))).toBe(false);
    // Listed as set aside, for the analyst and the administrator (who alone may restore it).
    const mine = (await ok(users.analyst44.gql(DISMISSED, {}))).dismissedDuplicates;
    expect(mine.edges.map((e: any) => e.node.id)).toContain(d.id);
    const forAdmin = (await ok(server().admin.gql(DISMISSED, { region: '44' }))).dismissedDuplicates.edges.find((e: any) => e.node.id === d.id);
    expect(forAdmin.node).toMatchObject({ viewerCanRestore: true, byName: d.byName });
    expect((await ok(users.analyst11.gql(DISMISSED, {}))).dismissedDuplicates.edges.map((e: any) => e.node.id)).not.toContain(d.id);
  });

  it('should not let a visitor, a member or coordinator representing both, nor an analyst of another région set a pair aside, and write nothing', async () => {
    expect(errorCodes(await dismiss(server(), 'rightsA', 'rightsB'))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await dismiss(users.member, 'rightsA', 'rightsB'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await dismiss(users.coord, 'rightsA', 'rightsB'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await dismiss(users.analyst11, 'rightsA', 'rightsB'))).toEqual(['FORBIDDEN']);
    const literal = await users.analyst11.gql(`mutation { dismissDuplicate(a: "${actor.rightsA}", b: "${actor.rightsB}") { id } }`);
    expect(errorCodes(literal)).toEqual(['FORBIDDEN']);
    // Both act in the Grand Est, but the national one does not lie in it: not the analyst's alone (as for a merge).
    expect(errorCodes(await dismiss(users.analyst44, 'local', 'national'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await dismiss(users.analyst44, 'national', 'local'))).toEqual(['FORBIDDEN']);
    expect(await rows('rightsA', 'rightsB')).toEqual([]);
    expect(await rows('local', 'national')).toEqual([]);
    expect((await listed(server().admin)).has(pairKey('rightsA', 'rightsB'))).toBe(true);
    // The administrator may.
    await ok(dismiss(server().admin, 'national', 'local'));
    expect((await listed(server().admin)).has(pairKey('national', 'local'))).toBe(false);
  });

  it('should refuse the list of pairs set aside to members, coordinators, visitors and another région, and a page over 100', async () => {
    expect(errorCodes(await users.member.gql(DISMISSED, {}))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord.gql(DISMISSED, { region: '44' }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await server().gql(DISMISSED, {}))).toEqual(['UNAUTHENTICATED']);
    const other = await users.analyst11.gql(DISMISSED, { region: '44' });
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
    expect(other.data).toBeNull();
    expect(errorCodes(await server().admin.gql(DISMISSED, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await server().admin.gql(DISMISSED, { after: 'WyJ4IiwieSJd' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('should refuse the same actor twice, unknown and malformed ids, archived and merged actors, a reason too long, and write nothing', async () => {
    const admin = server().admin;
    expect(errorCodes(await dismiss(admin, 'live', 'live'))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await admin.gql(DISMISS, { a: actor.live, b: actor.live.toUpperCase() }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await admin.gql(DISMISS, { a: actor.live, b: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await admin.gql(DISMISS, { a: 'nope', b: actor.live }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await dismiss(admin, 'live', 'archived', 'x'.repeat(1001)))).toEqual(['BAD_USER_INPUT']);
    const [{ version }] = await server().ds.query(`SELECT version FROM actor WHERE id = $1`, [actor.archived]);
    await ok(admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { id } }`, { id: actor.archived, v: version }));
    const archived = await dismiss(admin, 'live', 'archived');
    expect(errorCodes(archived)).toEqual(['CONFLICT']);
    expect(archived.errors![0].extensions).toMatchObject({ field: 'b', mergedInto: null });
    await ok(admin.gql(MERGE, { keep: actor.live, remove: actor.rightsB }));
    expect((await dismiss(admin, 'rightsB', 'rightsA')).errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'a', mergedInto: actor.live });
    expect(await rows('live', 'archived')).toEqual([]);
    expect(await rows('rightsA', 'rightsB')).toEqual([]);
  });

  it('should answer the first decision when a pair is set aside again, also when two arrive at once: one row', async () => {
    const [first, second] = await Promise.all([dismiss(users.analyst44, 'twiceA', 'twiceB', 'Première'), dismiss(server().admin, 'twiceB', 'twiceA')]);
    const [d1, d2] = [(await ok(first)).dismissDuplicate, (await ok(second)).dismissDuplicate];
    expect(d2.id).toBe(d1.id);
    expect(d2.reason).toBe(d1.reason);
    const again = (await ok(dismiss(server().admin, 'twiceA', 'twiceB', 'Seconde'))).dismissDuplicate;
    expect(again).toMatchObject({ id: d1.id, reason: d1.reason, byName: d1.byName, at: d1.at });
    expect(await rows('twiceA', 'twiceB')).toHaveLength(1);
  });

  it('should keep a pair aside when a new reason appears later (the decision is about the two structures)', async () => {
    await ok(dismiss(users.analyst44, 'newA', 'newB'));
    // One of them now shares the other's SIREN: a new reason, the pair stays set aside.
    await server().ds.query(`UPDATE actor SET siren = '732829320' WHERE id = ANY($1::uuid[])`, [[actor.newA, actor.newB]]);
    expect((await listed(server().admin)).has(pairKey('newA', 'newB'))).toBe(false);
  });

  it('should let an administrator alone bring a pair back, keeping the first decision, and set it aside again', async () => {
    expect(errorCodes(await restore(users.analyst44, 'aix', 'marseille'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await restore(users.member, 'aix', 'marseille'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await restore(server(), 'aix', 'marseille'))).toEqual(['UNAUTHENTICATED']);
    expect((await rows('aix', 'marseille'))[0].restored_at).toBeNull();
    const back = (await ok(restore(server().admin, 'marseille', 'aix'))).restoreDuplicate;
    expect(back).toMatchObject({ restoredAt: expect.any(String), viewerCanRestore: false });
    expect((await listed(users.analyst44)).get(pairKey('aix', 'marseille'))).toEqual(['SAME_WEBSITE', 'SAME_EMAIL']);
    expect((await ok(server().admin.gql(DISMISSED, { first: 100 }))).dismissedDuplicates.edges.map((e: any) => e.node.id)).not.toContain(back.id);
    expect(errorCodes(await restore(server().admin, 'aix', 'marseille'))).toEqual(['NOT_FOUND']);
    const anew = (await ok(dismiss(users.analyst44, 'aix', 'marseille'))).dismissDuplicate;
    expect(anew.id).not.toBe(back.id);
    expect((await rows('aix', 'marseille')).map((r) => r.restored_at === null)).toEqual([false, true]);
  });

  it('should page the pairs set aside, most recent first, each once', async () => {
    const pages = await allPages(async (after) => (await ok(server().admin.gql(DISMISSED, { first: 1, after }))).dismissedDuplicates);
    const nodes = pages.flatMap((p) => p.edges.map((e: any) => e.node));
    expect(nodes.length).toBe(pages[0].totalCount);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
    expect(nodes.map((n) => n.at)).toEqual([...nodes.map((n) => n.at)].sort().reverse());
  });
});

describe('a dismissal racing a merge of the same pair', () => {
  it('should end with the duplicate merged, and the dismissal either recorded before it or refused with CONFLICT', async () => {
    for (let round = 0; round < 4; round++) {
      const [k, r] = [`raceKeep${round}`, `raceRemove${round}`];
      await f.createActors({
        [k]: site(`Course ${round} A`, VERDUN, `dismiss-race-${round}`),
        [r]: site(`Course ${round} B`, '55029', `dismiss-race-${round}`),
      });
      const [dismissed, merged] = await Promise.all([dismiss(users.analyst44, k, r), server().admin.gql(MERGE, { keep: actor[k], remove: actor[r] })]);
      expect(errorCodes(merged)).toEqual([]);
      const [row] = await server().ds.query(`SELECT status, merged_into FROM actor WHERE id = $1`, [actor[r]]);
      expect(row).toEqual({ status: 'ARCHIVED', merged_into: actor[k] });
      if (dismissed.errors) {
        expect(errorCodes(dismissed)).toEqual(['CONFLICT']);
        expect(await rows(k, r)).toEqual([]);
      } else {
        expect(await rows(k, r)).toHaveLength(1);
      }
      // Gone from both lists: the list of pairs (one is archived) and the pairs set aside (same reason).
      expect((await listed(server().admin)).has(pairKey(k, r))).toBe(false);
      const aside = (await ok(server().admin.gql(DISMISSED, { first: 100 }))).dismissedDuplicates.edges;
      expect(aside.some((e: any) => [e.node.a.id, e.node.b.id].includes(actor[r]))).toBe(false);
    }
  });
});
