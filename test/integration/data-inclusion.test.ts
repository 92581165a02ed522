import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoActors, seedStudentServices } from '../../seeds/actors.js';
import { ImportMode } from '../../server/actors/actor-import.js';
import { type DiFiles, importDataInclusion } from '../../server/exchange/data-inclusion/di-import.js';
import { createServices } from '../../server/graphql/context.js';
import { THEMES } from '../../server/themes/taxonomy.js';
import { startApp } from '../helpers/app.js';
import { TEST_PASSWORD } from '../helpers/factories.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

// data·inclusion v1 (schema v1.0.8): the export validates against the official JSON schemas
// (test/fixtures/standards/data-inclusion-v1, JSON Schema 2020-12), re-importing it changes nothing,
// a dump of another source imports through the actors import, and the routes obey the actors export's rules.

const here = path.dirname(fileURLToPath(import.meta.url));
const SCHEMAS = path.join(here, '../fixtures/standards/data-inclusion-v1/schemas/v1');
// ajv-formats is CommonJS: under NodeNext its default import is the module, whose `default` is the plugin.
const addFormats = addFormatsModule.default;
const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv);
const validateStructure = ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMAS, 'structure.json'), 'utf8')) as object);
const validateService = ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMAS, 'service.json'), 'utf8')) as object);

const SOURCE = 'test:data-inclusion.test.ts';
const quiet = () => {};
const WORD = 'Quintabelle';
const FILTER = { text: WORD.toLowerCase() };
const LONG_NAME = `${WORD} ${'Association intercommunale pour la promotion de la santé et la prévention '.repeat(3)}`.trim();

let server: TestServer;
const get = (p: string) => fetch(`${server.url}${p}`);
const filterParam = (filter: unknown) => `?filter=${encodeURIComponent(JSON.stringify(filter))}`;
const diUrl = (file: 'structures' | 'services', filter: unknown = FILTER) => `/export/data-inclusion/${file}.json${filterParam(filter)}`;

async function exportDump(filter: unknown = FILTER): Promise<{ structures: any[]; services: any[]; files: DiFiles }> {
  const [s, v] = await Promise.all([get(diUrl('structures', filter)), get(diUrl('services', filter))]);
  expect(s.status).toBe(200);
  expect(v.status).toBe(200);
  const files = { structures: await s.text(), services: await v.text() };
  return { structures: JSON.parse(files.structures), services: JSON.parse(files.services), files };
}

const importDump = (files: DiFiles, mode: ImportMode = ImportMode.ALL_OR_NOTHING) => importDataInclusion(server.ds, createServices(server.ds), files, { mode });
const dumpOf = (structures: unknown[], services: unknown[]): DiFiles => ({ structures: JSON.stringify(structures), services: JSON.stringify(services) });

/** Every stored field of the actors of this file (and their declared territories): equal before and after means nothing changed. */
const snapshot = () =>
  server.ds.query(
    `SELECT a.*, ST_AsText(a.location) AS place,
            (SELECT array_agg(t.level || ':' || t.code ORDER BY t.level, t.code) FROM actor_territory t WHERE t.actor_id = a.id) AS declared
     FROM actor a WHERE a.search_name LIKE $1 ORDER BY a.id`,
    [`%${WORD.toLowerCase()}%`],
  );

const csvIds = async (filter: unknown) => {
  const res = await get(`/export/acteurs.csv${filterParam(filter)}`);
  expect(res.status).toBe(200);
  const rows: { identifiant: string }[] = parse((await res.text()).replace(/^\uFEFF/, ''), { delimiter: ';', columns: true });
  return rows.map((r) => r.identifiant).sort();
};

