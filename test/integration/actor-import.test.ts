import 'reflect-metadata';
import fs from 'node:fs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importActors, ImportFormat, ImportMode } from '../../server/actors/actor-import.js';
import { createServices } from '../../server/graphql/context.js';
import { IMPORT_OPERATION_HEADER, IMPORT_OPERATION_NAME } from '../../server/http/body-limits.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/** Every actor this file creates carries this source; afterAll removes exactly them. */
const SOURCE = 'test:actor-import.test.ts';

const fixture = (name: string) => fs.readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

const IMPORT = `mutation ($content: String!, $format: ImportFormat, $mode: ImportMode, $dryRun: Boolean) {
  importActors(content: $content, format: $format, mode: $mode, dryRun: $dryRun) {
    total created updated unchanged rejected committed dryRun mode ignoredColumns message
    problems { row field reason }
  }
}`;

let server: TestServer;

/** Declares the import before its body, as a client must for a file over 1 MB (see body-limits.ts). */
const AS_IMPORT = { [IMPORT_OPERATION_HEADER]: IMPORT_OPERATION_NAME };

async function importFile(content: string, variables: Record<string, unknown> = {}) {
  const res = await server.admin.gql(IMPORT, { content, ...variables }, AS_IMPORT);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.importActors;
}

const countMine = async () => Number((await server.ds.query(`SELECT count(*)::int AS n FROM actor WHERE source = $1`, [SOURCE]))[0].n);

async function actorByName(name: string) {
  const [row] = await server.ds.query(
    `SELECT a.*, ST_X(a.location) AS lon, ST_Y(a.location) AS lat,
       (SELECT array_agg(t.level || ':' || t.code ORDER BY t.level, t.code) FROM actor_territory t WHERE t.actor_id = a.id) AS declared,
       (SELECT count(*)::int FROM coverage_commune c WHERE c.actor_id = a.id) AS communes
     FROM actor a WHERE a.name = $1 AND a.source = $2`,
    [name, SOURCE],
  );
  return row;
}

const HEADER = 'nom;type;secteur;commune;latitude;longitude;thematiques;territoires;source';
const row = (cells: string[]) => cells.join(';');

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(() => server?.close());

