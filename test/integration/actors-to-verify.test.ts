import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, TEST_PASSWORD } from '../helpers/factories.js';
import { type CookieClient, errorCodes } from '../helpers/server.js';
import { moderationFile } from '../helpers/moderation-file.js';
import { allPages } from '../helpers/pages.js';

/**
 * « À vérifier » (Query.actorsToVerify): the validated actors whose record is stale and that are the
 * only local presence of one of their themes in some commune. Checked against the same definition
 * recomputed from the actors and their coverage rows, without the maintained aggregates the query reads.
 */
const file = moderationFile('actors-to-verify');
const { SOURCE, DOMAIN } = file;

let member: CookieClient;
const ids: Record<string, string> = {};

const LIST = `query ($region: String, $first: Int, $after: String) {
  actorsToVerify(region: $region, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor soleCommuneCount solePopulation soleThemeCodes soleCommuneNames node { id name verifiedAt isStale } }
  } }`;

interface Edge {
  cursor: string;
  soleCommuneCount: number;
  solePopulation: number;
  soleThemeCodes: string[];
  soleCommuneNames: string[];
  node: { id: string; name: string; verifiedAt: string | null; isStale: boolean };
}

async function list(client: CookieClient, variables: Record<string, unknown> = {}) {
  return (
    await ok<{ actorsToVerify: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Edge[] } }>(
      client.gql(LIST, { first: 100, ...variables }),
    )
  ).actorsToVerify;
}

/**
 * The same list from first principles: for each commune (of the région) and theme key, the active
 * validated actors present there locally (coverage_commune.local) whose keys include it; where there
 * is exactly one and its record is stale (18 months), it is to be checked.
 */
async function truth(region: string | null) {
  const rows: { id: string; communes: number; population: string; themes: string[] }[] = await file.server.ds.query(
    `WITH present AS (
       SELECT cc.commune_code, a.id, a.verified_at, k FROM coverage_commune cc
       JOIN actor a ON a.id = cc.actor_id AND a.status = 'ACTIVE' AND a.review_status = 'VALIDATED'
       CROSS JOIN unnest(gap_theme_keys(a.themes, a.kind)) k
       WHERE cc.local AND k <> '*' AND k NOT LIKE 'terrain:%'),
     sole AS (
       SELECT p.commune_code, p.k, min(p.id::text)::uuid AS id FROM present p GROUP BY p.commune_code, p.k HAVING count(*) = 1)
     SELECT s.id, count(DISTINCT s.commune_code)::int AS communes, array_agg(DISTINCT s.k ORDER BY s.k) AS themes,
       (SELECT sum(c2.population) FROM territory c2 WHERE c2.level = 'COMMUNE' AND c2.code IN (SELECT s2.commune_code FROM sole s2 WHERE s2.id = s.id)
          AND ($1::text IS NULL OR c2.region_code = $1))::text AS population
     FROM sole s JOIN territory c ON c.level = 'COMMUNE' AND c.code = s.commune_code JOIN actor a ON a.id = s.id
     WHERE ($1::text IS NULL OR c.region_code = $1) AND (a.verified_at IS NULL OR a.verified_at < now() - interval '18 months')
     GROUP BY s.id`,
    [region],
  );
  return rows
    .map((r) => ({ id: r.id, communes: r.communes, population: Number(r.population), themes: r.themes }))
    .sort((a, b) => b.population - a.population || a.id.localeCompare(b.id));
}

const seen = (edges: Edge[]) => edges.map((e) => ({ id: e.node.id, communes: e.soleCommuneCount, population: e.solePopulation, themes: e.soleThemeCodes }));

