import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowserSession, hasChromium, openBrowserSession, SHOTS, logInThroughForm as logInThroughFormAs } from '../helpers/browser.js';
import { fixtures } from '../helpers/factories.js';
import type { TestServer } from '../helpers/server.js';

/** Every actor of this file carries this source and every account this domain: afterAll removes exactly them. */
const SOURCE = 'test:e2e/partnerships.test.ts';
const DOMAIN = '@test-e2e-partnerships.local';
const PASSWORD = 'mot de passe e2e';

// Needs Debian's Chromium (.ci/run installs it); reported as skipped, with this reason, without it.
describe.skipIf(!hasChromium)('partnerships confirmed by the other side, in a real browser (Chromium)', () => {
  let server: TestServer;
  let browser: BrowserContext;
  let page: Page;
  const { actor, users, createUser, email } = fixtures(() => server, { source: SOURCE, domain: DOMAIN, password: PASSWORD });
  let partnershipId: string;

  const logInThroughForm = (key: string, back: string) =>
    logInThroughFormAs(page, { url: server.url, email: email(key), password: PASSWORD, name: `Personne ${key}`, back });

  async function violations(): Promise<string[]> {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    return result.violations.map(
      (v) =>
        `${v.id} (${v.impact}) : ${v.help} — ${v.nodes
          .slice(0, 5)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
  }

  const partnerships = () => page.getByTestId('actor-partnerships');

  beforeAll(async () => {
    ({ server, browser, page } = await openBrowserSession());
    const meuse = [{ level: 'DEPARTEMENT', code: '55' }];
    actor.asso = (
      await server.createActor({
        source: SOURCE,
        name: 'E2E Maison des familles',
        kind: 'ASSOCIATION',
        sector: 'SOCIAL',
        themes: ['parentalite'],
        territories: meuse,
      })
    ).id;
    actor.caf = (
      await server.createActor({
        source: SOURCE,
        name: 'E2E Caisse d’allocations familiales',
        kind: 'AUTRE',
        sector: 'SOCIAL',
        themes: ['parentalite'],
        territories: meuse,
      })
    ).id;
    await createUser('asso', 'MEMBER', ['asso']);
    await createUser('caf', 'MEMBER', ['caf']);
    const res = await users.asso.gql(`mutation ($input: CreatePartnershipInput!) { createPartnership(input: $input) { id status } }`, {
      input: { actorId: actor.asso, partnerActorId: actor.caf, kind: 'CONVENTION', title: 'Soutien à la parentalité', startDate: '2025-09-01' },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.createPartnership.status).toBe('PENDING');
    partnershipId = res.data.createPartnership.id;
  });

  afterAll(() => closeBrowserSession({ server, browser }));

  it('should not show a pending declaration to a visitor', async () => {
    await page.goto(`${server.url}/acteurs/${actor.caf}`);
    await page.getByRole('heading', { name: 'E2E Caisse d’allocations familiales' }).waitFor();
    await page.getByText('Aucun partenariat confirmé.').waitFor();
    expect(await partnerships().count()).toBe(0);
  });

  it('shows the declaring side its declaration as pending, to withdraw but not to confirm', async () => {
    await logInThroughForm('asso', `/acteurs/${actor.asso}`);
    await page.waitForURL(new RegExp(`/acteurs/${actor.asso}`));
    const item = partnerships().locator('li', { hasText: 'E2E Caisse d’allocations familiales' });
    await item.waitFor();
    expect(await item.textContent()).toMatch(
      /Convention « Soutien à la parentalité », depuis le 1 septembre 2025\s*en attente de confirmation\s*déclaré par E2E Maison des familles/,
    );
    await item.getByRole('button', { name: 'Retirer le partenariat avec E2E Caisse d’allocations familiales' }).waitFor();
    expect(await item.getByRole('button', { name: /Confirmer/ }).count()).toBe(0);
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('link', { name: 'Se connecter' }).waitFor();
  });

  it('lets a representative of the other actor confirm it, which makes it public', async () => {
    await logInThroughForm('caf', `/acteurs/${actor.caf}`);
    await page.waitForURL(new RegExp(`/acteurs/${actor.caf}`));
    const item = partnerships().locator('li', { hasText: 'E2E Maison des familles' });
    await item.waitFor();
    expect(await item.textContent()).toContain('en attente de confirmation');
    const confirm = item.getByRole('button', { name: 'Confirmer le partenariat avec E2E Maison des familles' });
    await confirm.waitFor();
    await item.getByRole('button', { name: 'Refuser le partenariat avec E2E Maison des familles' }).waitFor();
    expect(await violations()).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'partenariat-a-confirmer.png'), fullPage: true });

    await confirm.click();
    await page.getByText('Partenariat avec E2E Maison des familles confirmé : il est maintenant public.').waitFor();
    await expect.poll(() => item.locator('.badge').textContent()).toBe('confirmé');
    await item.getByRole('button', { name: 'Mettre fin au partenariat avec E2E Maison des familles' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'partenariat-confirme.png'), fullPage: true });
    const [row] = await server.ds.query(`SELECT status, confirmed_by IS NOT NULL AS by FROM partnership WHERE id = $1`, [partnershipId]);
    expect(row).toEqual({ status: 'ACTIVE', by: true });

    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('link', { name: 'Se connecter' }).waitFor();
    await page.goto(`${server.url}/acteurs/${actor.asso}`);
    const shown = partnerships().locator('li', { hasText: 'E2E Caisse d’allocations familiales' });
    await shown.waitFor();
    expect(await shown.locator('.badge').textContent()).toBe('confirmé');
    expect(await shown.getByRole('button').count()).toBe(0);
  });
});
