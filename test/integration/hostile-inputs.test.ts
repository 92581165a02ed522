import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type GraphQLResponse, type TestServer } from '../helpers/server.js';

/**
 * Hostile and malformed values sent to every text field, filter and argument of the directory
 * and territory API. Each answer must be a clean GraphQL answer (data, or errors that all carry a
 * code other than INTERNAL_SERVER_ERROR), and a refused write must leave the data as it was.
 */
const SOURCE = 'test:hostile-inputs.test.ts';
const HOSTILE: [string, unknown][] = [
  ['SQL quote', "' OR '1'='1"],
  ['SQL comment', "x'; DROP TABLE actor; --"],
  ['SQL union', "' UNION SELECT password_hash FROM pg_authid --"],
  ['LIKE wildcards', '%_%\\'],
  ['tsquery operators', '!(a & | b) <-> :* \'"'],
  ['regex', '.*(a+)+$[^]'],
  ['1 MB string', 'x'.repeat(1_000_000)],
  ['NUL byte', 'abc\u0000def'],
  ['lone surrogate', 'a\ud800b'],
  ['emoji and RTL', '🏥 مرحبا \u202e'],
  ['HTML', '<script>alert(1)</script>'],
  ['empty', ''],
  ['spaces', '   '],
  ['number as string', '1e308'],
  ['JSON', '{"$gt": ""}'],
];
const NUMBERS: [string, unknown][] = [
  ['negative', -1],
  ['huge', 1e308],
  ['min int', -2147483648],
  ['float for int', 1.5],
  ['string for number', 'abc'],
  ['null', null],
];

let server: TestServer;
let tried = 0;

const snapshot = async () => {
  const [row] = await server.ds.query(
    `SELECT (SELECT count(*) FROM actor)::int AS actors,
            (SELECT md5(coalesce(string_agg(id::text || ':' || version, ',' ORDER BY id), '')) FROM actor) AS versions,
            (SELECT count(*) FROM coverage_commune)::int AS coverage`,
  );
  return row;
};

function expectClean(res: GraphQLResponse, label: string) {
  tried++;
  expect([200, 400, 413], `${label}: HTTP ${res.status}`).toContain(res.status);
  for (const e of res.errors ?? []) {
    expect(e.extensions?.code, `${label}: ${e.message}`).toBeTruthy();
    expect(e.extensions?.code, `${label}: ${e.message}`).not.toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(e)).not.toMatch(/at [\w.]+ \(|node_modules|QueryFailedError/);
  }
  if (res.status === 200) expect(res.data !== undefined || res.errors !== undefined).toBe(true);
}

let base: { id: string; version: number };

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.admin.gql(`mutation ($i: CreateActorInput!) { createActor(input: $i) { id version } }`, {
    i: { name: 'Cible des entrées hostiles', kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], communeCode: '55545', source: SOURCE },
  });
  base = res.data.createActor;
});

afterAll(async () => {
  await server?.close();
  console.log(`hostile inputs tried: ${tried}`);
});

const CREATE = `mutation ($i: CreateActorInput!) { createActor(input: $i) { id name description } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $i: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $i) { id version } }`;
const SEARCH = `query ($f: ActorFilter, $first: Int, $after: String) { actors(filter: $f, first: $first, after: $after) { totalCount edges { node { id } } } }`;
const TEXT_FIELDS = ['name', 'address', 'description', 'email', 'phone', 'website', 'siren', 'siret', 'rna', 'finess', 'postalCode', 'communeCode', 'source'];

