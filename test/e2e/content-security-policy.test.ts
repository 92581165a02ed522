import path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserSession, hasChromium, mapIdle, openBrowserSession, SHOTS } from '../helpers/browser.js';
import type { TestServer } from '../helpers/server.js';

/** Every actor of this file carries this source and every account this domain: afterAll removes exactly them. */
const SOURCE = 'test:e2e/content-security-policy.test.ts';
const DOMAIN = '@test-e2e-csp.local';

/**
 * The pages of the client under the server's Content-Security-Policy, in Chromium: not one
 * violation (caught twice: the `securitypolicyviolation` DOM event and Chromium's console
 * message), and the maps (MapLibre: worker, WebGL, vector tiles) and the network drawing (sigma)
 * really drawn, checked on the pixels of their canvases.
 */
describe.skipIf(!hasChromium)('Content-Security-Policy in a real browser (Chromium)', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let actorId: string;
  let coalitionId: string;
  /** Violations seen by the page's listener and by the console, since the last page opened. */
  let consoleViolations: string[] = [];

  beforeAll(async () => {
    ({ server, browser, page } = await openBrowserSession());
    actorId = (
      await server.createActor({
        source: SOURCE,
        name: 'CSP CPTS du Verdunois',
        kind: 'CPTS',
        sector: 'SANTE',
        themes: ['sante-mentale'],
        lon: 5.39,
        lat: 49.16,
        communeCode: '55545',
        territories: [{ level: 'DEPARTEMENT', code: '55' }],
      })
    ).id;
    const partner = await server.createActor({
      source: SOURCE,
      name: 'CSP Collège Buvignier',
      kind: 'EDUCATION_NATIONALE',
      sector: 'EDUCATION',
      themes: ['sante-mentale'],
      lon: 5.38,
      lat: 49.155,
      communeCode: '55545',
      territories: [{ level: 'COMMUNE', code: '55545' }],
    });
    const coordinator = await server.signedIn({
      email: `coordination${DOMAIN}`,
      password: 'mot de passe csp',
      role: 'COORDINATOR',
      actorIds: [actorId, partner.id],
    });
    const res = await coordinator.gql(`mutation ($input: CreateCoalitionInput!) { createCoalition(input: $input) { id } }`, {
      input: {
        name: 'CSP Coalition santé mentale en Meuse',
        kind: 'CLSM',
        themes: ['sante-mentale'],
        territory: { level: 'DEPARTEMENT', code: '55' },
        startDate: '2025-01-01',
        pilotActorId: actorId,
      },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    coalitionId = res.data.createCoalition.id;
    await page.addInitScript(() => {
      const seen: string[] = ((globalThis as any).__cspViolations = []);
      (globalThis as any).document.addEventListener('securitypolicyviolation', (e: any) =>
        seen.push(`${e.effectiveDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`),
      );
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) consoleViolations.push(m.text());
    });
  });

  afterAll(() => closeBrowserSession({ server, browser }));

  /** Opens a page and checks it came with the policy (else zero violations would prove nothing). */
  async function open(url: string): Promise<void> {
    consoleViolations = [];
    const res = await page.goto(`${server.url}${url}`);
    expect(res!.headers()['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
  }

  async function violations(): Promise<string[]> {
    const fromEvents: string[] = await page.evaluate(() => (globalThis as any).__cspViolations);
    return [...fromEvents, ...consoleViolations];
  }

  /**
   * Distinct colours in an element, read from a screenshot: 1 for a blank canvas, several once
   * polygons or nodes are drawn (more than 5 here). `middle`: only its middle quarter (a map's corners hold its HTML
   * controls, which have colours of their own).
   */
  async function coloursIn(target: Locator, middle = true): Promise<number> {
    const box = (await target.boundingBox())!;
    const clip = middle ? { x: box.x + box.width / 4, y: box.y + box.height / 4, width: box.width / 2, height: box.height / 2 } : box;
    const png = await page.screenshot({ clip });
    return page.evaluate(async (b64) => {
      const { document } = globalThis as any;
      const img = document.createElement('img');
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size;
    }, png.toString('base64'));
  }

  it('should notice a violation when a page breaks the policy (the listeners work)', async () => {
    await open('/');
    await page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ }).waitFor();
    await page.evaluate(() => {
      const { document } = globalThis as any;
      const img = document.createElement('img');
      img.src = 'https://tuiles.example.org/0/0/0.png';
      document.body.append(img);
    });
    await expect
      .poll(violations)
      .toEqual([
        expect.stringMatching(/^img-src https:\/\/tuiles\.example\.org/),
        expect.stringMatching(/violates the following Content Security Policy directive/),
      ]);
  });

  it('should open the home page without any violation', async () => {
    await open('/');
    await page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ }).waitFor();
    await page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ }).fill('verdun');
    await page
      .getByRole('option', { name: /Verdun.*Meuse/ })
      .first()
      .waitFor();
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'csp-accueil.png') });
  });

  it('should draw a commune map (MapLibre worker, WebGL, GeoJSON) without any violation', async () => {
    await open('/communes/55545');
    await page.getByRole('link', { name: 'CSP CPTS du Verdunois' }).first().waitFor();
    await mapIdle(page);
    const canvas = page.locator('.maplibregl-canvas');
    expect(await canvas.count()).toBe(1);
    expect(await coloursIn(canvas)).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'csp-commune-verdun.png') });
  });

  it('should draw an actor page map without any violation', async () => {
    await open(`/acteurs/${actorId}`);
    await page.getByRole('heading', { name: 'CSP CPTS du Verdunois' }).waitFor();
    await mapIdle(page);
    expect(await coloursIn(page.locator('.maplibregl-canvas'))).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'csp-fiche-acteur.png') });
  });

  it('should draw the gaps map from the server’s vector tiles without any violation', async () => {
    const tiles: number[] = [];
    const onResponse = (r: { url(): string; status(): number }) => {
      if (/\/tiles\/coverage\//.test(r.url())) tiles.push(r.status());
    };
    page.on('response', onResponse);
    await open('/lacunes?region=44&departement=55&niveau=COMMUNE&theme=sante-mentale');
    await page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor({ timeout: 30_000 });
    await mapIdle(page);
    page.off('response', onResponse);
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.every((s) => s === 200)).toBe(true);
    expect(await coloursIn(page.locator('.maplibregl-canvas'))).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'csp-lacunes-meuse.png'), fullPage: true });
  });

  it('should draw a coalition’s network (sigma, WebGL) without any violation', async () => {
    await open(`/coalitions/${coalitionId}`);
    await page.getByRole('heading', { name: 'CSP Coalition santé mentale en Meuse' }).waitFor();
    const graph = page.getByRole('img', { name: /Réseau de la coalition CSP Coalition santé mentale en Meuse/ });
    await expect.poll(() => graph.getAttribute('data-rendered'), { timeout: 30_000 }).toBe('oui');
    expect(await graph.locator('canvas').count()).toBeGreaterThan(0);
    expect(await coloursIn(graph, false)).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'csp-coalition.png'), fullPage: true });
  });

  it('should open the log-in page and sign in through its form without any violation', async () => {
    await open('/connexion');
    await page.getByRole('heading', { name: 'Créer un compte' }).waitFor();
    await page.getByLabel('Courriel', { exact: true }).first().fill(`coordination${DOMAIN}`);
    await page.locator('#login-password').fill('mot de passe csp');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await expect.poll(() => page.getByTestId('who').textContent()).toContain('coordination');
    expect(await violations()).toEqual([]);
  });
});
