/**
 * Makes seeds/data/cluster: the empty cluster a new embedded data directory starts from
 * (server/db/initial-cluster.ts). PGlite's `initdb`, then the extensions of migration
 * 1764000000000, then PGlite's own dump of its data directory, with the versions of the two
 * packages it is valid for and the catalog of the cluster dumped (seeds/cluster-catalog.ts: what a
 * database started on the dump must hold). Re-run it whenever @electric-sql/pglite or @electric-sql/pglite-postgis
 * changes version (test/integration/initial-cluster.test.ts fails until then):
 *   npm run prepare:cluster
 */
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { EXTENSIONS } from '../server/db/embedded-server.js';
import { clusterCatalog, type ClusterCatalog } from './cluster-catalog.js';
import { CLUSTER_EXTENSIONS, clusterDir, clusterDumpPath, clusterManifestPath, installedPackages, type ClusterManifest } from '../server/db/initial-cluster.js';

export async function prepareCluster(): Promise<void> {
  const started = Date.now();
  const db = await PGlite.create({ dataDir: 'memory://', extensions: EXTENSIONS });
  let catalog: ClusterCatalog;
  try {
    for (const name of CLUSTER_EXTENSIONS) await db.exec(`CREATE EXTENSION IF NOT EXISTS ${name}`);
    await db.exec('CHECKPOINT');
    catalog = await clusterCatalog(async (sql) => (await db.query<Record<string, unknown>>(sql)).rows);
    const dump = await db.dumpDataDir('gzip');
    fs.mkdirSync(clusterDir(), { recursive: true });
    fs.writeFileSync(clusterDumpPath(), Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.close();
  }
  const manifest: ClusterManifest = { ...installedPackages(), extensions: CLUSTER_EXTENSIONS, catalog };
  fs.writeFileSync(clusterManifestPath(), `${JSON.stringify(manifest, null, 2)}\n`);
  const size = fs.statSync(clusterDumpPath()).size;
  process.stdout.write(
    `Instance initiale écrite (${(size / 1e6).toFixed(1)} Mo, PGlite ${manifest.pglite}, PostGIS ${manifest.postgis}) en ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await prepareCluster();
