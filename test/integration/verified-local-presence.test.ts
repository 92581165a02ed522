import 'reflect-metadata';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifiedLocalPresence1764000000020 } from '../../migrations/1764000000020-verified-local-presence.js';
import { applyFreshnessPolicy, FreshnessPolicy } from '../../server/actors/actor-freshness.js';
import { countsBeforeAndAfterRebuild, DRIFT } from '../helpers/gap-drift.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';
import { presenceTruth } from '../helpers/presence-truth.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { BAR_LE_DUC, MEUSE, REVIGNY_EPCI, VERDUN } from '../helpers/places.js';

/**
 * Verified local presence (migration 1764000000020): the figures split the local actors of a
 * territory into those whose record was confirmed within FRESHNESS_MONTHS (18) and the stale ones.
 * Every figure is checked against a recomputation from the definition (test/helpers/presence-truth.ts:
 * declared territories, boundaries and `verified_at`, never the stored flags or coverage).
 *
 * Fixtures in Meuse for logement-habitat (no other actor of it in the test database):
 * - EPCI: the communauté de communes of Revigny, confirmed by an administrator today: verified;
 * - NEAR: 30 km around Verdun, never confirmed: stale;
 * - OLD: the commune of Verdun, confirmed 20 months ago: stale;
 * - RECENT: the commune of Bar-le-Duc, confirmed 2 months ago: verified under 18 months, stale under 1;
 * - REGIONAL: the région, confirmed today: verified but wide, so in no verified local figure.
 */
const THEME = 'logement-habitat';

let server: TestServer;
const ids: Record<string, string> = {};

