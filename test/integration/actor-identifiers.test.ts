import { beforeAll, describe, expect, it } from 'vitest';
import { invalidIdentifiers } from '../../server/actors/actor-identifier-check.js';
import { fixtures, ok } from '../helpers/factories.js';
import { errorCodes, type GraphQLResponse, useTestServer } from '../helpers/server.js';
import { MEUSE } from '../helpers/places.js';

/**
 * Identifiers that mean something: a SIREN, SIRET, RNA or FINESS number with a wrong key is
 * refused by every write (createActor, updateActor, an import row) with the field named; two active
 * actors may not share a SIRET, RNA or FINESS, even written at the same instant (the partial unique
 * indexes of migration 1764000000026), and the refusal names the actor that holds the number so
 * that it can be claimed; an archived actor's number may be taken again; `identifiers:check` lists
 * the stored numbers that fail their check.
 */
const SOURCE = 'test:actor-identifiers.test.ts';
const server = useTestServer();
const f = fixtures(server, { source: SOURCE, domain: '@test-identifiers.local' });
const { actor, createActors, createUser, users } = f;

const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id siren siret rna finess status } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { id version siret rna finess } }`;
const ARCHIVE = `mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { status version } }`;
const IMPORT = `mutation ($content: String!, $mode: ImportMode) {
  importActors(content: $content, format: CSV, mode: $mode) { created updated unchanged rejected committed problems { row field reason } }
}`;

const base = (name: string, patch: Record<string, unknown> = {}) => ({
  name,
  kind: 'ASSOCIATION',
  sector: 'SANTE',
  themes: ['vaccination'],
  territories: [MEUSE],
  source: SOURCE,
  ...patch,
});

/** Real numbers with right keys (INSEE, the ministry of health), and fictitious ones keyed the same way. */
const HELD = { siret: '73282932000074', siren: '732829320', rna: 'W551000777', finess: '550000012' };

const count = async (where: string, values: unknown[]): Promise<number> =>
  Number((await server().ds.query(`SELECT count(*)::int AS n FROM actor WHERE ${where}`, values))[0].n);
const versionOf = async (id: string): Promise<number> => Number((await server().ds.query(`SELECT version FROM actor WHERE id = $1`, [id]))[0].version);

/** Field names of a refusal, from `field` and `fields` alike. */
const fieldsOf = (res: GraphQLResponse): string[] => {
  const e = res.errors?.[0]?.extensions ?? {};
  return [e.field, ...((e.fields as { field: string }[] | undefined) ?? []).map((x) => x.field)].filter((x): x is string => typeof x === 'string');
};

beforeAll(async () => {
  await createActors({
    holder: { ...base('Ident Centre hospitalier de Verdun'), ...HELD },
    other: base('Ident Association sans numéro'),
  });
  await createUser('member', 'MEMBER', ['other']);
});

describe('numbers with a wrong key', () => {
  it.each([
    ['a SIREN whose key is wrong', { siren: '732829321' }, 'siren', /clé de contrôle du SIREN/],
    ['a SIREN of 8 digits', { siren: '73282932' }, 'siren', /9 chiffres/],
    ['a SIRET whose key is wrong', { siret: '73282932000075' }, 'siret', /clé de contrôle du SIRET/],
    ['a SIRET on a SIREN whose key is wrong', { siret: '12345678900007' }, 'siret', /SIREN dont la clé/],
    ['a La Poste SIRET whose digits do not add up to a multiple of 5', { siret: '35600000000002' }, 'siret', /La Poste/],
    ['an RNA number without its W', { rna: '551000777' }, 'rna', /lettre W/],
    ['a FINESS number whose key is wrong', { finess: '550000013' }, 'finess', /clé de contrôle du numéro FINESS/],
    ['a Corsican FINESS number keyed as if 2A were 20', { finess: '2A0000155' }, 'finess', /clé de contrôle/],
    ['a FINESS number of département 20', { finess: '200000154' }, 'finess', /département inconnu/],
    ['a SIRET that is not an establishment of the SIREN given', { siren: '356000000', siret: '12345678200002' }, 'siret', /ne commence pas par le SIREN/],
  ])('should refuse %s through variables, naming the field in French, and write nothing', async (_label, patch, field, reason) => {
    const before = await count('source = $1', [SOURCE]);
    const res = await server().admin.gql(CREATE, { input: base('Ident Refusé', patch) });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(res)).toContain(field);
    expect(res.errors![0].message).toMatch(reason);
    expect(await count('source = $1', [SOURCE])).toBe(before);
  });

  it('should refuse a wrong key in updateActor and leave the actor as it was', async () => {
    const v = await versionOf(actor.other);
    for (const input of [{ finess: '550000013' }, { siren: '123456789' }, { siret: '35600000000014' }, { rna: 'W55100077' }]) {
      const res = await server().admin.gql(UPDATE, { id: actor.other, v, input });
      expect(errorCodes(res), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(res)).toContain(Object.keys(input)[0]);
    }
    expect(await versionOf(actor.other)).toBe(v);
  });

  it('should accept real numbers, La Poste’s and Corsica’s included', async () => {
    const created = (
      await ok(
        server().admin.gql(CREATE, {
          input: base('Ident Clinique du sud de la Corse', { siren: '356000000', siret: '35600000000048', finess: '2A0000154', rna: 'W2A1000123' }),
        }),
      )
    ).createActor;
    expect(created).toMatchObject({ siret: '35600000000048', finess: '2A0000154', status: 'ACTIVE' });
  });

  it('should report a wrong key in an import row by its row and column', async () => {
    const csv = `nom;type;secteur;thematiques;territoires;siret;finess;source
