import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { communePageLevel } from '../../client/src/lib/components/territory-search.js';
import { ACTORS, COMMUNE, SEARCH_TERRITORIES } from '../../client/src/lib/graphql/queries.js';
import { epciOf } from '../helpers/factories.js';
import { type GraphQLResponse, startTestServer, type TestServer } from '../helpers/server.js';
import { allPages } from '../helpers/pages.js';
import { FRANCE, GRAND_EST, MEUSE, VERDUN } from '../helpers/places.js';

/**
 * The commune search as a coordinator uses it (issue 16): the right commune from a five-digit
 * entry, arrondissements of Paris, Lyon and Marseille with a page of their own, local actors
 * first, « Acteurs de proximité seulement » and disjunctive facets. Requests are the client's own
 * documents (client/src/lib/graphql/queries.ts), sent over HTTP.
 */
const SOURCE = 'test:commune-search';
const PARIS_18 = '75118';

let server: TestServer;
const ids: Record<string, string> = {};

const create = async (key: string, input: Record<string, unknown>) => {
  ids[key] = (await server.createActor({ source: SOURCE, kind: 'ASSOCIATION', sector: 'SANTE', ...input })).id;
};

beforeAll(async () => {
  server = await startTestServer();
  const epci = await epciOf(server, VERDUN);
  const inVerdun = { lon: 5.39, lat: 49.16 };
  await create('accueil', { name: 'Accueil parents Verdun', themes: ['parentalite'], territories: [{ level: 'COMMUNE', code: VERDUN }], ...inVerdun });
  await create('ecoute', { name: 'Écoute jeunes Verdun', themes: ['sante-des-jeunes'], territories: [{ level: 'COMMUNE', code: VERDUN }], ...inVerdun });
  await create('bus', { name: 'Bus santé sexuelle', themes: ['sante-sexuelle-vih'], lon: 5.55, lat: 49.2, radiusKm: 20 });
  await create('cpts', {
    name: 'CPTS du Grand Verdun',
    kind: 'CPTS',
    themes: ['parentalite', 'sante-sexuelle'],
    territories: [{ level: 'EPCI', code: epci }],
    lon: 5.4,
    lat: 49.17,
  });
  await create('dep', { name: 'Maison départementale', kind: 'COLLECTIVITE', themes: ['parentalite'], territories: [MEUSE], lon: 5.16, lat: 48.77 });
  await create('depSansLieu', { name: 'Planning départemental', themes: ['sante-sexuelle-ist'], territories: [MEUSE] });
  await create('ars', {
    name: 'Agence régionale',
    kind: 'ARS',
    sector: 'ETAT',
    themes: ['parentalite', 'sante-sexuelle'],
    territories: [GRAND_EST],
    lon: 6.18,
    lat: 48.69,
  });
  await create('rayon80', { name: 'Grand rayon lorrain', themes: ['sante-sexuelle'], lon: 6.17, lat: 49.12, radiusKm: 80 });
  await create('regionVerdun', {
    name: 'Association régionale installée à Verdun',
    themes: ['sante-sexuelle-vih', 'parentalite'],
    territories: [GRAND_EST],
    communeCode: VERDUN,
    lon: 5.41,
    lat: 49.17,
  });
  await create('national', { name: 'Réseau national parents', themes: ['parentalite'], territories: [FRANCE] });
  await create('nationalB', { name: 'Association nationale', kind: 'AGENCE_ETAT', sector: 'ETAT', themes: ['sante-sexuelle'], territories: [FRANCE] });
  await create('paris18', {
    name: 'Solidarité Paris 18',
    themes: ['parentalite'],
    territories: [{ level: 'ARRONDISSEMENT', code: PARIS_18 }],
    lon: 2.35,
    lat: 48.892,
  });
  await create('paris5', {
    name: 'Quartier latin santé',
    themes: ['parentalite'],
    territories: [{ level: 'ARRONDISSEMENT', code: '75105' }],
    lon: 2.35,
    lat: 48.845,
  });
  await create('villeParis', {
    name: 'Ville de Paris, santé',
    kind: 'COLLECTIVITE',
    themes: ['parentalite'],
    territories: [{ level: 'COMMUNE', code: '75056' }],
    lon: 2.352,
    lat: 48.856,
  });
}, 300_000);

