import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, newBrowser, keepScreenshot } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DOMAIN = '@test-e2e-account.local';
const EMAIL = `titulaire${DOMAIN}`;
const PASSWORD = 'mot de passe du compte e2e';
const NEW_PASSWORD = 'un autre mot de passe e2e';

/**
 * « Mon compte » in two real browsers signed in as the same account: the sessions each one sees,
 * the first ending the second, the change of password, « Se déconnecter partout », and the
 * log-in page's return address that must never leave the site.
 */
describe.skipIf(!hasChromium)('account page: sessions and password in real browsers (Chromium)', () => {
  let server: TestServer;
  let first: BrowserContext;
  let second: BrowserContext;
  let a: Page;
  let b: Page;

  beforeAll(async () => {
    server = await startTestServer();
    const api = server.client();
    const up = await api.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
      input: { email: EMAIL, password: PASSWORD, displayName: 'Personne titulaire' },
    });
    expect(up.errors, JSON.stringify(up.errors)).toBeUndefined();
    await api.gql(`mutation { logOut }`);
    first = await newBrowser();
    second = await newBrowser();
    a = await first.newPage();
    b = await second.newPage();
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await server?.close();
  });

  async function logIn(p: Page, back: string, password = PASSWORD) {
    await p.goto(`${server.url}/connexion?retour=${back}`);
    await p.getByRole('heading', { name: 'Créer un compte' }).waitFor();
    await p.locator('#login-email').fill(EMAIL);
    await p.locator('#login-password').fill(password);
    await p.getByRole('button', { name: 'Se connecter' }).click();
    await expect.poll(() => p.getByTestId('who').textContent()).toContain('Personne titulaire');
  }

  const items = (p: Page) => p.getByTestId('session');

  /** An account of the test's own (the other tests count, end and change the sessions of theirs): its e-mail. */
  async function ownAccount(local: string, displayName: string): Promise<string> {
    const email = `${local}${DOMAIN}`;
    const up = await server.client().gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
      input: { email, password: PASSWORD, displayName },
    });
    expect(up.errors, JSON.stringify(up.errors)).toBeUndefined();
    return email;
  }

  it('stays signed in when the page’s first « me », sent before the log-in, answers after it', async () => {
    const email = await ownAccount('rapide', 'Personne rapide');
    const context = await newBrowser();
    try {
      const p = await context.newPage();
      // The page's first `me` (sent at start, before the log-in) is held back until the log-in is
      // done, then answered as the server answered it: nobody signed in.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let heldRequest: Request | undefined;
      await p.route('**/graphql', async (route) => {
        if (heldRequest || !(route.request().postData() ?? '').includes('query Me')) return route.continue();
        heldRequest = route.request();
        await held;
        await route.fulfill({ json: { data: { me: null } } });
      });
      await p.goto(`${server.url}/connexion?retour=%2Fcompte`);
      await p.getByRole('heading', { name: 'Créer un compte' }).waitFor();
      await p.locator('#login-email').fill(email);
      await p.locator('#login-password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Se connecter' }).click();
      await expect.poll(() => p.getByTestId('who').textContent()).toContain('Personne rapide');
      expect(heldRequest).toBeDefined();
      const finished = p.waitForEvent('requestfinished', (r) => r === heldRequest);
      release();
      await finished;
      // The late anonymous answer has reached the page: the page still shows the account.
      await p.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
      expect(await p.getByTestId('who').textContent()).toContain('Personne rapide');
      await p.waitForURL(`${server.url}/compte`);
      await p.getByTestId('session').first().waitFor();
    } finally {
      await context.close();
    }
  });

  it('stays on the page a link of the header led to while the log-in was still reading the session', async () => {
    const email = await ownAccount('presse', 'Personne pressée');
    const context = await newBrowser();
    try {
      const p = await context.newPage();
      await p.goto(`${server.url}/connexion`);
      await p.getByRole('heading', { name: 'Créer un compte' }).waitFor();
      // The `me` the log-in asks once the server has accepted it is held back: the header already
      // shows the account and its links; one is followed before the log-in is over.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let loggedIn = false;
      let heldRequest: Request | undefined;
      await p.route('**/graphql', async (route) => {
        const body = route.request().postData() ?? '';
        if (body.includes('mutation LogIn')) loggedIn = true;
        if (!loggedIn || heldRequest || !body.includes('query Me')) return route.continue();
        heldRequest = route.request();
        await held;
        await route.continue();
      });
      await p.locator('#login-email').fill(email);
      await p.locator('#login-password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Se connecter' }).click();
      await expect.poll(() => p.getByTestId('who').textContent()).toContain('Personne pressée');
      await expect.poll(() => heldRequest !== undefined).toBe(true);
      await p.getByRole('link', { name: 'Mon compte' }).click();
      await p.waitForURL(`${server.url}/compte`);
      const finished = p.waitForEvent('requestfinished', (r) => r === heldRequest);
      release();
      await finished;
      // The log-in is over: it leaves the visitor on the page they chose (it went to /coalitions).
      await p.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
      expect(new URL(p.url()).pathname).toBe('/compte');
      await p.getByTestId('session').first().waitFor();
    } finally {
      await context.close();
    }
  });

  it('lists both browsers’ sessions, each page marking its own as « cette session »', async () => {
    await logIn(a, '%2Fcompte');
    await logIn(b, '%2Fcompte');
    await a.waitForURL(`${server.url}/compte`);
    await b.waitForURL(`${server.url}/compte`);
    await a.reload();
    await expect.poll(() => items(a).count()).toBe(2);
    expect(await items(a).filter({ hasText: 'cette session' }).count()).toBe(1);
    // Browser and system in words, dates in French.
    const text = (await items(a).first().textContent()) ?? '';
    expect(text).toMatch(/Chrome \d+ sur Linux \(ordinateur\)/);
    expect(text).toMatch(/Ouverte le \d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4} à \d{2}:\d{2}/);
    await keepScreenshot(a, 'compte-sessions.png', { fullPage: true });
  });

  it('ends the other browser’s session from the page: that browser is signed out on its next request', async () => {
    await items(a)
      .filter({ hasNotText: 'cette session' })
      .getByRole('button', { name: /Se déconnecter/ })
      .click();
    await expect.poll(() => items(a).count()).toBe(1);
    expect(await items(a).first().textContent()).toContain('cette session');
    // The second browser still shows its account in the header until it asks the server anything.
    await b.getByRole('link', { name: 'Coalitions' }).click();
    await b.getByRole('link', { name: 'Mon compte' }).click();
    await b.getByTestId('signed-out').waitFor();
    await b.getByRole('link', { name: 'Se connecter' }).first().waitFor();
    expect(await b.getByTestId('who').count()).toBe(0);
    expect((await second.cookies()).filter((c) => c.name === 'session')).toEqual([]);
    await keepScreenshot(b, 'compte-session-fermee.png', { fullPage: true });
    // And a reload does not bring it back.
    await b.reload();
    await b.getByTestId('signed-out').waitFor();
  });

  it('changes the password, keeping this session and ending the others', async () => {
    await logIn(b, '%2Fcompte');
    await a.reload();
    await expect.poll(() => items(a).count()).toBe(2);
    await a.locator('#current-password').fill('pas le bon mot de passe');
    await a.locator('#new-password').fill(NEW_PASSWORD);
    await a.locator('#confirm-password').fill(NEW_PASSWORD);
    await a.getByRole('button', { name: 'Changer le mot de passe' }).click();
    await a.getByRole('alert').filter({ hasText: 'Mot de passe actuel incorrect.' }).waitFor();
    await a.locator('#current-password').fill(PASSWORD);
    await a.getByRole('button', { name: 'Changer le mot de passe' }).click();
    await a.getByText('Mot de passe changé. Vos autres sessions sont fermées.').waitFor();
    await expect.poll(() => items(a).count()).toBe(1);
    await keepScreenshot(a, 'compte-mot-de-passe.png', { fullPage: true });
    await b.reload();
    await b.getByTestId('signed-out').waitFor();
  });

  it('« Se déconnecter partout » ends every session, this one included', async () => {
    await logIn(b, '%2Fcompte', NEW_PASSWORD);
    await a.reload();
    await expect.poll(() => items(a).count()).toBe(2);
    await a.getByRole('button', { name: 'Se déconnecter partout' }).click();
    await a.getByText('Toutes vos sessions sont fermées, celle-ci comprise.').waitFor();
    expect(await a.getByTestId('who').count()).toBe(0);
    await keepScreenshot(a, 'compte-partout.png', { fullPage: true });
    await b.reload();
    await b.getByTestId('signed-out').waitFor();
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM session s JOIN user_account u ON u.id = s.user_id WHERE u.email = $1`, [EMAIL]);
    expect(n).toBe(0);
  });

  it('brings the visitor back to the analysis they were reading after « Se connecter » in the header', async () => {
    const email = await ownAccount('lecteur', 'Personne lectrice');
    const context = await newBrowser();
    try {
      const p = await context.newPage();
      const analysis = '/lacunes?region=44&niveau=COMMUNE&departement=55&theme=sante-mentale';
      await p.goto(`${server.url}${analysis}`);
      await p.getByRole('heading', { name: 'Zones sans acteurs de prévention' }).waitFor();
      await p.getByRole('link', { name: 'Se connecter' }).click();
      await p.getByRole('heading', { name: 'Créer un compte' }).waitFor();
      await p.locator('#login-email').fill(email);
      await p.locator('#login-password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Se connecter' }).click();
      await expect.poll(() => p.getByTestId('who').textContent()).toContain('Personne lectrice');
      await p.waitForURL(`${server.url}${analysis}`);
      // The page is the same analysis, now read by a signed-in visitor.
      expect(await p.getByRole('combobox', { name: /^Thème/ }).inputValue()).toBe('sante-mentale');
      expect(await p.getByRole('combobox', { name: /^Département/ }).inputValue()).toBe('55');
      await keepScreenshot(p, 'account-back-to-analysis.png');
    } finally {
      await context.close();
    }
  });

  it('should not leave the site after logging in, whatever « retour » says', async () => {
    await logIn(a, '/%5Cevil.example/x', NEW_PASSWORD);
    await a.waitForURL(`${server.url}/`);
    expect(new URL(a.url()).origin).toBe(server.url);
    // The « Continuer » link of a signed-in visitor is just as safe.
    await a.goto(`${server.url}/connexion?retour=${encodeURIComponent('/\\evil.example/x')}`);
    expect(await a.getByRole('link', { name: 'Continuer' }).getAttribute('href')).toBe('/');
  });
});
