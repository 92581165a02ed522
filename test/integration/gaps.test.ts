import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorKind, STEERING_KINDS } from '../../server/actors/actor-enums.js';
import { STEERING_KINDS_AT_MIGRATION } from '../../migrations/1764000000011-field-actor-keys.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { coverageChecksum, DRIFT } from '../helpers/gap-drift.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';
import { BAR_LE_DUC, GRAND_VERDUN, REVIGNY_EPCI, VERDUN } from '../helpers/places.js';

/**
 * Small fixtures in Meuse (55), where boundaries exist in the test database. The theme used,
 * logement-habitat, has no other actor in Meuse, so every expected gap is known by hand:
 * - A1 (CLSM) covers the EPCI CC du Pays de Revigny-sur-Ornain (16 communes), located in Revigny;
 * - A2 (ASV) covers Verdun only, located in Verdun;
 * - A3 (CLSM) covers Verdun for a sub-theme of santé mentale (prévention du suicide);
 * - A4 (CLSM) covers Bar-le-Duc but is archived: it counts nowhere.
 */
const REVIGNY = '55427';
const THEME = 'logement-habitat';

let server: TestServer;
const ids: Record<string, string> = {};

const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version } }`;
const GAPS = `query ($filter: GapFilterInput, $first: Int, $orderBy: GapOrder) {
  gaps(filter: $filter, first: $first, orderBy: $orderBy) {
    scope { level code } level themes { code } totalCount territoryCount gapPopulation
    rows { rank territory { code name level } population actorCount actorsPer10k covered isGap communeCount
           coveredCommuneCount coveredPopulation coveredPopulationShare uncoveredPopulation nearestActorKm }
  }
}`;
const SUMMARY = `population coveredPopulation coveredPopulationShare communeCount coveredCommuneCount territoryCount
  uncoveredTerritoryCount gapCount actorCount actorsPer10k`;

async function create(key: string, input: Record<string, unknown>) {
  const res = await server.admin.gql(CREATE, { input: { sector: 'SANTE', source: 'test:gaps', ...input } });
  expect(res.errors).toBeUndefined();
  ids[key] = res.data.createActor.id;
  return res.data.createActor as { id: string; version: number };
}

/** Meuse communes from the territory table, by population (largest first), then code. */
async function meuseCommunes(): Promise<{ code: string; population: number; epci_code: string }[]> {
  return server.ds.query(
    `SELECT code, population, epci_code FROM territory WHERE level = 'COMMUNE' AND departement_code = '55' ORDER BY population DESC, code`,
  );
}

async function distanceKm(commune: string, actorKeys: string[]): Promise<number> {
  const [row] = await server.ds.query(
    `SELECT min(ST_Distance(t.geom::geography, a.location::geography)) / 1000 AS km FROM territory t, actor a
     WHERE t.level = 'COMMUNE' AND t.code = $1 AND a.id = ANY($2::uuid[])`,
    [commune, actorKeys.map((k) => ids[k])],
  );
  return Number(row.km);
}

beforeAll(async () => {
  server = await startTestServer();
  // The expected gaps assume no other actor of this theme covers Meuse.
  const [other] = await server.ds.query(
    `SELECT count(*)::int AS n FROM coverage_area ca JOIN actor a ON a.id = ca.actor_id
     WHERE ca.level = 'DEPARTEMENT' AND ca.code = '55' AND a.status = 'ACTIVE' AND a.themes && ARRAY[$1]`,
    [THEME],
  );
  expect(other.n, 'another test left active actors of this theme in Meuse').toBe(0);
  await create('A1', {
    name: 'Test lacunes A1',
    kind: 'CLSM',
    themes: [THEME],
    communeCode: REVIGNY,
    territories: [{ level: 'EPCI', code: REVIGNY_EPCI }],
  });
  await create('A2', { name: 'Test lacunes A2', kind: 'ASV', themes: [THEME], communeCode: VERDUN });
  await create('A3', { name: 'Test lacunes A3', kind: 'CLSM', themes: ['sante-mentale-prevention-suicide'], communeCode: VERDUN });
  const a4 = await create('A4', { name: 'Test lacunes A4', kind: 'CLSM', themes: [THEME], communeCode: BAR_LE_DUC });
  const archived = await server.admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { status } }`, {
    id: a4.id,
    v: a4.version,
  });
  expect(archived.errors).toBeUndefined();
});

afterAll(async () => {
  if (server) {
    await server.ds.query(`DELETE FROM actor WHERE id = ANY($1::uuid[])`, [Object.values(ids)]);
    const drift = await server.ds.query(DRIFT);
    const [stale] = await server.ds.query(`SELECT count(*)::int AS n FROM actor_theme_key WHERE actor_id = ANY($1::uuid[])`, [Object.values(ids)]);
    await server.close();
    expect(drift).toEqual([]);
    expect(stale.n).toBe(0);
  }
});

