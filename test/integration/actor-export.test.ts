import 'reflect-metadata';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/** Every actor this file creates carries this source; afterAll removes exactly them. */
const SOURCE = 'test:actor-export.test.ts';
/** A word only this file's actors have in their names, to filter the exports on. */
const WORD = 'Zarbalou';
const FILTER = { text: WORD.toLowerCase() };

const IMPORT = `mutation ($content: String!, $format: ImportFormat, $mode: ImportMode) {
  importActors(content: $content, format: $format, mode: $mode) { total created updated unchanged rejected committed problems { row field reason } }
}`;
const EXPORT = `query ($filter: ActorFilter, $format: ExportFormat) { exportActors(filter: $filter, format: $format) }`;

const COLUMNS = [
  'identifiant',
  'nom',
  'type',
  'secteur',
  'siren',
  'siret',
  'rna',
  'finess',
  'adresse',
  'code_postal',
  'commune',
  'latitude',
  'longitude',
  'description',
  'email',
  'telephone',
  'site_web',
  'horaires',
  'thematiques',
  'publics',
  'territoires',
  'rayon_km',
  'source',
  'demonstration',
];

let server: TestServer;

const get = (path: string) => fetch(`${server.url}${path}`);
const exportUrl = (ext: 'csv' | 'geojson', filter: unknown) => `/export/acteurs.${ext}?filter=${encodeURIComponent(JSON.stringify(filter))}`;

async function importFile(content: string, format = 'CSV') {
  const res = await server.admin.gql(IMPORT, { content, format });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.importActors;
}

beforeAll(async () => {
  server = await startTestServer();
  const csv = [
    'nom;type;secteur;siret;rna;adresse;code_postal;commune;latitude;longitude;description;email;telephone;site_web;thematiques;publics;territoires;rayon_km;source',
    `${WORD} Association Verdun;association;santé;;W551000001;"3 place; Chevert";55100;55545;49,1598;5,3876;"Ateliers ""tabac""\nle mardi";contact@zarbalou.fr;+33 3 29 00 00 00;https://zarbalou.example.fr;addictions-tabac|Santé mentale;jeunes|femmes;commune:55545;;${SOURCE}`,
    `${WORD} Mairie de Bar-le-Duc;collectivité;;;;;55000;55029;;;;;;;nutrition-activite-physique;;;;${SOURCE}`,
    `${WORD} ARS Grand Est;ARS;;;;;;;;;;;;;vaccination;;region:44;;${SOURCE}`,
    `${WORD} Centre hospitalier;établissement de santé;;12345678200028;;;;55029;48,7727;5,1606;;;;;vaccination;;;12,5;${SOURCE}`,
    `=${WORD} formule;association;social;;;;;93066;;;;;;;sante-sexuelle;;ept:200057867|commune:93066;;${SOURCE}`,
  ].join('\n');
  const report = await importFile(csv);
  expect(report.problems).toEqual([]);
  expect(report.created).toBe(5);
});

afterAll(() => server?.close());

describe('CSV export', () => {
  it('should serve the actors of a search as a « ; » CSV in UTF-8 with a BOM and the import columns', async () => {
    const res = await get(exportUrl('csv', FILTER));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="acteurs-.*\.csv"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.split('\r\n')[0]).toBe(COLUMNS.join(';'));
    const rows: Record<string, string>[] = parse(text, { delimiter: ';', columns: true });
    expect(rows).toHaveLength(5);
    const asso = rows.find((r) => r.nom === `${WORD} Association Verdun`)!;
    expect(asso).toMatchObject({
      type: 'Association',
      secteur: 'Santé',
      rna: 'W551000001',
      adresse: '3 place; Chevert',
      commune: '55545',
      latitude: '49,1598',
      longitude: '5,3876',
      description: 'Ateliers "tabac"\nle mardi',
      telephone: '+33 3 29 00 00 00',
      thematiques: 'addictions-tabac|sante-mentale',
      publics: 'jeunes|femmes',
      territoires: 'commune:55545',
      source: SOURCE,
      demonstration: 'non',
    });
    expect(rows.find((r) => r.nom.includes('ARS'))).toMatchObject({ territoires: 'region:44', commune: '', latitude: '' });
    expect(rows.find((r) => r.nom.includes('hospitalier'))).toMatchObject({ rayon_km: '12,5', siret: '12345678200028' });
    // A cell a spreadsheet would run as a formula is neutralised.
    expect(rows.find((r) => r.nom.includes('formule'))!.nom).toBe(`'=${WORD} formule`);
  });

  it('should give back « unchanged » for every row when the export is re-imported', async () => {
    const text = await (await get(exportUrl('csv', FILTER))).text();
    const before = await server.ds.query(`SELECT id, version FROM actor WHERE source = $1 ORDER BY id`, [SOURCE]);
    const report = await importFile(text);
    expect(report).toMatchObject({ total: 5, created: 0, updated: 0, unchanged: 5, rejected: 0, committed: true });
    expect(await server.ds.query(`SELECT id, version FROM actor WHERE source = $1 ORDER BY id`, [SOURCE])).toEqual(before);
  });

  it('should update the one actor whose exported row was edited', async () => {
    const text = await (await get(exportUrl('csv', FILTER))).text();
    const edited = text.replace('contact@zarbalou.fr', 'accueil@zarbalou.fr');
    const report = await importFile(edited);
    expect(report).toMatchObject({ created: 0, updated: 1, unchanged: 4 });
  });

  it('should export the same file through the exportActors query', async () => {
    const http = await (await get(exportUrl('csv', FILTER))).text();
    const res = await server.gql(EXPORT, { filter: FILTER, format: 'CSV' });
    expect(res.errors).toBeUndefined();
    // fetch's text() drops the BOM; the query keeps it.
    expect(res.data.exportActors.startsWith('\uFEFF')).toBe(true);
    expect(res.data.exportActors.slice(1)).toBe(http);
  });

  it('should apply the filter: only the actors covering Bar-le-Duc', async () => {
    const text = await (await get(exportUrl('csv', { ...FILTER, coversCommune: '55029' }))).text();
    const rows: Record<string, string>[] = parse(text.slice(1), { delimiter: ';', columns: true });
    expect(rows.map((r) => r.nom).sort()).toEqual([`${WORD} ARS Grand Est`, `${WORD} Centre hospitalier`, `${WORD} Mairie de Bar-le-Duc`]);
  });
});

