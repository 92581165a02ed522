import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';

/**
 * The PostGIS files a copy of the test template needs, as a bundle of their own. PGlite unpacks its
 * extension's whole bundle at every start (95 MB: the raster and topology modules, every upgrade
 * script, the extension's SQL) and compiles each module in it; a database where `CREATE EXTENSION`
 * has already run needs only the postgis module, its control file and the PROJ data. Each test file
 * of the embedded run starts its own PGlite on such a copy: the smaller bundle halves that start
 * (measured: 11.8–21.7 s against 35.8–48.6 s with the full one on a loaded 2-core machine).
 */
const KEEP = [/^lib\/postgresql\/postgis-3\.so$/, /^share\/proj\//, /^share\/postgresql\/extension\/postgis\.control$/];

/** Writes the reduced bundle to `to` (a .tar.gz, as PGlite reads them). */
export function writeSlimPostgisBundle(to: string): void {
  const from = path.join(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite-postgis')), 'postgis.tar.gz');
  const tar = zlib.gunzipSync(fs.readFileSync(from));
  const kept: Buffer[] = [];
  const text = (at: number, length: number) => tar.toString('utf8', at, at + length).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length;) {
    const name = text(at, 100);
    if (!name) break; // the two empty blocks that end the archive
    const prefix = text(at + 257, 6).startsWith('ustar') ? text(at + 345, 155) : '';
    const size = parseInt(text(at + 124, 12).trim() || '0', 8);
    const end = at + 512 + Math.ceil(size / 512) * 512;
    const full = prefix ? `${prefix}/${name}` : name;
    if (KEEP.some((re) => re.test(full))) kept.push(tar.subarray(at, end));
    at = end;
  }
  if (!kept.some((entry) => entry.toString('utf8', 0, 100).startsWith('lib/postgresql/postgis-3.so'))) {
    throw new Error(`postgis-3.so introuvable dans ${from} : le paquet a changé de forme`);
  }
  fs.writeFileSync(to, zlib.gzipSync(Buffer.concat([...kept, Buffer.alloc(1024)]), { level: 1 }));
}
