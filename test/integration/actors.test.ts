import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epciOf } from '../helpers/factories.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { allPages } from '../helpers/pages.js';

/** Every fixture of this file carries this source, so afterAll removes exactly them. */
const SOURCE = 'test:actors.test.ts';

/** Where actors are located: a commune and its point (and a radius of action around it). */
const IN_VERDUN = { communeCode: '55545', lon: 5.3876, lat: 49.1598 };
const BAR_LE_DUC_10KM = { communeCode: '55029', lon: 5.1606, lat: 48.7727, radiusKm: 10 };

let server: TestServer;
const ids: Record<string, string> = {};
let verdunEpci: string;

const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version name } }`;

async function create(key: string, input: Record<string, unknown>) {
  const res = await server.admin.gql(CREATE, { input: { source: SOURCE, ...input } });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  ids[key] = res.data.createActor.id;
  return res.data.createActor;
}

beforeAll(async () => {
  server = await startTestServer();
  verdunEpci = await epciOf(server, '55545');
  const verdun = [{ level: 'COMMUNE', code: '55545' }];
  const grandVerdun = { level: 'EPCI', code: verdunEpci };
  await create('alpha', {
    ...IN_VERDUN,
    name: 'Alpha Addictions Verdun',
    kind: 'ASSOCIATION',
    sector: 'SANTE',
    themes: ['addictions-tabac'],
    audiences: ['jeunes'],
    territories: verdun,
  });
  await create('bravo', {
    name: 'Bravo CPTS du Grand Verdun',
    kind: 'CPTS',
    sector: 'SANTE',
    themes: ['sante-mentale', 'addictions-alcool'],
    audiences: ['professionnels'],
    territories: [grandVerdun],
  });
  await create('charlie', {
    name: 'Charlie Conseil départemental',
    kind: 'COLLECTIVITE',
    sector: 'COLLECTIVITE',
    themes: ['nutrition-activite-physique'],
    audiences: ['tout-public'],
    territories: [{ level: 'DEPARTEMENT', code: '55' }],
    isDemo: true,
  });
  await create('delta', {
    ...BAR_LE_DUC_10KM,
    name: 'Delta Centre hospitalier',
    kind: 'ETABLISSEMENT_SANTE',
    sector: 'SANTE',
    themes: ['vaccination', 'sante-mentale-prevention-suicide'],
    audiences: ['enfants'],
  });
  await create('echo', { name: 'Echo Agence régionale', kind: 'ARS', sector: 'ETAT', themes: ['addictions'], territories: [{ level: 'REGION', code: '44' }] });
  await create('foxtrot', {
    name: 'Foxtrot Prévention Saint-Denis',
    kind: 'ASSOCIATION',
    sector: 'SOCIAL',
    themes: ['sante-sexuelle-vih'],
    audiences: ['jeunes', 'femmes'],
    description: 'Dépistage et prévention du VIH auprès des jeunes de Plaine Commune',
    territories: [{ level: 'COMMUNE', code: '93066' }],
  });
  const golf = await create('golf', {
    name: 'Golf Association dissoute',
    kind: 'ASSOCIATION',
    sector: 'SANTE',
    themes: ['addictions-tabac'],
    territories: verdun,
  });
  const archived = await server.admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { status version } }`, {
    id: golf.id,
    v: golf.version,
  });
  expect(archived.data.archiveActor).toEqual({ status: 'ARCHIVED', version: 2 });
});

afterAll(() => server?.close());

const SEARCH = `query ($filter: ActorFilter, $first: Int, $after: String, $orderBy: ActorOrder) {
  actors(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    edges { cursor distanceKm node { id name } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}`;

/** The names found, in name order (a commune's search is in proximity order by default: test/integration/commune-search.test.ts). */
async function names(filter: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await server.gql(SEARCH, { filter, first: 50, orderBy: 'NAME', ...extra });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  const list = res.data.actors.edges.map((e: any) => e.node.name.split(' ')[0]);
  expect(res.data.actors.totalCount).toBe(list.length);
  return list as string[];
}