describe('gaps at commune level', () => {
  it('lists every Meuse commune without an actor of the theme, largest population first', async () => {
    const res = await server.gql(GAPS, { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, themes: [THEME] }, first: 1000 });
    expect(res.errors).toBeUndefined();
    const g = res.data.gaps;
    const communes = await meuseCommunes();
    const covered = new Set([VERDUN, ...communes.filter((c) => c.epci_code === REVIGNY_EPCI).map((c) => c.code)]);
    expect(covered.size).toBe(17);
    const expected = communes.filter((c) => !covered.has(c.code));
    expect(g.scope).toEqual({ level: 'DEPARTEMENT', code: '55' });
    expect(g.territoryCount).toBe(communes.length);
    expect(g.totalCount).toBe(expected.length);
    expect(g.gapPopulation).toBe(expected.reduce((s, c) => s + c.population, 0));
    expect(g.rows.map((r: any) => r.territory.code)).toEqual(expected.map((c) => c.code));
    expect(g.rows.map((r: any) => r.rank)).toEqual(expected.map((_, i) => i + 1));
    // The archived actor does not cover Bar-le-Duc: it is the largest uncovered population.
    expect(g.rows[0]).toMatchObject({
      rank: 1,
      territory: { code: BAR_LE_DUC, name: 'Bar-le-Duc', level: 'COMMUNE' },
      population: 14607,
      actorCount: 0,
      actorsPer10k: 0,
      covered: false,
      isGap: true,
      communeCount: 1,
      coveredCommuneCount: 0,
      coveredPopulation: 0,
      coveredPopulationShare: 0,
      uncoveredPopulation: 14607,
    });
    // Communes with no inhabitants come last, still listed.
    expect(g.rows.at(-1).population).toBe(0);
  });

  it('measures the distance from the commune boundary to the nearest active actor of the theme', async () => {
    const res = await server.gql(GAPS, { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, themes: [THEME] }, first: 3 });
    const barLeDuc = res.data.gaps.rows[0];
    const expected = await distanceKm(BAR_LE_DUC, ['A1', 'A2']);
    expect(barLeDuc.nearestActorKm).toBeCloseTo(expected, 2);
    expect(barLeDuc.nearestActorKm).toBeGreaterThan(5);
    // From the boundary, not from the label point: shorter than the point-to-point distance.
    const [centre] = await server.ds.query(
      `SELECT ST_Distance(t.label_point::geography, a.location::geography) / 1000 AS km FROM territory t, actor a
       WHERE t.level = 'COMMUNE' AND t.code = $1 AND a.id = $2`,
      [BAR_LE_DUC, ids.A1],
    );
    expect(barLeDuc.nearestActorKm).toBeLessThan(Number(centre.km));
  });

  it('gives distance 0 to a commune where an actor is located, with two actors below a threshold of 2', async () => {
    const res = await server.gql(GAPS, {
      filter: { scope: { level: 'EPCI', code: GRAND_VERDUN }, themes: [THEME], minActors: 2 },
      first: 1,
      orderBy: 'POPULATION',
    });
    expect(res.errors).toBeUndefined();
    const verdun = res.data.gaps.rows[0];
    expect(verdun).toMatchObject({ rank: 1, territory: { code: VERDUN }, actorCount: 1, covered: true, isGap: true, uncoveredPopulation: 0 });
    expect(verdun.nearestActorKm).toBe(0);
    expect(res.data.gaps.totalCount).toBe(res.data.gaps.territoryCount);
  });

  it('counts an actor of a sub-theme under its parent theme', async () => {
    const res = await server.gql(GAPS, { filter: { scope: { level: 'EPCI', code: GRAND_VERDUN }, themes: ['sante-mentale'] }, first: 100 });
    const codes = res.data.gaps.rows.map((r: any) => r.territory.code);
    expect(codes).not.toContain(VERDUN);
    expect(res.data.gaps.totalCount).toBe(res.data.gaps.territoryCount - 1);
  });

  it('combines several themes, kinds and any theme with live counts', async () => {
    const scope = { level: 'EPCI', code: GRAND_VERDUN };
    const both = await server.gql(GAPS, { filter: { scope, themes: [THEME, 'sante-mentale'], minActors: 3 }, first: 1, orderBy: 'POPULATION' });
    expect(both.data.gaps.rows[0]).toMatchObject({ territory: { code: VERDUN }, actorCount: 2 });
    const asv = await server.gql(GAPS, { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, themes: [THEME], kinds: ['ASV'] }, first: 0 });
    expect(asv.data.gaps.totalCount).toBe(asv.data.gaps.territoryCount - 1);
    const anyTheme = await server.gql(GAPS, {
      filter: { scope: { level: 'DEPARTEMENT', code: '55' }, kinds: ['CLSM', 'ASV'], minActors: 2 },
      first: 1000,
      orderBy: 'NAME',
    });
    expect(anyTheme.errors).toBeUndefined();
    const rows = anyTheme.data.gaps.rows;
    expect(rows.map((r: any) => r.territory.code)).not.toContain(VERDUN);
    expect(rows.find((r: any) => r.territory.code === REVIGNY)).toMatchObject({ actorCount: 1, covered: true });
    const names = rows.map((r: any) => r.territory.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('counts as steering bodies in the aggregates exactly the kinds the server leaves out', () => {
    expect([...STEERING_KINDS_AT_MIGRATION].sort()).toEqual([...STEERING_KINDS].sort());
  });

  it('leaves the national and regional steering bodies out when only field actors count', async () => {
    // An ARS covers the whole région: counted, Meuse has no gap; left out, the field gaps show again.
    const ars = await create('ARS', { name: 'Test lacunes ARS', kind: 'ARS', sector: 'ETAT', themes: [THEME], territories: [{ level: 'REGION', code: '44' }] });
    try {
      const scope = { level: 'DEPARTEMENT', code: '55' };
      const all = await server.gql(GAPS, { filter: { scope, themes: [THEME], presence: 'ANY' }, first: 0 });
      expect(all.errors).toBeUndefined();
      expect(all.data.gaps.totalCount).toBe(0);
      const field = await server.gql(GAPS, { filter: { scope, themes: [THEME], fieldActorsOnly: true }, first: 1 });
      expect(field.errors).toBeUndefined();
      const communes = await meuseCommunes();
      expect(field.data.gaps.totalCount).toBe(communes.length - 17);
      expect(field.data.gaps.rows[0]).toMatchObject({ territory: { code: BAR_LE_DUC }, actorCount: 0 });
      const none = await server.gql(GAPS, { filter: { scope, themes: [THEME], kinds: ['ARS', 'DGS'], fieldActorsOnly: true }, first: 1 });
      expect(errorCodes(none)).toEqual(['BAD_USER_INPUT']);

      // Read from the aggregates (terrain: keys), the same answer as the live count over the field kinds.
      const fieldKinds = Object.values(ActorKind).filter((k) => !STEERING_KINDS.includes(k));
      const live = await server.gql(GAPS, { filter: { scope, themes: [THEME], kinds: fieldKinds }, first: 1000 });
      const fast = await server.gql(GAPS, { filter: { scope, themes: [THEME], fieldActorsOnly: true }, first: 1000 });
      expect(fast.data.gaps.rows).toEqual(live.data.gaps.rows);

      // A kind change moves an actor in or out of the field counts: A1 (its EPCI) becomes a State service.
      const UPDATE_KIND = `mutation ($id: ID!, $v: Int!, $kind: ActorKind!) { updateActor(id: $id, version: $v, input: { kind: $kind }) { version } }`;
      const [{ version: v1 }] = await server.ds.query(`SELECT version FROM actor WHERE id = $1`, [ids.A1]);
      const toState = await server.admin.gql(UPDATE_KIND, { id: ids.A1, v: v1, kind: 'SERVICE_ETAT' });
      expect(toState.errors).toBeUndefined();
      const withoutA1 = await server.gql(GAPS, { filter: { scope, themes: [THEME], fieldActorsOnly: true }, first: 0 });
      expect(withoutA1.data.gaps.totalCount).toBe(communes.length - 1);
      const back = await server.admin.gql(UPDATE_KIND, { id: ids.A1, v: toState.data.updateActor.version, kind: 'CLSM' });
      expect(back.errors).toBeUndefined();
      expect((await server.gql(GAPS, { filter: { scope, themes: [THEME], fieldActorsOnly: true }, first: 0 })).data.gaps.totalCount).toBe(communes.length - 17);
      expect(await server.ds.query(DRIFT)).toEqual([]);
    } finally {
      await server.ds.query(`DELETE FROM actor WHERE id = $1`, [ars.id]);
      delete ids.ARS;
    }
  });
});

