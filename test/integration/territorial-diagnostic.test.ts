import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epciOf, fixtures, ok } from '../helpers/factories.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { BAR_LE_DUC, GRAND_EST, MEUSE, VERDUN } from '../helpers/places.js';

/**
 * The territorial diagnostic against what the fixtures make true: the test database has no actor
 * but these, so every figure is known in advance (actors present locally, wide-scope ones, gaps
 * and their population from the `territory` table). A list of communes is checked against the
 * territory they make up (two ways of computing the same figures), and members-only coalitions
 * are attacked from every perimeter that contains them.
 */
const SOURCE = 'test:territorial-diagnostic.test.ts';
const SECRET = 'Diag Cellule confidentielle de Verdun';

let server: TestServer;
const { actor, coalition, createActor, createActors, createRegionalAnalysts, createUser, createCoalition, users } = fixtures(() => server, {
  source: SOURCE,
  domain: '@test-diagnostic.local',
});
let epci: string;
let epciCommunes: { code: string; population: number }[];
const population: Record<string, number> = {};
/** The associations of the fixtures: of the social sector. */
const ASSO = { kind: 'ASSOCIATION', sector: 'SOCIAL' };
/** The EPT Plaine Commune (Saint-Denis), in the Grand Paris. */
const PLAINE_COMMUNE = { level: 'EPT', code: '200057867' };

const FIGURES = `theme { code } localActorCount wideActorCount communeCount population localCommuneCount localPopulation
  gapCount gapPopulation wideOnlyCommuneCount wideOnlyPopulation`;
const DIAGNOSTIC = `query ($p: DiagnosticPerimeterInput!, $field: Boolean) {
  territorialDiagnostic(perimeter: $p, fieldActorsOnly: $field) {
    perimeter { kind label communeCount population territory { code } communes { code name } }
    coverage { fieldActorsOnly overall { ${FIGURES} } byTheme { ${FIGURES} } source { label date } }
    network { actorCount linkCount componentCount largestComponentActorCount isolatedActorCount truncated
      coalitions { coalition { id name visibility } memberCount component } bridges { id name degree betweenness } }
    freshness { months actorCount freshCount staleCount neverVerifiedCount staleOnlyCommuneCount staleOnlyPopulation
      toVerify { actor { id name } communeCount } }
  }
}`;

type Figures = Record<string, number> & { theme: { code: string } | null };
interface Diagnostic {
  perimeter: { kind: string; label: string; communeCount: number; population: number; communes: { code: string }[] | null };
  coverage: { overall: Figures; byTheme: Figures[] };
  network: Record<string, number> & {
    coalitions: { coalition: { id: string; name: string }; memberCount: number }[];
    bridges: { id: string; betweenness: number }[];
  };
  freshness: Record<string, number> & { toVerify: { actor: { id: string }; communeCount: number }[] };
}

const diagnose = async (perimeter: Record<string, unknown>, field?: boolean, as: Pick<TestServer, 'gql'> = server) =>
  (await ok<{ territorialDiagnostic: Diagnostic }>(as.gql(DIAGNOSTIC, { p: perimeter, field }))).territorialDiagnostic;
const theme = (d: Diagnostic, code: string) => d.coverage.byTheme.find((t) => t.theme?.code === code)!;

beforeAll(async () => {
  server = await startTestServer();
  epci = await epciOf(server, VERDUN);
  const res = await ok<{ territory: { children: { code: string; population: number }[] } }>(
    server.gql(`query ($c: String!) { territory(code: $c, level: EPCI) { children(level: COMMUNE, first: 1000) { code population } } }`, { c: epci }),
  );
  epciCommunes = res.territory.children;
  for (const code of [VERDUN, BAR_LE_DUC]) {
    const t = await ok<{ territory: { population: number } }>(
      server.gql(`query ($c: String!) { territory(code: $c, level: COMMUNE) { population } }`, { c: code }),
    );
    population[code] = t.territory.population;
  }
  await createActors({
    verdun: { ...ASSO, name: 'Diag Asso de Verdun', themes: ['sante-mentale'], communeCode: VERDUN, territories: [{ level: 'COMMUNE', code: VERDUN }] },
    epci: { ...ASSO, name: 'Diag Vaccination du Grand Verdun', themes: ['vaccination'], territories: [{ level: 'EPCI', code: epci }] },
    region: { ...ASSO, name: 'Diag Réseau régional', themes: ['sante-mentale'], territories: [GRAND_EST] },
    ars: { name: 'Diag Délégation départementale', kind: 'ARS', sector: 'ETAT', themes: ['sante-mentale'], territories: [MEUSE] },
  });
});

