import { beforeAll, describe, expect, it } from 'vitest';
import { countsBeforeAndAfterRebuild, DRIFT } from '../helpers/gap-drift.js';
import { fixtures, MEUSE_CLSM, ok, type SignedIn } from '../helpers/factories.js';
import { allPages } from '../helpers/pages.js';
import { MEUSE, VERDUN } from '../helpers/places.js';
import { errorCodes, useTestServer } from '../helpers/server.js';

/**
 * « Doublons possibles » and mergeActors: who lists and merges (an analyst of another région, a
 * member, a visitor, through literals, variables, aliases and nested fields), what a merge moves
 * (representatives, memberships, partnerships, claims, proposals, history) and how it settles the
 * conflicts, that the removed id answers with the kept actor (also along a chain of merges), that a
 * merge racing a membership decision leaves one membership, and that the gap figures equal their
 * recomputation afterwards.
 */
const SOURCE = 'test:actor-merge.test.ts';
const DOMAIN = '@test-merge.local';
const THEME = 'parentalite';
const SEINE_SAINT_DENIS = { level: 'DEPARTEMENT', code: '93' };

const server = useTestServer();
const f = fixtures(server, { source: SOURCE, domain: DOMAIN });
const { actor, users, createUser } = f;

const PAIR_FIELDS = 'totalCount pageInfo { hasNextPage endCursor } edges { cursor node { a { id name } b { id name } reasons nameSimilarity viewerCanMerge } }';
const DUPLICATES = `query ($region: String, $first: Int, $after: String) { duplicateActors(region: $region, first: $first, after: $after) { ${PAIR_FIELDS} } }`;
const MERGE = `mutation ($keep: ID!, $remove: ID!) { mergeActors(keep: $keep, remove: $remove) { id name siret status mergedInto version } }`;
const ACTOR = `query ($id: ID!) { actor(id: $id) { id name status mergedInto } }`;
const REQUEST = `mutation ($c: ID!, $a: ID!, $role: MembershipRole) { requestMembership(coalitionId: $c, actorId: $a, role: $role) { id status } }`;
const ACCEPT = `mutation ($id: ID!) { acceptMembership(membershipId: $id) { id status } }`;

type Client = { gql: SignedIn['gql'] };

const meuse = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  kind: 'ASSOCIATION',
  sector: 'SOCIAL',
  themes: [THEME],
  territories: [MEUSE],
  communeCode: VERDUN,
  ...extra,
});

/** Every pair a client reads, walking the pages, as « a|b » keys with their reasons. */
async function pairs(as: Client, region: string | null = null, first = 50): Promise<Map<string, string[]>> {
  const pages = await allPages(async (after) => (await ok(as.gql(DUPLICATES, { region, first, after }))).duplicateActors);
  const out = new Map<string, string[]>();
  for (const page of pages) {
    for (const e of page.edges) {
      const key = [e.node.a.id, e.node.b.id].sort().join('|');
      expect(out.has(key), `pair listed twice: ${key}`).toBe(false);
      out.set(key, e.node.reasons);
    }
  }
  return out;
}
const pairKey = (x: string, y: string) => [actor[x], actor[y]].sort().join('|');

const merge = (as: Client, keep: string, remove: string) => as.gql(MERGE, { keep: actor[keep], remove: actor[remove] });

async function rowOf(id: string): Promise<{ status: string; merged_into: string | null; version: number }> {
  const [row] = await server().ds.query(`SELECT status, merged_into, version FROM actor WHERE id = $1`, [id]);
  return row;
}