describe('gaps at EPCI level', () => {
  it('calls an EPCI covered when one commune is, and gives the covered share of its population', async () => {
    const res = await server.gql(GAPS, {
      filter: { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'EPCI', themes: [THEME], minActors: 100 },
      first: 100,
    });
    expect(res.errors).toBeUndefined();
    const rows: any[] = res.data.gaps.rows;
    expect(res.data.gaps.territoryCount).toBe(16);
    const communes = await meuseCommunes();
    const verdunEpci = rows.find((r) => r.territory.code === GRAND_VERDUN);
    const [ev] = await server.ds.query(`SELECT sum(population)::int AS pop, count(*)::int AS n FROM territory WHERE level = 'COMMUNE' AND epci_code = $1`, [
      GRAND_VERDUN,
    ]);
    expect(verdunEpci).toMatchObject({
      actorCount: 1,
      covered: true,
      communeCount: ev.n,
      coveredCommuneCount: 1,
      population: ev.pop,
      coveredPopulation: 16890,
      uncoveredPopulation: ev.pop - 16890,
    });
    expect(verdunEpci.coveredPopulationShare).toBeCloseTo(16890 / ev.pop, 5);
    const revigny = rows.find((r) => r.territory.code === REVIGNY_EPCI);
    const revignyPop = communes.filter((c) => c.epci_code === REVIGNY_EPCI).reduce((s, c) => s + c.population, 0);
    expect(revigny).toMatchObject({ actorCount: 1, covered: true, coveredCommuneCount: 16, coveredPopulationShare: 1, uncoveredPopulation: 0 });
    expect(revigny.population).toBe(revignyPop);
    expect(revigny.actorsPer10k).toBeCloseTo(10000 / revignyPop, 3);
    // An EPCI straddling Meuse and Meurthe-et-Moselle is in scope, with all its communes.
    const straddling = rows.find((r) => r.territory.code === '200070290');
    expect(straddling.communeCount).toBe(25);
  });

  it('lists only uncovered EPCI by default and EPCI below 1 actor per 10,000 inhabitants on request', async () => {
    const scope = { level: 'DEPARTEMENT', code: '55' };
    const none = await server.gql(GAPS, { filter: { scope, level: 'EPCI', themes: [THEME] }, first: 100 });
    expect(none.data.gaps.totalCount).toBe(14);
    expect(none.data.gaps.rows.map((r: any) => r.territory.code)).not.toContain(GRAND_VERDUN);
    expect(none.data.gaps.rows.every((r: any) => r.coveredCommuneCount === 0)).toBe(true);
    const per10k = await server.gql(GAPS, { filter: { scope, level: 'EPCI', themes: [THEME], minActorsPer10k: 1 }, first: 100 });
    // Grand Verdun: 1 actor for ~27,000 inhabitants; Revigny: 1 for ~6,800.
    expect(per10k.data.gaps.totalCount).toBe(15);
    const codes = per10k.data.gaps.rows.map((r: any) => r.territory.code);
    expect(codes).toContain(GRAND_VERDUN);
    expect(codes).not.toContain(REVIGNY_EPCI);
    // Ranked by population without any actor: Grand Verdun's uncovered part decides its rank.
    const verdun = per10k.data.gaps.rows.find((r: any) => r.territory.code === GRAND_VERDUN);
    const before = per10k.data.gaps.rows.filter((r: any) => r.uncoveredPopulation > verdun.uncoveredPopulation);
    expect(verdun.rank).toBe(before.length + 1);
  });
});

