import { setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { StyleSpecification } from 'maplibre-gl';
import SCOPE_BOUNDS from 'virtual:scope-bounds';

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
    sources: RASTER_URL
      ? { raster: { type: 'raster', tiles: [RASTER_URL], tileSize: 256, attribution: '© contributeurs OpenStreetMap' } }
      : {},
    layers: [
      ...(RASTER_URL ? [{ id: 'raster', type: 'raster' as const, source: 'raster', paint: { 'raster-opacity': 0.6 } }] : []),
    ],
  };
}

/** Bounds of any GeoJSON, as [[west, south], [east, north]]. */
export function boundsOf(geojson: GeoJSON.GeoJSON): [[number, number], [number, number]] | null {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = c as number[];
      if (x < w) w = x;
      if (x > e) e = x;
      if (y < s) s = y;
      if (y > n) n = y;
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  const walk = (g: any): void => {
    if (!g) return;
    if (g.type === 'FeatureCollection') g.features.forEach(walk);
    else if (g.type === 'Feature') walk(g.geometry);
    else if (g.type === 'GeometryCollection') g.geometries.forEach(walk);
    else visit(g.coordinates);
  };
  walk(geojson);
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

/** Box of a région or département, [west, south, east, north], known without any query (built from the repo's boundaries). */
export function scopeBox(level: string, code: string): [number, number, number, number] | null {
  return (SCOPE_BOUNDS as Record<string, Record<string, [number, number, number, number]>>)[level]?.[code] ?? null;
}
