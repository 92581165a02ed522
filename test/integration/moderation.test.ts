import 'reflect-metadata';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieClient, errorCodes, type TestAccount, type TestServer } from '../helpers/server.js';
import { moderationFile } from '../helpers/moderation-file.js';
import { TEST_PASSWORD } from '../helpers/factories.js';
import { countsBeforeAndAfterRebuild, DRIFT } from '../helpers/gap-drift.js';
import { BAR_LE_DUC, MEUSE, VERDUN } from '../helpers/places.js';

/**
 * Found by an attacker on a fresh clone: a self-registered account created an association covering
 * `PAYS:FR` and the national vaccination gaps went from 24,365 to 0. Actors written by accounts
 * that are neither administrators nor analysts of their région now wait for validation
 * (PENDING_REVIEW), searchable but counted in no gap figure, until an ARS analyst of a région they
 * cover or an administrator validates them (server/actors/actor-review.ts).
 */
const file = moderationFile('moderation');
const { SOURCE, DOMAIN } = file;
const THEME = 'vaccination';

let member: CookieClient;
let other: CookieClient;

const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version reviewStatus } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { version reviewStatus } }`;
const VALIDATE = `mutation ($id: ID!, $reason: String, $version: Int) { validateActor(id: $id, reason: $reason, version: $version) { reviewStatus version } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { rejectActor(id: $id, reason: $reason) { reviewStatus } }`;
const ACTOR = `query ($id: ID!) { actor(id: $id) { reviewStatus version reviewHistory { fromStatus toStatus reason byName at } } }`;
const IMPORT = `mutation ($content: String!) { importActors(content: $content, format: CSV, mode: ALL_OR_NOTHING) { created committed problems { row field reason } } }`;

/** The web-map tile holding a lon/lat point at zoom z. */
function tileOf(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

/**
 * Every gap figure the API gives for the theme, through every path: the national and Meuse gap
 * lists (maintained aggregates), a live count (kinds filter), nearest distances, the coverage
 * summaries, the theme matrix, the comparison, a vector tile, and the actors of the Meuse graph.
 * Any coverage counts by default (presence ANY), so that an actor of the whole country changes them.
 */
async function figures(presence: 'ANY' | 'LOCAL' = 'ANY') {
  const filter = { themes: [THEME], presence };
  const meuse = { ...filter, scope: MEUSE };
  const res = await file.server.gql(
    `query ($filter: GapFilterInput, $meuse: GapFilterInput, $live: GapFilterInput, $epci: GapFilterInput, $scopes: [TerritoryRefInput!]!, $graph: TerritoryRefInput!) {
      national: gaps(filter: $filter, first: 0) { totalCount gapPopulation }
      meuse: gaps(filter: $meuse, first: 5000, orderBy: NAME) { totalCount rows { territory { code } actorCount nearestActorKm } }
      live: gaps(filter: $live, first: 0) { totalCount }
      coverage(filter: $epci, withDistance: false) { summary { coveredPopulation coveredCommuneCount gapCount actorCount } }
      themeMatrix(filter: $epci) { rows { territory { code } counts } }
      compareCoverage(scopes: $scopes, filter: $filter) { scopes { summary { coveredPopulation gapCount actorCount } } }
      coalitionGraph(scope: $graph, themes: ["${THEME}"]) { nodes { id } }
    }`,
    {
      filter,
      meuse,
      live: { ...meuse, kinds: ['ASSOCIATION', 'CPTS', 'COLLECTIVITE'] },
      epci: { ...meuse, level: 'EPCI' },
      scopes: [MEUSE, { level: 'REGION', code: '44' }],
      graph: MEUSE,
    },
  );
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  const [x, y] = tileOf(5.3876, 49.1598, 8);
  const tile = await fetch(`${file.server.url}/tiles/coverage/8/${x}/${y}.mvt?zoom=8&filter=${encodeURIComponent(JSON.stringify(meuse))}`);
  expect(tile.status).toBe(200);
  const layer = new VectorTile(new PbfReader(new Uint8Array(await tile.arrayBuffer()))).layers.coverage;
  const tileCounts = Array.from({ length: layer?.length ?? 0 }, (_, i) => layer.feature(i).properties)
    .map((p) => `${p.code}:${p.actorCount}`)
    .sort();
  const { coalitionGraph, ...rest } = res.data;
  return { ...rest, tileCounts, graphActors: coalitionGraph.nodes.map((n: { id: string }) => n.id).sort() as string[] };
}

const isGap = (f: Awaited<ReturnType<typeof figures>>, code: string) => f.meuse.rows.some((r: { territory: { code: string } }) => r.territory.code === code);

/** Deletes a validated national actor: through one rebuild of the aggregates (its counts in every commune, row by row, are slow). */
async function removeNational(id: string) {
  await file.server.ds.transaction(async (m) => {
    await m.query(`SET LOCAL app.gap_aggregates_deferred = 'on'`);
    await m.query(`DELETE FROM actor WHERE id = $1`, [id]);
    await m.query(`SELECT gap_rebuild()`);
  });
}

async function history(client: { gql: TestServer['gql'] }, id: string) {
  const res = await client.gql(ACTOR, { id });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.actor;
}

beforeAll(async () => {
  const account = (who: string, more: Partial<TestAccount> = {}) => file.server.signedIn({ email: `${who}${DOMAIN}`, password: TEST_PASSWORD, ...more });
  await file.signInAnalysts();
  member = await account('membre', { displayName: 'Membre inscrit' });
  other = await account('autre');
});

afterAll(async () => {
  if (!file.server) return;
  const drift = await file.server.ds.query(DRIFT);
  await file.close();
  expect(drift).toEqual([]);
});

describe('a self-registered account writing the directory', () => {
  // Validating an actor of the whole country counts it in every commune: seconds on the embedded database.
  it(
    'should not erase the national gap analysis by creating an association covering PAYS:FR, until an administrator validates it',
    { timeout: 180_000 },
    async () => {
      const before = await figures();
      const beforeLocal = await figures('LOCAL');
      expect(before.national.totalCount).toBeGreaterThan(1000);
      expect(isGap(before, VERDUN)).toBe(true);

      // A freshly signed-up member, through the API with variables, as the attacker did.
      const fresh = file.server.client();
      const email = `attaquant${DOMAIN}`;
      expect(
        (
          await fresh.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
            input: { email, password: TEST_PASSWORD, displayName: 'Nouveau' },
          })
        ).errors,
      ).toBeUndefined();
      expect(
        (await fresh.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { id } }`, { e: email, p: TEST_PASSWORD })).errors,
      ).toBeUndefined();
      const created = await fresh.gql(CREATE, {
        input: {
          name: 'Modtest Association nationale',
          kind: 'ASSOCIATION',
          sector: 'SANTE',
          themes: [THEME],
          communeCode: VERDUN,
          territories: [{ level: 'PAYS', code: 'FR' }],
          source: SOURCE,
        },
      });
      expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
      const { id, reviewStatus } = created.data.createActor;
      expect(reviewStatus).toBe('PENDING_REVIEW');

      // Still searchable, with its status…
      const found = await file.server.gql(`query ($f: ActorFilter) { actors(filter: $f, first: 5) { edges { node { id reviewStatus } } } }`, {
        f: { coversCommune: VERDUN, text: 'Modtest Association nationale' },
      });
      expect(found.data.actors.edges).toEqual([{ node: { id, reviewStatus: 'PENDING_REVIEW' } }]);
      // …but counted in no figure, through any path.
      expect(await figures()).toEqual(before);

      // Validated by an administrator, it counts as before the fix (so this test can fail).
      const validated = await file.server.admin.gql(VALIDATE, { id, reason: 'Fédération connue' });
      expect(validated.errors, JSON.stringify(validated.errors)).toBeUndefined();
      expect(validated.data.validateActor.reviewStatus).toBe('VALIDATED');
      const after = await figures();
      expect(after.national.totalCount).toBe(0);
      expect(after.meuse.totalCount).toBe(0);
      expect(after.live.totalCount).toBe(0);
      expect(after.coverage.summary.actorCount).toBe(before.coverage.summary.actorCount + 1);
      expect(after.themeMatrix).not.toEqual(before.themeMatrix);
      expect(after.compareCoverage).not.toEqual(before.compareCoverage);
      expect(after.tileCounts).not.toEqual(before.tileCounts);
      expect(after.graphActors).toContain(id);
      // Local presence, the default, is what an ARS reads: a national body is present at its
      // address (Verdun) and erases no other gap.
      const afterLocal = await figures('LOCAL');
      expect(isGap(beforeLocal, VERDUN)).toBe(true);
      expect(isGap(afterLocal, VERDUN)).toBe(false);
      expect(afterLocal.national.totalCount).toBe(beforeLocal.national.totalCount - 1);
      expect(afterLocal.meuse.totalCount).toBe(beforeLocal.meuse.totalCount - 1);
      const notVerdun = (counts: string[]) => counts.filter((c) => !c.startsWith(`${VERDUN}:`));
      expect(notVerdun(afterLocal.tileCounts)).toEqual(notVerdun(beforeLocal.tileCounts));

      await removeNational(id);
      expect(await figures()).toEqual(before);
    },
  );

  it(
    'should send a member’s own commune actor back to PENDING_REVIEW, and out of the figures, when he widens it to PAYS:FR',
    { timeout: 120_000 },
    async () => {
      const before = await figures();
      expect(isGap(before, BAR_LE_DUC)).toBe(true);
      const created = await member.gql(CREATE, {
        input: { name: 'Modtest Association barisienne', kind: 'ASSOCIATION', sector: 'SANTE', themes: [THEME], communeCode: BAR_LE_DUC, source: SOURCE },
      });
      const { id, version, reviewStatus } = created.data.createActor;
      expect(reviewStatus).toBe('PENDING_REVIEW');
      expect(await figures()).toEqual(before);

      expect((await file.analyst44.gql(VALIDATE, { id, version })).data.validateActor).toEqual({ reviewStatus: 'VALIDATED', version });
      const validated = await figures();
      expect(isGap(validated, BAR_LE_DUC)).toBe(false);
      expect(validated.national.totalCount).toBe(before.national.totalCount - 1);

      // A change that keeps it in one commune keeps it validated.
      const edited = await member.gql(UPDATE, { id, v: version, input: { description: 'Permanences le mardi' } });
      expect(edited.data.updateActor).toEqual({ version: version + 1, reviewStatus: 'VALIDATED' });
      expect(await figures()).toEqual(validated);

      const widened = await member.gql(UPDATE, { id, v: version + 1, input: { territories: [{ level: 'PAYS', code: 'FR' }] } });
      expect(widened.errors, JSON.stringify(widened.errors)).toBeUndefined();
      expect(widened.data.updateActor.reviewStatus).toBe('PENDING_REVIEW');
      // Out of every figure: the national count and Bar-le-Duc as before it existed.
      expect(await figures()).toEqual(before);

      const seen = await history(member, id);
      expect(seen.reviewHistory.map((e: any) => [e.fromStatus, e.toStatus, e.byName])).toEqual([
        [null, 'PENDING_REVIEW', 'Membre inscrit'],
        ['PENDING_REVIEW', 'VALIDATED', 'Analyste Grand Est'],
        ['VALIDATED', 'PENDING_REVIEW', 'Membre inscrit'],
      ]);
      expect(seen.reviewHistory[2].reason).toMatch(/élargi/);
      // The history is for its representatives, analysts and administrators.
      expect((await history(file.analyst11, id)).reviewHistory).toHaveLength(3);
      expect((await history(file.server.admin, id)).reviewHistory).toHaveLength(3);
      expect(await history(file.server, id)).toMatchObject({ reviewStatus: 'PENDING_REVIEW', reviewHistory: null });
      expect((await history(other, id)).reviewHistory).toBeNull();
    },
  );

  it('should widen through a list of départements as well as through PAYS:FR', async () => {
    const before = await figures();
    const { id, version } = (
      await member.gql(CREATE, {
        input: { name: 'Modtest Association verdunoise', kind: 'ASSOCIATION', sector: 'SANTE', themes: [THEME], communeCode: VERDUN, source: SOURCE },
      })
    ).data.createActor;
    await file.server.admin.gql(VALIDATE, { id });
    const spread = await member.gql(UPDATE, {
      id,
      v: version,
      input: { territories: ['55', '75', '93', '974', '01', '2A'].map((code) => ({ level: 'DEPARTEMENT', code })) },
    });
    expect(spread.data.updateActor.reviewStatus).toBe('PENDING_REVIEW');
    expect(await figures()).toEqual(before);
  });
});

