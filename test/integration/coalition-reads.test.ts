import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../helpers/factories.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { allPages } from '../helpers/pages.js';
import { MEUSE } from '../helpers/places.js';

/** Every actor of this file carries this source and every account this domain: afterAll removes exactly them. */
const SOURCE = 'test:coalition-reads.test.ts';
const DOMAIN = '@test-coalition-reads.local';

let server: TestServer;
let admin: CookieClient;
const created: string[] = [];
const { actor, createActor, createUser, createCoalition } = fixtures(() => server, { source: SOURCE, domain: DOMAIN });

beforeAll(async () => {
  server = await startTestServer();
  await createActor('pilot', { name: 'Curseurs CPTS', kind: 'CPTS', sector: 'SANTE', themes: ['sante-mentale'], territories: [MEUSE] });
  admin = await createUser('admin', 'ADMIN', ['pilot']);
  // Two coalitions share a name: the page cuts between them by id.
  for (const [i, name] of ['Curseurs B', 'Curseurs A', 'Curseurs B', 'Curseurs É', 'Curseurs C'].entries()) {
    created.push(
      (await createCoalition(`page${i}`, admin, { name, kind: 'THEMATIQUE', themes: ['sante-mentale'], territory: MEUSE, pilotActorId: actor.pilot })).id,
    );
  }
});

afterAll(async () => {
  await server?.ds.query(`DELETE FROM coalition WHERE id = ANY($1::uuid[])`, [created]);
  await server?.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server?.ds.query(`DELETE FROM user_account WHERE email LIKE $1`, [`%${DOMAIN}`]);
  await server?.close();
});

const Q = `query ($first: Int, $after: String, $filter: CoalitionFilter) { coalitions(first: $first, after: $after, filter: $filter) {
  totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const UUID = '00000000-0000-4000-8000-000000000000';

describe('coalition pages', () => {
  it('should page through every visible coalition once, in the order of a single page', async () => {
    const filter = { includeEnded: true };
    const all = (await server.gql(Q, { first: 200, filter })).data.coalitions;
    expect(all.totalCount).toBe(all.edges.length);
    expect(all.edges.map((e: any) => e.node.id)).toEqual(expect.arrayContaining(created));
    const pages = await allPages(async (after) => (await server.gql(Q, { first: 2, after, filter })).data.coalitions);
    for (const page of pages) {
      expect(page.totalCount).toBe(all.totalCount);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
    }
    const seen: string[] = pages.flatMap((page) => page.edges.map((e: any) => e.node.id));
    expect(seen).toEqual(all.edges.map((e: any) => e.node.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it.each([
    ['not base64 JSON', 'garbage'],
    ['a name with a NUL character', cursor(['a\u0000b', UUID])],
    ['an id that is no UUID', cursor(['Coalition', 'x; DROP TABLE coalition'])],
    ['a number for the name', cursor([12, UUID])],
    ['three parts', cursor(['a', UUID, 'b'])],
    ['an object', cursor({ name: 'a', id: UUID })],
    ['a very long cursor', cursor(['a'.repeat(5000), UUID])],
  ])('should answer a forged cursor (%s) by BAD_USER_INPUT, never an internal error', async (_name, after) => {
    const res = await server.gql(Q, { first: 5, after });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toMatch(/^Curseur de pagination invalide/);
  });
});

describe('suggested partners', () => {
  it('should suggest partners for a national coalition too (its statement once carried an unused parameter and failed)', async () => {
    const partner = await createActor('local', {
      name: 'Curseurs Asso nationale',
      kind: 'ASSOCIATION',
      sector: 'SOCIAL',
      themes: ['sante-mentale'],
      territories: [{ level: 'COMMUNE', code: '55545' }],
    });
    const national = await createCoalition('national', admin, {
      name: 'Curseurs nationale',
      kind: 'ALLIANCE_REGIONALE',
      themes: ['sante-mentale'],
      territory: { level: 'PAYS', code: 'FR' },
      pilotActorId: actor.pilot,
    });
    created.push(national.id);
    const suggested = await admin.gql(`query ($id: ID!) { suggestedPartners(coalitionId: $id, first: 100) { actor { id } coveredCommunes communeCount } }`, {
      id: national.id,
    });
    expect(suggested.errors, JSON.stringify(suggested.errors)).toBeUndefined();
    const mine = suggested.data.suggestedPartners.find((s: { actor: { id: string } }) => s.actor.id === partner);
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM territory WHERE level = 'COMMUNE'`);
    expect(mine).toMatchObject({ coveredCommunes: 1, communeCount: n });
  });
});
