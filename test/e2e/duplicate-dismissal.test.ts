import { beforeAll, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '../../seeds/accounts.js';
import { describeInBrowser, logInThroughForm, keepScreenshot } from '../helpers/browser.js';
import { axeViolations } from '../helpers/axe.js';

const SOURCE = 'test:e2e/duplicate-dismissal.test.ts';
const ADMIN = DEMO_ACCOUNTS.find((a) => a.role === 'ADMIN')!;
// The two sites of the BAPU Aix-Marseille as the demonstration seed names them (seeds/actors.ts, seedStudentServices):
// one website, one e-mail, two addresses. The tests' territories have no boundary in the Bouches-du-Rhône, so they are
// created here, with the seed's names and contacts.
const MARSEILLE = 'BAPU Aix-Marseille - site Marseille (BAPU Aix-Marseille)';
const AIX = 'BAPU Aix-Marseille - site Aix (BAPU Aix-Marseille)';
const REASON = 'Deux sites réels de la même association';

/**
 * The demonstration administrator opens « Doublons », finds the two sites of the BAPU Aix-Marseille
 * (same website, same e-mail), sees the two « Fiche à garder » choices side by side, says « Pas un
 * doublon » with a reason and confirms: the pair leaves the list, stays gone after a reload, and is
 * listed under « Paires écartées » with the reason; « Rétablir » brings it back.
 */
describeInBrowser('« Pas un doublon » on the duplicates page in a real browser (Chromium)', (session) => {
  const id: Record<'aix' | 'marseille', string> = { aix: '', marseille: '' };

  beforeAll(async () => {
    await seedDemoAccounts(session.server.ds, () => {});
    // The seed's addresses: the longer one wraps, which once pushed the other « Fiche à garder » choice down.
    const create = async (name: string, communeCode: string, address: string) =>
      (
        await session.server.createActor({
          name,
          kind: 'ETABLISSEMENT_MEDICO_SOCIAL',
          sector: 'MEDICO_SOCIAL',
          themes: ['sante-mentale'],
          territories: [{ level: 'COMMUNE', code: communeCode }],
          communeCode,
          address,
          email: 'bapu-marseille@wanadoo.fr',
          website: 'https://bapuaixmarseille.fr/',
          source: SOURCE,
        })
      ).id;
    id.marseille = await create(MARSEILLE, '13055', '93 Bd Camille Flammarion 13004 Marseille');
    id.aix = await create(AIX, '13001', 'Aix-en-Provence Cité U des gazelles – Pavillon 7 31 Av. Jules Ferry 13090 Aix-en-Provence');
  });

  it('should let an administrator set the BAPU pair aside, gone after a reload and listed as set aside, then restore it', async () => {
    const { page, server } = session;
    await logInThroughForm(page, { url: server.url, email: ADMIN.email, password: ADMIN.password, name: ADMIN.displayName });
    await page.getByTestId('duplicates-link').click();
    await page.getByRole('heading', { level: 1, name: 'Doublons possibles' }).waitFor();
    const bapu = () => page.getByTestId('duplicate-pair').filter({ hasText: AIX }).filter({ hasText: MARSEILLE });
    const pair = bapu();
    await pair.waitFor();
    const text = await pair.innerText();
    expect(text).toContain('Même site web');
    expect(text).toContain('Même courriel');

    // The two « Fiche à garder » choices side by side, on one line, each radio at the left of its name.
    const [first, second] = await Promise.all(['a', 'b'].map((side) => pair.locator(`label[for$="-${side}"]`).boundingBox()));
    expect(Math.abs(first!.y - second!.y)).toBeLessThan(1);
    expect(second!.x).toBeGreaterThan(first!.x + first!.width / 2);
    const radio = await pair.getByRole('radio', { name: new RegExp(`^${AIX.replace(/[()]/g, '\\$&')}`) }).boundingBox();
    expect(radio!.x).toBeLessThan(first!.x + 32);

    await pair.getByRole('button', { name: /^Pas un doublon/ }).click();
    const confirm = pair.getByRole('group', { name: 'Confirmer : pas un doublon' });
    await confirm.getByText('ne seront plus proposées comme doublons').waitFor();
    await confirm.getByLabel('Pourquoi ne sont-elles pas la même structure ?').fill(REASON);
    expect(await axeViolations(page)).toEqual([]);
    await keepScreenshot(page, 'doublons-pas-un-doublon.png', { fullPage: true });
    await confirm.getByRole('button', { name: 'Confirmer : pas un doublon' }).click();
    await page.getByRole('status').filter({ hasText: 'ne sont plus proposées comme doublons possibles' }).waitFor();
    await expect.poll(() => bapu().count()).toBe(0);
    const aside = page.getByTestId('dismissed-pair').filter({ hasText: AIX }).filter({ hasText: MARSEILLE });
    await aside.waitFor();
    expect(await aside.innerText()).toContain(`Motif : ${REASON}`);
    expect(await aside.innerText()).toContain(`par ${ADMIN.displayName}`);
    expect(await axeViolations(page)).toEqual([]);
    await keepScreenshot(page, 'doublons-paires-ecartees.png', { fullPage: true });

    // Recorded once, smaller id first; gone after a reload too.
    const rows = await server.ds.query(`SELECT actor_a, actor_b, reason FROM actor_duplicate_dismissal WHERE restored_at IS NULL`);
    expect(rows).toEqual([{ actor_a: [id.aix, id.marseille].sort()[0], actor_b: [id.aix, id.marseille].sort()[1], reason: REASON }]);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Doublons possibles' }).waitFor();
    await page.getByTestId('duplicates-count').waitFor();
    await aside.waitFor();
    expect(await bapu().count()).toBe(0);

    // « Rétablir »: the pair is proposed again.
    await aside.getByRole('button', { name: /^Rétablir/ }).click();
    await page.getByRole('status').filter({ hasText: 'de nouveau proposées comme doublons possibles' }).waitFor();
    await bapu().waitFor();
    expect(await page.getByTestId('dismissed-pair').count()).toBe(0);
  });
});