describe('actors filters', () => {
  it('lists the actors whose territory covers a commune, and not the archived ones', async () => {
    expect(await names({ coversCommune: '55545' })).toEqual(['Alpha', 'Bravo', 'Charlie', 'Echo']);
    expect(await names({ coversCommune: '55545', includeArchived: true })).toEqual(['Alpha', 'Bravo', 'Charlie', 'Echo', 'Golf']);
  });

  it('should not list actors outside the commune', async () => {
    expect(await names({ coversCommune: '93066' })).toEqual(['Foxtrot']);
    expect(await names({ coversCommune: '2A004' })).toEqual([]);
  });

  it('resolves a radius into the communes within it', async () => {
    expect(await names({ coversCommune: '55029' })).toEqual(['Charlie', 'Delta', 'Echo']);
    const actor = await server.gql(`query ($id: ID!) { actor(id: $id) { coveredCommunes(first: 500) { totalCount nodes { code } } } }`, {
      id: ids.delta,
    });
    const covered = actor.data.actor.coveredCommunes;
    expect(covered.nodes.map((n: any) => n.code)).toContain('55029');
    expect(covered.totalCount).toBeGreaterThan(5);
    expect(covered.nodes.map((n: any) => n.code)).not.toContain('55545');
  });

  it('finds actors covering at least part of an EPCI, a département or a région', async () => {
    expect(await names({ territory: { level: 'EPCI', code: verdunEpci } })).toEqual(['Alpha', 'Bravo', 'Charlie', 'Echo']);
    expect(await names({ territory: { level: 'DEPARTEMENT', code: '55' } })).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo']);
    expect(await names({ territory: { level: 'REGION', code: '11' } })).toEqual(['Foxtrot']);
    expect(await names({ territory: { level: 'PAYS', code: 'FR' } })).toHaveLength(6);
    expect(await names({ territory: { level: 'COMMUNE', code: '93066' } })).toEqual(['Foxtrot']);
  });

  it('filters by theme, a parent theme including its sub-themes', async () => {
    expect(await names({ themesAny: ['addictions'] })).toEqual(['Alpha', 'Bravo', 'Echo']);
    expect(await names({ themesAny: ['addictions-tabac'] })).toEqual(['Alpha']);
    expect(await names({ themesAny: ['vaccination', 'sante-sexuelle'] })).toEqual(['Delta', 'Foxtrot']);
    expect(await names({ themesAll: ['addictions', 'sante-mentale'] })).toEqual(['Bravo']);
    expect(await names({ themesAll: ['sante-mentale'], coversCommune: '55029' })).toEqual(['Delta']);
  });

  it('filters by kind, sector, public and demonstration flag', async () => {
    expect(await names({ kinds: ['CPTS', 'ARS'] })).toEqual(['Bravo', 'Echo']);
    expect(await names({ sectors: ['SOCIAL'] })).toEqual(['Foxtrot']);
    expect(await names({ audiences: ['jeunes'] })).toEqual(['Alpha', 'Foxtrot']);
    expect(await names({ demo: true })).toEqual(['Charlie']);
    expect(await names({ demo: false, coversCommune: '55545' })).toEqual(['Alpha', 'Bravo', 'Echo']);
  });

  it('finds actors by free text, without accents and with a typo', async () => {
    expect(await names({ text: 'VIH' })).toEqual(['Foxtrot']);
    expect(await names({ text: 'depistage' })).toEqual(['Foxtrot']);
    expect(await names({ text: 'hospitalier' })).toEqual(['Delta']);
    expect(await names({ text: 'Agence regionale' })).toEqual(['Echo']);
    expect(await names({ text: 'Foxtrott' })).toEqual(['Foxtrot']);
  });

  it('finds actors by the theme a text names: the theme, its sub-themes, and for a sub-theme the whole theme', async () => {
    // « Tabac » is a sub-theme of « Prévention des addictions »: Alpha works on tobacco, Echo on addictions as a whole;
    // Bravo, on alcohol only, is not one to ask about tobacco.
    expect(await names({ text: 'tabac' })).toEqual(['Alpha', 'Echo']);
    expect(await names({ text: 'addictions' })).toEqual(['Alpha', 'Bravo', 'Echo']);
    expect(await names({ text: 'Santé mentale' })).toEqual(['Bravo', 'Delta']);
    expect(await names({ text: 'sante mentale' })).toEqual(['Bravo', 'Delta']);
    expect(await names({ text: 'suicide' })).toEqual(['Bravo', 'Delta']);
    // With the other filters, as any text; and only active actors (Golf, archived, works on tobacco).
    expect(await names({ text: 'tabac', coversCommune: '55545' })).toEqual(['Alpha', 'Echo']);
    expect(await names({ text: 'tabac', includeArchived: true })).toEqual(['Alpha', 'Echo', 'Golf']);
    // Words of no theme and query syntax find no theme: a stop word, operators, a quote left open.
    expect(await names({ text: 'des' })).toEqual([]);
    expect(await names({ text: 'tabac -tabac' })).toEqual([]);
    expect(await names({ text: '"tabac' })).toEqual(['Alpha', 'Echo']);
  });

  it('orders a text search by relevance by default: the name, then the theme named, then the rest, by name in each', async () => {
    const relevant = (filter: Record<string, unknown>, extra: Record<string, unknown> = {}) => names(filter, { orderBy: null, ...extra });
    // Delta is declared on « Prévention du suicide »; Bravo on « Santé mentale » as a whole, the theme above it.
    expect(await relevant({ text: 'suicide' })).toEqual(['Delta', 'Bravo']);
    // Echo's actors are those of addictions as a whole; Alpha works on tobacco itself.
    expect(await relevant({ text: 'tabac' })).toEqual(['Alpha', 'Echo']);
    // A name holding the text first (Alpha Addictions Verdun), then the theme's actors by name.
    expect(await relevant({ text: 'addictions' })).toEqual(['Alpha', 'Bravo', 'Echo']);
    expect(await relevant({ text: 'verdun' })).toEqual(['Alpha', 'Bravo']);
    // Paging keeps the order across its groups, from the cursor alone.
    const first = await server.gql(SEARCH, { filter: { text: 'suicide' }, first: 1 });
    expect(first.data.actors.edges.map((e: any) => e.node.name)).toEqual(['Delta Centre hospitalier']);
    const next = await server.gql(SEARCH, { filter: { text: 'suicide' }, first: 1, after: first.data.actors.pageInfo.endCursor });
    expect(next.data.actors.edges.map((e: any) => e.node.name)).toEqual(['Bravo CPTS du Grand Verdun']);
    expect(next.data.actors.pageInfo.hasNextPage).toBe(false);
    // Asked for by name, the same text lists by name; a commune's search keeps its proximity order.
    expect(await names({ text: 'suicide' })).toEqual(['Bravo', 'Delta']);
    // Relevance needs a text; a forged cursor of another order is refused, not an SQL error.
    const without = await server.gql(SEARCH, { filter: { coversCommune: '55545' }, first: 5, orderBy: 'RELEVANCE' });
    expect(without.errors?.[0]).toMatchObject({ message: 'L’ordre de pertinence demande le filtre « text »', extensions: { code: 'BAD_USER_INPUT' } });
    const byName = await server.gql(SEARCH, { filter: { text: 'suicide' }, first: 1, orderBy: 'NAME' });
    const forged = await server.gql(SEARCH, { filter: { text: 'suicide' }, first: 1, after: byName.data.actors.pageInfo.endCursor });
    expect(forged.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(forged.data).toBeNull();
  });

  it('finds actors near a point, with their distance, nearest first', async () => {
    const res = await server.gql(SEARCH, {
      filter: { near: { lon: 5.3876, lat: 49.1598, radiusKm: 60 } },
      orderBy: 'DISTANCE',
      first: 10,
    });
    const edges = res.data.actors.edges;
    expect(edges.map((e: any) => e.node.name.split(' ')[0])).toEqual(['Alpha', 'Delta']);
    expect(edges[0].distanceKm).toBeLessThan(0.1);
    // Verdun – Bar-le-Duc: about 48 km as the crow flies.
    expect(edges[1].distanceKm).toBeGreaterThan(44);
    expect(edges[1].distanceKm).toBeLessThan(52);
    expect(await names({ near: { lon: 5.3876, lat: 49.1598, radiusKm: 10 } })).toEqual(['Alpha']);
  });

  it('combines filters', async () => {
    expect(await names({ coversCommune: '55545', themesAny: ['addictions'], kinds: ['ASSOCIATION', 'ARS'] })).toEqual(['Alpha', 'Echo']);
  });
});

const FACETS = `query ($filter: ActorFilter) { actors(filter: $filter, first: 0) {
  totalCount edges { cursor }
  facets { themes { value label count } kinds { value label count } sectors { value count } audiences { value label count } }
} }`;

describe('facets', () => {
  it('counts the current results by theme (parents include sub-themes), kind, sector and public', async () => {
    const res = await server.gql(FACETS, { filter: { coversCommune: '55545' } });
    const { facets, totalCount, edges } = res.data.actors;
    expect(totalCount).toBe(4);
    expect(edges).toEqual([]);
    const asMap = (list: any[]) => Object.fromEntries(list.map((f) => [f.value, f.count]));
    expect(asMap(facets.themes)).toEqual({
      addictions: 3,
      'addictions-tabac': 1,
      'addictions-alcool': 1,
      'sante-mentale': 1,
      'nutrition-activite-physique': 1,
    });
    expect(facets.themes.find((f: any) => f.value === 'addictions').label).toBe('Prévention des addictions');
    expect(asMap(facets.kinds)).toEqual({ ASSOCIATION: 1, CPTS: 1, COLLECTIVITE: 1, ARS: 1 });
    expect(asMap(facets.sectors)).toEqual({ SANTE: 2, COLLECTIVITE: 1, ETAT: 1 });
    expect(asMap(facets.audiences)).toEqual({ jeunes: 1, professionnels: 1, 'tout-public': 1 });
    expect(facets.audiences.find((f: any) => f.value === 'tout-public').label).toBe('Tout public');
  });

  it('follows the filter', async () => {
    const res = await server.gql(FACETS, { filter: { coversCommune: '55545', themesAny: ['addictions-tabac'] } });
    expect(res.data.actors.facets.kinds).toEqual([{ value: 'ASSOCIATION', label: 'Association', count: 1 }]);
  });
});

describe('pagination', () => {
  const filter = { territory: { level: 'DEPARTEMENT', code: '55' } };

  it('pages through the results with cursors, without gaps or repeats', async () => {
    const pages = await allPages(async (after) => (await server.gql(SEARCH, { filter, first: 2, after })).data.actors);
    expect(pages.map((page) => page.totalCount)).toEqual([5, 5, 5]);
    expect(pages.map((page) => page.pageInfo.hasPreviousPage)).toEqual([false, true, true]);
    expect(pages.map((page) => page.pageInfo.hasNextPage)).toEqual([true, true, false]);
    expect(pages.flatMap((page) => page.edges.map((e: any) => e.node.name.split(' ')[0]))).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo']);
  });

  it('answers an exact last page and an empty page after it', async () => {
    const all = await server.gql(SEARCH, { filter, first: 5 });
    expect(all.data.actors.pageInfo.hasNextPage).toBe(false);
    const after = await server.gql(SEARCH, { filter, first: 5, after: all.data.actors.pageInfo.endCursor });
    expect(after.data.actors.edges).toEqual([]);
    expect(after.data.actors.pageInfo).toMatchObject({ hasNextPage: false, endCursor: null });
  });

  it('orders by last update, most recent first, with stable cursors', async () => {
    const first = await server.gql(SEARCH, { filter, first: 3, orderBy: 'UPDATED_AT' });
    const rest = await server.gql(SEARCH, { filter, first: 3, orderBy: 'UPDATED_AT', after: first.data.actors.pageInfo.endCursor });
    const order = [...first.data.actors.edges, ...rest.data.actors.edges].map((e: any) => e.node.name.split(' ')[0]);
    expect(order).toEqual(['Echo', 'Delta', 'Charlie', 'Bravo', 'Alpha']);
  });

  it.each([
    ['a negative page size', { first: -1 }],
    ['a page size over 200', { first: 201 }],
    ['a forged cursor', { after: 'bm90IGEgY3Vyc29y' }],
    ['a distance order without a point', { orderBy: 'DISTANCE' }],
  ])('rejects %s with BAD_USER_INPUT', async (_name, vars) => {
    const res = await server.gql(SEARCH, { filter, ...vars });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  });

  const forge = (value: unknown, id = '00000000-0000-4000-8000-000000000000') => Buffer.from(JSON.stringify([value, id])).toString('base64url');
  const near = { ...filter, near: { lon: 5.3876, lat: 49.1598, radiusKm: 60 } };
  it.each([
    ['a text where a date is expected', 'UPDATED_AT', filter, forge('hier')],
    ['an impossible date', 'UPDATED_AT', filter, forge('2026-02-30T00:00:00+00:00')],
    ['a number where a date is expected', 'UPDATED_AT', filter, forge(1)],
    ['a text where a distance is expected', 'DISTANCE', near, forge('loin')],
    ['an object where a name is expected', 'NAME', filter, forge({ toString: 1 })],
    ['a nul character in a name', 'NAME', filter, forge('a\u0000b')],
    ['an id that is not a UUID', 'NAME', filter, forge('alpha', "x' OR '1'='1")],
    ['a cursor of 10,000 characters', 'NAME', filter, forge('a'.repeat(10_000))],
  ])('should answer a forged cursor with %s by BAD_USER_INPUT, never an internal error', async (_name, orderBy, f, after) => {
    const res = await server.gql(SEARCH, { filter: f, orderBy, after, first: 2 });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].extensions!.field).toBe('after');
    expect(res.errors![0].message).toMatch(/^Curseur de pagination invalide/);
  });

  it('should still page with the cursors it gives, in every order', async () => {
    for (const [orderBy, f] of [
      ['NAME', filter],
      ['UPDATED_AT', filter],
      ['DISTANCE', near],
    ] as const) {
      const one = await server.gql(SEARCH, { filter: f, orderBy, first: 1 });
      const two = await server.gql(SEARCH, { filter: f, orderBy, first: 1, after: one.data.actors.pageInfo.endCursor });
      expect(two.errors, orderBy).toBeUndefined();
      expect(two.data.actors.edges[0].node.id).not.toBe(one.data.actors.edges[0].node.id);
    }
  });
});

