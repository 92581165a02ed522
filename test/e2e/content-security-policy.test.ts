import type { Locator } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { type CspViolations, mapIdle, describeInBrowser, watchCspViolations, keepScreenshot } from '../helpers/browser.js';
import { createVerdunClsm, fixtures } from '../helpers/factories.js';

/** Every actor of this file carries this source and every account this domain, to tell them apart in the file’s database. */
const SOURCE = 'test:e2e/content-security-policy.test.ts';
const DOMAIN = '@test-e2e-csp.local';

/**
 * The pages of the client under the server's Content-Security-Policy, in Chromium: not one
 * violation (caught twice: the `securitypolicyviolation` DOM event and Chromium's console
 * message), and the maps (MapLibre: worker, WebGL, vector tiles) and the network drawing (sigma)
 * really drawn, checked on the pixels of their canvases.
 */
describeInBrowser('Content-Security-Policy in a real browser (Chromium)', (s) => {
  let actorId: string;
  let coalitionId: string;
  /** Violations seen by the page's listener and by the console, since the last page opened. */
  let csp: CspViolations;

  const f = fixtures(() => s.server, { source: SOURCE, domain: DOMAIN, password: 'mot de passe csp' });

  beforeAll(async () => {
    // The coordinator represents the college too.
    await f.createActor('college', {
      name: 'CSP Collège Buvignier',
      kind: 'EDUCATION_NATIONALE',
      sector: 'EDUCATION',
      themes: ['sante-mentale'],
      lon: 5.38,
      lat: 49.155,
      communeCode: '55545',
      territories: [{ level: 'COMMUNE', code: '55545' }],
    });
    ({ actorId, coalitionId } = await createVerdunClsm(f, 'CSP', { alsoRepresents: ['college'] }));
    csp = await watchCspViolations(s.page);
  });

  /** Opens a page and checks it came with the policy (else zero violations would prove nothing). */
  async function open(url: string): Promise<void> {
    csp.reset();
    const res = await s.page.goto(`${s.server.url}${url}`);
    expect(res!.headers()['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
  }

  const violations = () => csp.seen();

  /**
   * Distinct colours in an element, read from a screenshot: 1 for a blank canvas, several once
   * polygons or nodes are drawn (more than 5 here). `middle`: only its middle quarter (a map's corners hold its HTML
   * controls, which have colours of their own).
   */
  async function coloursIn(target: Locator, middle = true): Promise<number> {
    // The clip is taken in the viewport: the element is brought into it first (the gaps map sits below the key figures).
    await target.scrollIntoViewIfNeeded();
    const box = (await target.boundingBox())!;
    const clip = middle ? { x: box.x + box.width / 4, y: box.y + box.height / 4, width: box.width / 2, height: box.height / 2 } : box;
    const png = await s.page.screenshot({ clip });
    return s.page.evaluate(async (b64) => {
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
    await s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ }).waitFor();
    await s.page.evaluate(() => {
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
    await s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ }).waitFor();
    await s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ }).fill('verdun');
    await s.page
      .getByRole('option', { name: /Verdun.*Meuse/ })
      .first()
      .waitFor();
    expect(await violations()).toEqual([]);
    await keepScreenshot(s.page, 'csp-accueil.png');
  });

  it('should draw a commune map (MapLibre worker, WebGL, GeoJSON) without any violation', async () => {
    await open('/communes/55545');
    await s.page.getByRole('link', { name: 'CSP CPTS du Verdunois' }).first().waitFor();
    await mapIdle(s.page);
    const canvas = s.page.locator('.maplibregl-canvas');
    expect(await canvas.count()).toBe(1);
    expect(await coloursIn(canvas)).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await keepScreenshot(s.page, 'csp-commune-verdun.png');
  });

  it('should draw an actor page map without any violation', async () => {
    await open(`/acteurs/${actorId}`);
    await s.page.getByRole('heading', { name: 'CSP CPTS du Verdunois' }).waitFor();
    await mapIdle(s.page);
    expect(await coloursIn(s.page.locator('.maplibregl-canvas'))).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await keepScreenshot(s.page, 'csp-fiche-acteur.png');
  });

  it('should draw the gaps map from the server’s vector tiles without any violation', async () => {
    const tiles: number[] = [];
    const onResponse = (r: { url(): string; status(): number }) => {
      if (/\/tiles\/coverage\//.test(r.url())) tiles.push(r.status());
    };
    s.page.on('response', onResponse);
    await open('/lacunes?region=44&departement=55&niveau=COMMUNE&theme=sante-mentale');
    await s.page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor({ timeout: 30_000 });
    await mapIdle(s.page);
    s.page.off('response', onResponse);
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.every((s) => s === 200)).toBe(true);
    expect(await coloursIn(s.page.locator('.maplibregl-canvas'))).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await keepScreenshot(s.page, 'csp-lacunes-meuse.png', { fullPage: true });
  });

  it('should draw a coalition’s network (sigma, WebGL) without any violation', async () => {
    await open(`/coalitions/${coalitionId}`);
    await s.page.getByRole('heading', { name: 'CSP Coalition santé mentale en Meuse' }).waitFor();
    const graph = s.page.getByRole('img', { name: /Réseau de la coalition CSP Coalition santé mentale en Meuse/ });
    await expect.poll(() => graph.getAttribute('data-rendered'), { timeout: 30_000 }).toBe('oui');
    expect(await graph.locator('canvas').count()).toBeGreaterThan(0);
    expect(await coloursIn(graph, false)).toBeGreaterThan(5);
    expect(await violations()).toEqual([]);
    await keepScreenshot(s.page, 'csp-coalition.png', { fullPage: true });
  });

  it('should open the log-in page and sign in through its form without any violation', async () => {
    await open('/connexion');
    await s.page.getByRole('heading', { name: 'Créer un compte' }).waitFor();
    await s.page.getByLabel('Courriel', { exact: true }).first().fill(`coordination${DOMAIN}`);
    await s.page.locator('#login-password').fill('mot de passe csp');
    await s.page.getByRole('button', { name: 'Se connecter' }).click();
    await expect.poll(() => s.page.getByTestId('who').textContent()).toContain('coordination');
    expect(await violations()).toEqual([]);
  });
});