describe('analysts writing the directory', () => {
  it('should validate at once an analyst’s actor within one département of his région, and hold the others for review', async () => {
    const before = await figures();
    const create = async (client: CookieClient, name: string, extra: Record<string, unknown>) => {
      const res = await client.gql(CREATE, { input: { name, kind: 'ASSOCIATION', sector: 'SANTE', themes: [THEME], source: SOURCE, ...extra } });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      return res.data.createActor;
    };
    const regional = await create(file.analyst44, 'Modtest Réseau Grand Est', { territories: [{ level: 'REGION', code: '44' }] });
    const elsewhere = await create(file.analyst11, 'Modtest Association meusienne de Paris', { communeCode: VERDUN });
    expect(regional.reviewStatus).toBe('PENDING_REVIEW');
    expect(elsewhere.reviewStatus).toBe('PENDING_REVIEW');
    expect(await figures()).toEqual(before);

    const local = await create(file.analyst44, 'Modtest Association de Verdun', { communeCode: VERDUN });
    expect(local.reviewStatus).toBe('VALIDATED');
    const counted = await figures();
    expect(isGap(counted, VERDUN)).toBe(false);

    // Widened by the analyst himself: back to review, out of the figures.
    const widened = await file.analyst44.gql(UPDATE, { id: local.id, v: local.version, input: { territories: [{ level: 'PAYS', code: 'FR' }] } });
    expect(widened.data.updateActor.reviewStatus).toBe('PENDING_REVIEW');
    expect(await figures()).toEqual(before);
  });

  it('should apply the same rule to each row an analyst imports', async () => {
    const before = await figures();
    const csv = [
      'nom;type;secteur;commune;thematiques;territoires;source',
      `Modtest Import national;association;santé;${VERDUN};${THEME};pays:FR;${SOURCE}`,
      `Modtest Import Bar-le-Duc;association;santé;${BAR_LE_DUC};${THEME};commune:${BAR_LE_DUC};${SOURCE}`,
    ].join('\n');
    const res = await file.analyst44.gql(IMPORT, { content: csv });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.importActors).toMatchObject({ created: 2, committed: true, problems: [] });
    const statuses = await file.server.ds.query(`SELECT name, review_status FROM actor WHERE source = $1 AND name LIKE 'Modtest Import%' ORDER BY name`, [
      SOURCE,
    ]);
    expect(statuses).toEqual([
      { name: 'Modtest Import Bar-le-Duc', review_status: 'VALIDATED' },
      { name: 'Modtest Import national', review_status: 'PENDING_REVIEW' },
    ]);
    const after = await figures();
    expect(isGap(after, BAR_LE_DUC)).toBe(false);
    expect(after.national.totalCount).toBe(before.national.totalCount - 1);
    // The same file by an analyst of another région: both rows pending.
    const again = await file.analyst11.gql(IMPORT, { content: csv.replaceAll('Modtest Import', 'Modtest Réimport') });
    expect(again.data.importActors).toMatchObject({ created: 2, committed: true });
    expect(await figures()).toEqual(after);
  });
});

