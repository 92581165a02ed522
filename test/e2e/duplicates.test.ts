import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '../../seeds/accounts.js';
import { describeInBrowser, logInThroughForm, newBrowser, keepScreenshot } from '../helpers/browser.js';
import { ok } from '../helpers/factories.js';
import { MEUSE, VERDUN } from '../helpers/places.js';

const SOURCE = 'test:e2e/duplicates.test.ts';
const ADMIN = DEMO_ACCOUNTS.find((a) => a.role === 'ADMIN')!;
const MEMBER = DEMO_ACCOUNTS.find((a) => a.role === 'MEMBER')!;
const KEPT = 'Doublon Maison des familles de Verdun';
const REMOVED = 'Doublon Maison des familles Verdun';
const axe = async (page: Page) =>
  (await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()).violations.map((v) => `${v.id}: ${v.help}`);

/**
 * The demonstration administrator opens « Doublons » from the menu, sees two records of one
 * association (same SIREN, close names in Verdun), keeps the second one and merges: the pair leaves
 * the list, and the removed record's address shows the kept one. A member has no such link and is
 * refused the page.
 */
describeInBrowser('« Doublons possibles » and the merge in a real browser (Chromium)', (session) => {
  const id: Record<'kept' | 'removed', string> = { kept: '', removed: '' };

  beforeAll(async () => {
    await seedDemoAccounts(session.server.ds, () => {});
    const create = async (name: string, extra: Record<string, unknown>) =>
      (
        await session.server.createActor({
          name,
          kind: 'ASSOCIATION',
          sector: 'SOCIAL',
          themes: ['parentalite'],
          territories: [MEUSE],
          communeCode: VERDUN,
          source: SOURCE,
          ...extra,
        })
      ).id;
    id.removed = await create(REMOVED, { siren: '732829320' });
    id.kept = await create(KEPT, { siret: '73282932000074', website: 'https://maison-familles.example.fr' });
  });

  it('should let an administrator see the pair and merge it, and the removed record’s address then show the kept one', async () => {
    const { page, server } = session;
    await logInThroughForm(page, { url: server.url, email: ADMIN.email, password: ADMIN.password, name: ADMIN.displayName });
    await page.getByTestId('duplicates-link').click();
    await page.getByRole('heading', { level: 1, name: 'Doublons possibles' }).waitFor();
    const pair = page.getByTestId('duplicate-pair').filter({ hasText: REMOVED }).filter({ hasText: KEPT });
    await pair.waitFor();
    const text = await pair.innerText();
    expect(text).toContain('Même SIREN');
    expect(text).toMatch(/Noms proches, même commune\s*\(\d+ %\)/);
    expect(text).toContain('SIRET : 73282932000074');
    expect(await axe(page)).toEqual([]);
    await keepScreenshot(page, 'doublons.png', { fullPage: true });

    // The pair lists the two names alphabetically: keep the one with the SIRET, whichever side it is.
    await pair.getByRole('radio', { name: new RegExp(`^${KEPT}`) }).check();
    await pair.getByRole('button', { name: `Fusionner dans « ${KEPT} »` }).click();
    await pair.getByText(`« ${REMOVED} » sera archivée et renverra vers « ${KEPT} »`).waitFor();
    await pair.getByRole('button', { name: 'Confirmer la fusion' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `« ${REMOVED} » est fusionnée dans « ${KEPT} »` })
      .waitFor();
    await expect.poll(() => page.getByTestId('duplicate-pair').filter({ hasText: REMOVED }).count()).toBe(0);

    const removed = (await ok(server.admin.gql(`query ($id: ID!) { actor(id: $id) { id name } }`, { id: id.removed }))).actor;
    expect(removed).toEqual({ id: id.kept, name: KEPT });
    const [row] = await server.ds.query(`SELECT status, merged_into FROM actor WHERE id = $1`, [id.removed]);
    expect(row).toEqual({ status: 'ARCHIVED', merged_into: id.kept });

    // No dead link: the old address opens the kept record, at its own address.
    await page.goto(`${server.url}/acteurs/${id.removed}`);
    await page.getByRole('heading', { level: 1, name: KEPT }).waitFor();
    await page.getByTestId('merged-notice').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/acteurs/${id.kept}`);
  });

  it('should give a member no « Doublons » link and refuse him the page', async () => {
    const { server } = session;
    const context = await newBrowser();
    const page = await context.newPage();
    try {
      await logInThroughForm(page, { url: server.url, email: MEMBER.email, password: MEMBER.password, name: MEMBER.displayName });
      expect(await page.getByTestId('duplicates-link').count()).toBe(0);
      await page.goto(`${server.url}/doublons`);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.getAttribute('data-code')).toBe('FORBIDDEN');
    } finally {
      await context.close();
    }
  });

  it('keeps the menu still while the moderation count loads: « Doublons » does not move under the pointer', async () => {
    const context = await newBrowser();
    try {
      const page = await context.newPage();
      // The header's moderation count is held back until the page is signed in and drawn.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/graphql', async (route) => {
        if ((route.request().postData() ?? '').includes('query ReviewCount')) await held;
        await route.continue();
      });
      await logInThroughForm(page, { url: session.server.url, email: ADMIN.email, password: ADMIN.password, name: ADMIN.displayName });
      const link = page.getByTestId('duplicates-link');
      const before = await link.boundingBox();
      release();
      await expect.poll(() => page.getByTestId('moderation-link').innerText()).toMatch(/Modération\s*\d/);
      expect(await link.boundingBox()).toEqual(before);
    } finally {
      await context.close();
    }
  });
});