beforeAll(async () => {
  server = await startTestServer();
  const csv = [
    'nom;type;secteur;siren;siret;rna;finess;adresse;code_postal;commune;latitude;longitude;description;email;telephone;site_web;horaires;thematiques;publics;territoires;rayon_km;source;demonstration',
    `${WORD} Association Verdun;association;santé;552100018;55210001800019;W551000001;;"3 place Chevert";55100;55545;49,1598;5,3876;"Ateliers ""tabac""\nle mardi";contact@quintabelle.fr;+33 3 29 00 00 00;https://quintabelle.example.fr/accueil?x=1;"Mo-Fr 09:00-12:00; PH off";addictions-tabac|sante-mentale|vaccination;jeunes|enfants;commune:55545;;${SOURCE};non`,
    `${WORD} ARS Grand Est;ARS;;;;;;;;;;;;;;;;vaccination|gestes-qui-sauvent;;region:44;;${SOURCE};non`,
    `${WORD} Centre hospitalier;établissement de santé;;552100026;55210002600012;;550000012;;;55029;48,7727;5,1606;Abc;;;;;maladies-chroniques|cancers;personnes-agees;;12,5;;non`,
    `${WORD} Agence nationale;agence de l'État;;;;;;;;;;;Une agence de toute la France;;;;;nutrition-activite-physique;tout-public;pays:FR;;${SOURCE};oui`,
    `${LONG_NAME};association;social;;;;;;;93066;;;;;;;;sante-sexuelle-vih|parentalite;parents|femmes;ept:200057867|commune:93066;;${SOURCE};non`,
    `${WORD} Maison de quartier;association;social;;55210003400016;;;;;55029;;;;;;;;parentalite;;;;${SOURCE};non`,
  ].join('\n');
  const res = await server.admin.gql(`mutation ($content: String!) { importActors(content: $content) { created problems { row field reason } } }`, {
    content: csv,
  });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  expect(res.data.importActors.problems).toEqual([]);
  expect(res.data.importActors.created).toBe(6);
});

afterAll(() => server?.close());

