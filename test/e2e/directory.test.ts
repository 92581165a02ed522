import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserSession, hasChromium, mapIdle, openBrowserSession, SHOTS } from '../helpers/browser.js';
import type { TestServer } from '../helpers/server.js';

const SOURCE = 'test:e2e/directory.test.ts';

// Browser tests need Debian's Chromium (.ci/run installs it); on a machine without it they are
// reported as skipped, with this reason, rather than failing the rest of the suite.
describe.skipIf(!hasChromium)('directory in a real browser (Chromium)', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ server, browser, page } = await openBrowserSession());
    const create = async (key: string, input: Record<string, unknown>) => {
      const res = await server.admin.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id } }`, {
        input: { source: SOURCE, kind: 'ASSOCIATION', sector: 'SANTE', ...input },
      });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      ids[key] = res.data.createActor.id;
    };
    await create('tabac', {
      name: 'Meuse Sans Tabac',
      themes: ['addictions-tabac'],
      audiences: ['jeunes'],
      lon: 5.39,
      lat: 49.16,
      communeCode: '55545',
      description: 'Ateliers de prévention du tabagisme dans les collèges de Verdun.',
    });
    await create('mentale', {
      name: 'Écoute Santé Mentale Verdun',
      kind: 'CLSM',
      themes: ['sante-mentale'],
      lon: 5.38,
      lat: 49.15,
      territories: [{ level: 'DEPARTEMENT', code: '55' }],
    });
  });

  afterAll(() => closeBrowserSession({ server, browser }));

  it('searches a commune by name and shows its actors on the map and in the list', async () => {
    await page.goto(server.url);
    const box = page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ });
    await box.fill('verdun');
    await page
      .getByRole('option', { name: /Verdun.*Meuse/ })
      .first()
      .waitFor();
    await box.press('Enter');
    await page.waitForURL(/\/communes\/55545/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/Verdun/);
    await page.getByRole('link', { name: 'Meuse Sans Tabac' }).waitFor();
    await page.getByRole('link', { name: 'Écoute Santé Mentale Verdun' }).waitFor();
    await expect.poll(() => page.locator('#results-title').textContent()).toMatch(/2 acteurs/);
    await mapIdle(page);
    expect(await page.locator('.maplibregl-canvas').count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'commune-verdun.png') });
  });

  it('filters the list by theme, with facet counts', async () => {
    const addictions = page.getByRole('checkbox', { name: /Prévention des addictions \(1\)/ });
    await addictions.check();
    await expect.poll(() => page.locator('#results-title').textContent()).toMatch(/^1 acteur$/);
    await page.waitForURL(/themes=addictions/);
    expect(await page.getByRole('link', { name: 'Écoute Santé Mentale Verdun' }).count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'commune-verdun-filtre.png') });
  });

  it('opens an actor page with its themes and territory', async () => {
    await page.getByRole('link', { name: 'Meuse Sans Tabac' }).click();
    await page.waitForURL(new RegExp(`/acteurs/${ids.tabac}`));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Meuse Sans Tabac');
    await page.getByText('Ateliers de prévention du tabagisme').waitFor();
    await page.getByText('Tabac', { exact: true }).waitFor();
    await mapIdle(page);
    await page.screenshot({ path: path.join(SHOTS, 'fiche-acteur.png') });
  });

  it('finds a commune by postal code', async () => {
    await page.goto(server.url);
    const box = page.getByRole('combobox');
    await box.fill('93200');
    await page
      .getByRole('option', { name: /Saint-Denis/ })
      .first()
      .click();
    await page.waitForURL(/\/communes\/93066/);
    await page.getByText(/Aucun acteur ne correspond/).waitFor();
  });
});
