import 'reflect-metadata';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPresence1764000000018 } from '../../migrations/1764000000018-local-presence.js';
import { VerifiedLocalPresence1764000000020 } from '../../migrations/1764000000020-verified-local-presence.js';
import { ActorKind, STEERING_KINDS } from '../../server/actors/actor-enums.js';
import { DRIFT } from '../helpers/gap-drift.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';
import { presenceClass, presenceTruth } from '../helpers/presence-truth.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';
import { BAR_LE_DUC, MEUSE, REVIGNY_EPCI, VERDUN } from '../helpers/places.js';

/**
 * Local presence (migration 1764000000018): an actor counts as present in a commune when its
 * territory there is a commune, arrondissement, EPCI, EPT, département or a radius of at most
 * 50 km, or when its address is there; a région or the whole country is wide-scope coverage.
 * Every figure is checked against a recomputation from the definition (test/helpers/presence-truth.ts),
 * over the declared territories and the boundaries (not over the stored coverage).
 *
 * Fixtures in Meuse for logement-habitat (no other actor of it in the test database):
 * - NATIONAL: the whole country, no address: wide everywhere;
 * - REGIONAL: région Grand Est, address in Bar-le-Duc: local in Bar-le-Duc only;
 * - NEAR: 30 km around Verdun: local in the communes it reaches;
 * - FAR: 80 km around Verdun, no address: wide in the communes it reaches;
 * - EPCI: the communauté de communes of Revigny: local in its 16 communes.
 */
const THEME = 'logement-habitat';
const VERDUN_LON_LAT = { lon: 5.3844, lat: 49.1598 };

let server: TestServer;
const ids: Record<string, string> = {};

