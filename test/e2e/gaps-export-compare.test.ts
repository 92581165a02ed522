import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { ConsoleMessage, Request, Response } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, mapIdle, keepScreenshot } from '../helpers/browser.js';
import { epciOf } from '../helpers/factories.js';

const SOURCE = 'test:e2e/gaps-export-compare.test.ts';
const THEME = 'vaccination';
const MEUSE_PAGE = `/lacunes?region=44&departement=55&niveau=COMMUNE&theme=${THEME}`;

/** Today in Paris as YYYY-MM-DD, read from the parts of a French date. */
function today(): string {
  const parts = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The gaps page's exports, its comparison, its overseas collectivités without map and its loading state. */
describeInBrowser('gaps page: exports, comparison, scopes without map (Chromium)', (s) => {
  let epci: string;

  beforeAll(async () => {
    epci = await epciOf(s.server, '55545');
    await s.server.createActor({
      name: 'Exportcmp Vaccination Grand Verdun',
      kind: 'ASSOCIATION',
      sector: 'SANTE',
      themes: [THEME],
      communeCode: '55545',
      territories: [{ level: 'EPCI', code: epci }],
      source: SOURCE,
    });
  });

  const communesOf = async (departement: string, outsideEpci?: string): Promise<number> => {
    const [{ n }] = await s.server.ds.query(
      `SELECT count(*)::int AS n FROM territory WHERE level = 'COMMUNE' AND departement_code = $1 AND ($2::text IS NULL OR epci_code IS DISTINCT FROM $2)`,
      [departement, outsideEpci ?? null],
    );
    return n;
  };

  it('should download every gap as a CSV from the server: all rows, a BOM, decimal commas, a telling name', async () => {
    const { page, server } = s;
    await page.goto(`${server.url}${MEUSE_PAGE}`);
    await expect.poll(() => page.locator('#gaps-title').textContent(), { timeout: 30_000 }).toMatch(/\(\d/);
    const expected = await communesOf('55', epci);
    // The page lists the first 100; the file has them all.
    expect(await page.locator('.gap-list tbody tr').count()).toBe(100);
    expect(expected).toBeGreaterThan(100);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Exporter en CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`lacunes_departement-55-meuse_communes_${THEME}_${today()}.csv`);
    const bytes = fs.readFileSync(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse<Record<string, string>>(bytes.toString('utf8'), { delimiter: ';', columns: true, bom: true });
    expect(rows).toHaveLength(expected);
    expect(rows.every((r) => r.departement === 'Meuse' && r.region === 'Grand Est' && r.niveau === 'commune')).toBe(true);
    expect(rows.some((r) => /^\d+,\d+$/.test(r.distance_acteur_le_plus_proche_km))).toBe(true);
    expect(rows.some((r) => r.distance_acteur_le_plus_proche_km.includes('.'))).toBe(false);

    const [map] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Exporter la carte (GeoJSON)' }).click()]);
    expect(map.suggestedFilename()).toBe(`couverture_departement-55-meuse_communes_${THEME}_${today()}.geojson`);
    const fc = JSON.parse(fs.readFileSync(await map.path(), 'utf8')) as GeoJSON.FeatureCollection;
    expect(fc.features).toHaveLength(await communesOf('55'));
  });

  it('should compare territories side by side with the figures of compareCoverage', async () => {
    const { page, server } = s;
    await page.goto(`${server.url}${MEUSE_PAGE}`);
    await expect.poll(() => page.locator('#gaps-title').textContent(), { timeout: 30_000 }).toMatch(/\(\d/);
    const section = page.getByRole('region', { name: 'Comparer des territoires' });
    await section.getByRole('button', { name: 'Ajouter Meuse' }).click();
    const search = section.getByRole('combobox', { name: 'Ajouter un territoire à comparer' });
    await search.fill('Moselle');
    await section.getByRole('option', { name: /Moselle.*\(57\)/ }).click();
    await section.getByRole('table', { name: 'Ensemble des thèmes retenus' }).waitFor({ timeout: 30_000 });

    const api = await server.gql(
      `query ($scopes: [TerritoryRefInput!]!, $filter: GapFilterInput) { compareCoverage(scopes: $scopes, filter: $filter) { scopes { summary { gapCount actorCount territoryCount } } } }`,
      {
        scopes: [
          { level: 'DEPARTEMENT', code: '55' },
          { level: 'DEPARTEMENT', code: '57' },
        ],
        filter: { level: 'COMMUNE', themes: [THEME], fieldActorsOnly: true },
      },
    );
    expect(api.errors).toBeUndefined();
    const table = section.getByRole('table', { name: 'Ensemble des thèmes retenus' });
    expect(await table.locator('thead th').allTextContents()).toEqual(['Indicateur', 'Meuse', 'Moselle']);
    const gapRow = table.locator('tr', { has: page.getByRole('rowheader', { name: 'Lacunes', exact: true }) });
    const fr = (x: number) => x.toLocaleString('fr-FR');
    expect((await gapRow.locator('td').allInnerTexts()).map((t) => t.replace(/\s/g, ''))).toEqual(
      api.data.compareCoverage.scopes.map((c: { summary: { gapCount: number } }) => fr(c.summary.gapCount).replace(/\s/g, '')),
    );
    // Meuse's gaps: its communes outside the fixture's EPCI, counted from the territory table.
    expect(api.data.compareCoverage.scopes[0].summary.gapCount).toBe(await communesOf('55', epci));
    const byTheme = section.getByRole('table', { name: /par thème/ });
    expect(await byTheme.locator('tbody th').allTextContents()).toHaveLength(1);
    await keepScreenshot(page, 'lacunes-comparaison.png', { fullPage: true });
  });

  it('should not offer the overseas collectivités, say why when a link names one, and ask for no tile', async () => {
    const { page, server } = s;
    const tiles: string[] = [];
    const failed: string[] = [];
    const errors: string[] = [];
    const onRequest = (r: Request) => void (r.url().includes('/tiles/') && tiles.push(r.url()));
    const onFailed = (r: Request) => void failed.push(`${r.failure()?.errorText} ${r.url()}`);
    const onResponse = async (r: Response) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      else if (r.url().endsWith('/graphql')) {
        const body = (await r.json().catch(() => ({}))) as { errors?: { message: string }[] };
        for (const e of body.errors ?? []) failed.push(`GraphQL : ${e.message}`);
      }
    };
    const onConsole = (m: ConsoleMessage) => void (m.type() === 'error' && errors.push(m.text()));
    page.on('request', onRequest).on('requestfailed', onFailed).on('response', onResponse).on('console', onConsole);
    await page.goto(`${server.url}/lacunes?region=975&niveau=COMMUNE&theme=${THEME}`);
    await page.getByRole('alert').filter({ hasText: 'Saint-Pierre-et-Miquelon est une collectivité d’outre-mer' }).waitFor({ timeout: 30_000 });
    // The régions offered are those with boundaries, from the territory table.
    const withMap: { name: string }[] = await server.ds.query(`SELECT name FROM territory WHERE level = 'REGION' AND geom IS NOT NULL ORDER BY name`);
    const select = page.getByRole('combobox', { name: /^Région/ });
    await expect.poll(async () => (await select.locator('option:not([disabled])').allTextContents()).sort()).toEqual(withMap.map((r) => r.name).sort());
    expect(await page.locator('.summary').count()).toBe(0);
    expect(await page.locator('.maplibregl-map').count()).toBe(0);
    await page.waitForLoadState('networkidle');
    expect(tiles).toEqual([]);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await keepScreenshot(page, 'lacunes-collectivite-outre-mer.png', { fullPage: true });
    // A code of no région at all (an address edited by hand) is said to be one, asking nothing either.
    await page.goto(`${server.url}/lacunes?region=99&niveau=COMMUNE&theme=${THEME}`);
    await page.getByRole('alert').filter({ hasText: 'Aucune région n’a le code « 99 ». Choisissez une région.' }).waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    expect(tiles).toEqual([]);
    expect(failed).toEqual([]);
    // A département of another région: the whole région is analysed, and the page says so, without
    // an error from the map (its coverage source removed while its tiles were loading).
    await page.goto(`${server.url}/lacunes?region=44&departement=13&niveau=COMMUNE&theme=${THEME}`);
    await page
      .getByTestId('ignored-params')
      .filter({ hasText: 'Le département « 13 » n’est pas dans la région Grand Est : toute la région est analysée.' })
      .waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByRole('combobox', { name: /^Département/ }).inputValue()).toBe('');
    await expect.poll(() => tiles.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await mapIdle(page);
    // Nothing of Bouches-du-Rhône was asked for: the région's tiles only.
    const scopes = tiles.map((t) => JSON.parse(new URL(t).searchParams.get('filter')!).scope);
    expect(scopes.every((sc: { level: string; code: string }) => sc.level === 'REGION' && sc.code === '44')).toBe(true);
    // A tile the map no longer needs (its frame moved) is cancelled: no failure.
    expect(failed.filter((f) => !f.startsWith('net::ERR_ABORTED '))).toEqual([]);
    expect(errors).toEqual([]);
    await page.getByRole('combobox', { name: /^Département/ }).selectOption('55');
    await expect.poll(() => page.getByTestId('ignored-params').count()).toBe(0);
    // A level or a theme that is none: left out and said too, never sent to the API.
    failed.length = 0;
    await page.goto(`${server.url}/lacunes?region=44&niveau=QUARTIER&theme=astrologie`);
    const notice = page.getByTestId('ignored-params');
    await notice.filter({ hasText: 'Le thème « astrologie » n’existe pas' }).waitFor({ timeout: 30_000 });
    expect((await notice.textContent())!.replace(/\s+/g, ' ').trim()).toBe(
      'Le niveau « QUARTIER » n’existe pas : les communes sont analysées. Le thème « astrologie » n’existe pas : tous les thèmes sont analysés.',
    );
    await page.waitForURL(/niveau=COMMUNE$/);
    await page.locator('#gaps-title').filter({ hasText: /\(\d/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(failed.filter((f) => !f.startsWith('net::ERR_ABORTED '))).toEqual([]);
    page.off('request', onRequest).off('requestfailed', onFailed).off('response', onResponse).off('console', onConsole);
  });

  it('should replace the figures of the previous scope by a loading state while the new one computes', async () => {
    const { page, server } = s;
    await page.goto(`${server.url}${MEUSE_PAGE}`);
    const meuse = await communesOf('55');
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`sur ${meuse}\\b`));
    await mapIdle(page);
    // The next analysis waits, held in the browser, until the page has been looked at.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/graphql', async (route) => {
      if (route.request().postData()?.includes('query GapsPage')) await held;
      await route.continue();
    });
    await page.getByRole('combobox', { name: /^Département/ }).selectOption('54');
    await page.getByTestId('figures-loading').waitFor();
    expect(await page.locator('.summary').count()).toBe(0);
    expect(await page.locator('.gap-list').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toMatch(new RegExp(`sur ${meuse}\\b`));
    await keepScreenshot(page, 'lacunes-calcul-en-cours.png', { fullPage: true });
    release();
    const mm = await communesOf('54');
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`sur ${mm}\\b`));
    await page.unroute('**/graphql');
  });
});