describe('export', () => {
  it('should give every actor as a structure and one service per top-level theme, each valid against the official schema', async () => {
    const { structures, services } = await exportDump();
    expect(structures).toHaveLength(6);
    for (const s of structures) expect(validateStructure(s), JSON.stringify(validateStructure.errors)).toBe(true);
    for (const s of services) expect(validateService(s), JSON.stringify(validateService.errors)).toBe(true);

    const verdun = structures.find((s) => s.nom === `${WORD} Association Verdun`);
    expect(verdun).toMatchObject({
      source: 'repertoire-prevention',
      siret: '55210001800019',
      adresse: '3 place Chevert',
      code_postal: '55100',
      code_insee: '55545',
      commune: 'Verdun',
      latitude: 49.1598,
      longitude: 5.3876,
      courriel: 'contact@quintabelle.fr',
      telephone: '+33 3 29 00 00 00',
      site_web: 'https://quintabelle.example.fr/accueil?x=1',
      horaires_accueil: 'Mo-Fr 09:00-12:00; PH off',
      x_repertoire: { nature: 'ASSOCIATION', secteur: 'SANTE', siren: '552100018', rna: 'W551000001', territoires: ['commune:55545'], source: SOURCE },
    });
    expect(verdun.id).toBe(`repertoire-prevention--${verdun.x_repertoire.identifiant}`);
    expect(verdun.date_maj).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    // Addictions (its sub-theme tabac), santé mentale, vaccination: three services; vaccination has no data·inclusion equivalent.
    const offer = services.filter((s) => s.structure_id === verdun.id);
    expect(offer.map((s) => s.x_repertoire.theme)).toEqual(['addictions', 'sante-mentale', 'vaccination']);
    expect(offer.map((s) => s.thematiques)).toEqual([['sante--addictions'], ['sante--sante-mentale'], null]);
    expect(offer[0].x_repertoire.thematiques).toEqual(['addictions-tabac']);
    expect(offer[0].id).toBe(`${verdun.id}--addictions`);
    // « Enfants » has no data·inclusion public: the extension keeps it.
    expect(offer[0].publics.sort()).toEqual(['etudiants', 'jeunes']);
    expect(offer[0].x_repertoire.publics.sort()).toEqual(['enfants', 'jeunes']);
    expect(offer[0].zone_eligibilite).toEqual(['55545']);

    // A région is listed as its départements, the whole country as « france ».
    const ars = structures.find((s) => s.nom === `${WORD} ARS Grand Est`);
    const arsZone = services.find((s) => s.structure_id === ars.id).zone_eligibilite;
    expect(arsZone.sort()).toEqual(['08', '10', '51', '52', '54', '55', '57', '67', '68', '88']);
    const agence = structures.find((s) => s.nom === `${WORD} Agence nationale`);
    expect(services.find((s) => s.structure_id === agence.id)).toMatchObject({ zone_eligibilite: ['france'], publics: ['tous-publics'] });
    expect(agence.x_repertoire.demonstration).toBe(true);

    // A description too short for the standard (5 characters at least) and a name too long (150 at most) stay whole in the extension.
    const hospital = structures.find((s) => s.nom === `${WORD} Centre hospitalier`);
    expect(hospital).toMatchObject({ description: null, x_repertoire: { description: 'Abc', finess: '550000012', rayon_km: 12.5 } });
    const long = structures.find((s) => s.x_repertoire.nom === LONG_NAME);
    expect(long.nom.length).toBeLessThanOrEqual(150);
    expect(services.filter((s) => s.structure_id === long.id).map((s) => s.thematiques)).toEqual([
      ['sante--sante-sexuelle'],
      ['famille--soutien-a-la-parentalite-et-a-leducation'],
    ]);
  });

  it('should give every actor of the directory (real student services of the seeds, the demonstration ones of the Meuse) as valid records, which re-imported change nothing', async () => {
    await seedStudentServices(server.ds, quiet);
    await seedDemoActors(server.ds, quiet, { departements: ['55'] });
    const { structures, services, files } = await exportDump({});
    expect(structures.length).toBeGreaterThan(20);
    const bad = [
      ...structures.filter((s) => !validateStructure(s)).map((s) => [s.id, validateStructure.errors]),
      ...services.filter((s) => !validateService(s)).map((s) => [s.id, validateService.errors]),
    ];
    expect(bad).toEqual([]);
    expect(new Set(services.map((s) => s.id)).size).toBe(services.length);
    expect(new Set(structures.map((s) => s.id)).size).toBe(structures.length);
    const report = await importDump(files);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ total: structures.length, created: 0, updated: 0, unchanged: structures.length });
  });

  it('should name the files and send JSON', async () => {
    const res = await get(diUrl('services'));
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="data-inclusion-services-\d{4}-\d{2}-\d{2}\.json"/);
    const empty = await get(diUrl('structures', { text: 'aucun-acteur-ne-porte-ce-nom-qwxz' }));
    expect(await empty.json()).toEqual([]);
  });
});