describe('GeoJSON export', () => {
  it('should serve a FeatureCollection of points with the import properties', async () => {
    const res = await get(exportUrl('geojson', FILTER));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/geo+json; charset=utf-8');
    const doc = await res.json();
    expect(doc.type).toBe('FeatureCollection');
    expect(doc.features).toHaveLength(5);
    const asso = doc.features.find((f: any) => f.properties.nom === `${WORD} Association Verdun`);
    expect(asso.type).toBe('Feature');
    expect(asso.geometry).toEqual({ type: 'Point', coordinates: [5.3876, 49.1598] });
    expect(asso.properties).toMatchObject({
      type: 'Association',
      commune: '55545',
      thematiques: ['addictions-tabac', 'sante-mentale'],
      territoires: ['commune:55545'],
      source: SOURCE,
    });
    expect(Object.keys(asso.properties)).toEqual(COLUMNS.filter((c) => c !== 'latitude' && c !== 'longitude'));
    // A regional actor without a place has no geometry.
    expect(doc.features.find((f: any) => f.properties.nom.includes('ARS')).geometry).toBeNull();
    // An actor placed at its commune gets the commune's point.
    expect(doc.features.find((f: any) => f.properties.nom.includes('Mairie')).geometry.type).toBe('Point');
  });

  it('should give back « unchanged » when the GeoJSON export is re-imported', async () => {
    const text = await (await get(exportUrl('geojson', FILTER))).text();
    const report = await importFile(text, 'GEOJSON');
    expect(report).toMatchObject({ total: 5, created: 0, updated: 0, unchanged: 5, rejected: 0 });
  });
});

describe('bad filters', () => {
  it('should answer 400 with a French message for a filter that is not JSON', async () => {
    const res = await get('/export/acteurs.csv?filter=%7Bpas-du-json');
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toContain('ce n’est pas du JSON');
  });

  it('should answer 400 for an unknown theme, commune, field or nature', async () => {
    for (const [filter, message] of [
      [{ themesAny: ['astrologie'] }, 'Thème(s) inconnu(s) : astrologie'],
      [{ coversCommune: '99999' }, 'Commune inconnue'],
      [{ commune: '55545' }, 'champ inconnu « commune »'],
      [{ kinds: ['CLUB'] }, 'nature(s) inconnue(s) : CLUB'],
      [{ near: { lon: 500, lat: 49, radiusKm: 5 } }, 'la longitude est comprise entre -180 et 180'],
    ] as const) {
      const res = await get(exportUrl('geojson', filter));
      expect(res.status, JSON.stringify(filter)).toBe(400);
      const body = await res.json();
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0].message).toContain(message);
    }
  });

  it('should answer 400 in French, never 500, to names of Object.prototype given as levels, natures, sectors or statuses', async () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      for (const filter of [
        { territory: { level: name, code: '55' } },
        { kinds: [name] },
        { sectors: [name] },
        { reviewStatuses: [name] },
        JSON.parse(`{"${name}": 1}`),
      ]) {
        for (const ext of ['csv', 'geojson'] as const) {
          const res = await get(exportUrl(ext, filter));
          expect(res.status, JSON.stringify(filter)).toBe(400);
          const body = await res.json();
          expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
          expect(body.errors[0].message).toMatch(/^Filtre invalide : /);
        }
      }
      // The same values through GraphQL variables: refused by the schema's enums.
      for (const filter of [{ territory: { level: name, code: '55' } }, { kinds: [name] }, { sectors: [name] }, { reviewStatuses: [name] }]) {
        expect(errorCodes(await server.gql(EXPORT, { filter })), JSON.stringify(filter)).toEqual(['BAD_USER_INPUT']);
      }
    }
  });

  it('should answer BAD_USER_INPUT to the exportActors query for an unknown commune', async () => {
    const res = await server.gql(EXPORT, { filter: { coversCommune: '99999' } });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it('should send only the header when the search finds nothing', async () => {
    const res = await get('/export/acteurs.csv?filter=' + encodeURIComponent(JSON.stringify({ text: 'aucun-acteur-ne-porte-ce-nom-qwxz' })));
    expect(res.status).toBe(200);
    expect((await res.text()).replace(/^\uFEFF/, '')).toBe(`${COLUMNS.join(';')}\r\n`);
  });
});
