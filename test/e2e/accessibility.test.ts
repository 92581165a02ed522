import { beforeAll, expect, it } from 'vitest';
import { mapIdle, describeInBrowser, whileSignedIn } from '../helpers/browser.js';
import type { CookieClient } from '../helpers/server.js';
import { axeViolations } from '../helpers/axe.js';
import { createVerdunClsm, fixtures } from '../helpers/factories.js';

const SOURCE = 'test:e2e/accessibility.test.ts';
const DOMAIN = '@test-e2e-accessibility.local';

/**
 * Every page of the client checked by axe-core (WCAG 2.1 A and AA rules: contrast, labels, names,
 * landmarks, ARIA) in Chromium, once its content is there. A violation fails with its rule, its
 * impact and the elements concerned.
 */
describeInBrowser('accessibility of every page (axe-core, WCAG 2.1 AA)', (s) => {
  let actorId: string;
  let coalitionId: string;
  let coordinator: CookieClient;

  const f = fixtures(() => s.server, { source: SOURCE, domain: DOMAIN, password: 'mot de passe a11y' });

  beforeAll(async () => {
    ({ actorId, coordinator, coalitionId } = await createVerdunClsm(f, 'A11y', {
      cpts: { audiences: ['jeunes'], description: 'Coordination des soins et de la prévention.' },
    }));
  });

  it.each([
    ['the home page (search)', '/', async () => s.page.getByRole('combobox').first().waitFor()],
    [
      'a commune, its map and its actors',
      '/communes/55545',
      async () => {
        await s.page
          .getByRole('heading', { name: /Verdun/ })
          .first()
          .waitFor();
        await s.page.getByText('A11y CPTS du Verdunois').first().waitFor();
        await mapIdle(s.page);
      },
    ],
    [
      'the gaps s.page, its map, list and matrix',
      '/lacunes?region=44&departement=55&niveau=COMMUNE&theme=sante-mentale',
      async () => {
        await s.page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor({ timeout: 30_000 });
        await mapIdle(s.page);
      },
    ],
    [
      'the gaps page at EPCI level (a list without links)',
      '/lacunes?region=44&departement=55&niveau=EPCI',
      async () => {
        await s.page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor({ timeout: 30_000 });
        await mapIdle(s.page);
      },
    ],
    ['the coalitions', '/coalitions', async () => s.page.getByText('A11y Coalition santé mentale en Meuse').first().waitFor()],
    ['the log-in page', '/connexion', async () => s.page.getByRole('heading', { name: 'Créer un compte' }).waitFor()],
    ['a page that does not exist', '/nulle-part', async () => s.page.getByRole('heading').first().waitFor()],
  ])('%s', async (_name, url, ready) => {
    await s.page.goto(`${s.server.url}${url}`);
    await ready();
    expect(await axeViolations(s.page)).toEqual([]);
  });

  it('an actor page', async () => {
    await s.page.goto(`${s.server.url}/acteurs/${actorId}`);
    await s.page.getByRole('heading', { name: 'A11y CPTS du Verdunois' }).waitFor();
    await mapIdle(s.page);
    expect(await axeViolations(s.page)).toEqual([]);
  });

  it('the actor page being edited, the coalition page and a new coalition’s form, for a coordinator', async () => {
    await whileSignedIn(s, coordinator, async () => {
      await s.page.goto(`${s.server.url}/acteurs/${actorId}`);
      await s.page.getByRole('button', { name: 'Modifier la fiche' }).click();
      await s.page.getByRole('button', { name: /Enregistrer/ }).waitFor();
      expect(await axeViolations(s.page)).toEqual([]);
      await s.page.goto(`${s.server.url}/coalitions/${coalitionId}`);
      await s.page.locator('#members-table').waitFor();
      await expect.poll(() => s.page.getByTestId('who').textContent()).toContain('coordination');
      // Its « Inviter un acteur », with what a search found.
      await s.page.getByLabel(/^Acteur à inviter/).fill('Verdun');
      await s.page.getByRole('button', { name: 'Rechercher' }).click();
      await s.page.getByRole('list', { name: 'Structures trouvées' }).waitFor();
      expect(await axeViolations(s.page)).toEqual([]);
      // « Créer une coalition », sent empty: the messages under its fields.
      await s.page.goto(`${s.server.url}/coalitions/nouvelle`);
      await s.page.getByRole('button', { name: 'Créer la coalition' }).click();
      await s.page.getByText('Cochez au moins un thème.').waitFor();
      expect(await axeViolations(s.page)).toEqual([]);
    });
  });

  it('the account page (sessions, password form), signed in, and signed out', async () => {
    await whileSignedIn(s, coordinator, async () => {
      await s.page.goto(`${s.server.url}/compte`);
      await s.page.getByTestId('session').first().waitFor();
      await s.page.getByRole('button', { name: 'Changer le mot de passe' }).waitFor();
      expect(await axeViolations(s.page)).toEqual([]);
    });
    await s.page.goto(`${s.server.url}/compte`);
    await s.page.getByTestId('signed-out').waitFor();
    expect(await axeViolations(s.page)).toEqual([]);
  });

  it('a coalition page with its network drawing', async () => {
    await s.page.goto(`${s.server.url}/coalitions/${coalitionId}`);
    await s.page.getByRole('heading', { name: 'A11y Coalition santé mentale en Meuse' }).waitFor();
    await s.page.locator('#members-table').waitFor();
    expect(await axeViolations(s.page)).toEqual([]);
  });
});
