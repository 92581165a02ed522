import * as geojsonVt from '@maplibre/geojson-vt';
import { fromGeojsonVt } from '@maplibre/vt-pbf';
import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { LARGE_SCOPE_ROWS, rowsInScope } from '../graphql/cost.js';
import { badInput } from '../graphql/errors.js';
import { type FilterParam, parseFilterParam } from '../http/filter-params.js';
import type { AnalyticsGate } from '../http/gate.js';
import { sendError } from '../http/http-errors.js';
import { GapFilterInput } from './gap.inputs.js';
import type { GapService } from './gap.service.js';
import { TileCache } from './tile-cache.js';

/** The layer of the coverage tiles, and their extent (MapLibre's own, so no rescaling in the browser). */
export const COVERAGE_TILE_LAYER = 'coverage';
const EXTENT = 8192;
/** Deepest tile served: maps overzoom beyond, the boundaries being simplified for their zoom already. */
export const MAX_TILE_ZOOM = 14;

/**
 * geoJSONToTile as @maplibre/geojson-vt 6.3.1 declares it (dist/geojson-to-tile.d.ts, options and tile
 * reduced to what is used here): its declarations import one another without the `.js` extension
 * that NodeNext resolution requires, so TypeScript receives its exports untyped.
 */
const geoJSONToTile = geojsonVt.geoJSONToTile as (
  data: GeoJSON.GeoJSON,
  z: number,
  x: number,
  y: number,
  options: { extent: number; buffer: number; tolerance: number; clip: boolean },
) => { transformed: true; features: unknown[] };

/** Lon/lat box of a web-map tile, with a margin of `buffer` (in tile extent units) on each side. */
export function tileBounds(z: number, x: number, y: number, buffer = 0): [number, number, number, number] {
  const n = 2 ** z;
  const m = buffer / EXTENT;
  const lon = (t: number) => (t / n) * 360 - 180;
  const lat = (t: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * t) / n))) * 180) / Math.PI;
  return [lon(x - m), lat(Math.min(n, y + 1 + m)), lon(x + 1 + m), lat(Math.max(0, y - m))];
}

/**
 * One Mapbox vector tile (layer `coverage`) of the coverage map: the territories of the scope whose
 * boundary meets the tile, with the properties of the compact map (code, name, population,
 * actorCount, covered, isGap). Cut and encoded by @maplibre/geojson-vt and @maplibre/vt-pbf, the
 * very code MapLibre runs in the browser for a GeoJSON source: done here, the browser only decodes.
 */
export async function coverageTile(gaps: GapService, filter: GapFilterInput, zoom: number, z: number, x: number, y: number): Promise<Uint8Array> {
  const buffer = 64;
  const fc = await gaps.coverageFeatures(filter, zoom, tileBounds(z, x, y, buffer));
  // Feature ids of MVT are integers; the code stays a property.
  for (const f of fc.features) delete f.id;
  // Already simplified for `zoom`: geojson-vt only drops what is under an eighth of a pixel.
  const tile = geoJSONToTile(fc, z, x, y, { extent: EXTENT, buffer, tolerance: 2, clip: true });
  return fromGeojsonVt({ [COVERAGE_TILE_LAYER]: tile }, { version: 2, extent: EXTENT });
}

export const int = (v: unknown, name: string, min: number, max: number): number => {
  const n = typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw badInput(`« ${name} » doit être un entier compris entre ${min} et ${max}`, name);
  return n;
};

/** The `filter` parameter: a JSON GapFilterInput, read as the GraphQL argument would be. */
export const GAP_FILTER: FilterParam<GapFilterInput> = {
  type: 'GapFilterInput',
  create: () => new GapFilterInput(),
  nested: { scope: TerritoryRefInput },
  example: '{"scope":{"level":"REGION","code":"44"}}',
};

/** Communes in a tile of zoom `z` at most: France (35,000 communes) fits in about four tiles of zoom 5. */
const communesInTile = (z: number) => 35_000 / 4 ** Math.max(0, z - 5);

/**
 * Territories a tile goes through (an upper bound, known before any SQL): those of the scope, and
 * no more than the tile can hold.
 */
export function tileRows(filter: GapFilterInput, z: number): number {
  return Math.min(rowsInScope(filter), (filter.level ?? 'COMMUNE') === 'COMMUNE' ? communesInTile(z) : Infinity);
}

/** A tile over more territories than the largest département has communes is an analysis: it passes the gate. */
export const GATED_TILE_ROWS = 1_000;

/**
 * GET /tiles/coverage/{z}/{x}/{y}.mvt?filter=<JSON GapFilterInput>&zoom=<zoom of the boundaries>:
 * the coverage map as vector tiles. Bad parameters get 400 with a French message (GraphQL-shaped
 * JSON, `extensions.code`). Computed once per tile, filter and data version (TileCache), with an
 * ETag: `Cache-Control: no-cache` has the browser revalidate (304 while the data has not changed). A tile over
 * more than a département's communes (tileRows) waits for a place in the analytics gate (503
 * SERVICE_BUSY when it is full) and is computed on the analytics pool (`analyticsGaps`); one over
 * more than a région's is refused (400); a statement stopped by the statement timeout gets 503
 * TIMEOUT.
 */
export function coverageTileRoute(schema: GraphQLSchema, gaps: GapService, gate: AnalyticsGate, analyticsGaps: GapService, cache: TileCache): RequestHandler {
  return async (req, res) => {
    try {
      const z = int(req.params.z, 'z', 0, MAX_TILE_ZOOM);
      const x = int(req.params.x, 'x', 0, 2 ** z - 1);
      const y = int(req.params.y, 'y', 0, 2 ** z - 1);
      const zoom = int(req.query.zoom ?? '7', 'zoom', 0, 18);
      const filter = await parseFilterParam(schema, GAP_FILTER, req.query.filter);
      const rows = tileRows(filter, z);
      // As the coverage query refuses a map of every commune of France (cost limit), a tile holds
      // no more than a région's communes: cutting 20,000 boundaries took the server seconds.
      if (rows > LARGE_SCOPE_ROWS) {
        throw badInput(
          `Tuile trop vaste : jusqu’à ${Math.round(rows)} territoires pour ${LARGE_SCOPE_ROWS} au plus. Zoomez (z ≥ ${z + 1}), ` +
            'réduisez le périmètre (« scope ») ou choisissez le niveau EPCI ou DEPARTEMENT',
          'z',
        );
      }
      const compute = () =>
        rows > GATED_TILE_ROWS ? gate.run(() => coverageTile(analyticsGaps, filter, zoom, z, x, y)) : coverageTile(gaps, filter, zoom, z, x, y);
      // Read before the tile is computed: the tile holds at least this version's data.
      const version = await cache.currentVersion();
      const key = JSON.stringify([z, x, y, zoom, filter]);
      const etag = version === null ? null : TileCache.etag(version, key);
      if (etag && TileCache.matches(req.headers['if-none-match'], etag)) {
        res.status(304).setHeader('ETag', etag).setHeader('Cache-Control', 'no-cache').end();
        return;
      }
      const tile = version === null ? await compute() : await cache.get(version, key, compute);
      res.status(200).setHeader('Content-Type', 'application/vnd.mapbox-vector-tile');
      if (etag) res.setHeader('ETag', etag).setHeader('Cache-Control', 'no-cache');
      else res.setHeader('Cache-Control', 'no-store');
      res.end(Buffer.from(tile.buffer, tile.byteOffset, tile.byteLength));
    } catch (err) {
      sendError(res, err, 'Erreur interne : la tuile n’a pas pu être produite.', 'tuile de couverture impossible');
    }
  };
}