describe('README', () => {
  it('should list every top-level theme with its data·inclusion thematique, and exactly those without one', () => {
    const readme = fs.readFileSync(path.join(here, '../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf("### Formats d'échange : data·inclusion"));
    const table = new Map([...section.slice(0, section.indexOf('\n## ')).matchAll(/^\| `([a-z-]+)` [^|]+\| (.+) \|$/gm)].map((m) => [m[1], m[2]] as const));
    expect([...table.keys()].sort()).toEqual(THEMES.map((t) => t.code).sort());
    for (const t of THEMES)
      expect(table.get(t.code), t.code).toEqual(t.dataInclusion ? t.dataInclusion.map((c) => `\`${c}\``).join(', ') : expect.stringMatching(/^— \(code local/));
  });
});

describe('round trip', () => {
  it('should change nothing when the export is imported again: 0 created, 0 updated, data equal', async () => {
    const before = await snapshot();
    const { files } = await exportDump();
    const report = await importDump(files);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ total: 6, created: 0, updated: 0, unchanged: 6, rejected: 0, committed: true });
    expect(await snapshot()).toEqual(before);
    expect((await exportDump()).files).toEqual(files);
  });

  it('should update only the actor whose record was edited', async () => {
    const { structures, services } = await exportDump();
    const edited = structures.map((s) => (s.nom === `${WORD} Association Verdun` ? { ...s, telephone: '+33 3 29 11 11 11' } : s));
    const report = await importDump(dumpOf(edited, services));
    expect(report).toMatchObject({ created: 0, updated: 1, unchanged: 5, committed: true });
    const [row] = await server.ds.query(`SELECT phone FROM actor WHERE siret = '55210001800019'`);
    expect(row.phone).toBe('+33 3 29 11 11 11');
  });
});

describe('import of another source’s dump', () => {
  const structures = [
    {
      source: 'dora',
      id: 'dora--cs-verdun',
      nom: `${WORD} Centre social Dora`,
      date_maj: '2025-02-14',
      adresse: '1 rue des Rouyers',
      code_postal: '55100',
      code_insee: '55545',
      commune: 'Verdun',
      latitude: 49.16,
      longitude: 5.38,
      telephone: '0329000000',
      courriel: 'accueil@dora.example.org',
      site_web: 'https://dora.example.org/cs',
      horaires_accueil: 'Mo-Fr 09:00-12:00',
      description: 'Centre social du quartier',
      reseaux_porteurs: null,
    },
    // An id without its source's prefix; a v0 `typologie` gives the nature.
    { source: 'dora', id: 'ccas-bar', nom: `${WORD} CCAS de Bar-le-Duc`, date_maj: '2025-01-01', code_insee: '55029', typologie: 'CCAS' },
    // The same SIRET as an actor already in the directory: that actor is updated, its nature kept.
    {
      source: 'emplois',
      id: 'emplois--42',
      nom: `${WORD} Maison de quartier`,
      date_maj: '2025-01-01',
      siret: '55210003400016',
      code_insee: '55029',
      telephone: '0329222222',
    },
  ];
  const services = [
    {
      source: 'dora',
      structure_id: 'dora--cs-verdun',
      id: 'dora--svc-1',
      nom: 'Prévention des addictions',
      description: 'Accompagnement et prévention',
      date_maj: '2025-02-14',
      thematiques: ['sante--addictions', 'numerique--acquerir-un-equipement'],
      publics: ['jeunes', 'familles'],
      zone_eligibilite: ['55545', '55'],
    },
    {
      source: 'dora',
      structure_id: 'dora--cs-verdun',
      id: 'dora--svc-2',
      nom: 'Soutien à la parentalité',
      description: 'Ateliers parents-enfants',
      date_maj: '2025-02-14',
      thematiques: ['famille--soutien-a-la-parentalite-et-a-leducation'],
      publics: null,
      zone_eligibilite: null,
    },
    {
      source: 'dora',
      structure_id: 'ccas-bar',
      id: 'svc-3',
      nom: 'Écoute',
      description: 'Écoute et orientation',
      date_maj: '2025-01-01',
      thematiques: ['sante--sante-mentale'],
      publics: ['tous-publics'],
    },
    {
      source: 'emplois',
      structure_id: 'emplois--42',
      id: 'emplois--svc',
      nom: 'Accès aux soins',
      description: 'Accès aux soins',
      date_maj: '2025-01-01',
      thematiques: ['sante--acces-aux-soins'],
    },
  ];

  it('should create the new structures with the themes, publics and territories of their services, and match the known one by SIRET', async () => {
    const report = await importDump(dumpOf(structures, services));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ total: 3, created: 2, updated: 1, committed: true });
    const rows = await server.ds.query(
      `SELECT a.name, a.kind, a.sector, a.themes, a.audiences, a.source, a.phone, a.review_status,
              (SELECT array_agg(t.level || ':' || t.code ORDER BY t.level, t.code) FROM actor_territory t WHERE t.actor_id = a.id) AS declared
       FROM actor a WHERE a.name = ANY($1) ORDER BY a.name`,
      [structures.map((s) => s.nom)],
    );
    const byName = Object.fromEntries(rows.map((r: any) => [r.name, r]));
    expect(byName[`${WORD} Centre social Dora`]).toMatchObject({ kind: 'AUTRE', sector: 'SOCIAL', source: 'dora--cs-verdun', review_status: 'VALIDATED' });
    expect(byName[`${WORD} Centre social Dora`].themes.sort()).toEqual(['addictions', 'parentalite']);
    expect(byName[`${WORD} Centre social Dora`].audiences.sort()).toEqual(['jeunes', 'parents']);
    expect(byName[`${WORD} Centre social Dora`].declared).toEqual(['COMMUNE:55545', 'DEPARTEMENT:55']);
    expect(byName[`${WORD} CCAS de Bar-le-Duc`]).toMatchObject({
      kind: 'COLLECTIVITE',
      sector: 'COLLECTIVITE',
      source: 'dora--ccas-bar',
      themes: ['sante-mentale'],
    });
    expect(byName[`${WORD} CCAS de Bar-le-Duc`].declared).toEqual(['COMMUNE:55029']);
    expect(byName[`${WORD} Maison de quartier`]).toMatchObject({
      kind: 'ASSOCIATION',
      sector: 'SOCIAL',
      phone: '0329222222',
      themes: ['populations-vulnerables'],
    });
  });

  it('should change nothing when the same dump is imported again (matched by source--id and SIRET)', async () => {
    const before = await snapshot();
    const report = await importDump(dumpOf(structures, services));
    expect(report).toMatchObject({ total: 3, created: 0, updated: 0, unchanged: 3, rejected: 0, committed: true });
    expect(await snapshot()).toEqual(before);
  });
});

