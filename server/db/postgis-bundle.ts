import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

/**
 * The PostGIS files a database that already has the extension needs, as a bundle of their own.
 * PGlite unpacks its extension's whole bundle at every start (95 MB: the raster and topology
 * modules, every upgrade script, the extension's SQL) and compiles each module in it; a database
 * where `CREATE EXTENSION` has already run needs only the postgis module, its control file and the
 * PROJ data. The app restarts on it (database.ts), and each test file of the embedded run starts
 * its own PGlite on a copy of the template with it: the smaller bundle halves that start (measured:
 * 11.8–21.7 s against 35.8–48.6 s with the full one on a loaded 2-core machine).
 */
const KEEP = [/^lib\/postgresql\/postgis-3\.so$/, /^share\/proj\//, /^share\/postgresql\/extension\/postgis\.control$/];

const packageDir = () => path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite-postgis'));

/** The version of the PostGIS package: a reduced bundle is only valid for the one it came from. */
export function postgisPackageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageDir(), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Writes the reduced bundle to `to` (a .tar.gz, as PGlite reads them). */
export function writeSlimPostgisBundle(to: string): void {
  const from = path.join(packageDir(), 'postgis.tar.gz');
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

/**
 * The reduced bundle an embedded data directory restarts with, named for what it is valid for: the
 * PostGIS package and the migrations a start ran to the end there (`schema`). A new migration, or
 * another PostGIS package, finds no such file: that start loads the whole bundle (a migration may
 * need the extension's SQL scripts), then leaves the reduced one for the next.
 */
function restartBundlePath(dataDir: string, schema: string): string {
  const key = createHash('sha256').update(`${postgisPackageVersion()}\n${schema}`).digest('hex').slice(0, 16);
  return path.join(dataDir, `${RESTART_BUNDLE_PREFIX}${key}.tar.gz`);
}
const RESTART_BUNDLE_PREFIX = 'repertoire-postgis-';

/** The reduced bundle left by an earlier start of this data directory with the same schema, if any. */
export function restartBundle(dataDir: string, schema: string): URL | undefined {
  if (dataDir.startsWith('memory://')) return undefined;
  const file = restartBundlePath(dataDir, schema);
  return fs.existsSync(file) ? pathToFileURL(file) : undefined;
}

/** After a start that ran every migration: the reduced bundle for the next (older ones removed). */
export function leaveRestartBundle(dataDir: string, schema: string): void {
  if (dataDir.startsWith('memory://')) return;
  const file = restartBundlePath(dataDir, schema);
  for (const entry of fs.readdirSync(dataDir)) {
    if (entry.startsWith(RESTART_BUNDLE_PREFIX) && path.join(dataDir, entry) !== file) fs.rmSync(path.join(dataDir, entry), { force: true });
  }
  // Written aside then renamed: a start stopped halfway never leaves a truncated bundle.
  writeSlimPostgisBundle(`${file}.partial`);
  fs.renameSync(`${file}.partial`, file);
}