describe('coverage map', () => {
  const COVERAGE = `query ($filter: GapFilterInput, $zoom: Int) {
    coverage(filter: $filter, zoom: $zoom) { scope { code } level themes { code } summary { ${SUMMARY} }
      byTheme { theme { code } summary { ${SUMMARY} } } features }
  }`;

  it('serves every EPCI of Meuse as a GeoJSON FeatureCollection with the figures, and the summary', async () => {
    const res = await server.gql(COVERAGE, { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'EPCI', themes: [THEME] } });
    expect(res.errors).toBeUndefined();
    const c = res.data.coverage;
    const communes = await meuseCommunes();
    const coveredPop = communes.filter((x) => x.epci_code === REVIGNY_EPCI || x.code === VERDUN).reduce((s, x) => s + x.population, 0);
    const population = communes.reduce((s, x) => s + x.population, 0);
    expect(c.summary).toMatchObject({
      population,
      coveredPopulation: coveredPop,
      communeCount: communes.length,
      coveredCommuneCount: 17,
      territoryCount: 16,
      uncoveredTerritoryCount: 14,
      gapCount: 14,
      actorCount: 2,
    });
    expect(c.summary.coveredPopulationShare).toBeCloseTo(coveredPop / population, 5);
    expect(c.byTheme).toEqual([{ theme: { code: THEME }, summary: c.summary }]);
    const fc = c.features;
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(16);
    const revigny = fc.features.find((f: any) => f.id === REVIGNY_EPCI);
    expect(revigny.geometry.type).toBe('MultiPolygon');
    expect(revigny.properties).toMatchObject({
      code: REVIGNY_EPCI,
      level: 'EPCI',
      actorCount: 1,
      covered: true,
      isGap: false,
      coveredPopulationShare: 1,
      rank: null,
      nearestActorKm: 0,
    });
    const ranks = fc.features
      .map((f: any) => f.properties.rank)
      .filter((r: number | null) => r !== null)
      .sort((a: number, b: number) => a - b);
    expect(ranks).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    // Five decimals at most.
    const coords = JSON.stringify(revigny.geometry.coordinates).match(/\d+\.\d+/g)!;
    expect(Math.max(...coords.map((x) => x.split('.')[1].length))).toBeLessThanOrEqual(5);
  });

  it('simplifies the boundaries for a lower zoom and gives per-theme summaries of every top-level theme by default', async () => {
    const filter = { scope: { level: 'EPCI', code: GRAND_VERDUN }, kinds: ['CLSM', 'ASV'] };
    const far = await server.gql(COVERAGE, { filter, zoom: 7 });
    const near = await server.gql(COVERAGE, { filter, zoom: 14 });
    expect(far.errors).toBeUndefined();
    expect(far.data.coverage.features.features).toHaveLength(25);
    expect(JSON.stringify(far.data.coverage.features).length).toBeLessThan(JSON.stringify(near.data.coverage.features).length);
    const byTheme = far.data.coverage.byTheme;
    expect(byTheme.length).toBe(14);
    expect(byTheme.find((t: any) => t.theme.code === 'sante-mentale').summary).toMatchObject({ coveredCommuneCount: 1, uncoveredTerritoryCount: 24 });
  });

  it('serves a compact map with only what a map draws, and the same figures', async () => {
    const Q = `query ($filter: GapFilterInput, $compact: Boolean!) { coverage(filter: $filter, zoom: 9, compact: $compact) { features } }`;
    const filter = { scope: { level: 'DEPARTEMENT', code: '55' }, themes: [THEME] };
    const full = await server.gql(Q, { filter, compact: false });
    const compact = await server.gql(Q, { filter, compact: true });
    expect(compact.errors).toBeUndefined();
    const fullFeatures = full.data.coverage.features.features;
    const compactFeatures = compact.data.coverage.features.features;
    expect(compactFeatures).toHaveLength(fullFeatures.length);
    expect(Object.keys(compactFeatures[0].properties).sort()).toEqual([
      'actorCount',
      'code',
      'covered',
      'isGap',
      'localActorCount',
      'name',
      'population',
      'presence',
      'verifiedLocalActorCount',
      'wideActorCount',
    ]);
    const pick = (f: any) => [
      f.id,
      f.properties.actorCount,
      f.properties.population,
      f.properties.isGap,
      f.properties.covered,
      f.properties.presence,
      f.properties.localActorCount,
      f.properties.wideActorCount,
    ];
    expect(compactFeatures.map(pick)).toEqual(fullFeatures.map(pick));
    expect(compactFeatures.map((f: any) => f.geometry)).toEqual(fullFeatures.map((f: any) => f.geometry));
    // Lighter by its properties (the geometries, identical, are most of both).
    const props = (fs: any[]) => JSON.stringify(fs.map((f) => f.properties)).length;
    expect(props(compactFeatures)).toBeLessThan(props(fullFeatures) * 0.8);
  });
});