Ident Import clé fausse;association;santé;vaccination;departement:55;73282932000075;;${SOURCE}
Ident Import FINESS faux;association;santé;vaccination;departement:55;;2B0000039;${SOURCE}
`;
    const report = (await ok(server().admin.gql(IMPORT, { content: csv, mode: 'VALID_ONLY' }))).importActors;
    expect(report).toMatchObject({ created: 0, rejected: 2 });
    expect(report.problems).toEqual([
      { row: 2, field: 'siret', reason: expect.stringMatching(/clé de contrôle du SIRET/) },
      { row: 3, field: 'finess', reason: expect.stringMatching(/clé de contrôle du numéro FINESS/) },
    ]);
  });
});

describe('one structure, one active actor', () => {
  it.each([
    ['SIRET', { siret: HELD.siret }, 'siret'],
    ['RNA', { rna: HELD.rna }, 'rna'],
    ['FINESS', { finess: HELD.finess }, 'finess'],
  ])('should refuse a second active actor with the same %s, naming the first one so that it can be claimed', async (_label, patch, field) => {
    const before = await count('source = $1', [SOURCE]);
    const res = await users.member.gql(CREATE, { input: base('Ident Doublon', patch) });
    expect(errorCodes(res)).toEqual(['CONFLICT']);
    const ext = res.errors![0].extensions!;
    expect(ext).toMatchObject({ field, existingActorId: actor.holder, existingActorName: 'Ident Centre hospitalier de Verdun' });
    expect(res.errors![0].message).toMatch(/déjà celui de l’acteur « Ident Centre hospitalier de Verdun »/);
    expect(await count('source = $1', [SOURCE])).toBe(before);
  });

  it('should lead to the claim: the account refused asks to represent the existing actor it was given', async () => {
    const res = await users.member.gql(CREATE, { input: base('Ident Doublon', { siret: HELD.siret }) });
    const CLAIM = `mutation ($a: ID!) { claimActor(actorId: $a, message: "C’est notre structure") { status actor { id } } }`;
    const claimed = (await ok(users.member.gql(CLAIM, { a: res.errors![0].extensions!.existingActorId }))).claimActor;
    expect(claimed).toEqual({ status: 'PENDING', actor: { id: actor.holder } });
  });

  it('should not let two createActor sent at the same instant both take a SIRET', async () => {
    for (const [i, siret] of ['81234567600017', '12345678200002', '12345678200028'].entries()) {
      const results = await Promise.all([
        server().admin.gql(CREATE, { input: base(`Ident Course A${i}`, { siret }) }),
        server().admin.gql(CREATE, { input: base(`Ident Course B${i}`, { siret }) }),
      ]);
      const created = results.filter((r) => !r.errors);
      const refused = results.filter((r) => r.errors);
      expect(created, JSON.stringify(results)).toHaveLength(1);
      expect(refused.map(errorCodes)).toEqual([['CONFLICT']]);
      expect(refused[0].errors![0].extensions).toMatchObject({ field: 'siret', value: siret, existingActorId: created[0].data.createActor.id });
      expect(await count(`siret = $1 AND status = 'ACTIVE'`, [siret])).toBe(1);
    }
  });

  it('should refuse updateActor onto another actor’s FINESS, RNA or SIRET, and leave it unchanged', async () => {
    const v = await versionOf(actor.other);
    for (const [field, value] of [
      ['finess', HELD.finess],
      ['rna', HELD.rna],
      ['siret', HELD.siret],
    ] as const) {
      const res = await server().admin.gql(UPDATE, { id: actor.other, v, input: { [field]: value } });
      expect(errorCodes(res)).toEqual(['CONFLICT']);
      expect(res.errors![0].extensions).toMatchObject({ field, existingActorId: actor.holder });
    }
    expect(await versionOf(actor.other)).toBe(v);
    expect(await count(`id = $1 AND siret IS NULL AND rna IS NULL AND finess IS NULL`, [actor.other])).toBe(1);
  });

  it('should not let two updateActor sent at the same instant give one FINESS to two actors', async () => {
    const finess = '550000020'; // CH de Verdun, the legal entity
    const [a, b] = await Promise.all([server().createActor(base('Ident Course mise à jour A')), server().createActor(base('Ident Course mise à jour B'))]);
    const results = await Promise.all([a, b].map((x) => server().admin.gql(UPDATE, { id: x.id, v: x.version, input: { finess } })));
    const updated = results.filter((r) => !r.errors);
    expect(updated, JSON.stringify(results)).toHaveLength(1);
    const refused = results.find((r) => r.errors)!;
    expect(errorCodes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0].extensions).toMatchObject({ field: 'finess', value: finess, existingActorId: updated[0].data.updateActor.id });
    expect(await count(`finess = $1 AND status = 'ACTIVE'`, [finess])).toBe(1);
  });

  it('should let an actor keep its own numbers when they are sent again with a change', async () => {
    const v = await versionOf(actor.holder);
    const updated = (await ok(server().admin.gql(UPDATE, { id: actor.holder, v, input: { ...HELD, description: 'Numéros renvoyés tels quels' } }))).updateActor;
    expect(updated).toMatchObject({ version: v + 1, siret: HELD.siret, finess: HELD.finess });
  });

  it('should let the database itself refuse a second active SIRET, whatever the path', async () => {
    const [{ id }] = await server().ds.query(`SELECT id FROM actor WHERE id = $1`, [actor.holder]);
    await expect(
      server().ds.query(`INSERT INTO actor (name, kind, sector, siret, source) SELECT 'Ident SQL', kind, sector, siret, $2 FROM actor WHERE id = $1`, [
        id,
        SOURCE,
      ]),
    ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23505', constraint: 'actor_active_siret_key' }) });
  });

  it('should reject an import row that would give an actor another active actor’s number, naming it', async () => {
    const v = await versionOf(actor.other);
    // Row 2 designates « other » by its identifiant and brings the RNA of « holder »; row 3 designates
    // the Corsican clinic by its SIRET and brings the FINESS of « holder ».
    const csv = `identifiant;nom;siret;rna;finess;source