describe('malformed dumps', () => {
  const valid = { source: 'test', id: 'test--ok', nom: `${WORD} Structure valide`, date_maj: '2025-01-01', code_insee: '55545' };
  const service = (structureId: string, extra: object = {}) => ({
    source: 'test',
    structure_id: structureId,
    id: `svc-${structureId}`,
    nom: 'Service',
    description: 'Un service',
    date_maj: '2025-01-01',
    thematiques: ['sante--sante-mentale'],
    ...extra,
  });

  it('should refuse a file that is not JSON, or a service whose structure is missing, and change nothing', async () => {
    const before = await snapshot();
    const notJson = await importDump({ structures: '[{"id": ', services: '[]' });
    expect(notJson).toMatchObject({ committed: false, created: 0 });
    expect(notJson.problems).toEqual([{ row: 0, field: 'structures.json', reason: expect.stringContaining('JSON illisible') }]);
    const notArray = await importDump({ structures: '{"id": "x"}', services: '[]' });
    expect(notArray.problems[0]).toMatchObject({ row: 0, field: 'structures.json' });
    const orphan = await importDump(dumpOf([valid], [service('test--ok'), service('test--absente')]));
    expect(orphan).toMatchObject({ committed: false, created: 0 });
    expect(orphan.problems).toEqual([{ row: 0, field: 'structure_id', reason: expect.stringContaining('service n° 2') }]);
    expect(await snapshot()).toEqual(before);
  });

  it('should report each bad structure on its row and write nothing (all or nothing), or only the valid ones', async () => {
    const before = await snapshot();
    const bad = [
      valid,
      { ...valid, id: 'test--siret', nom: `${WORD} SIRET faux`, siret: '123' },
      { ...valid, id: 'test--mail', nom: `${WORD} Courriel faux`, courriel: 'pas-un-courriel' },
      'pas un objet',
      { ...valid, id: undefined, nom: `${WORD} Sans id` },
      { ...valid, id: 'test--theme', nom: `${WORD} Thème inconnu` },
      { ...valid, id: 'test--lat', nom: `${WORD} Latitude texte`, latitude: '49,1', longitude: 5.3 },
      { ...valid, id: 'test--commune', nom: `${WORD} Commune inconnue`, code_insee: '99999' },
      { ...valid, id: 'test--hours', nom: `${WORD} Horaires`, horaires_accueil: 'le matin' },
    ];
    const services = [
      service('test--ok'),
      service('test--siret'),
      service('test--mail'),
      service('test--theme', { thematiques: ['astrologie'] }),
      service('test--lat'),
      service('test--commune'),
      service('test--hours'),
    ];
    const report = await importDump(dumpOf(bad, services));
    expect(report).toMatchObject({ total: 9, created: 1, rejected: 8, committed: false });
    const fields = report.problems.map((p) => [p.row, p.field]);
    expect(fields).toEqual(
      expect.arrayContaining([
        [2, 'siret'],
        [3, 'courriel'],
        [4, 'structure'],
        [5, 'id'],
        [6, 'thematiques'],
        [7, 'latitude'],
        [8, 'code_insee'],
        [9, 'horaires_accueil'],
      ]),
    );
    // A structure of another source has no nature nor sector: never reported as missing (a new actor gets « Autre », « Social »).
    expect(report.problems.filter((p) => p.field.startsWith('x_repertoire'))).toEqual([]);
    expect(report.problems.find((p) => p.row === 6)!.reason).toContain('service n° 4');
    expect(report.problems.find((p) => p.row === 6)!.reason).toContain('astrologie');
    expect(report.message).toMatch(/rien n’a été enregistré/);
    expect(await snapshot()).toEqual(before);

    const partial = await importDump(dumpOf(bad, services), ImportMode.VALID_ONLY);
    expect(partial).toMatchObject({ created: 1, rejected: 8, committed: true });
    expect(await server.ds.query(`SELECT count(*)::int AS n FROM actor WHERE source = 'test--ok'`)).toEqual([{ n: 1 }]);
  });
});

