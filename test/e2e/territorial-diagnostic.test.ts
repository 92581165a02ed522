import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserSession, hasChromium, openBrowserSession, SHOTS, keepScreenshot } from '../helpers/browser.js';
import { epciOf, ok } from '../helpers/factories.js';
import type { TestServer } from '../helpers/server.js';

const SOURCE = 'test:e2e/territorial-diagnostic.test.ts';
const LIST = ['55545', '55029'];

const QUERY = `query ($communes: [String!]) {
  territorialDiagnostic(perimeter: { communes: $communes }) {
    perimeter { label population }
    coverage { byTheme { theme { code label } localActorCount wideActorCount communeCount gapCount gapPopulation wideOnlyCommuneCount } }
    network { actorCount linkCount }
    freshness { actorCount neverVerifiedCount staleOnlyCommuneCount }
  }
}`;

/** The text of a PDF, page by page, whitespace collapsed (French numbers use narrow no-break spaces). */
async function pdfPages(bytes: Uint8Array): Promise<{ text: string; width: number; height: number }[]> {
  const doc = await getDocument({ data: bytes, useSystemFonts: false, isEvalSupported: false }).promise;
  const pages = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const content = await page.getTextContent();
    const text = content.items
      .map((item) => ('str' in item ? item.str : ''))
      .join(' ')
      .replace(/\s+/g, ' ');
    const [, , width, height] = page.view;
    pages.push({ text, width, height });
  }
  await doc.destroy();
  return pages;
}

const fr = (x: number) => x.toLocaleString('fr-FR').replace(/\s/g, ' ');

