import 'reflect-metadata';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundsOf } from '../../client/src/lib/map/bounds.js';
import { tileBounds } from '../../server/gaps/coverage-tiles.http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The coverage map as vector tiles (GET /tiles/coverage/{z}/{x}/{y}.mvt), decoded as MapLibre
 * decodes them, against the `coverage` query on the same filter: same territories, same figures.
 */
let server: TestServer;

/** A theme no other test file gives actors, so that files running alongside change nothing here. */
const THEME = 'sante-orale';
const SOURCE = 'test:coverage-tiles.test.ts';
const MEUSE = { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'COMMUNE', themes: [THEME] };
const GRAND_EST = { scope: { level: 'REGION', code: '44' }, level: 'COMMUNE' };

/** The web-map tile holding a lon/lat point at zoom z. */
function tileOf(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

const tilePath = (filter: unknown, z: number | string, x: number | string, y: number | string, zoom: number | string = 9) =>
  `/tiles/coverage/${z}/${x}/${y}.mvt?zoom=${zoom}&filter=${encodeURIComponent(JSON.stringify(filter))}`;
const tileUrl = (...args: Parameters<typeof tilePath>) => `${server.url}${tilePath(...args)}`;

async function decode(res: Response) {
  const tile = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer())));
  const layer = tile.layers.coverage;
  return layer ? Array.from({ length: layer.length }, (_, i) => layer.feature(i)) : [];
}