describe('CSV import of a good file', () => {
  it('should create every row of a « ; » CSV with a BOM, French headers and labels', async () => {
    const before = await countMine();
    const report = await importFile(fixture('acteurs-import.csv').toString('utf8'));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ total: 3, created: 3, updated: 0, unchanged: 0, rejected: 0, committed: true });
    expect(report.ignoredColumns).toEqual(['Remarque']);
    expect(await countMine()).toBe(before + 3);

    const asso = await actorByName('Imptest Association Verdun Addictions');
    expect(asso).toMatchObject({ kind: 'ASSOCIATION', sector: 'SANTE', siret: '12345678200002', commune_code: '55545', postal_code: '55100', version: 1 });
    expect(asso.themes).toEqual(['addictions', 'addictions-tabac']);
    expect(asso.audiences).toEqual(['jeunes']);
    expect(Number(asso.lat)).toBeCloseTo(49.1598, 6);
    expect(Number(asso.lon)).toBeCloseTo(5.3876, 6);

    const cpts = await actorByName('Imptest CPTS du Grand Verdun');
    // The sector follows from the kind; a data·inclusion code and a label give theme codes.
    expect(cpts).toMatchObject({ kind: 'CPTS', sector: 'SANTE' });
    expect(cpts.themes).toEqual(['sante-mentale', 'vaccination']);
    expect(cpts.declared).toEqual(['EPCI:200049187']);
    expect(cpts.communes).toBeGreaterThan(10);

    const ville = await actorByName('Imptest Ville de Bar-le-Duc');
    expect(ville).toMatchObject({ kind: 'COLLECTIVITE', sector: 'COLLECTIVITE' });
    expect(ville.declared).toEqual(['COMMUNE:55029', 'DEPARTEMENT:55']);
    // No coordinates: placed at its commune.
    expect(ville.lon).not.toBeNull();
  });

  it('should report re-imported identical rows as unchanged and create no duplicate', async () => {
    const before = await countMine();
    const report = await importFile(fixture('acteurs-import.csv').toString('utf8'));
    expect(report).toMatchObject({ total: 3, created: 0, updated: 0, unchanged: 3, rejected: 0, committed: true });
    expect(await countMine()).toBe(before);
    expect((await actorByName('Imptest Association Verdun Addictions')).version).toBe(1);
  });

  it('should update a matched actor only where the file differs, and bump its version', async () => {
    const text = fixture('acteurs-import.csv')
      .toString('utf8')
      .replace('contact@imptest-verdun.fr', 'accueil@imptest-verdun.fr')
      // Matched on its SIRET even though its name changed.
      .replace('Imptest Association Verdun Addictions', 'Imptest Association Verdun Addictions et Conduites');
    const report = await importFile(text);
    expect(report).toMatchObject({ created: 0, updated: 1, unchanged: 2, rejected: 0, committed: true });
    const asso = await actorByName('Imptest Association Verdun Addictions et Conduites');
    expect(asso).toMatchObject({ email: 'accueil@imptest-verdun.fr', version: 2, siret: '12345678200002' });
    expect(await actorByName('Imptest Association Verdun Addictions')).toBeUndefined();
  });

  it('should read a « , » CSV without BOM, with quoted cells and a decimal point', async () => {
    const csv = [
      'nom,nature,secteur,commune,latitude,longitude,thematiques,publics,source,description',
      `"Imptest Maison des ados, Verdun",Maison des adolescents,santé,55545,49.16,5.38,santé des jeunes|Santé mentale,jeunes,${SOURCE},"Accueil ""sans rendez-vous""\nsur deux lignes"`,
      `Imptest Service de l'État Meuse,service de l'État,,55029,,,vaccination,,${SOURCE},`,
    ].join('\n');
    const report = await importFile(csv);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ total: 2, created: 2, rejected: 0, committed: true });
    const mda = await actorByName('Imptest Maison des ados, Verdun');
    expect(mda).toMatchObject({ kind: 'MAISON_DES_ADOLESCENTS', sector: 'SANTE', description: 'Accueil "sans rendez-vous"\nsur deux lignes' });
    expect(mda.themes).toEqual(['sante-des-jeunes', 'sante-mentale']);
    expect(await actorByName("Imptest Service de l'État Meuse")).toMatchObject({ kind: 'SERVICE_ETAT', sector: 'ETAT' });
  });

  it('should import a GeoJSON FeatureCollection of points and reject a polygon', async () => {
    const content = fixture('acteurs-import.geojson').toString('utf8');
    const report = await importFile(content, { format: 'GEOJSON', mode: 'VALID_ONLY' });
    expect(report).toMatchObject({ total: 3, created: 2, rejected: 1, committed: true });
    expect(report.problems).toEqual([{ row: 3, field: 'geometrie', reason: expect.stringContaining('seuls les points') }]);
    const sd = await actorByName('Imptest Prévention Saint-Denis');
    expect(sd).toMatchObject({ kind: 'ASSOCIATION', sector: 'SOCIAL', commune_code: '93066' });
    expect(sd.themes).toEqual(['sante-sexuelle-vih', 'sante-mentale']);
    expect(sd.audiences).toEqual(['jeunes', 'femmes']);
    expect(sd.declared).toEqual(['COMMUNE:93066', 'EPT:200057867']);
    expect(Number(sd.lon)).toBeCloseTo(2.3601, 6);
    const ch = await actorByName('Imptest Centre hospitalier Bar-le-Duc');
    expect(ch).toMatchObject({ kind: 'ETABLISSEMENT_SANTE', sector: 'SANTE', finess: '550000012' });
    expect(Number(ch.radius_km)).toBe(10);
    expect(ch.communes).toBeGreaterThan(5);

    const again = await importFile(content, { format: 'GEOJSON', mode: 'VALID_ONLY' });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2, rejected: 1 });
  });
});

