import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { type CookieClient, startTestServer, type TestServer } from './server.js';

/** Debian's Chromium: the browser tests drive it, never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The browser of the tests: Debian's `chromium-headless-shell` when installed (.ci/run installs it),
 * else its Chromium. It is the same Blink, V8 and SwiftShader WebGL, without the browser's own
 * interface behind the page: Playwright drives it by default in headless mode. The bench keeps
 * the whole Chromium, the browser a person opens.
 */
const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';
const TEST_BROWSER = process.env.CHROMIUM_PATH ?? (fs.existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : CHROMIUM);
export const hasChromium = fs.existsSync(TEST_BROWSER);

/** Screenshots land here, to be looked at. */
export const SHOTS = path.resolve('test-output/screenshots');

/**
 * A screenshot of a page (the whole page with `fullPage`) or of one element, in SHOTS under `name`,
 * for a person to look at after a run. With TEST_SCREENSHOTS=off (.ci/run: nobody looks at a CI
 * clone's files) none is taken: each cost the machine ≈ 0.8 s of CPU (17 of them, design-system and
 * coalitions: 93–94 against 79–80 s), about 70 a run. A screenshot
 * that a test reads (its pixels) is taken by the test itself, always.
 */
export async function keepScreenshot(target: Page | Locator, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (process.env.TEST_SCREENSHOTS === 'off') return;
  const file = path.join(SHOTS, name);
  if ('goto' in target) await target.screenshot({ path: file, ...options });
  else await target.screenshot({ path: file });
}

const LAUNCH: LaunchOptions = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
const CONTEXT = { viewport: { width: 1400, height: 900 }, locale: 'fr-FR' };

/**
 * A Chromium of its own, with a profile of its own: the bench's browser just started (the whole
 * Chromium, `CHROMIUM`). A second person's browser in a test is a context of the worker's Chromium
 * (`newBrowser`).
 */
export async function launch(executablePath: string): Promise<BrowserContext> {
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-')), { ...LAUNCH, executablePath, ...CONTEXT });
}

let shared: Promise<Browser> | undefined;

/**
 * A browser of its own for a test (cookies, storage and cache apart, as a second person's
 * browser), as a context of the one Chromium this test worker starts: the test files of a worker
 * run one after the other in one process (vitest.config.ts), and need not start Chromium again
 * each. Closing the context leaves Chromium to the next file; it ends with the worker.
 */
export async function newBrowser(): Promise<BrowserContext> {
  fs.mkdirSync(SHOTS, { recursive: true });
  shared ??= chromium.launch({ ...LAUNCH, executablePath: TEST_BROWSER }).then((browser) => {
    browser.on('disconnected', () => (shared = undefined));
    return browser;
  });
  const context = await (await shared).newContext(CONTEXT);
  for (const watch of contextWatchers) watch(context);
  return context;
}

/** Called with each browser newBrowser opens: describeInBrowser watches a second person's pages too. */
const contextWatchers = new Set<(context: BrowserContext) => void>();

/**
 * The DSFR alerts shown on the page whose text starts under their icon (the icon is the alert's
 * `::before`, the text starts at its left padding): a page's own padding on a `fr-alert` once hid
 * the first letters of « Fiche enregistrée ». Their texts, none when every alert is drawn as the DSFR's.
 */
export function alertsOverTheirIcon(page: Page): Promise<string[]> {
  return page.locator('body').evaluate((body: any) =>
    Array.from<any>(body.querySelectorAll('.fr-alert'))
      .filter((el) => el.getClientRects().length > 0)
      .filter((el) => {
        const style = (globalThis as any).getComputedStyle;
        const icon = style(el, '::before');
        const iconRight = (parseFloat(icon.left) || 0) + (parseFloat(icon.width) || 0) + (parseFloat(icon.marginLeft) || 0);
        return icon.content !== 'none' && parseFloat(style(el).paddingLeft) < iconRight;
      })
      .map((el) => el.textContent.trim()),
  );
}

/** Waits until the map has drawn everything (the app sets the flag on MapLibre's idle event). */
export async function mapIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as any).__mapIdle === true, null, { timeout: 30_000 });
}

/** The Content-Security-Policy violations a page reports, from `watchCspViolations`. */
export interface CspViolations {
  /** Forgets the console's messages (a page just opened lists its own DOM events again). */
  reset(): void;
  /** The violations seen since the page opened: the DOM events', then the console's. */
  seen(): Promise<string[]>;
}

/**
 * Watches `page` for violations of the Content-Security-Policy, caught twice: the
 * `securitypolicyviolation` DOM event (directive, blocked address and where) and Chromium's console
 * message. Call it before the pages are opened: the DOM listener is an init script.
 */
export async function watchCspViolations(page: Page): Promise<CspViolations> {
  let fromConsole: string[] = [];
  await page.addInitScript(() => {
    const seen: string[] = ((globalThis as any).__cspViolations = []);
    (globalThis as any).document.addEventListener('securitypolicyviolation', (e: any) =>
      seen.push(`${e.effectiveDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`),
    );
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) fromConsole.push(m.text());
  });
  return {
    reset: () => {
      fromConsole = [];
    },
    // No list at all (the listener missing) fails the test rather than passing for « no violation ».
    seen: async () => [...(await page.evaluate(() => (globalThis as any).__cspViolations as string[])), ...fromConsole],
  };
}