describe('text search wildcards', () => {
  const TEXT = `query ($filter: ActorFilter) { actors(filter: $filter, first: 50) { totalCount edges { node { name } } } }`;
  beforeAll(async () => {
    for (const [key, name] of [
      ['percent', 'Joker 100% prévention'],
      ['underscore', 'Joker x_y'],
      ['other', 'Joker xzy'],
      ['plain', 'Joker ordinaire'],
    ]) {
      await create(key, { name, kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], territories: [{ level: 'COMMUNE', code: '97411' }] });
    }
  });
  const found = async (text: string, filter: Record<string, unknown> = { coversCommune: '97411' }) => {
    const res = await server.gql(TEXT, { filter: { ...filter, text } });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    return res.data.actors.edges
      .map((e: any) => e.node.name)
      .filter((n: string) => n.startsWith('Joker'))
      .sort();
  };

  it('should match « % », « _ » and « \\ » only literally, never as LIKE wildcards', async () => {
    expect(await found('%')).toEqual(['Joker 100% prévention']);
    expect(await found('_')).toEqual(['Joker x_y']);
    expect(await found('%%')).toEqual([]);
    expect(await found('\\')).toEqual([]);
    expect(await found('x_y')).toEqual(['Joker x_y']);
    expect(await found('100%')).toEqual(['Joker 100% prévention']);
    // Over the whole directory, « % » alone is not « every actor ».
    const all = await server.gql(TEXT, { filter: { text: '%' } });
    expect(all.data.actors.totalCount).toBe(1);
    expect(await found('joker')).toEqual(['Joker 100% prévention', 'Joker ordinaire', 'Joker x_y', 'Joker xzy']);
  });
});

