import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { countsBeforeAndAfterRebuild, DRIFT } from '../helpers/gap-drift.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 17: every actor write of the directory waited for one advisory lock held until the commit
 * of the write before it (migration 1764000000010). A write now locks only its own rows; its gap
 * aggregate deltas are added at commit, in one sorted statement (migration 1764000000025). The
 * aggregates must stay exactly what a recount gives, whatever writes run together.
 */
const SOURCE = 'test:actor-write-locks.test.ts';
const postgres = inject('backend') === 'postgres';
const THEME = 'sante-mentale';
const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { id version } }`;

let server: TestServer;
let communes: string[] = [];

const actorInput = (name: string, commune: string, themes = [THEME]) => ({
  name,
  kind: 'ASSOCIATION',
  sector: 'SOCIAL',
  communeCode: commune,
  themes,
  territories: [{ level: 'COMMUNE', code: commune }],
  source: SOURCE,
});

beforeAll(async () => {
  server = await startTestServer();
  communes = (
    await server.ds.query(`SELECT code FROM territory WHERE level = 'COMMUNE' AND departement_code = '54' ORDER BY population DESC NULLS LAST LIMIT 12`)
  ).map((r: { code: string }) => r.code);
});

afterAll(async () => {
  if (!server) return;
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server.close();
});

const expectExactAggregates = async () => {
  expect(await server.ds.query(DRIFT)).toEqual([]);
  const { maintained, rebuilt } = await countsBeforeAndAfterRebuild(server.ds);
  expect(rebuilt).toBe(maintained);
  expect(await server.ds.query(`SELECT count(*)::int AS n FROM coverage_theme_pending`)).toEqual([{ n: 0 }]);
};

describe('actor writes and the gap aggregates', () => {
  it('should keep the aggregates exact after many creations and updates at once, on one commune and on distinct ones', { timeout: 180_000 }, async () => {
    const same = communes[0];
    const first = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        server.admin.gql(CREATE, { input: actorInput(`Verrou ${i}`, i % 2 ? same : communes[i % communes.length], i % 3 ? [THEME] : [THEME, 'addictions']) }),
      ),
    );
    for (const res of first) expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const created = first.map((r) => r.data.createActor as { id: string; version: number });
    // Each actor moves (to the shared commune, or to another) and changes its themes, while more are created.
    const writes = await Promise.all([
      ...created.map((a, i) =>
        server.admin.gql(UPDATE, {
          id: a.id,
          v: a.version,
          input: {
            communeCode: i % 2 ? communes[(i + 3) % communes.length] : same,
            territories: [{ level: 'COMMUNE', code: i % 2 ? communes[(i + 3) % communes.length] : same }],
            themes: i % 2 ? ['addictions'] : [THEME, 'vaccination'],
          },
        }),
      ),
      ...Array.from({ length: 12 }, (_, i) =>
        server.admin.gql(CREATE, { input: actorInput(`Verrou bis ${i}`, i % 2 ? same : communes[(i * 5) % communes.length]) }),
      ),
    ]);
    for (const res of writes) expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    await expectExactAggregates();
  });

  it('should not count the deltas of a write rolled back', async () => {
    const [{ id }] = await server.ds.query(`SELECT id FROM actor WHERE source = $1 AND status = 'ACTIVE' LIMIT 1`, [SOURCE]);
    const qr = server.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await qr.query(`UPDATE actor SET themes = ARRAY['parentalite'] WHERE id = $1`, [id]);
      await qr.query(`DELETE FROM coverage_commune WHERE actor_id = $1`, [id]);
      await qr.rollbackTransaction();
    } finally {
      await qr.release();
    }
    await expectExactAggregates();
  });

  // PGlite is one backend: a transaction left open there holds it for every connection, by design.
  it.skipIf(!postgres)(
    'should not make a write wait for the uncommitted write of another actor of the same theme and commune — PostgreSQL only',
    { timeout: 60_000 },
    async () => {
      const [{ id }] = await server.ds.query(`SELECT id FROM actor WHERE source = $1 AND status = 'ACTIVE' LIMIT 1`, [SOURCE]);
      const qr = server.ds.createQueryRunner();
      await qr.connect();
      let committed = false;
      try {
        await qr.startTransaction();
        // An update that moves the aggregates of the theme (every key, down to the whole country).
        await qr.query(`UPDATE actor SET themes = ARRAY['${THEME}', 'parentalite'] WHERE id = $1`, [id]);
        const create = server.admin.gql(CREATE, { input: actorInput('Verrou pendant une autre écriture', communes[0]) });
        // Liveness guard only: with one lock for the whole directory the creation waited for the commit below.
        const guard = new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 20_000));
        const outcome = await Promise.race([create.then((r) => ({ committedBefore: committed, errors: r.errors })), guard]);
        await qr.commitTransaction();
        committed = true;
        expect(outcome).toEqual({ committedBefore: false, errors: undefined });
        await create;
      } finally {
        if (qr.isTransactionActive) await qr.rollbackTransaction();
        await qr.release();
      }
      await expectExactAggregates();
    },
  );
});
