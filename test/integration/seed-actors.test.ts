import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACTORS_SOURCE, PUBLIC_ACTORS_SOURCE, STUDENT_SOURCE, seedDemoActors, seedPublicActors, seedStudentServices } from '../../seeds/actors.js';
import { seedPublicCoalitions } from '../../seeds/coalitions.js';
import { runSeeds } from '../../seeds/index.js';
import { seedDataDir } from '../../seeds/paths.js';
import { STEERING_KINDS } from '../../server/actors/actor-enums.js';
import { AUDIENCES, THEMES } from '../../server/themes/taxonomy.js';
import { DATA_INCLUSION_TYPOLOGIES } from '../../server/actors/actor-columns.js';
import { resolveCoverage } from '../../server/actors/actor-coverage.js';
import { coverageTableDefinition } from '../helpers/coverage-table.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';
import { presenceTruth } from '../helpers/presence-truth.js';
import { MEUSE, VERDUN } from '../helpers/places.js';
import { TEST_DEPARTEMENTS } from '../setup/template-database.js';

let server: TestServer;
const SOURCES = [PUBLIC_ACTORS_SOURCE, STUDENT_SOURCE, DEMO_ACTORS_SOURCE];
const quiet = () => {};

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(() => server?.close());

const search = async (filter: object) => {
  const res = await server.gql(
    `query ($filter: ActorFilter) { actors(filter: $filter, first: 200) { totalCount edges { node { name kind sector isDemo source themes { code } } } } }`,
    { filter },
  );
  expect(res.errors).toBeUndefined();
  return res.data.actors;
};

/**
 * After an empty directory's first load: the table of covered communes has its indexes and
 * constraints back, every commune for a national body and none twice, and the rows of one actor of
 * each level of territory are those that writing through the indexes (the path of every later
 * write) gives.
 */
async function expectSameAsWrittenThroughIndexes(definition: string[]) {
  expect(await coverageTableDefinition(server.ds)).toEqual(definition);
  const [national] = await server.ds.query(`
    SELECT (SELECT count(*)::int FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id WHERE a.name = 'Direction générale de la santé (DGS)') AS covered,
           (SELECT count(*)::int FROM territory WHERE level = 'COMMUNE') AS communes`);
  expect(national.covered).toBe(national.communes);
  expect(await server.ds.query(`SELECT commune_code, actor_id FROM coverage_commune GROUP BY 1, 2 HAVING count(*) > 1`)).toEqual([]);
  const ids = (await server.ds.query(`SELECT DISTINCT ON (level) actor_id FROM actor_territory ORDER BY level, actor_id`)).map(
    (r: { actor_id: string }) => r.actor_id,
  );
  expect(ids.length).toBeGreaterThanOrEqual(3); // pays, région, département
  const rows = `SELECT count(*)::int AS n, md5(string_agg(commune_code || actor_id || local, ',' ORDER BY commune_code, actor_id)) AS h
                FROM coverage_commune WHERE actor_id = ANY($1::uuid[])`;
  const [loaded] = await server.ds.query(rows, [ids]);
  const [rewritten] = await inRolledBackTransaction(server.ds, async (qr) => {
    await resolveCoverage(qr, ids);
    return qr.query(rows, [ids]);
  });
  expect(loaded.n).toBeGreaterThan(national.communes);
  expect(rewritten).toEqual(loaded);
}

