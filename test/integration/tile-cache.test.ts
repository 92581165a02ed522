import 'reflect-metadata';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Coverage tiles are computed once per tile, filter and data version, with an ETag (issue 17,
 * server/gaps/tile-cache.ts). Attacked as a stale cache would fail: a write (through the API or
 * straight into the database, as an import in another process would) must never leave the old
 * tile served; a tile of one filter must never answer another; a stale If-None-Match gets the new
 * tile.
 */
const THEME = 'sante-environnement';
const OTHER_THEME = 'gestes-qui-sauvent';
const SOURCE = 'test:tile-cache.test.ts';
const filterOf = (theme: string) => ({ scope: { level: 'DEPARTEMENT', code: '55' }, level: 'COMMUNE', themes: [theme] });
/** The zoom-8 tile holding Verdun (55545). */
const TILE = [8, 131, 87] as const;
const path = (filter: unknown, zoom = 9) => `/tiles/coverage/${TILE.join('/')}.mvt?zoom=${zoom}&filter=${encodeURIComponent(JSON.stringify(filter))}`;

let server: TestServer;

const get = (p: string, headers: Record<string, string> = {}) => fetch(`${server.url}${p}`, { headers });

/** Verdun's actor count in a tile. */
async function verdunCount(res: Response): Promise<number> {
  const layer = new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer()))).layers.coverage;
  for (let i = 0; i < (layer?.length ?? 0); i++) {
    const f = layer.feature(i);
    if (f.properties.code === '55545') return f.properties.actorCount as number;
  }
  throw new Error(`Verdun absent de la tuile (${layer?.length ?? 0} territoires)`);
}

const createInVerdun = (name: string, theme = THEME) =>
  server.createActor({
    name,
    kind: 'ASSOCIATION',
    sector: 'SOCIAL',
    communeCode: '55545',
    themes: [theme],
    territories: [{ level: 'COMMUNE', code: '55545' }],
    source: SOURCE,
  });

beforeAll(async () => {
  server = await startTestServer();
  await createInVerdun('Tuile en cache 1');
  await createInVerdun('Tuile en cache autre thème 1', OTHER_THEME);
  await createInVerdun('Tuile en cache autre thème 2', OTHER_THEME);
});

afterAll(async () => {
  if (!server) return;
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server.close();
});

describe('coverage tile cache', () => {
  it('should compute the same tile for the same filter and data once', async () => {
    await get(path(filterOf(THEME), 10));
    server.queries.length = 0;
    const again = await get(path(filterOf(THEME), 10));
    expect(again.status).toBe(200);
    // Only the data version was read: no coverage query ran again.
    expect(server.queries.filter((q) => q.includes('coverage_theme_count'))).toEqual([]);
    expect(server.queries.some((q) => q.includes('data_version'))).toBe(true);
  });

  it('should never serve the old tile after a write through the API or straight into the database', async () => {
    const before = await get(path(filterOf(THEME)));
    const count = await verdunCount(before);
    expect(await verdunCount(await get(path(filterOf(THEME))))).toBe(count);
    const { id } = await createInVerdun('Tuile en cache 2');
    const after = await get(path(filterOf(THEME)));
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(await verdunCount(after)).toBe(count + 1);
    // Archived by a statement of another process (an import, the command line): not through the app.
    await server.ds.query(`UPDATE actor SET status = 'ARCHIVED' WHERE id = $1`, [id]);
    expect(await verdunCount(await get(path(filterOf(THEME))))).toBe(count);
  });

  it('should never answer a tile of one filter for another, nor for another zoom of its boundaries', async () => {
    const mine = await get(path(filterOf(THEME)));
    const other = await get(path(filterOf(OTHER_THEME)));
    expect(mine.headers.get('etag')).not.toBe(other.headers.get('etag'));
    const [a, b] = [await verdunCount(mine), await verdunCount(other)];
    expect(b).toBe(2);
    expect(a).not.toBe(b);
    // Interleaved and at once: each filter keeps its own answer.
    const mixed = await Promise.all(Array.from({ length: 8 }, (_, i) => get(path(filterOf(i % 2 ? OTHER_THEME : THEME)))));
    for (const [i, res] of mixed.entries()) expect(await verdunCount(res)).toBe(i % 2 ? b : a);
    // The tag of the same tile with another filter, sent as If-None-Match: not a 304.
    const cross = await get(path(filterOf(OTHER_THEME)), { 'if-none-match': mine.headers.get('etag')! });
    expect(cross.status).toBe(200);
    const zoomed = await get(path(filterOf(THEME), 7));
    expect(zoomed.headers.get('etag')).not.toBe(mine.headers.get('etag'));
  });

  it('should answer 304 to the current tag, and 200 with the new tile to a tag gone stale', async () => {
    const first = await get(path(filterOf(THEME)));
    const tag = first.headers.get('etag')!;
    expect(tag).toMatch(/^"\d+-[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const count = await verdunCount(first);
    const same = await get(path(filterOf(THEME)), { 'if-none-match': tag });
    expect(same.status).toBe(304);
    expect((await same.arrayBuffer()).byteLength).toBe(0);
    expect(same.headers.get('etag')).toBe(tag);
    await createInVerdun('Tuile en cache 3');
    const stale = await get(path(filterOf(THEME)), { 'if-none-match': tag });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('etag')).not.toBe(tag);
    expect(await verdunCount(stale)).toBe(count + 1);
  });
});