describe('validating and rejecting', () => {
  let id: string;
  beforeAll(async () => {
    id = (
      await member.gql(CREATE, {
        input: { name: 'Modtest Association à examiner', kind: 'ASSOCIATION', sector: 'SANTE', themes: [THEME], communeCode: VERDUN, source: SOURCE },
      })
    ).data.createActor.id;
  });

  it('should refuse the decision to visitors, members and analysts of a région the actor does not cover', async () => {
    const before = await history(file.server.admin, id);
    expect(errorCodes(await file.server.gql(VALIDATE, { id }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await member.gql(VALIDATE, { id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await other.gql(REJECT, { id, reason: 'Non' }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await file.analyst11.gql(VALIDATE, { id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await file.analyst11.gql(REJECT, { id, reason: 'Non' }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await file.analyst44.gql(VALIDATE, { id: "1' OR '1'='1" }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await file.analyst44.gql(VALIDATE, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await file.analyst44.gql(REJECT, { id, reason: '   ' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await file.analyst44.gql(VALIDATE, { id, version: before.version - 1 }))).toEqual(['CONFLICT']);
    expect(await history(file.server.admin, id)).toEqual(before);
  });

  it('should give one decision and one CONFLICT to two simultaneous decisions', async () => {
    const results = await Promise.all([
      file.analyst44.gql(REJECT, { id, reason: 'Doublon d’une association existante' }),
      file.server.admin.gql(VALIDATE, { id }),
    ]);
    const codes = results.map((r) => errorCodes(r)[0] ?? 'OK').sort();
    expect(codes).toEqual(['CONFLICT', 'OK']);
    const h = await history(file.server.admin, id);
    expect(h.reviewHistory).toHaveLength(2);
    expect(['VALIDATED', 'REJECTED']).toContain(h.reviewStatus);
    // A decided actor is not decided again.
    expect(errorCodes(await file.server.admin.gql(VALIDATE, { id }))).toEqual(['CONFLICT']);
    expect(errorCodes(await file.server.admin.gql(REJECT, { id, reason: 'Encore' }))).toEqual(['CONFLICT']);
  });

  it('should keep a rejected actor searchable and out of the figures, until its representative changes it and it waits again', async () => {
    const fresh = (
      await member.gql(CREATE, {
        input: { name: 'Modtest Association refusée', kind: 'ASSOCIATION', sector: 'SANTE', themes: [THEME], communeCode: BAR_LE_DUC, source: SOURCE },
      })
    ).data.createActor;
    const before = await figures();
    const rejected = await file.analyst44.gql(REJECT, { id: fresh.id, reason: 'Aucune activité de vaccination' });
    expect(rejected.data.rejectActor.reviewStatus).toBe('REJECTED');
    expect(await figures()).toEqual(before);
    const found = await file.server.gql(`query ($f: ActorFilter) { actors(filter: $f, first: 5) { edges { node { id reviewStatus } } } }`, {
      f: { coversCommune: BAR_LE_DUC, reviewStatuses: ['REJECTED'] },
    });
    expect(found.data.actors.edges).toContainEqual({ node: { id: fresh.id, reviewStatus: 'REJECTED' } });
    const resubmitted = await member.gql(UPDATE, { id: fresh.id, v: fresh.version, input: { themes: ['vaccination', 'sante-des-jeunes'] } });
    expect(resubmitted.data.updateActor.reviewStatus).toBe('PENDING_REVIEW');
    expect(await figures()).toEqual(before);
  });
});

describe('the aggregates', () => {
  it('should equal a full rebuild after every status change', async () => {
    expect(await file.server.ds.query(DRIFT)).toEqual([]);
    const { maintained, rebuilt } = await countsBeforeAndAfterRebuild(file.server.ds);
    expect(rebuilt).toBe(maintained);
  });
});
