import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoVerifiedAt, seedDemoActors, seedPublicActors, seedStudentServices, STUDENT_SOURCE, STUDENT_SOURCE_DATE } from '../../seeds/actors.js';
import { startApp } from '../helpers/app.js';
import { ok, TEST_PASSWORD } from '../helpers/factories.js';
import { type CookieClient, errorCodes, type TestServer } from '../helpers/server.js';
import { moderationFile } from '../helpers/moderation-file.js';

/**
 * Freshness (Actor.verifiedAt, Actor.isStale): the date someone responsible confirmed the record.
 * Only its representatives, ARS analysts of a région where it acts and administrators move it
 * (confirmActorUpToDate, or validateActor); a save, an import or a seed reload never does.
 */
const file = moderationFile('freshness');
const { SOURCE, DOMAIN } = file;

let representative: CookieClient;
let stranger: CookieClient;
let meuse: string;

const CONFIRM = `mutation ($id: ID!, $v: Int!) { confirmActorUpToDate(id: $id, version: $v) { verifiedAt isStale version updatedAt } }`;
const FRESHNESS = `query ($id: ID!) { actor(id: $id) { verifiedAt isStale version updatedAt viewerCanConfirm } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { version } }`;
const IMPORT = `mutation ($content: String!) { importActors(content: $content, format: CSV, mode: ALL_OR_NOTHING) { created updated committed ignoredColumns problems { row field reason } } }`;

interface Freshness {
  verifiedAt: string | null;
  isStale: boolean;
  version: number;
  updatedAt: string;
  viewerCanConfirm: boolean;
}

const read = async (id: string, client: { gql: TestServer['gql'] } = file.server) => (await ok<{ actor: Freshness }>(client.gql(FRESHNESS, { id }))).actor;

/** verified_at as stored, to the microsecond (the API gives milliseconds). */
const stored = async (id: string): Promise<string | null> => {
  const [row] = await file.server.ds.query<{ v: string | null }[]>(`SELECT verified_at::text AS v FROM actor WHERE id = $1`, [id]);
  return row.v;
};

const setVerified = (id: string, expression: string) => file.server.ds.query(`UPDATE actor SET verified_at = ${expression} WHERE id = $1`, [id]);

beforeAll(async () => {
  meuse = (
    await file.server.createActor({
      name: 'Fraîcheur Association de Verdun',
      kind: 'ASSOCIATION',
      sector: 'SANTE',
      themes: ['vaccination'],
      communeCode: '55545',
      source: SOURCE,
    })
  ).id;
  representative = await file.server.signedIn({ email: `representant${DOMAIN}`, password: TEST_PASSWORD, actorIds: [meuse] });
  stranger = await file.server.signedIn({ email: `autre${DOMAIN}`, password: TEST_PASSWORD });
  await file.signInAnalysts();
});

