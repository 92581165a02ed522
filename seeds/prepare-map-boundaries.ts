/**
 * Builds the commune boundaries of the coverage maps, seeds/data/geo/map/communes-z7.topojson.gz
 * (région maps, `territory.geom_z7`) and communes-z9.topojson.gz (département maps, `geom_z9`),
 * from the shipped ones (seeds/data/geo/communes), with mapshaper:
 *
 * 1. `-clean`: the shipped boundaries overlap their neighbours here and there and leave thin gaps
 *    elsewhere (in the Meuse, 763 of 1,374 pairs of neighbours overlap by more than 1 m², and 16
 *    pairs lie within 20 m without touching); snapped (20 m) and cleaned, they become one coverage,
 *    each border between two communes stored once;
 * 2. `-simplify`: Visvalingam, each shared border simplified once, so that it stays identical on
 *    both sides (simplifying each boundary on its own, ST_SimplifyPreserveTopology per commune,
 *    moved the two copies apart: white slivers between communes on the maps); `keep-shapes` keeps
 *    every commune, however small;
 * 3. TopoJSON output, quantized: the seed (seeds/map-boundaries.ts) merges the communes' shared
 *    borders into the boundaries of the wider territories (EPCI, EPT, département, région).
 *
 * Runs offline (about three minutes on two cores); re-run it only when seeds/data/geo changes:
 *   npm run prepare:map-boundaries
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import mapshaper from 'mapshaper';
import { seedDataDir } from './paths.js';

/** The prepared files under seeds/data, by zoom: the simplification of each is half a pixel there. */
export const MAP_BOUNDARY_FILES = {
  7: path.join('geo', 'map', 'communes-z7.topojson.gz'),
  9: path.join('geo', 'map', 'communes-z9.topojson.gz'),
} as const;

/** The TopoJSON object holding the communes and arrondissements, each with its code as `id`. */
export const COMMUNES_OBJECT = 'communes';

/** Simplification interval (metres) per zoom: about half a pixel of a 256-px tile at 46° N. */
const INTERVAL_METERS = { 7: 400, 9: 100 } as const;

export async function prepareMapBoundaries(dataDir = seedDataDir()): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'map-boundaries-'));
  try {
    const dir = path.join(dataDir, 'geo', 'communes');
    const features: GeoJSON.Feature[] = [];
    for (const file of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.geojson.gz'))
      .sort()) {
      const fc = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, file))).toString('utf8')) as GeoJSON.FeatureCollection;
      for (const f of fc.features) features.push({ type: 'Feature', properties: { code: String(f.properties?.code) }, geometry: f.geometry });
    }
    features.sort((a, b) => String(a.properties?.code).localeCompare(String(b.properties?.code)));
    const input = path.join(tmp, `${COMMUNES_OBJECT}.json`);
    fs.writeFileSync(input, JSON.stringify({ type: 'FeatureCollection', features }));
    const out = (zoom: 7 | 9) => path.join(tmp, `z${zoom}.json`);
    const simplifyAndWrite = (zoom: 7 | 9) =>
      `-simplify interval=${INTERVAL_METERS[zoom]} visvalingam keep-shapes ` + `-o format=topojson id-field=code quantization=1000000 ${out(zoom)} force`;
    await mapshaper.runCommands(
      `-i ${input} name=${COMMUNES_OBJECT} -clean snap-interval=0.0002 gap-fill-area=1km2 allow-empty ${simplifyAndWrite(9)} ${simplifyAndWrite(7)}`,
    );
    for (const zoom of [7, 9] as const) {
      const topology = JSON.parse(fs.readFileSync(out(zoom), 'utf8')) as {
        objects: Record<string, { geometries: { id?: string; type: string | null; properties?: object }[] }>;
      };
      const geometries = topology.objects[COMMUNES_OBJECT].geometries;
      // A commune left with nothing of its own by the cleaning is reported; the seed keeps its display boundary.
      const kept = new Set(geometries.filter((g) => g.type).map((g) => g.id));
      const lost = features.map((f) => String(f.properties?.code)).filter((c) => !kept.has(c));
      if (lost.length) process.stdout.write(`z${zoom} : ${lost.length} commune(s) sans contour après nettoyage : ${lost.join(', ')}\n`);
      // The code is the id; nothing else is needed.
      for (const g of geometries) delete g.properties;
      const target = path.join(dataDir, MAP_BOUNDARY_FILES[zoom]);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, zlib.gzipSync(JSON.stringify(topology), { level: 9 }));
      process.stdout.write(`${MAP_BOUNDARY_FILES[zoom]} : ${geometries.length} communes et arrondissements\n`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await prepareMapBoundaries();
