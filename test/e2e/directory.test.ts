import { beforeAll, expect, it } from 'vitest';
import { mapIdle, describeInBrowser, keepScreenshot } from '../helpers/browser.js';

const SOURCE = 'test:e2e/directory.test.ts';

describeInBrowser('directory in a real browser (Chromium)', (s) => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const create = async (key: string, input: Record<string, unknown>) => {
      const res = await s.server.admin.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id } }`, {
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

  it('searches a commune by name and shows its actors on the map and in the list', async () => {
    await s.page.goto(s.server.url);
    const box = s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ });
    await box.fill('verdun');
    await s.page
      .getByRole('option', { name: /Verdun.*Meuse/ })
      .first()
      .waitFor();
    await box.press('Enter');
    await s.page.waitForURL(/\/communes\/55545/);
    await expect.poll(() => s.page.getByRole('heading', { level: 1 }).textContent()).toMatch(/Verdun/);
    await s.page.getByRole('link', { name: 'Meuse Sans Tabac' }).waitFor();
    await s.page.getByRole('link', { name: 'Écoute Santé Mentale Verdun' }).waitFor();
    await expect.poll(() => s.page.locator('#results-title').textContent()).toMatch(/2 acteurs/);
    await mapIdle(s.page);
    expect(await s.page.locator('.maplibregl-canvas').count()).toBe(1);
    await keepScreenshot(s.page, 'commune-verdun.png');
  });

  it('filters the list by theme, with facet counts', async () => {
    const addictions = s.page.getByRole('checkbox', { name: /Prévention des addictions \(1\)/ });
    // The DSFR draws the box from the label, over the hidden input: the click lands on the label, as a person's does.
    await addictions.check({ force: true });
    await expect.poll(() => s.page.locator('#results-title').textContent()).toMatch(/^1 acteur$/);
    await s.page.waitForURL(/themes=addictions/);
    expect(await s.page.getByRole('link', { name: 'Écoute Santé Mentale Verdun' }).count()).toBe(0);
    await keepScreenshot(s.page, 'commune-verdun-filtre.png');
  });

  it('opens an actor page with its themes and territory', async () => {
    await s.page.getByRole('link', { name: 'Meuse Sans Tabac' }).click();
    await s.page.waitForURL(new RegExp(`/acteurs/${ids.tabac}`));
    await expect.poll(() => s.page.getByRole('heading', { level: 1 }).textContent()).toBe('Meuse Sans Tabac');
    await s.page.getByText('Ateliers de prévention du tabagisme').waitFor();
    await s.page.getByText('Tabac', { exact: true }).waitFor();
    await mapIdle(s.page);
    await keepScreenshot(s.page, 'fiche-acteur.png');
  });

  it('finds a commune by postal code', async () => {
    await s.page.goto(s.server.url);
    const box = s.page.getByRole('combobox');
    await box.fill('93200');
    await s.page
      .getByRole('option', { name: /Saint-Denis/ })
      .first()
      .click();
    await s.page.waitForURL(/\/communes\/93066/);
    await s.page.getByText(/Aucun acteur ne correspond/).waitFor();
  });
});