describe('bad filters', () => {
  it.each([
    ['an unknown commune', { coversCommune: '99999' }],
    ['a malformed commune code', { coversCommune: "55545'--" }],
    ['an unknown theme', { themesAny: ['astrologie'] }],
    ['an unknown public', { audiences: ['martiens'] }],
    ['an unknown territory', { territory: { level: 'EPCI', code: '000000000' } }],
    ['a radius out of range', { near: { lon: 5, lat: 49, radiusKm: 10_000 } }],
    ['a latitude out of range', { near: { lon: 5, lat: 95, radiusKm: 10 } }],
  ])('answers %s with BAD_USER_INPUT', async (_name, filter) => {
    const res = await server.gql(SEARCH, { filter });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toMatch(/[a-zé]/);
  });
});

const ACTOR = `query ($id: ID!) { actor(id: $id) {
  id name kind kindLabel sector sectorLabel version isDemo source status lon lat communeCode
  commune { code name } themes { code label parentCode } audiences { code label }
  territories { level code name } coveredCommunes(first: 3) { totalCount nodes { code name } }
} }`;

describe('actor', () => {
  it('returns an actor with its themes, publics, territories and covered communes', async () => {
    const res = await server.gql(ACTOR, { id: ids.bravo });
    const a = res.data.actor;
    expect(a).toMatchObject({ name: 'Bravo CPTS du Grand Verdun', kind: 'CPTS', sector: 'SANTE', sectorLabel: 'Santé', isDemo: false });
    expect(a.kindLabel).toMatch(/CPTS/);
    expect(a.themes.map((t: any) => t.code)).toEqual(['sante-mentale', 'addictions-alcool']);
    expect(a.themes[1].parentCode).toBe('addictions');
    expect(a.audiences).toEqual([{ code: 'professionnels', label: 'Professionnels' }]);
    expect(a.territories).toEqual([expect.objectContaining({ level: 'EPCI', code: verdunEpci })]);
    expect(a.coveredCommunes.totalCount).toBeGreaterThan(10);
    expect(a.coveredCommunes.nodes[0]).toEqual({ code: '55545', name: 'Verdun' });
  });

  it('places an actor at its commune when it gives no coordinates', async () => {
    const res = await server.gql(ACTOR, { id: ids.alpha });
    expect(res.data.actor.commune).toEqual({ code: '55545', name: 'Verdun' });
    const placed = await server.admin.gql(CREATE, {
      input: { name: 'Hotel sans coordonnées', kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], communeCode: '93066', source: SOURCE },
    });
    const a = await server.gql(ACTOR, { id: placed.data.createActor.id });
    expect(a.data.actor.lon).toBeGreaterThan(2.3);
    expect(a.data.actor.lon).toBeLessThan(2.4);
    // Without a declared territory, an actor covers the commune of its address.
    expect(a.data.actor.territories).toEqual([expect.objectContaining({ level: 'COMMUNE', code: '93066' })]);
    await server.ds.query(`DELETE FROM actor WHERE id = $1`, [placed.data.createActor.id]);
  });

  it('answers NOT_FOUND for an unknown id and BAD_USER_INPUT for a forged one', async () => {
    expect(errorCodes(await server.gql(ACTOR, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await server.gql(ACTOR, { id: "1' OR '1'='1" }))).toEqual(['BAD_USER_INPUT']);
  });
});

