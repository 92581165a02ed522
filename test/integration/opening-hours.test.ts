import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOpeningHours, openingSchedule } from '../../server/actors/opening-hours.js';
import { IMPORT_OPERATION_HEADER, IMPORT_OPERATION_NAME } from '../../server/http/body-limits.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Opening hours (issue 16): an OpenStreetMap `opening_hours` string, checked by the `opening_hours`
 * library on every path that writes an actor (createActor, updateActor, the import), shown in French.
 */
const SOURCE = 'test:opening-hours.test.ts';
const VERDUN = { kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['sante-mentale'], communeCode: '55545', source: SOURCE };
const HOURS = `id name version openingHours openingSchedule { week { day hours } openNow sameEveryWeek }`;
const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { ${HOURS} } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { ${HOURS} } }`;
const ACTOR = `query ($id: ID!) { actor(id: $id) { ${HOURS} } }`;
const IMPORT = `mutation ($content: String!) { importActors(content: $content, format: CSV, mode: ALL_OR_NOTHING) { created committed problems { row field reason } } }`;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server?.close();
});

describe('opening hours', () => {
  it('should store the hours in their normalised OSM form and show the week in French', async () => {
    const res = await server.admin.gql(CREATE, { input: { ...VERDUN, name: 'Horaires normalisés', openingHours: ' Mo-Fr 9-12,14:00-17:30; Sa 09:00-12:00 ' } });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const actor = res.data.createActor;
    expect(actor.openingHours).toBe('Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00');
    expect(actor.openingSchedule.sameEveryWeek).toBe(true);
    expect(actor.openingSchedule.week).toEqual([
      ...['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi'].map((day) => ({ day, hours: '9 h–12 h, 14 h–17 h 30' })),
      { day: 'samedi', hours: '9 h–12 h' },
      { day: 'dimanche', hours: 'fermé' },
    ]);
    expect(typeof actor.openingSchedule.openNow).toBe('boolean');
  });

  it('should say whether it is open at a given Paris time, closed on a public holiday, and keep a mapper’s comment', () => {
    const week = openingSchedule('Mo-Fr 10:00-12:00 "sur rendez-vous"; PH off', null, new Date(2026, 6, 14, 11, 0));
    // 14 July 2026 is a Tuesday and a public holiday.
    expect(week?.week[1]).toEqual({ day: 'mardi', hours: 'fermé' });
    expect(week?.week[0]).toEqual({ day: 'lundi', hours: '10 h–12 h (sur rendez-vous)' });
    expect(week?.sameEveryWeek).toBe(false);
    expect(openingSchedule('Mo-Fr 09:00-17:00', null, new Date(2026, 6, 15, 10, 0))?.openNow).toBe(true);
    expect(openingSchedule('Mo-Fr 09:00-17:00', null, new Date(2026, 6, 18, 10, 0))?.openNow).toBe(false);
    expect(openingSchedule('24/7', null, new Date(2026, 6, 18, 10, 0))?.week[6]).toEqual({ day: 'dimanche', hours: '24 h sur 24' });
  });

  it('should refuse a string the library cannot read, with a French reason', () => {
    // What the library corrects with certainty is kept, in its OSM form.
    expect(checkOpeningHours('lundi 9h-12h')).toEqual({ value: 'Mo 09:00-12:00' });
    for (const bad of ['lundi 9h', 'tous les jours', 'n’importe quoi', 'Mo-Fr 09:00-17:00; SH off', `Mo ${'09:00-10:00,'.repeat(60)}`]) {
      const checked = checkOpeningHours(bad);
      expect('reason' in checked, bad).toBe(true);
      expect((checked as { reason: string }).reason).toMatch(/horaires|vacances scolaires/);
    }
  });

  it('should refuse bad hours in createActor and updateActor with a per-field BAD_USER_INPUT, leaving the actor as it was', async () => {
    const created = await server.admin.gql(CREATE, { input: { ...VERDUN, name: 'Horaires refusés', openingHours: 'tous les jours' } });
    expect(errorCodes(created)).toEqual(['BAD_USER_INPUT']);
    expect(created.errors![0].extensions).toMatchObject({ field: 'openingHours' });
    expect(created.errors![0].message).toMatch(/horaires non reconnus/);
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM actor WHERE name = 'Horaires refusés'`);
    expect(n).toBe(0);

    const good = (await server.admin.gql(CREATE, { input: { ...VERDUN, name: 'Horaires gardés', openingHours: 'Tu 14:00-18:00' } })).data.createActor;
    const updated = await server.admin.gql(UPDATE, { id: good.id, v: good.version, input: { openingHours: 'Tu 14h-18h; SH off', phone: '03 29 00 00 00' } });
    expect(errorCodes(updated)).toEqual(['BAD_USER_INPUT']);
    expect(updated.errors![0].extensions).toMatchObject({ field: 'openingHours' });
    const after = (await server.gql(ACTOR, { id: good.id })).data.actor;
    expect(after).toMatchObject({ version: good.version, openingHours: 'Tu 14:00-18:00' });
    // Erasing them is allowed.
    const erased = await server.admin.gql(UPDATE, { id: good.id, v: good.version, input: { openingHours: null } });
    expect(erased.data.updateActor).toMatchObject({ openingHours: null, openingSchedule: null });
  });

  it('should read and check the « horaires » column of an import, and write it back in the export', async () => {
    const header = 'nom;type;secteur;commune;thematiques;source;horaires';
    const bad = await server.admin.gql(
      IMPORT,
      {
        content: `${header}\r\nImport horaires bons;association;social;55545;sante-mentale;${SOURCE};Mo-Fr 09:00-12:00\r\nImport horaires faux;association;social;55545;sante-mentale;${SOURCE};tous les jours\r\n`,
      },
      { [IMPORT_OPERATION_HEADER]: IMPORT_OPERATION_NAME },
    );
    expect(bad.errors, JSON.stringify(bad.errors)).toBeUndefined();
    expect(bad.data.importActors.committed).toBe(false);
    expect(bad.data.importActors.problems).toEqual([
      expect.objectContaining({ row: 3, field: 'horaires', reason: expect.stringMatching(/horaires non reconnus/) }),
    ]);
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM actor WHERE name LIKE 'Import horaires%'`);
    expect(n).toBe(0);

    const ok = await server.admin.gql(
      IMPORT,
      { content: `${header}\r\nImport horaires bons;association;social;55545;sante-mentale;${SOURCE};Mo-Fr 9-12\r\n` },
      { [IMPORT_OPERATION_HEADER]: IMPORT_OPERATION_NAME },
    );
    expect(ok.data.importActors).toMatchObject({ created: 1, committed: true });
    const csv = await (await fetch(`${server.url}/export/acteurs.csv?filter=${encodeURIComponent(JSON.stringify({ text: 'Import horaires bons' }))}`)).text();
    const [head, row] = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    const columns = head.split(';');
    expect(row.split(';')[columns.indexOf('horaires')]).toBe('Mo-Fr 09:00-12:00');
  });
});