beforeAll(async () => {
  server = await startTestServer();
  // Verdun and the communes of its EPCI covered, the rest of Meuse not.
  const [{ epci_code: epci }] = await server.ds.query(`SELECT epci_code FROM territory WHERE level = 'COMMUNE' AND code = '55545'`);
  const res = await server.admin.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id } }`, {
    input: {
      name: 'Test tuiles Verdun',
      kind: 'ASV',
      sector: 'SANTE',
      source: SOURCE,
      themes: [THEME],
      communeCode: '55545',
      territories: [{ level: 'EPCI', code: epci }],
    },
  });
  expect(res.errors).toBeUndefined();
});

afterAll(() => server?.close());

describe('coverage tiles', () => {
  it('should cut the same territories and figures as the coverage query, with their bounding box', async () => {
    const res = await server.gql(`query ($filter: GapFilterInput) { coverage(filter: $filter, zoom: 9, compact: true) { bbox features } }`, { filter: MEUSE });
    expect(res.errors).toBeUndefined();
    const { bbox, features } = res.data.coverage;
    // Without the features (what the gaps page asks for, the map coming as tiles): same figures and box.
    const light = await server.gql(`query ($filter: GapFilterInput) { coverage(filter: $filter, zoom: 9) { bbox summary { territoryCount } } }`, {
      filter: MEUSE,
    });
    expect(light.errors).toBeUndefined();
    expect(light.data.coverage).toEqual({ bbox, summary: { territoryCount: 499 } });
    const [w, s, e, n] = bbox;
    // Meuse lies around 4.9–5.9° E, 48.4–49.6° N.
    expect(w).toBeGreaterThan(4.8);
    expect(e).toBeLessThan(6);
    expect(s).toBeGreaterThan(48.3);
    expect(n).toBeLessThan(49.7);
    // One zoom-6 tile of 2048 px holds the whole département here.
    const z = 6;
    const [x0, y0] = tileOf(w, n, z);
    const [x1, y1] = tileOf(e, s, z);
    const decoded = [];
    for (let x = x0; x <= x1; x++)
      for (let y = y0; y <= y1; y++) {
        const tile = await fetch(tileUrl(MEUSE, z, x, y));
        expect(tile.status).toBe(200);
        expect(tile.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
        expect(tile.headers.get('cache-control')).toBe('no-cache');
        decoded.push(...(await decode(tile)));
      }
    const byCode = new Map(decoded.map((f) => [f.properties.code, f]));
    expect(byCode.size).toBe(features.features.length);
    expect(byCode.size).toBe(499);
    for (const f of features.features) {
      const t = byCode.get(f.properties.code);
      expect(t, f.properties.code).toBeDefined();
      expect(t!.type).toBe(3); // polygon
      expect(t!.properties).toMatchObject({
        name: f.properties.name,
        actorCount: f.properties.actorCount,
        population: f.properties.population,
        isGap: f.properties.isGap,
      });
    }
    // Gaps and covered communes both: the figures are not all alike.
    expect(new Set(decoded.map((f) => f.properties.isGap))).toEqual(new Set([true, false]));
  });

  it('should leave out what lies outside the tile, and give an empty tile far from the scope', async () => {
    // Verdun's zoom-10 tile: a few dozen communes, not the 499 of Meuse.
    const [x, y] = tileOf(5.3876, 49.1598, 10);
    const near = await decode(await fetch(tileUrl(MEUSE, 10, x, y)));
    expect(near.length).toBeGreaterThan(3);
    expect(near.length).toBeLessThan(150);
    expect(near.map((f) => f.properties.name)).toContain('Verdun');
    const [w, s, e, n] = tileBounds(10, x, y, 64);
    for (const f of near) {
      const box = boundsOf(f.toGeoJSON(x, y, 10));
      expect(box, f.properties.name as string).not.toBeNull();
      const [[lon0, lat0], [lon1, lat1]] = box!;
      expect(lon1 >= w && lon0 <= e && lat1 >= s && lat0 <= n, f.properties.name as string).toBe(true);
    }
    // The Pacific, at zoom 4: nothing of Meuse.
    const far = await fetch(tileUrl(MEUSE, 4, 0, 7));
    expect(far.status).toBe(200);
    expect(await decode(far)).toEqual([]);
  });

  it('should draw a whole région from the boundaries stored for its map', async () => {
    const [x, y] = tileOf(5.5, 48.8, 4);
    const features = await decode(await fetch(tileUrl(GRAND_EST, 4, x, y, 7)));
    const res = await server.gql(`query ($filter: GapFilterInput) { coverage(filter: $filter, zoom: 7, compact: true) { features } }`, { filter: GRAND_EST });
    // Every commune of the région that has a boundary in this base (the tests load some départements' only).
    const drawn = res.data.coverage.features.features.filter((f: GeoJSON.Feature) => f.geometry);
    expect(drawn.length).toBeGreaterThanOrEqual(499);
    expect(new Set(features.map((f) => f.properties.code))).toEqual(new Set(drawn.map((f: GeoJSON.Feature) => f.properties!.code)));
  });

  it.each([
    ['a tile out of the grid', tilePath(MEUSE, 4, 0, 16), 'y'],
    ['a zoom too deep', tilePath(MEUSE, 15, 0, 0), 'z'],
    ['a tile number that is not one', tilePath(MEUSE, 4, 'a', 0), 'x'],
    ['boundaries at an impossible zoom', tilePath(MEUSE, 4, 8, 5, 40), 'zoom'],
    ['a filter that is not JSON', '/tiles/coverage/4/8/5.mvt?filter=%7Bscope', 'filter'],
    ['an unknown level', tilePath({ level: 'CANTON' }, 4, 8, 5), 'filter'],
    ['an unknown field', tilePath({ scoop: 1 }, 4, 8, 5), 'filter'],
    ['an unknown territory', tilePath({ scope: { level: 'REGION', code: '99' } }, 4, 8, 5), 'scope'],
    // Names of Object.prototype, which a check `x in Enum` or `Enum[x]` would take for values.
    ...['toString', 'constructor', '__proto__', 'hasOwnProperty'].flatMap((name) => [
      [`« ${name} » as the level`, tilePath({ level: name }, 4, 8, 5), 'filter'],
      [`« ${name} » as the scope's level`, tilePath({ scope: { level: name, code: '44' } }, 4, 8, 5), 'filter'],
      [`« ${name} » as a kind`, tilePath({ ...MEUSE, kinds: [name] }, 4, 8, 5), 'filter'],
      [`« ${name} » as a field`, tilePath(JSON.parse(`{"${name}": "REGION"}`), 4, 8, 5), 'filter'],
      [`« ${name} » as a theme`, tilePath({ ...MEUSE, themes: [name] }, 4, 8, 5), 'themes'],
    ]),
  ] as [string, string, string][])('should refuse %s with 400, a French message and a code', async (_what, url, field) => {
    const res = await fetch(`${server.url}${url}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(body.errors[0].message).toMatch(/invalide|doit être|inconnu/);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});
