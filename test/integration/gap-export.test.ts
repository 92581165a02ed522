import 'reflect-metadata';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIFT } from '../helpers/gap-drift.js';
import { epciOf, ok } from '../helpers/factories.js';
import { type CookieClient, startTestServer, type TestServer } from '../helpers/server.js';
import { MEUSE, VERDUN } from '../helpers/places.js';

/**
 * The gaps export (GET /export/lacunes.csv) and the coverage map's GeoJSON (GET
 * /export/couverture.geojson): every gap of the filter, whatever the page size of the screen, by
 * the same rules as the `gaps` and `coverage` queries (validated actors only, the same filter
 * checks), named after scope, level, themes and date. Checked against the territory table.
 */
const SOURCE = 'test:gap-export.test.ts';
const DOMAIN = '@test-gap-export.local';
const THEME = 'vaccination';
const MEUSE_FILTER = { scope: MEUSE, level: 'COMMUNE', themes: [THEME] };

const HEADER = [
  'rang',
  'niveau',
  'code',
  'territoire',
  'departement_code',
  'departement',
  'region_code',
  'region',
  'population',
  'couverture',
  'acteurs',
  'acteurs_presents_localement',
  'dont_fiche_verifiee_recemment',
  'acteurs_regionaux_ou_nationaux',
  'acteurs_pour_10000_habitants',
  'communes',
  'communes_couvertes',
  'population_couverte',
  'population_couverte_pct',
  'population_sans_acteur',
  'distance_acteur_le_plus_proche_km',
];

let server: TestServer;
let member: CookieClient;
let epci: string;
/** Actors this file created (deleted in afterAll). */
const created: string[] = [];

const url = (path: string, filter: unknown, extra = '') => `${server.url}${path}?filter=${encodeURIComponent(JSON.stringify(filter))}${extra}`;
const csvUrl = (filter: unknown) => url('/export/lacunes.csv', filter);

/** The export as text (BOM kept), its status and headers; the CSV rows as records by column name. */
async function exportCsv(filter: unknown) {
  const res = await fetch(csvUrl(filter));
  // Response.text() would drop the BOM: decoded keeping it.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
  return { res, text, rows: res.status === 200 ? parse<Record<string, string>>(text, { delimiter: ';', columns: true, bom: true }) : [] };
}

/** Today in Paris as YYYY-MM-DD, read from the parts of a French date. */
function today(): string {
  const parts = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Communes of Meuse outside the EPCI of Verdun, from the territory table: the expected gaps. */
async function meuseGapCodes(): Promise<string[]> {
  const rows: { code: string }[] = await server.ds.query(
    `SELECT code FROM territory WHERE level = 'COMMUNE' AND departement_code = '55' AND epci_code IS DISTINCT FROM $1 ORDER BY code`,
    [epci],
  );
  return rows.map((r) => r.code);
}

/** Every gap the `gaps` query gives for a filter, page by page (1,000 a page). */
async function gapsThroughGraphQL(filter: unknown) {
  const rows: { rank: number; actorCount: number; nearestActorKm: number | null; territory: { code: string } }[] = [];
  for (let offset = 0; ; offset += 1000) {
    const data = await ok(
      server.gql(
        `query ($f: GapFilterInput, $o: Int!) { gaps(filter: $f, first: 1000, offset: $o) { totalCount rows { rank actorCount nearestActorKm territory { code } } } }`,
        { f: filter, o: offset },
      ),
    );
    rows.push(...data.gaps.rows);
    if (rows.length >= data.gaps.totalCount) return rows;
  }
}

const fileName = (res: Response) => res.headers.get('content-disposition')?.match(/filename="([^"]+)"/)?.[1];

beforeAll(async () => {
  server = await startTestServer();
  member = await server.signedIn({ email: `membre${DOMAIN}`, password: 'mot de passe de test', displayName: 'Membre inscrit' });
  epci = await epciOf(server, VERDUN);
  created.push(
    (
      await server.createActor({
        name: 'Gapexport Vaccination Grand Verdun',
        kind: 'ASSOCIATION',
        sector: 'SANTE',
        themes: [THEME],
        communeCode: VERDUN,
        territories: [{ level: 'EPCI', code: epci }],
        source: SOURCE,
      })
    ).id,
  );
});

afterAll(async () => {
  if (!server) return;
  if (created.length) await server.ds.query(`DELETE FROM actor WHERE id = ANY($1::uuid[])`, [created]);
  const drift = await server.ds.query(DRIFT);
  await server.close();
  expect(drift).toEqual([]);
});

