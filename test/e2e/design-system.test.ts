import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations } from '../helpers/axe.js';
import { alertsOverTheirIcon, type CspViolations, describeInBrowser, mapIdle, watchCspViolations, whileSignedIn, keepScreenshot } from '../helpers/browser.js';
import { createVerdunClsm, fixtures } from '../helpers/factories.js';
import { type CookieClient, startTestServer, type TestServer } from '../helpers/server.js';

const SOURCE = 'test:e2e/design-system.test.ts';
const DOMAIN = '@test-e2e-design-system.local';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 768 };

/**
 * The State's design system (@gouvfr/dsfr, bundled and served by the app) in Chromium: the DSFR
 * header and footer with the mandatory links, each a real page; the brand block left out when
 * BRAND_STATE=false; on a 390×844 phone, the menu, the commune's filters behind « Filtres (n) »
 * with the first result in view, and no page wider than the screen.
 */
describeInBrowser('design system and mobile layout in a real browser (Chromium)', (s) => {
  let actorId: string;
  let coalitionId: string;
  let coordinator: CookieClient;
  /** Violations seen by the page's listener and by the console, since the last page opened. */
  let csp: CspViolations;
  const f = fixtures(() => s.server, { source: SOURCE, domain: DOMAIN, password: 'mot de passe dsfr' });

  beforeAll(async () => {
    ({ actorId, coordinator, coalitionId } = await createVerdunClsm(f, 'DSFR'));
    for (const [i, theme] of ['sante-mentale', 'addictions', 'vaccination'].entries()) {
      await f.createActor(`asso-${i}`, {
        name: `DSFR Association ${theme} de Verdun`,
        kind: 'ASSOCIATION',
        sector: 'SANTE',
        themes: [theme],
        lon: 5.38,
        lat: 49.16,
        communeCode: '55545',
        territories: [{ level: 'COMMUNE', code: '55545' }],
      });
    }
    csp = await watchCspViolations(s.page);
  });

  async function open(page: Page, url: string, size = DESKTOP): Promise<void> {
    csp.reset();
    await page.setViewportSize(size);
    await page.goto(`${s.server.url}${url}`);
  }

  it('should draw the DSFR header with the « République française » block and a footer with the mandatory links', async () => {
    await open(s.page, '/');
    const header = s.page.getByRole('banner');
    await expect.poll(() => header.getAttribute('class')).toMatch(/\bfr-header\b/);
    await s.page
      .getByTestId('state-brand')
      .getByText(/République\s*française/)
      .waitFor();
    const footer = s.page.getByRole('contentinfo');
    expect(await footer.getAttribute('class')).toMatch(/\bfr-footer\b/);
    for (const [name, heading] of [
      ['Accessibilité : non conforme', 'Déclaration d’accessibilité'],
      ['Mentions légales', 'Mentions légales'],
      ['Données personnelles', 'Données personnelles'],
    ]) {
      await footer.getByRole('link', { name, exact: true }).click();
      await s.page.getByRole('heading', { level: 1, name: heading }).waitFor();
      expect(await axeViolations(s.page)).toEqual([]);
    }
    await keepScreenshot(s.page, 'dsfr-donnees-personnelles.png', { fullPage: true });
    await s.page.getByRole('link', { name: 'Accessibilité : non conforme' }).click();
    expect(await s.page.getByText(/est non conforme avec le référentiel général/).count()).toBe(1);
  });

  it('should load Marianne and the DSFR icons from the app itself, without any CSP violation', async () => {
    const fonts: string[] = [];
    const onResponse = (r: { url(): string; status(): number }) => {
      if (/\.woff2?$/.test(r.url())) fonts.push(`${r.status()} ${new URL(r.url()).origin === s.server.url ? 'self' : r.url()}`);
    };
    s.page.on('response', onResponse);
    await open(s.page, '/communes/55545', PHONE);
    await s.page.getByRole('link', { name: 'DSFR CPTS du Verdunois' }).first().waitFor();
    await s.page.evaluate(() => (globalThis as any).document.fonts.ready);
    s.page.off('response', onResponse);
    expect(fonts.length).toBeGreaterThan(0);
    expect(new Set(fonts)).toEqual(new Set(['200 self']));
    expect(await s.page.evaluate(() => (globalThis as any).document.fonts.check('700 1rem Marianne'))).toBe(true);
    expect(await s.page.evaluate(() => getComputedStyle((globalThis as any).document.body).fontFamily)).toMatch(/^Marianne/);
    // The menu button's icon is a CSS mask over the package's own SVG.
    const mask = await s.page.getByRole('button', { name: 'Menu' }).evaluate((b) => getComputedStyle(b, '::before').maskImage);
    expect(mask).toMatch(/^url\("(data:image\/svg\+xml|http:\/\/127\.0\.0\.1)/);
    expect(await csp.seen()).toEqual([]);
  });

  it('should open the menu on a phone, with the navigation and the log-in link, and close it with Escape', async () => {
    await open(s.page, '/', PHONE);
    const menu = s.page.getByRole('button', { name: 'Menu' });
    await menu.click();
    const dialog = s.page.getByRole('dialog', { name: 'Menu' });
    await dialog.getByRole('link', { name: 'Zones sans acteurs' }).waitFor();
    await dialog.getByRole('link', { name: 'Se connecter' }).waitFor();
    await expect.poll(() => dialog.evaluate((e) => getComputedStyle(e).opacity)).toBe('1');
    await keepScreenshot(s.page, 'dsfr-menu-390.png');
    expect(await axeViolations(s.page)).toEqual([]);
    await s.page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await s.page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).toBe('Menu');
    await menu.click();
    await s.page.getByRole('dialog', { name: 'Menu' }).getByRole('link', { name: 'Coalitions' }).click();
    await s.page.waitForURL(/\/coalitions$/);
    await expect.poll(() => s.page.getByRole('dialog', { name: 'Menu' }).count()).toBe(0);
  });

  it('should show the signed-in account in the header’s tools, and in the menu on a phone', async () => {
    await whileSignedIn(s, coordinator, async () => {
      await open(s.page, '/mon-espace');
      await expect.poll(() => s.page.getByRole('banner').getByTestId('who').textContent()).toContain('coordination');
      await s.page.getByRole('banner').getByRole('button', { name: 'Se déconnecter' }).waitFor();
      await keepScreenshot(s.page, 'dsfr-connecte-1366.png');
      await open(s.page, '/mon-espace', PHONE);
      await s.page.getByRole('button', { name: 'Menu' }).click();
      const dialog = s.page.getByRole('dialog', { name: 'Menu' });
      await expect.poll(() => dialog.getByTestId('who').textContent()).toContain('coordination');
      await dialog.getByRole('link', { name: 'Mon compte' }).waitFor();
      await expect.poll(() => dialog.evaluate((e) => getComputedStyle(e).opacity)).toBe('1');
      await keepScreenshot(s.page, 'dsfr-connecte-menu-390.png');
      expect(await axeViolations(s.page)).toEqual([]);
    });
  });

  it('should put the commune’s filters behind « Filtres (n) » on a phone, the first result in view without scrolling', async () => {
    await open(s.page, '/communes/55545?themes=sante-mentale,addictions', PHONE);
    const button = s.page.getByRole('button', { name: /^Filtres \(2\)/ });
    await button.waitFor();
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await s.page.getByRole('checkbox', { name: /^Vaccination/ }).count()).toBe(0);
    const first = s.page.locator('ol.list > li a.name').first();
    await first.waitFor();
    const box = (await first.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(PHONE.height);
    await keepScreenshot(s.page, 'dsfr-commune-390.png');
    await button.click();
    // The DSFR draws the box from the label, over the hidden input: the click lands on the label, as a person's does.
    await s.page.getByRole('checkbox', { name: /^Vaccination \(\d+\)/ }).check({ force: true });
    await s.page.waitForURL(/vaccination/);
    await s.page.getByRole('button', { name: /^Filtres \(3\)/ }).waitFor();
    await keepScreenshot(s.page, 'dsfr-commune-filtres-390.png', { fullPage: true });
    expect(await axeViolations(s.page)).toEqual([]);
    // On a wide screen the filters stay beside the list, no button.
    await open(s.page, '/communes/55545', DESKTOP);
    await s.page.getByRole('checkbox', { name: /^Vaccination/ }).waitFor();
    expect(await s.page.getByRole('button', { name: /^Filtres/ }).count()).toBe(0);
    await keepScreenshot(s.page, 'dsfr-commune-1366.png');
  });

  it('should draw the forms’ radio buttons and check boxes as the DSFR’s, never the browser’s bare ones', async () => {
    const pages: [string, () => Promise<unknown>][] = [
      ['/lacunes', () => s.page.getByRole('checkbox', { name: /^Présence locale seulement/ }).waitFor()],
      ['/diagnostic', () => s.page.getByRole('radio', { name: 'Une liste de communes' }).waitFor()],
      ['/communes/55545', () => s.page.getByRole('checkbox', { name: /^Vaccination \(\d+\)/ }).waitFor()],
      ['/coalitions', () => s.page.getByRole('checkbox', { name: 'Afficher les coalitions terminées' }).waitFor()],
    ];
    const bare: string[] = [];
    for (const [url, ready] of pages) {
      await open(s.page, url);
      await ready();
      // The DSFR hides the input itself (opacity 0) and draws the box from its label: every control
      // laid out in the page counts, drawn or not.
      const controls = await s.page.locator('main').evaluate((main: any) =>
        Array.from<any>(main.querySelectorAll('input[type=radio], input[type=checkbox]'))
          .filter((input) => input.getClientRects().length > 0)
          .map((input) => {
            const group = input.type === 'radio' ? 'fr-radio-group' : 'fr-checkbox-group';
            const labels = Array.from<any>(input.labels ?? []);
            const name = labels.map((l) => l.textContent.trim()).join(' ') || input.outerHTML;
            return { name, grouped: !!input.closest(`.${group}`), labelled: labels.length > 0 && labels.every((l) => l.classList.contains('fr-label')) };
          }),
      );
      expect(controls.length, url).toBeGreaterThan(0);
      for (const c of controls) {
        if (!c.grouped) bare.push(`${url}: « ${c.name} » outside its DSFR group`);
        if (!c.labelled) bare.push(`${url}: « ${c.name} » without a fr-label`);
      }
      await keepScreenshot(s.page, `dsfr-controles-${url.split('/')[1]}.png`, { fullPage: true });
    }
    expect(bare).toEqual([]);
  });

  it('should fit every page within a 390 px screen (no horizontal scrolling)', async () => {
    const routes: [string, string, () => Promise<unknown>][] = [
      ['accueil', '/', () => s.page.getByRole('combobox').first().waitFor()],
      ['commune', '/communes/55545', () => s.page.getByRole('link', { name: 'DSFR CPTS du Verdunois' }).first().waitFor()],
      ['acteur', `/acteurs/${actorId}`, () => s.page.getByRole('heading', { name: 'DSFR CPTS du Verdunois' }).waitFor()],
      // Measured once the map has drawn: MapLibre sizes its canvas after its first draw (a grid
      // track that followed it made the gaps page 539 px wide).
      [
        'lacunes',
        '/lacunes?region=44&departement=55&niveau=COMMUNE&theme=sante-mentale',
        async () => (await s.page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor({ timeout: 30_000 }), await mapIdle(s.page)),
      ],
      ['lacunes-region', '/lacunes', () => mapIdle(s.page)],
      ['diagnostic', '/diagnostic', () => s.page.getByRole('heading', { level: 1 }).waitFor()],
      ['coalitions', '/coalitions', () => s.page.getByText('DSFR Coalition santé mentale en Meuse').first().waitFor()],
      ['coalition', `/coalitions/${coalitionId}`, () => s.page.locator('#members-table').waitFor()],
      ['connexion', '/connexion', () => s.page.getByRole('heading', { name: 'Créer un compte' }).waitFor()],
      ['compte', '/compte', () => s.page.getByTestId('signed-out').waitFor()],
      ['mon-espace', '/mon-espace', () => s.page.getByRole('heading', { level: 1 }).waitFor()],
      ['moderation', '/moderation', () => s.page.getByRole('heading', { level: 1 }).waitFor()],
      ['accessibilite', '/accessibilite', () => s.page.getByRole('heading', { level: 1 }).waitFor()],
      ['mentions-legales', '/mentions-legales', () => s.page.getByRole('heading', { level: 1 }).waitFor()],
      ['donnees-personnelles', '/donnees-personnelles', () => s.page.getByRole('heading', { level: 1 }).waitFor()],
      ['introuvable', '/nulle-part', () => s.page.getByRole('heading', { level: 1 }).waitFor()],
    ];
    const tooWide: string[] = [];
    const overIcon: string[] = [];
    for (const [name, url, ready] of routes) {
      await open(s.page, url, PHONE);
      await ready();
      const width = await s.page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
      if (width > PHONE.width) tooWide.push(`${url}: ${width} px`);
      // Each alert drawn as the DSFR's, its text clear of its icon, on a phone too.
      overIcon.push(...(await alertsOverTheirIcon(s.page)).map((text) => `${url}: « ${text} »`));
      await keepScreenshot(s.page, `dsfr-390-${name}.png`, { fullPage: true });
    }
    expect(tooWide).toEqual([]);
    expect(overIcon).toEqual([]);
  });
});

describeInBrowser('an instance run outside the State (BRAND_STATE=false) in a real browser (Chromium)', (s) => {
  let own: TestServer;

  beforeAll(async () => {
    own = await startTestServer({
      site: {
        brandState: false,
        publisher: 'Ville de Verdun',
        // A setting is text, never markup: quotes and angle brackets reach the page as such.
        publisherAddress: 'Place de la Mairie "<b>", 55100 Verdun',
        publicationDirector: 'Le maire',
        contactEmail: 'contact@ville-verdun.example',
        host: 'Hébergeur Exemple, 1 rue du Nuage, 75000 Paris',
      },
    });
  });
  afterAll(() => own?.close());

  it('should leave out the « République française » block and Marianne, and name its publisher', async () => {
    const fonts: string[] = [];
    s.page.on('response', (r) => {
      if (/\.woff2?$/.test(r.url())) fonts.push(r.url());
    });
    await s.page.goto(`${own.url}/`);
    await s.page.getByRole('combobox').first().waitFor();
    expect(await s.page.locator('html').getAttribute('data-state-brand')).toBe('false');
    expect(await s.page.getByTestId('state-brand').count()).toBe(0);
    expect(await s.page.locator('.fr-logo').count()).toBe(0);
    expect(await s.page.getByText(/République\s*française/).count()).toBe(0);
    // The footer keeps its mandatory links.
    const footer = s.page.getByRole('contentinfo');
    await footer.getByRole('link', { name: 'Accessibilité : non conforme' }).waitFor();
    await s.page.evaluate(() => (globalThis as any).document.fonts.ready);
    expect(await s.page.evaluate(() => getComputedStyle((globalThis as any).document.body).fontFamily)).not.toMatch(/Marianne/);
    expect(fonts).toEqual([]);
    await keepScreenshot(s.page, 'dsfr-sans-marque-1366.png');
    await footer.getByRole('link', { name: 'Mentions légales' }).click();
    await s.page.getByText('Ville de Verdun').first().waitFor();
    await s.page.getByText(/n’est pas un site de l’État/).waitFor();
    await s.page.getByText('Place de la Mairie "<b>", 55100 Verdun').waitFor();
    expect(await axeViolations(s.page)).toEqual([]);
    await s.page.setViewportSize(PHONE);
    await keepScreenshot(s.page, 'dsfr-sans-marque-mentions-390.png', { fullPage: true });
  });

  it('should serve /index.html with the setting too, not as a bare file', async () => {
    const html = await (await fetch(`${own.url}/index.html`)).text();
    expect(html).toMatch(/<html[^>]* data-state-brand="false"/);
    expect(html).toContain('<meta name="site:publisher" content="Ville de Verdun" />');
    expect(html).toContain('<meta name="site:publisherAddress" content="Place de la Mairie &quot;&lt;b&gt;&quot;, 55100 Verdun" />');
  });
});