const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version } }`;
const COVERAGE = `query ($filter: GapFilterInput) {
  coverage(filter: $filter) {
    features
    summary { actorCount localActorCount wideActorCount wideOnlyCommuneCount wideOnlyPopulation coveredCommuneCount communeCount gapCount }
  }
}`;
const GAPS = `query ($filter: GapFilterInput) { gaps(filter: $filter, first: 5000) { totalCount rows { territory { code } actorCount localActorCount wideActorCount presence } } }`;

const truth = (level: 'COMMUNE' | 'EPCI') => presenceTruth(server.ds, { departement: '55', themes: [THEME], level });
const classOf = presenceClass;

async function create(key: string, input: Record<string, unknown>) {
  const res = await server.admin.gql(CREATE, { input: { sector: 'SOCIAL', kind: 'ASSOCIATION', source: 'test:local-presence', themes: [THEME], ...input } });
  expect(res.errors).toBeUndefined();
  ids[key] = res.data.createActor.id;
  return res.data.createActor as { id: string; version: number };
}

async function features(filter: object): Promise<Map<string, Record<string, unknown>>> {
  const res = await server.gql(COVERAGE, { filter });
  expect(res.errors).toBeUndefined();
  return new Map(res.data.coverage.features.features.map((f: { id: string; properties: Record<string, unknown> }) => [f.id, f.properties]));
}

beforeAll(async () => {
  server = await startTestServer();
  await create('NATIONAL', { name: 'Test présence nationale', territories: [{ level: 'PAYS', code: 'FR' }] });
  await create('REGIONAL', { name: 'Test présence régionale', territories: [{ level: 'REGION', code: '44' }], communeCode: BAR_LE_DUC });
  await create('NEAR', { name: 'Test présence 30 km', ...VERDUN_LON_LAT, radiusKm: 30 });
  await create('FAR', { name: 'Test présence 80 km', ...VERDUN_LON_LAT, radiusKm: 80 });
  await create('EPCI', { name: 'Test présence EPCI', kind: 'CLSM', territories: [{ level: 'EPCI', code: REVIGNY_EPCI }] });
});

afterAll(() => server?.close());

describe('local presence', () => {
  it('classes every Meuse commune as the definition does: local presence, wide-scope only, or nobody', async () => {
    const expected = await truth('COMMUNE');
    const got = await features({ scope: MEUSE, themes: [THEME] });
    expect(got.size).toBe(expected.size);
    const classes = new Set<string>();
    for (const [code, t] of expected) {
      const p = got.get(code)!;
      expect({ code, presence: p.presence, local: p.localActorCount, wide: p.wideActorCount }).toEqual({
        code,
        presence: classOf(t),
        local: t.local,
        wide: t.any - t.local,
      });
      expect(p.actorCount, code).toBe(t.local);
      classes.add(classOf(t));
    }
    // The fixtures give every class: otherwise this test would prove little.
    expect([...classes].sort()).toEqual(['LOCAL', 'WIDE_ONLY']);
    expect(got.get(VERDUN)).toMatchObject({ presence: 'LOCAL', localActorCount: 1, wideActorCount: 3 });
    expect(got.get(BAR_LE_DUC)).toMatchObject({ presence: 'LOCAL', localActorCount: 1 });
  });

  it('counts only local presence in the gaps by default, and any coverage with presence ANY', async () => {
    const expected = await truth('COMMUNE');
    const local = await server.gql(GAPS, { filter: { scope: MEUSE, themes: [THEME] } });
    expect(local.errors).toBeUndefined();
    const localGaps = [...expected].filter(([, t]) => t.local === 0).map(([c]) => c);
    expect(localGaps.length).toBeGreaterThan(100);
    expect(local.data.gaps.totalCount).toBe(localGaps.length);
    expect(local.data.gaps.rows.map((r: { territory: { code: string } }) => r.territory.code).sort()).toEqual(localGaps.sort());
    expect(local.data.gaps.rows.every((r: { presence: string; wideActorCount: number }) => r.presence === 'WIDE_ONLY' && r.wideActorCount >= 1)).toBe(true);
    // The national fixture covers every commune: with any coverage, Meuse has no gap at all.
    const any = await server.gql(GAPS, { filter: { scope: MEUSE, themes: [THEME], presence: 'ANY' } });
    expect(any.data.gaps.totalCount).toBe(0);
  });

  it('gives the same local figures on the live path (kinds filter) as from the maintained aggregates', async () => {
    const fieldKinds = Object.values(ActorKind).filter((k) => !STEERING_KINDS.includes(k));
    for (const presence of ['LOCAL', 'ANY']) {
      const fast = await server.gql(GAPS, { filter: { scope: MEUSE, themes: [THEME], presence } });
      const live = await server.gql(GAPS, { filter: { scope: MEUSE, themes: [THEME], presence, kinds: fieldKinds } });
      expect(live.errors).toBeUndefined();
      expect(live.data.gaps).toEqual(fast.data.gaps);
      // Above communes too: the gaps list reads a page's three counts apart from its decisive one.
      const fastEpci = await server.gql(GAPS, { filter: { scope: MEUSE, level: 'EPCI', themes: [THEME], presence } });
      const liveEpci = await server.gql(GAPS, { filter: { scope: MEUSE, level: 'EPCI', themes: [THEME], presence, kinds: fieldKinds } });
      expect(liveEpci.errors).toBeUndefined();
      expect(liveEpci.data.gaps).toEqual(fastEpci.data.gaps);
      if (presence === 'LOCAL') expect(fastEpci.data.gaps.rows.filter((r: { wideActorCount: number }) => r.wideActorCount > 0).length).toBeGreaterThan(0);
      const fastMap = await features({ scope: MEUSE, level: 'EPCI', themes: [THEME], presence });
      const liveMap = await features({ scope: MEUSE, level: 'EPCI', themes: [THEME], presence, kinds: fieldKinds });
      expect([...liveMap]).toEqual([...fastMap]);
    }
  });

  it('counts an EPCI as locally present when an actor is present in one of its communes', async () => {
    const expected = await truth('EPCI');
    const got = await features({ scope: MEUSE, level: 'EPCI', themes: [THEME] });
    for (const [code, t] of expected) {
      expect({ code, local: got.get(code)?.localActorCount, wide: got.get(code)?.wideActorCount }).toEqual({ code, local: t.local, wide: t.any - t.local });
    }
    expect(got.get(REVIGNY_EPCI)).toMatchObject({ presence: 'LOCAL' });
  });

  it('sums local and wide-scope actors and the communes covered only from afar for the scope', async () => {
    const expected = await truth('COMMUNE');
    const res = await server.gql(COVERAGE, { filter: { scope: MEUSE, themes: [THEME] } });
    const s = res.data.coverage.summary;
    const wideOnly = [...expected.values()].filter((t) => t.local === 0 && t.any > 0).length;
    expect(s).toMatchObject({ localActorCount: 3, wideActorCount: 2, actorCount: 3, wideOnlyCommuneCount: wideOnly });
    expect(s.coveredCommuneCount).toBe([...expected.values()].filter((t) => t.local > 0).length);
    const any = await server.gql(COVERAGE, { filter: { scope: MEUSE, themes: [THEME], presence: 'ANY' } });
    expect(any.data.coverage.summary).toMatchObject({ actorCount: 5, localActorCount: 3, wideActorCount: 2, coveredCommuneCount: s.communeCount });
  });

  it('gives the theme matrix the local counts, read alone or with its totals', async () => {
    const expected = await truth('COMMUNE');
    const ROWS = `rows { territory { code } counts }`;
    const alone = await server.gql(`query ($filter: GapFilterInput) { themeMatrix(filter: $filter) { ${ROWS} } }`, {
      filter: { scope: MEUSE, themes: [THEME] },
    });
    const withTotals = await server.gql(`query ($filter: GapFilterInput) { themeMatrix(filter: $filter) { ${ROWS} totals { summary { localActorCount } } } }`, {
      filter: { scope: MEUSE, themes: [THEME] },
    });
    expect(alone.errors).toBeUndefined();
    expect(withTotals.data.themeMatrix.rows).toEqual(alone.data.themeMatrix.rows);
    expect(withTotals.data.themeMatrix.totals).toEqual([{ summary: { localActorCount: 3 } }]);
    for (const r of alone.data.themeMatrix.rows as { territory: { code: string }; counts: number[] }[]) {
      expect([r.territory.code, r.counts]).toEqual([r.territory.code, [expected.get(r.territory.code)!.local]]);
    }
  });

  it('serves the same three classes in the map tiles as in the coverage query', async () => {
    const filter = { scope: MEUSE, level: 'COMMUNE', themes: [THEME] };
    const z = 9;
    const n = 2 ** z;
    const r = (VERDUN_LON_LAT.lat * Math.PI) / 180;
    const x = Math.floor(((VERDUN_LON_LAT.lon + 180) / 360) * n);
    const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
    const res = await fetch(`${server.url}/tiles/coverage/${z}/${x}/${y}.mvt?zoom=9&filter=${encodeURIComponent(JSON.stringify(filter))}`);
    expect(res.status).toBe(200);
    const layer = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer()))).layers.coverage;
    const tile = Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties);
    const map = await features(filter);
    expect(tile.length).toBeGreaterThan(5);
    for (const p of tile) {
      expect([p.code, p.presence, p.localActorCount, p.wideActorCount]).toEqual([
        p.code,
        map.get(String(p.code))!.presence,
        map.get(String(p.code))!.localActorCount,
        map.get(String(p.code))!.wideActorCount,
      ]);
    }
    expect(tile.find((p) => p.code === VERDUN)).toMatchObject({ presence: 'LOCAL' });
  });

  it('moves the figures when a territory changes from a région to a département, and keeps the aggregates exact', async () => {
    const [{ version }] = await server.ds.query(`SELECT version FROM actor WHERE id = $1`, [ids.REGIONAL]);
    const upd = await server.admin.gql(
      `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { version } }`,
      { id: ids.REGIONAL, v: version, input: { territories: [MEUSE] } },
    );
    expect(upd.errors).toBeUndefined();
    expect(await server.ds.query(DRIFT)).toEqual([]);
    const got = await features({ scope: MEUSE, themes: [THEME] });
    expect([...got.values()].every((p) => p.presence === 'LOCAL')).toBe(true);
    const gaps = await server.gql(GAPS, { filter: { scope: MEUSE, themes: [THEME] } });
    expect(gaps.data.gaps.totalCount).toBe(0);
    // Back to the région: the gaps come back, and the stored coverage still equals a recomputation.
    const back = await server.admin.gql(
      `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { version } }`,
      { id: ids.REGIONAL, v: upd.data.updateActor.version, input: { territories: [{ level: 'REGION', code: '44' }] } },
    );
    expect(back.errors).toBeUndefined();
    expect(await server.ds.query(DRIFT)).toEqual([]);
    expect((await server.gql(GAPS, { filter: { scope: MEUSE, themes: [THEME] } })).data.gaps.totalCount).toBeGreaterThan(100);
  });

  it('classifies the coverage written before it, in its migration, exactly as the app resolves it', async () => {
    await inRolledBackTransaction(server.ds, async (qr) => {
      const snapshot = async () => ({
        communes: await qr.query(`SELECT commune_code, actor_id, local FROM coverage_commune ORDER BY 1, 2`),
        areas: await qr.query(`SELECT level, code, actor_id, local FROM coverage_area ORDER BY 1, 2, 3`),
      });
      const resolved = await snapshot();
      expect(resolved.communes.filter((r: { local: boolean }) => r.local).length).toBeGreaterThan(10);
      expect(resolved.communes.filter((r: { local: boolean }) => !r.local).length).toBeGreaterThan(10);
      // The later migration that rewrote the same functions is rolled back first, and redone after.
      const later = new VerifiedLocalPresence1764000000020();
      const migration = new LocalPresence1764000000018();
      await later.down(qr);
      await migration.down(qr);
      // As a database written before the migration: no address-only coverage row.
      await qr.query(`DELETE FROM coverage_commune cc USING actor a WHERE a.id = cc.actor_id AND a.id = ANY($1::uuid[]) AND cc.commune_code = $2`, [
        [ids.REGIONAL],
        BAR_LE_DUC,
      ]);
      await migration.up(qr);
      await later.up(qr);
      expect(await snapshot()).toEqual(resolved);
      expect(await qr.query(DRIFT)).toEqual([]);
    });
  });

  it('should refuse a presence that is not LOCAL or ANY, given as a literal or a variable, with a clear code', async () => {
    const literal = await server.gql(`query { gaps(filter: { presence: EVERYWHERE }) { totalCount } }`);
    expect(errorCodes(literal)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const variable = await server.gql(GAPS, { filter: { scope: MEUSE, presence: 'EVERYWHERE' } });
    expect(errorCodes(variable)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(variable)).not.toMatch(/at .*\.(js|ts):\d+/);
  });
});