describe('nearest actor', () => {
  const COVERAGE_KM = `query ($filter: GapFilterInput) { coverage(filter: $filter) { features } }`;
  /** Brute force: the geodesic distance from every commune of the département to every point of the key. */
  async function bruteForceKm(departement: string, key: string): Promise<Map<string, number>> {
    const rows: { code: string; km: number }[] = await server.ds.query(
      `SELECT t.code, min(ST_Distance(p.geog, t.geom::geography)) / 1000 AS km FROM territory t
       JOIN actor_theme_point p ON p.theme = $2
       WHERE t.level = 'COMMUNE' AND t.departement_code = $1 AND t.geom IS NOT NULL GROUP BY t.code`,
      [departement, key],
    );
    return new Map(rows.map((r) => [r.code, Number(r.km)]));
  }
  async function apiKm(departement: string, theme: string): Promise<Map<string, number | null>> {
    const res = await server.gql(COVERAGE_KM, { filter: { scope: { level: 'DEPARTEMENT', code: departement }, themes: [theme] } });
    expect(res.errors).toBeUndefined();
    return new Map(res.data.coverage.features.features.map((f: any) => [f.id, f.properties.nearestActorKm]));
  }
  function expectSameDistances(api: Map<string, number | null>, brute: Map<string, number>) {
    expect(brute.size).toBeGreaterThan(0);
    for (const [code, km] of brute) {
      // Found in the local projection (scale error within 0.3 %), measured on the ellipsoid.
      const got = api.get(code);
      expect(got, code).not.toBeNull();
      expect(Math.abs(Number(got) - km), `${code}: ${got} km, brute force ${km} km`).toBeLessThanOrEqual(Math.max(0.002, km * 0.003));
    }
  }

  it('gives every Meuse commune the geodesic distance to its nearest actor, as a search over every point does', async () => {
    expectSameDistances(await apiKm('55', THEME), await bruteForceKm('55', THEME));
  });

  it('searches La Réunion in its own projection, and across the ocean when the island has no actor of the theme', async () => {
    await create('A5', { name: 'Test lacunes A5 (La Réunion)', kind: 'ASV', themes: [THEME], communeCode: '97411' });
    const reunion = await apiKm('974', THEME);
    expectSameDistances(reunion, await bruteForceKm('974', THEME));
    expect(reunion.get('97411')).toBe(0);
    expect(Math.max(...[...reunion.values()].map(Number))).toBeLessThan(100);

    // Only Verdun's actor has this sub-theme, 9,000 km away: the projected search finds none on the island.
    const key = 'sante-mentale-prevention-suicide';
    const [onIsland] = await server.ds.query(`SELECT count(*)::int AS n FROM actor_theme_point WHERE theme = $1 AND zone = 32740`, [key]);
    expect(onIsland.n, 'an actor of this sub-theme is located in La Réunion').toBe(0);
    const far = await apiKm('974', key);
    expectSameDistances(far, await bruteForceKm('974', key));
    expect(Math.min(...[...far.values()].map(Number))).toBeGreaterThan(5000);
  });

  it('projects every territory that has a boundary', async () => {
    const missing = await server.ds.query(`SELECT level, code FROM territory WHERE geom IS NOT NULL AND (zone IS NULL OR geom_proj IS NULL) LIMIT 5`);
    expect(missing).toEqual([]);
    const zones = await server.ds.query(`SELECT DISTINCT departement_code AS dep, zone FROM territory
      WHERE level = 'COMMUNE' AND geom IS NOT NULL ORDER BY 1`);
    expect(zones).toEqual([
      { dep: '55', zone: 2154 },
      { dep: '75', zone: 2154 },
      { dep: '93', zone: 2154 },
      { dep: '974', zone: 32740 },
    ]);
  });

  it('projects with the PL/pgSQL gap_project exactly as the plain PostGIS expression does', async () => {
    // Migration 1764000000014 rewrote gap_project (same body, kept PROJ transformations): every
    // stored projection equals ST_Transform into the zone, shifted by the zone's offset.
    const [r] = await server.ds.query(`
      SELECT count(*)::int AS n,
             count(*) FILTER (WHERE NOT ST_Equals(t.geom_proj, ST_Translate(ST_SetSRID(ST_Transform(t.geom, t.zone), 0),
               1e8 * array_position(ARRAY[2154, 32620, 32621, 32622, 32738, 32740], t.zone), 0)))::int AS different
      FROM territory t WHERE t.level = 'COMMUNE' AND t.departement_code IN ('55', '974') AND t.geom IS NOT NULL`);
    expect(r.n).toBeGreaterThan(499);
    expect(r.different).toBe(0);
  });

  it('rebuilds the aggregates with their indexes back, and the triggers keep them after', async () => {
    await inRolledBackTransaction(server.ds, async (qr) => {
      const before = await coverageChecksum(qr);
      await qr.query(`SELECT gap_rebuild()`);
      expect(await coverageChecksum(qr)).toBe(before);
      const indexes = await qr.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'coverage_theme_count' ORDER BY 1`);
      expect(indexes.map((i: { indexname: string }) => i.indexname)).toEqual(['coverage_theme_count_pkey']);
      const [{ def }] = await qr.query(`SELECT pg_get_indexdef('coverage_theme_count_pkey'::regclass) AS def`);
      expect(def).toContain('(theme, level, code) INCLUDE (actor_count)');
      // A new actor goes through the triggers' upserts (ON CONFLICT needs the primary key back).
      const [{ id }] = await qr.query(
        `INSERT INTO actor (name, kind, sector, themes, commune_code, status, source)
         VALUES ('Acteur du test de reconstruction', 'ASSOCIATION', 'SANTE', ARRAY['vaccination'], '55545', 'ACTIVE', 'test:rebuild') RETURNING id`,
      );
      await qr.query(`INSERT INTO coverage_commune (actor_id, commune_code, local) VALUES ($1, '55545', true)`, [id]);
      // The triggers' deltas are added at commit (migration 1764000000025): added now, inside the transaction.
      await qr.query(`SET CONSTRAINTS coverage_theme_pending_apply IMMEDIATE`);
      const [c] = await qr.query(`SELECT actor_count FROM coverage_theme_count WHERE theme = 'vaccination' AND level = 'COMMUNE' AND code = '55545'`);
      const [k] = await qr.query(`SELECT count(*)::int AS n FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id
        WHERE cc.commune_code = '55545' AND a.status = 'ACTIVE' AND a.review_status = 'VALIDATED' AND 'vaccination' = ANY(gap_theme_keys(a.themes, a.kind))`);
      expect(c.actor_count).toBe(k.n);
    });
  });
});

describe('theme matrix and comparison', () => {
  it('gives the actors per theme for every EPCI of Meuse', async () => {
    const res = await server.gql(
      `query ($filter: GapFilterInput) { themeMatrix(filter: $filter) { themes { code } rows { territory { code } population counts missingThemes }
        totals { theme { code } summary { coveredCommuneCount actorCount } } } }`,
      { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'EPCI', themes: [THEME, 'sante-mentale'], kinds: ['CLSM', 'ASV'] } },
    );
    expect(res.errors).toBeUndefined();
    const m = res.data.themeMatrix;
    expect(m.themes.map((t: any) => t.code)).toEqual([THEME, 'sante-mentale']);
    expect(m.rows).toHaveLength(16);
    const row = (code: string) => m.rows.find((r: any) => r.territory.code === code);
    expect(row(REVIGNY_EPCI)).toMatchObject({ counts: [1, 0], missingThemes: ['sante-mentale'] });
    expect(row(GRAND_VERDUN)).toMatchObject({ counts: [1, 1], missingThemes: [] });
    const others = m.rows.filter((r: any) => r.territory.code !== REVIGNY_EPCI && r.territory.code !== GRAND_VERDUN);
    expect(others.every((r: any) => r.counts[0] === 0 && r.counts[1] === 0)).toBe(true);
    const pops = m.rows.map((r: any) => r.population);
    expect(pops).toEqual([...pops].sort((a, b) => b - a));
    expect(m.totals).toEqual([
      { theme: { code: THEME }, summary: { coveredCommuneCount: 17, actorCount: 2 } },
      { theme: { code: 'sante-mentale' }, summary: { coveredCommuneCount: 1, actorCount: 1 } },
    ]);
    // The same column from the maintained counts (no kind filter).
    const fast = await server.gql(`query ($filter: GapFilterInput) { themeMatrix(filter: $filter) { rows { territory { code } counts } } }`, {
      filter: { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'EPCI', themes: [THEME] },
    });
    expect(fast.data.themeMatrix.rows.map((r: any) => [r.territory.code, r.counts])).toEqual(m.rows.map((r: any) => [r.territory.code, [r.counts[0]]]));
  });

  // The maintained counts of a scope are read by ranges of commune codes sharing their first two
  // characters (server/gaps/gap-source.ts): Corsica's 2A and 2B, and the overseas 97…, where that
  // prefix is not a département, are read as any other.
  it('reads each commune its own counts in Corsica and overseas, as a count over the actors gives them', async () => {
    await create('CORSE', { name: 'Test lacunes Haute-Corse', kind: 'ASV', themes: [THEME], territories: [{ level: 'DEPARTEMENT', code: '2B' }] });
    await create('ABYMES', { name: 'Test lacunes Les Abymes', kind: 'ASV', themes: [THEME, 'sante-mentale'], communeCode: '97101' });
    const themes = [THEME, 'sante-mentale'];
    const matrices = new Map<string, Map<string, number[]>>();
    for (const scope of [
      { level: 'REGION', code: '94' },
      { level: 'DEPARTEMENT', code: '971' },
      { level: 'EPCI', code: REVIGNY_EPCI },
    ]) {
      const res = await server.gql(`query ($filter: GapFilterInput) { themeMatrix(filter: $filter) { rows { territory { code } counts } } }`, {
        filter: { scope, themes },
      });
      expect(res.errors).toBeUndefined();
      const got = new Map<string, number[]>(res.data.themeMatrix.rows.map((r: any) => [r.territory.code, r.counts]));
      matrices.set(scope.code, got);
      const truth = await server.ds.query(
        `SELECT c.code, array_agg((SELECT count(DISTINCT a.id)::int FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id
                                   WHERE cc.commune_code = c.code AND cc.local AND a.status = 'ACTIVE' AND a.review_status = 'VALIDATED'
                                     AND t.theme = ANY(gap_theme_keys(a.themes, a.kind))) ORDER BY t.ord) AS counts
         FROM territory c CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS t(theme, ord)
         WHERE c.level = 'COMMUNE' AND CASE $1 WHEN 'REGION' THEN c.region_code WHEN 'DEPARTEMENT' THEN c.departement_code ELSE c.epci_code END = $2
         GROUP BY c.code`,
        [scope.level, scope.code, themes],
      );
      expect(got.size, `${scope.level} ${scope.code}`).toBe(truth.length);
      for (const t of truth) expect([t.code, got.get(t.code)]).toEqual([t.code, t.counts]);
      // Non-zero counts where the fixtures are: the comparison above is not between zeros only.
      const covered = truth.filter((t: { counts: number[] }) => t.counts[0] > 0).length;
      expect(covered, `${scope.level} ${scope.code}`).toBeGreaterThan(0);
    }
    const [haute] = await server.ds.query(`SELECT count(*)::int AS n FROM territory WHERE level = 'COMMUNE' AND departement_code = '2B'`);
    const upper = [...matrices.get('94')!].filter(([code]) => code.startsWith('2B'));
    expect(upper).toHaveLength(haute.n);
    expect(upper.every(([, counts]) => counts[0] >= 1)).toBe(true);
  });

  it('compares Meuse with Grand Est using the same indicators', async () => {
    const res = await server.gql(
      `query { compareCoverage(scopes: [{ level: DEPARTEMENT, code: "55" }, { level: REGION, code: "44" }], filter: { themes: ["${THEME}"], level: EPCI }) {
        level themes { code } scopes { scope { code name } summary { ${SUMMARY} } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const [meuse, grandEst] = res.data.compareCoverage.scopes;
    expect(meuse.scope).toEqual({ code: '55', name: 'Meuse' });
    expect(grandEst.scope).toEqual({ code: '44', name: 'Grand Est' });
    expect(meuse.summary).toMatchObject({ coveredCommuneCount: 17, actorCount: 2, territoryCount: 16, gapCount: 14 });
    expect(grandEst.summary).toMatchObject({ coveredCommuneCount: 17, actorCount: 2, coveredPopulation: meuse.summary.coveredPopulation });
    expect(grandEst.summary.population).toBeGreaterThan(5_000_000);
    expect(grandEst.summary.territoryCount).toBeGreaterThan(140);
    expect(grandEst.summary.gapCount).toBe(grandEst.summary.territoryCount - 2);
  });
});

describe('keeping the aggregates in step', () => {
  it('follows theme changes, coverage changes and archiving', async () => {
    const [{ version }] = await server.ds.query(`SELECT version FROM actor WHERE id = $1`, [ids.A2]);
    const upd = await server.admin.gql(
      `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { version } }`,
      { id: ids.A2, v: version, input: { themes: ['sante-mentale-promotion'], territories: [{ level: 'COMMUNE', code: BAR_LE_DUC }] } },
    );
    expect(upd.errors).toBeUndefined();
    expect(await server.ds.query(DRIFT)).toEqual([]);
    const res = await server.gql(GAPS, { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, themes: ['sante-mentale'] }, first: 1000 });
    const codes = res.data.gaps.rows.map((r: any) => r.territory.code);
    expect(codes).not.toContain(BAR_LE_DUC);
    expect(codes).not.toContain(VERDUN);
    const after = await server.gql(GAPS, { filter: { scope: { level: 'DEPARTEMENT', code: '55' }, themes: [THEME] }, first: 1 });
    expect(after.data.gaps.rows[0].territory.code).toBe(VERDUN);
    const arch = await server.admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { status } }`, {
      id: ids.A2,
      v: upd.data.updateActor.version,
    });
    expect(arch.errors).toBeUndefined();
    expect(await server.ds.query(DRIFT)).toEqual([]);
  });
});

describe('refusals', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['an unknown theme', { themes: ['pas-un-theme'] }, 'themes'],
    ['an unknown territory', { scope: { level: 'DEPARTEMENT', code: '00' } }, 'scope'],
    ['an EPCI level inside a commune', { scope: { level: 'COMMUNE', code: VERDUN }, level: 'EPCI' }, 'level'],
    ['an EPCI level inside an EPCI', { scope: { level: 'EPCI', code: GRAND_VERDUN }, level: 'EPCI' }, 'level'],
    ['a département level inside a département', { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'DEPARTEMENT' }, 'level'],
    ['an unknown public', { audiences: ['martiens'] }, 'audiences'],
  ];
  for (const [what, filter, field] of cases) {
    it(`should refuse ${what} with BAD_USER_INPUT`, async () => {
      const res = await server.gql(GAPS, { filter, first: 1 });
      expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].extensions!.field).toBe(field);
      expect(res.errors![0].message).toMatch(/[a-zéè]/);
    });
  }

  it('should refuse a threshold below 1, a page too large and a comparison of one scope', async () => {
    expect(errorCodes(await server.gql(GAPS, { filter: { minActors: 0 }, first: 1 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await server.gql(GAPS, { filter: {}, first: 100_000 }))).toEqual(['BAD_USER_INPUT']);
    const one = await server.gql(`query { compareCoverage(scopes: [{ level: DEPARTEMENT, code: "55" }]) { level } }`);
    expect(errorCodes(one)).toEqual(['BAD_USER_INPUT']);
    const zoom = await server.gql(`query { coverage(zoom: 40, filter: { scope: { level: EPCI, code: "${GRAND_VERDUN}" } }) { level } }`);
    expect(errorCodes(zoom)).toEqual(['BAD_USER_INPUT']);
  });
});