afterAll(() => server?.close());

describe('territorialDiagnostic: actors and gaps', () => {
  it('should count local and wide-scope actors and the gaps with their population, theme by theme, over a list of communes', async () => {
    const d = await diagnose({ communes: [BAR_LE_DUC, VERDUN, ` ${VERDUN} `] });
    expect(d.perimeter).toMatchObject({
      kind: 'COMMUNES',
      label: 'Liste de 2 communes',
      communeCount: 2,
      population: population[VERDUN] + population[BAR_LE_DUC],
    });
    expect(d.perimeter.communes!.map((c) => c.code)).toEqual([BAR_LE_DUC, VERDUN]);
    const both = population[VERDUN] + population[BAR_LE_DUC];
    const barGap = { gapCount: 1, gapPopulation: population[BAR_LE_DUC], localCommuneCount: 1, localPopulation: population[VERDUN] };
    expect(theme(d, 'sante-mentale')).toMatchObject({
      localActorCount: 1,
      wideActorCount: 1,
      ...barGap,
      wideOnlyCommuneCount: 1,
      wideOnlyPopulation: population[BAR_LE_DUC],
    });
    expect(theme(d, 'vaccination')).toMatchObject({ localActorCount: 1, wideActorCount: 0, ...barGap, wideOnlyCommuneCount: 0 });
    expect(d.coverage.overall).toMatchObject({ localActorCount: 2, wideActorCount: 1, ...barGap, wideOnlyCommuneCount: 1, communeCount: 2, population: both });
    expect(theme(d, 'addictions')).toMatchObject({ localActorCount: 0, wideActorCount: 0, gapCount: 2, gapPopulation: both, localCommuneCount: 0 });
    // The State's services count only when asked for: a département is local presence.
    const all = await diagnose({ communes: [VERDUN, BAR_LE_DUC] }, false);
    expect(theme(all, 'sante-mentale')).toMatchObject({ localActorCount: 2, wideActorCount: 1, gapCount: 0, gapPopulation: 0 });
  });

  it('should give a list of communes the same figures as the EPCI they make up', async () => {
    const byTerritory = await diagnose({ territory: { level: 'EPCI', code: epci } });
    const byList = await diagnose({ communes: epciCommunes.map((c) => c.code).reverse() });
    const total = epciCommunes.reduce((s, c) => s + c.population, 0);
    expect(byTerritory.perimeter).toMatchObject({ kind: 'TERRITORY', communeCount: epciCommunes.length, population: total });
    expect(theme(byTerritory, 'sante-mentale')).toMatchObject({
      localActorCount: 1,
      wideActorCount: 1,
      gapCount: epciCommunes.length - 1,
      gapPopulation: total - population[VERDUN],
      wideOnlyCommuneCount: epciCommunes.length - 1,
    });
    expect(theme(byTerritory, 'vaccination')).toMatchObject({ localActorCount: 1, gapCount: 0, localPopulation: total });
    expect(byList.coverage.overall).toEqual(byTerritory.coverage.overall);
    expect(byList.coverage.byTheme).toEqual(byTerritory.coverage.byTheme);
    expect(byList.network).toEqual(byTerritory.network);
    expect(byList.freshness).toEqual(byTerritory.freshness);
  });

  it('should give a commune, an EPCI and a département the figures of their communes', async () => {
    const commune = await diagnose({ territory: { level: 'COMMUNE', code: VERDUN } });
    const list = await diagnose({ communes: [VERDUN] });
    expect(commune.perimeter).toMatchObject({ kind: 'TERRITORY', label: `Verdun (commune ${VERDUN})`, communeCount: 1 });
    expect(commune.coverage.byTheme).toEqual(list.coverage.byTheme);
    expect(commune.coverage.overall).toEqual(list.coverage.overall);
    const meuse = await diagnose({ territory: MEUSE });
    expect(meuse.perimeter).toMatchObject({ communeCount: 499, label: 'Meuse (département 55)' });
    expect(theme(meuse, 'sante-mentale')).toMatchObject({ localActorCount: 1, wideActorCount: 1, gapCount: 498, wideOnlyCommuneCount: 498 });
    expect(theme(meuse, 'vaccination')).toMatchObject({ localActorCount: 1, gapCount: 499 - epciCommunes.length });
    const epciPopulation = epciCommunes.reduce((s, c) => s + c.population, 0);
    expect(meuse.coverage.overall).toMatchObject({ gapCount: 499 - epciCommunes.length, gapPopulation: meuse.perimeter.population - epciPopulation });
  });
});