const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version } }`;
const CONFIRM = `mutation ($id: ID!, $v: Int!) { confirmActorUpToDate(id: $id, version: $v) { id verifiedAt } }`;
const COVERAGE = `query ($filter: GapFilterInput) {
  coverage(filter: $filter) {
    features
    summary { localActorCount verifiedLocalActorCount staleOnlyCommuneCount staleOnlyPopulation }
  }
}`;

type Props = Record<string, unknown>;

async function create(key: string, input: Record<string, unknown>) {
  const res = await server.admin.gql(CREATE, { input: { sector: 'SOCIAL', kind: 'ASSOCIATION', source: 'test:verified-presence', themes: [THEME], ...input } });
  expect(res.errors).toBeUndefined();
  ids[key] = res.data.createActor.id;
  return res.data.createActor as { id: string; version: number };
}

async function coverage(filter: object): Promise<{ features: Map<string, Props>; summary: Props }> {
  const res = await server.gql(COVERAGE, { filter });
  expect(res.errors).toBeUndefined();
  const { features, summary } = res.data.coverage;
  return { features: new Map(features.features.map((f: { id: string; properties: Props }) => [f.id, f.properties])), summary };
}

/** Every Meuse commune's verified local count as the definition gives it, and the app's. */
async function compareWithDefinition(freshMonths = 18) {
  const expected = await presenceTruth(server.ds, { departement: '55', themes: [THEME], freshMonths });
  const got = await coverage({ scope: MEUSE, themes: [THEME] });
  expect(got.features.size).toBe(expected.size);
  for (const [code, t] of expected) {
    const p = got.features.get(code)!;
    expect({ code, local: p.localActorCount, verified: p.verifiedLocalActorCount }).toEqual({ code, local: t.local, verified: t.verified });
  }
  const staleOnly = [...expected].filter(([, t]) => t.local > 0 && t.verified === 0).map(([code]) => code);
  const [{ pop }] = await server.ds.query(`SELECT coalesce(sum(population), 0)::int AS pop FROM territory WHERE level = 'COMMUNE' AND code = ANY($1)`, [
    staleOnly,
  ]);
  expect(got.summary).toMatchObject({ staleOnlyCommuneCount: staleOnly.length, staleOnlyPopulation: pop });
  return { expected, got };
}

beforeAll(async () => {
  server = await startTestServer();
  const epci = await create('EPCI', { name: 'Test fiche confirmée EPCI', kind: 'CLSM', territories: [{ level: 'EPCI', code: REVIGNY_EPCI }] });
  await create('NEAR', { name: 'Test fiche jamais confirmée', lon: 5.3844, lat: 49.1598, radiusKm: 30 });
  await create('OLD', { name: 'Test fiche ancienne', territories: [{ level: 'COMMUNE', code: VERDUN }] });
  await create('RECENT', { name: 'Test fiche récente', territories: [{ level: 'COMMUNE', code: BAR_LE_DUC }] });
  const regional = await create('REGIONAL', { name: 'Test fiche régionale confirmée', territories: [{ level: 'REGION', code: '44' }] });
  for (const a of [epci, regional]) expect((await server.admin.gql(CONFIRM, { id: a.id, v: a.version })).errors).toBeUndefined();
  // Dates in the past, as a seed or an old confirmation leaves them: the database marks them itself.
  await server.ds.query(`UPDATE actor SET verified_at = now() - interval '20 months' WHERE id = $1`, [ids.OLD]);
  await server.ds.query(`UPDATE actor SET verified_at = now() - interval '2 months' WHERE id = $1`, [ids.RECENT]);
});

afterAll(async () => {
  if (!server) return;
  await applyFreshnessPolicy(server.ds, new FreshnessPolicy(18));
  await server.close();
});

describe('verified local presence', () => {
  it('splits every Meuse commune’s local actors into recently verified and stale, as the definition does', async () => {
    const { got } = await compareWithDefinition();
    expect(got.features.get(VERDUN)).toMatchObject({ presence: 'LOCAL', localActorCount: 2, verifiedLocalActorCount: 0 });
    expect(got.features.get(BAR_LE_DUC)).toMatchObject({ presence: 'LOCAL', verifiedLocalActorCount: 1 });
    // Local actors: EPCI, NEAR, OLD, RECENT; of them verified: EPCI and RECENT. The région is wide.
    expect(got.summary).toMatchObject({ localActorCount: 4, verifiedLocalActorCount: 2 });
    expect(got.summary.staleOnlyCommuneCount).toBeGreaterThan(10);
  });

  it('gives each territory its map class: verified or stale local presence, wide-scope only, or nobody', async () => {
    const expected = await presenceTruth(server.ds, { departement: '55', themes: [THEME] });
    // Every commune a « gap » (threshold 1,000 actors), so that the list gives them all.
    const res = await server.gql(`query ($filter: GapFilterInput) { gaps(filter: $filter, first: 1000) { rows { territory { code } mapClass } } }`, {
      filter: { scope: MEUSE, themes: [THEME], minActors: 1000 },
    });
    expect(res.errors).toBeUndefined();
    const classes = new Map<string, string>(res.data.gaps.rows.map((r: { territory: { code: string }; mapClass: string }) => [r.territory.code, r.mapClass]));
    expect(classes.size).toBe(expected.size);
    for (const [code, t] of expected) {
      const want = t.local > 0 ? (t.verified > 0 ? 'LOCAL_VERIFIED' : 'LOCAL_STALE') : t.any > 0 ? 'WIDE_ONLY' : 'NONE';
      expect([code, classes.get(code)]).toEqual([code, want]);
    }
    // The regional fixture covers every Meuse commune: no « NONE » here.
    expect(new Set(classes.values())).toEqual(new Set(['LOCAL_VERIFIED', 'LOCAL_STALE', 'WIDE_ONLY']));
  });

  it('gives the same split for EPCI and on the live path (kinds filter) as from the maintained aggregates', async () => {
    const fast = await coverage({ scope: MEUSE, level: 'EPCI', themes: [THEME] });
    const live = await coverage({ scope: MEUSE, level: 'EPCI', themes: [THEME], kinds: ['ASSOCIATION', 'CLSM'] });
    expect([...live.features]).toEqual([...fast.features]);
    expect(live.summary).toEqual(fast.summary);
    expect(fast.features.get(REVIGNY_EPCI)).toMatchObject({ verifiedLocalActorCount: 1 });
  });

  it('serves the verified count in the map tiles as in the coverage query', async () => {
    const filter = { scope: MEUSE, level: 'COMMUNE', themes: [THEME] };
    const map = (await coverage(filter)).features;
    const z = 9;
    const tile = [];
    // The tiles holding Verdun and Bar-le-Duc.
    for (const { lon, lat } of [
      { lon: 5.3844, lat: 49.1598 },
      { lon: 5.1614, lat: 48.7725 },
    ]) {
      const r = (lat * Math.PI) / 180;
      const x = Math.floor(((lon + 180) / 360) * 2 ** z);
      const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
      const res = await fetch(`${server.url}/tiles/coverage/${z}/${x}/${y}.mvt?zoom=${z}&filter=${encodeURIComponent(JSON.stringify(filter))}`);
      expect(res.status).toBe(200);
      const layer = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer()))).layers.coverage;
      tile.push(...Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties));
    }
    expect(tile.map((p) => p.code)).toEqual(expect.arrayContaining([VERDUN, BAR_LE_DUC]));
    for (const p of tile) expect([p.code, p.verifiedLocalActorCount]).toEqual([p.code, map.get(String(p.code))!.verifiedLocalActorCount]);
  });

  it('moves a record to stale when the policy shortens (as the clock does), and back, keeping the aggregates exact', async () => {
    // One month: the record confirmed two months ago is now stale; the sweep flips exactly it.
    expect(await applyFreshnessPolicy(server.ds, new FreshnessPolicy(1))).toBe(1);
    expect(await server.ds.query(DRIFT)).toEqual([]);
    const { got } = await compareWithDefinition(1);
    expect(got.features.get(BAR_LE_DUC)).toMatchObject({ verifiedLocalActorCount: 0 });
    expect(await applyFreshnessPolicy(server.ds, new FreshnessPolicy(1))).toBe(0);
    expect(await applyFreshnessPolicy(server.ds, new FreshnessPolicy(18))).toBe(1);
    expect(await server.ds.query(DRIFT)).toEqual([]);
    const { maintained, rebuilt } = await countsBeforeAndAfterRebuild(server.ds);
    expect(maintained).toBe(rebuilt);
  });

  it('should not write the directory when no record is due to change state (the data version, and so the tile cache, stay)', async () => {
    await applyFreshnessPolicy(server.ds, new FreshnessPolicy(18));
    const version = async () => (await server.ds.query<{ v: string }[]>(`SELECT version::text AS v FROM data_version`))[0].v;
    const before = await version();
    expect(await applyFreshnessPolicy(server.ds, new FreshnessPolicy(18))).toBe(0);
    expect(await version()).toBe(before);
    // A record that is due still moves, and is a write.
    expect(await applyFreshnessPolicy(server.ds, new FreshnessPolicy(1))).toBe(1);
    expect(await version()).not.toBe(before);
    expect(await applyFreshnessPolicy(server.ds, new FreshnessPolicy(18))).toBe(1);
  });

  it('makes a stale record verified when a responsible person confirms it, and the figures follow', async () => {
    const [{ version }] = await server.ds.query(`SELECT version FROM actor WHERE id = $1`, [ids.OLD]);
    const res = await server.admin.gql(CONFIRM, { id: ids.OLD, v: version });
    expect(res.errors).toBeUndefined();
    expect(await server.ds.query(DRIFT)).toEqual([]);
    const { got } = await compareWithDefinition();
    expect(got.features.get(VERDUN)).toMatchObject({ verifiedLocalActorCount: 1 });
    await server.ds.query(`UPDATE actor SET verified_at = now() - interval '20 months' WHERE id = $1`, [ids.OLD]);
  });

  it('should not let an account that does not represent an actor make its record verified, nor an update carry a date', async () => {
    const [{ version }] = await server.ds.query(`SELECT version FROM actor WHERE id = $1`, [ids.NEAR]);
    const before = await coverage({ scope: MEUSE, themes: [THEME] });
    const stranger = await server.signedIn({ email: 'autre@verified-presence.test', password: 'mot-de-passe-assez-long-2026' });
    const confirm = await stranger.gql(CONFIRM, { id: ids.NEAR, v: version });
    expect(errorCodes(confirm)).toEqual(['FORBIDDEN']);
    const update = await server.admin.gql(
      `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { version } }`,
      { id: ids.NEAR, v: version, input: { verifiedAt: new Date().toISOString() } },
    );
    expect(errorCodes(update)).toEqual(['BAD_USER_INPUT']);
    const [{ verified_at, verified_recently }] = await server.ds.query(`SELECT verified_at, verified_recently FROM actor WHERE id = $1`, [ids.NEAR]);
    expect({ verified_at, verified_recently }).toEqual({ verified_at: null, verified_recently: false });
    expect(await coverage({ scope: MEUSE, themes: [THEME] })).toEqual(before);
  });

  it('classifies the records written before it, in its migration, exactly as the app does', async () => {
    await inRolledBackTransaction(server.ds, async (qr) => {
      const snapshot = async () => ({
        flags: await qr.query(`SELECT id, verified_recently FROM actor ORDER BY id`),
        counts: await qr.query(`SELECT theme, level, code, actor_count FROM coverage_theme_count WHERE actor_count <> 0 ORDER BY 1, 2, 3`),
      });
      const current = await snapshot();
      expect(current.flags.filter((f: { verified_recently: boolean }) => f.verified_recently).length).toBeGreaterThanOrEqual(3);
      const migration = new VerifiedLocalPresence1764000000020();
      await migration.down(qr);
      await migration.up(qr);
      expect(await snapshot()).toEqual(current);
      expect(await qr.query(DRIFT)).toEqual([]);
    });
  });
});