describe('the routes obey the actors export', () => {
  it('should give a visitor and a member exactly the actors the actors export gives them, whatever the filter', async () => {
    const archived = await server.createActor({
      name: `${WORD} Ancienne association`,
      kind: 'ASSOCIATION',
      sector: 'SOCIAL',
      themes: ['parentalite'],
      communeCode: '55545',
    });
    const archive = await server.admin.gql(`mutation ($id: ID!, $version: Int!) { archiveActor(id: $id, version: $version) { id } }`, archived);
    expect(archive.errors, JSON.stringify(archive.errors)).toBeUndefined();
    for (const filter of [
      FILTER,
      { ...FILTER, includeArchived: true },
      { ...FILTER, reviewStatuses: ['PENDING_REVIEW'] },
      { ...FILTER, coversCommune: '55029' },
      { ...FILTER, themesAny: ['vaccination'] },
    ]) {
      const { structures, services } = await exportDump(filter);
      const ids = structures.map((s) => s.x_repertoire.identifiant).sort();
      expect(ids, JSON.stringify(filter)).toEqual(await csvIds(filter));
      expect(new Set(services.map((s) => s.structure_id))).toEqual(new Set(structures.map((s) => s.id)));
    }
    // An archived actor is never in an export unless the filter asks, as in the actors export.
    expect((await csvIds(FILTER)).includes(archived.id)).toBe(false);
    // Nothing of the accounts: no e-mail of a person.
    const all = JSON.stringify(await exportDump({}));
    expect(all).not.toMatch(/@test-helper\.local/);
  });

  it('should refuse a bad filter with the actors export’s 400 and French message', async () => {
    for (const filter of [{ themesAny: ['astrologie'] }, { coversCommune: '99999' }, { kinds: ['__proto__'] }, { commune: '55545' }]) {
      const [ours, theirs] = await Promise.all([get(diUrl('structures', filter)), get(`/export/acteurs.csv${filterParam(filter)}`)]);
      expect(ours.status).toBe(400);
      expect(await ours.json()).toEqual(await theirs.json());
    }
    const notJson = await get('/export/data-inclusion/services.json?filter=%7Bpas-du-json');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).errors[0].message).toContain('ce n’est pas du JSON');
  });

  it('should count in the same rate limit and answer 429 RATE_LIMITED like the actors export', async () => {
    const limited = await startApp({ rateLimitPerMinute: 2 });
    try {
      const first = await fetch(`${limited.url}/export/acteurs.csv${filterParam(FILTER)}`);
      const second = await fetch(`${limited.url}${diUrl('structures')}`);
      expect([first.status, second.status]).toEqual([200, 200]);
      await Promise.all([first.arrayBuffer(), second.arrayBuffer()]);
      const ours = await fetch(`${limited.url}${diUrl('services')}`);
      const theirs = await fetch(`${limited.url}/export/acteurs.csv${filterParam(FILTER)}`);
      expect([ours.status, theirs.status]).toEqual([429, 429]);
      const body = await ours.json();
      expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(body).toEqual(await theirs.json());
    } finally {
      await limited.close();
    }
  });

  it('should pass the analytics gate: 503 SERVICE_BUSY with Retry-After when it is full, like the actors export', async () => {
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    let entered = 0;
    const busy = await startApp(
      { analytics: { concurrency: 1, queue: 0, queueTimeoutMs: 200, retryAfterSeconds: 3 } },
      {
        onAnalyticsEnter: async () => {
          entered++;
          await opened;
        },
      },
    );
    try {
      const held = fetch(`${busy.url}${diUrl('structures')}`);
      for (let i = 0; i < 500 && entered === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const [ours, theirs] = [await fetch(`${busy.url}${diUrl('services')}`), await fetch(`${busy.url}/export/acteurs.csv`)];
      expect([ours.status, theirs.status]).toEqual([503, 503]);
      expect(ours.headers.get('retry-after')).toBe('3');
      const body = await ours.json();
      expect(body.errors[0].extensions.code).toBe('SERVICE_BUSY');
      expect(body).toEqual(await theirs.json());
      open();
      expect((await held).status).toBe(200);
    } finally {
      open();
      await busy.close();
    }
  });
});

