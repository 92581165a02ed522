import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserSession, hasChromium, mapIdle, openBrowserSession } from '../helpers/browser.js';
import type { CookieClient, TestServer } from '../helpers/server.js';

const SOURCE = 'test:e2e/accessibility.test.ts';
const DOMAIN = '@test-e2e-accessibility.local';

/**
 * Every page of the client checked by axe-core (WCAG 2.1 A and AA rules: contrast, labels, names,
 * landmarks, ARIA) in Chromium, once its content is there. A violation fails with its rule, its
 * impact and the elements concerned.
 */
describe.skipIf(!hasChromium)('accessibility of every page (axe-core, WCAG 2.1 AA)', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let actorId: string;
  let coalitionId: string;
  let coordinator: CookieClient;

  beforeAll(async () => {
    ({ server, browser, page } = await openBrowserSession());
    actorId = (
      await server.createActor({
        source: SOURCE,
        name: 'A11y CPTS du Verdunois',
        kind: 'CPTS',
        sector: 'SANTE',
        themes: ['sante-mentale'],
        audiences: ['jeunes'],
        lon: 5.39,
        lat: 49.16,
        communeCode: '55545',
        territories: [{ level: 'DEPARTEMENT', code: '55' }],
        description: 'Coordination des soins et de la prévention.',
      })
    ).id;
    coordinator = await server.signedIn({
      email: `coordination${DOMAIN}`,
      password: 'mot de passe a11y',
      role: 'COORDINATOR',
      actorIds: [actorId],
      displayName: 'Personne coordination',
    });
    const res = await coordinator.gql(`mutation ($input: CreateCoalitionInput!) { createCoalition(input: $input) { id } }`, {
      input: {
        name: 'A11y Coalition santé mentale en Meuse',
        kind: 'CLSM',
        themes: ['sante-mentale'],
        territory: { level: 'DEPARTEMENT', code: '55' },
        startDate: '2025-01-01',
        pilotActorId: actorId,
      },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    coalitionId = res.data.createCoalition.id;
  });

  afterAll(() => closeBrowserSession({ server, browser }));

  async function violations(): Promise<string[]> {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    return result.violations.map(
      (v) =>
        `${v.id} (${v.impact}) : ${v.help} — ${v.nodes
          .slice(0, 5)
          .map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`)
          .join(' | ')}`,
    );
  }

  it.each([
    ['the home page (search)', '/', async () => page.getByRole('combobox').first().waitFor()],
    [
      'a commune, its map and its actors',
      '/communes/55545',
      async () => {
        await page
          .getByRole('heading', { name: /Verdun/ })
          .first()
          .waitFor();
        await page.getByText('A11y CPTS du Verdunois').first().waitFor();
        await mapIdle(page);
      },
    ],
    [
      'the gaps page, its map, list and matrix',
      '/lacunes?region=44&departement=55&niveau=COMMUNE&theme=sante-mentale',
      async () => {
        await page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor({ timeout: 30_000 });
        await mapIdle(page);
      },
    ],
    [
      'the gaps page at EPCI level (a list without links)',
      '/lacunes?region=44&departement=55&niveau=EPCI',
      async () => {
        await page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor({ timeout: 30_000 });
        await mapIdle(page);
      },
    ],
    ['the coalitions', '/coalitions', async () => page.getByText('A11y Coalition santé mentale en Meuse').first().waitFor()],
    ['the log-in page', '/connexion', async () => page.getByRole('heading', { name: 'Créer un compte' }).waitFor()],
    ['a page that does not exist', '/nulle-part', async () => page.getByRole('heading').first().waitFor()],
  ])('%s', async (_name, url, ready) => {
    await page.goto(`${server.url}${url}`);
    await ready();
    expect(await violations()).toEqual([]);
  });

  it('an actor page', async () => {
    await page.goto(`${server.url}/acteurs/${actorId}`);
    await page.getByRole('heading', { name: 'A11y CPTS du Verdunois' }).waitFor();
    await mapIdle(page);
    expect(await violations()).toEqual([]);
  });

  it('the actor page being edited and the coalition page, for its coordinator', async () => {
    const url = new URL(server.url);
    await browser.addCookies([
      { name: 'session', value: coordinator.cookies.get('session')!, domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Lax' },
    ]);
    try {
      await page.goto(`${server.url}/acteurs/${actorId}`);
      await page.getByRole('button', { name: 'Modifier la fiche' }).click();
      await page.getByRole('button', { name: /Enregistrer/ }).waitFor();
      expect(await violations()).toEqual([]);
      await page.goto(`${server.url}/coalitions/${coalitionId}`);
      await page.locator('#members-table').waitFor();
      await expect.poll(() => page.getByTestId('who').textContent()).toContain('coordination');
      expect(await violations()).toEqual([]);
    } finally {
      await browser.clearCookies();
    }
  });

  it('the account page (sessions, password form), signed in, and signed out', async () => {
    const url = new URL(server.url);
    await browser.addCookies([
      { name: 'session', value: coordinator.cookies.get('session')!, domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Lax' },
    ]);
    try {
      await page.goto(`${server.url}/compte`);
      await page.getByTestId('session').first().waitFor();
      await page.getByRole('button', { name: 'Changer le mot de passe' }).waitFor();
      expect(await violations()).toEqual([]);
    } finally {
      await browser.clearCookies();
    }
    await page.goto(`${server.url}/compte`);
    await page.getByTestId('signed-out').waitFor();
    expect(await violations()).toEqual([]);
  });

  it('a coalition page with its network drawing', async () => {
    await page.goto(`${server.url}/coalitions/${coalitionId}`);
    await page.getByRole('heading', { name: 'A11y Coalition santé mentale en Meuse' }).waitFor();
    await page.locator('#members-table').waitFor();
    expect(await violations()).toEqual([]);
  });
});
