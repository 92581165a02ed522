import fs from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { runSeeds } from '../../seeds/index.js';
import { axeViolations } from '../helpers/axe.js';
import { describeInBrowser, keepScreenshot } from '../helpers/browser.js';
import { TEST_DEPARTEMENTS } from '../setup/template-database.js';

/**
 * The commune search of issue 16 in Chromium, on the real organisations of the seed (public
 * documents): a postal code and Enter open the commune it serves, the local association comes
 * before the ARS and the national bodies, « Acteurs de proximité seulement » keeps the local ones,
 * and a theme's count says what ticking it gives once another theme is ticked.
 */
describeInBrowser('commune search in a real browser (Chromium)', (s) => {
  const results = () => s.page.locator('#results-title').textContent();
  const LOADED = { timeout: 15_000 };
  const listed = () => s.page.locator('ol.list > li a.name').allTextContents();
  const total = async (filter: Record<string, unknown>) =>
    (await s.server.gql(`query ($filter: ActorFilter) { actors(filter: $filter, first: 0) { totalCount } }`, { filter })).data.actors.totalCount as number;

  beforeAll(async () => {
    await runSeeds(s.server.ds, { departements: TEST_DEPARTEMENTS, publicActors: true });
  }, 600_000);

  it('should open Verdun, whose postal code it is, when 55100 is typed then Enter', async () => {
    await s.page.goto(s.server.url);
    const box = s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ });
    await box.fill('55100');
    await box.press('Enter');
    await s.page.waitForURL(/\/communes\/55545$/);
    await expect.poll(() => s.page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toMatch(/Verdun/);
  });

  it('should label the suggestions of 55100 « code postal » and « code INSEE »', async () => {
    await s.page.goto(s.server.url);
    const box = s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ });
    await box.fill('55100');
    await s.page.getByRole('option', { name: /^Verdun\s*Meuse.*code\s*postal$/ }).waitFor();
    await s.page.getByRole('option', { name: /^Champougny\s*Meuse.*code\s*INSEE$/ }).waitFor();
    expect(await s.page.getByRole('option').first().textContent()).toMatch(/Verdun/);
    await keepScreenshot(s.page, 'recherche-55100.png');
  });

  it('should find Paris 18e and open its page with the actors that cover it', async () => {
    await s.page.goto(s.server.url);
    const box = s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ });
    await box.fill('Paris 18e');
    await s.page.getByRole('option', { name: /Paris 18e Arrondissement/ }).waitFor();
    await box.press('Enter');
    await s.page.waitForURL(/\/communes\/75118$/);
    await expect.poll(() => s.page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toMatch(/Paris 18e Arrondissement/);
    await expect.poll(results, LOADED).toMatch(/\d+ acteurs?/);
    expect(await s.page.getByRole('alert').count()).toBe(0);
  });

  it('should list the local association first for Verdun + Parentalité', async () => {
    await s.page.goto(`${s.server.url}/communes/55545`);
    // The DSFR draws the box from the label, over the hidden input: the click lands on the label, as a person's does.
    await s.page.getByRole('checkbox', { name: /^Parentalité \(\d+\)/ }).check({ force: true });
    await s.page.waitForURL(/themes=parentalite/);
    const expected = await total({ coversCommune: '55545', themesAny: ['parentalite'] });
    await expect.poll(results, LOADED).toBe(`${expected} acteurs`);
    const names = await listed();
    expect(names[0]).toMatch(/^Réseau de l.adolescent en Meuse$/);
    expect(names.indexOf('Agence régionale de santé Grand Est')).toBeGreaterThan(0);
    expect(names.indexOf('Conseil national des villes (CNV)')).toBeGreaterThan(names.indexOf('Agence régionale de santé Grand Est'));
    await keepScreenshot(s.page, 'commune-verdun-parentalite.png');
  });

  it('should keep only the local actors with « Acteurs de proximité seulement », its count the list length', async () => {
    const box = s.page.getByRole('checkbox', { name: /Acteurs de proximité seulement \(\d+\)/ });
    const label = await s.page.locator(`label[for="${await box.getAttribute('id')}"]`).textContent();
    const n = Number(/\((\d+)\)/.exec(label ?? '')![1]);
    expect(n).toBe(await total({ coversCommune: '55545', themesAny: ['parentalite'], presence: 'LOCAL' }));
    expect(n).toBeGreaterThan(0);
    await box.check({ force: true });
    await s.page.waitForURL(/proximite=1/);
    await expect.poll(results, LOADED).toBe(n > 1 ? `${n} acteurs` : `${n} acteur`);
    expect(await listed()).toHaveLength(n);
    expect(await listed()).not.toContain('Agence régionale de santé Grand Est');
    await keepScreenshot(s.page, 'commune-verdun-proximite.png');
    await box.uncheck({ force: true });
    await expect.poll(() => s.page.url()).not.toMatch(/proximite/);
  });

  it('should count a second theme as what ticking it gives, and say that themes combine with « ou »', async () => {
    const alone = await total({ coversCommune: '55545', themesAny: ['sante-sexuelle'] });
    expect(alone).toBeGreaterThan(0);
    const sexual = s.page.getByRole('checkbox', { name: new RegExp(`^Santé sexuelle \\(${alone}\\)`) });
    await sexual.waitFor();
    await expect.poll(() => s.page.locator('legend', { hasText: 'Thèmes' }).textContent()).toMatch(/ou/);
    await sexual.check({ force: true });
    const union = await total({ coversCommune: '55545', themesAny: ['parentalite', 'sante-sexuelle'] });
    await expect.poll(results, LOADED).toBe(`${union} acteurs`);
    await expect.poll(() => s.page.locator('.summary').textContent()).toBe('Parentalité ou Santé sexuelle');
    // Ticked, its count stays what it gives alone.
    await s.page.getByRole('checkbox', { name: new RegExp(`^Santé sexuelle \\(${alone}\\)`) }).waitFor();
    await keepScreenshot(s.page, 'commune-verdun-facettes.png');
  });

  it('should download the search as data·inclusion structures and as HSDS organisations, the same actors as listed', async () => {
    await s.page.goto(`${s.server.url}/communes/55545?themes=parentalite`);
    const expected = await total({ coversCommune: '55545', themesAny: ['parentalite'] });
    await expect.poll(results, LOADED).toBe(`${expected} acteurs`);
    const names = await listed();
    const downloaded = async (name: RegExp) => {
      const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.getByRole('link', { name }).click()]);
      return { file: download.suggestedFilename(), body: JSON.parse(fs.readFileSync(await download.path(), 'utf8')) as { nom?: string; name?: string }[] };
    };
    const structures = await downloaded(/^structures$/);
    expect(structures.file).toMatch(/^data-inclusion-structures-.*\.json$/);
    expect(structures.body.map((r) => r.nom).sort()).toEqual([...names].sort());
    const organizations = await downloaded(/^JSON$/);
    expect(organizations.file).toMatch(/\.json$/);
    expect(organizations.body.map((r) => r.name).sort()).toEqual([...names].sort());
  });

  it('should leave the commune page clean for axe-core, filters ticked', async () => {
    await s.page.getByRole('checkbox', { name: /Acteurs de proximité seulement/ }).check({ force: true });
    await expect.poll(() => s.page.url()).toMatch(/proximite=1/);
    expect(await axeViolations(s.page)).toEqual([]);
  });
});