describe('real actors named in public documents', () => {
  it('loads every organisation of acteurs.csv once, with its kind, sector and official territory, first through the bulk path', async () => {
    const rows = parse(fs.readFileSync(path.join(seedDataDir(), 'acteurs', 'documents-publics', 'acteurs.csv'), 'utf8'), {
      delimiter: ';',
      columns: true,
      bom: true,
    });
    // The template's directory is empty: the seed takes the first-load path (coverage written before
    // the indexes and foreign key of its table, built once at the end; migration 1764000000031).
    const definition = await coverageTableDefinition(server.ds);
    expect(await server.ds.query(`SELECT count(*)::int AS n FROM actor`)).toEqual([{ n: 0 }]);
    const first = await seedPublicActors(server.ds, quiet);
    expect(first).toEqual({ created: rows.length, existing: 0, rejected: [] });
    await expectSameAsWrittenThroughIndexes(definition);
    const again = await seedPublicActors(server.ds, quiet);
    expect(again).toEqual({ created: 0, existing: rows.length, rejected: [] });

    // Verdun (Meuse, Grand Est) is covered by the national and Grand Est bodies, not by those of Île-de-France.
    const verdun = (await search({ coversCommune: '55545', text: '' })).edges.map((e: any) => e.node);
    const names = verdun.filter((a: any) => a.source === PUBLIC_ACTORS_SOURCE).map((a: any) => a.name);
    expect(names).toContain('Direction générale de la santé (DGS)');
    expect(names).toContain('Agence régionale de santé Grand Est');
    expect(names).toContain("Réseau de l'adolescent en Meuse");
    expect(names).not.toContain('Agence régionale de santé Île-de-France');
    expect(verdun.find((a: any) => a.name === 'Direction générale de la santé (DGS)')).toMatchObject({ kind: 'DGS', sector: 'ETAT', isDemo: false });

    // The Académie de Créteil covers Seine-Saint-Denis (93), not Paris.
    const creteil = (n: any) => n.name === 'Académie de Créteil (rectorat)';
    expect((await search({ coversCommune: '93066' })).edges.map((e: any) => e.node).find(creteil)).toMatchObject({
      kind: 'EDUCATION_NATIONALE',
      sector: 'EDUCATION',
    });
    expect((await search({ coversCommune: '75056' })).edges.map((e: any) => e.node).find(creteil)).toBeUndefined();
    // Its own time: 20 s alone on the embedded database; in CI, beside the native suite and the
    // checks, the file's 28–34 s of CPU took 87 to 187 s of wall time, this test 53 to 120 s.
  }, 300_000);

  it('loads the coalitions of the same documents with their real members', async () => {
    // Their members: the actors of the same documents (loaded once whatever ran before).
    await seedPublicActors(server.ds, quiet);
    const lines: string[] = [];
    const first = await seedPublicCoalitions(server.ds, (l) => lines.push(l));
    expect(first.skipped).toEqual([]);
    expect(first.created).toBe(8);
    expect((await seedPublicCoalitions(server.ds, quiet)).created).toBe(0);
    const res = await server.gql(
      `{ coalitions(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: 50) { edges { node { name ended membersByRole { role members { actor { name } } } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const triple = res.data.coalitions.edges.map((e: any) => e.node).find((c: any) => c.name.startsWith('Soutien à la parentalité en Meuse'));
    expect(triple.ended).toBe(false);
    expect(
      triple.membersByRole
        .find((g: any) => g.role === 'PILOTE')
        .members.map((m: any) => m.actor.name)
        .sort(),
    ).toEqual(['Agence régionale de santé Grand Est', "Réseau de l'adolescent en Meuse"]);
  });
});

describe('real student mental-health services', () => {
  it('places each service in the commune at its coordinates, and reports those it cannot place', async () => {
    const dir = path.join(seedDataDir(), 'acteurs', 'sante-mentale-etudiant');
    const total = ['bapu.json', 'sse.json'].reduce((n, f) => n + JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).length, 0);
    const report = await seedStudentServices(server.ds, quiet);
    // The test database has commune boundaries for Meuse, Paris, Seine-Saint-Denis and La Réunion
    // only: services elsewhere cannot be placed, and say so.
    expect(report.created + report.rejected.length).toBe(total);
    expect(report.created).toBeGreaterThan(0);
    for (const r of report.rejected) expect(r).toMatch(/aucune commune à ses coordonnées/);
    const paris = (await search({ coversCommune: '75056', themesAny: ['sante-mentale'] })).edges.map((e: any) => e.node);
    expect(paris.filter((a: any) => a.source === STUDENT_SOURCE).map((a: any) => a.kind)).toContain('ETABLISSEMENT_MEDICO_SOCIAL');
    const again = await seedStudentServices(server.ds, quiet);
    expect(again.created).toBe(0);
    expect(again.existing).toBe(report.created);
  });
});

describe('demonstration directory', () => {
  it('is labelled as fictitious, the same on every run, and leaves gaps to find', async () => {
    const first = await seedDemoActors(server.ds, quiet, { departements: ['55'] });
    expect(first.rejected).toEqual([]);
    expect(first.created).toBeGreaterThan(10);
    expect((await seedDemoActors(server.ds, quiet, { departements: ['55'] })).created).toBe(0);

    const rows = await server.ds.query(`SELECT name, is_demo, description FROM actor WHERE source = $1`, [DEMO_ACTORS_SOURCE]);
    expect(rows).toHaveLength(first.created);
    for (const r of rows) {
      expect(r.is_demo).toBe(true);
      expect(r.name).toMatch(/démo/);
      expect(r.description).toMatch(/fictif/);
    }
    const demo = await search({ coversCommune: '55545', demo: true });
    expect(demo.totalCount).toBeGreaterThan(0);
    for (const e of demo.edges) expect(e.node.isDemo).toBe(true);

    // Some Meuse EPCI have a demonstration CPTS and some have none.
    const [{ covered, total }] = await server.ds.query(
      `SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM actor a JOIN actor_territory t ON t.actor_id = a.id
                 WHERE a.source = $1 AND a.kind = 'CPTS' AND t.level = 'EPCI' AND t.code = e.code))::int AS covered,
              count(*)::int AS total
       FROM territory e WHERE e.level = 'EPCI' AND e.departement_code = '55'`,
      [DEMO_ACTORS_SOURCE],
    );
    expect(covered).toBeGreaterThan(0);
    expect(covered).toBeLessThan(total);
  });

  it('puts actors on sub-themes too, which a search on a sub-theme finds and its theme includes', async () => {
    await seedDemoActors(server.ds, quiet, { departements: ['75', '93'] });
    const names = async (commune: string, theme: string) =>
      (await search({ coversCommune: commune, themesAny: [theme], demo: true })).edges.map((e: any) => e.node.name as string);
    // Around the largest commune of Seine-Saint-Denis, and of Paris (the hash of the codes chooses where).
    const consultation = 'Consultation démo jeunes consommateurs de Saint-Denis';
    expect(await names('93066', 'addictions-tabac')).toEqual([consultation]);
    expect(await names('93066', 'addictions')).toContain(consultation);
    // Paris's centre, and Saint-Denis's, whose 30 km reach Paris.
    expect((await names('75056', 'sante-sexuelle-vih')).sort()).toEqual([
      'Centre démo de dépistage VIH, IST et hépatites de Paris',
      'Centre démo de dépistage VIH, IST et hépatites de Saint-Denis',
    ]);
    // A sub-theme it does not work on finds none of them.
    expect(await names('93066', 'addictions-jeux')).toEqual([]);
    const [row] = await server.ds.query(`SELECT themes, radius_km FROM actor WHERE name = $1 AND commune_code = '93066'`, [consultation]);
    expect(row).toEqual({ themes: ['addictions-tabac', 'addictions-alcool', 'addictions-drogues-illicites'], radius_km: 20 });
  });

  it('writes the towns’ names as French does, and renames the rows an earlier version named « de Aubervilliers »', async () => {
    const first = await seedDemoActors(server.ds, quiet, { departements: ['93'] });
    expect(first.rejected).toEqual([]);
    const towns = async (): Promise<{ id: string; name: string; description: string }[]> =>
      server.ds.query(
        `SELECT a.id, a.name, a.description FROM actor a JOIN territory c ON c.level = 'COMMUNE' AND c.code = a.commune_code
         WHERE a.source = $1 AND c.departement_code = '93' AND a.radius_km IS NOT NULL ORDER BY a.id`,
        [DEMO_ACTORS_SOURCE],
      );
    const named = await towns();
    // The three towns' centres, and the local actors on sub-themes around the largest one.
    const centres = named.filter((r) => /^(Service démo de santé publique|Point accueil démo santé jeunes)/.test(r.name));
    expect(centres.length).toBe(3);
    const others = named.filter((r) => !centres.includes(r));
    expect(others.every((r) => /^(Consultation démo jeunes consommateurs|Centre démo de dépistage VIH, IST et hépatites) /.test(r.name))).toBe(true);
    // Seine-Saint-Denis's largest communes include Aubervilliers or Aulnay-sous-Bois.
    expect(named.some((r) => /(ville|jeunes) d’A/.test(r.name) && /autour d’A/.test(r.description))).toBe(true);
    for (const r of named) expect(r.name).not.toMatch(/ de [AEIOUYÉÈÂÎH]| de Le | de Les /);
    // A directory seeded before: the centres under their former names, which the seed renames.
    await server.ds.query(
      `UPDATE actor SET name = regexp_replace(name, ' d’', ' de '), description = regexp_replace(description, ' d’', ' de ')
       WHERE id = ANY($1::uuid[]) AND name LIKE '%d’%'`,
      [centres.map((r) => r.id)],
    );
    const again = await seedDemoActors(server.ds, quiet, { departements: ['93'] });
    expect(again.created).toBe(0);
    expect(await towns()).toEqual(named);
  });

  it('validates every real and demonstration actor it loads, so that they count in the gaps', async () => {
    // Each seed loads what is missing only: this test's actors whatever ran before.
    await seedPublicActors(server.ds, quiet);
    await seedStudentServices(server.ds, quiet);
    await seedDemoActors(server.ds, quiet, { departements: ['55'] });
    const statuses = await server.ds.query(`SELECT review_status, count(*)::int AS n FROM actor WHERE source = ANY($1::text[]) GROUP BY review_status`, [
      SOURCES,
    ]);
    expect(statuses.map((r: { review_status: string }) => r.review_status)).toEqual(['VALIDATED']);
    expect(statuses[0].n).toBeGreaterThan(50);
    // Counted by the aggregates: each of them has its theme keys.
    const [{ missing }] = await server.ds.query(
      `SELECT count(*)::int AS missing FROM actor a WHERE a.source = ANY($1::text[]) AND a.status = 'ACTIVE'
         AND NOT EXISTS (SELECT 1 FROM actor_theme_key k WHERE k.actor_id = a.id)`,
      [SOURCES],
    );
    expect(missing).toBe(0);
  });
});

describe('data·inclusion vocabularies', () => {
  const values = (file: string) =>
    new Set(
      parse<{ value: string }>(fs.readFileSync(path.join(seedDataDir(), 'referentiels', 'data-inclusion', file), 'utf8'), { columns: true, bom: true }).map(
        (r) => r.value,
      ),
    );

  it('maps themes, publics and structure types only to codes that exist in the national vocabularies', () => {
    const themes = values('thematiques_v1.csv');
    const publics = values('publics_v1.csv');
    const typologies = values('typologies_de_structures.csv');
    const themeCodes = THEMES.flatMap((t) => t.dataInclusion ?? []);
    const publicCodes = AUDIENCES.flatMap((a) => a.dataInclusion ?? []);
    expect(themeCodes.length).toBeGreaterThan(5);
    expect(themeCodes.filter((c) => !themes.has(c))).toEqual([]);
    expect(publicCodes.filter((c) => !publics.has(c))).toEqual([]);
    expect(DATA_INCLUSION_TYPOLOGIES.map(([c]) => c).filter((c) => !typologies.has(c))).toEqual([]);
  });

  it('lets an import name a theme, a public and a structure type by their data·inclusion codes', async () => {
    const csv =
      'nom;type;secteur;commune;thematiques;publics;source\nTest CSAPA data·inclusion;CSAPA;médico-social;55545;sante--addictions;familles;test:seed-actors\n';
    const res = await server.admin.gql(
      `mutation ($content: String!) { importActors(content: $content, format: CSV, mode: ALL_OR_NOTHING, dryRun: true) { created rejected problems { row field reason } } }`,
      { content: csv },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.importActors).toMatchObject({ created: 1, rejected: 0, problems: [] });
  });
});

/**
 * The directory as `npm start` seeds it on the embedded database (real organisations named in
 * public documents, student services, the demonstration actors and accounts), read as an ARS analyst
 * reads the « Zones sans acteurs » page. Before local presence, santé mentale had no gap over every
 * commune of Grand Est: the national bodies declared on the whole country covered them all. In this
 * file rather than one of its own: the seed of the public actors (tens of seconds on the embedded
 * database) then runs once; `runSeeds` adds what the tests above did not load.
 */
const GRAND_EST = { level: 'REGION', code: '44' };
const GAPS = `query ($filter: GapFilterInput) {
  gaps(filter: $filter, first: 5000) { totalCount territoryCount rows { territory { code } localActorCount wideActorCount presence } }
}`;
const COVERAGE = `query ($filter: GapFilterInput) { coverage(filter: $filter) { features summary { localActorCount wideActorCount gapCount } } }`;

const gaps = async (filter: object) => {
  const res = await server.gql(GAPS, { filter });
  expect(res.errors).toBeUndefined();
  return res.data.gaps as { totalCount: number; territoryCount: number; rows: { territory: { code: string }; presence: string; wideActorCount: number }[] };
};

describe('the seeded directory, read for local presence', () => {
  beforeAll(async () => {
    await runSeeds(server.ds, { departements: TEST_DEPARTEMENTS, publicActors: true, demoActors: true, demoAccounts: true });
  }, 600_000);

  for (const fieldActorsOnly of [true, false]) {
    it(`shows santé mentale gaps over the communes of Grand Est, and not Verdun (fieldActorsOnly ${fieldActorsOnly})`, async () => {
      const local = await gaps({ scope: GRAND_EST, level: 'COMMUNE', themes: ['sante-mentale'], fieldActorsOnly });
      expect(local.totalCount).toBeGreaterThan(1000);
      expect(local.totalCount).toBeLessThan(local.territoryCount);
      expect(local.rows.map((r) => r.territory.code)).not.toContain(VERDUN);
      // Most of those gaps are covered from afar only: that is what the map's middle class shows.
      expect(local.rows.filter((r) => r.presence === 'WIDE_ONLY').length).toBeGreaterThan(1000);
      // The old reading (any coverage) found none: the national bodies cover every commune.
      const any = await gaps({ scope: GRAND_EST, level: 'COMMUNE', themes: ['sante-mentale'], fieldActorsOnly, presence: 'ANY' });
      expect(any.totalCount).toBe(0);
    });
  }

  it('finds gaps in the default view too (every theme, field actors only)', async () => {
    const local = await gaps({ scope: GRAND_EST, level: 'COMMUNE', fieldActorsOnly: true });
    expect(local.totalCount).toBeGreaterThan(0);
    expect(local.rows.map((r) => r.territory.code)).not.toContain(VERDUN);
  });

  it('counts in Verdun the demonstration associations that act there, as local presence', async () => {
    const res = await server.gql(COVERAGE, { filter: { scope: MEUSE, themes: ['sante-mentale'] } });
    expect(res.errors).toBeUndefined();
    const verdun = res.data.coverage.features.features.find((f: { id: string }) => f.id === VERDUN).properties;
    expect(verdun.presence).toBe('LOCAL');
    expect(verdun.localActorCount).toBeGreaterThanOrEqual(2);
    expect(verdun.wideActorCount).toBeGreaterThan(0);
  });

  it('gives every commune of Meurthe-et-Moselle the santé mentale gap status that the definition of local presence gives', async () => {
    const [{ codes }] = await server.ds.query(`SELECT array_agg(code) AS codes FROM theme WHERE code = 'sante-mentale' OR parent_code = 'sante-mentale'`);
    const truth = await presenceTruth(server.ds, { departement: '54', themes: codes, leaveOutKinds: STEERING_KINDS });
    const expected = [...truth].filter(([, t]) => t.local === 0).map(([code]) => code);
    const got = await gaps({ scope: { level: 'DEPARTEMENT', code: '54' }, level: 'COMMUNE', themes: ['sante-mentale'], fieldActorsOnly: true });
    expect(expected.length).toBeGreaterThan(100);
    expect(got.rows.map((r) => r.territory.code).sort()).toEqual(expected.sort());
  });
});