describe('CSV of the gaps', () => {
  it('should write every gap of the filter, not the first page, in the order of the gaps query', async () => {
    const { res, text, rows } = await exportCsv(MEUSE_FILTER);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.slice(1).split('\r\n')[0]).toBe(HEADER.join(';'));
    const expected = await meuseGapCodes();
    // More than the 100 the page lists.
    expect(expected.length).toBeGreaterThan(100);
    expect(rows.map((r) => r.code).sort()).toEqual(expected);
    expect(rows.map((r) => r.rang)).toEqual(rows.map((_, i) => String(i + 1)));
    const graphql = await gapsThroughGraphQL(MEUSE_FILTER);
    expect(rows.map((r) => r.code)).toEqual(graphql.map((r) => r.territory.code));
  });

  it('should put the labels next to the codes: level, territory, département and région names', async () => {
    const { rows } = await exportCsv(MEUSE_FILTER);
    const names = new Map(
      (await server.ds.query<{ code: string; name: string }[]>(`SELECT code, name FROM territory WHERE level = 'COMMUNE' AND departement_code = '55'`)).map(
        (r) => [r.code, r.name],
      ),
    );
    for (const r of rows) {
      expect(r).toMatchObject({ niveau: 'commune', departement_code: '55', departement: 'Meuse', region_code: '44', region: 'Grand Est' });
      expect(r.territoire).toBe(names.get(r.code));
    }
    const epciLevel = await exportCsv({ scope: { level: 'REGION', code: '44' }, level: 'EPCI', themes: [THEME] });
    expect(epciLevel.res.status).toBe(200);
    expect(epciLevel.rows.length).toBeGreaterThan(0);
    expect(epciLevel.rows.every((r) => r.niveau === 'EPCI' && r.region === 'Grand Est' && r.departement !== '')).toBe(true);
    const departements = await exportCsv({ level: 'DEPARTEMENT', themes: [THEME] });
    const moselle = departements.rows.find((r) => r.code === '57');
    expect(moselle).toMatchObject({ niveau: 'département', territoire: 'Moselle', departement_code: '57', departement: 'Moselle', region: 'Grand Est' });
  });

  it('should write decimals with a comma and the figures of the gaps query', async () => {
    const { rows } = await exportCsv(MEUSE_FILTER);
    const graphql = new Map((await gapsThroughGraphQL(MEUSE_FILTER)).map((r) => [r.territory.code, r]));
    const decimals = rows.map((r) => r.distance_acteur_le_plus_proche_km).filter((d) => d.includes(','));
    expect(decimals.length).toBeGreaterThan(0);
    for (const r of rows) {
      for (const column of HEADER.slice(8).filter((c) => c !== 'couverture')) expect(r[column], `${r.code} ${column}`).toMatch(/^(-?\d+(,\d+)?)?$/);
      const g = graphql.get(r.code)!;
      expect(Number(r.distance_acteur_le_plus_proche_km.replace(',', '.'))).toBe(g.nearestActorKm);
      expect(Number(r.acteurs)).toBe(g.actorCount);
    }
  });

  it('should name the file after its scope, level, themes and date', async () => {
    expect(fileName((await exportCsv(MEUSE_FILTER)).res)).toBe(`lacunes_departement-55-meuse_communes_vaccination_${today()}.csv`);
    const region = await fetch(csvUrl({ scope: { level: 'REGION', code: '44' }, level: 'EPCI' }));
    expect(fileName(region)).toBe(`lacunes_region-44-grand-est_epci_tous-themes_${today()}.csv`);
    await region.body?.cancel();
    const france = await fetch(csvUrl({ level: 'DEPARTEMENT', themes: ['sante-mentale', THEME] }));
    expect(fileName(france)).toBe(`lacunes_france_departements_sante-mentale+vaccination_${today()}.csv`);
    await france.body?.cancel();
    const any = await fetch(csvUrl({ ...MEUSE_FILTER, presence: 'ANY' }));
    expect(fileName(any)).toBe(`lacunes_departement-55-meuse_communes_vaccination_toute-couverture_${today()}.csv`);
    await any.body?.cancel();
  });

  it('should page through more gaps than one page of the service holds (Grand Est communes)', { timeout: 180_000 }, async () => {
    const filter = { scope: { level: 'REGION', code: '44' }, level: 'COMMUNE', themes: [THEME] };
    const { res, rows } = await exportCsv(filter);
    expect(res.status).toBe(200);
    const [{ n }] = await server.ds.query(
      `SELECT count(*)::int AS n FROM territory WHERE level = 'COMMUNE' AND region_code = '44' AND epci_code IS DISTINCT FROM $1`,
      [epci],
    );
    // Over the 5,000 rows of a page of GapService.gaps.
    expect(n).toBeGreaterThan(5000);
    expect(rows).toHaveLength(n);
    expect(new Set(rows.map((r) => r.code)).size).toBe(n);
    expect(rows.at(-1)!.rang).toBe(String(n));
  });
});

