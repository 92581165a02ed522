import 'reflect-metadata';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoActors, seedStudentServices } from '../../seeds/actors.js';
import { importActors, ImportMode } from '../../server/actors/actor-import.js';
import { importHsds, readHsdsFile } from '../../server/exchange/hsds/hsds-import.js';
import { createServices } from '../../server/graphql/context.js';
import { TEST_PASSWORD } from '../helpers/factories.js';
import { hsdsValidator } from '../helpers/hsds-schemas.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

// HSDS 3.0 import: this directory's export (organizations.json and hsds.zip) re-imported changes
// nothing, imported where its actors are absent brings them back equal on what HSDS carries, and bad
// files (malformed, incomplete package, objects against the schema, unknown territory, bad SIRET)
// are refused row by row in French with nothing written; the mutation keeps the import's rights.

const SOURCE = 'test:hsds-import.test.ts';
const WORD = 'Vireloup';
const FILTER = { text: WORD.toLowerCase(), includeArchived: true };
const LONG_NAME = `${WORD} ${'Association intercommunale pour la promotion de la santé et la prévention '.repeat(3)}`.trim();

let server: TestServer;
const get = (p: string) => fetch(`${server.url}${p}`);
const filterParam = (filter: unknown) => `?filter=${encodeURIComponent(JSON.stringify(filter))}`;