describe('hostile inputs', () => {
  it('never breaks createActor, and stores accepted text exactly as sent', async () => {
    for (const field of [...TEXT_FIELDS, 'themes', 'audiences', 'territoryCode']) {
      for (const [label, value] of HOSTILE) {
        const before = await snapshot();
        const input: Record<string, unknown> = {
          name: 'Hostile',
          kind: 'ASSOCIATION',
          sector: 'SANTE',
          themes: ['vaccination'],
          communeCode: '55545',
          source: SOURCE,
        };
        if (field === 'themes' || field === 'audiences') input[field] = [value];
        else if (field === 'territoryCode') input.territories = [{ level: 'COMMUNE', code: value }];
        else input[field] = value;
        const res = await server.admin.gql(CREATE, { i: input });
        expectClean(res, `createActor.${field} ← ${label}`);
        if (res.errors) {
          expect(await snapshot(), `createActor.${field} ← ${label} changed data`).toEqual(before);
        } else {
          const created = res.data.createActor;
          if (field === 'description' && typeof value === 'string' && value.trim()) expect(created.description).toBe(value.trim());
          await server.ds.query(`DELETE FROM actor WHERE id = $1`, [created.id]);
        }
      }
    }
  });

  it('never breaks updateActor, and a refused update changes nothing', async () => {
    for (const field of TEXT_FIELDS) {
      for (const [label, value] of HOSTILE) {
        const before = await snapshot();
        const [{ version }] = await server.ds.query(`SELECT version FROM actor WHERE id = $1`, [base.id]);
        const res = await server.admin.gql(UPDATE, { id: base.id, v: version, i: { [field]: value } });
        expectClean(res, `updateActor.${field} ← ${label}`);
        if (res.errors) expect(await snapshot(), `updateActor.${field} ← ${label} changed data`).toEqual(before);
      }
    }
    for (const [label, value] of [...HOSTILE, ['uuid of nobody', '00000000-0000-4000-8000-000000000000']] as [string, unknown][]) {
      const before = await snapshot();
      expectClean(await server.admin.gql(UPDATE, { id: value, v: 1, i: { name: 'x' } }), `updateActor.id ← ${label}`);
      expectClean(await server.admin.gql(`mutation ($id: ID!) { archiveActor(id: $id, version: 1) { id } }`, { id: value }), `archiveActor.id ← ${label}`);
      expect(await snapshot()).toEqual(before);
    }
    for (const [label, value] of NUMBERS) {
      expectClean(await server.admin.gql(UPDATE, { id: base.id, v: value, i: { name: 'x' } }), `updateActor.version ← ${label}`);
      expectClean(
        await server.admin.gql(CREATE, {
          i: {
            name: 'x',
            kind: 'ASSOCIATION',
            sector: 'SANTE',
            themes: ['vaccination'],
            communeCode: '55545',
            lon: value,
            lat: value,
            radiusKm: value,
            source: SOURCE,
          },
        }),
        `createActor.coordinates ← ${label}`,
      );
    }
  });

  it('never breaks the search filters', async () => {
    for (const [label, value] of HOSTILE) {
      for (const filter of [
        { coversCommune: value },
        { text: value },
        { themesAny: [value] },
        { themesAll: [value] },
        { audiences: [value] },
        { territory: { level: 'EPCI', code: value } },
      ]) {
        expectClean(await server.gql(SEARCH, { f: filter }), `actors(${Object.keys(filter)[0]} ← ${label})`);
      }
      expectClean(await server.gql(SEARCH, { after: value }), `actors(after ← ${label})`);
      expectClean(await server.gql(`query ($t: String!) { searchTerritories(text: $t) { code } }`, { t: value }), `searchTerritories ← ${label}`);
      expectClean(await server.gql(`query ($c: String!) { territory(code: $c) { code } }`, { c: value }), `territory ← ${label}`);
      expectClean(await server.gql(`query ($id: ID!) { actor(id: $id) { id } }`, { id: value }), `actor ← ${label}`);
    }
    for (const [label, value] of NUMBERS) {
      expectClean(await server.gql(SEARCH, { first: value }), `actors(first ← ${label})`);
      expectClean(await server.gql(SEARCH, { f: { near: { lon: value, lat: value, radiusKm: value } } }), `actors(near ← ${label})`);
      expectClean(
        await server.gql(`query ($x: Float!, $y: Float!) { territoryAt(lon: $x, lat: $y) { code } }`, { x: value, y: value }),
        `territoryAt ← ${label}`,
      );
      expectClean(await server.gql(`{ territory(code: "55545") { geometry(simplify: ${JSON.stringify(value)}) } }`), `geometry(simplify ← ${label})`);
    }
  });

  it('finds text that looks like SQL as plain text', async () => {
    const res = await server.admin.gql(CREATE, {
      i: { name: "L'Âge d'Or'; DROP TABLE actor; --", kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], communeCode: '55545', source: SOURCE },
    });
    expect(res.errors).toBeUndefined();
    const found = await server.gql(SEARCH, { f: { text: 'DROP TABLE actor; --' } });
    expect(found.data.actors.edges.map((e: any) => e.node.id)).toContain(res.data.createActor.id);
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM actor`);
    expect(n).toBeGreaterThan(0);
  });
});
