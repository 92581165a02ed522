import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChangeFeed1764000000028 } from '../../migrations/1764000000028-change-feed.js';
import { recordChange } from '../../server/changes/change-log.js';
import { fixtures, MEUSE_CLSM, ok, VERDUN_CPTS } from '../helpers/factories.js';
import type { CookieClient } from '../helpers/server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';

/**
 * The change feed (issue 18, migration 1764000000028): every change numbered at commit, in commit
 * order, with no hole, so that a client keeping its cursor never misses nor repeats one; and only
 * what the caller may read.
 */
const SOURCE = 'test:change-feed.test.ts';
const postgres = inject('backend') === 'postgres';
const FEED = `query ($after: String, $first: Int) { changes(after: $after, first: $first) {
  edges { cursor node { sequence entity entityId kind mergedId changedAt actor { id name } coalition { id name visibility } } }
  pageInfo { hasNextPage endCursor } lastSequence } }`;
const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { id version } }`;
const ARCHIVE = `mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { id version } }`;
const UPDATE_COALITION = `mutation ($id: ID!, $v: Int!, $input: UpdateCoalitionInput!) { updateCoalition(id: $id, version: $v, input: $input) { id version } }`;

interface Entry {
  sequence: string;
  entity: string;
  entityId: string;
  kind: string;
  mergedId: string | null;
  changedAt: string;
  actor: { id: string; name: string } | null;
  coalition: { id: string; name: string; visibility: string } | null;
}

let server: TestServer;
const f = fixtures(() => server, { source: SOURCE, domain: '@test-change-feed.local' });

beforeAll(async () => {
  server = await startTestServer();
  await f.createActors({ pilot: { name: 'Flux CPTS pilote', ...VERDUN_CPTS }, member: { name: 'Flux association membre', ...VERDUN_CPTS } });
  await f.createUser('coord', 'COORDINATOR', ['pilot']);
  await f.createUser('member', 'MEMBER', ['member']);
  await f.createRegionalAnalysts();
});

afterAll(async () => {
  await server?.close();
});

const page = async (client: CookieClient, after: string | null, first?: number) => ok(client.gql(FEED, { after, first }));

/** Reads the feed from `after` to its end, `first` at a time, as a client keeping its cursor would. */
async function drain(client: CookieClient, after: string | null, first = 50): Promise<{ entries: Entry[]; cursor: string }> {
  const entries: Entry[] = [];
  let cursor = after;
  for (;;) {
    const { changes } = await page(client, cursor, first);
    entries.push(...changes.edges.map((e: any) => e.node));
    expect(changes.pageInfo.endCursor).not.toBeNull();
    cursor = changes.pageInfo.endCursor;
    if (!changes.pageInfo.hasNextPage) return { entries, cursor: cursor! };
  }
}

const head = async () => (await server.ds.query(`SELECT coalesce(max(seq), 0)::text AS head FROM change_log`))[0].head as string;
const numbers = (entries: Entry[]) => entries.map((e) => Number(e.sequence));
const consecutive = (from: string, n: number) => Array.from({ length: n }, (_, i) => Number(from) + 1 + i);
const input = (name: string) => ({ name, kind: 'ASSOCIATION', sector: 'SOCIAL', communeCode: '55545', themes: ['sante-mentale'], source: SOURCE });

describe('the change feed: order and completeness', () => {
  it('should give every change exactly once, in commit order, to a reader polling while many writers run at once', { timeout: 240_000 }, async () => {
    const start = (await page(server.admin, null, 0)).changes.lastSequence as string;
    expect(start).toBe(await head());
    let writing = true;
    const seen: Entry[] = [];
    // The reader polls with its cursor, 7 at a time, while the writers run.
    const reader = (async () => {
      let cursor = start;
      for (;;) {
        const done = !writing;
        const { entries, cursor: next } = await drain(server.admin, cursor, 7);
        seen.push(...entries);
        cursor = next;
        if (done) return;
      }
    })();
    const writers = Array.from({ length: 10 }, async (_, i) => {
      const created = (await ok(server.admin.gql(CREATE, { input: input(`Flux concurrent ${i}`) }))).createActor;
      const updated = (await ok(server.admin.gql(UPDATE, { id: created.id, v: created.version, input: { description: `mise à jour ${i}` } }))).updateActor;
      if (i % 2 === 0) await ok(server.admin.gql(ARCHIVE, { id: created.id, v: updated.version }));
      return created.id as string;
    });
    const coalitionWriter = (async () => {
      const c = await f.createCoalition('concurrent', f.users.coord, { ...MEUSE_CLSM, name: 'Flux coalition concurrente', pilotActorId: f.actor.pilot });
      await ok(f.users.coord.gql(UPDATE_COALITION, { id: c.id, v: c.version, input: { description: 'modifiée' } }));
      return c.id;
    })();
    const ids = await Promise.all(writers);
    const coalitionId = await coalitionWriter;
    writing = false;
    await reader;

    // Exactly once, no hole (the administrator sees everything), in the order of the numbers.
    expect(numbers(seen)).toEqual(consecutive(start, seen.length));
    expect(seen.at(-1)!.sequence).toBe(await head());
    const stored = await server.ds.query(`SELECT seq::text AS sequence, entity_id, kind FROM change_log WHERE seq > $1 ORDER BY change_log.seq`, [start]);
    expect(seen.map((e) => [e.sequence, e.entityId, e.kind])).toEqual(stored.map((r: any) => [r.sequence, r.entity_id, r.kind]));
    // Each actor's own writes, made one after the other, appear in that order: commit order.
    ids.forEach((id, i) => {
      expect(seen.filter((e) => e.entityId === id).map((e) => e.kind)).toEqual(i % 2 === 0 ? ['CREATED', 'UPDATED', 'ARCHIVED'] : ['CREATED', 'UPDATED']);
    });
    expect(seen.filter((e) => e.entityId === coalitionId).map((e) => e.kind)).toEqual(['CREATED', 'UPDATED']);
    // Numbered at commit under the counter: the times follow the numbers.
    const times = seen.map((e) => Date.parse(e.changedAt));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(await server.ds.query(`SELECT count(*)::int AS n FROM change_pending`)).toEqual([{ n: 0 }]);
  });

  it.runIf(postgres)('should not let a later-numbered change become visible before an earlier one (interleaved transactions)', async () => {
    const [a, b] = await Promise.all([server.createActor(input('Flux entrelacé A')), server.createActor(input('Flux entrelacé B'))]);
    const before = await head();
    const t1 = server.ds.createQueryRunner();
    const t2 = server.ds.createQueryRunner();
    try {
      await t1.startTransaction();
      await t1.query(`UPDATE actor SET description = 'T1' WHERE id = $1`, [a.id]);
      await t2.startTransaction();
      await t2.query(`UPDATE actor SET description = 'T2' WHERE id = $1`, [b.id]);
      // T2 started writing last and commits first: with a sequence it would have taken the larger number.
      await t2.commitTransaction();
      const middle = await drain(server.admin, before);
      expect(middle.entries.map((e) => e.entityId)).toEqual([b.id]);
      await t1.commitTransaction();
      const after = await drain(server.admin, middle.cursor);
      expect(after.entries.map((e) => e.entityId)).toEqual([a.id]);
      expect(numbers([...middle.entries, ...after.entries])).toEqual(consecutive(before, 2));
    } finally {
      await t1.release();
      await t2.release();
    }
  });

  it.runIf(postgres)(
    'should commit concurrent transactions that record a change before and after writing actors (no deadlock)',
    { timeout: 120_000 },
    async () => {
      const actors = await Promise.all(Array.from({ length: 8 }, (_, i) => server.createActor(input(`Flux ordre des verrous ${i}`))));
      const before = await head();
      // Without the counter taken after the gap flush's locks, one run in two deadlocked with a single round.
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          actors.map((a, i) =>
            server.ds.transaction(async (m) => {
              const first = (i + round) % 2 === 1;
              if (first) await recordChange(m, { entity: 'ACTOR', id: actors[(i + 1) % actors.length].id, kind: 'UPDATED' });
              await m.query(`UPDATE actor SET themes = $2 WHERE id = $1`, [a.id, (i + round) % 3 ? ['addictions'] : ['sante-mentale', 'vaccination']]);
              if (!first) await recordChange(m, { entity: 'ACTOR', id: a.id, kind: 'UPDATED' });
            }),
          ),
        );
      }
      const { entries } = await drain(server.admin, before);
      expect(numbers(entries)).toEqual(consecutive(before, entries.length));
      expect(entries.length).toBeGreaterThanOrEqual(40);
    },
  );

  it('should number nothing for a rolled-back transaction, and leave no hole', async () => {
    const a = await server.createActor(input('Flux annulé'));
    const before = await head();
    await expect(
      server.ds.transaction(async (m) => {
        await m.query(`UPDATE actor SET description = 'annulée' WHERE id = $1`, [a.id]);
        await recordChange(m, { entity: 'ACTOR', id: a.id, kind: 'MERGED' });
        throw new Error('annulation voulue');
      }),
    ).rejects.toThrow('annulation voulue');
    expect(await head()).toBe(before);
    await server.ds.query(`UPDATE actor SET description = 'gardée' WHERE id = $1`, [a.id]);
    const { entries } = await drain(server.admin, before);
    expect(entries.map((e) => [e.sequence, e.entityId, e.kind])).toEqual([[String(Number(before) + 1), a.id, 'UPDATED']]);
  });

  it('should write one CREATED for an actor created and changed in one transaction, and nothing for an UPDATE that changes nothing', async () => {
    const before = await head();
    const id = await server.ds.transaction(async (m) => {
      const [{ id }] = await m.query(
        `INSERT INTO actor (name, kind, sector, source) VALUES ('Flux une transaction', 'ASSOCIATION', 'SOCIAL', $1) RETURNING id`,
        [SOURCE],
      );
      await m.query(`UPDATE actor SET description = 'aussitôt' WHERE id = $1`, [id]);
      return id as string;
    });
    await server.ds.query(`UPDATE actor SET name = name WHERE id = $1`, [id]);
    const { entries } = await drain(server.admin, before);
    expect(entries.map((e) => [e.entityId, e.kind])).toEqual([[id, 'CREATED']]);
  });

  it('should record a merge: ARCHIVED for the removed actor, MERGED for the kept one with the removed id', async () => {
    const [kept, removed] = await Promise.all([server.createActor(input('Flux gardé')), server.createActor(input('Flux absorbé'))]);
    const before = await head();
    const [{ n }] = await server.ds.query(
      `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'actor' AND column_name = 'merged_into'`,
    );
    await server.ds.transaction(async (m) => {
      if (n) await m.query(`UPDATE actor SET status = 'ARCHIVED', merged_into = $2 WHERE id = $1`, [removed.id, kept.id]);
      else await m.query(`UPDATE actor SET status = 'ARCHIVED' WHERE id = $1`, [removed.id]);
      // What mergeActors may also write by hand: written once with the trigger's.
      await recordChange(m, { entity: 'ACTOR', id: kept.id, kind: 'MERGED', mergedId: removed.id });
    });
    const { entries } = await drain(server.admin, before);
    expect(entries.map((e) => [e.entityId, e.kind, e.mergedId])).toEqual([
      [removed.id, 'ARCHIVED', null],
      [kept.id, 'MERGED', removed.id],
    ]);
    expect(entries[1].actor).toMatchObject({ id: kept.id, name: 'Flux gardé' });
  });

  it('should show a merge through mergeActors as ARCHIVED for the removed actor and MERGED for the kept one, once, visible to a visitor', async () => {
    const [kept, removed] = await Promise.all([server.createActor(input('Flux fusion gardée')), server.createActor(input('Flux fusion doublon'))]);
    const before = await head();
    await ok(server.admin.gql(`mutation ($k: ID!, $r: ID!) { mergeActors(keep: $k, remove: $r) { id } }`, { k: kept.id, r: removed.id }));
    const { entries } = await drain(server.client(), before);
    const merge = entries.filter((e) => e.kind === 'MERGED' || e.kind === 'ARCHIVED');
    expect(merge.map((e) => [e.entityId, e.kind, e.mergedId])).toEqual([
      [removed.id, 'ARCHIVED', null],
      [kept.id, 'MERGED', removed.id],
    ]);
    expect(numbers(entries)).toEqual(consecutive(before, entries.length));
  });

  it('should number a bulk insert of actors in one statement, one entry each (none more for their update in the same transaction), and their deletion', async () => {
    const before = await head();
    await server.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO actor (name, kind, sector, source) SELECT 'Flux en masse ' || i, 'ASSOCIATION', 'SOCIAL', $1 FROM generate_series(1, 1000) i`,
        [`${SOURCE}:bulk`],
      );
      await m.query(`UPDATE actor SET description = 'chargée' WHERE source = $1`, [`${SOURCE}:bulk`]);
    });
    const created = await drain(server.admin, before, 200);
    expect(created.entries).toHaveLength(1000);
    expect(numbers(created.entries)).toEqual(consecutive(before, 1000));
    expect(new Set(created.entries.map((e) => e.kind))).toEqual(new Set(['CREATED']));
    await server.ds.query(`DELETE FROM actor WHERE source = $1`, [`${SOURCE}:bulk`]);
    const deleted = await drain(server.admin, created.cursor, 200);
    expect(deleted.entries.map((e) => e.kind)).toEqual(Array(1000).fill('DELETED'));
    expect(deleted.entries.every((e) => e.actor === null)).toBe(true);
  });

  it('should start with the whole directory: every actor and coalition has a CREATED entry', async () => {
    const missing = await server.ds.query(`
      SELECT 'ACTOR' AS entity, id FROM actor WHERE NOT EXISTS (SELECT 1 FROM change_log l WHERE l.entity_id = actor.id AND l.kind = 'CREATED')
      UNION ALL SELECT 'COALITION', id FROM coalition WHERE NOT EXISTS (SELECT 1 FROM change_log l WHERE l.entity_id = coalition.id AND l.kind = 'CREATED')`);
    expect(missing).toEqual([]);
    const [{ holes }] = await server.ds.query(`SELECT (max(seq) - count(*))::int AS holes FROM change_log`);
    expect(holes).toBe(0);
  });

  it('should undo and redo its migration, the redone feed starting with one CREATED per actor and coalition', async () => {
    await inRolledBackTransaction(server.ds, async (qr) => {
      const migration = new ChangeFeed1764000000028();
      await migration.down(qr);
      const [{ def }] = await qr.query(`SELECT pg_get_functiondef('gap_pending_apply()'::regprocedure) AS def`);
      expect(def).not.toContain('change_log_apply');
      expect(await qr.query(`SELECT to_regclass('change_log') AS t`)).toEqual([{ t: null }]);
      await migration.up(qr);
      const [counts] = await qr.query(`SELECT (SELECT count(*) FROM actor)::int + (SELECT count(*) FROM coalition)::int AS entities,
        (SELECT count(*) FROM change_log WHERE kind = 'CREATED')::int AS created, (SELECT max(seq) FROM change_log)::int AS last,
        (SELECT last_seq FROM change_counter)::int AS counter`);
      expect(counts.created).toBe(counts.entities);
      expect(counts.last).toBe(counts.entities);
      expect(counts.counter).toBe(counts.entities);
    });
  });
});

