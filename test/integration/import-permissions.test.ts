import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../helpers/factories.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Found by an attacker on a fresh clone: an ARS analyst of Île-de-France (région 11) could not
 * change a Meuse actor (région 44) with updateActor (FORBIDDEN), but an import row designating it
 * by its identifiant, SIRET, RNA, FINESS, or name in the same commune rewrote it. An import now
 * changes only what its author could change one by one (ActorPermissions.canEdit); other matched
 * rows are rejected with their reason, and nothing else changes.
 */
const SOURCE = 'test:import-permissions.test.ts';

const MEUSE = {
  name: 'Permimport Association meusienne',
  siret: '81234567600017',
  rna: 'W553000001',
  finess: '550009997',
  communeCode: '55545',
};

let server: TestServer;
let analyst11: CookieClient;
let analyst44: CookieClient;
const { actor: ids, createActors, createUser } = fixtures(() => server, { source: SOURCE, domain: '@test-import-permissions.local' });

const IMPORT = `mutation ($content: String!, $mode: ImportMode, $dryRun: Boolean) {
  importActors(content: $content, format: CSV, mode: $mode, dryRun: $dryRun) {
    total created updated unchanged rejected committed message problems { row field reason }
  }
}`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { version description } }`;
const ARCHIVE = `mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { status } }`;
const CAN_EDIT = `query ($id: ID!) { actor(id: $id) { viewerCanEdit } }`;

/** Everything stored about an actor: its row, declared territories, coverage and review history. */
async function snapshot(id: string) {
  const [row] = await server.ds.query(`SELECT to_jsonb(a) AS row FROM actor a WHERE a.id = $1`, [id]);
  const territories = await server.ds.query(`SELECT level, code FROM actor_territory WHERE actor_id = $1 ORDER BY level, code`, [id]);
  const [coverage] = await server.ds.query(
    `SELECT (SELECT count(*)::int FROM coverage_commune WHERE actor_id = $1) AS communes,
            (SELECT string_agg(level || ':' || code, ',' ORDER BY level, code) FROM coverage_area WHERE actor_id = $1) AS areas,
            (SELECT count(*)::int FROM actor_review_event WHERE actor_id = $1) AS events`,
    [id],
  );
  return { row: row.row, territories, coverage };
}

const version = async (id: string) => (await server.ds.query(`SELECT version FROM actor WHERE id = $1`, [id]))[0].version as number;
const countMine = async () => (await server.ds.query(`SELECT count(*)::int AS n FROM actor WHERE source = $1`, [SOURCE]))[0].n as number;

beforeAll(async () => {
  server = await startTestServer();
  const local = { kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['parentalite'], description: 'Original' };
  const network = { kind: 'ASSOCIATION', sector: 'SANTE', themes: ['vaccination'] };
  await createActors({
    meuse: { ...MEUSE, ...local, territories: [{ level: 'COMMUNE', code: '55545' }] },
    paris: { ...local, name: 'Permimport Association parisienne', communeCode: '75056' },
    grandEst: { ...network, name: 'Permimport Réseau Grand Est', territories: [{ level: 'REGION', code: '44' }] },
    national: { ...network, name: 'Permimport Fédération nationale', territories: [{ level: 'PAYS', code: 'FR' }] },
    twoRegions: {
      ...network,
      name: 'Permimport Réseau Meuse et Paris',
      territories: [
        { level: 'DEPARTEMENT', code: '55' },
        { level: 'COMMUNE', code: '75056' },
      ],
    },
  });
  analyst11 = await createUser('analyste11', 'ANALYST', [], '11');
  analyst44 = await createUser('analyste44', 'ANALYST', [], '44');
});

afterAll(() => server?.close());

const COLUMNS = ['identifiant', 'siret', 'rna', 'finess', 'nom', 'commune', 'type', 'secteur', 'description', 'thematiques', 'territoires', 'source'];
const csvOf = (rows: Record<string, string>[]) => [COLUMNS.join(';'), ...rows.map((r) => COLUMNS.map((c) => r[c] ?? '').join(';'))].join('\n');

/** How a row designates the Meuse actor (only that cell filled), with the column the report must name. */
const DESIGNATIONS: [string, string, () => Record<string, string>][] = [
  ['identifiant', 'identifiant', () => ({ identifiant: ids.meuse, nom: 'Permimport réécrit' })],
  ['SIRET', 'siret', () => ({ siret: MEUSE.siret, nom: 'Permimport réécrit' })],
  ['RNA', 'rna', () => ({ rna: MEUSE.rna, nom: 'Permimport réécrit' })],
  ['FINESS', 'finess', () => ({ finess: MEUSE.finess, nom: 'Permimport réécrit' })],
  ['name and commune', 'nom', () => ({ nom: MEUSE.name, commune: MEUSE.communeCode })],
];

describe('importing as an analyst of another région', () => {
  for (const [how, field, designate] of DESIGNATIONS) {
    for (const mode of ['ALL_OR_NOTHING', 'VALID_ONLY'] as const) {
      for (const dryRun of [false, true]) {
        it(`should not change a Meuse actor designated by its ${how} (${mode}${dryRun ? ', dry run' : ''}), and report the row as rejected`, async () => {
          const before = await snapshot(ids.meuse);
          const paris = await snapshot(ids.paris);
          const mine = await countMine();
          const tag = `${field}-${mode}-${dryRun}`;
          // Row 2 rewrites the Meuse actor (description, themes, territory); row 3 changes the
          // analyst's own Paris actor; row 4 creates an actor in Paris.
          const csv = csvOf([
            {
              ...designate(),
              type: 'association',
              secteur: 'social',
              description: `Écrasé ${tag}`,
              thematiques: 'vaccination',
              territoires: 'pays:FR',
              source: SOURCE,
            },
            {
              identifiant: ids.paris,
              nom: 'Permimport Association parisienne',
              commune: '75056',
              type: 'association',
              secteur: 'social',
              description: `Modifié ${tag}`,
              thematiques: 'parentalite',
              territoires: 'commune:75056',
              source: SOURCE,
            },
            {
              nom: `Permimport créé ${tag}`,
              commune: '75056',
              type: 'association',
              secteur: 'social',
              description: 'Nouveau',
              thematiques: 'parentalite',
              territoires: 'commune:75056',
              source: SOURCE,
            },
          ]);
          const res = await analyst11.gql(IMPORT, { content: csv, mode, dryRun });
          expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
          const report = res.data.importActors;
          expect(report.problems).toEqual([{ row: 2, field, reason: expect.stringMatching(/Permimport Association meusienne.*ne peut pas modifier/) }]);
          expect(report).toMatchObject({ total: 3, rejected: 1, created: 1, updated: 1 });
          const written = mode === 'VALID_ONLY' && !dryRun;
          expect(report.committed).toBe(written);

          // The Meuse actor: same version, columns, territories, coverage and history.
          expect(await snapshot(ids.meuse)).toEqual(before);
          if (written) {
            expect((await snapshot(ids.paris)).row.description).toBe(`Modifié ${tag}`);
            expect(await countMine()).toBe(mine + 1);
          } else {
            expect(await snapshot(ids.paris)).toEqual(paris);
            expect(await countMine()).toBe(mine);
          }
        });
      }
    }
  }

  it('should let the analyst of the Meuse actor’s région change it by import, so the refusal is the région’s', async () => {
    const v = await version(ids.meuse);
    const csv = `siret;nom;description\n${MEUSE.siret};${MEUSE.name};Revu par l’ARS Grand Est\n`;
    const res = await analyst44.gql(IMPORT, { content: csv, mode: 'ALL_OR_NOTHING', dryRun: false });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.importActors).toMatchObject({ updated: 1, rejected: 0, committed: true, problems: [] });
    const after = await snapshot(ids.meuse);
    expect(after.row.description).toBe('Revu par l’ARS Grand Est');
    expect(after.row.version).toBe(v + 1);
  });

  it('should reject rows designating a national actor or one spanning two régions, even for an analyst of a région they cover', async () => {
    for (const [id, client] of [
      [ids.national, analyst44],
      [ids.national, analyst11],
      [ids.twoRegions, analyst44],
      [ids.twoRegions, analyst11],
    ] as const) {
      const before = await snapshot(id);
      const res = await client.gql(IMPORT, { content: `identifiant;nom;description\n${id};Permimport réécrit;Réécrit\n`, mode: 'VALID_ONLY', dryRun: false });
      expect(res.data.importActors).toMatchObject({ rejected: 1, updated: 0, problems: [{ row: 2, field: 'identifiant' }] });
      expect(await snapshot(id)).toEqual(before);
    }
  });
});

describe('one by one, the same rule', () => {
  it('should refuse updateActor and archiveActor to an analyst of another région, and allow them to the analyst of the actor’s région', async () => {
    const before = await snapshot(ids.meuse);
    const v = await version(ids.meuse);
    expect(errorCodes(await analyst11.gql(UPDATE, { id: ids.meuse, v, input: { description: 'Écrasé' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await analyst11.gql(ARCHIVE, { id: ids.meuse, v }))).toEqual(['FORBIDDEN']);
    // A stale version does not reveal anything either: the permission comes first.
    expect(errorCodes(await analyst11.gql(UPDATE, { id: ids.meuse, v: v - 1, input: { description: 'Écrasé' } }))).toEqual(['FORBIDDEN']);
    expect(await snapshot(ids.meuse)).toEqual(before);
    expect((await analyst11.gql(CAN_EDIT, { id: ids.meuse })).data.actor.viewerCanEdit).toBe(false);
    expect((await analyst44.gql(CAN_EDIT, { id: ids.meuse })).data.actor.viewerCanEdit).toBe(true);
    expect((await analyst11.gql(CAN_EDIT, { id: ids.paris })).data.actor.viewerCanEdit).toBe(true);

    const ok = await analyst44.gql(UPDATE, { id: ids.meuse, v, input: { description: 'Revu une fois' } });
    expect(ok.errors, JSON.stringify(ok.errors)).toBeUndefined();
    expect(ok.data.updateActor).toEqual({ version: v + 1, description: 'Revu une fois' });
  });

  it('should let an analyst edit an actor declaring his whole région, never a national one or one reaching another région', async () => {
    const grandEst = await version(ids.grandEst);
    expect((await analyst44.gql(UPDATE, { id: ids.grandEst, v: grandEst, input: { description: 'Revu' } })).errors).toBeUndefined();
    expect(errorCodes(await analyst11.gql(UPDATE, { id: ids.grandEst, v: grandEst + 1, input: { description: 'Écrasé' } }))).toEqual(['FORBIDDEN']);
    for (const id of [ids.national, ids.twoRegions]) {
      const before = await snapshot(id);
      for (const client of [analyst44, analyst11]) {
        expect(errorCodes(await client.gql(UPDATE, { id, v: before.row.version, input: { description: 'Écrasé' } }))).toEqual(['FORBIDDEN']);
        expect((await client.gql(CAN_EDIT, { id })).data.actor.viewerCanEdit).toBe(false);
      }
      expect(await snapshot(id)).toEqual(before);
    }
    expect((await server.admin.gql(CAN_EDIT, { id: ids.national })).data.actor.viewerCanEdit).toBe(true);
  });

  it('should answer many simultaneous forbidden imports the same way, and change nothing', async () => {
    const before = await snapshot(ids.meuse);
    const csv = `identifiant;nom;description\n${ids.meuse};Permimport réécrit;Écrasé en rafale\n`;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => analyst11.gql(IMPORT, { content: csv, mode: i % 2 ? 'VALID_ONLY' : 'ALL_OR_NOTHING', dryRun: false })),
    );
    for (const r of results) expect(r.data.importActors).toMatchObject({ rejected: 1, updated: 0, problems: [{ row: 2, field: 'identifiant' }] });
    expect(await snapshot(ids.meuse)).toEqual(before);
  });
});