${actor.other};Ident Association sans numéro;;${HELD.rna};;${SOURCE}
;Ident Clinique du sud de la Corse;35600000000048;;${HELD.finess};${SOURCE}
`;
    const report = (await ok(server().admin.gql(IMPORT, { content: csv, mode: 'VALID_ONLY' }))).importActors;
    expect(report).toMatchObject({ created: 0, updated: 0, rejected: 2 });
    expect(report.problems).toEqual([
      {
        row: 2,
        field: 'rna',
        reason: expect.stringMatching(
          new RegExp(`RNA ${HELD.rna} est déjà celui de l’acteur « Ident Centre hospitalier de Verdun » \\(identifiant ${actor.holder}\\)`),
        ),
      },
      { row: 3, field: 'finess', reason: expect.stringMatching(/FINESS 550000012 est déjà celui de l’acteur « Ident Centre hospitalier de Verdun »/) },
    ]);
    expect(await versionOf(actor.other)).toBe(v);
  });

  it('should never leave two active actors with one SIRET when two imports create it at the same instant', async () => {
    const siret = '81234567600025';
    const csv = (name: string) =>
      `nom;type;secteur;thematiques;territoires;siret;source\n${name};association;santé;vaccination;departement:55;${siret};${SOURCE}\n`;
    const results = await Promise.all([
      server().admin.gql(IMPORT, { content: csv('Ident Import course') }),
      server().admin.gql(IMPORT, { content: csv('Ident Import course') }),
    ]);
    for (const r of results) {
      // Either written (created, or matched by its SIRET once the other committed), or CONFLICT: never an internal error.
      if (r.errors) expect(errorCodes(r)).toEqual(['CONFLICT']);
      else expect(r.data.importActors.committed).toBe(true);
    }
    expect(results.filter((r) => !r.errors && r.data.importActors.created === 1)).toHaveLength(1);
    expect(await count(`siret = $1 AND status = 'ACTIVE'`, [siret])).toBe(1);
  });
});

describe('an archived actor’s numbers', () => {
  it('should be free again: a new actor takes them, an import then designates the active one', async () => {
    const numbers = { siret: '81234567600033', rna: 'W551009999', finess: '550009997' };
    const old = (await ok(server().admin.gql(CREATE, { input: base('Ident Ancienne fiche', numbers) }))).createActor;
    expect(errorCodes(await server().admin.gql(CREATE, { input: base('Ident Nouvelle fiche', numbers) }))).toEqual(['CONFLICT']);
    await ok(server().admin.gql(ARCHIVE, { id: old.id, v: await versionOf(old.id) }));
    const renewed = (await ok(server().admin.gql(CREATE, { input: base('Ident Nouvelle fiche', numbers) }))).createActor;
    expect(renewed).toMatchObject(numbers);
    expect(await count(`siret = $1`, [numbers.siret])).toBe(2);

    const csv = `siret;nom;description;source\n${numbers.siret};Ident Nouvelle fiche;Mise à jour par import;${SOURCE}\n`;
    expect((await ok(server().admin.gql(IMPORT, { content: csv }))).importActors).toMatchObject({ updated: 1, created: 0, rejected: 0 });
    const [row] = await server().ds.query(`SELECT id FROM actor WHERE description = 'Mise à jour par import' AND siret = $1`, [numbers.siret]);
    expect(row.id).toBe(renewed.id);
  });
});

describe('identifiers:check', () => {
  it('should list the stored numbers that fail their check, with the actor, the field, the value and the reason', async () => {
    // Written before the keys were checked: the database checks only their format.
    const [{ id }] = await server().ds.query(
      `INSERT INTO actor (name, kind, sector, siren, siret, finess, source) VALUES ('Ident Fiche ancienne', 'ASSOCIATION', 'SANTE', '123456789', '73282932000075', '550000013', $1) RETURNING id`,
      [SOURCE],
    );
    const found = (await invalidIdentifiers(server().ds)).filter((x) => x.id === id || x.id === actor.holder);
    expect(found).toEqual([
      { id, name: 'Ident Fiche ancienne', status: 'ACTIVE', field: 'siren', value: '123456789', reason: expect.stringMatching(/clé de contrôle du SIREN/) },
      {
        id,
        name: 'Ident Fiche ancienne',
        status: 'ACTIVE',
        field: 'siret',
        value: '73282932000075',
        reason: expect.stringMatching(/clé de contrôle du SIRET/),
      },
      {
        id,
        name: 'Ident Fiche ancienne',
        status: 'ACTIVE',
        field: 'finess',
        value: '550000013',
        reason: expect.stringMatching(/clé de contrôle du numéro FINESS/),
      },
    ]);
  });
});