async function exportJson(): Promise<string> {
  const res = await get(`/export/hsds/organizations.json${filterParam(FILTER)}`);
  expect(res.status).toBe(200);
  return res.text();
}
async function exportZip(): Promise<Buffer> {
  const res = await get(`/export/hsds/hsds.zip${filterParam(FILTER)}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

const importFile = (content: Buffer | string, mode: ImportMode = ImportMode.ALL_OR_NOTHING) =>
  importHsds(server.ds, createServices(server.ds), readHsdsFile(content), { mode });

/** Every stored field of this file's actors, their declared territories and coverage: equal before and after means nothing changed. */
const snapshot = () =>
  server.ds.query(
    `SELECT a.*, ST_AsText(a.location) AS place,
            (SELECT array_agg(t.level || ':' || t.code ORDER BY t.level, t.code) FROM actor_territory t WHERE t.actor_id = a.id) AS declared,
            (SELECT count(*)::int FROM coverage_commune c WHERE c.actor_id = a.id) AS communes
     FROM actor a WHERE a.search_name LIKE $1 ORDER BY a.name`,
    [`%${WORD.toLowerCase()}%`],
  );

/** What HSDS carries of an actor: its record but the directory's own bookkeeping (id, dates, version, review). */
const carried = (rows: Record<string, unknown>[]) =>
  rows.map((r) => {
    const { id, created_at, updated_at, version, verified_at, verified_recently, review_status, status, communes, ...rest } = r;
    void [id, created_at, updated_at, version, verified_at, verified_recently, review_status, status, communes];
    return rest;
  });

beforeAll(async () => {
  // Compiled before the server starts: it holds the event loop for seconds.
  hsdsValidator('compiled/organization');
  server = await startTestServer();
  const csv = [
    'nom;type;secteur;siren;siret;rna;finess;adresse;code_postal;commune;latitude;longitude;description;email;telephone;site_web;horaires;thematiques;publics;territoires;rayon_km;source;demonstration',
    `${WORD} Association Verdun;association;santé;552100018;55210001800019;W551000001;;"3 place Chevert, « bâtiment B »";55100;55545;49,1598;5,3876;"Ateliers ""tabac""\nle mardi";contact@vireloup.fr;+33 3 29 00 00 00;https://Vireloup.example.fr;"Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00 ""sur rendez-vous""; PH off";addictions-tabac|sante-mentale|vaccination;jeunes|enfants;commune:55545|departement:55;;${SOURCE};non`,
    `${WORD} ARS Grand Est;ARS;;;;;;;;;;;;;;;;vaccination|gestes-qui-sauvent;;region:44;;${SOURCE};non`,
    `${WORD} Centre hospitalier;établissement de santé;;552100026;55210002600012;;550000012;Rue sans code postal;;55029;48,7727;5,1606;Abc;;;;;maladies-chroniques|cancers;personnes-agees;;12,5;;non`,
    `${WORD} Agence nationale;agence de l'État;;;;;;;;;;;Une agence de toute la France;;;;;nutrition-activite-physique;tout-public;pays:FR;;${SOURCE};oui`,
    `${LONG_NAME};association;social;;;;;;;93066;;;;;;;;sante-sexuelle-vih|parentalite;parents|femmes;ept:200057867|commune:93066;;${SOURCE};non`,
    `${WORD} Maison de quartier;association;social;;55210003400016;;;;;55029;;;;;;;;parentalite;;;;;non`,
  ].join('\n');
  // Written as the command line writes them (no author: validated at once).
  const seeded = await importActors(server.ds, createServices(server.ds), csv);
  expect(seeded).toMatchObject({ created: 6, committed: true, problems: [] });
  // A confirmed record (assured_date) and an archived one (status inactive).
  const [verdun] = await server.ds.query(`SELECT id, version FROM actor WHERE siret = '55210001800019'`);
  await server.admin.gql(`mutation ($id: ID!, $v: Int!) { confirmActorUpToDate(id: $id, version: $v) { id } }`, { id: verdun.id, v: verdun.version });
  const [maison] = await server.ds.query(`SELECT id, version FROM actor WHERE siret = '55210003400016'`);
  const archived = await server.admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { id } }`, { id: maison.id, v: maison.version });
  expect(archived.errors).toBeUndefined();
});

afterAll(() => server?.close());

describe('round trip', () => {
  it('should change nothing when organizations.json is imported again: every organization unchanged, data equal', async () => {
    const before = await snapshot();
    expect(before).toHaveLength(6);
    const json = await exportJson();
    const report = await importFile(json);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ total: 6, created: 0, updated: 0, unchanged: 6, rejected: 0, committed: true });
    expect(report.ignoredColumns).toEqual(['assured_date']);
    expect(await snapshot()).toEqual(before);
    expect(await exportJson()).toBe(json);
  });

  it('should change nothing when hsds.zip is imported again', async () => {
    const before = await snapshot();
    const report = await importFile(await exportZip());
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ total: 6, created: 0, updated: 0, unchanged: 6, committed: true });
    expect(await snapshot()).toEqual(before);
  });

  it('should carry themes as DGS theme codes (taxonomy terms) and the fields HSDS lacks as attributes', async () => {
    const organizations = JSON.parse(await exportJson());
    const verdun = organizations.find((o: any) => o.name === `${WORD} Association Verdun`);
    const terms = verdun.services[0].attributes.map((a: any) => [a.taxonomy_term.taxonomy, a.taxonomy_term.code]);
    expect(terms).toEqual(
      expect.arrayContaining([
        ['repertoire-prevention:thematiques-dgs', 'addictions-tabac'],
        ['repertoire-prevention:thematiques-dgs', 'vaccination'],
        ['repertoire-prevention:publics', 'jeunes'],
      ]),
    );
    const fields = Object.fromEntries(verdun.attributes.map((a: any) => [a.taxonomy_term.code, a.value]));
    expect(fields).toMatchObject({ nature: 'ASSOCIATION', secteur: 'SANTE', commune: '55545', code_postal: '55100', site_web: 'https://Vireloup.example.fr' });
    expect(verdun.website).toBe('https://vireloup.example.fr/');
  });

  // From the package, the national agency stays in the directory: writing an actor of the whole
  // country counts it in every commune (seconds on the embedded database), and its service area,
  // read from the package's tables, must then match it unchanged; organizations.json brings all six back.
  for (const [form, kept] of [
    ['organizations.json', 0],
    ['hsds.zip', 1],
  ] as const) {
    it(`should bring back from ${form} the actors absent from the directory, equal on what HSDS carries`, async () => {
      const before = await snapshot();
      const file = form === 'hsds.zip' ? await exportZip() : await exportJson();
      await server.ds.query(`DELETE FROM actor WHERE search_name LIKE $1 AND ($2 OR name <> $3)`, [
        `%${WORD.toLowerCase()}%`,
        kept === 0,
        `${WORD} Agence nationale`,
      ]);
      expect(await snapshot()).toHaveLength(kept);
      const report = await importFile(file);
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ total: 6, created: 6 - kept, updated: 0, unchanged: kept, committed: true });
      const after = await snapshot();
      expect(carried(after)).toEqual(carried(before));
      // Neither the confirmation date nor the archiving comes from an import.
      expect(after.filter((r: any) => r.verified_at !== null)).toEqual([]);
      expect(after.map((r: any) => r.status)).toEqual(before.map(() => 'ACTIVE'));
      const again = await importFile(file);
      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 6, committed: true });
    });
  }
});

describe('the whole directory', () => {
  it('should re-import every actor (real student services of the seeds, the demonstration ones of the Meuse) from either form without a change', async () => {
    await seedStudentServices(server.ds, () => {});
    await seedDemoActors(server.ds, () => {}, { departements: ['55'] });
    const all = `?filter=${encodeURIComponent('{}')}`;
    const json = await (await get(`/export/hsds/organizations.json${all}`)).text();
    const zip = Buffer.from(await (await get(`/export/hsds/hsds.zip${all}`)).arrayBuffer());
    const total = JSON.parse(json).length;
    expect(total).toBeGreaterThan(20);
    for (const file of [json, zip]) {
      const report = await importFile(file);
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ total, created: 0, updated: 0, unchanged: total });
    }
  });
});

describe('an export edited before its import', () => {
  it('should take the standard field edited in the file over the stored value the export kept beside it', async () => {
    const organizations = JSON.parse(await exportJson());
    const edits: Record<string, object> = {
      [`${WORD} Association Verdun`]: { website: 'https://autre.example.fr/', legal_status: 'CPTS' },
      [`${WORD} Maison de quartier`]: { description: 'Une description enfin écrite' },
    };
    const edited = organizations.map((o: any) => ({ ...o, ...(edits[o.name] ?? {}) }));
    const report = await importFile(JSON.stringify(edited));
    expect(report).toMatchObject({ updated: 2, unchanged: organizations.length - 2, committed: true, problems: [] });
    const rows = await server.ds.query(`SELECT name, website, kind, description FROM actor WHERE name = ANY($1) ORDER BY name`, [Object.keys(edits)]);
    expect(rows).toEqual([
      { name: `${WORD} Association Verdun`, website: 'https://autre.example.fr/', kind: 'CPTS', description: 'Ateliers "tabac"\nle mardi' },
      { name: `${WORD} Maison de quartier`, website: null, kind: 'ASSOCIATION', description: 'Une description enfin écrite' },
    ]);
  });
});

describe('another directory’s organizations', () => {
  const ID = '0b6f6d3e-7a4c-4f3e-9a37-3f7e2b1c9d01';
  const organization = (extra: object = {}) => ({
    id: ID,
    name: `${WORD} Point santé jeunes`,
    description: 'Accueil et écoute des jeunes',
    legal_status: 'association',
    email: 'psj@vireloup.example.org',
    organization_identifiers: [{ id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a01', identifier_type: 'SIRET', identifier: '55210004200019' }],
    phones: [{ id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a02', number: '03 29 86 00 00' }],
    services: [
      {
        id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a03',
        name: 'Écoute',
        status: 'active',
        attributes: [
          {
            id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a04',
            taxonomy_term: { id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a05', code: 'sante--sante-mentale', name: 'Santé mentale', description: 'x' },
          },
          {
            id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a06',
            taxonomy_term: { id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a07', code: 'xyz', name: 'Autre chose', description: 'y' },
          },
        ],
        service_areas: [{ id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a08', uri: 'https://geo.api.gouv.fr/departements/55' }],
        schedules: [{ id: '4f1f0c1e-8a7e-4c57-9a1d-2f0d0c7b6a09', freq: 'WEEKLY', byday: 'MO,TU', opens_at: '09:00', closes_at: '12:00' }],
      },
    ],
    ...extra,
  });

  it('should create it with the themes it recognises, its territory and hours, kept under hsds--<id>, and match it again', async () => {
    const report = await importFile(JSON.stringify([organization()]));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ created: 1, committed: true });
    const [row] = await server.ds.query(
      `SELECT a.*, (SELECT array_agg(t.level || ':' || t.code) FROM actor_territory t WHERE t.actor_id = a.id) AS declared FROM actor a WHERE siret = '55210004200019'`,
    );
    expect(row).toMatchObject({
      kind: 'ASSOCIATION',
      source: `hsds--${ID}`,
      themes: ['sante-mentale'],
      opening_hours: 'Mo,Tu 09:00-12:00',
      phone: '03 29 86 00 00',
      declared: ['DEPARTEMENT:55'],
    });
    const again = await importFile(JSON.stringify([organization({ phones: [] })]));
    expect(again).toMatchObject({ created: 0, updated: 1, committed: true });
  });
});

describe('bad files', () => {
  const expectNothingWritten = async (before: unknown, report: { committed: boolean; created: number; updated: number }) => {
    expect(report.committed).toBe(false);
    expect(await snapshot()).toEqual(before);
  };

  it('should refuse malformed JSON, a zip that is no zip, a package without datapackage.json or organizations.csv, and write nothing', async () => {
    const before = await snapshot();
    const files = unzipSync(new Uint8Array(await exportZip()));
    const without = (name: string) => Buffer.from(zipSync(Object.fromEntries(Object.entries(files).filter(([k]) => k !== name))));
    const cases: [Buffer | string, string, RegExp][] = [
      ['[{"id": "x", ', 'fichier', /JSON illisible/],
      ['{"organizations": 3}', 'fichier', /tableau JSON d’organisations/],
      [Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), 'fichier', /zip illisible/],
      [without('datapackage.json'), 'datapackage.json', /datapackage\.json absent/],
      [without('organizations.csv'), 'organizations.csv', /organizations\.csv absent/],
    ];
    for (const [content, field, reason] of cases) {
      const report = await importFile(content);
      expect(report.problems, field).toEqual([{ row: 0, field, reason: expect.stringMatching(reason) }]);
      await expectNothingWritten(before, report);
    }
    // A row of a table whose organization is missing refuses the package.
    const orphan = {
      ...files,
      'services.csv': strToU8(
        `${strFromU8(files['services.csv']).trimEnd()}\r\n${'b'.repeat(8)}-0000-4000-8000-000000000000,0b6f6d3e-0000-4000-8000-000000000000,Orphelin\r\n`,
      ),
    };
    const report = await importFile(Buffer.from(zipSync(orphan)));
    expect(report.problems[0]).toMatchObject({ row: 0, field: 'services.csv', reason: expect.stringContaining('absente d’organizations.csv') });
    await expectNothingWritten(before, report);
  });

  it('should report each organization against the schema, with an unknown territory or a bad SIRET, on its row in French, and write nothing', async () => {
    const before = await snapshot();
    const organizations = JSON.parse(await exportJson());
    const verdun = organizations.findIndex((o: any) => o.name === `${WORD} Association Verdun`);
    const ars = organizations.findIndex((o: any) => o.name === `${WORD} ARS Grand Est`);
    const hospital = organizations.findIndex((o: any) => o.name === `${WORD} Centre hospitalier`);
    const agency = organizations.findIndex((o: any) => o.name === `${WORD} Agence nationale`);
    const edited = organizations.map((o: any, i: number) => {
      if (i === verdun)
        return {
          ...o,
          organization_identifiers: o.organization_identifiers.map((x: any) => (x.identifier_type === 'SIRET' ? { ...x, identifier: '55210001800018' } : x)),
        };
      if (i === ars)
        return {
          ...o,
          services: [{ ...o.services[0], service_areas: [{ id: o.services[0].service_areas[0].id, uri: 'https://geo.api.gouv.fr/regions/99' }] }],
        };
      if (i === hospital) return { ...o, name: undefined, locations: [{ ...o.locations[0], latitude: '48,77' }] };
      if (i === agency) return { ...o, id: 'pas-un-uuid', organization_identifiers: 'SIRET' };
      // Edited too: all or nothing, it is not written either.
      return { ...o, description: 'Changé' };
    });
    // The official schema refuses the organizations edited against it, and only those.
    const schema = hsdsValidator('compiled/organization');
    expect(edited.map((o: any) => schema(o))).toEqual(edited.map((_: unknown, i: number) => i !== hospital && i !== agency));
    for (const mode of [ImportMode.ALL_OR_NOTHING, ImportMode.VALID_ONLY]) {
      const report = await importFile(JSON.stringify(edited), mode);
      const fields = (row: number) => report.problems.filter((p) => p.row === row + 1).map((p) => p.field);
      expect(fields(verdun)).toEqual(['organization_identifiers[SIRET]']);
      expect(fields(ars)).toEqual(['services.service_areas.uri']);
      expect(fields(hospital).sort()).toEqual(['locations.latitude', 'name']);
      expect(fields(agency).sort()).toEqual(['id', 'organization_identifiers']);
      for (const p of report.problems) expect(p.reason, p.field).toMatch(/[éèàùç’«]|attendu|requis/);
      expect(report.problems.find((p) => p.row === verdun + 1)!.reason).toContain('SIRET');
      if (mode === ImportMode.ALL_OR_NOTHING) await expectNothingWritten(before, report);
      else expect(report).toMatchObject({ rejected: 4, updated: organizations.length - 4, committed: true });
    }
  });

  it('should refuse a SIRET another active actor holds (the rule of every write), naming that actor', async () => {
    const organizations = JSON.parse(await exportJson());
    const hospital = organizations.find((o: any) => o.name === `${WORD} Centre hospitalier`);
    const taken = {
      ...hospital,
      organization_identifiers: [{ ...hospital.organization_identifiers[0], identifier_type: 'SIRET', identifier: '55210004200019' }],
    };
    const before = await snapshot();
    const report = await importFile(JSON.stringify([taken]));
    expect(report.problems).toEqual([{ row: 1, field: 'organization_identifiers[SIRET]', reason: expect.stringContaining(`${WORD} Point santé jeunes`) }]);
    await expectNothingWritten(before, report);
  });
});

describe('import through GraphQL (importActors, format HSDS)', () => {
  const IMPORT = `mutation ($content: String!, $format: ImportFormat, $dryRun: Boolean) {
    importActors(content: $content, format: $format, dryRun: $dryRun) { total created updated unchanged rejected committed ignoredColumns problems { row field reason } }
  }`;

  it('should take the JSON or the zip in base64, with the rights of a CSV import: visitors and members refused, an analyst only for actors of their région', async () => {
    const json = await exportJson();
    const total = JSON.parse(json).length;
    for (const content of [json, (await exportZip()).toString('base64')]) {
      const res = await server.admin.gql(IMPORT, { content, format: 'HSDS', dryRun: true });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      expect(res.data.importActors).toMatchObject({ total, created: 0, updated: 0, unchanged: total, committed: false, problems: [] });
    }
    const before = await snapshot();
    const member = await server.signedIn({ email: `membre-hsds@test-helper.local`, password: TEST_PASSWORD });
    for (const [client, code] of [
      [server, 'UNAUTHENTICATED'],
      [member, 'FORBIDDEN'],
    ] as const) {
      const res = await client.gql(IMPORT, { content: json.replaceAll('Ateliers', 'Piratage'), format: 'HSDS' });
      const csv = await client.gql(IMPORT, { content: `nom;type;thematiques;commune\n${WORD} X;association;vaccination;55545`, format: 'CSV' });
      expect(errorCodes(res)).toEqual([code]);
      expect(res.errors![0].message).toBe(csv.errors![0].message);
    }
    expect(await snapshot()).toEqual(before);

    // An ARS analyst of Île-de-France may not change the Meuse's actors: refused on their rows, and nothing written.
    const analyst = await server.signedIn({ email: `analyste-idf-hsds@test-helper.local`, password: TEST_PASSWORD, role: 'ANALYST', regionCode: '11' });
    const edited = JSON.parse(json).map((o: any) => ({ ...o, description: 'Réécrit par un autre' }));
    const res = await analyst.gql(IMPORT, { content: JSON.stringify(edited), format: 'HSDS' });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.importActors.committed).toBe(false);
    expect(res.data.importActors.problems).toContainEqual({
      row: expect.any(Number),
      field: 'id',
      reason: expect.stringContaining('que votre compte ne peut pas modifier'),
    });
    expect(await snapshot()).toEqual(before);

    const bad = await server.admin.gql(IMPORT, { content: 'ceci n’est pas un fichier', format: 'HSDS' });
    expect(bad.data.importActors).toMatchObject({ committed: false, problems: [{ row: 0, field: 'content', reason: expect.stringContaining('HSDS 3.0') }] });
  });
});
