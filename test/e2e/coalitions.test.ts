import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { alertsOverTheirIcon, logInThroughForm as logInThroughFormAs, describeInBrowser, keepScreenshot } from '../helpers/browser.js';
import { epciOf, fixtures, MEUSE_CLSM } from '../helpers/factories.js';

/** Every actor of this file carries this source and every account this domain, to tell them apart in the file’s database. */
const SOURCE = 'test:e2e/coalitions.test.ts';
const DOMAIN = '@test-e2e-coalitions.local';
const PASSWORD = 'mot de passe e2e';

describeInBrowser('accounts, coalitions and actor edition in a real browser (Chromium)', (s) => {
  const { actor, coalition, users, createActors, createUser, createCoalition, email } = fixtures(() => s.server, {
    source: SOURCE,
    domain: DOMAIN,
    password: PASSWORD,
  });
  const logInThroughForm = (p: Page, key: string, back?: string, shot?: string) =>
    logInThroughFormAs(p, { url: s.server.url, email: email(key), password: PASSWORD, name: `Personne ${key}`, back, shot });

  const membersTable = () => s.page.locator('#members-table');

  beforeAll(async () => {
    const epci = { level: 'EPCI', code: await epciOf(s.server, '55545') };
    const verdun = { level: 'COMMUNE', code: '55545' };
    const mental = { themes: ['sante-mentale'] };
    await createActors({
      pilot: { ...mental, name: 'E2E CPTS du Verdunois', kind: 'CPTS', sector: 'SANTE', territories: [epci] },
      college: { ...mental, name: 'E2E Collège Buvignier', kind: 'EDUCATION_NATIONALE', sector: 'EDUCATION', territories: [verdun] },
      asso: {
        name: 'E2E Association Jeunesse Verdun',
        kind: 'ASSOCIATION',
        sector: 'SOCIAL',
        themes: ['sante-mentale-promotion'],
        territories: [verdun],
        description: 'Accueil et écoute des jeunes.',
      },
    });
    await createUser('coordination', 'COORDINATOR', ['pilot']);
    await createUser('membre', 'MEMBER', ['asso']);
    for (const [key, input] of Object.entries({
      clsm: {
        ...MEUSE_CLSM,
        name: 'E2E Santé mentale du Verdunois',
        territory: epci,
        description: 'Conseil local de santé mentale : repérage, prévention du suicide, accès aux soins.',
      },
      other: { ...mental, name: 'E2E Réseau éducation à la santé', kind: 'THEMATIQUE', territory: verdun },
      ended: { ...mental, name: 'E2E Convention santé mentale 2019-2022', kind: 'CONVENTION', territory: epci, startDate: '2019-01-01', endDate: '2022-12-31' },
    })) {
      await createCoalition(key, users.coordination, { ...input, pilotActorId: actor.pilot });
    }
    await s.server.ds.query(
      `INSERT INTO membership (coalition_id, actor_id, role, status) VALUES ($1, $3, 'PARTENAIRE', 'ACTIVE'), ($2, $3, 'MEMBRE', 'ACTIVE')`,
      [coalition.clsm, coalition.other, actor.college],
    );
    const partnership = await users.coordination.gql(`mutation ($input: CreatePartnershipInput!) { createPartnership(input: $input) { id } }`, {
      input: { actorId: actor.pilot, partnerActorId: actor.college, kind: 'CONVENTION', title: 'Convention E2E', startDate: '2024-01-01' },
    });
    expect(partnership.errors, JSON.stringify(partnership.errors)).toBeUndefined();
    // The college has no representative here: an administrator confirms the declaration, which makes it public.
    const confirmed = await s.server.admin.gql(`mutation ($id: ID!) { confirmPartnership(id: $id) { status } }`, { id: partnership.data.createPartnership.id });
    expect(confirmed.data?.confirmPartnership, JSON.stringify(confirmed.errors)).toEqual({ status: 'ACTIVE' });
  });

  it('invites a visitor to log in before joining', async () => {
    await s.page.goto(`${s.server.url}/coalitions/${coalition.clsm}`);
    await expect.poll(() => s.page.getByRole('heading', { level: 1 }).textContent()).toContain('E2E Santé mentale du Verdunois');
    await s.page.getByRole('link', { name: 'Se connecter' }).waitFor();
    await s.page.getByRole('button', { name: 'Rejoindre' }).click();
    await s.page.getByText('Pour rejoindre une coalition, connectez-vous').waitFor();
    const login = s.page.getByRole('link', { name: 'Se connecter pour rejoindre' });
    expect(await login.getAttribute('href')).toBe(`/connexion?retour=${encodeURIComponent(`/coalitions/${coalition.clsm}`)}`);
    expect(await s.page.getByRole('heading', { name: /Demandes en attente/ }).count()).toBe(0);
  });

  it('logs the member in through the form and lists coalitions with filters and the ended badge', async () => {
    await logInThroughForm(s.page, 'membre', undefined, 'connexion.png');
    // Logged in without a page to go back to: « Mon espace », then the coalitions from the menu.
    await s.page.waitForURL(/\/mon-espace$/);
    expect(await s.page.getByTestId('who').textContent()).toMatch(/Personne membre\s*Membre/);
    await s.page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
    await s.page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: 'Coalitions' }).click();
    await s.page.waitForURL(/\/coalitions$/);

    await s.page.getByLabel('Thème', { exact: true }).selectOption('sante-mentale');
    await s.page.getByLabel('Nature', { exact: true }).selectOption('CLSM');
    await s.page.waitForURL(/nature=CLSM/);
    const card = s.page.locator('li.card', { hasText: 'E2E Santé mentale du Verdunois' });
    await card.waitFor();
    expect(await card.textContent()).toMatch(/Conseil local de santé mentale \(CLSM\)/);
    expect(await card.textContent()).toMatch(/depuis le 1 janvier 2025/);
    expect(await card.textContent()).toMatch(/2 membres actifs/);
    expect(await card.textContent()).toMatch(/EPCI : CA du Grand Verdun/);
    await expect.poll(() => s.page.locator('li.card', { hasText: 'E2E Réseau éducation à la santé' }).count()).toBe(0);
    await expect.poll(() => s.page.locator('#list-title').textContent()).toMatch(/\d+ coalitions?/);

    await s.page.getByLabel('Nature', { exact: true }).selectOption('CONVENTION');
    const ended = s.page.locator('li.card', { hasText: 'E2E Convention santé mentale 2019-2022' });
    await ended.waitFor();
    expect(await ended.locator('.badge', { hasText: 'terminée' }).count()).toBe(1);
    // The DSFR draws the box from the label, over the hidden input: the click lands on the label, as a person's does.
    await s.page.getByLabel('Afficher les coalitions terminées').uncheck({ force: true });
    await s.page.waitForURL(/terminees=non/);
    await expect.poll(() => ended.count()).toBe(0);

    await s.page.getByLabel('Nature', { exact: true }).selectOption('');
    await s.page.getByLabel('Afficher les coalitions terminées').check({ force: true });
    await s.page.locator('li.card', { hasText: 'E2E Santé mentale du Verdunois' }).waitFor();
    await keepScreenshot(s.page, 'coalitions-liste.png', { fullPage: true });
  });

  it('shows the coalition with its members, sectors, network drawing and suggested partners', async () => {
    await s.page.getByRole('link', { name: 'E2E Santé mentale du Verdunois' }).click();
    await s.page.waitForURL(new RegExp(`/coalitions/${coalition.clsm}`));
    await membersTable().waitFor();
    const table = (await membersTable().textContent())!;
    expect(table).toMatch(/Pilote \(1\)\s*E2E CPTS du Verdunois/);
    expect(table).toMatch(/Partenaire \(1\)\s*E2E Collège Buvignier/);
    expect(table).not.toContain('E2E Association Jeunesse Verdun');
    expect(await s.page.getByTestId('sectors-present').textContent()).toMatch(/Santé.*Éducation/s);
    expect(await s.page.getByTestId('sectors-missing').textContent()).toContain('Logement');
    await s.page.getByText('Conseil local de santé mentale : repérage').waitFor();
    await s.page.getByText('Sur demande, acceptée par un coordinateur').waitFor();

    const graph = s.page.getByRole('img', {
      name: /Réseau de la coalition E2E Santé mentale du Verdunois : 2 membres, 2 autres coalitions de ses membres, 1 partenariat/,
    });
    await graph.waitFor();
    expect(await graph.getAttribute('aria-describedby')).toBe('members-table');
    await expect.poll(() => graph.getAttribute('data-rendered'), { timeout: 30_000 }).toBe('oui');
    // 1 coalition + 2 members + 2 other coalitions of theirs; sigma draws into its own canvases.
    expect(await graph.getAttribute('data-node-count')).toBe('5');
    expect(await graph.locator('canvas').count()).toBeGreaterThan(0);
    const drawn = await graph
      .locator('canvas.sigma-nodes')
      .evaluate((c) => (c as unknown as { width: number; height: number }).width > 0 && (c as unknown as { height: number }).height > 0);
    expect(drawn).toBe(true);

    const suggestions = s.page.locator('ol.suggestions');
    await suggestions.waitFor();
    const asso = suggestions.locator('li', { hasText: 'E2E Association Jeunesse Verdun' }).first();
    await asso.waitFor();
    expect(await asso.locator('.reasons li').count()).toBeGreaterThan(0);
    await keepScreenshot(s.page, 'coalition.png', { fullPage: true });
  });

  it('sends a join request for an actor the member represents, then shows it pending', async () => {
    const focused = () => s.page.evaluate(() => (globalThis as any).document.activeElement?.id || (globalThis as any).document.activeElement?.textContent);
    // « Rejoindre » gives way to the form, whose first field takes the keyboard; « Annuler » gives it back.
    await s.page.getByRole('button', { name: 'Rejoindre' }).click();
    const select = s.page.getByLabel('Acteur que vous représentez');
    await expect.poll(async () => (await select.getAttribute('id')) === (await focused())).toBe(true);
    await s.page.getByRole('button', { name: 'Annuler' }).click();
    await expect.poll(focused).toBe('Rejoindre');
    await s.page.keyboard.press('Enter');
    await select.selectOption({ label: 'E2E Association Jeunesse Verdun' });
    await s.page.getByLabel('Rôle demandé').selectOption('PARTENAIRE');
    await s.page.getByRole('button', { name: 'Envoyer la demande' }).click();
    const pending = s.page.getByTestId('pending');
    await pending.waitFor();
    expect(await pending.textContent()).toMatch(
      /demande en attente\s*La demande de E2E Association Jeunesse Verdun \(partenaire\) attend la décision d’un coordinateur/,
    );
    expect(await s.page.getByRole('button', { name: 'Rejoindre' }).count()).toBe(0);
    expect(await membersTable().textContent()).not.toContain('E2E Association Jeunesse Verdun');
    await keepScreenshot(s.page, 'coalition-demande-en-attente.png', { fullPage: true });
    const stored = await s.server.ds.query(`SELECT status, role FROM membership WHERE coalition_id = $1 AND actor_id = $2`, [coalition.clsm, actor.asso]);
    expect(stored).toEqual([{ status: 'REQUESTED', role: 'PARTENAIRE' }]);
  });

  it('logs out, then the coordinator accepts the pending request and the actor becomes an active member', async () => {
    await s.page.getByRole('button', { name: 'Se déconnecter' }).click();
    await s.page.getByRole('link', { name: 'Se connecter' }).waitFor();
    expect(await s.page.getByTestId('who').count()).toBe(0);

    await logInThroughForm(s.page, 'coordination', `/coalitions/${coalition.clsm}`);
    await s.page.waitForURL(new RegExp(`/coalitions/${coalition.clsm}`));
    expect(await s.page.getByTestId('who').textContent()).toMatch(/Personne coordination\s*Coordinateur/);
    await s.page.getByRole('heading', { name: 'Demandes en attente (1)' }).waitFor();
    const row = s.page.locator('section.manage tr', { hasText: 'E2E Association Jeunesse Verdun' });
    expect(await row.textContent()).toMatch(/Partenaire\s*Personne membre/);
    await keepScreenshot(s.page, 'coalition-coordinateur.png', { fullPage: true });

    await s.page.getByRole('button', { name: 'Accepter la demande de E2E Association Jeunesse Verdun' }).click();
    await s.page.getByText('E2E Association Jeunesse Verdun est maintenant membre de la coalition.').waitFor();
    await s.page.getByRole('heading', { name: 'Demandes en attente (0)' }).waitFor();
    await expect
      .poll(() => membersTable().textContent())
      .toMatch(/Partenaires \(2\)\s*E2E Collège Buvignier.*E2E Association Jeunesse Verdun|Partenaires \(2\).*E2E Association Jeunesse Verdun/s);
    await s.page.getByRole('heading', { name: 'Membres (3)' }).waitFor();
    expect(await s.page.getByTestId('sectors-present').textContent()).toContain('Associations');
    const graph = s.page.getByRole('img', { name: /Réseau de la coalition E2E Santé mentale du Verdunois : 3 membres/ });
    await expect.poll(() => graph.getAttribute('data-rendered'), { timeout: 30_000 }).toBe('oui');
    expect(await graph.getAttribute('data-node-count')).toBe('6');
    await keepScreenshot(s.page, 'coalition-acceptee.png', { fullPage: true });
  });

  it('lists the coalitions of an actor on its page', async () => {
    await s.page.goto(`${s.server.url}/acteurs/${actor.asso}`);
    const list = s.page.getByTestId('actor-coalitions');
    await list.waitFor();
    expect(await list.textContent()).toMatch(/E2E Santé mentale du Verdunois\s*· Partenaire · Conseil local de santé mentale \(CLSM\), CA du Grand Verdun/);
  });

  it('tells plainly that someone else saved the actor in between, and reloads the current version', async () => {
    // Two tabs of the same logged-in browser (the coordinator, who represents the CPTS) edit the same version of the record.
    const other = await s.browser.newPage();
    for (const p of [s.page, other]) {
      await p.goto(`${s.server.url}/acteurs/${actor.pilot}`);
      await p.getByRole('button', { name: 'Modifier la fiche' }).click();
      await p.getByLabel('Description').waitFor();
    }
    await other.getByLabel('Description').fill('Accueil, écoute et orientation des 12-25 ans.');
    await other.getByRole('button', { name: 'Enregistrer' }).click();
    await other.getByText(/Fiche enregistrée \(version \d+\)/).waitFor();
    await other.getByText('Accueil, écoute et orientation des 12-25 ans.').waitFor();
    expect(await alertsOverTheirIcon(other)).toEqual([]);

    await s.page.getByLabel('Téléphone').fill('03 29 00 00 00');
    await s.page.getByRole('button', { name: 'Enregistrer' }).click();
    const alert = s.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Quelqu’un d’autre a enregistré cette fiche entre-temps.');
    await keepScreenshot(s.page, 'fiche-acteur-conflit.png', { fullPage: true });
    const [stored] = await s.server.ds.query(`SELECT description, phone FROM actor WHERE id = $1`, [actor.pilot]);
    expect(stored).toEqual({ description: 'Accueil, écoute et orientation des 12-25 ans.', phone: null });

    await s.page.getByRole('button', { name: 'Recharger la version actuelle' }).click();
    await expect.poll(() => s.page.getByLabel('Description').inputValue()).toBe('Accueil, écoute et orientation des 12-25 ans.');
    expect(await s.page.getByRole('alert').count()).toBe(0);
    await s.page.getByLabel('Téléphone').fill('03 29 00 00 00');
    await s.page.getByRole('button', { name: 'Enregistrer' }).click();
    await s.page.getByText(/Fiche enregistrée \(version \d+\)/).waitFor();
    await s.page.getByText('03 29 00 00 00').waitFor();
    const [after] = await s.server.ds.query(`SELECT description, phone FROM actor WHERE id = $1`, [actor.pilot]);
    expect(after).toEqual({ description: 'Accueil, écoute et orientation des 12-25 ans.', phone: '03 29 00 00 00' });
    await other.close();
  });

  it('says under each refused field, in French, why the record was not saved', async () => {
    await s.page.goto(`${s.server.url}/acteurs/${actor.pilot}`);
    await s.page.getByRole('button', { name: 'Modifier la fiche' }).click();
    const [before] = await s.server.ds.query(`SELECT version, website, phone FROM actor WHERE id = $1`, [actor.pilot]);
    // The address says which commune the record shows after it (the street alone is edited here).
    const hint = async () => {
      const address = s.page.getByLabel('Adresse', { exact: true });
      return s.page.locator(`#${await address.getAttribute('aria-describedby')}`).textContent();
    };
    expect(await hint()).toBe('Numéro et voie.');
    await s.server.ds.query(`UPDATE actor SET commune_code = '55545' WHERE id = $1`, [actor.pilot]);
    await s.page.reload();
    await s.page.getByRole('button', { name: 'Modifier la fiche' }).click();
    expect(await hint()).toBe('Numéro et voie ; la commune de la fiche est Verdun (55545).');
    await s.page.getByLabel('Site web').fill('javascript:alert(1)');
    await s.page.getByLabel('Téléphone').fill('pas un numéro');
    await s.page.getByRole('button', { name: 'Enregistrer' }).click();
    const alert = s.page.getByRole('alert');
    await alert.waitFor();
    // The summary names the fields as the form does, never by their name in the API (« website »).
    expect(await alert.textContent()).toMatch(/^Données invalides : .*Téléphone \(le numéro de téléphone n’est pas valide\)/);
    expect(await alert.textContent()).toContain('Site web (le site web doit être une adresse http(s) valide)');
    expect(await alert.textContent()).not.toMatch(/[:;] (website|phone) \(/);
    for (const [label, reason] of [
      ['Site web', 'le site web doit être une adresse http(s) valide'],
      ['Téléphone', 'le numéro de téléphone n’est pas valide'],
    ]) {
      const input = s.page.getByLabel(label, { exact: true });
      expect(await input.getAttribute('aria-invalid')).toBe('true');
      const described = (await input.getAttribute('aria-describedby'))!;
      expect(await s.page.locator(`#${described}`).textContent()).toBe(reason);
    }
    expect(await s.page.getByLabel('Description').getAttribute('aria-invalid')).toBeNull();
    await keepScreenshot(s.page, 'fiche-acteur-champs-refuses.png', { fullPage: true });
    const [stored] = await s.server.ds.query(`SELECT version, website, phone FROM actor WHERE id = $1`, [actor.pilot]);
    expect(stored).toEqual(before);

    // Corrected, the record saves and the errors go.
    await s.page.getByLabel('Site web').fill('https://exemple.fr');
    await s.page.getByLabel('Téléphone').fill('03 29 11 22 33');
    await s.page.getByRole('button', { name: 'Enregistrer' }).click();
    await s.page.getByText(/Fiche enregistrée \(version \d+\)/).waitFor();
    const [saved] = await s.server.ds.query(`SELECT website, phone FROM actor WHERE id = $1`, [actor.pilot]);
    expect(saved).toEqual({ website: 'https://exemple.fr', phone: '03 29 11 22 33' });
  });

  it('lets the coordinator create a coalition from the list, with a sub-theme, which opens on its page with its pilot', async () => {
    await s.page.goto(`${s.server.url}/coalitions`);
    await s.page.getByRole('link', { name: 'Créer une coalition' }).click();
    await s.page.getByRole('heading', { name: 'Créer une coalition', level: 1 }).waitFor();
    // Sent empty, the form says under each field what is missing, and nothing is created.
    const before = await s.server.ds.query(`SELECT count(*)::int AS n FROM coalition`);
    await s.page.getByRole('button', { name: 'Créer la coalition' }).click();
    await s.page.getByText('Le nom est obligatoire.').waitFor();
    for (const text of ['Choisissez la nature de la coalition.', 'Cochez au moins un thème.', 'Choisissez le territoire de la coalition.'])
      await s.page.getByText(text).waitFor();
    expect(await s.server.ds.query(`SELECT count(*)::int AS n FROM coalition`)).toEqual(before);

    await s.page.getByLabel('Nom').fill('E2E CLS du Grand Verdun');
    // Its message goes as soon as the field is filled, the others stay.
    await s.page.getByText('Le nom est obligatoire.').waitFor({ state: 'detached' });
    expect(await s.page.getByText('Cochez au moins un thème.').count()).toBe(1);
    await s.page.getByLabel('Nature').selectOption({ label: 'Contrat local de santé (CLS)' });
    await s.page.getByLabel(/^Territoire : commune, EPCI/).fill('Grand Verdun');
    await s.page.getByRole('option', { name: /CA du Grand Verdun/ }).click();
    await s.page.getByTestId('chosen-territory').getByText('CA du Grand Verdun').waitFor();
    // Ticked as a person does, on the label (the design system draws the box over the input).
    for (const theme of ['Prévention du suicide', 'Vaccination']) {
      await s.page.locator('label', { hasText: new RegExp(`^${theme}$`) }).click();
      expect(await s.page.getByRole('checkbox', { name: theme, exact: true }).isChecked()).toBe(true);
    }
    // The structure the coordinator represents is the pilot unless it picks another.
    expect(await s.page.getByLabel('E2E CPTS du Verdunois').isChecked()).toBe(true);
    await s.page.getByLabel('Adhésion').selectOption({ label: 'Sur invitation d’un coordinateur seulement' });
    await keepScreenshot(s.page, 'coalition-nouvelle.png', { fullPage: true });
    await s.page.getByRole('button', { name: 'Créer la coalition' }).click();

    await s.page.waitForURL(/\/coalitions\/[0-9a-f-]{36}$/);
    await s.page.getByRole('heading', { name: 'E2E CLS du Grand Verdun', level: 1 }).waitFor();
    await membersTable().getByText('E2E CPTS du Verdunois').waitFor();
    // Its coordinator manages it at once: requests and invitations.
    await s.page.getByRole('heading', { name: 'Inviter un acteur' }).waitFor();
    const [stored] = await s.server.ds.query(
      `SELECT c.kind, c.territory_level, c.themes, c.join_policy, m.role, m.status FROM coalition c JOIN membership m ON m.coalition_id = c.id
       WHERE c.name = 'E2E CLS du Grand Verdun'`,
    );
    expect(stored).toEqual({
      kind: 'CLS',
      territory_level: 'EPCI',
      themes: ['sante-mentale-prevention-suicide', 'vaccination'],
      join_policy: 'INVITATION',
      role: 'PILOTE',
      status: 'ACTIVE',
    });

    // Its coordinator changes it from its page: the same form, filled with what it is.
    await s.page.getByRole('button', { name: 'Modifier la coalition' }).click();
    const edit = s.page.getByRole('form', { name: 'Modifier la coalition' });
    expect(await edit.getByLabel('Nom').inputValue()).toBe('E2E CLS du Grand Verdun');
    expect(await edit.getByRole('checkbox', { name: 'Prévention du suicide' }).isChecked()).toBe(true);
    await edit.getByLabel('Description (facultatif)').fill('Premier contrat local de santé du territoire.');
    await edit.getByLabel('Adhésion').selectOption({ label: 'Sur demande, acceptée par un coordinateur' });
    await edit.getByRole('button', { name: 'Enregistrer' }).click();
    await s.page.getByText('Coalition enregistrée.').waitFor();
    await s.page.getByText('Premier contrat local de santé du territoire.').waitFor();
    const [changed] = await s.server.ds.query(`SELECT description, join_policy, version FROM coalition WHERE name = 'E2E CLS du Grand Verdun'`);
    expect(changed).toMatchObject({ description: 'Premier contrat local de santé du territoire.', join_policy: 'APPROVAL' });

    // Saved by someone else in between: the server's refusal is said, and nothing changes.
    await s.page.getByRole('button', { name: 'Modifier la coalition' }).click();
    await s.server.ds.query(`UPDATE coalition SET version = version + 1 WHERE name = 'E2E CLS du Grand Verdun'`);
    await edit.getByLabel('Nom').fill('E2E CLS renommé');
    await edit.getByRole('button', { name: 'Enregistrer' }).click();
    await edit
      .getByRole('alert')
      .getByText(/modifiée par quelqu’un d’autre depuis votre lecture/)
      .waitFor();
    expect(await s.server.ds.query(`SELECT 1 FROM coalition WHERE name = 'E2E CLS renommé'`)).toEqual([]);
  });

  it('lets the coordinator remove a member from the coalition’s page, never its only pilot', async () => {
    await s.page.goto(`${s.server.url}/coalitions/${coalition.clsm}`);
    const pilotRow = membersTable().getByRole('row').filter({ hasText: 'E2E CPTS du Verdunois' });
    await pilotRow.getByText('seul pilote').waitFor();
    expect(await pilotRow.getByRole('button').count()).toBe(0);
    await membersTable().getByRole('button', { name: 'Retirer E2E Collège Buvignier de la coalition' }).click();
    await s.page.getByRole('button', { name: 'Retirer de la coalition' }).click();
    await s.page.getByText('E2E Collège Buvignier ne fait plus partie de la coalition.').waitFor();
    await expect.poll(() => membersTable().textContent()).not.toContain('E2E Collège Buvignier');
    const [left] = await s.server.ds.query(`SELECT status FROM membership WHERE coalition_id = $1 AND actor_id = $2`, [coalition.clsm, actor.college]);
    expect(left).toEqual({ status: 'LEFT' });
  });

  it('lets the coordinator declare a partnership from its structure’s page, which the partner’s representative confirms', async () => {
    await s.page.goto(`${s.server.url}/acteurs/${actor.pilot}`);
    await s.page.getByRole('button', { name: 'Déclarer un partenariat' }).click();
    const form = s.page.locator('section', { has: s.page.getByRole('heading', { name: 'Déclarer un partenariat' }) });
    await form.getByLabel('Nature').selectOption({ label: 'Accord-cadre' });
    await form.getByLabel('Intitulé (facultatif)').fill('Accord E2E jeunesse');
    await form.getByLabel(/^Structure partenaire/).fill('Jeunesse Verdun');
    await form.getByRole('button', { name: 'Rechercher' }).click();
    await form.getByRole('button', { name: 'Déclarer le partenariat avec E2E Association Jeunesse Verdun' }).waitFor();
    await keepScreenshot(s.page, 'partenariat-declarer.png', { fullPage: true });
    await form.getByRole('button', { name: 'Déclarer le partenariat avec E2E Association Jeunesse Verdun' }).click();
    await s.page.getByText(/^Partenariat avec E2E Association Jeunesse Verdun déclaré : il attend la confirmation/).waitFor();
    const row = s.page.getByTestId('actor-partnerships').getByRole('listitem').filter({ hasText: 'Accord E2E jeunesse' });
    await row.getByText('en attente de confirmation').waitFor();
    const [declared] = await s.server.ds.query(`SELECT kind, status, actor_a, actor_b FROM partnership WHERE title = 'Accord E2E jeunesse'`);
    expect(declared).toEqual({ kind: 'ACCORD_CADRE', status: 'PENDING', actor_a: actor.pilot, actor_b: actor.asso });

    // The association's representative confirms it from its own page.
    await s.page.getByRole('button', { name: 'Se déconnecter' }).click();
    await s.page.getByRole('link', { name: 'Se connecter' }).waitFor();
    await logInThroughForm(s.page, 'membre', `/acteurs/${actor.asso}`);
    await s.page.waitForURL(new RegExp(`/acteurs/${actor.asso}`));
    await s.page.getByRole('button', { name: 'Confirmer le partenariat avec E2E CPTS du Verdunois' }).click();
    await s.page.getByText('Partenariat avec E2E CPTS du Verdunois confirmé : il est maintenant public.').waitFor();
    const [confirmed] = await s.server.ds.query(`SELECT status FROM partnership WHERE title = 'Accord E2E jeunesse'`);
    expect(confirmed).toEqual({ status: 'ACTIVE' });
  });
});
