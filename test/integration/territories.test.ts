import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSeeds } from '../../seeds/index.js';
import { TEST_DEPARTEMENTS } from '../setup/template-database.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const PARENTS = `query ($code: String!, $level: TerritoryLevel) {
  territory(code: $code, level: $level) { code name level population parents { level code name } }
}`;

describe('territory hierarchy', () => {
  it('places Verdun in its EPCI, in Meuse, in Grand Est', async () => {
    const res = await server.gql(PARENTS, { code: '55545' });
    const t = res.data.territory;
    expect(t).toMatchObject({ code: '55545', name: 'Verdun', level: 'COMMUNE' });
    expect(t.population).toBeGreaterThan(15_000);
    expect(t.parents.map((p: any) => p.level)).toEqual(['EPCI', 'DEPARTEMENT', 'REGION']);
    expect(t.parents[1]).toMatchObject({ code: '55', name: 'Meuse' });
    expect(t.parents[2]).toMatchObject({ code: '44', name: 'Grand Est' });
    expect(t.parents[0].name).toMatch(/Verdun/);
  });

  it('places Saint-Denis in Plaine Commune (EPT), the Métropole du Grand Paris, Seine-Saint-Denis and Île-de-France', async () => {
    const res = await server.gql(PARENTS, { code: '93066' });
    expect(res.data.territory.parents).toEqual([
      { level: 'EPT', code: '200057867', name: 'Plaine Commune' },
      { level: 'EPCI', code: '200054781', name: 'Métropole du Grand Paris' },
      { level: 'DEPARTEMENT', code: '93', name: 'Seine-Saint-Denis' },
      { level: 'REGION', code: '11', name: 'Île-de-France' },
    ]);
  });

  it('tells département 01 from région 01 (Guadeloupe) by level', async () => {
    const dep = await server.gql(PARENTS, { code: '01', level: 'DEPARTEMENT' });
    const reg = await server.gql(PARENTS, { code: '01', level: 'REGION' });
    expect(dep.data.territory.name).toBe('Ain');
    expect(reg.data.territory.name).toBe('Guadeloupe');
  });

  it('lists the children of a région, a département and an EPCI from the COG memberships', async () => {
    const res = await server.gql(`{
      region: territory(code: "44", level: REGION) { children { code } }
      meuse: territory(code: "55", level: DEPARTEMENT) { communes: children(level: COMMUNE, first: 1000) { code } epcis: children { level } }
      paris: territory(code: "75056") { children { code level } }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.region.children.map((c: any) => c.code).sort()).toEqual(['08', '10', '51', '52', '54', '55', '57', '67', '68', '88']);
    expect(res.data.meuse.communes.length).toBeGreaterThan(490);
    expect(res.data.meuse.communes.map((c: any) => c.code)).toContain('55545');
    expect(new Set(res.data.meuse.epcis.map((c: any) => c.level))).toEqual(new Set(['EPCI']));
    expect(res.data.paris.children).toHaveLength(20);
    expect(res.data.paris.children.every((c: any) => c.level === 'ARRONDISSEMENT')).toBe(true);
  });

  it('should not list a région inside a département', async () => {
    const res = await server.gql(`{ territory(code: "55", level: DEPARTEMENT) { children(level: REGION) { code } } }`);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('boundaries', () => {
  it('serves a commune boundary as a GeoJSON MultiPolygon, lighter when simplified', async () => {
    const res = await server.gql(`{ territory(code: "55545") { full: geometry simple: geometry(simplify: 0.01) hasGeometry } }`);
    const { full, simple, hasGeometry } = res.data.territory;
    expect(hasGeometry).toBe(true);
    expect(full.type).toBe('MultiPolygon');
    expect(simple.type).toBe('MultiPolygon');
    expect(JSON.stringify(simple).length).toBeLessThan(JSON.stringify(full).length);
  });

  it('builds Paris from its 20 arrondissements and each EPCI from its member communes', async () => {
    const [paris] = await server.ds.query(
      `SELECT ST_Area(p.geom::geography) AS commune, (SELECT sum(ST_Area(a.geom::geography)) FROM territory a
         WHERE a.level = 'ARRONDISSEMENT' AND a.commune_code = '75056') AS arrondissements
       FROM territory p WHERE p.level = 'COMMUNE' AND p.code = '75056'`,
    );
    expect(Number(paris.commune)).toBeGreaterThan(0.99 * Number(paris.arrondissements));
    expect(Number(paris.commune)).toBeLessThan(1.01 * Number(paris.arrondissements));
    // Every EPCI that has a member with a boundary got a valid, non-empty union.
    const [epci] = await server.ds.query(
      `SELECT count(*) FILTER (WHERE e.geom IS NULL OR ST_IsEmpty(e.geom) OR NOT ST_IsValid(e.geom)) AS bad, count(*) AS total
       FROM territory e WHERE e.level = 'EPCI'
         AND EXISTS (SELECT 1 FROM territory c WHERE c.level = 'COMMUNE' AND c.epci_code = e.code AND c.geom IS NOT NULL)`,
    );
    expect(Number(epci.total)).toBeGreaterThan(20);
    expect(Number(epci.bad)).toBe(0);
  });
});

const AT = `query ($lon: Float!, $lat: Float!, $level: TerritoryLevel) { territoryAt(lon: $lon, lat: $lat, level: $level) { code level name } }`;

describe('territoryAt', () => {
  it('finds the commune, the EPCI, the département and the région of a point in Verdun', async () => {
    const at = async (level: string) => (await server.gql(AT, { lon: 5.3876, lat: 49.1598, level })).data.territoryAt;
    expect(await at('COMMUNE')).toMatchObject({ code: '55545', name: 'Verdun' });
    expect((await at('EPCI')).name).toMatch(/Verdun/);
    expect(await at('DEPARTEMENT')).toMatchObject({ code: '55' });
    expect(await at('REGION')).toMatchObject({ code: '44' });
  });

  it('places a point of the Latin Quarter in Paris and in its 5th arrondissement', async () => {
    const commune = await server.gql(AT, { lon: 2.3469, lat: 48.8462 });
    const arrondissement = await server.gql(AT, { lon: 2.3469, lat: 48.8462, level: 'ARRONDISSEMENT' });
    expect(commune.data.territoryAt).toMatchObject({ code: '75056', name: 'Paris' });
    expect(arrondissement.data.territoryAt).toMatchObject({ code: '75105' });
  });

  it('finds Saint-Denis of La Réunion and Plaine Commune from points', async () => {
    expect((await server.gql(AT, { lon: 55.4481, lat: -20.8789 })).data.territoryAt).toMatchObject({ code: '97411' });
    expect((await server.gql(AT, { lon: 2.3597, lat: 48.9356, level: 'EPT' })).data.territoryAt).toMatchObject({
      code: '200057867',
    });
  });

  it('falls back to the nearest commune within 2 km, and answers null far out at sea', async () => {
    // The northernmost vertex of Saint-Denis (La Réunion) is on the coast: just north of it is sea.
    const [p] = await server.ds.query(
      `SELECT ST_X(d.geom) AS x, ST_Y(d.geom) AS y FROM territory t, ST_DumpPoints(t.geom) d
       WHERE t.level = 'COMMUNE' AND t.code = '97411' ORDER BY ST_Y(d.geom) DESC LIMIT 1`,
    );
    const near = await server.gql(AT, { lon: Number(p.x), lat: Number(p.y) + 0.005 }); // ~550 m offshore
    expect(near.data.territoryAt).toMatchObject({ code: '97411' });
    const far = await server.gql(AT, { lon: Number(p.x), lat: Number(p.y) + 0.1 }); // ~11 km offshore
    expect(far.errors).toBeUndefined();
    expect(far.data.territoryAt).toBeNull();
  });
});

const SEARCH = `query ($text: String!, $levels: [TerritoryLevel!], $first: Int) {
  searchTerritories(text: $text, levels: $levels, first: $first) { code name level }
}`;
const search = async (text: string, extra: Record<string, unknown> = {}) => {
  const res = await server.gql(SEARCH, { text, ...extra });
  expect(res.errors).toBeUndefined();
  return res.data.searchTerritories.map((t: any) => t.code) as string[];
};

describe('searchTerritories', () => {
  it('puts both large Saint-Denis before Saint-Denis-en-Val for "st denis"', async () => {
    const codes = await search('st denis', { first: 20 });
    expect(new Set(codes.slice(0, 2))).toEqual(new Set(['97411', '93066']));
    expect(codes).toContain('45274');
    expect(codes.indexOf('45274')).toBeGreaterThan(1);
  });

  it('ignores case, accents and hyphens', async () => {
    expect((await search('SAINT-DENIS')).slice(0, 2).sort()).toEqual(['93066', '97411']);
    expect((await search('ile-de-france', { levels: ['REGION'] }))[0]).toBe('11');
    expect((await search('Épinal'))[0]).toBe('88160');
  });

  it('finds Verdun (55545) first and Ambérieu-en-Bugey from a prefix without accent', async () => {
    expect((await search('verdun'))[0]).toBe('55545');
    expect((await search('amberieu'))[0]).toBe('01004');
  });

  it('tolerates a typo', async () => {
    expect((await search('Strasbuorg'))[0]).toBe('67482');
    expect(await search('Montpelier')).toContain('34172');
  });

  it('finds communes by postal code and territories by official code', async () => {
    expect((await search('93200'))[0]).toBe('93066');
    expect((await search('2A004'))[0]).toBe('2A004');
    expect((await search('200054781'))[0]).toBe('200054781');
    expect(await search('55', { levels: ['DEPARTEMENT'] })).toEqual(['55']);
  });

  it('keeps to the levels asked and to `first`', async () => {
    const res = await server.gql(SEARCH, { text: 'saint', levels: ['COMMUNE'], first: 7 });
    expect(res.data.searchTerritories).toHaveLength(7);
    expect(res.data.searchTerritories.every((t: any) => t.level === 'COMMUNE')).toBe(true);
    // Exact names first; close spellings (Creuse) may follow.
    expect((await search('meuse', { levels: ['DEPARTEMENT'] }))[0]).toBe('55');
  });

  it('answers an empty list, not an error, when nothing matches', async () => {
    expect(await search('xqzwvk')).toEqual([]);
  });
});

describe('bad input', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['a malformed commune code', PARENTS, { code: 'abc' }, 'BAD_USER_INPUT'],
    ['a code of the wrong shape for its level', PARENTS, { code: '55545', level: 'REGION' }, 'BAD_USER_INPUT'],
    ['an unknown commune code', PARENTS, { code: '55999' }, 'NOT_FOUND'],
    ['an unknown EPCI', PARENTS, { code: '123456789', level: 'EPCI' }, 'NOT_FOUND'],
    ['a SQL injection in a code', PARENTS, { code: "55545' OR 1=1 --" }, 'BAD_USER_INPUT'],
    ['a longitude out of range', AT, { lon: 181, lat: 45 }, 'BAD_USER_INPUT'],
    ['a latitude out of range', AT, { lon: 2, lat: -91 }, 'BAD_USER_INPUT'],
    ['an unknown level', AT, { lon: 2, lat: 45, level: 'CANTON' }, 'BAD_USER_INPUT'],
    ['an empty search', SEARCH, { text: '   ' }, 'BAD_USER_INPUT'],
    ['a search of punctuation only', SEARCH, { text: "'%_--" }, 'BAD_USER_INPUT'],
    ['a 1 MB search', SEARCH, { text: 'a'.repeat(1_000_000) }, 'BAD_USER_INPUT'],
    ['first = 0', SEARCH, { text: 'verdun', first: 0 }, 'BAD_USER_INPUT'],
    ['first = 10 000', SEARCH, { text: 'verdun', first: 10_000 }, 'BAD_USER_INPUT'],
  ];
  it.each(cases)('answers %s with a clear error and no stack trace', async (_name, query, variables, code) => {
    const res = await server.gql(query, variables);
    expect(errorCodes(res)).toEqual([code]);
    const error = res.errors![0];
    expect(error.message).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(error.extensions).not.toHaveProperty('stacktrace');
    expect(error.extensions).not.toHaveProperty('exception');
  });

  it('names the unknown territory in French, with its level', async () => {
    const message = async (variables: Record<string, unknown>) => (await server.gql(PARENTS, variables)).errors?.[0]?.message;
    expect(await message({ code: '55999', level: 'COMMUNE' })).toBe('Aucune commune de code « 55999 » dans le COG 2026');
    expect(await message({ code: '123456789', level: 'EPCI' })).toBe('Aucun EPCI de code « 123456789 » dans le COG 2026');
    expect(await message({ code: '99', level: 'REGION' })).toBe('Aucune région de code « 99 » dans le COG 2026');
  });

  it('answers a syntax error with GRAPHQL_PARSE_FAILED', async () => {
    const res = await server.gql('{ territory(code: ');
    expect(errorCodes(res)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('rejects a simplification tolerance out of range', async () => {
    const res = await server.gql(`{ territory(code: "55545") { geometry(simplify: -1) } }`);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('seeding', () => {
  it('changes nothing when run again, even when forced', async () => {
    const snapshot = () => server.ds.query<unknown[]>(`SELECT level, code, xmin::text AS x FROM territory ORDER BY level, code`);
    const before = await snapshot();
    const lines: string[] = [];
    await runSeeds(server.ds, { departements: TEST_DEPARTEMENTS, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/déjà chargés/);
    await runSeeds(server.ds, { departements: TEST_DEPARTEMENTS, force: true });
    expect(await snapshot()).toEqual(before);
  });

  it('loads every commune of the COG 2026 and reports those without a boundary', async () => {
    const [state] = await server.ds.query(`SELECT report FROM seed_state WHERE name = 'territories'`);
    const report = typeof state.report === 'string' ? JSON.parse(state.report) : state.report;
    expect(report.levels.COMMUNE.total).toBe(34_969);
    expect(report.levels.EPCI.total).toBe(1_255);
    expect(report.levels.EPT.total).toBe(11);
    expect(report.levels.DEPARTEMENT.withGeometry).toBe(101);
    expect(report.levels.REGION.withGeometry).toBe(18);
    expect(report.levels.COMMUNE.withoutGeometry).toBe(report.levels.COMMUNE.withoutGeometryCodes.length);
  });
});