const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdateActorInput!) {
  updateActor(id: $id, version: $version, input: $input) { id name version description territories { code } }
}`;

describe('mutations', () => {
  it('updates an actor and bumps its version; a stale version gets CONFLICT and changes nothing', async () => {
    const before = (await server.gql(ACTOR, { id: ids.echo })).data.actor;
    const ok = await server.admin.gql(UPDATE, { id: ids.echo, version: before.version, input: { description: 'Mise à jour' } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.updateActor).toMatchObject({ name: 'Echo Agence régionale', description: 'Mise à jour', version: before.version + 1 });

    const stale = await server.admin.gql(UPDATE, { id: ids.echo, version: before.version, input: { name: 'Écrasé' } });
    expect(errorCodes(stale)).toEqual(['CONFLICT']);
    expect(stale.errors![0].extensions!.currentVersion).toBe(before.version + 1);
    expect(stale.errors![0].message).toMatch(/modifié par quelqu’un d’autre/);
    const after = (await server.gql(ACTOR, { id: ids.echo })).data.actor;
    expect(after.name).toBe('Echo Agence régionale');
    expect(after.version).toBe(before.version + 1);
  });

  it('gives one success and one CONFLICT to two simultaneous updates of the same version', async () => {
    const { version } = (await server.gql(ACTOR, { id: ids.charlie })).data.actor;
    const results = await Promise.all([
      server.admin.gql(UPDATE, { id: ids.charlie, version, input: { description: 'première' } }),
      server.admin.gql(UPDATE, { id: ids.charlie, version, input: { description: 'seconde' } }),
    ]);
    const codes = results.map((r) => errorCodes(r)[0] ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'OK']);
    expect((await server.gql(ACTOR, { id: ids.charlie })).data.actor.version).toBe(version + 1);
  });

  it('moves the coverage when the territories change', async () => {
    const { version } = (await server.gql(ACTOR, { id: ids.alpha })).data.actor;
    const res = await server.admin.gql(UPDATE, { id: ids.alpha, version, input: { territories: [{ level: 'COMMUNE', code: '55029' }] } });
    expect(res.data.updateActor.territories).toEqual([{ code: '55029' }]);
    // Its address stays in Verdun: it is present there (local presence, migration 1764000000018).
    expect(await names({ coversCommune: '55545' })).toEqual(['Alpha', 'Bravo', 'Charlie', 'Echo']);
    expect(await names({ coversCommune: '55029' })).toEqual(['Alpha', 'Charlie', 'Delta', 'Echo']);
    await server.admin.gql(UPDATE, { id: ids.alpha, version: version + 1, input: { territories: [{ level: 'COMMUNE', code: '55545' }] } });
    expect(await names({ coversCommune: '55545' })).toEqual(['Alpha', 'Bravo', 'Charlie', 'Echo']);
  });

  it.each([
    ['a missing name', { name: '  ' }, 'name', 'Nom'],
    ['an unknown theme', { themes: ['astrologie'] }, 'themes', 'Thèmes'],
    ['no theme', { themes: [] }, 'themes', 'Thèmes'],
    ['an unknown commune', { communeCode: '55999' }, 'communeCode', 'Commune (code INSEE)'],
    ['an unknown territory', { territories: [{ level: 'DEPARTEMENT', code: '99' }] }, 'territories', 'Territoires d’intervention'],
    ['a bad e-mail', { email: 'pas-un-courriel' }, 'email', 'Courriel'],
    ['a bad SIRET', { siret: '123' }, 'siret', 'SIRET'],
    ['a longitude out of range', { lon: 200, lat: 45 }, 'lon', 'Longitude'],
    ['a website without http', { website: 'javascript:alert(1)' }, 'website', 'Site web'],
    ['a 1 MB description', { description: 'x'.repeat(1_000_000) }, 'description', 'Description'],
  ])('rejects %s, naming the field (in French for people), and writes nothing', async (_name, patch, field, label) => {
    const [{ n: before }] = await server.ds.query(`SELECT count(*)::int AS n FROM actor`);
    const res = await server.admin.gql(CREATE, {
      input: { name: 'Invalide', kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], communeCode: '55545', source: SOURCE, ...patch },
    });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    const fields = [res.errors![0].extensions!.field, ...((res.errors![0].extensions!.fields as any[]) ?? []).map((f) => f.field)];
    expect(fields).toContain(field);
    expect(res.errors![0].message.startsWith('Données invalides : ')).toBe(true);
    expect(res.errors![0].message).toContain(`${label} (`);
    const [{ n: after }] = await server.ds.query(`SELECT count(*)::int AS n FROM actor`);
    expect(after).toBe(before);
  });

  it('rejects an update of an unknown actor with NOT_FOUND', async () => {
    const res = await server.admin.gql(UPDATE, { id: '00000000-0000-4000-8000-000000000000', version: 1, input: { name: 'x' } });
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
  });
});

describe('batching', () => {
  const PAGE = `query ($first: Int) { actors(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: $first) {
    totalCount facets { themes { value count } }
    edges { node { name themes { label } audiences { label } commune { name } territories { code name }
      coveredCommunes(first: 2) { totalCount nodes { name } } } }
  } }`;

  it('should not send one query per actor for the relations of a page', async () => {
    const count = async (first: number) => {
      server.queries.length = 0;
      const res = await server.gql(PAGE, { first });
      expect(res.errors).toBeUndefined();
      expect(res.data.actors.edges).toHaveLength(first);
      return server.queries.length;
    };
    const one = await count(1);
    const five = await count(5);
    expect(five).toBe(one);
    // search + territories + commune + covered count + covered page
    expect(five).toBeLessThanOrEqual(5);
  });
});

describe('who may write the directory', () => {
  const DOMAIN = '@test-actors-permissions.local';
  const PASSWORD = 'mot de passe de test';
  const UPDATE_NAME = `mutation ($id: ID!, $v: Int!) { updateActor(id: $id, version: $v, input: { name: "Nom forcé" }) { version } }`;
  const ARCHIVE = `mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { status } }`;
  const IMPORT = `mutation ($c: String!) { importActors(content: $c, format: CSV, dryRun: true) { created } }`;

  const member = (key: string) => server.signedIn({ email: `${key}${DOMAIN}`, password: PASSWORD });

  it('lets a signed-in member add an actor, which it then represents and alone may change', async () => {
    const count = async () => (await server.ds.query(`SELECT count(*)::int AS n FROM actor WHERE source = $1`, [SOURCE]))[0].n;
    const before = await count();
    const input = { name: 'Permissions Asso', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['parentalite'], communeCode: '55545', source: SOURCE };
    expect(errorCodes(await server.gql(CREATE, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(await count()).toBe(before);

    const owner = await member('owner');
    const other = await member('other');
    const created = await owner.gql(CREATE, { input });
    expect(created.errors).toBeUndefined();
    const { id, version } = created.data.createActor;
    ids.permissions = id;
    expect((await owner.gql(`{ me { actors { id } } }`)).data.me.actors).toEqual([{ id }]);
    const can = `query ($id: ID!) { actor(id: $id) { viewerCanEdit } }`;
    expect((await owner.gql(can, { id })).data.actor.viewerCanEdit).toBe(true);
    expect((await other.gql(can, { id })).data.actor.viewerCanEdit).toBe(false);
    expect((await server.gql(can, { id })).data.actor.viewerCanEdit).toBe(false);
    expect((await server.admin.gql(can, { id })).data.actor.viewerCanEdit).toBe(true);

    // The wrong user, no user, a forged id: refused, and nothing changes.
    expect(errorCodes(await server.gql(UPDATE_NAME, { id, v: version }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await other.gql(UPDATE_NAME, { id, v: version }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await other.gql(ARCHIVE, { id, v: version }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await other.gql(UPDATE_NAME, { id: '00000000-0000-4000-8000-000000000000', v: 1 }))).toEqual(['FORBIDDEN']);
    const [row] = await server.ds.query(`SELECT name, version, status FROM actor WHERE id = $1`, [id]);
    expect(row).toEqual({ name: 'Permissions Asso', version, status: 'ACTIVE' });

    const changed = await owner.gql(UPDATE_NAME, { id, v: version });
    expect(changed.errors).toBeUndefined();
    expect(changed.data.updateActor.version).toBe(version + 1);
    expect((await server.admin.gql(ARCHIVE, { id, v: version + 1 })).data.archiveActor.status).toBe('ARCHIVED');
  });

  it('keeps bulk imports for administrators and ARS analysts', async () => {
    const csv = 'nom;type;secteur;commune;thematiques\nImport refusé;association;social;55545;parentalite\n';
    expect(errorCodes(await server.gql(IMPORT, { c: csv }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await (await member('importer')).gql(IMPORT, { c: csv }))).toEqual(['FORBIDDEN']);
    expect((await server.admin.gql(IMPORT, { c: csv })).data.importActors.created).toBe(1);
  });
});
