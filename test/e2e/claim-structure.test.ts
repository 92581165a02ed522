import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { axeViolations } from '../helpers/axe.js';
import { describeInBrowser, keepScreenshot, logInThroughForm, newBrowser } from '../helpers/browser.js';
import { fixtures, MEUSE_CLSM, ok, VERDUN_CPTS } from '../helpers/factories.js';

/**
 * From sign-up to member, in the browser alone: a brand-new account opens a coalition, presses
 * « Rejoindre », finds its structure and asks to represent it; in a second browser, the structure's
 * representative accepts; the first browser then sends its join request. Another new account
 * declares a structure that is not in the directory (its SIRET checked) and asks to join at once; the
 * coordinator sees it « en attente de validation ».
 */
const SOURCE = 'test:e2e/claim-structure.test.ts';
const DOMAIN = '@test-e2e-claims.local';
const PASSWORD = 'mot de passe e2e';
const STRUCTURE = 'E2E Maison des familles du Verdunois';
const FAMILY_RNA = 'W551000777';

describeInBrowser('claiming or declaring one’s structure, then joining a coalition (Chromium)', (s) => {
  const { actor, coalition, users, createActor, createActors, createUser, createCoalition, email } = fixtures(() => s.server, {
    source: SOURCE,
    domain: DOMAIN,
    password: PASSWORD,
  });
  let second: BrowserContext;
  let b: Page;

  beforeAll(async () => {
    await createActors({
      pilot: { ...VERDUN_CPTS, name: 'E2E Claims CPTS pilote' },
      family: {
        name: STRUCTURE,
        kind: 'ASSOCIATION',
        sector: 'SOCIAL',
        themes: ['parentalite'],
        communeCode: '55545',
        territories: [{ level: 'COMMUNE', code: '55545' }],
        rna: FAMILY_RNA,
      },
    });
    await createUser('coordination', 'COORDINATOR', ['pilot']);
    await createUser('representant', 'MEMBER', ['family']);
    await createCoalition('clsm', users.coordination, { ...MEUSE_CLSM, name: 'E2E Claims CLSM de la Meuse', pilotActorId: actor.pilot });
    second = await newBrowser();
    b = await second.newPage();
  });
  afterAll(() => second?.close());

  /**
   * From the coalition's « Rejoindre »: fills « Déclarer une nouvelle structure » (an association of
   * the social sector on parentalité, acting in `commune`) with one official number, and sends it.
   */
  async function declare(page: Page, name: string, commune: string, number: { label: string; value: string }) {
    await page.getByRole('button', { name: 'Rejoindre' }).click();
    await page.getByRole('button', { name: 'Déclarer une nouvelle structure' }).click();
    await page.getByLabel('Nom de la structure').fill(name);
    await page.getByLabel(number.label).fill(number.value);
    await page.getByLabel('Nature').selectOption({ label: 'Association' });
    await page.getByLabel('Secteur').selectOption({ label: 'Social' });
    // The DSFR draws the box from the label, over the hidden input: the click lands on the label, as a person's does.
    await page.getByRole('checkbox', { name: 'Parentalité' }).check({ force: true });
    await page.getByLabel('Ajouter une commune, une intercommunalité, un département ou une région').fill(commune);
    await page
      .getByRole('option', { name: new RegExp(commune) })
      .first()
      .click();
    await page.getByRole('list', { name: 'Territoires choisis' }).getByText(commune).waitFor();
    await page.getByRole('button', { name: 'Déclarer la structure' }).click();
  }

  /** Signs up through the form of /connexion, which then goes back to the coalition. */
  async function signUp(page: Page, name: string, mail: string) {
    const back = `/coalitions/${coalition.clsm}`;
    await page.goto(`${s.server.url}/connexion?retour=${encodeURIComponent(back)}`);
    await page.locator('#signup-name').fill(name);
    await page.locator('#signup-email').fill(mail);
    await page.locator('#signup-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await page.waitForURL(new RegExp(`${back}$`));
    await expect.poll(() => page.getByTestId('who').textContent()).toContain(name);
  }

  it('takes a new account from sign-up to a claim accepted by the structure’s representative, then to a join request', async () => {
    const a = s.page;
    await signUp(a, 'Nouvelle Directrice', email('directrice'));
    await a.getByRole('button', { name: 'Rejoindre' }).click();
    await a.getByText('Votre compte ne représente encore aucune structure').waitFor();
    // Two buttons of the State's design system (they were bare text), the chosen one filled.
    const look = (name: string) =>
      a.getByRole('button', { name }).evaluate((b) => {
        const style = getComputedStyle(b);
        return { background: style.backgroundColor, height: b.getBoundingClientRect().height, pressed: b.getAttribute('aria-pressed') };
      });
    const find = 'Trouver ma structure';
    const declare = 'Déclarer une nouvelle structure';
    expect((await look(find)).height).toBeGreaterThanOrEqual(40);
    expect((await look(declare)).height).toBeGreaterThanOrEqual(40);
    await a.getByRole('button', { name: find }).click();
    await a.mouse.move(0, 0); // not hovered: its own colour
    await expect.poll(() => look(find)).toEqual({ background: 'rgb(0, 0, 145)', height: expect.any(Number), pressed: 'true' });
    expect((await look(declare)).pressed).toBe('false');
    expect((await look(declare)).background).not.toBe('rgb(0, 0, 145)');
    await a.getByLabel('Nom, SIRET, numéro RNA ou commune').fill('maison des familles verdunois');
    await a.getByRole('button', { name: 'Rechercher' }).click();
    await a.getByRole('button', { name: `Demander à représenter ${STRUCTURE}` }).click();
    await a.getByLabel('Votre message aux représentants de la structure').fill('Je dirige la structure depuis septembre.');
    expect(await axeViolations(a)).toEqual([]);
    await a.getByRole('button', { name: 'Envoyer la demande' }).click();
    await a.getByText(`Demande envoyée pour ${STRUCTURE}`).waitFor();
    await a.getByTestId('my-claim').filter({ hasText: 'En attente' }).waitFor();
    await keepScreenshot(a, 'claim-sent.png', { fullPage: true });

    // The representative, in another browser, finds the claim on « Mon compte » and accepts it.
    await logInThroughForm(b, { url: s.server.url, email: email('representant'), password: PASSWORD, name: 'Personne representant', back: '/compte' });
    await b.waitForURL(/\/compte$/);
    const entry = b.getByTestId('claim-to-decide').filter({ hasText: 'Nouvelle Directrice' });
    await entry.getByText('Je dirige la structure depuis septembre.').waitFor();
    expect(await axeViolations(b)).toEqual([]);
    await b.getByRole('button', { name: `Accepter la demande de Nouvelle Directrice pour ${STRUCTURE}` }).click();
    await b.getByText(`Nouvelle Directrice représente maintenant ${STRUCTURE}.`).waitFor();

    // The first browser learns the decision and sends its join request for the structure.
    // The claims box gives way to the join form, which says why (the « Acceptée » claim showed only
    // for the round trip of the session's refresh: too short for a person, or a test, to see).
    await a.getByRole('button', { name: 'Vérifier si ma demande a été acceptée' }).click();
    await a
      .getByTestId('now-represents')
      .filter({ hasText: `Votre compte représente maintenant ${STRUCTURE}` })
      .waitFor();
    await a.getByLabel('Acteur que vous représentez').waitFor();
    expect(await a.getByLabel('Acteur que vous représentez').locator('option:checked').textContent()).toBe(STRUCTURE);
    // The notice tells what changed while that form was open: closed and opened anew, the form is without it.
    await a.getByRole('button', { name: 'Annuler' }).click();
    await a.getByRole('button', { name: 'Rejoindre', exact: true }).click();
    await a.getByLabel('Acteur que vous représentez').waitFor();
    expect(await a.getByTestId('now-represents').count()).toBe(0);
    await a.getByRole('button', { name: 'Envoyer la demande' }).click();
    await a.getByTestId('pending').filter({ hasText: STRUCTURE }).waitFor();
    const [row] = await s.server.ds.query(`SELECT status FROM membership WHERE coalition_id = $1 AND actor_id = $2`, [coalition.clsm, actor.family]);
    expect(row).toEqual({ status: 'REQUESTED' });
  });

  it('lets a new account declare its structure (SIRET checked), ask to join at once, and shows the coordinator it awaits validation', async () => {
    await s.page.context().clearCookies();
    const a = s.page;
    await signUp(a, 'Nouveau Président', email('president'));
    await declare(a, 'E2E Parents solidaires de Stenay', 'Stenay', { label: 'SIRET (facultatif)', value: '732 829 320 00075' });
    await a.getByText('Ce SIRET n’existe pas').waitFor();
    expect(await a.getByLabel('SIRET (facultatif)').getAttribute('aria-invalid')).toBe('true');
    expect(await axeViolations(a)).toEqual([]);
    await a.getByLabel('SIRET (facultatif)').fill('732 829 320 00074');
    await a.getByRole('button', { name: 'Déclarer la structure' }).click();

    await a.getByLabel('Acteur que vous représentez').waitFor();
    expect(await a.getByLabel('Acteur que vous représentez').locator('option:checked').textContent()).toBe('E2E Parents solidaires de Stenay');
    await a.getByRole('button', { name: 'Envoyer la demande' }).click();
    await a.getByTestId('pending').filter({ hasText: 'E2E Parents solidaires de Stenay' }).waitFor();

    await b.context().clearCookies();
    await logInThroughForm(b, {
      url: s.server.url,
      email: email('coordination'),
      password: PASSWORD,
      name: 'Personne coordination',
      back: `/coalitions/${coalition.clsm}`,
    });
    const row = b.getByRole('row').filter({ hasText: 'E2E Parents solidaires de Stenay' });
    await row.getByText('en attente de validation').waitFor();
    await keepScreenshot(b, 'claim-declared-pending.png', { fullPage: true });
  });

  it('shows beside the field that the number is already in the directory, and lets the account ask to represent that structure instead', async () => {
    await s.page.context().clearCookies();
    const a = s.page;
    await signUp(a, 'Nouvelle Trésorière', email('tresoriere'));
    await declare(a, 'E2E Maison des familles (bis)', 'Verdun', { label: 'Numéro RNA (facultatif)', value: FAMILY_RNA.toLowerCase() });

    await a.getByText(`« ${STRUCTURE} » est déjà dans le répertoire avec ce numéro`).waitFor();
    expect(await a.getByLabel('Numéro RNA (facultatif)').getAttribute('aria-invalid')).toBe('true');
    expect(await a.locator('.field-error').first().textContent()).toMatch(/numéro RNA W551000777 est déjà celui de l’acteur/);
    expect(await axeViolations(a)).toEqual([]);
    await a.getByRole('button', { name: `Demander à représenter « ${STRUCTURE} »` }).click();
    await a.getByText(`Votre demande de représenter « ${STRUCTURE} » est envoyée`).waitFor();
    const [{ n }] = await s.server.ds.query(
      `SELECT count(*)::int AS n FROM actor_claim c JOIN user_account u ON u.id = c.account_id WHERE u.email = $1 AND c.actor_id = $2 AND c.status = 'PENDING'`,
      [email('tresoriere'), actor.family],
    );
    expect(n).toBe(1);
    expect(await s.server.ds.query(`SELECT 1 FROM actor WHERE name = 'E2E Maison des familles (bis)'`)).toEqual([]);
  });

  it('keeps the server’s refusal on screen when the claim was withdrawn while its representative was deciding', async () => {
    // A structure of its own with one representative: once the claim is gone, his list is empty
    // (and « Mon compte » hides an empty list).
    await createActor('solo', { ...VERDUN_CPTS, name: 'E2E Claims CPTS sans autre demande' });
    await createUser('solo-rep', 'MEMBER', ['solo']);
    const claimant = await createUser('hesitant', 'MEMBER');
    const { claimActor } = await ok<{ claimActor: { id: string } }>(
      claimant.gql(`mutation ($a: ID!) { claimActor(actorId: $a, message: null) { id } }`, { a: actor.solo }),
    );
    const context = await newBrowser();
    try {
      const page = await context.newPage();
      await logInThroughForm(page, { url: s.server.url, email: email('solo-rep'), password: PASSWORD, name: 'Personne solo-rep', back: '/compte' });
      await page.getByTestId('claim-to-decide').filter({ hasText: 'Personne hesitant' }).waitFor();
      // The claimant changes his mind while the page is open.
      await ok(claimant.gql(`mutation ($id: ID!) { withdrawActorClaim(id: $id) { id } }`, { id: claimActor.id }));
      await page.getByRole('button', { name: 'Accepter la demande de Personne hesitant pour E2E Claims CPTS sans autre demande' }).click();
      // The list read again no longer has the claim; the server's answer stays above it.
      await page.getByTestId('claim-to-decide').filter({ hasText: 'Personne hesitant' }).waitFor({ state: 'detached' });
      await page.getByText('Cette demande a déjà été traitée ou retirée : rechargez la page.').waitFor();
      expect(await page.getByText('Personne hesitant représente maintenant').count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('tells an account that comes to represent a structure already asking to join that there is nothing to ask, and never offers it', async () => {
    // A structure of its own whose representative has asked to join: the request is pending, which
    // only its representatives and the coordinators see.
    const WAITING = 'E2E Claims Maison de santé en attente';
    await createActor('waiting', { ...VERDUN_CPTS, name: WAITING });
    const waitingRep = await createUser('waiting-rep', 'MEMBER', ['waiting']);
    await ok(waitingRep.gql(`mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id } }`, { c: coalition.clsm, a: actor.waiting }));

    await s.page.context().clearCookies();
    const a = s.page;
    await signUp(a, 'Nouvelle Coordinatrice', email('nouvelle-coordinatrice'));
    await a.getByRole('button', { name: 'Rejoindre' }).click();
    await a.getByRole('button', { name: 'Trouver ma structure' }).click();
    await a.getByLabel('Nom, SIRET, numéro RNA ou commune').fill(WAITING.toLowerCase());
    await a.getByRole('button', { name: 'Rechercher' }).click();
    await a.getByRole('button', { name: `Demander à représenter ${WAITING}` }).click();
    await a.getByRole('button', { name: 'Envoyer la demande' }).click();
    await a.getByText(`Demande envoyée pour ${WAITING}`).waitFor();

    // Its representative accepts, in the other browser.
    await b.context().clearCookies();
    await logInThroughForm(b, { url: s.server.url, email: email('waiting-rep'), password: PASSWORD, name: 'Personne waiting-rep', back: '/compte' });
    await b.getByRole('button', { name: `Accepter la demande de Nouvelle Coordinatrice pour ${WAITING}` }).click();
    await b.getByText(`Nouvelle Coordinatrice représente maintenant ${WAITING}.`).waitFor();

    // No request to send and no form with nothing to choose; nor, while the page reads the
    // coalition again (before it, this account could not see the pending request), a moment's
    // offer to ask: every text the notice takes is kept.
    await a.evaluate(() => {
      const seen: string[] = ((globalThis as any).__notices = []);
      new (globalThis as any).MutationObserver(() => {
        const notice = (globalThis as any).document.querySelector('[data-testid="now-represents"]');
        if (notice && seen.at(-1) !== notice.textContent) seen.push(notice.textContent);
      }).observe((globalThis as any).document.body, { subtree: true, childList: true, characterData: true });
    });
    await a.getByRole('button', { name: 'Vérifier si ma demande a été acceptée' }).click();
    await a.getByTestId('pending').filter({ hasText: WAITING }).waitFor();
    await a
      .getByTestId('now-represents')
      .filter({ hasText: `Votre compte représente maintenant ${WAITING}, déjà dans cette coalition : il n’y a pas de demande à envoyer.` })
      .waitFor();
    const notices: string[] = await a.evaluate(() => (globalThis as any).__notices);
    expect(notices.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      `Votre compte représente maintenant ${WAITING}, déjà dans cette coalition : il n’y a pas de demande à envoyer.`,
    ]);
    expect(await a.getByLabel('Acteur que vous représentez').count()).toBe(0);
    expect(await a.getByRole('button', { name: 'Envoyer la demande' }).count()).toBe(0);
    expect(await axeViolations(a)).toEqual([]);
    await keepScreenshot(a, 'claim-already-in.png', { fullPage: true });
    await a.getByRole('button', { name: 'Fermer' }).click();
    await a.getByTestId('now-represents').waitFor({ state: 'detached' });
    expect(await a.getByRole('button', { name: 'Rejoindre', exact: true }).count()).toBe(0);
  });
});