describe('the change feed: cursor and page size', () => {
  it('should refuse a forged cursor or page size with BAD_USER_INPUT, by literal or variable', async () => {
    const beyond = String(Number(await head()) + 1000);
    for (const after of ['abc', '-1', '01', '1e3', '1.5', ' 1', '9'.repeat(30), '', 'MQ==', beyond, "1' OR '1'='1"]) {
      const res = await server.gql(FEED, { after, first: 5 });
      expect(res.errors?.[0]?.extensions?.code, after).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('after');
      expect(res.errors?.[0]?.message).toMatch(/Curseur du flux des changements invalide/);
      expect(res.data?.changes ?? null).toBeNull();
    }
    for (const first of [-1, 201, 100_000]) {
      const res = await server.gql(FEED, { after: null, first });
      expect(res.errors?.[0]?.extensions?.code, String(first)).toBe('BAD_USER_INPUT');
    }
    const literal = await server.gql(`{ changes(first: 500) { edges { cursor } } }`);
    expect(literal.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('should give at most `first` entries, the cursor of the last one, and resume right after it', async () => {
    const one = (await page(server.admin, '0', 3)).changes;
    expect(one.edges.map((e: any) => e.node.sequence)).toEqual(['1', '2', '3']);
    expect(one.edges.map((e: any) => e.cursor)).toEqual(['1', '2', '3']);
    expect(one.pageInfo).toEqual({ hasNextPage: true, endCursor: '3' });
    const two = (await page(server.admin, one.pageInfo.endCursor, 2)).changes;
    expect(two.edges.map((e: any) => e.node.sequence)).toEqual(['4', '5']);
    // first: 0 gives no entry, and where the feed stands (to start from now).
    const now = (await page(server.admin, null, 0)).changes;
    expect(now.edges).toEqual([]);
    expect(now.pageInfo).toEqual({ hasNextPage: true, endCursor: '0' });
    expect(now.lastSequence).toBe(await head());
    const atHead = (await page(server.admin, now.lastSequence, 10)).changes;
    expect(atHead).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: now.lastSequence }, lastSequence: now.lastSequence });
  });
});