afterAll(() => server?.close());

const SEARCH = print(SEARCH_TERRITORIES);
const COMMUNE_PAGE = print(COMMUNE);
const LIST = print(ACTORS);
const COMMUNE_LEVELS = ['COMMUNE', 'ARRONDISSEMENT'];

interface Found {
  code: string;
  level: string;
  name: string;
  population: number | null;
  postalCodes: string[];
  matchLabel: string | null;
}
const suggest = async (text: string, levels: string[] | null = COMMUNE_LEVELS) => {
  const res = await server.gql<{ searchTerritories: Found[] }>(SEARCH, { text, levels, first: 50 });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.searchTerritories;
};

interface Edge {
  distanceKm: number | null;
  cursor: string;
  node: { id: string; name: string };
}
interface Facet {
  value: string;
  count: number;
}
interface Listing {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  facets: { themes: Facet[]; kinds: Facet[]; audiences: Facet[]; presence: Facet[] };
  edges: Edge[];
}
const list = async (filter: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Listing> => {
  const res = await server.gql<{ actors: Listing }>(LIST, { filter: { demo: false, ...filter }, first: 100, ...extra });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.actors;
};
const mine = (l: Listing) => l.edges.filter((e) => Object.values(ids).includes(e.node.id));
const names = (l: Listing) => mine(l).map((e) => e.node.name);
const total = async (filter: Record<string, unknown>) => (await list(filter, { first: 0 })).totalCount;
const facetOf = (facets: Facet[], value: string) => facets.find((f) => f.value === value)?.count ?? 0;

describe('territory search from a five-digit entry', () => {
  it('should list Verdun first for 55100, labelled code postal, and Champougny (INSEE 55100) labelled code INSEE', async () => {
    const found = await suggest('55100');
    expect(found[0]).toMatchObject({ code: VERDUN, name: 'Verdun', matchLabel: 'code postal' });
    expect(found.find((t) => t.code === '55100')).toMatchObject({ name: 'Champougny', matchLabel: 'code INSEE' });
    // Every commune of that postal code and the one of that code, most populous first.
    const [{ n }] = await server.ds.query(
      `SELECT count(*)::int AS n FROM territory WHERE level IN ('COMMUNE', 'ARRONDISSEMENT') AND (code = '55100' OR '55100' = ANY(postal_codes))`,
    );
    expect(found).toHaveLength(n);
    const populations = found.map((t) => t.population ?? -1);
    expect(populations).toEqual([...populations].sort((a, b) => b - a));
    for (const t of found) expect(t.matchLabel).toBe(t.code === '55100' ? 'code INSEE' : 'code postal');
  });

  it('should keep Champougny among the 8 suggestions the client asks for 55100, last, after the most populous', async () => {
    const res = await server.gql<{ searchTerritories: Found[] }>(SEARCH, { text: '55100', levels: COMMUNE_LEVELS, first: 8 });
    const found = res.data!.searchTerritories;
    expect(found).toHaveLength(8);
    expect(found[0].code).toBe(VERDUN);
    expect(found[7]).toMatchObject({ code: '55100', matchLabel: 'code INSEE' });
    const all = await suggest('55100');
    expect(found.slice(0, 7).map((t) => t.code)).toEqual(
      all
        .filter((t) => t.code !== '55100')
        .slice(0, 7)
        .map((t) => t.code),
    );
  });

  it('should put Marseille 13e arrondissement first for 13013, and Belcodène (INSEE 13013) before the whole of Marseille', async () => {
    const found = await suggest('13013');
    expect(found[0]).toMatchObject({ code: '13213', level: 'ARRONDISSEMENT', matchLabel: 'code postal' });
    const codes = found.map((t) => t.code);
    expect(codes).toContain('13013');
    expect(codes.indexOf('13013')).toBeLessThan(codes.indexOf('13055'));
    expect(found.find((t) => t.code === '13013')!.matchLabel).toBe('code INSEE');
  });

  it.each([
    ['Paris 18e', PARIS_18],
    ['paris 18', PARIS_18],
    ['Lyon 3', '69383'],
    ['75018', PARIS_18],
    ['75118', PARIS_18],
    ['Marseille 13e', '13213'],
  ])('should find the arrondissement first for « %s »', async (text, code) => {
    expect((await suggest(text))[0]).toMatchObject({ code, level: 'ARRONDISSEMENT' });
    // Without a level, every level is searched: the arrondissement still comes first.
    expect((await suggest(text, null))[0].code).toBe(code);
  });

  it('should still offer the whole of Paris for 75018, after its arrondissement, and alone when only communes are asked', async () => {
    const codes = (await suggest('75018')).map((t) => t.code);
    expect(codes.slice(0, 2)).toEqual([PARIS_18, '75056']);
    expect((await suggest('75018', ['COMMUNE'])).map((t) => t.code)).toEqual(['75056']);
  });

  it('should label a name match « nom », and nothing outside a search', async () => {
    expect((await suggest('verdun'))[0]).toMatchObject({ code: VERDUN, matchLabel: 'nom' });
    const res = await server.gql(`{ territory(code: "55545") { matchedBy matchLabel } }`);
    expect(res.data.territory).toEqual({ matchedBy: null, matchLabel: null });
  });
});

describe('the page of an arrondissement (/communes/75118)', () => {
  it('should show Paris 18e and the actors that cover it, through the queries the page sends', async () => {
    const page = await server.gql(COMMUNE_PAGE, { code: PARIS_18, level: communePageLevel(PARIS_18) });
    expect(page.errors).toBeUndefined();
    expect(page.data.territory).toMatchObject({ code: PARIS_18, name: 'Paris 18e Arrondissement', level: 'ARRONDISSEMENT' });
    expect(page.data.territory.parents.map((p: { code: string }) => p.code)).toContain('75056');
    expect(page.data.territory.geometry).not.toBeNull();
    const actors = await list({ coversCommune: PARIS_18 });
    // Its own actor first (arrondissement, 0.2 km), then the city's (commune, 3.9 km), then the national ones.
    expect(names(actors)).toEqual(['Solidarité Paris 18', 'Ville de Paris, santé', 'Association nationale', 'Réseau national parents']);
    expect(names(actors)).not.toContain('Quartier latin santé');
    expect(facetOf(actors.facets.presence, 'LOCAL')).toBe(2);
  });

  it('should keep a commune page for a commune code, and answer NOT_FOUND for 75118 read as a commune', async () => {
    expect(communePageLevel(VERDUN)).toBe('COMMUNE');
    const res = await server.gql(COMMUNE_PAGE, { code: PARIS_18, level: 'COMMUNE' });
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

/** Proximity of one actor to a commune, from its declared territories, radius and address alone (not the server's SQL). */
async function expectedOrder(communeCode: string, actorIds: string[]): Promise<string[]> {
  const [commune] = await server.ds.query(
    `SELECT code, epci_code, ept_code, departement_code, region_code FROM territory WHERE level = 'COMMUNE' AND code = $1`,
    [communeCode],
  );
  const chain: Record<string, string | null> = {
    COMMUNE: commune.code,
    EPCI: commune.epci_code,
    EPT: commune.ept_code,
    DEPARTEMENT: commune.departement_code,
    REGION: commune.region_code,
    PAYS: 'FR',
  };
  const rankOfLevel: Record<string, number> = { COMMUNE: 0, EPCI: 1, EPT: 1, DEPARTEMENT: 2, REGION: 3, PAYS: 4 };
  const keyed = [];
  for (const id of actorIds) {
    const [a] = await server.ds.query(
      `SELECT a.search_name, a.commune_code, a.radius_km,
              ST_Distance(a.location::geography, c.label_point::geography) / 1000 AS km,
              ST_DWithin(c.geom::geography, a.location::geography, a.radius_km * 1000) AS radius_reaches
       FROM actor a, territory c WHERE a.id = $1 AND c.level = 'COMMUNE' AND c.code = $2`,
      [id, communeCode],
    );
    const declared: { level: string; code: string }[] = await server.ds.query(`SELECT level, code FROM actor_territory WHERE actor_id = $1`, [id]);
    const ranks = declared.filter((t) => chain[t.level] === t.code).map((t) => rankOfLevel[t.level]);
    if (a.commune_code === communeCode) ranks.push(0);
    if (a.radius_reaches) ranks.push(a.radius_km <= 50 ? 0 : 3);
    keyed.push({ id, rank: Math.min(...ranks), km: a.km === null ? Infinity : Number(a.km), name: a.search_name as string });
  }
  keyed.sort((x, y) => x.rank - y.rank || x.km - y.km || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return keyed.map((k) => k.id);
}

describe('proximity order of a commune page', () => {
  it('should list the local actors of Verdun first by default: commune or radius, EPCI, département, région, country; then distance, then name', async () => {
    const actors = await list({ coversCommune: VERDUN });
    expect(names(actors)).toEqual([
      'Accueil parents Verdun',
      'Écoute jeunes Verdun',
      'Association régionale installée à Verdun',
      'Bus santé sexuelle',
      'CPTS du Grand Verdun',
      'Maison départementale',
      'Planning départemental',
      'Grand rayon lorrain',
      'Agence régionale',
      'Association nationale',
      'Réseau national parents',
    ]);
    const got = mine(actors).map((e) => e.node.id);
    expect(got).toEqual(await expectedOrder(VERDUN, got));
    // The same order asked for by name of order, and the distance it used.
    const asked = await list({ coversCommune: VERDUN }, { orderBy: 'PROXIMITY' });
    expect(names(asked)).toEqual(names(actors));
    expect(mine(asked)[0].distanceKm).toBeGreaterThan(1);
    expect(mine(asked).at(-1)!.distanceKm).toBeNull();
  });

  it('should put the local association first for Verdun + Parentalité, before the région and the national network', async () => {
    const actors = await list({ coversCommune: VERDUN, themesAny: ['parentalite'] });
    expect(names(actors)).toEqual([
      'Accueil parents Verdun',
      'Association régionale installée à Verdun',
      'CPTS du Grand Verdun',
      'Maison départementale',
      'Agence régionale',
      'Réseau national parents',
    ]);
  });

  it('should page through the proximity order with cursors, without gaps or repeats', async () => {
    const all = (await list({ coversCommune: VERDUN })).edges.map((e) => e.node.id);
    const pages = await allPages((after) => list({ coversCommune: VERDUN }, { first: 3, after }));
    const seen = pages.flatMap((page) => page.edges.map((e) => e.node.id));
    expect(seen).toEqual(all);
  });

  it('should keep the name order when asked, and the name order by default without a commune', async () => {
    const byName = names(await list({ coversCommune: VERDUN }, { orderBy: 'NAME' }));
    expect(byName[0]).toBe('Accueil parents Verdun');
    expect(byName[1]).toBe('Agence régionale');
    const noCommune = names(await list({ territory: MEUSE }));
    expect(noCommune[1]).toBe('Agence régionale');
  });
});

describe('« Acteurs de proximité seulement » (presence: LOCAL)', () => {
  it('should keep the actors present locally, as coverage_commune.local says, and count them in the presence facet', async () => {
    const everyone = await list({ coversCommune: VERDUN });
    const local = await list({ coversCommune: VERDUN, presence: 'LOCAL' });
    expect(names(local)).toEqual(names(everyone).slice(0, 7));
    expect(facetOf(everyone.facets.presence, 'LOCAL')).toBe(local.totalCount);
    expect(local.edges).toHaveLength(local.totalCount);
    // Ticking it leaves its own count unchanged (disjunctive), and ANY is no filter.
    expect(facetOf(local.facets.presence, 'LOCAL')).toBe(local.totalCount);
    expect((await list({ coversCommune: VERDUN, presence: 'ANY' })).totalCount).toBe(everyone.totalCount);
    const [{ n }] = await server.ds.query(
      `SELECT count(*)::int AS n FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id WHERE cc.commune_code = $1 AND cc.local AND a.status = 'ACTIVE' AND NOT a.is_demo`,
      [VERDUN],
    );
    expect(local.totalCount).toBe(n);
  });

  it('should count the local actors of one theme, with the theme ticked', async () => {
    const listing = await list({ coversCommune: VERDUN, themesAny: ['sante-sexuelle'] });
    const local = await list({ coversCommune: VERDUN, themesAny: ['sante-sexuelle'], presence: 'LOCAL' });
    expect(facetOf(listing.facets.presence, 'LOCAL')).toBe(local.totalCount);
    expect(names(local)).toEqual(['Association régionale installée à Verdun', 'Bus santé sexuelle', 'CPTS du Grand Verdun', 'Planning départemental']);
  });

  it('should read the presence in an arrondissement and in a territory too', async () => {
    expect(names(await list({ coversCommune: PARIS_18, presence: 'LOCAL' }))).toEqual(['Solidarité Paris 18', 'Ville de Paris, santé']);
    const dep = await list({ territory: MEUSE, presence: 'LOCAL' });
    expect(names(dep)).not.toContain('Agence régionale');
    expect(names(dep)).toContain('Maison départementale');
  });
});

describe('disjunctive facets', () => {
  /** For each theme of the facet: its count is what ticking it alone gives, and what it adds to the selection is its count minus the overlap. */
  async function expectDisjunctiveThemes(filter: Record<string, unknown>, selection: string[]) {
    const listing = await list({ ...filter, themesAny: selection });
    const selected = listing.totalCount;
    expect(listing.facets.themes.length).toBeGreaterThan(3);
    for (const { value, count } of listing.facets.themes) {
      expect(count, value).toBe(await total({ ...filter, themesAny: [value] }));
      const union = await total({ ...filter, themesAny: [...selection, value] });
      const overlap = await total({ ...filter, themesAny: selection, themesAll: [value] });
      expect(union - selected, value).toBe(count - overlap);
    }
  }

  it('should count Santé sexuelle after ticking Parentalité as what ticking it adds, not 0', async () => {
    const listing = await list({ coversCommune: VERDUN, themesAny: ['parentalite'] });
    const alone = await total({ coversCommune: VERDUN, themesAny: ['sante-sexuelle'] });
    expect(alone).toBe(7);
    expect(facetOf(listing.facets.themes, 'sante-sexuelle')).toBe(alone);
    const both = await total({ coversCommune: VERDUN, themesAny: ['parentalite', 'sante-sexuelle'] });
    expect(both - listing.totalCount).toBe(4);
  });

  it('should compute every theme count as the total of ticking it, for one and two themes ticked', async () => {
    await expectDisjunctiveThemes({ coversCommune: VERDUN }, ['parentalite']);
    await expectDisjunctiveThemes({ coversCommune: VERDUN }, ['parentalite', 'sante-sexuelle-vih']);
  });

  it('should count each group without its own selection but with the others (natures with a theme ticked, themes with a nature and local presence ticked)', async () => {
    const filter = { coversCommune: VERDUN, themesAny: ['parentalite'], kinds: ['ASSOCIATION'], presence: 'LOCAL' };
    const listing = await list(filter);
    for (const { value, count } of listing.facets.kinds) expect(count, value).toBe(await total({ ...filter, kinds: [value] }));
    for (const { value, count } of listing.facets.themes) expect(count, value).toBe(await total({ ...filter, themesAny: [value] }));
    expect(facetOf(listing.facets.presence, 'LOCAL')).toBe(await total({ ...filter, presence: 'LOCAL' }));
    expect(facetOf(listing.facets.kinds, 'CPTS')).toBe(1);
    expect(listing.totalCount).toBe(2);
  });

  it('should keep the distance order and its distances around a point with a theme ticked', async () => {
    const near = { lon: 5.3676, lat: 49.1438, radiusKm: 30 };
    const listing = await list({ near, themesAny: ['parentalite'] }, { orderBy: 'DISTANCE' });
    expect(names(listing)).toEqual(['Accueil parents Verdun', 'CPTS du Grand Verdun', 'Association régionale installée à Verdun']);
    const km = mine(listing).map((e) => e.distanceKm!);
    expect(km).toEqual([...km].sort((a, b) => a - b));
    expect(facetOf(listing.facets.themes, 'sante-sexuelle')).toBe(await total({ near, themesAny: ['sante-sexuelle'] }));
  });

  it('should answer the facets and the page in one SQL statement', async () => {
    server.queries.length = 0;
    await list({ coversCommune: VERDUN, themesAny: ['parentalite'], kinds: ['ASSOCIATION'], presence: 'LOCAL' }, { orderBy: 'PROXIMITY' });
    expect(server.queries.filter((q) => /FROM\s+coverage_commune cc JOIN actor a/.test(q))).toHaveLength(1);
  });
});

describe('bad order and filter values', () => {
  const expectCode = (res: GraphQLResponse, code: string) => {
    expect(res.data?.actors ?? null).toBeNull();
    expect(res.errors?.[0].extensions?.code).toBe(code);
    expect(JSON.stringify(res.errors)).not.toMatch(/stacktrace|\bat .*\.(ts|js):\d+/);
    expect(res.errors?.[0].message).not.toMatch(/INTERNAL|SQL|syntax/i);
  };
  const literal = (args: string) => server.gql(`{ actors(${args}) { totalCount } }`);
  const variables = (vars: Record<string, unknown>) =>
    server.gql(
      `query ($filter: ActorFilter, $orderBy: ActorOrder, $after: String) { actors(filter: $filter, orderBy: $orderBy, after: $after) { totalCount } }`,
      vars,
    );

  it.each([
    ['an unknown order', 'orderBy: CLOSEST', { orderBy: 'CLOSEST' }, ['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']],
    [
      'an unknown presence',
      'filter: { coversCommune: "55545", presence: NEARBY }',
      { filter: { coversCommune: VERDUN, presence: 'NEARBY' } },
      ['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT'],
    ],
    [
      'a presence given as a string',
      'filter: { coversCommune: "55545", presence: "LOCAL" }',
      { filter: { coversCommune: VERDUN, presence: true } },
      ['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT'],
    ],
    ['proximity without a commune', 'orderBy: PROXIMITY', { orderBy: 'PROXIMITY' }, ['BAD_USER_INPUT', 'BAD_USER_INPUT']],
    ['local presence without a commune', 'filter: { presence: LOCAL }', { filter: { presence: 'LOCAL' } }, ['BAD_USER_INPUT', 'BAD_USER_INPUT']],
  ])('should answer %s with an error code, as a literal and as a variable', async (_name, args, vars, [literalCode, variableCode]) => {
    expectCode(await literal(args), literalCode);
    expectCode(await variables(vars), variableCode);
  });

  it.each([
    ['a rank out of range', [9, 1, 'x']],
    ['a text rank', ['0', 1, 'x']],
    ['a missing name', [0, 1]],
    ['an infinite distance', [0, 'Infinity', 'x']],
    ['a name order value', 'accueil'],
  ])('should answer a forged proximity cursor with %s by BAD_USER_INPUT', async (_name, value) => {
    const after = Buffer.from(JSON.stringify([value, '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    expectCode(await variables({ filter: { coversCommune: VERDUN }, after }), 'BAD_USER_INPUT');
  });
});
