import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserSession, hasChromium, openBrowserSession, SHOTS } from '../helpers/browser.js';
import type { TestServer } from '../helpers/server.js';

const SOURCE = 'test:e2e/moderation-badge.test.ts';
const DOMAIN = '@test-e2e-moderation.local';

/** An actor waiting for validation says so, on its page and in the commune's list, to every visitor. */
describe.skipIf(!hasChromium)('actors awaiting validation in a real browser (Chromium)', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  let pending: string;

  beforeAll(async () => {
    ({ server, browser, page } = await openBrowserSession());
    const member = await server.signedIn({ email: `membre${DOMAIN}`, password: 'mot de passe de test' });
    const res = await member.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id reviewStatus } }`, {
      input: { name: 'Badge Association en attente', kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], communeCode: '55545', source: SOURCE },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.createActor.reviewStatus).toBe('PENDING_REVIEW');
    pending = res.data.createActor.id;
    await server.createActor({
      name: 'Badge Association validée',
      kind: 'ASSOCIATION',
      sector: 'SANTE',
      themes: ['vaccination'],
      communeCode: '55545',
      source: SOURCE,
    });
  });

  afterAll(() => closeBrowserSession({ server, browser }));

  it('should badge the pending actor, and only it, in the commune’s list', async () => {
    await page.goto(`${server.url}/communes/55545?themes=vaccination`);
    const pendingItem = page.locator('li', { has: page.getByRole('link', { name: 'Badge Association en attente' }) });
    const validItem = page.locator('li', { has: page.getByRole('link', { name: 'Badge Association validée' }) });
    await pendingItem.waitFor();
    await validItem.waitFor();
    await expect.poll(() => pendingItem.locator('.badge').allTextContents()).toContain('en attente de validation');
    expect(await validItem.getByText('en attente de validation').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'commune-acteur-en-attente.png') });
  });

  it('should say on the actor’s page that it does not count yet', async () => {
    await page.goto(`${server.url}/acteurs/${pending}`);
    await page.getByRole('heading', { level: 1, name: 'Badge Association en attente' }).waitFor();
    const notice = page.locator('.notice', { hasText: 'en attente de validation' });
    await notice.waitFor();
    // innerText: the text as rendered (the markup may wrap a sentence over several lines).
    expect(await notice.innerText()).toMatch(/ne compte pas dans les lacunes/);
    await page.screenshot({ path: path.join(SHOTS, 'acteur-en-attente.png') });
  });
});
