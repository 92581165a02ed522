import { beforeAll, expect, it } from 'vitest';
import { axeViolations } from '../helpers/axe.js';
import { describeInBrowser, keepScreenshot } from '../helpers/browser.js';
import { fixtures } from '../helpers/factories.js';
import { VERDUN } from '../helpers/places.js';

const SOURCE = 'test:e2e/home-search.test.ts';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 768 };
const IN_VERDUN = { sector: 'SANTE', lon: 5.38, lat: 49.16, communeCode: VERDUN, territories: [{ level: 'COMMUNE', code: VERDUN }] };
/** Elsewhere than Verdun, whose page the other tests count. */
const IN_SAINT_DENIS = { sector: 'SANTE', lon: 2.357, lat: 48.936, communeCode: '93066', territories: [{ level: 'COMMUNE', code: '93066' }] };

/**
 * The home page's two entries (issue 16) in Chromium: an actor found by a part of its name or a
 * word of its description, accents or not, and opened; themes ticked before the commune, which
 * then opens with them ticked (the commune page's filters, read from its URL).
 */
describeInBrowser('home page search in a real browser (Chromium)', (s) => {
  const { actor, createActors } = fixtures(() => s.server, { source: SOURCE, domain: '@test-e2e-home-search.local' });
  const actorBox = () => s.page.getByRole('searchbox', { name: 'Rechercher un acteur (nom, mot-clé, thème)' });
  const found = () => s.page.getByRole('list', { name: /^Acteurs trouvés/ });
  const communeBox = () => s.page.getByRole('combobox', { name: /Commune, code postal ou code INSEE/ });
  /** Types « verdun » in the commune field and waits for its suggestion. */
  async function typeVerdun() {
    await communeBox().fill('verdun');
    const option = s.page.getByRole('option', { name: /Verdun.*Meuse/ }).first();
    await option.waitFor();
    return option;
  }

  beforeAll(async () => {
    await createActors({
      tilleul: { ...IN_VERDUN, name: 'CPTS Santé des Tilleuls', kind: 'CPTS', themes: ['addictions-tabac', 'vaccination'] },
      ecoute: {
        ...IN_VERDUN,
        name: 'Écoute Jeunes Tilleuls',
        kind: 'ASSOCIATION',
        themes: ['sante-mentale'],
        description: 'Permanences de soutien psychologique au collège de la Citadelle.',
      },
      ailleurs: { ...IN_VERDUN, name: 'Comité des fêtes de Verdun', kind: 'ASSOCIATION', themes: ['sante-mentale'] },
    });
  });

  async function searchActor(text: string): Promise<string[]> {
    await actorBox().fill(text);
    await actorBox().press('Enter');
    // Up to 10 s: the embedded database, beside the other suite on 2 cores, took more than the default second once.
    await expect.poll(async () => (await found().getAttribute('aria-label')) ?? '', { timeout: 10_000 }).toBe(`Acteurs trouvés pour « ${text} »`);
    return found().getByRole('link').allTextContents();
  }

  it('should find an actor by a part of its name, with or without accents, and open its page', async () => {
    await s.page.setViewportSize(DESKTOP);
    await s.page.goto(s.server.url);
    expect(await searchActor('santé des tille')).toEqual(['CPTS Santé des Tilleuls']);
    expect(await searchActor('sante des tille')).toEqual(['CPTS Santé des Tilleuls']);
    expect(await searchActor('SANTE TILLEULS')).toContain('CPTS Santé des Tilleuls');
    // Each result says what the actor is, where it is and what it acts on.
    const item = found().getByRole('listitem').first();
    await expect.poll(() => item.textContent()).toMatch(/Communauté professionnelle territoriale de santé.*Verdun.*Tabac.*Vaccination/s);
    expect(await axeViolations(s.page)).toEqual([]);
    await keepScreenshot(s.page, 'accueil-recherche-acteur-1366.png', { fullPage: true });
    await found().getByRole('link', { name: 'CPTS Santé des Tilleuls' }).click();
    await s.page.waitForURL(new RegExp(`/acteurs/${actor.tilleul}$`));
    await expect.poll(() => s.page.getByRole('heading', { level: 1 }).textContent()).toBe('CPTS Santé des Tilleuls');
  });

  it('should find actors by a word of their name or description or by a theme, and say when none matches', async () => {
    await s.page.goto(s.server.url);
    expect((await searchActor('tilleuls')).sort()).toEqual(['CPTS Santé des Tilleuls', 'Écoute Jeunes Tilleuls']);
    expect(await searchActor('ecoute')).toEqual(['Écoute Jeunes Tilleuls']);
    expect(await searchActor('citadelle')).toEqual(['Écoute Jeunes Tilleuls']);
    // A theme's name finds the actors declared on it, as the field's example says (« tabac »: a sub-theme of addictions).
    expect(await searchActor('tabac')).toEqual(['CPTS Santé des Tilleuls']);
    await actorBox().fill('zzyzx introuvable');
    await actorBox().press('Enter');
    await s.page.getByRole('status').getByText('Aucun acteur ne correspond à « zzyzx introuvable ».').waitFor();
    expect(await found().count()).toBe(0);
  });

  it('should list the most relevant first: the name holding the word, then the theme it names, then the theme above', async () => {
    // The status said « les plus pertinents d’abord » while the page asked for the order by name.
    await createActors({
      alpha: { ...IN_SAINT_DENIS, name: 'Association Alpha du Souffle', kind: 'ASSOCIATION', themes: ['addictions'] },
      zenith: { ...IN_SAINT_DENIS, name: 'Zénith Tabac Info', kind: 'ASSOCIATION', themes: ['sante-mentale'] },
    });
    await s.page.goto(s.server.url);
    expect(await searchActor('tabac')).toEqual(['Zénith Tabac Info', 'CPTS Santé des Tilleuls', 'Association Alpha du Souffle']);
    // The next page follows the same order: every one of them on the first here.
    expect(await s.page.getByRole('button', { name: /de plus$/ }).count()).toBe(0);
  });

  it('should offer the commune a text names, typed in the actor search rather than in the commune field', async () => {
    await s.page.goto(s.server.url);
    const named = s.page.getByTestId('named-commune');
    expect(await searchActor('verdun')).toContain('Comité des fêtes de Verdun');
    await expect.poll(() => named.innerText()).toBe('« verdun » est aussi une commune : voir les acteurs qui interviennent à Verdun (Meuse).');
    // A postal code finds no actor, and says whose code it is.
    await actorBox().fill('55100');
    await actorBox().press('Enter');
    await s.page.getByRole('status').getByText('Aucun acteur ne correspond à « 55100 ».').waitFor();
    await expect.poll(() => named.innerText()).toBe('« 55100 » est le code postal de Verdun : voir les acteurs qui interviennent à Verdun (Meuse).');
    // A word that is not a commune's whole name (« Le Tilleul » is one) names none.
    await searchActor('tilleuls');
    expect(await named.count()).toBe(0);
    await actorBox().fill('55100');
    await actorBox().press('Enter');
    await named.getByRole('link').click();
    await s.page.waitForURL(new RegExp(`/communes/${VERDUN}$`));
  });

  it('should show the actors found page by page, and the same list after a reload', async () => {
    const twelve = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [
        `q${i}`,
        { ...IN_SAINT_DENIS, name: `Relais Quenouille ${String(i + 1).padStart(2, '0')}`, kind: 'ASSOCIATION', themes: ['vaccination'] },
      ]),
    );
    await createActors(twelve);
    await s.page.goto(s.server.url);
    const first = await searchActor('quenouille');
    expect(first).toEqual(Array.from({ length: 10 }, (_, i) => `Relais Quenouille ${String(i + 1).padStart(2, '0')}`));
    const status = s.page.locator('#actor-search-status');
    expect(await status.textContent()).toBe('12 acteurs (10 affichés), les plus pertinents d’abord : le nom, puis le thème, puis la description.');
    await s.page.waitForURL(/\?acteur=quenouille$/);
    await s.page.getByRole('button', { name: 'Afficher 2 de plus' }).click();
    await expect.poll(() => found().getByRole('link').count()).toBe(12);
    expect(await status.textContent()).toBe('12 acteurs, les plus pertinents d’abord : le nom, puis le thème, puis la description.');
    expect(await s.page.getByRole('button', { name: /de plus$/ }).count()).toBe(0);
    // The address keeps the search: a reload (or coming back from an actor's page) shows it again.
    await s.page.reload();
    await expect.poll(() => found().getByRole('link').count()).toBe(10);
    expect(await actorBox().inputValue()).toBe('quenouille');
    await found().getByRole('link', { name: 'Relais Quenouille 03' }).click();
    await s.page.waitForURL(/\/acteurs\//);
    // Back from the actor's page, whose own requests may still hold the server (one in four runs
    // took more than the poll's default second on these 2 cores).
    await s.page.goBack();
    await expect.poll(() => found().getByRole('link').count(), { timeout: 15_000 }).toBe(10);
  });

  it('should open the commune chosen after a theme with that theme ticked and its actors only', async () => {
    await s.page.goto(s.server.url);
    const addictions = s.page.getByRole('button', { name: 'Prévention des addictions' });
    await addictions.click();
    expect(await addictions.getAttribute('aria-pressed')).toBe('true');
    await s.page.getByText('La commune s’ouvrira filtrée sur : Prévention des addictions.').waitFor();
    await (await typeVerdun()).click();
    await s.page.waitForURL(new RegExp(`/communes/${VERDUN}\\?themes=addictions$`));
    await expect.poll(() => s.page.getByRole('checkbox', { name: /^Prévention des addictions/ }).isChecked()).toBe(true);
    await expect.poll(() => s.page.locator('ol.list > li a.name').allTextContents()).toEqual(['CPTS Santé des Tilleuls']);
    await expect.poll(() => s.page.locator('#results-title').textContent()).toBe('1 acteur');
  });

  it('should leave out, and say so, the codes of an address that name no theme or public', async () => {
    await s.page.goto(`${s.server.url}/communes/${VERDUN}?themes=astrologie,addictions&publics=martiens`);
    await s.page.getByRole('status').filter({ hasText: 'Filtres inconnus ignorés : astrologie, martiens.' }).waitFor();
    await s.page.waitForURL(new RegExp(`/communes/${VERDUN}\\?themes=addictions$`));
    await expect.poll(() => s.page.locator('ol.list > li a.name').allTextContents()).toEqual(['CPTS Santé des Tilleuls']);
    expect(await s.page.getByRole('alert').count()).toBe(0);
  });

  it('should open the commune without a theme when none is ticked, a second click having unticked it', async () => {
    await s.page.goto(s.server.url);
    const vaccination = s.page.getByRole('button', { name: 'Vaccination' });
    await vaccination.click();
    await vaccination.click();
    expect(await vaccination.getAttribute('aria-pressed')).toBe('false');
    await typeVerdun();
    // Escape closes the suggestions and keeps what was typed.
    await communeBox().press('Escape');
    await expect.poll(() => s.page.getByRole('listbox').count()).toBe(0);
    expect(await communeBox().inputValue()).toBe('verdun');
    // Opened again, the list starts from its first suggestion.
    await communeBox().press('ArrowDown');
    await expect.poll(() => communeBox().getAttribute('aria-activedescendant')).toMatch(/-opt-0$/);
    await communeBox().press('Enter');
    await s.page.waitForURL(new RegExp(`/communes/${VERDUN}$`));
    await expect.poll(() => s.page.locator('#results-title').textContent()).toBe('3 acteurs');
  });

  it('should give each page a title of its own and put the keyboard on the new page’s content', async () => {
    // A title follows its page's data (a commune's name): up to 10 s on a busy machine.
    const PATIENT = { timeout: 10_000 };
    const SITE = 'Répertoire territorial des acteurs de prévention';
    const focused = () => s.page.evaluate(() => (globalThis as any).document.activeElement?.id as string | undefined);
    await s.page.goto(s.server.url);
    const home = await s.page.title();
    expect(home.endsWith(SITE)).toBe(true);
    await typeVerdun();
    await communeBox().press('Enter');
    await s.page.waitForURL(new RegExp(`/communes/${VERDUN}$`));
    await expect.poll(() => s.page.title(), PATIENT).toBe(`Acteurs de prévention à Verdun (${VERDUN}, Meuse) — ${SITE}`);
    // Not left on <body>: the next Tab goes through the commune's page.
    await expect.poll(focused, PATIENT).toBe('contenu');
    // A filter ticked changes the address, not the page: the focus stays on its box.
    const box = s.page.getByRole('checkbox', { name: /^Santé mentale/ });
    await box.focus();
    await s.page.keyboard.press('Space');
    await s.page.waitForURL(/themes=sante-mentale/);
    expect(await s.page.evaluate(() => (globalThis as any).document.activeElement?.getAttribute('type'))).toBe('checkbox');
    await s.page.locator('ol.list > li a.name', { hasText: 'Écoute Jeunes Tilleuls' }).click();
    await expect.poll(() => s.page.title(), PATIENT).toBe(`Écoute Jeunes Tilleuls — ${SITE}`);
    await expect.poll(focused, PATIENT).toBe('contenu');
    await s.page.goBack();
    await expect.poll(() => s.page.title(), PATIENT).toBe(`Acteurs de prévention à Verdun (${VERDUN}, Meuse) — ${SITE}`);
    // Pages differ by their titles; a code typed in lowercase opens the same commune.
    await s.page.goto(`${s.server.url}/lacunes`);
    await expect.poll(() => s.page.title(), PATIENT).toBe(`Zones sans acteurs de prévention — ${SITE}`);
    await s.page.goto(`${s.server.url}/nulle-part`);
    await expect.poll(() => s.page.title(), PATIENT).toBe(`Page introuvable — ${SITE}`);
    await s.page.goto(`${s.server.url}/communes/2a004`);
    await expect.poll(() => s.page.title(), PATIENT).toMatch(/^Acteurs de prévention à Ajaccio \(2A004/);
    await s.page.locator('#results-title').waitFor();
    await s.page.waitForLoadState('networkidle');
  });

  it('should show the commune field without scrolling on a 390 px screen, the themes behind a button', async () => {
    await s.page.setViewportSize(PHONE);
    await s.page.goto(s.server.url);
    const field = await communeBox().boundingBox();
    expect(field && field.y + field.height).toBeLessThanOrEqual(PHONE.height);
    expect(await s.page.getByRole('button', { name: 'Santé mentale' }).isVisible()).toBe(false);
    await keepScreenshot(s.page, 'accueil-390.png');
    const toggle = s.page.getByRole('button', { name: 'Choisir des thèmes (0)' });
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await s.page.getByRole('button', { name: 'Santé mentale' }).click();
    await s.page.getByRole('button', { name: 'Choisir des thèmes (1)' }).waitFor();
  });

  it('should fit a 390 px screen with a theme ticked and actors found', async () => {
    await searchActor('tilleuls');
    const width = await s.page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
    expect(width).toBeLessThanOrEqual(PHONE.width);
    expect(await axeViolations(s.page)).toEqual([]);
    await keepScreenshot(s.page, 'accueil-recherche-390.png', { fullPage: true });
  });
});