describe('local presence', () => {
  it('should keep as gaps, and say so, the communes a régional actor alone covers; with presence ANY they are not gaps', { timeout: 180_000 }, async () => {
    const before = await exportCsv(MEUSE_FILTER);
    expect(before.rows.every((r) => r.couverture === 'Aucun acteur' && r.acteurs_regionaux_ou_nationaux === '0')).toBe(true);
    const { id } = await server.createActor({
      name: 'Gapexport Réseau régional',
      kind: 'ASSOCIATION',
      sector: 'SANTE',
      themes: [THEME],
      territories: [{ level: 'REGION', code: '44' }],
      source: SOURCE,
    });
    created.push(id);
    const { rows } = await exportCsv(MEUSE_FILTER);
    expect(rows.map((r) => r.code).sort()).toEqual(await meuseGapCodes());
    for (const r of rows) {
      expect(r).toMatchObject({
        couverture: 'Seulement des acteurs régionaux ou nationaux',
        acteurs_presents_localement: '0',
        dont_fiche_verifiee_recemment: '0',
        acteurs_regionaux_ou_nationaux: '1',
      });
    }
    const any = await exportCsv({ ...MEUSE_FILTER, presence: 'ANY' });
    expect(any.res.status).toBe(200);
    expect(any.rows).toEqual([]);
    await server.ds.query(`DELETE FROM actor WHERE id = $1`, [id]);
  });
});

describe('moderation', () => {
  it('should count a pending actor in no export, and count it once an administrator validates it', { timeout: 180_000 }, async () => {
    const res = await member.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id reviewStatus } }`, {
      input: {
        name: 'Gapexport Association de toute la Meuse',
        kind: 'ASSOCIATION',
        sector: 'SANTE',
        themes: [THEME],
        communeCode: VERDUN,
        territories: [{ level: 'DEPARTEMENT', code: '55' }],
        source: SOURCE,
      },
    });
    const pending = (await ok(res)).createActor;
    created.push(pending.id);
    expect(pending.reviewStatus).toBe('PENDING_REVIEW');

    const { rows } = await exportCsv(MEUSE_FILTER);
    expect(rows.map((r) => r.code).sort()).toEqual(await meuseGapCodes());
    expect(rows.every((r) => r.acteurs === '0')).toBe(true);
    const map = await fetch(url('/export/couverture.geojson', MEUSE_FILTER, '&zoom=9'));
    const fc = (await map.json()) as GeoJSON.FeatureCollection;
    const uncovered = fc.features.filter((f) => f.properties!.actorCount === 0).map((f) => String(f.id));
    expect(uncovered.sort()).toEqual(await meuseGapCodes());

    // The same actor validated covers every commune of Meuse: the export would show it.
    await ok(server.admin.gql(`mutation ($id: ID!) { validateActor(id: $id, reason: "test") { reviewStatus } }`, { id: pending.id }));
    const after = await exportCsv(MEUSE_FILTER);
    expect(after.res.status).toBe(200);
    expect(after.rows).toEqual([]);
    expect(after.text).toBe(`\uFEFF${HEADER.join(';')}\r\n`);
    await server.ds.query(`DELETE FROM actor WHERE id = $1`, [pending.id]);
  });
});

describe('GeoJSON of the coverage map', () => {
  it('should give every territory of the scope with its figures, labels and the distance to the nearest actor', async () => {
    const res = await fetch(url('/export/couverture.geojson', MEUSE_FILTER, '&zoom=9'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/geo+json; charset=utf-8');
    expect(fileName(res)).toBe(`couverture_departement-55-meuse_communes_vaccination_${today()}.geojson`);
    const fc = (await res.json()) as GeoJSON.FeatureCollection;
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM territory WHERE level = 'COMMUNE' AND departement_code = '55'`);
    expect(fc.features).toHaveLength(n);
    for (const f of fc.features) {
      expect(f.geometry).not.toBeNull();
      expect(f.properties).toMatchObject({ niveau: 'commune', departementCode: '55', departement: 'Meuse', regionCode: '44', region: 'Grand Est' });
      expect(typeof f.properties!.nearestActorKm).toBe('number');
    }
  });
});