describe('import through GraphQL (importActors, format DATA_INCLUSION)', () => {
  const IMPORT = `mutation ($content: String!, $format: ImportFormat) {
    importActors(content: $content, format: $format) { total created updated unchanged rejected committed problems { row field reason } }
  }`;

  it('should take both files as one object, with the rights of a CSV import: visitors and members refused, an analyst only for actors of their région', async () => {
    const { structures, services } = await exportDump();
    const content = JSON.stringify({ structures, services });
    const admin = await server.admin.gql(IMPORT, { content, format: 'DATA_INCLUSION' });
    expect(admin.errors, JSON.stringify(admin.errors)).toBeUndefined();
    expect(admin.data.importActors).toMatchObject({ total: structures.length, created: 0, updated: 0, unchanged: structures.length, committed: true });

    const member = await server.signedIn({ email: `membre-di@test-helper.local`, password: TEST_PASSWORD });
    for (const [client, code] of [
      [server, 'UNAUTHENTICATED'],
      [member, 'FORBIDDEN'],
    ] as const) {
      const di = await client.gql(IMPORT, { content, format: 'DATA_INCLUSION' });
      const csv = await client.gql(IMPORT, { content: `nom;type;thematiques;commune\n${WORD} X;association;vaccination;55545`, format: 'CSV' });
      expect(errorCodes(di)).toEqual([code]);
      expect(di.errors![0].message).toBe(csv.errors![0].message);
    }

    // An ARS analyst of Île-de-France may not change the Meuse's actors: those rows are refused and, all or nothing, nothing is written.
    const analyst = await server.signedIn({ email: `analyste-idf-di@test-helper.local`, password: TEST_PASSWORD, role: 'ANALYST', regionCode: '11' });
    const before = await snapshot();
    const edited = structures.map((s) => ({ ...s, telephone: '+33 1 00 00 00 00' }));
    const res = await analyst.gql(IMPORT, { content: JSON.stringify({ structures: edited, services }), format: 'DATA_INCLUSION' });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.importActors.committed).toBe(false);
    const verdun = edited.findIndex((s) => s.nom === `${WORD} Association Verdun`) + 1;
    expect(res.data.importActors.problems).toContainEqual({
      row: verdun,
      field: 'id',
      reason: expect.stringContaining('que votre compte ne peut pas modifier'),
    });
    expect(await snapshot()).toEqual(before);

    const bad = await server.admin.gql(IMPORT, { content: '[1, 2]', format: 'DATA_INCLUSION' });
    expect(bad.data.importActors).toMatchObject({
      committed: false,
      problems: [{ row: 0, field: 'content', reason: expect.stringContaining('"structures"') }],
    });
  });
});
