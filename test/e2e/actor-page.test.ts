import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { seedStudentServices } from '../../seeds/actors.js';
import { describeInBrowser, logInThroughForm, keepScreenshot } from '../helpers/browser.js';
import { ok, TEST_PASSWORD } from '../helpers/factories.js';

const ANALYST = { email: 'analyste11@test-actor-page.local', password: TEST_PASSWORD, displayName: 'Analyste Île-de-France' };
const NAME = 'BAPU Luxembourg Paris (BAPU Luxembourg)';
const ACTOR = `query ($id: ID!) { actor(id: $id) { version phone openingHours } }`;
const axe = async (page: Page) =>
  (await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()).violations.map((v) => `${v.id}: ${v.help}`);

/**
 * A real organisation's page (the BAPU of Paris, from the seed's student services): its contacts and
 * opening hours in French; a visitor proposes a new phone number and hours through « Proposer une
 * modification »; the page does not change until an ARS analyst of Île-de-France accepts it in
 * /moderation; then the page shows the new values.
 */
describeInBrowser('the actor page and « Proposer une modification » in a real browser (Chromium)', (session) => {
  let id: string;

  beforeAll(async () => {
    await seedStudentServices(session.server.ds, () => {});
    const found = await ok<{ actors: { edges: { node: { id: string; name: string } }[] } }>(
      session.server.gql(`{ actors(filter: { text: "BAPU Luxembourg" }, first: 5) { edges { node { id name } } } }`),
    );
    id = found.actors.edges.find((e) => e.node.name === NAME)!.node.id;
    await session.server.signedIn({ ...ANALYST, role: 'ANALYST', regionCode: '11' });
  });

  it('should show a real actor’s contacts and hours, take a visitor’s proposal, and show it once an analyst accepts it', async () => {
    const { page, server } = session;
    const before = (await ok(server.gql(ACTOR, { id }))).actor;
    await page.goto(`${server.url}/acteurs/${id}`);
    await page.getByRole('heading', { level: 1, name: NAME }).waitFor();
    const contacts = page.getByTestId('actor-contacts');
    const text = await contacts.innerText();
    expect(text).toContain('44 Rue Henri Barbusse 75005 Paris');
    expect(text).toContain('01 43 29 65 72');
    expect(text).toContain('bapu.paris@croix-rouge.fr');
    expect(text).toContain('https://bapuluxembourg.net/');
    expect(text).toMatch(/lundi\s+9 h 30–19 h 30 \(secrétariat\)/);
    expect(text).toMatch(/dimanche\s+fermé/);
    expect(text).toContain('Annuaire « Santé mentale étudiante » (beta.gouv.fr)');
    expect(text).not.toMatch(/Paris, (\d{5} )?Paris/);
    expect(text).toMatch(/fiche vérifiée le \d+ \w+ \d{4}/);
    await keepScreenshot(page, 'actor-page-contacts.png', { fullPage: true });
    expect(await axe(page)).toEqual([]);

    // A visitor proposes; bad hours are refused on their field, in French.
    await page.getByRole('button', { name: 'Proposer une modification' }).click();
    await page.getByLabel('Téléphone').fill('01 43 29 65 00');
    await page.getByLabel('Horaires d’ouverture').fill('tous les jours');
    await page.getByRole('button', { name: 'Envoyer la proposition' }).click();
    await page.getByRole('alert').filter({ hasText: 'horaires non reconnus' }).waitFor();
    expect(await page.getByLabel('Horaires d’ouverture').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Horaires d’ouverture').fill('Mo-Fr 09:30-19:00');
    await page.getByLabel('Message aux modérateurs (facultatif)').fill('Nouveau standard depuis septembre.');
    await keepScreenshot(page, 'actor-page-proposal.png', { fullPage: true });
    expect(await axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Envoyer la proposition' }).click();
    await page.getByRole('status').filter({ hasText: 'votre proposition a été transmise' }).waitFor();
    expect((await ok(server.gql(ACTOR, { id }))).actor).toEqual(before);

    // The Île-de-France analyst accepts it in /moderation.
    await logInThroughForm(page, { url: server.url, email: ANALYST.email, password: ANALYST.password, name: ANALYST.displayName });
    await page.goto(`${server.url}/moderation`);
    const proposal = page.getByTestId('proposal').filter({ has: page.getByRole('heading', { name: NAME }) });
    await proposal.waitFor();
    const proposed = await proposal.innerText();
    expect(proposed).toMatch(/Téléphone\s+01 43 29 65 72\s+01 43 29 65 00/);
    expect(proposed).toContain('Nouveau standard depuis septembre.');
    expect(proposed).toContain('par un visiteur');
    await keepScreenshot(page, 'moderation-proposal.png', { fullPage: true });
    // The header's « Modération » badge counts the proposals too, and drops by one once it is decided.
    const badge = page.getByTestId('moderation-link').locator('.badge');
    const pending = async () => Number((await badge.innerText()).match(/\d+/)?.[0]);
    await expect.poll(pending).toBeGreaterThanOrEqual(1);
    const waiting = await pending();
    await proposal.getByRole('button', { name: `Accepter la proposition pour ${NAME}` }).click();
    await page.getByRole('status').filter({ hasText: 'Proposition acceptée' }).waitFor();
    await expect.poll(pending).toBe(waiting - 1);

    await page.goto(`${server.url}/acteurs/${id}`);
    await page.getByRole('heading', { level: 1, name: NAME }).waitFor();
    await expect.poll(() => page.getByTestId('actor-contacts').innerText()).toContain('01 43 29 65 00');
    expect(await page.getByTestId('opening-hours').innerText()).toMatch(/lundi\s+9 h 30–19 h/);
    expect((await ok(server.gql(ACTOR, { id }))).actor).toEqual({ version: before.version + 1, phone: '01 43 29 65 00', openingHours: 'Mo-Fr 09:30-19:00' });
  });
});
