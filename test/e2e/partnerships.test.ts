import { beforeAll, expect, it } from 'vitest';
import { logInThroughForm as logInThroughFormAs, describeInBrowser, keepScreenshot } from '../helpers/browser.js';
import { fixtures } from '../helpers/factories.js';
import { axeViolations } from '../helpers/axe.js';

/** Every actor of this file carries this source and every account this domain, to tell them apart in the file’s database. */
const SOURCE = 'test:e2e/partnerships.test.ts';
const DOMAIN = '@test-e2e-partnerships.local';
const PASSWORD = 'mot de passe e2e';

describeInBrowser('partnerships confirmed by the other side, in a real browser (Chromium)', (s) => {
  const { actor, users, createActors, createUser, email } = fixtures(() => s.server, { source: SOURCE, domain: DOMAIN, password: PASSWORD });
  let partnershipId: string;

  const logInThroughForm = (key: string, back: string) =>
    logInThroughFormAs(s.page, { url: s.server.url, email: email(key), password: PASSWORD, name: `Personne ${key}`, back });

  const partnerships = () => s.page.getByTestId('actor-partnerships');

  beforeAll(async () => {
    const family = { sector: 'SOCIAL', themes: ['parentalite'], territories: [{ level: 'DEPARTEMENT', code: '55' }] };
    await createActors({
      asso: { ...family, name: 'E2E Maison des familles', kind: 'ASSOCIATION' },
      caf: { ...family, name: 'E2E Caisse d’allocations familiales', kind: 'AUTRE' },
    });
    await createUser('asso', 'MEMBER', ['asso']);
    await createUser('caf', 'MEMBER', ['caf']);
    const res = await users.asso.gql(`mutation ($input: CreatePartnershipInput!) { createPartnership(input: $input) { id status } }`, {
      input: { actorId: actor.asso, partnerActorId: actor.caf, kind: 'CONVENTION', title: 'Soutien à la parentalité', startDate: '2025-09-01' },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.createPartnership.status).toBe('PENDING');
    partnershipId = res.data.createPartnership.id;
  });

  it('should not show a pending declaration to a visitor', async () => {
    await s.page.goto(`${s.server.url}/acteurs/${actor.caf}`);
    await s.page.getByRole('heading', { name: 'E2E Caisse d’allocations familiales' }).waitFor();
    await s.page.getByText('Aucun partenariat confirmé.').waitFor();
    expect(await partnerships().count()).toBe(0);
  });

  it('shows the declaring side its declaration as pending, to withdraw but not to confirm', async () => {
    await logInThroughForm('asso', `/acteurs/${actor.asso}`);
    await s.page.waitForURL(new RegExp(`/acteurs/${actor.asso}`));
    const item = partnerships().locator('li', { hasText: 'E2E Caisse d’allocations familiales' });
    await item.waitFor();
    expect(await item.textContent()).toMatch(
      /Convention signée « Soutien à la parentalité », depuis le 1 septembre 2025\s*en attente de confirmation\s*déclaré par E2E Maison des familles/,
    );
    await item.getByRole('button', { name: 'Retirer le partenariat avec E2E Caisse d’allocations familiales' }).waitFor();
    expect(await item.getByRole('button', { name: /Confirmer/ }).count()).toBe(0);
    await s.page.getByRole('button', { name: 'Se déconnecter' }).click();
    await s.page.getByRole('link', { name: 'Se connecter' }).waitFor();
  });

  it('lets a representative of the other actor confirm it, which makes it public', async () => {
    await logInThroughForm('caf', `/acteurs/${actor.caf}`);
    await s.page.waitForURL(new RegExp(`/acteurs/${actor.caf}`));
    const item = partnerships().locator('li', { hasText: 'E2E Maison des familles' });
    await item.waitFor();
    expect(await item.textContent()).toContain('en attente de confirmation');
    const confirm = item.getByRole('button', { name: 'Confirmer le partenariat avec E2E Maison des familles' });
    await confirm.waitFor();
    await item.getByRole('button', { name: 'Refuser le partenariat avec E2E Maison des familles' }).waitFor();
    expect(await axeViolations(s.page)).toEqual([]);
    await keepScreenshot(s.page, 'partenariat-a-confirmer.png', { fullPage: true });

    await confirm.click();
    await s.page.getByText('Partenariat avec E2E Maison des familles confirmé : il est maintenant public.').waitFor();
    await expect.poll(() => item.locator('.badge').textContent()).toBe('confirmé');
    const end = item.getByRole('button', { name: 'Mettre fin au partenariat avec E2E Maison des familles' });
    await end.waitFor();
    await keepScreenshot(s.page, 'partenariat-confirme.png', { fullPage: true });
    // Ending it asks first; Escape takes the question back, the focus on the button, nothing ended.
    await end.click();
    const ask = item.getByRole('group', { name: 'Mettre fin au partenariat avec E2E Maison des familles ?' });
    await ask.waitFor();
    await expect.poll(() => s.page.evaluate(() => document.activeElement?.textContent)).toBe('Mettre fin au partenariat');
    await keepScreenshot(s.page, 'partenariat-fin-confirmation.png', { fullPage: true });
    await s.page.keyboard.press('Escape');
    await ask.waitFor({ state: 'detached' });
    await expect
      .poll(() => s.page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Mettre fin au partenariat avec E2E Maison des familles');
    const [row] = await s.server.ds.query(`SELECT status, confirmed_by IS NOT NULL AS by FROM partnership WHERE id = $1`, [partnershipId]);
    expect(row).toEqual({ status: 'ACTIVE', by: true });

    await s.page.getByRole('button', { name: 'Se déconnecter' }).click();
    await s.page.getByRole('link', { name: 'Se connecter' }).waitFor();
    await s.page.goto(`${s.server.url}/acteurs/${actor.asso}`);
    const shown = partnerships().locator('li', { hasText: 'E2E Caisse d’allocations familiales' });
    await shown.waitFor();
    expect(await shown.locator('.badge').textContent()).toBe('confirmé');
    expect(await shown.getByRole('button').count()).toBe(0);
  });
});
