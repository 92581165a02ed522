import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import { type Box, boundsOf } from './src/lib/map/bounds.js';

const ID = 'virtual:scope-bounds';
const RESOLVED = `\0${ID}`;

/** The box of a geometry, rounded outwards to 3 decimals (never inside the boundary's own box). */
function box(geometry: GeoJSON.Geometry): Box {
  const [[w, s], [e, n]] = boundsOf(geometry)!;
  const down = (v: number) => Math.floor(v * 1000) / 1000;
  const up = (v: number) => Math.ceil(v * 1000) / 1000;
  return [down(w), down(s), up(e), up(n)];
}

export type ScopeBounds = Record<'REGION' | 'DEPARTEMENT', Record<string, Box>>;

/** The box of every région and département of the boundary files the seed loads (seeds/data/geo). */
export function readScopeBounds(geoDir: string): { bounds: ScopeBounds; files: string[] } {
  const bounds = {} as ScopeBounds;
  const files: string[] = [];
  for (const [level, file] of [
    ['REGION', 'regions.geojson.gz'],
    ['DEPARTEMENT', 'departements.geojson.gz'],
  ] as const) {
    const full = path.join(geoDir, file);
    files.push(full);
    const fc = JSON.parse(gunzipSync(fs.readFileSync(full)).toString('utf8')) as GeoJSON.FeatureCollection;
    bounds[level] = Object.fromEntries(fc.features.map((f) => [String(f.properties!.code), box(f.geometry)]));
  }
  return { bounds, files };
}

/**
 * `virtual:scope-bounds`: the box of every région and département, computed at build time from the
 * very boundary files the seed loads. The gaps page frames its map on the scope at once, and asks
 * for the coverage tiles as soon as MapLibre is ready, without waiting for a query.
 */
export function scopeBounds(geoDir: string): Plugin {
  return {
    name: 'scope-bounds',
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    load(id) {
      if (id !== RESOLVED) return undefined;
      const { bounds, files } = readScopeBounds(geoDir);
      for (const f of files) this.addWatchFile(f);
      return `export default ${JSON.stringify(bounds)};`;
    },
  };
}
