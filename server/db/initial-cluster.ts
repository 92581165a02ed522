import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ClusterCatalog } from '../../seeds/cluster-catalog.js';
import { seedDataDir } from '../../seeds/paths.js';

/**
 * The embedded database's first start loads an empty cluster shipped in seeds/data/cluster
 * (`npm run prepare:cluster`, seeds/prepare-cluster.ts): PGlite's `initdb` followed by the four
 * `CREATE EXTENSION` of migration 1764000000000, dumped by PGlite itself. Every new data directory
 * began with that same work: 4.8 s of `initdb` and 6.3 s of `CREATE EXTENSION postgis` (PostGIS's
 * 7.5 MB install script run in WebAssembly) on these two cores, against about 1 s to unpack the
 * 7 MB dump (issue 17: the first start within a minute). Migration 1764000000000 still runs, and
 * finds the extensions there.
 *
 * The dump is only valid for the PGlite and PostGIS packages it was made with (the catalog's
 * version, the extensions' scripts): with others installed, the start runs `initdb` as before, and
 * test/integration/initial-cluster.test.ts fails until the dump is made again.
 */
export interface ClusterManifest {
  /** Versions of @electric-sql/pglite and @electric-sql/pglite-postgis that made the dump. */
  pglite: string;
  postgis: string;
  /** The extensions created in it, in that order. */
  extensions: string[];
  /**
   * The catalog of the cluster dumped, read before the dump (seeds/cluster-catalog.ts): what a
   * database started on it must hold (test/integration/initial-cluster.test.ts).
   */
  catalog: ClusterCatalog;
}

/**
 * The extensions of migration 1764000000000, created in the shipped cluster: the names of
 * embedded-server.ts's EXTENSIONS, written out here so that the app's thread does not load PGlite's
 * modules to read them (initial-cluster.test.ts holds the two lists together).
 */
export const CLUSTER_EXTENSIONS = ['postgis', 'pg_trgm', 'unaccent', 'btree_gist'];

export const clusterDir = () => path.join(seedDataDir(), 'cluster');
export const clusterDumpPath = () => path.join(clusterDir(), 'pglite-cluster.tar.gz');
export const clusterManifestPath = () => path.join(clusterDir(), 'manifest.json');

/** The installed versions of the two packages a dump depends on. */
export function installedPackages(): { pglite: string; postgis: string } {
  const require = createRequire(import.meta.url);
  // Neither package exports its package.json: it is found from its entry point, in dist/.
  const version = (name: string) =>
    (JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(name)), '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { pglite: version('@electric-sql/pglite'), postgis: version('@electric-sql/pglite-postgis') };
}

export function readClusterManifest(): ClusterManifest | undefined {
  const file = clusterManifestPath();
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterManifest) : undefined;
}

/**
 * The dump a new data directory starts from: when `dataDir` holds no cluster yet (a throwaway
 * `memory://` one never does) and the dump was made with the packages installed. Undefined
 * otherwise: the start then runs `initdb`.
 */
export function initialCluster(dataDir: string): string | undefined {
  if (!dataDir.startsWith('memory://') && fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return undefined;
  const manifest = readClusterManifest();
  const installed = installedPackages();
  if (!manifest || manifest.pglite !== installed.pglite || manifest.postgis !== installed.postgis) return undefined;
  const dump = clusterDumpPath();
  return fs.existsSync(dump) ? dump : undefined;
}
