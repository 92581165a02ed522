import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, keepScreenshot } from '../helpers/browser.js';

const SOURCE = 'test:e2e/moderation-badge.test.ts';
const DOMAIN = '@test-e2e-moderation.local';

/** An actor waiting for validation says so, on its page and in the commune's list, to every visitor. */
describeInBrowser('actors awaiting validation in a real browser (Chromium)', (s) => {
  let pending: string;

  beforeAll(async () => {
    const member = await s.server.signedIn({ email: `membre${DOMAIN}`, password: 'mot de passe de test' });
    const res = await member.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id reviewStatus } }`, {
      input: { name: 'Badge Association en attente', kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'], communeCode: '55545', source: SOURCE },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.createActor.reviewStatus).toBe('PENDING_REVIEW');
    pending = res.data.createActor.id;
    await s.server.createActor({
      name: 'Badge Association validée',
      kind: 'ASSOCIATION',
      sector: 'SANTE',
      themes: ['vaccination'],
      communeCode: '55545',
      source: SOURCE,
    });
  });

  it('should badge the pending actor, and only it, in the commune’s list', async () => {
    await s.page.goto(`${s.server.url}/communes/55545?themes=vaccination`);
    const pendingItem = s.page.locator('li', { has: s.page.getByRole('link', { name: 'Badge Association en attente' }) });
    const validItem = s.page.locator('li', { has: s.page.getByRole('link', { name: 'Badge Association validée' }) });
    await pendingItem.waitFor();
    await validItem.waitFor();
    await expect.poll(() => pendingItem.locator('.badge').allTextContents()).toContain('en attente de validation');
    expect(await validItem.getByText('en attente de validation').count()).toBe(0);
    await keepScreenshot(s.page, 'commune-acteur-en-attente.png');
  });

  it('should say on the actor’s page that it does not count yet', async () => {
    await s.page.goto(`${s.server.url}/acteurs/${pending}`);
    await s.page.getByRole('heading', { level: 1, name: 'Badge Association en attente' }).waitFor();
    const notice = s.page.locator('.notice', { hasText: 'en attente de validation' });
    await notice.waitFor();
    // innerText: the text as rendered (the markup may wrap a sentence over several lines).
    expect(await notice.innerText()).toMatch(/ne compte pas dans les lacunes/);
    await keepScreenshot(s.page, 'acteur-en-attente.png');
  });
});
