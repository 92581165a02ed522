import { setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { StyleSpecification } from 'maplibre-gl';
import SCOPE_BOUNDS from 'virtual:scope-bounds';
import type { Box } from './bounds';

export { boundsOf } from './bounds';

// After bundling, MapLibre cannot find its worker from import.meta.url: give it the built file.
setWorkerUrl(workerUrl);

/** Optional raster background (e.g. an OSM tile server) when online; the map works without it. */
const RASTER_URL: string | undefined = import.meta.env.VITE_RASTER_TILES_URL;

/**
 * An inline style with no remote glyphs, sprites or tiles: the base layers are the project's own
 * territory polygons, added by each map. Works with no internet.
 */
export function baseStyle(): StyleSpecification {
  return {
    version: 8,
    sources: RASTER_URL ? { raster: { type: 'raster', tiles: [RASTER_URL], tileSize: 256, attribution: '© contributeurs OpenStreetMap' } } : {},
    layers: [...(RASTER_URL ? [{ id: 'raster', type: 'raster' as const, source: 'raster', paint: { 'raster-opacity': 0.6 } }] : [])],
  };
}

/** Box of a région or département, known without any query (built from the repo's boundaries). */
export function scopeBox(level: string, code: string): Box | null {
  return (SCOPE_BOUNDS as Record<string, Record<string, Box>>)[level]?.[code] ?? null;
}
