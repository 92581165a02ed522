import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

const ID = 'virtual:scope-bounds';
const RESOLVED = `\0${ID}`;

/** [west, south, east, north] of any GeoJSON geometry, rounded outwards to 3 decimals. */
function bbox(geometry: { coordinates: unknown }): [number, number, number, number] {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]);
      s = Math.min(s, c[1] as number); n = Math.max(n, c[1] as number);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  visit(geometry.coordinates);
  const down = (v: number) => Math.floor(v * 1000) / 1000;
  const up = (v: number) => Math.ceil(v * 1000) / 1000;
  return [down(w), down(s), up(e), up(n)];
}

export type ScopeBounds = Record<'REGION' | 'DEPARTEMENT', Record<string, [number, number, number, number]>>;

/** The box of every région and département of the boundary files the seed loads (seeds/data/geo). */
export function readScopeBounds(geoDir: string): { bounds: ScopeBounds; files: string[] } {
  const bounds = {} as ScopeBounds;
  const files: string[] = [];
  for (const [level, file] of [['REGION', 'regions.geojson.gz'], ['DEPARTEMENT', 'departements.geojson.gz']] as const) {
    const full = path.join(geoDir, file);
    files.push(full);
    const fc = JSON.parse(gunzipSync(fs.readFileSync(full)).toString('utf8'));
    bounds[level] = Object.fromEntries(fc.features.map((f: any) => [String(f.properties.code), bbox(f.geometry)]));
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