describe('the change feed: what the caller may read', () => {
  it('should never show a members-only coalition to whoever may not list it, yet move the cursor past it', { timeout: 120_000 }, async () => {
    const before = await head();
    const hidden = await f.createCoalition('hidden', f.users.coord, {
      ...MEUSE_CLSM,
      name: 'Flux coalition secrète',
      description: 'ne doit pas sortir',
      visibility: 'MEMBERS',
      joinPolicy: 'INVITATION',
      pilotActorId: f.actor.pilot,
    });
    await ok(f.users.coord.gql(UPDATE_COALITION, { id: hidden.id, v: hidden.version, input: { description: 'toujours secrète' } }));
    // The member's actor is invited: it sees the coalition by id (summary), never in lists.
    await ok(f.users.coord.gql(`mutation ($c: ID!, $a: ID!) { inviteActor(coalitionId: $c, actorId: $a) { id } }`, { c: hidden.id, a: f.actor.member }));
    const visible = await server.createActor(input('Flux acteur après la coalition cachée'));
    const last = await head();

    const visitor = server.client();
    const analyst11 = f.users.analyst11;
    for (const [who, client] of [
      ['visitor', visitor],
      ['invited member', f.users.member],
      ['analyst of another région', analyst11],
    ] as const) {
      for (const first of [1, 2, 50]) {
        const { entries, cursor } = await drain(client, before, first);
        expect(
          entries.map((e) => e.entityId),
          `${who}, first ${first}`,
        ).toEqual([visible.id]);
        expect(cursor, `${who} moves past the hidden entries`).toBe(last);
        // Nothing of it anywhere in the answers, nested fields included.
        const raw = JSON.stringify(await client.gql(FEED, { after: before, first }));
        expect(raw).not.toContain(hidden.id);
        expect(raw).not.toContain('secrète');
      }
      // Its entries are between `before` and the visible actor: a cursor just before the actor's skips them too.
      const tail = await client.gql(FEED, { after: String(Number(last) - 1), first: 5 });
      expect(tail.data.changes.edges.map((e: any) => e.node.entityId)).toEqual([visible.id]);
    }
    // Those who may list it see its entries and the coalition.
    for (const client of [f.users.coord, f.users.analyst44, server.admin]) {
      const { entries } = await drain(client, before);
      const own = entries.filter((e) => e.entityId === hidden.id);
      expect(own.map((e) => e.kind)).toEqual(['CREATED', 'UPDATED']);
      expect(own[1].coalition).toMatchObject({ id: hidden.id, visibility: 'MEMBERS' });
    }
  });

  it('should hide the earlier entries of a coalition that became members-only, and show its members only by the coalition rules', async () => {
    const before = await head();
    const c = await f.createCoalition('turned', f.users.coord, { ...MEUSE_CLSM, name: 'Flux coalition bientôt fermée', pilotActorId: f.actor.pilot });
    const visitor = server.client();
    const open = await drain(visitor, before);
    expect(open.entries.map((e) => [e.entityId, e.kind])).toEqual([[c.id, 'CREATED']]);
    const withMembers = await visitor.gql(
      `query ($after: String) { changes(after: $after) { edges { node { coalition { memberCount members { actor { name } } } } } } }`,
      { after: before },
    );
    expect(withMembers.data.changes.edges[0].node.coalition.memberCount).toBe(1);
    await ok(f.users.coord.gql(UPDATE_COALITION, { id: c.id, v: c.version, input: { visibility: 'MEMBERS' } }));
    const closed = await drain(visitor, before);
    expect(closed.entries).toEqual([]);
    expect(JSON.stringify(await visitor.gql(FEED, { after: before, first: 10 }))).not.toContain(c.id);
  });

  it('should show every actor change to a visitor, with the actor under its own field rules', async () => {
    const before = await head();
    const a = await server.createActor(input('Flux acteur public'));
    const res = await server.gql(
      `query ($after: String) { changes(after: $after) { edges { node { entityId kind actor { name reviewHistory { toStatus } viewerCanEdit } } } } }`,
      { after: before },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.changes.edges).toEqual([
      { node: { entityId: a.id, kind: 'CREATED', actor: { name: 'Flux acteur public', reviewHistory: null, viewerCanEdit: false } } },
    ]);
  });
});