beforeAll(async () => {
  await f.createActors({
    // Same SIREN (siren column / SIRET) and close names in Verdun.
    sirenA: meuse('Merge Maison des familles de Verdun', { siret: '73282932000074' }),
    sirenB: meuse('Merge Maison des familles Verdun', { siren: '732829320', phone: '03 29 00 00 00' }),
    // The same website written two ways.
    siteA: meuse('Merge Point écoute jeunes', { website: 'https://www.merge-ecoute.example.fr/' }),
    siteB: meuse('Merge Écoute jeunes Meuse', { website: 'http://merge-ecoute.example.fr', communeCode: '55029' }),
    // The same e-mail, in Seine-Saint-Denis (Île-de-France).
    idfA: { ...meuse('Merge Association dionysienne'), territories: [SEINE_SAINT_DENIS], communeCode: '93066', email: 'Contact@merge-93.example.fr' },
    idfB: { ...meuse('Merge Asso de Saint-Denis'), territories: [SEINE_SAINT_DENIS], communeCode: '93066', email: 'contact@merge-93.example.fr' },
    // A national actor with the same e-mail as a Meuse one: no Grand Est analyst may merge them.
    national: meuse('Merge Fédération nationale', { territories: [{ level: 'PAYS', code: 'FR' }], email: 'federation@merge.example.fr' }),
    local: meuse('Merge Antenne meusienne', { email: 'federation@merge.example.fr', communeCode: '55029' }),
    // Unrelated: never paired.
    alone: meuse('Merge Centre de planification', { communeCode: '55029' }),
  });
  await f.createRegionalAnalysts();
  await createUser('member', 'MEMBER', ['sirenA', 'sirenB']);
  await createUser('coord', 'COORDINATOR', ['alone']);
});

