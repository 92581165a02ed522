import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '../../seeds/accounts.js';
import { axeViolations } from '../helpers/axe.js';
import { describeInBrowser, keepScreenshot, logInThroughForm, newBrowser } from '../helpers/browser.js';

/** The header polls every 300 ms here (`?poll=`), instead of every 30 s: the test waits for the DOM, never for a delay. */
const POLL = '?poll=300';
const COALITION = 'Coalition démo : santé mentale des jeunes en Meuse';
const ASSO = 'Association démo Jeunesse et prévention du Verdunois';

const account = (role: 'MEMBER' | 'COORDINATOR') => DEMO_ACCOUNTS.find((a) => a.role === role)!;

describeInBrowser('« Mon espace » and the notifications, two accounts at once (Chromium)', (s) => {
  let coordinatorBrowser: BrowserContext;
  let coordinator: Page;
  let coalitionId: string;
  const member = () => s.page;

  const logIn = (page: Page, role: 'MEMBER' | 'COORDINATOR', back: string) => {
    const a = account(role);
    return logInThroughForm(page, { url: s.server.url, email: a.email, password: a.password, name: a.displayName, back });
  };

  beforeAll(async () => {
    // The demonstration accounts and coalitions (README « Comptes de démonstration »), as the embedded database has them.
    await seedDemoAccounts(s.server.ds, () => {});
    [{ id: coalitionId }] = await s.server.ds.query(`SELECT id FROM coalition WHERE name = $1`, [COALITION]);
    await s.server.ds.query(`DELETE FROM membership WHERE coalition_id = $1 AND role <> 'PILOTE'`, [coalitionId]);
    coordinatorBrowser = await newBrowser();
    coordinator = await coordinatorBrowser.newPage();
  });

  afterAll(async () => {
    await coordinatorBrowser?.close();
  });

  it('shows the coordinator the request in its header count without reloading, and the member the decision', async () => {
    await logIn(member(), 'MEMBER', `/coalitions/${coalitionId}`);
    await logIn(coordinator, 'COORDINATOR', '/');
    // Opened with `?poll=` (read when the app starts). The coordinator's page stays open, on the home page, from here to the decision.
    await member().goto(`${s.server.url}/coalitions/${coalitionId}${POLL}`);
    await coordinator.goto(`${s.server.url}/${POLL}`);
    await coordinator.getByTestId('espace-link').waitFor();
    expect(await coordinator.getByTestId('to-decide-count').count()).toBe(0);
    const loads: string[] = [];
    // Neither page loads again from here on: what arrives, arrives through the poll.
    for (const page of [coordinator, member()]) page.on('load', () => loads.push(page.url()));

    await member().getByRole('button', { name: 'Rejoindre' }).click();
    await member().getByLabel('Acteur que vous représentez').selectOption({ label: ASSO });
    await member().getByRole('button', { name: 'Envoyer la demande' }).click();
    await member().getByTestId('pending').waitFor();

    // The poll brings the request to the coordinator's header: the count and the notification.
    await coordinator.getByTestId('to-decide-count').filter({ hasText: /^1/ }).waitFor();
    await coordinator.getByTestId('unread-count').filter({ hasText: /^1/ }).waitFor();
    await coordinator.getByTestId('notification-bell').click();
    await coordinator.getByTestId('notifications').getByText(`« ${ASSO} » demande à rejoindre « ${COALITION} ».`).waitFor();
    await keepScreenshot(coordinator, 'notifications-coordination.png');
    expect(await axeViolations(coordinator)).toEqual([]);

    // Decided from « Mon espace », reached by the header's link (no reload).
    await coordinator.getByTestId('notification-bell').click();
    await coordinator.getByTestId('espace-link').click();
    const requests = coordinator.getByTestId('requests-to-decide');
    await requests.getByRole('link', { name: COALITION }).waitFor();
    expect(await coordinator.getByRole('heading', { level: 1 }).textContent()).toBe('Mon espace');
    expect(await axeViolations(coordinator)).toEqual([]);
    await keepScreenshot(coordinator, 'mon-espace-coordination.png', { fullPage: true });
    await requests.getByRole('button', { name: `Accepter la demande de ${ASSO}` }).click();
    await requests.getByText(`${ASSO} est maintenant membre de la coalition.`).waitFor();
    await coordinator.getByTestId('to-decide-count').waitFor({ state: 'detached' });

    // The member's page, left as it was, gets the decision.
    await member().getByTestId('unread-count').filter({ hasText: /^1/ }).waitFor();
    await member().getByTestId('notification-bell').click();
    await member().getByTestId('notifications').getByText(`La demande de « ${ASSO} » pour rejoindre « ${COALITION} » a été acceptée.`).waitFor();
    await member().getByRole('button', { name: 'Tout marquer comme lu' }).click();
    await member().getByTestId('unread-count').waitFor({ state: 'detached' });
    const stored = await s.server.ds.query(`SELECT status FROM membership WHERE coalition_id = $1 AND role <> 'PILOTE'`, [coalitionId]);
    expect(stored).toEqual([{ status: 'ACTIVE' }]);
    expect(loads).toEqual([]);
  });

  it('lists the member’s structures and coalitions on « Mon espace », lets it leave, and passes axe-core', async () => {
    await member().keyboard.press('Escape');
    await member().getByTestId('espace-link').click();
    const coalitions = member().getByTestId('my-coalitions');
    await coalitions.getByRole('link', { name: COALITION }).waitFor();
    expect(await member().getByTestId('my-structures').textContent()).toContain(ASSO);
    expect(await axeViolations(member())).toEqual([]);
    await keepScreenshot(member(), 'mon-espace-membre.png', { fullPage: true });
    // Leaving asks first, in place; the focus goes to the button that leaves.
    await coalitions.getByRole('button', { name: new RegExp(`^Quitter ${COALITION}`) }).click();
    const ask = coalitions.getByRole('group', { name: `${ASSO} quitte ${COALITION} ? Pour y revenir, il faudra une nouvelle demande.` });
    await ask.waitFor();
    await expect.poll(() => member().evaluate(() => document.activeElement?.textContent)).toBe('Quitter la coalition');
    const [before] = await s.server.ds.query(`SELECT status FROM membership WHERE coalition_id = $1 AND role <> 'PILOTE'`, [coalitionId]);
    expect(before).toEqual({ status: 'ACTIVE' });
    await ask.getByRole('button', { name: 'Quitter la coalition' }).click();
    await member().getByText(`${ASSO} a quitté ${COALITION}.`).waitFor();
    const stored = await s.server.ds.query(`SELECT status FROM membership WHERE coalition_id = $1 AND role <> 'PILOTE'`, [coalitionId]);
    expect(stored).toEqual([{ status: 'LEFT' }]);
  });

  it('tells the last pilot how to leave: it invites a second pilot from the coalition’s page, who accepts, and then it may leave', async () => {
    await coordinator.goto(`${s.server.url}/mon-espace`);
    const mine = coordinator.locator('section', { has: coordinator.getByRole('heading', { name: /^Mes coalitions/ }) });
    const row = mine.getByRole('listitem').filter({ hasText: COALITION });
    // No « Quitter » that the server would refuse: the way out instead, with its link.
    await row.getByTestId('last-pilot').waitFor();
    expect(await row.getByTestId('last-pilot').textContent()).toBe('Seul pilote : pour quitter la coalition, invitez d’abord un autre pilote.');
    expect(await row.getByRole('button', { name: /^Quitter/ }).count()).toBe(0);

    // The coalition's page: « Inviter un acteur », as a pilot, the association found by its name.
    let suggestionsAsked = 0;
    coordinator.on('request', (r) => {
      if (r.url().endsWith('/graphql') && r.postData()?.includes('suggestedPartners')) suggestionsAsked++;
    });
    await row.getByRole('link', { name: 'invitez d’abord un autre pilote' }).click();
    const invite = coordinator.locator('section', { has: coordinator.getByRole('heading', { name: 'Inviter un acteur' }) });
    await invite.waitFor();
    await invite.getByLabel('Rôle proposé').selectOption({ label: 'Pilote' });
    await invite.getByLabel(/^Acteur à inviter/).fill('Jeunesse et prévention du Verdunois');
    await invite.getByRole('button', { name: 'Rechercher' }).click();
    await invite.getByRole('button', { name: `Inviter ${ASSO}` }).click();
    await invite.getByText(`${ASSO} est invité comme pilote : ses représentants répondent depuis « Mon espace ».`).waitFor();
    await invite.getByTestId('invitations-sent').getByText(`${ASSO} — pilote`).waitFor();
    // A suggested partner is invited from its suggestion, as a member.
    const suggestions = coordinator.getByRole('list', { name: 'Partenaires suggérés' });
    // The association invited above is among them, marked « invitation envoyée », without the button.
    const first = suggestions.getByRole('button', { name: /^Inviter / }).first();
    const partner = (await first.textContent())!.replace(/^Inviter\s*/, '').trim();
    expect(partner).not.toBe(ASSO);
    await first.click();
    await invite.getByTestId('invitations-sent').getByText(`${partner} — membre`).waitFor();
    // The page has read the coalition again. The suggestions were asked once, and stay as they were
    // with both invited marked: the answer to the invitation stays shown (it once went with the list,
    // asked again on each reload of the coalition, empty once both were invited).
    await coordinator.waitForLoadState('networkidle');
    expect(await suggestions.getByText('· invitation envoyée').count()).toBe(2);
    expect(await coordinator.getByText(`${partner} est invité comme membre : ses représentants répondent depuis « Mon espace ».`).isVisible()).toBe(true);
    expect(suggestionsAsked).toBe(1);
    expect(await axeViolations(coordinator)).toEqual([]);
    await keepScreenshot(coordinator, 'coalition-invite.png', { fullPage: true });
    const invited = await s.server.ds.query(`SELECT role, status FROM membership WHERE coalition_id = $1 AND role = 'PILOTE' ORDER BY requested_at`, [
      coalitionId,
    ]);
    expect(invited).toEqual([
      { role: 'PILOTE', status: 'ACTIVE' },
      { role: 'PILOTE', status: 'INVITED' },
    ]);

    // The association's representative accepts from « Mon espace ».
    await member().goto(`${s.server.url}/mon-espace`);
    const invitations = member().getByTestId('my-invitations');
    await invitations.getByText(`${ASSO} est invité à rejoindre ${COALITION} comme pilote.`).waitFor();
    await invitations.getByRole('button', { name: `Accepter l’invitation à ${COALITION}` }).click();
    await member().getByText(`${ASSO} a rejoint ${COALITION}.`).waitFor();

    // Two pilots: the first may leave. Had the other left meanwhile, the refusal comes where it clicked.
    await coordinator.goto(`${s.server.url}/mon-espace`);
    const leave = mine.getByRole('button', { name: new RegExp(`^Quitter ${COALITION}`) });
    await leave.waitFor();
    const [{ id: second }] = await s.server.ds.query(
      `SELECT id FROM membership WHERE coalition_id = $1 AND role = 'PILOTE' AND status = 'ACTIVE' AND actor_id = (SELECT id FROM actor WHERE name = $2)`,
      [coalitionId, ASSO],
    );
    await s.server.ds.query(`UPDATE membership SET status = 'LEFT' WHERE id = $1`, [second]);
    await leave.click();
    await mine.getByRole('button', { name: 'Quitter la coalition' }).click();
    await expect
      .poll(() => mine.getByRole('alert').textContent(), { timeout: 10_000 })
      .toBe('Le dernier pilote ne peut pas quitter la coalition : invitez d’abord un autre pilote.');
    expect(await coordinator.getByRole('alert').count()).toBe(1);
    await s.server.ds.query(`UPDATE membership SET status = 'ACTIVE' WHERE id = $1`, [second]);
    await coordinator.reload();
    await leave.click();
    await mine.getByRole('button', { name: 'Quitter la coalition' }).click();
    await mine.getByText(new RegExp(`a quitté ${COALITION}\\.$`)).waitFor();
    const pilots = await s.server.ds.query(`SELECT status FROM membership WHERE coalition_id = $1 AND role = 'PILOTE' ORDER BY requested_at`, [coalitionId]);
    expect(pilots).toEqual([{ status: 'LEFT' }, { status: 'ACTIVE' }]);
  });
});