/** The app on this file's own database and a Chromium page: what every browser test starts from. */
export interface BrowserSession {
  server: TestServer;
  browser: BrowserContext;
  page: Page;
}

export async function openBrowserSession(): Promise<BrowserSession> {
  const server = await startTestServer();
  const browser = await newBrowser();
  return { server, browser, page: await browser.newPage() };
}

/**
 * What the pages said while a test ran: console errors, failed requests and GraphQL errors, one
 * line each, for a failed test to print. Watches every page `context` opens from now on.
 */
export function watchTrouble(context: BrowserContext): { lines: string[]; watch: (context: BrowserContext) => void } {
  const lines: string[] = [];
  const note = (line: string) => lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') note(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => note(`page error: ${e.message}`));
    page.on('requestfailed', (r) => note(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => {
      if (!r.url().endsWith('/graphql')) return;
      r.json().then(
        (body: { errors?: { message: string; extensions?: { code?: string } }[] }) => {
          for (const e of body.errors ?? []) note(`GraphQL ${r.status()}: ${e.extensions?.code ?? ''} ${e.message}`);
        },
        () => undefined,
      );
    });
  };
  const watchContext = (c: BrowserContext) => {
    c.pages().forEach(watch);
    c.on('page', watch);
  };
  const trouble = { lines, watch: watchContext };
  watchContext(context);
  return trouble;
}

/**
 * After a failed test: a screenshot of each page still open in the worker's Chromium, the session's
 * and those of the test's other browsers (newBrowser: a second person's), as `failed-<test>-<n>.png`
 * in SHOTS, and what the pages said, printed, so that a failure seen once in CI can be read afterwards.
 * A worker runs one file at a time: every context open is this file's.
 */
async function reportFailure(s: BrowserSession, test: string, trouble: { lines: string[] }): Promise<void> {
  const stem = `failed-${test.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 60)}`;
  const contexts = s.browser.browser()?.contexts() ?? [s.browser];
  const pages = contexts.flatMap((c) => c.pages());
  for (const [n, page] of pages.entries()) {
    await page.screenshot({ path: path.join(SHOTS, `${stem}-${n}.png`), fullPage: true, timeout: 10_000 }).catch(() => undefined);
    const alerts = await page
      .locator('[role=alert], [role=status]')
      .allTextContents()
      .catch(() => []);
    console.error(`[${test}] page ${n} at ${page.url()}; alerts: ${JSON.stringify(alerts.map((t) => t.trim()).filter(Boolean))}`);
  }
  console.error(`[${test}] ${trouble.lines.length} troubles seen:\n${trouble.lines.slice(-30).join('\n')}`);
}

/** Closes what openBrowserSession() opened (the file's database goes with the file). */
export async function closeBrowserSession({ server, browser }: Partial<BrowserSession>): Promise<void> {
  await browser?.close();
  await server?.close();
}

/**
 * A block of browser tests on one session: skipped, with its reason, on a machine without Debian's
 * Chromium (.ci/run installs it). The session's fields are set before the block's own `beforeAll`
 * runs, and closed after its own `afterAll`.
 */
export function describeInBrowser(name: string, body: (session: BrowserSession) => void): void {
  describe.skipIf(!hasChromium)(name, () => {
    const session = {} as BrowserSession;
    let trouble: ReturnType<typeof watchTrouble> | undefined;
    // The other browsers the file opens (a second account's) are watched as the session's is.
    const watchOthers = (context: BrowserContext) => trouble?.watch(context);
    beforeAll(async () => {
      Object.assign(session, await openBrowserSession());
      trouble = watchTrouble(session.browser);
      contextWatchers.add(watchOthers);
    });
    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail' && session.browser && trouble) await reportFailure(session, ctx.task.name, trouble);
      trouble?.lines.splice(0);
    });
    afterAll(async () => {
      contextWatchers.delete(watchOthers);
      await closeBrowserSession(session);
    });
    body(session);
  });
}

/**
 * Runs `body` with the session's browser signed in as `account` (its session cookie, as the app
 * sets it), then signs the browser out again (its cookies cleared), even when `body` fails.
 */
export async function whileSignedIn(s: BrowserSession, account: CookieClient, body: () => Promise<void>): Promise<void> {
  const url = new URL(s.server.url);
  await s.browser.addCookies([{ name: 'session', value: account.cookies.get('session')!, domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Lax' }]);
  try {
    await body();
  } finally {
    await s.browser.clearCookies();
  }
}

/**
 * Signs in through the log-in form (`retour` = `back`), as the account `email` shown as `name`;
 * `shot` names a screenshot of the filled form.
 */
export async function logInThroughForm(
  page: Page,
  login: { url: string; email: string; password: string; name: string; back?: string; shot?: string },
): Promise<void> {
  await page.goto(`${login.url}/connexion${login.back ? `?retour=${encodeURIComponent(login.back)}` : ''}`);
  await page.getByRole('heading', { name: 'Créer un compte' }).waitFor();
  await page.getByLabel('Courriel', { exact: true }).first().fill(login.email);
  await page.locator('#login-password').fill(login.password);
  if (login.shot) await page.screenshot({ path: path.join(SHOTS, login.shot) });
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await expect.poll(() => page.getByTestId('who').textContent()).toContain(login.name);
}