describe('the list of possible duplicates', () => {
  it('should list each pair once with its reasons, for an administrator, page after page', async () => {
    const all = await pairs(server().admin, null, 1);
    expect(all.get(pairKey('sirenA', 'sirenB'))).toEqual(['SAME_SIREN', 'SIMILAR_NAME']);
    expect(all.get(pairKey('siteA', 'siteB'))).toEqual(['SAME_WEBSITE']);
    expect(all.get(pairKey('idfA', 'idfB'))).toEqual(
      ['SAME_EMAIL', ...(all.get(pairKey('idfA', 'idfB'))!.includes('SIMILAR_NAME') ? ['SIMILAR_NAME'] : [])].sort(),
    );
    expect(all.get(pairKey('national', 'local'))).toEqual(['SAME_EMAIL']);
    expect([...all.keys()].filter((k) => k.includes(actor.alone))).toEqual([]);
  });

  it('should give an analyst the pairs of his région only, and say which he may merge', async () => {
    const grandEst = await pairs(users.analyst44);
    expect(grandEst.has(pairKey('sirenA', 'sirenB'))).toBe(true);
    expect(grandEst.has(pairKey('idfA', 'idfB'))).toBe(false);
    const idf = await pairs(users.analyst11);
    expect([...idf.keys()]).toEqual([pairKey('idfA', 'idfB')]);
    const page = (await ok(users.analyst44.gql(DUPLICATES, { first: 100 }))).duplicateActors;
    const canMerge = new Map(page.edges.map((e: any) => [[e.node.a.id, e.node.b.id].sort().join('|'), e.node.viewerCanMerge]));
    expect(canMerge.get(pairKey('sirenA', 'sirenB'))).toBe(true);
    // The national actor does not lie in the Grand Est: listed (both act there), not his to merge.
    expect(canMerge.get(pairKey('national', 'local'))).toBe(false);
  });

  it('should refuse another région’s list to an analyst, literally, through variables, aliases and nested fields', async () => {
    expect(errorCodes(await users.analyst11.gql(DUPLICATES, { region: '44' }))).toEqual(['FORBIDDEN']);
    const literal = await users.analyst11.gql(`{ duplicateActors(region: "44") { edges { node { a { id name reviewHistory { reason } } } } } }`);
    expect(errorCodes(literal)).toEqual(['FORBIDDEN']);
    expect(literal.data).toBeNull();
    const aliased = await users.analyst11.gql(
      `query ($r: String) { mine: duplicateActors(first: 5) { totalCount } theirs: duplicateActors(region: $r) { ...P } } fragment P on DuplicatePairs { edges { node { a { id } b { id } } } }`,
      { r: '44' },
    );
    expect(errorCodes(aliased)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(aliased.data ?? {})).not.toContain(actor.sirenA);
  });

  it('should refuse the list to members, coordinators and visitors', async () => {
    expect(errorCodes(await users.member.gql(DUPLICATES, {}))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.coord.gql(DUPLICATES, { region: '44' }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await server().gql(DUPLICATES, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('should refuse a forged cursor and a page over 100 with BAD_USER_INPUT', async () => {
    expect(errorCodes(await server().admin.gql(DUPLICATES, { after: 'WyJ4IiwieSJd' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await server().admin.gql(DUPLICATES, { first: 101 }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('who may merge', () => {
  it('should not let an analyst of another région, a representative of both or a visitor merge, and change nothing', async () => {
    const before = await rowOf(actor.sirenB);
    expect(errorCodes(await merge(users.analyst11, 'sirenA', 'sirenB'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await users.analyst11.gql(`mutation { mergeActors(keep: "${actor.sirenA}", remove: "${actor.sirenB}") { id } }`))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await merge(users.member, 'sirenA', 'sirenB'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await merge(users.coord, 'sirenA', 'sirenB'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await merge(server(), 'sirenA', 'sirenB'))).toEqual(['UNAUTHENTICATED']);
    // A Grand Est analyst and an actor acting over the whole country: not his alone.
    expect(errorCodes(await merge(users.analyst44, 'local', 'national'))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await merge(users.analyst44, 'national', 'local'))).toEqual(['FORBIDDEN']);
    expect(await rowOf(actor.sirenB)).toEqual(before);
    expect(await rowOf(actor.national)).toMatchObject({ status: 'ACTIVE', merged_into: null });
  });

  it('should refuse an actor merged into itself, unknown and malformed ids', async () => {
    expect(errorCodes(await merge(server().admin, 'alone', 'alone'))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await server().admin.gql(MERGE, { keep: actor.alone, remove: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await server().admin.gql(MERGE, { keep: 'nope', remove: actor.alone }))).toEqual(['BAD_USER_INPUT']);
    expect(await rowOf(actor.alone)).toMatchObject({ status: 'ACTIVE' });
  });
});

describe('a merge', () => {
  it('should move representatives, memberships, partnerships, claims, proposals and history, and leave the removed id answering', async () => {
    const keep = await f.createActor('keep1', meuse('Merge CSAPA de Verdun'));
    const remove = await f.createActor('remove1', meuse('Merge C.S.A.P.A. Verdun', { siret: '73282932000074'.replace('73282932000074', '35600000000048') }));
    const partner = await f.createActor('partner1', meuse('Merge Partenaire', { communeCode: '55029' }));
    const pilot = await f.createActor('pilot1', meuse('Merge CPTS pilote', { kind: 'CPTS', sector: 'SANTE', communeCode: '55029' }));
    const repKeep = await createUser('repKeep', 'MEMBER', ['keep1']);
    const repRemove = await createUser('repRemove', 'MEMBER', ['remove1']);
    const repPartner = await createUser('repPartner', 'MEMBER', ['partner1']);
    const coord = await createUser('coord1', 'COORDINATOR', ['pilot1']);
    const clsm = await f.createCoalition('clsm1', coord, { ...MEUSE_CLSM, name: 'Merge CLSM 1', pilotActorId: pilot });
    const other = await f.createCoalition('clsm2', coord, { ...MEUSE_CLSM, name: 'Merge CLSM 2', pilotActorId: pilot });
    // Both in clsm1: the removed one accepted, the kept one still asking; only the removed one in clsm2.
    const removeIn1 = (await ok(repRemove.gql(REQUEST, { c: clsm.id, a: remove, role: 'PARTENAIRE' }))).requestMembership.id;
    await ok(coord.gql(ACCEPT, { id: removeIn1 }));
    const keepIn1 = (await ok(repKeep.gql(REQUEST, { c: clsm.id, a: keep }))).requestMembership.id;
    const removeIn2 = (await ok(repRemove.gql(REQUEST, { c: other.id, a: remove }))).requestMembership.id;
    // Partnerships: each with the same partner (one of them confirmed), and one between the two.
    const declare = (as: Client, a: string, b: string) =>
      as.gql(`mutation ($i: CreatePartnershipInput!) { createPartnership(input: $i) { id } }`, { i: { actorId: a, partnerActorId: b, kind: 'CONVENTION' } });
    const pKeep = (await ok(declare(repKeep, keep, partner))).createPartnership.id;
    const pRemove = (await ok(declare(repRemove, remove, partner))).createPartnership.id;
    await ok(repPartner.gql(`mutation ($id: ID!) { confirmPartnership(id: $id) { id } }`, { id: pRemove }));
    const pBetween = (await ok(declare(repRemove, remove, keep))).createPartnership.id;
    // A claim and a change proposal on the removed actor.
    const claimant = await createUser('claimant1', 'MEMBER');
    const claim = (await ok(claimant.gql(`mutation ($a: ID!) { claimActor(actorId: $a) { id } }`, { a: remove }))).claimActor.id;
    const proposal = (
      await ok(server().gql(`mutation ($a: ID!) { proposeActorChange(actorId: $a, changes: { phone: "03 29 11 22 33" }) { id } }`, { a: remove }))
    ).proposeActorChange.id;

    const merged = (await ok(merge(users.analyst44, 'keep1', 'remove1'))).mergeActors;
    expect(merged).toMatchObject({ id: keep, status: 'ACTIVE', mergedInto: null, siret: '35600000000048' });
    expect(await rowOf(remove)).toMatchObject({ status: 'ARCHIVED', merged_into: keep });

    // No dead link: the removed id answers with the kept actor.
    expect((await ok(server().gql(ACTOR, { id: remove }))).actor).toMatchObject({ id: keep, status: 'ACTIVE' });

    const db = server().ds;
    expect((await db.query(`SELECT user_id FROM user_actor WHERE actor_id = $1 ORDER BY user_id`, [keep])).map((r: any) => r.user_id).sort()).toEqual(
      [repKeep.userId, repRemove.userId].sort(),
    );
    expect(await db.query(`SELECT 1 FROM user_actor WHERE actor_id = $1`, [remove])).toEqual([]);
    const memberships = await db.query(`SELECT id, coalition_id, actor_id, status, role FROM membership WHERE id = ANY($1::uuid[]) ORDER BY id`, [
      [removeIn1, keepIn1, removeIn2],
    ]);
    const byId = new Map(memberships.map((m: any) => [m.id, m]));
    // The accepted partner membership won over the pending request; both records' history is kept, on the kept actor.
    expect(byId.get(removeIn1)).toMatchObject({ actor_id: keep, status: 'ACTIVE', role: 'PARTENAIRE' });
    expect(byId.get(keepIn1)).toMatchObject({ actor_id: keep, status: 'LEFT' });
    expect(byId.get(removeIn2)).toMatchObject({ actor_id: keep, status: 'REQUESTED' });
    const [{ open }] = await db.query(
      `SELECT count(*)::int AS open FROM membership WHERE coalition_id = $1 AND actor_id = $2 AND status IN ('REQUESTED','INVITED','ACTIVE')`,
      [clsm.id, keep],
    );
    expect(open).toBe(1);
    expect(await db.query(`SELECT 1 FROM membership_event WHERE actor_id = $1`, [remove])).toEqual([]);
    expect(await db.query(`SELECT 1 FROM membership e JOIN membership_event ev ON ev.membership_id = e.id WHERE ev.actor_id <> e.actor_id`)).toEqual([]);

    const partnerships = new Map(
      (await db.query(`SELECT id, actor_a, actor_b, status FROM partnership WHERE id = ANY($1::uuid[])`, [[pKeep, pRemove, pBetween]])).map((p: any) => [
        p.id,
        p,
      ]),
    );
    expect(partnerships.get(pRemove)).toMatchObject({ actor_a: keep, actor_b: partner, status: 'ACTIVE' });
    expect(partnerships.get(pKeep)).toMatchObject({ status: 'ENDED' });
    expect(partnerships.get(pBetween)).toMatchObject({ status: 'ENDED' });
    const [{ n: openPairs }] = await db.query(
      `SELECT count(*)::int AS n FROM partnership WHERE (actor_a = $1 OR actor_b = $1) AND status IN ('PENDING','ACTIVE') AND (actor_a = $2 OR actor_b = $2)`,
      [keep, remove],
    );
    expect(openPairs).toBe(0);

    expect(await db.query(`SELECT actor_id, status FROM actor_claim WHERE id = $1`, [claim])).toEqual([{ actor_id: keep, status: 'PENDING' }]);
    expect(await db.query(`SELECT actor_id FROM actor_change_proposal WHERE id = $1`, [proposal])).toEqual([{ actor_id: keep }]);
    const [record] = await db.query(`SELECT kept_id, removed_record->>'name' AS name, user_id FROM actor_merge WHERE removed_id = $1`, [remove]);
    expect(record).toEqual({ kept_id: keep, name: 'Merge C.S.A.P.A. Verdun', user_id: users.analyst44.userId });
    const history = (await ok(users.analyst44.gql(`query ($id: ID!) { actor(id: $id) { reviewHistory { reason } } }`, { id: keep }))).actor.reviewHistory;
    expect(history.map((e: any) => e.reason)).toContain('Fiche « Merge C.S.A.P.A. Verdun » fusionnée dans celle-ci (doublon)');
    // Both records' creation events are on the kept actor now.
    expect(history.filter((e: any) => e.reason === 'Créé par un administrateur')).toHaveLength(2);
    // The change feed says it: the removed record archived, the kept one merged with it, once each.
    expect(
      await db.query(
        `SELECT entity_id, kind, related_id FROM change_log WHERE kind IN ('ARCHIVED', 'MERGED') AND (entity_id = $1 OR entity_id = $2) ORDER BY seq`,
        [keep, remove],
      ),
    ).toEqual([
      { entity_id: remove, kind: 'ARCHIVED', related_id: null },
      { entity_id: keep, kind: 'MERGED', related_id: remove },
    ]);
    // The pair is gone from the list.
    expect((await pairs(server().admin)).has([keep, remove].sort().join('|'))).toBe(false);
  });

  it('should refuse to merge into an archived actor or to merge an actor twice, with CONFLICT', async () => {
    await f.createActors({ k2: meuse('Merge Kept 2'), r2: meuse('Merge Removed 2'), arch: meuse('Merge Archived') });
    const { version } = await rowOf(actor.arch);
    await ok(server().admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { id } }`, { id: actor.arch, v: version }));
    expect(errorCodes(await merge(server().admin, 'arch', 'r2'))).toEqual(['CONFLICT']);
    expect(errorCodes(await merge(server().admin, 'k2', 'arch'))).toEqual(['CONFLICT']);
    await ok(merge(server().admin, 'k2', 'r2'));
    const again = await merge(server().admin, 'k2', 'r2');
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(again.errors![0].extensions).toMatchObject({ field: 'remove', mergedInto: actor.k2 });
    // Into the merged record: refused too, and the answer names where it went.
    expect((await merge(server().admin, 'r2', 'alone')).errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'keep', mergedInto: actor.k2 });
    expect(await rowOf(actor.alone)).toMatchObject({ status: 'ACTIVE' });
  });

  it('should follow a chain of merges: A into B, then B into C, and A answers with C', async () => {
    await f.createActors({ chainA: meuse('Merge Chain A'), chainB: meuse('Merge Chain B'), chainC: meuse('Merge Chain C') });
    await ok(merge(users.analyst44, 'chainB', 'chainA'));
    await ok(merge(users.analyst44, 'chainC', 'chainB'));
    for (const key of ['chainA', 'chainB', 'chainC']) {
      expect((await ok(server().gql(ACTOR, { id: actor[key] }))).actor).toMatchObject({ id: actor.chainC, status: 'ACTIVE' });
    }
    expect(await rowOf(actor.chainA)).toMatchObject({ merged_into: actor.chainC });
  });

  it('should end consistent when it races membership decisions: one open membership per coalition, none lost or doubled', async () => {
    const pilot = await f.createActor('racePilot', meuse('Merge CPTS course', { kind: 'CPTS', sector: 'SANTE' }));
    const coord = await createUser('raceCoord', 'COORDINATOR', ['racePilot']);
    for (let round = 0; round < 4; round++) {
      const keep = await f.createActor(`raceKeep${round}`, meuse(`Merge Course gardé ${round}`));
      const remove = await f.createActor(`raceRemove${round}`, meuse(`Merge Course retiré ${round}`));
      const rep = await createUser(`raceRep${round}`, 'MEMBER', [`raceKeep${round}`, `raceRemove${round}`]);
      const c = await f.createCoalition(`race${round}`, coord, { ...MEUSE_CLSM, name: `Merge course ${round}`, pilotActorId: pilot });
      const onRemove = (await ok(rep.gql(REQUEST, { c: c.id, a: remove }))).requestMembership.id;
      // Rounds 2 and 3: the kept actor is asking too.
      const onKeep = round >= 2 ? (await ok(rep.gql(REQUEST, { c: c.id, a: keep }))).requestMembership.id : null;
      const decided = round % 2 ? onRemove : (onKeep ?? onRemove);
      const [merged, decision] = await Promise.all([merge(server().admin, `raceKeep${round}`, `raceRemove${round}`), coord.gql(ACCEPT, { id: decided })]);
      expect(merged.errors, JSON.stringify(merged.errors)).toBeUndefined();
      expect(decision.errors === undefined || errorCodes(decision)[0] === 'CONFLICT', JSON.stringify(decision.errors)).toBe(true);
      const rows = await server().ds.query(`SELECT id, actor_id, status FROM membership WHERE coalition_id = $1 AND actor_id <> $2 ORDER BY id`, [c.id, pilot]);
      const open = rows.filter((r: any) => ['REQUESTED', 'INVITED', 'ACTIVE'].includes(r.status));
      expect(open, JSON.stringify(rows)).toHaveLength(1);
      expect(open[0].actor_id).toBe(keep);
      expect(rows.every((r: any) => r.actor_id === keep)).toBe(true);
      // An accepted decision is never lost: if it answered ACTIVE, the kept actor is an active member.
      if (!decision.errors) expect(open[0].status).toBe('ACTIVE');
      const [{ n }] = await server().ds.query(
        `SELECT count(*)::int AS n FROM membership_event ev JOIN membership m ON m.id = ev.membership_id WHERE m.coalition_id = $1 AND ev.actor_id <> m.actor_id`,
        [c.id],
      );
      expect(n).toBe(0);
    }
  });

  it('should keep the gap figures equal to their recomputation, and count the merged structure once', async () => {
    const commune = '55029';
    const count = async () => {
      const [row] = await server().ds.query(`SELECT actor_count FROM coverage_theme_count WHERE theme = $1 AND level = 'COMMUNE' AND code = $2`, [
        `local:${THEME}`,
        commune,
      ]);
      return row?.actor_count ?? 0;
    };
    await f.createActors({
      gapKeep: meuse('Merge Lacunes gardé', { communeCode: commune }),
      gapRemove: meuse('Merge Lacunes retiré', { communeCode: commune }),
    });
    const before = await count();
    await ok(merge(server().admin, 'gapKeep', 'gapRemove'));
    expect(await count()).toBe(before - 1);
    expect(await server().ds.query(DRIFT)).toEqual([]);
    const { maintained, rebuilt } = await countsBeforeAndAfterRebuild(server().ds);
    expect(maintained).toBe(rebuilt);
  });
});