describe('CSV import of a file with bad rows', () => {
  const good1 = row(['Imptest Bon acteur un', 'association', 'social', '55545', '', '', 'vaccination', '', SOURCE]);
  const good2 = row(['Imptest Bon acteur deux', 'CPTS', '', '', '', '', 'addictions', 'departement:55', SOURCE]);
  const lines = [
    HEADER,
    good1, // 2
    row(['', 'association', 'social', '55545', '', '', 'vaccination', '', SOURCE]), // 3: missing name
    row(['Imptest Commune inconnue', 'association', 'social', '99999', '', '', 'vaccination', '', SOURCE]), // 4
    row(['Imptest Coordonnées fausses', 'association', 'social', '55545', 'quarante-neuf', '5,38', 'vaccination', '', SOURCE]), // 5
    row(['Imptest Thème inconnu', 'association', 'social', '55545', '', '', 'astrologie', '', SOURCE]), // 6
    row(['Imptest Hors limites', 'association', 'social', '55545', '49,1', '250', 'vaccination', '', SOURCE]), // 7
    row(['Imptest Nature inconnue', 'club de bridge', 'social', '55545', '', '', 'vaccination', 'departement:55|planete:mars', SOURCE]), // 8
    good2, // 9
  ];
  const csv = lines.join('\r\n');

  it('should report each rejected row with its spreadsheet row number, field and French reason', async () => {
    const report = await importFile(csv, { dryRun: true });
    expect(report).toMatchObject({ total: 8, rejected: 6, created: 2, committed: false, dryRun: true });
    const byRow = (r: number) => report.problems.filter((p: any) => p.row === r).map((p: any) => [p.field, p.reason]);
    expect(byRow(2)).toEqual([]);
    expect(byRow(3)).toEqual([['nom', 'le nom est requis']]);
    expect(byRow(4)).toEqual([['commune', expect.stringContaining('commune inconnue dans le COG 2026 : 99999')]]);
    expect(byRow(5)).toEqual([['latitude', expect.stringContaining('nombre attendu')]]);
    expect(byRow(6)).toEqual([['thematiques', expect.stringContaining('thème inconnu « astrologie »')]]);
    expect(byRow(7)).toEqual([['longitude', 'la longitude est comprise entre -180 et 180']]);
    expect(
      byRow(8)
        .map(([f]: string[]) => f)
        .sort(),
    ).toEqual(['territoires', 'type']);
    expect(byRow(8).find(([f]: string[]) => f === 'territoires')[1]).toContain('niveau inconnu « planete »');
    expect(byRow(9)).toEqual([]);
  });

  it('should write nothing in all-or-nothing mode when a row is rejected', async () => {
    const before = await countMine();
    const report = await importFile(csv);
    expect(report).toMatchObject({ mode: 'ALL_OR_NOTHING', rejected: 6, committed: false });
    expect(report.message).toContain('rien n’a été enregistré');
    expect(await countMine()).toBe(before);
    expect(await actorByName('Imptest Bon acteur un')).toBeUndefined();
  });

  it('should commit exactly the valid rows in valid-only mode', async () => {
    const before = await countMine();
    const report = await importFile(csv, { mode: 'VALID_ONLY' });
    expect(report).toMatchObject({ mode: 'VALID_ONLY', created: 2, rejected: 6, committed: true });
    expect(await countMine()).toBe(before + 2);
    expect(await actorByName('Imptest Bon acteur un')).toBeDefined();
    expect(await actorByName('Imptest Bon acteur deux')).toMatchObject({ sector: 'SANTE' });
    expect(await actorByName('Imptest Commune inconnue')).toBeUndefined();
  });

  it('should reject the second of two rows describing the same actor', async () => {
    const report = await importFile([HEADER, good1, good1].join('\n'), { mode: 'VALID_ONLY', dryRun: true });
    expect(report.problems).toEqual([{ row: 3, field: 'ligne', reason: expect.stringContaining('même acteur que la ligne 2') }]);
  });

  it('should refuse a file without a « nom » column', async () => {
    const report = await importFile('raison;commune\nX;55545\n');
    expect(report).toMatchObject({ committed: false, rejected: 1 });
    expect(report.problems).toEqual([{ row: 1, field: 'nom', reason: expect.stringContaining('colonne « nom » absente') }]);
  });

  it('should take a file over the 1 MB body limit of other requests', async () => {
    const notes = 'n'.repeat(300_000);
    const csv = [`${HEADER};notes`, ...Array.from({ length: 10 }, (_, i) => `${good1.replace('Bon acteur un', `Gros fichier ${i}`)};${notes}`)].join('\n');
    expect(csv.length).toBeGreaterThan(2_900_000);
    const report = await importFile(csv, { dryRun: true });
    expect(report).toMatchObject({ total: 10, created: 10, rejected: 0, dryRun: true, committed: false, ignoredColumns: ['notes'] });
  });

  it('should answer a GraphQL error for a content over 5 MB', async () => {
    const big = `${HEADER}\n${'x'.repeat(5 * 1024 * 1024 + 10)}`;
    const res = await server.admin.gql(IMPORT, { content: big }, AS_IMPORT);
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('encodings', () => {
  const services = () => createServices(server.ds);

  it('should report the line of Windows-1252 bytes in a UTF-8 file, and write nothing', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}\n${row(['Imptest Encodage correct é', 'association', 'social', '55545', '', '', 'vaccination', '', SOURCE])}\n`, 'utf8'),
      iconv.encode(`${row(['Imptest Prévention Latin-1', 'association', 'social', '55545', '', '', 'vaccination', '', SOURCE])}\n`, 'win1252'),
    ]);
    const before = await countMine();
    const report = await importActors(server.ds, services(), bytes);
    expect(report).toMatchObject({ total: 2, rejected: 1, committed: false });
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ row: 3, field: 'encodage' });
    expect(report.problems[0].reason).toContain('pas en UTF-8');
    expect(report.problems[0].reason).toContain('Imptest Prévention Latin-1');
    expect(await countMine()).toBe(before);
  });

  it('should read a whole Windows-1252 file when asked to', async () => {
    const bytes = iconv.encode(
      `${HEADER}\n${row(['Imptest Prévention Latin-1', 'association', 'social', '55545', '', '', 'vaccination', '', SOURCE])}\n`,
      'win1252',
    );
    const report = await importActors(server.ds, services(), bytes, {
      encoding: 'windows-1252',
      dryRun: true,
      mode: ImportMode.ALL_OR_NOTHING,
      format: ImportFormat.CSV,
    });
    expect(report).toMatchObject({ rejected: 0, created: 1, committed: false, dryRun: true });
  });

  it('should report replacement characters in text a client decoded with the wrong encoding', async () => {
    const report = await importFile(`${HEADER}\n${row(['Imptest Pr\uFFFDvention', 'association', 'social', '55545', '', '', 'vaccination', '', SOURCE])}`);
    expect(report.problems).toEqual([{ row: 2, field: 'encodage', reason: expect.stringContaining('pas en UTF-8') }]);
  });

  it('should call the progress callback up to the number of rows', async () => {
    const seen: number[] = [];
    await importActors(server.ds, services(), fixture('acteurs-import.csv'), { dryRun: true, onProgress: (p) => seen.push(p.done) });
    expect(seen.at(-1)).toBe(3);
  });
});

describe('atomicity', () => {
  it('should roll back every row when a write fails midway', async () => {
    const services = createServices(server.ds);
    const before = await countMine();
    const original = services.actors.insertMany.bind(services.actors);
    let calls = 0;
    // The first batch is written, then the database refuses the next statement.
    services.actors.insertMany = async (m, records) => {
      const ids = await original(m, records);
      if (++calls === 1) await m.query(`SELECT 1/0`);
      return ids;
    };
    const csv = [HEADER, row(['Imptest Atomique', 'association', 'social', '55545', '', '', 'vaccination', '', SOURCE])].join('\n');
    await expect(importActors(server.ds, services, csv)).rejects.toThrow();
    expect(await countMine()).toBe(before);
    expect(await actorByName('Imptest Atomique')).toBeUndefined();
  });
});

describe('large files', () => {
  const communes = ['55545', '55029', '55502', '55154', '93066', '93048', '55193', '55022'];
  const big = (n: number, tag: string) =>
    [
      HEADER,
      ...Array.from({ length: n }, (_, i) =>
        row([
          `Imptest ${tag} ${i}`,
          'association',
          'social',
          communes[i % communes.length],
          '',
          '',
          i % 2 ? 'vaccination' : 'addictions-tabac',
          i % 50 === 0 ? 'departement:55' : '',
          SOURCE,
        ]),
      ),
    ].join('\n');

  /** Actors counted by the gap aggregates for a commune must equal the actors covering it. */
  async function aggregatesAgree(code: string) {
    const [{ counted }] = await server.ds.query(
      `SELECT COALESCE((SELECT actor_count FROM coverage_theme_count WHERE theme = '*' AND level = 'COMMUNE' AND code = $1), 0)::int AS counted`,
      [code],
    );
    const [{ covering }] = await server.ds.query(
      `SELECT count(*)::int AS covering FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id WHERE cc.commune_code = $1 AND a.status = 'ACTIVE'`,
      [code],
    );
    expect(counted).toBe(covering);
  }

  it('should write a file of more rows than one batch, and find them all on re-import', async () => {
    const csv = big(1200, 'lot');
    const before = await countMine();
    const steps: string[] = [];
    const report = await importActors(server.ds, createServices(server.ds), csv, { onProgress: (p) => steps.push(`${p.phase}:${p.done}/${p.total}`) });
    expect(report).toMatchObject({ created: 1200, rejected: 0, committed: true });
    expect(steps).toContain('écriture:1200/1200');
    expect(await countMine()).toBe(before + 1200);
    const again = await importActors(server.ds, createServices(server.ds), csv);
    expect(again).toMatchObject({ created: 0, unchanged: 1200, committed: true });
    await aggregatesAgree('55545');
  });

  it('should keep the gap aggregates right when a large import rebuilds them once at the end', async () => {
    const report = await importActors(server.ds, createServices(server.ds), big(300, 'différé'), { deferAggregatesFrom: 100 });
    expect(report).toMatchObject({ created: 300, committed: true });
    await aggregatesAgree('55545');
    await aggregatesAgree('55029');
    await aggregatesAgree('93066');
  });
});

describe('hostile files', () => {
  const snapshot = async () =>
    (await server.ds.query(`SELECT count(*)::int AS n, coalesce(max(updated_at)::text, '') AS last, coalesce(sum(version), 0)::int AS v FROM actor`))[0];

  it('should refuse broken CSV quoting with a clear report, and write nothing', async () => {
    const before = await snapshot();
    for (const csv of [
      `${HEADER}\n"Imptest guillemet non fermé;association;social;55545;;;vaccination;;${SOURCE}\n`,
      `${HEADER}\nImptest "guillemet" au milieu;association;social;55545;;;vaccination;;${SOURCE}\n"a"b;association\n`,
      `${HEADER}\nImptest trop de colonnes;association;social;55545;;;vaccination;;${SOURCE};x;y;z\n`,
    ]) {
      const report = await importFile(csv);
      expect(report.committed, csv).toBe(false);
      expect(report.problems.length, csv).toBeGreaterThan(0);
      for (const p of report.problems) expect(p.reason).toMatch(/\S/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('should refuse a file of more than 100,000 rows at once, and write nothing', async () => {
    const before = await snapshot();
    const csv = ['nom;type;commune;thematiques', ...Array.from({ length: 100_001 }, (_, i) => `Imptest ligne ${i};association;55545;vaccination`)].join('\n');
    const report = await importFile(csv);
    expect(report).toMatchObject({ total: 100_001, committed: false, rejected: 100_001 });
    expect(report.problems).toEqual([{ row: 0, field: 'fichier', reason: expect.stringMatching(/^100\s001 lignes : un import en compte 100\s000 au plus/) }]);
    expect(await snapshot()).toEqual(before);
  });

  it('should refuse malformed and self-intersecting GeoJSON and out-of-range points, and write nothing', async () => {
    const before = await snapshot();
    const feature = (geometry: unknown, name = 'Imptest GeoJSON hostile') => ({
      type: 'Feature',
      geometry,
      properties: { nom: name, type: 'association', secteur: 'social', thematiques: 'vaccination', source: SOURCE },
    });
    const files = [
      '{"type": "FeatureCollection", "features": [',
      '{"type": "Feature"}',
      JSON.stringify({ type: 'FeatureCollection', features: 'pas une liste' }),
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          feature({
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 1],
                [1, 0],
                [0, 1],
                [0, 0],
              ],
            ],
          }),
        ],
      }),
      JSON.stringify({ type: 'FeatureCollection', features: [feature({ type: 'Point', coordinates: [200, 95] })] }),
      JSON.stringify({ type: 'FeatureCollection', features: [feature({ type: 'Point', coordinates: ['5,38', null] })] }),
    ];
    for (const content of files) {
      const res = await server.admin.gql(IMPORT, { content, format: 'GEOJSON' });
      if (res.errors) {
        expect(
          res.errors.map((e) => e.extensions?.code),
          content,
        ).toEqual(['BAD_USER_INPUT']);
      } else {
        expect(res.data.importActors.committed, content).toBe(false);
        expect(res.data.importActors.problems.length, content).toBeGreaterThan(0);
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});