describe('hostile requests', () => {
  const refused = async (path: string, status = 400) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.status, path).toBe(status);
    expect(res.headers.get('content-disposition')).toBeNull();
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    return body.errors[0].message;
  };

  it('should answer 400 in French to malformed, oversized or repeated filters, on both exports', async () => {
    for (const path of ['/export/lacunes.csv', '/export/couverture.geojson']) {
      expect(await refused(`${path}?filter=%7Bpas-du-json`)).toContain('ce n’est pas du JSON');
      const huge = JSON.stringify({ ...MEUSE_FILTER, themes: [THEME, 'x'.repeat(8100)] });
      expect(await refused(`${path}?filter=${encodeURIComponent(huge)}`)).toContain('Paramètre « filter » invalide');
      expect(await refused(`${path}?filter=%7B%7D&filter=%7B%7D`)).toContain('Paramètre « filter » invalide');
    }
  });

  it('should refuse what the gaps query refuses: unknown themes, fields, levels and codes, impossible levels, bad thresholds', async () => {
    for (const [filter, message] of [
      [{ ...MEUSE_FILTER, themes: ['astrologie'] }, 'astrologie'],
      [{ ...MEUSE_FILTER, commune: VERDUN }, 'champ inconnu « commune »'],
      [{ ...MEUSE_FILTER, level: 'REGION' }, 'niveau(x) inconnu(s) : REGION'],
      [{ ...MEUSE_FILTER, level: '__proto__' }, 'Filtre invalide'],
      [{ ...MEUSE_FILTER, scope: { level: 'toString', code: '55' } }, 'Filtre invalide'],
      [{ ...MEUSE_FILTER, scope: { level: 'DEPARTEMENT', code: '99' } }, '99'],
      [{ scope: { level: 'EPCI', code: epci }, level: 'DEPARTEMENT' }, 'Niveau impossible'],
      [{ ...MEUSE_FILTER, minActors: 0 }, 'minActors'],
    ] as const) {
      const query = `query ($f: GapFilterInput) { gaps(filter: $f, first: 1) { totalCount } }`;
      const graphql = await server.gql(query, { f: filter });
      expect(graphql.errors?.length, JSON.stringify(filter)).toBeGreaterThan(0);
      for (const path of ['/export/lacunes.csv', '/export/couverture.geojson']) {
        expect(await refused(`${path}?filter=${encodeURIComponent(JSON.stringify(filter))}`)).toContain(message);
      }
    }
  });

  it('should give every one of many exports at once the same whole file, or a French « busy » answer, never a 500', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => exportCsv(MEUSE_FILTER)));
    const whole = answers.filter((a) => a.res.status === 200);
    expect(whole.length).toBeGreaterThan(0);
    expect(new Set(whole.map((a) => a.text)).size).toBe(1);
    expect(whole[0].rows.map((r) => r.code).sort()).toEqual(await meuseGapCodes());
    for (const busy of answers.filter((a) => a.res.status !== 200)) {
      expect(busy.res.status).toBe(503);
      expect((JSON.parse(busy.text) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('SERVICE_BUSY');
    }
  });

  it('should refuse a zoom out of 0–18 for the map', async () => {
    for (const zoom of ['19', '-1', 'abc', '1e3', '']) {
      expect(await refused(`/export/couverture.geojson?zoom=${zoom}&filter=${encodeURIComponent(JSON.stringify(MEUSE_FILTER))}`)).toContain('« zoom »');
    }
  });

  it('should refuse more gaps than the cap with their count, before writing anything', { timeout: 180_000 }, async () => {
    const message = await refused(`/export/lacunes.csv?filter=${encodeURIComponent(JSON.stringify({ level: 'COMMUNE', themes: [THEME] }))}`);
    expect(message).toMatch(/^Ce filtre donne [\d\s\u202f]+ lacunes : un export en compte 10\u202f000 au plus/);
    // The coverage map of every commune of France, as the coverage query's cost limit refuses it.
    const map = await refused(`/export/couverture.geojson?filter=${encodeURIComponent(JSON.stringify({ level: 'COMMUNE' }))}`);
    expect(map).toMatch(/^Carte trop vaste/);
    const graphql = await server.gql(`query ($f: GapFilterInput) { coverage(filter: $f) { features } }`, { f: { level: 'COMMUNE' } });
    expect(graphql.status).toBe(400);
  });
});