describe('confirming that a record is up to date', () => {
  it('should leave verifiedAt null on creation, even by an administrator, and show the record as stale', async () => {
    expect(await read(meuse)).toMatchObject({ verifiedAt: null, isStale: true, viewerCanConfirm: false });
    expect(await stored(meuse)).toBeNull();
  });

  it('should let a representative confirm the record: verifiedAt moves to now, the version and updatedAt do not', async () => {
    const before = await read(meuse, representative);
    expect(before.viewerCanConfirm).toBe(true);
    const [{ t0 }]: { t0: Date }[] = await file.server.ds.query(`SELECT now() AS t0`);
    const confirmed = (await ok(representative.gql(CONFIRM, { id: meuse, v: before.version }))).confirmActorUpToDate;
    const [{ t1 }]: { t1: Date }[] = await file.server.ds.query(`SELECT now() AS t1`);
    expect(confirmed).toMatchObject({ isStale: false, version: before.version, updatedAt: before.updatedAt });
    const at = Date.parse(confirmed.verifiedAt);
    expect(at).toBeGreaterThanOrEqual(new Date(t0).getTime() - 1);
    expect(at).toBeLessThanOrEqual(new Date(t1).getTime() + 1);
  });

  it('should not let a visitor or a member confirm an actor it does not represent', async () => {
    const before = await stored(meuse);
    const { version } = await read(meuse);
    const visitor = await file.server.gql(CONFIRM, { id: meuse, v: version });
    expect(errorCodes(visitor)).toEqual(['UNAUTHENTICATED']);
    expect(visitor.data).toBeNull();
    const member = await stranger.gql(CONFIRM, { id: meuse, v: version });
    expect(errorCodes(member)).toEqual(['FORBIDDEN']);
    expect(member.errors![0].message).toMatch(/représentent cet acteur/);
    expect((await read(meuse, stranger)).viewerCanConfirm).toBe(false);
    // Many at once change nothing either.
    const many = await Promise.all(Array.from({ length: 8 }, () => stranger.gql(CONFIRM, { id: meuse, v: version })));
    expect(many.flatMap(errorCodes)).toEqual(Array(8).fill('FORBIDDEN'));
    expect(await stored(meuse)).toBe(before);
  });

  it('should let an analyst of its région confirm it, not an analyst of another région', async () => {
    await setVerified(meuse, 'NULL');
    const { version } = await read(meuse);
    expect((await read(meuse, file.analyst11)).viewerCanConfirm).toBe(false);
    expect(errorCodes(await file.analyst11.gql(CONFIRM, { id: meuse, v: version }))).toEqual(['FORBIDDEN']);
    expect(await stored(meuse)).toBeNull();
    expect((await read(meuse, file.analyst44)).viewerCanConfirm).toBe(true);
    expect((await ok(file.analyst44.gql(CONFIRM, { id: meuse, v: version }))).confirmActorUpToDate.isStale).toBe(false);
    expect(await stored(meuse)).not.toBeNull();
  });

  it('should refuse to confirm a version that changed since it was read (CONFLICT), and an unknown actor (NOT_FOUND)', async () => {
    await setVerified(meuse, 'NULL');
    const { version } = await read(meuse);
    const res = await representative.gql(CONFIRM, { id: meuse, v: version - 1 });
    expect(errorCodes(res)).toEqual(['CONFLICT']);
    expect(res.errors![0].extensions!.currentVersion).toBe(version);
    expect(await stored(meuse)).toBeNull();
    expect(errorCodes(await file.server.admin.gql(CONFIRM, { id: '00000000-0000-4000-8000-000000000000', v: 1 }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await file.server.admin.gql(CONFIRM, { id: 'pas-un-uuid', v: 1 }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('what does not move verifiedAt', () => {
  it('should not move verifiedAt on updateActor, nor accept it as an input field', async () => {
    await setVerified(meuse, `'2025-01-15T10:00:00Z'`);
    const before = await read(meuse);
    const updated = await ok(representative.gql(UPDATE, { id: meuse, v: before.version, input: { description: 'Permanence le jeudi' } }));
    expect(updated.updateActor.version).toBe(before.version + 1);
    const after = await read(meuse);
    expect(after.verifiedAt).toBe(before.verifiedAt);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    const sneaky = await file.server.admin.gql(UPDATE, { id: meuse, v: after.version, input: { description: 'x', verifiedAt: '2030-01-01T00:00:00Z' } });
    expect(errorCodes(sneaky)).toEqual(['BAD_USER_INPUT']);
    expect(await stored(meuse)).toBe('2025-01-15 10:00:00+00');
  });

  it('should not move verifiedAt on an import, even through a column named after it', async () => {
    const before = await read(meuse);
    const csv = [
      'identifiant;nom;type;secteur;thematiques;commune;description;verified_at;verifiedAt;date_verification',
      `${meuse};Fraîcheur Association de Verdun;association;santé;vaccination;55545;Importée;2030-01-01;2030-01-01;2030-01-01`,
      ';Fraîcheur Association importée;association;santé;vaccination;55029;Importée;2030-01-01;2030-01-01;2030-01-01',
    ].join('\n');
    const report = (await ok(file.server.admin.gql(IMPORT, { content: csv }))).importActors;
    expect(report).toMatchObject({ created: 1, updated: 1, committed: true, problems: [] });
    expect(report.ignoredColumns).toEqual(['verified_at', 'verifiedAt', 'date_verification']);
    const after = await read(meuse);
    expect(after.version).toBe(before.version + 1);
    expect(await stored(meuse)).toBe('2025-01-15 10:00:00+00');
    const [{ verified_at }]: { verified_at: Date | null }[] = await file.server.ds.query(
      `SELECT verified_at FROM actor WHERE name = 'Fraîcheur Association importée'`,
    );
    expect(verified_at).toBeNull();
  });

  it('should set verifiedAt when an analyst validates a pending actor', async () => {
    const created = await ok(
      stranger.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id version verifiedAt reviewStatus } }`, {
        input: {
          name: 'Fraîcheur Association en attente',
          kind: 'ASSOCIATION',
          sector: 'SANTE',
          themes: ['vaccination'],
          communeCode: '55545',
          source: SOURCE,
        },
      }),
    );
    const { id, version } = created.createActor;
    expect(created.createActor).toMatchObject({ verifiedAt: null, reviewStatus: 'PENDING_REVIEW' });
    await ok(file.analyst44.gql(`mutation ($id: ID!, $v: Int) { validateActor(id: $id, version: $v) { id } }`, { id, v: version }));
    const after = await read(id);
    expect(after).toMatchObject({ isStale: false, version });
    const [{ fresh }]: { fresh: boolean }[] = await file.server.ds.query(`SELECT verified_at > now() - interval '1 minute' AS fresh FROM actor WHERE id = $1`, [
      id,
    ]);
    expect(fresh).toBe(true);
  });
});

describe('staleness', () => {
  it('should mark stale a record confirmed more than 18 months ago, counting calendar months as PostgreSQL does', async () => {
    await setVerified(meuse, `now() - interval '18 months' + interval '1 minute'`);
    expect((await read(meuse)).isStale).toBe(false);
    await setVerified(meuse, `now() - interval '18 months' - interval '1 minute'`);
    expect((await read(meuse)).isStale).toBe(true);
    expect((await ok(file.server.gql(`{ vocabulary { freshnessMonths } }`))).vocabulary.freshnessMonths).toBe(18);
  });

  it('should follow the configured threshold (FRESHNESS_MONTHS), which the vocabulary gives the client', async () => {
    const app = await startApp({ freshnessMonths: 6 });
    try {
      const ask = async () => (await app.post({ query: FRESHNESS.replace('viewerCanConfirm', ''), variables: { id: meuse } })).body.data.actor.isStale;
      await setVerified(meuse, `now() - interval '7 months'`);
      expect(await ask()).toBe(true);
      expect((await read(meuse)).isStale).toBe(false);
      await setVerified(meuse, `now() - interval '5 months'`);
      expect(await ask()).toBe(false);
      expect((await app.post({ query: '{ vocabulary { freshnessMonths } }' })).body.data.vocabulary.freshnessMonths).toBe(6);
    } finally {
      await app.close();
    }
  });
});

describe('seeded actors', () => {
  it('should give real actors the date of their source document, and never move a confirmed date on a reload', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acteurs-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'acteurs.csv'),
        [
          'id;nom;type;secteur;territoire_niveau;territoire_code;thematiques;publics;source',
          'a;Fraîcheur Réseau meusien;association;santé;departement;55;vaccination;tout public;ARS-GE-2018',
          'b;Fraîcheur Collectif dionysien;association;santé;departement;93;vaccination;tout public;Schoene-2020',
          'c;Fraîcheur Partenaire parisien;association;santé;departement;75;vaccination;tout public;DGS-partenariats',
        ].join('\n'),
      );
      await seedPublicActors(file.server.ds, () => {}, dir);
      const dates = async () => {
        const rows = await file.server.ds.query<{ name: string; d: string | null }[]>(
          `SELECT name, verified_at::date::text AS d FROM actor WHERE name LIKE 'Fraîcheur %' AND source = 'documents-publics'`,
        );
        return Object.fromEntries(rows.map((r) => [r.name, r.d]));
      };
      expect(await dates()).toEqual({
        'Fraîcheur Réseau meusien': '2018-12-31',
        'Fraîcheur Collectif dionysien': '2020-07-03',
        'Fraîcheur Partenaire parisien': null,
      });
      // Confirmed since by someone responsible, and one row written before the column existed (NULL).
      await file.server.ds.query(`UPDATE actor SET verified_at = '2026-11-02T09:00:00Z' WHERE name = 'Fraîcheur Réseau meusien'`);
      await file.server.ds.query(`UPDATE actor SET verified_at = NULL WHERE name = 'Fraîcheur Collectif dionysien'`);
      const again = await seedPublicActors(file.server.ds, () => {}, dir);
      expect(again).toMatchObject({ created: 0, existing: 3 });
      expect(await dates()).toEqual({
        'Fraîcheur Réseau meusien': '2026-11-02',
        'Fraîcheur Collectif dionysien': '2020-07-03',
        'Fraîcheur Partenaire parisien': null,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should date the student services by their data file and the demonstration actors by a stated fictitious date', async () => {
    const students = await seedStudentServices(file.server.ds, () => {});
    expect(students.created).toBeGreaterThan(0);
    const rows: { d: string | null }[] = await file.server.ds.query(`SELECT verified_at::date::text AS d FROM actor WHERE source = $1`, [STUDENT_SOURCE]);
    expect(rows.map((r) => r.d)).toEqual(Array(students.created).fill(STUDENT_SOURCE_DATE));

    await seedDemoActors(file.server.ds, () => {}, { departements: ['55'] });
    const demo: { name: string; d: string }[] = await file.server.ds.query(
      `SELECT name, verified_at::date::text AS d FROM actor WHERE source = 'demo:repertoire'`,
    );
    expect(demo.length).toBeGreaterThan(5);
    for (const a of demo) expect(a.d, a.name).toBe(demoVerifiedAt(a.name));
    // Some fresh, some stale: the freshness figures have something to show.
    const stale = demo.filter((a) => a.d < '2025-06-01').length;
    expect(stale).toBeGreaterThan(0);
    expect(stale).toBeLessThan(demo.length);
  });
});
