import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsBeforeAndAfterRebuild } from '../helpers/gap-drift.js';
import { epciOf, TEST_PASSWORD } from '../helpers/factories.js';
import { type CookieClient, startTestServer, type TestServer } from '../helpers/server.js';
import { transactionStatements } from '../helpers/transaction.js';
import { ActorRepository } from '../../server/actors/actor.repository.js';

/**
 * An actor's write sends statements that write different tables together (`together`, sql.ts):
 * under load each round trip waits for the app's turn, so a creation went from 6 statements in its
 * transaction to 3, a change of territory from 8 to 5. What that must not change: the declared
 * territories, the coverage as its definition gives it, the gap counts the triggers maintain, the
 * representation and the review history.
 */
const SOURCE = 'test:actor-write-statements.test.ts';
const DOMAIN = '@test-actor-write-statements.local';
const VERDUN = '55545';
const BEAUSITE = '55040';

const FIELDS = `id name version status reviewStatus lon lat communeCode themeCodes createdAt updatedAt verifiedAt viewerCanEdit`;
const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) {
  updateActor(id: $id, version: $v, input: $input) { ${FIELDS} territories { level code } } }`;
const READ = `query ($id: ID!) { actor(id: $id) { ${FIELDS} territories { level code } } }`;

let server: TestServer;
let member: CookieClient & { userId: string };
let grandVerdun: string;

beforeAll(async () => {
  server = await startTestServer();
  member = await server.signedIn({ email: `membre${DOMAIN}`, password: TEST_PASSWORD, displayName: 'Membre' });
  grandVerdun = await epciOf(server, VERDUN);
});

afterAll(() => server?.close());

/** An actor's stored coverage: its communes (with local presence) and its areas. */
async function coverage(id: string) {
  const communes: { code: string; local: boolean }[] = await server.ds.query(
    `SELECT commune_code AS code, local FROM coverage_commune WHERE actor_id = $1 ORDER BY 1`,
    [id],
  );
  const areas: { key: string }[] = await server.ds.query(`SELECT level || ':' || code AS key FROM coverage_area WHERE actor_id = $1 ORDER BY 1`, [id]);
  return { communes, areas: areas.map((a) => a.key) };
}

/** The communes of a département, from the official territories (not from any coverage). */
async function communesOf(departement: string): Promise<string[]> {
  const rows: { code: string }[] = await server.ds.query(`SELECT code FROM territory WHERE level = 'COMMUNE' AND departement_code = $1 ORDER BY code`, [
    departement,
  ]);
  return rows.map((r) => r.code);
}

/** The EPCI, département, région and country of communes, as `LEVEL:code` keys (from the official territories). */
async function areasOf(communes: string[]): Promise<string[]> {
  const rows: { key: string }[] = await server.ds.query(
    `SELECT DISTINCT x.key FROM territory c
       CROSS JOIN LATERAL (VALUES ('EPCI:' || c.epci_code), ('DEPARTEMENT:' || c.departement_code), ('REGION:' || c.region_code), ('PAYS:FR')) AS x(key)
     WHERE c.level = 'COMMUNE' AND c.code = ANY($1) AND x.key IS NOT NULL ORDER BY 1`,
    [communes],
  );
  return rows.map((r) => r.key);
}

describe('the statements of an actor write', () => {
  it('creates a member’s actor with its territories, coverage, representation and review event in three statements', async () => {
    server.queries.length = 0;
    const res = await member.gql(CREATE, {
      input: {
        name: 'Écriture groupée',
        kind: 'ASSOCIATION',
        sector: 'SOCIAL',
        communeCode: VERDUN,
        themes: ['addictions'],
        territories: [{ level: 'COMMUNE', code: BEAUSITE }],
        source: SOURCE,
      },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const id: string = res.data.createActor.id;
    const inside = transactionStatements(server.queries);
    expect(
      inside.map((q) => q.trim().split(/\s+/).slice(0, 3).join(' ')),
      inside.join('\n---\n'),
    ).toEqual([
      'WITH w0 AS', // the actor and its declared territory
      'WITH cc AS', // its communes, then its areas
      'WITH w0 AS', // its representation and its review event, the actor read back
    ]);
    // Nothing read again after the commit: the answer is the actor as the transaction left it.
    const after = server.queries.slice(server.queries.findIndex((q) => q.startsWith('COMMIT')) + 1);
    expect(
      after.filter((q) => /\bFROM actor\b/.test(q)),
      after.join('\n---\n'),
    ).toEqual([]);
    const read = await member.gql(`query ($id: ID!) { actor(id: $id) { ${FIELDS} } }`, { id });
    expect(res.data.createActor).toEqual(read.data.actor);

    const [territories, represented, events] = await Promise.all([
      server.ds.query(`SELECT level, code FROM actor_territory WHERE actor_id = $1`, [id]),
      server.ds.query(`SELECT 1 FROM user_actor WHERE user_id = $1 AND actor_id = $2`, [member.userId, id]),
      server.ds.query(`SELECT from_status, to_status FROM actor_review_event WHERE actor_id = $1`, [id]),
    ]);
    expect(territories).toEqual([{ level: 'COMMUNE', code: BEAUSITE }]);
    expect(represented).toHaveLength(1);
    expect(events).toEqual([{ from_status: null, to_status: res.data.createActor.reviewStatus }]);
    // Its declared commune and the commune of its address, both local; the areas they lie in.
    const stored = await coverage(id);
    expect(stored.communes).toEqual([
      { code: BEAUSITE, local: true },
      { code: VERDUN, local: true },
    ]);
    expect(stored.areas).toEqual(await areasOf([BEAUSITE, VERDUN]));
    // The member may edit what it created: the representation is there for the permission rules
    // too. The change answers with the actor as its transaction left it, read by its own UPDATE.
    server.queries.length = 0;
    const edit = await member.gql(
      `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { ${FIELDS} } }`,
      {
        id,
        v: 1,
        input: { description: 'Modifiée par son auteur' },
      },
    );
    expect(edit.errors, JSON.stringify(edit.errors)).toBeUndefined();
    const afterEdit = server.queries.slice(server.queries.findIndex((q) => q.startsWith('COMMIT')) + 1);
    expect(
      afterEdit.filter((q) => /\bFROM actor\b/.test(q)),
      afterEdit.join('\n---\n'),
    ).toEqual([]);
    expect(edit.data.updateActor).toEqual((await member.gql(`query ($id: ID!) { actor(id: $id) { ${FIELDS} } }`, { id })).data.actor);
  });

  it('replaces overlapping declared territories and the coverage they give, the gap counts following', async () => {
    const { id } = await server.createActor({
      name: 'Territoires qui se recouvrent',
      kind: 'ASSOCIATION',
      sector: 'SANTE',
      communeCode: VERDUN,
      themes: ['sante-mentale'],
      territories: [
        { level: 'COMMUNE', code: VERDUN },
        { level: 'EPCI', code: grandVerdun },
      ],
      source: SOURCE,
    });

    // {Verdun, Grand Verdun} → {Grand Verdun, Meuse}: one kept, one removed, one added.
    server.queries.length = 0;
    const wider = await server.admin.gql(UPDATE, {
      id,
      v: 1,
      input: {
        territories: [
          { level: 'EPCI', code: grandVerdun },
          { level: 'DEPARTEMENT', code: '55' },
        ],
      },
    });
    expect(wider.errors, JSON.stringify(wider.errors)).toBeUndefined();
    const inside = transactionStatements(server.queries);
    expect(inside.filter((q) => /actor_territory|coverage_/.test(q) && /^\s*(WITH|INSERT|DELETE)/.test(q))).toHaveLength(2);
    expect(wider.data.updateActor.territories).toEqual([
      { level: 'DEPARTEMENT', code: '55' },
      { level: 'EPCI', code: grandVerdun },
    ]);
    expect(wider.data.updateActor).toEqual((await server.admin.gql(READ, { id })).data.actor);
    const meuse = await communesOf('55');
    let stored = await coverage(id);
    expect(stored.communes).toEqual(meuse.map((code) => ({ code, local: true })));
    expect(stored.areas).toEqual(await areasOf(meuse));
    let counts = await countsBeforeAndAfterRebuild(server.ds);
    expect(counts.maintained).toBe(counts.rebuilt);

    // → {Beausite}: every earlier territory removed; the address keeps Verdun.
    const narrower = await server.admin.gql(UPDATE, { id, v: 2, input: { territories: [{ level: 'COMMUNE', code: BEAUSITE }] } });
    expect(narrower.errors, JSON.stringify(narrower.errors)).toBeUndefined();
    expect(narrower.data.updateActor.territories).toEqual([{ level: 'COMMUNE', code: BEAUSITE }]);
    expect(narrower.data.updateActor).toEqual((await server.admin.gql(READ, { id })).data.actor);
    stored = await coverage(id);
    expect(stored.communes).toEqual([
      { code: BEAUSITE, local: true },
      { code: VERDUN, local: true },
    ]);
    expect(stored.areas).toEqual(await areasOf([BEAUSITE, VERDUN]));
    counts = await countsBeforeAndAfterRebuild(server.ds);
    expect(counts.maintained).toBe(counts.rebuilt);

    // The same territories again: nothing declared changes, the coverage is written anew, identical.
    const same = await server.admin.gql(UPDATE, { id, v: 3, input: { territories: [{ level: 'COMMUNE', code: BEAUSITE }] } });
    expect(same.errors, JSON.stringify(same.errors)).toBeUndefined();
    expect(await coverage(id)).toEqual(stored);
    counts = await countsBeforeAndAfterRebuild(server.ds);
    expect(counts.maintained).toBe(counts.rebuilt);
  });

  it('updates one actor through its key, not through every actor of the directory', async () => {
    const { id } = await server.createActor({
      name: 'Mise à jour par la clé',
      kind: 'ASSOCIATION',
      sector: 'SOCIAL',
      themes: ['parentalite'],
      communeCode: VERDUN,
      source: SOURCE,
    });
    const record = (await ActorRepository.records(server.ds, [id])).get(id)!;
    // The statement and values the update sends, run here under EXPLAIN on its generic plan (the one
    // a named statement keeps): PostgreSQL estimates the JSON records at 100 rows whatever they hold,
    // and read the whole table to update one actor when the key reached the actor's scan only
    // through the join.
    let sent: { text: string; values: unknown[] } | undefined;
    const capture = { query: async (text: unknown, values: unknown[]) => ((sent = { text: String(text), values }), []) };
    await ActorRepository.update(capture, [{ ...record, description: 'changée' }], []);
    const qr = server.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await qr.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      await qr.query(`PREPARE update_one AS ${sent!.text}`);
      const literal = (v: unknown) => {
        if (v === null || typeof v === 'number') return String(v).toUpperCase();
        if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
        throw new Error(`unexpected value ${JSON.stringify(v)}`);
      };
      const [
        {
          'QUERY PLAN': [plan],
        },
      ] = await qr.query(`EXPLAIN (FORMAT JSON) EXECUTE update_one(${sent!.values.map(literal).join(', ')})`);
      type Node = { 'Relation Name'?: string; 'Index Cond'?: string; Filter?: string; Plans?: Node[] };
      const nodes = (n: Node): Node[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
      const scans = nodes(plan.Plan).filter((n) => n['Relation Name'] === 'actor');
      expect(scans.map((n) => `${n['Index Cond'] ?? ''} ${n.Filter ?? ''}`).join(' | '), JSON.stringify(plan.Plan)).toMatch(/\(id = \$\d+\)/);
    } finally {
      await qr.rollbackTransaction();
      await qr.release();
    }
  });
});