describe('territorialDiagnostic: an EPT', () => {
  it('should give an EPT of the Grand Paris the figures of the list of its communes', async () => {
    await createActor('plaine', { ...ASSO, name: 'Diag Asso de Saint-Denis', themes: ['addictions'], territories: [PLAINE_COMMUNE] });
    const res = await ok<{ territory: { children: { code: string }[] } }>(
      server.gql(`{ territory(code: "200057867", level: EPT) { children(level: COMMUNE, first: 100) { code } } }`),
    );
    const communes = res.territory.children.map((c) => c.code);
    expect(communes).toHaveLength(8);
    const byTerritory = await diagnose({ territory: PLAINE_COMMUNE });
    const byList = await diagnose({ communes });
    expect(byTerritory.perimeter).toMatchObject({ kind: 'TERRITORY', label: 'Plaine Commune (EPT 200057867)', communeCount: 8 });
    expect(theme(byTerritory, 'addictions')).toMatchObject({ localActorCount: 1, wideActorCount: 0, gapCount: 0, localCommuneCount: 8 });
    expect(byList.coverage.byTheme).toEqual(byTerritory.coverage.byTheme);
    expect(byList.coverage.overall).toEqual(byTerritory.coverage.overall);
  });
});

describe('territorialDiagnostic: moderation', () => {
  it('should count an actor awaiting validation nowhere: figures, graph, records to verify', async () => {
    const before = await diagnose({ communes: [VERDUN, BAR_LE_DUC] });
    const member = await createUser('member', 'MEMBER');
    const created = await ok<{ createActor: { reviewStatus: string } }>(
      member.gql(`mutation ($i: CreateActorInput!) { createActor(input: $i) { reviewStatus } }`, {
        i: { name: 'Diag Asso en attente', kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['addictions'], communeCode: BAR_LE_DUC, source: SOURCE },
      }),
    );
    expect(created.createActor.reviewStatus).toBe('PENDING_REVIEW');
    for (const field of [true, false]) {
      const res = await server.gql(DIAGNOSTIC, { p: { communes: [VERDUN, BAR_LE_DUC] }, field });
      expect(JSON.stringify(res)).not.toContain('Diag Asso en attente');
    }
    const after = await diagnose({ communes: [VERDUN, BAR_LE_DUC] });
    expect(after.coverage.overall).toEqual(before.coverage.overall);
    expect(after.coverage.byTheme).toEqual(before.coverage.byTheme);
    expect(after.network.actorCount).toBe(before.network.actorCount);
    expect(after.freshness).toEqual(before.freshness);
  });
});

describe('territorialDiagnostic: freshness', () => {
  it('should count never confirmed records as to verify until someone responsible confirms them', async () => {
    const before = await diagnose({ communes: [VERDUN, BAR_LE_DUC] });
    expect(before.freshness).toMatchObject({ months: 18, actorCount: 2, freshCount: 0, staleCount: 0, neverVerifiedCount: 2 });
    expect(before.freshness).toMatchObject({ staleOnlyCommuneCount: 1, staleOnlyPopulation: population[VERDUN] });
    expect(before.freshness.toVerify.map((r) => r.actor.id).sort()).toEqual([actor.verdun, actor.epci].sort());
    const { actor: a } = await ok<{ actor: { version: number } }>(server.gql(`query ($id: ID!) { actor(id: $id) { version } }`, { id: actor.verdun }));
    await ok(server.admin.gql(`mutation ($id: ID!, $v: Int!) { confirmActorUpToDate(id: $id, version: $v) { id } }`, { id: actor.verdun, v: a.version }));
    const after = await diagnose({ communes: [VERDUN, BAR_LE_DUC] });
    expect(after.freshness).toMatchObject({
      actorCount: 2,
      freshCount: 1,
      neverVerifiedCount: 1,
      staleOnlyCommuneCount: 0,
      staleOnlyPopulation: 0,
      toVerify: [],
    });
  });
});