beforeAll(async () => {
  const create = async (key: string, input: Record<string, unknown>) => {
    ids[key] = (await file.server.createActor({ kind: 'ASSOCIATION', sector: 'SANTE', source: SOURCE, name: `Vérif ${key}`, ...input })).id;
  };
  // Alone on addictions in Verdun, never confirmed: to check.
  await create('verdun', { themes: ['addictions'], communeCode: '55545' });
  // Alone on addictions in Bar-le-Duc, but confirmed lately: not to check.
  await create('barLeDuc', { themes: ['addictions'], communeCode: '55029' });
  // Two in Commercy: neither is the only presence there.
  await create('commercy1', { themes: ['addictions'], communeCode: '55122' });
  await create('commercy2', { themes: ['addictions'], communeCode: '55122' });
  // The whole Meuse on santé sexuelle: the only local presence of that theme in every commune.
  await create('meuse', { themes: ['sante-sexuelle'], territories: [{ level: 'DEPARTEMENT', code: '55' }] });
  // Région-wide, with no address: wide-scope coverage only, never a local presence (an address would make it present in its commune).
  await create('grandEst', { themes: ['parentalite'], territories: [{ level: 'REGION', code: '44' }] });
  // Seine-Saint-Denis, région 11.
  await create('saintDenis', { themes: ['addictions'], communeCode: '93066' });
  await file.server.ds.query(`UPDATE actor SET verified_at = now() - interval '2 months' WHERE id = $1`, [ids.barLeDuc]);
  await file.signInAnalysts();
  member = await file.server.signedIn({ email: `membre${DOMAIN}`, password: TEST_PASSWORD });
  // Pending (created by a member): counts nowhere, so neither to check nor hiding another.
  await ok(
    member.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id } }`, {
      input: { name: 'Vérif en attente', kind: 'ASSOCIATION', sector: 'SANTE', themes: ['addictions'], communeCode: '55545', source: SOURCE },
    }),
  );
});

describe('the records to check', () => {
  it('should list to an analyst the stale records that are the only local presence of a theme in a commune of his région, largest population first', async () => {
    const res = await list(file.analyst44);
    const expected = await truth('44');
    expect(seen(res.edges)).toEqual(expected);
    expect(res.totalCount).toBe(expected.length);
    const listed = res.edges.map((e) => e.node.id);
    expect(listed).toContain(ids.verdun);
    expect(listed).toContain(ids.meuse);
    for (const key of ['barLeDuc', 'commercy1', 'commercy2', 'grandEst', 'saintDenis']) expect(listed, key).not.toContain(ids[key]);
    const meuse = res.edges.find((e) => e.node.id === ids.meuse)!;
    expect(meuse.soleThemeCodes).toContain('sante-sexuelle');
    expect(meuse.soleCommuneNames[0]).toBe('Verdun');
    expect(meuse.node).toMatchObject({ verifiedAt: null, isStale: true });
  });

  it('should drop a record once someone confirms it, and bring it back when its confirmation is older than the threshold', async () => {
    const { version } = (await ok(file.server.admin.gql(`query ($id: ID!) { actor(id: $id) { version } }`, { id: ids.verdun }))).actor;
    await ok(file.analyst44.gql(`mutation ($id: ID!, $v: Int!) { confirmActorUpToDate(id: $id, version: $v) { id } }`, { id: ids.verdun, v: version }));
    expect((await list(file.analyst44)).edges.map((e) => e.node.id)).not.toContain(ids.verdun);
    await file.server.ds.query(`UPDATE actor SET verified_at = now() - interval '19 months' WHERE id = $1`, [ids.verdun]);
    const back = await list(file.analyst44);
    expect(back.edges.map((e) => e.node.id)).toContain(ids.verdun);
    expect(seen(back.edges)).toEqual(await truth('44'));
  });

  it('should list every région to an administrator, and one région when he asks for it', async () => {
    expect(seen((await list(file.server.admin)).edges)).toEqual(await truth(null));
    const idf = await list(file.server.admin, { region: '11' });
    expect(seen(idf.edges)).toEqual(await truth('11'));
    expect(idf.edges.map((e) => e.node.id)).toEqual([ids.saintDenis]);
    expect(seen((await list(file.analyst11)).edges)).toEqual(await truth('11'));
  });

  it('should refuse the list to visitors and members, and another région’s to an analyst', async () => {
    expect(errorCodes(await file.server.gql(LIST, {}))).toEqual(['UNAUTHENTICATED']);
    const refused = await member.gql(LIST, {});
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.data).toBeNull();
    expect(errorCodes(await file.analyst44.gql(LIST, { region: '11' }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await file.analyst11.gql(`{ actorsToVerify(region: "44") { totalCount } }`))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await file.server.admin.gql(LIST, { region: '00' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('should page with the cursor codec and refuse a forged cursor', async () => {
    const all = (await list(file.server.admin)).edges.map((e) => e.node.id);
    const pages = await allPages((after) => list(file.server.admin, { first: 1, after }));
    const paged = pages.flatMap((page) => page.edges.map((e) => e.node.id));
    expect(paged).toEqual(all);
    for (const cursor of [Buffer.from(JSON.stringify(['1 OR 1=1', ids.verdun])).toString('base64url'), 'x']) {
      expect(errorCodes(await file.server.admin.gql(LIST, { after: cursor }))).toEqual(['BAD_USER_INPUT']);
    }
  });
});