// Needs Debian's Chromium (.ci/run installs it); reported as skipped, with this reason, without it.
describe.skipIf(!hasChromium)('territorial diagnostic in a real browser (Chromium)', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ server, browser, page } = await openBrowserSession());
    const asso = { kind: 'ASSOCIATION', sector: 'SOCIAL', source: SOURCE };
    await server.createActor({
      ...asso,
      name: 'Diag Asso de Verdun',
      themes: ['sante-mentale'],
      communeCode: '55545',
      territories: [{ level: 'COMMUNE', code: '55545' }],
    });
    await server.createActor({ ...asso, name: 'Diag Réseau régional', themes: ['sante-mentale'], territories: [{ level: 'REGION', code: '44' }] });
    await server.createActor({
      ...asso,
      name: 'Diag Vaccination du Grand Verdun',
      themes: ['vaccination'],
      territories: [{ level: 'EPCI', code: await epciOf(server, '55545') }],
    });
  });

  afterAll(() => closeBrowserSession({ server, browser }));

  it('should print a list of communes on A4 with the headings and figures the API gives', async () => {
    await page.goto(`${server.url}/diagnostic?communes=${LIST.join(',')}`);
    await page.getByRole('heading', { name: 'Diagnostic territorial : Liste de 2 communes' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('textarea').inputValue()).toBe(LIST.join(', '));
    await page.getByRole('button', { name: 'Imprimer / Enregistrer en PDF' }).waitFor();
    const api = (await ok(server.gql(QUERY, { communes: LIST }))).territorialDiagnostic;
    const mental = api.coverage.byTheme.find((t: { theme: { code: string } }) => t.theme.code === 'sante-mentale');
    expect(mental).toMatchObject({ localActorCount: 1, wideActorCount: 1, gapCount: 1, wideOnlyCommuneCount: 1 });

    // On screen: the same figures in the rows of the two tables.
    const actorsRow = page.locator('[data-table="actors"] tr[data-theme="sante-mentale"] td');
    expect(await actorsRow.allTextContents()).toEqual([fr(1), fr(1)]);
    const gapsRow = page.locator('[data-table="gaps"] tr[data-theme="sante-mentale"] td');
    expect((await gapsRow.allTextContents()).slice(0, 3).map((t) => t.replace(/\s/g, ' '))).toEqual([`1 sur 2`, fr(mental.gapPopulation), fr(1)]);
    await keepScreenshot(page, 'diagnostic-liste.png', { fullPage: true });

    // Printed: the application's banner, menu, footer and the form stay off the document.
    await page.emulateMedia({ media: 'print' });
    for (const hidden of ['body > #app > header', 'body > #app > footer', 'form.controls', 'h1']) {
      expect(await page.locator(hidden).first().isVisible(), hidden).toBe(false);
    }
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    fs.writeFileSync(path.join(SHOTS, 'diagnostic-liste.pdf'), pdf);
    await page.emulateMedia({ media: 'screen' });
    const pages = await pdfPages(new Uint8Array(pdf));
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages.length).toBeLessThanOrEqual(3);
    for (const p of pages) {
      // A4 in PostScript points (210 × 297 mm).
      expect(Math.round(p.width)).toBe(595);
      expect(Math.round(p.height)).toBe(842);
    }
    const text = pages.map((p) => p.text).join(' ');
    for (const heading of [
      `Diagnostic territorial : ${api.perimeter.label}`,
      '1. Acteurs par thème',
      '2. Lacunes par thème',
      '3. Coalitions et réseau',
      '4. Fraîcheur des fiches',
    ]) {
      expect(text).toContain(heading);
    }
    expect(text).not.toContain('Établir le diagnostic');
    expect(text).not.toContain('Zones sans acteurs');
    expect(text.match(/Source : /g)).toHaveLength(4);
    expect(text).toContain(`${fr(api.perimeter.population)} habitants`);
    // Each theme's row, in both tables, with the API's numbers.
    for (const t of api.coverage.byTheme) {
      expect(text).toContain(`${t.theme.label} ${fr(t.localActorCount)} ${fr(t.wideActorCount)}`);
      expect(text).toContain(`${t.theme.label} ${fr(t.gapCount)} sur ${fr(t.communeCount)} ${fr(t.gapPopulation)} ${fr(t.wideOnlyCommuneCount)}`);
    }
    expect(text).toContain(`${fr(api.network.actorCount)} acteurs couvrent le périmètre ; ${fr(api.network.linkCount)} liens`);
    expect(text).toContain(`${fr(api.freshness.staleOnlyCommuneCount)} commune`);
  });

  it('should diagnose a département chosen in the territory search, then the communes of an imported CSV', async () => {
    await page.goto(`${server.url}/diagnostic`);
    // Each suggestion says what it is and where: « EPCIMeuse » ran the two together before.
    await page.getByRole('combobox', { name: 'Commune, EPCI ou département' }).fill('Grand Verdun');
    await expect.poll(() => page.getByRole('option').first().innerText(), { timeout: 10_000 }).toBe('CA du Grand Verdun\nEPCI · Meuse (200049187)');
    await page.getByRole('combobox', { name: 'Commune, EPCI ou département' }).fill('Meuse');
    await page.getByRole('option', { name: /Meuse.*\(55\)/ }).click();
    await page.getByRole('heading', { name: 'Diagnostic territorial : Meuse (département 55)' }).waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).search).toBe('?departement=55');
    // The DSFR draws the box from the label, over the hidden input: the click lands on the label, as a person's does.
    await page.getByRole('radio', { name: 'Une liste de communes' }).check({ force: true });
    const csv = 'code_insee;nom;code_postal\r\n55545;Verdun;55100\r\n55029;Bar-le-Duc;55000\r\n';
    await page.locator('input[type="file"]').setInputFiles({ name: 'cls.csv', mimeType: 'text/csv', buffer: Buffer.from(`\ufeff${csv}`) });
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'cls.csv' }).textContent()).toBe('2 codes lus dans « cls.csv ».');
    expect(await page.locator('textarea').inputValue()).toBe('55545, 55029');
    await page.getByRole('button', { name: 'Établir le diagnostic' }).click();
    await page.getByRole('heading', { name: 'Diagnostic territorial : Liste de 2 communes' }).waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get('communes')).toBe('55545,55029');
  });

  it('should open the diagnostic of the département shown on the gaps page', async () => {
    await page.goto(`${server.url}/lacunes?region=44&departement=55&niveau=COMMUNE`);
    await page.getByRole('link', { name: 'Diagnostic territorial imprimable de ce département' }).click();
    await page.getByRole('heading', { name: 'Diagnostic territorial : Meuse (département 55)' }).waitFor({ timeout: 30_000 });
  });

  it('should open the diagnostic of a commune and of its EPCI from the commune’s page', async () => {
    await page.goto(`${server.url}/communes/55545`);
    await page.locator('main').getByRole('link', { name: 'Diagnostic territorial', exact: true }).click();
    await page.getByRole('heading', { name: 'Diagnostic territorial : Verdun (commune 55545)' }).waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).search).toBe('?commune=55545');
    await page.goBack();
    await page.getByRole('link', { name: 'Diagnostic de l’EPCI' }).click();
    await page.getByRole('heading', { name: /^Diagnostic territorial : .+ \(EPCI \d{9}\)$/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-table="actors"] tr[data-theme="vaccination"] td').first().textContent()).toBe('1');
  });
});