describe('territorialDiagnostic: coalitions', () => {
  beforeAll(async () => {
    const coord = await createUser('coord', 'COORDINATOR', ['verdun']);
    await createRegionalAnalysts();
    const common = { kind: 'THEMATIQUE', themes: ['sante-mentale'], joinPolicy: 'APPROVAL', pilotActorId: actor.verdun };
    await createCoalition('secret', coord, { ...common, name: SECRET, visibility: 'MEMBERS', territory: { level: 'COMMUNE', code: VERDUN } });
    await createCoalition('public', coord, { ...common, name: 'Diag Coalition publique', visibility: 'PUBLIC', territory: { level: 'EPCI', code: epci } });
  });

  const perimeters = () => [
    { territory: { level: 'COMMUNE', code: VERDUN } },
    { territory: { level: 'EPCI', code: epci } },
    { territory: { level: 'DEPARTEMENT', code: '55' } },
    { communes: [VERDUN] },
    { communes: [BAR_LE_DUC, VERDUN] },
  ];

  it('should not show a members-only coalition, nor its links, to a visitor diagnosing a perimeter that contains it', async () => {
    for (const perimeter of perimeters()) {
      const res = await server.gql(DIAGNOSTIC, { p: perimeter });
      expect(res.errors).toBeUndefined();
      const text = JSON.stringify(res);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(coalition.secret);
      const network = (res.data as { territorialDiagnostic: Diagnostic }).territorialDiagnostic.network;
      expect(network.coalitions.map((c) => c.coalition.name)).toEqual(['Diag Coalition publique']);
      // The pilot's membership of the secret coalition is no link, and makes it no bridge.
      expect(network).toMatchObject({ linkCount: 1, componentCount: 1, largestComponentActorCount: 1, bridges: [] });
    }
  });

  it('should not show it to an ARS analyst of another région either, and show it to one of its région', async () => {
    for (const perimeter of perimeters()) {
      const other = await users.analyst11.gql(DIAGNOSTIC, { p: perimeter });
      expect(JSON.stringify(other)).not.toContain(SECRET);
      const own = await diagnose(perimeter, undefined, users.analyst44);
      expect(own.network.coalitions.map((c) => c.coalition.name).sort()).toEqual([SECRET, 'Diag Coalition publique']);
      expect(own.network).toMatchObject({ linkCount: 2, componentCount: 1 });
      expect(own.network.bridges.map((b) => b.id)).toEqual([actor.verdun]);
    }
  });
});

describe('territorialDiagnostic: bad perimeters', () => {
  it('should refuse unknown commune codes, naming them, with BAD_USER_INPUT', async () => {
    const res = await server.gql(DIAGNOSTIC, { p: { communes: [VERDUN, '99999', '2C001', 'x'.repeat(12)] } });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toMatch(/99999, 2C001, X{12}$/);
    expect(res.errors![0].message).not.toContain(VERDUN);
    expect(res.data ?? null).toBeNull();
  });

  it('should refuse more than 500 communes, an empty list, both or neither perimeter, and other levels', async () => {
    for (const p of [
      { communes: Array.from({ length: 501 }, () => VERDUN) },
      { communes: [] },
      { communes: ['   '] },
      {},
      { territory: { level: 'COMMUNE', code: VERDUN }, communes: [VERDUN] },
      { territory: { level: 'REGION', code: '44' } },
      { territory: { level: 'PAYS', code: 'FR' } },
      { territory: { level: 'EPCI', code: '999999999' } },
      { territory: { level: 'COMMUNE', code: '<script>' } },
    ]) {
      const res = await server.gql(DIAGNOSTIC, { p });
      expect(errorCodes(res), JSON.stringify(p).slice(0, 80)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].message).not.toMatch(/Error:|at \w+ \(/);
    }
  });
});
