import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '../../seeds/accounts.js';
import { closeBrowserSession, hasChromium, logInThroughForm, mapIdle, openBrowserSession, keepScreenshot } from '../helpers/browser.js';
import { ok } from '../helpers/factories.js';
import type { CookieClient, TestServer } from '../helpers/server.js';

const SOURCE = 'test:e2e/moderation-queue.test.ts';
const account = (role: string) => DEMO_ACCOUNTS.find((a) => a.role === role)!;
const ANALYST = account('ANALYST');
const MEMBER = account('MEMBER');
const ACTOR = `query ($id: ID!) { actor(id: $id) { reviewStatus verifiedAt version } }`;
/** The WCAG 2.1 A and AA rules axe-core finds broken on the page as it is (see accessibility.test.ts). */
const axe = async (page: Page) =>
  (await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()).violations.map((v) => `${v.id}: ${v.help}`);

/**
 * The demonstration analyst (Grand Est) validates, in /moderation, an actor the demonstration member
 * created; a visitor and a member get a clear refusal; the member, who represents its association,
 * confirms on its page that the information is up to date.
 */
describe.skipIf(!hasChromium)('the moderation queue and « Ces informations sont à jour » in a real browser (Chromium)', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let member: CookieClient;
  const created: Record<'first' | 'second', string> = { first: '', second: '' };

  beforeAll(async () => {
    ({ server, browser, page } = await openBrowserSession());
    await seedDemoAccounts(server.ds, () => {});
    member = server.client();
    await ok(member.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { id } }`, { e: MEMBER.email, p: MEMBER.password }));
    for (const [key, name, commune] of [
      ['first', 'Association démo des aidants de Verdun', '55545'],
      ['second', 'Collectif démo de Bar-le-Duc', '55029'],
    ] as const) {
      const res = await ok<{ createActor: { id: string; reviewStatus: string } }>(
        member.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id reviewStatus } }`, {
          input: { name, kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['sante-mentale'], communeCode: commune, source: SOURCE, isDemo: true },
        }),
      );
      expect(res.createActor.reviewStatus).toBe('PENDING_REVIEW');
      created[key] = res.createActor.id;
    }
  });

  afterAll(() => closeBrowserSession({ server, browser }));

  it('should let the Grand Est analyst validate, from /moderation, an actor the demonstration member created', async () => {
    await logInThroughForm(page, { url: server.url, email: ANALYST.email, password: ANALYST.password, name: ANALYST.displayName });
    // Logged in, on « Mon espace »: both queues of the moderation page, counted (it said « 0 fiche en
    // attente de validation » alone while the page listed records to verify).
    await page.waitForURL(`${server.url}/mon-espace`);
    const moderation = page.locator('section', { has: page.getByRole('heading', { name: 'Modération' }) });
    await expect
      .poll(() => moderation.innerText(), { timeout: 10_000 })
      .toMatch(/File de modération\s:\s2 fiches en attente de validation ; [1-9][\d\u202f]* fiches? à vérifier\./);
    const link = page.getByTestId('moderation-link');
    await expect.poll(() => link.innerText()).toMatch(/Modération\s*2/);
    await link.click();
    await page.getByRole('heading', { level: 1, name: 'Modération' }).waitFor();
    const entry = page.locator('article', { has: page.getByRole('heading', { name: 'Association démo des aidants de Verdun' }) });
    await entry.waitFor();
    const text = await entry.innerText();
    expect(text).toContain('Association');
    expect(text).toContain(`enregistré par ${MEMBER.displayName}`);
    expect(text).toMatch(/Motif : Créé par un compte membre/);
    expect(text).toMatch(/Territoire déclaré : Commune Verdun/);
    await mapIdle(page);
    await keepScreenshot(page, 'moderation-file.png');
    await page
      .locator('section', { has: page.getByRole('heading', { name: 'À vérifier' }) })
      .locator('li')
      .first()
      .waitFor();
    expect(await axe(page)).toEqual([]);

    await entry.getByRole('button', { name: 'Valider Association démo des aidants de Verdun' }).click();
    await page.getByRole('status').filter({ hasText: 'est validé' }).waitFor();
    await expect.poll(() => page.getByTestId('queue-count').innerText()).toBe('1 acteur en attente de validation.');
    await expect.poll(() => link.innerText()).toMatch(/Modération\s*1/);
    const validated = (await ok(server.admin.gql(ACTOR, { id: created.first }))).actor;
    expect(validated.reviewStatus).toBe('VALIDATED');
    expect(validated.verifiedAt).not.toBeNull();

    // A refusal needs its reason, in the page and on the server.
    const second = page.locator('article', { has: page.getByRole('heading', { name: 'Collectif démo de Bar-le-Duc' }) });
    await second.getByRole('button', { name: 'Refuser Collectif démo de Bar-le-Duc' }).click();
    await second.getByRole('alert').filter({ hasText: 'Donnez la raison du refus' }).waitFor();
    expect((await ok(server.admin.gql(ACTOR, { id: created.second }))).actor.reviewStatus).toBe('PENDING_REVIEW');
    await second.getByLabel('Commentaire (obligatoire pour un refus)').fill('Doublon de l’association départementale');
    await second.getByRole('button', { name: 'Refuser Collectif démo de Bar-le-Duc' }).click();
    await expect.poll(() => page.getByTestId('queue-count').innerText()).toBe('Aucun acteur en attente de validation.');
    expect((await ok(server.admin.gql(ACTOR, { id: created.second }))).actor.reviewStatus).toBe('REJECTED');

    // « À vérifier »: the demonstration CPTS, never confirmed, is the only local presence of its themes across the Meuse.
    const stale = page.locator('section', { has: page.getByRole('heading', { name: 'À vérifier' }) });
    const cpts = stale.locator('li', { hasText: 'CPTS démo du Nord meusien' });
    await cpts.waitFor();
    expect(await cpts.innerText()).toMatch(/jamais confirmée[\s\S]*Seule présence locale \(.*Vaccination.*\) dans [\d\s\u202f]+ communes/);
    // The actor just validated is confirmed by that validation: not to check.
    expect(await stale.getByText('Association démo des aidants de Verdun').count()).toBe(0);
    await keepScreenshot(page, 'moderation-file-vide.png', { fullPage: true });
  });

  it('should refuse /moderation to a visitor and to a member, and show no link to them', async () => {
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.goto(`${server.url}/moderation`);
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('UNAUTHENTICATED');
    expect(await refusal.innerText()).toBe('Connexion requise.');
    expect(await page.getByTestId('moderation-link').count()).toBe(0);

    await logInThroughForm(page, { url: server.url, email: MEMBER.email, password: MEMBER.password, name: MEMBER.displayName, back: '/moderation' });
    await expect.poll(() => page.getByRole('alert').getAttribute('data-code')).toBe('FORBIDDEN');
    expect(await page.getByRole('alert').innerText()).toMatch(/réservée aux analystes ARS et aux administrateurs/);
    expect(await page.getByTestId('moderation-link').count()).toBe(0);
    await keepScreenshot(page, 'moderation-refusee-membre.png');
  });

  it('should let the member confirm that the information of the association it represents is up to date', async () => {
    const [{ id }]: { id: string }[] = await server.ds.query(`SELECT id FROM actor WHERE source = 'demo:accounts' AND name LIKE 'Association démo Jeunesse%'`);
    const before = (await ok(server.admin.gql(ACTOR, { id }))).actor;
    expect(before.verifiedAt).toBeNull();
    await page.goto(`${server.url}/acteurs/${id}`);
    const freshness = page.getByTestId('freshness');
    await expect.poll(() => freshness.innerText()).toMatch(/Informations jamais confirmées par un responsable\.\s*À VÉRIFIER|à vérifier/i);
    await freshness.getByRole('button', { name: 'Ces informations sont à jour' }).click();
    await page.getByRole('status').filter({ hasText: 'la fiche est confirmée à jour' }).waitFor();
    const after = (await ok(server.admin.gql(ACTOR, { id }))).actor;
    expect(after.version).toBe(before.version);
    const day = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(after.verifiedAt));
    expect(await freshness.innerText()).toContain(`Informations confirmées le ${day}.`);
    expect(await freshness.innerText()).not.toMatch(/à vérifier/i);
    expect(await axe(page)).toEqual([]);
    await keepScreenshot(page, 'acteur-informations-a-jour.png');
  });
});
