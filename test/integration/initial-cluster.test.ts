import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../server/db/embedded.js';
import { EXTENSIONS } from '../../server/db/embedded-server.js';
import { CLUSTER_CATALOG, clusterCatalog, type ClusterCatalog } from '../../seeds/cluster-catalog.js';
import { CLUSTER_EXTENSIONS, clusterDumpPath, initialCluster, installedPackages, readClusterManifest } from '../../server/db/initial-cluster.js';

/**
 * A new embedded data directory starts from the cluster dumped in seeds/data/cluster
 * (server/db/initial-cluster.ts) rather than from `initdb` and the extensions' scripts. Every test
 * of the embedded run already works on a database made that way (the run's template,
 * test/setup/template-database.ts). These tests hold the dump to what it replaces: made for the
 * packages installed, and the same catalog as the cluster that `initdb` and `CREATE EXTENSION` made
 * before it was dumped (read from that very cluster by `npm run prepare:cluster` and kept in the
 * manifest beside the packages' versions, which the first test holds to those installed: the same
 * packages make the same cluster). Until 6 December
 * 2026 these tests ran `initdb` and the four `CREATE EXTENSION` again at every run, in WebAssembly:
 * 66 s of the embedded suite's longest file. Embedded run only: the dump is PGlite's, and the native
 * run has no use for it.
 */
const embedded = inject('backend') === 'pglite';

async function catalogOf(url: string): Promise<ClusterCatalog> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await clusterCatalog(async (sql) => (await client.query<Record<string, unknown>>(sql)).rows);
  } finally {
    await client.end();
  }
}

describe.runIf(embedded)('the cluster a new embedded data directory starts from (embedded run only)', () => {
  const started: EmbeddedDatabase[] = [];
  afterAll(async () => {
    for (const db of started) await db.stop();
  });

  it('should be the dump of the PGlite and PostGIS packages installed (else: npm run prepare:cluster)', () => {
    expect(readClusterManifest(), 'seeds/data/cluster/manifest.json : npm run prepare:cluster').toMatchObject({
      ...installedPackages(),
      extensions: CLUSTER_EXTENSIONS,
    });
    expect(fs.statSync(clusterDumpPath()).size).toBeGreaterThan(1_000_000);
    // The extensions every embedded database loads are those created in the dump.
    expect(Object.keys(EXTENSIONS).sort()).toEqual([...CLUSTER_EXTENSIONS].sort());
  });

  it('should be used for a new data directory only, never over an existing cluster', () => {
    expect(initialCluster('memory://')).toBe(clusterDumpPath());
    const dir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : '/tmp', 'initial-cluster-'));
    try {
      expect(initialCluster(dir)).toBe(clusterDumpPath());
      fs.writeFileSync(path.join(dir, 'PG_VERSION'), '17\n');
      expect(initialCluster(dir)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('compared with the initdb cluster it was dumped from', () => {
    let fromDump: ClusterCatalog;
    let fromInitdb: ClusterCatalog;
    beforeAll(async () => {
      const dumped = await startEmbeddedDatabase('memory://', 4, undefined, {}, clusterDumpPath());
      started.push(dumped);
      fromDump = await catalogOf(dumped.url);
      fromInitdb = readClusterManifest()!.catalog;
    });

    it('should hold the same extensions, at the same versions', () => {
      expect(fromDump.extensions).toEqual(fromInitdb.extensions);
      expect(fromDump.extensions.map((e) => (e as { extname: string }).extname).sort()).toEqual(['plpgsql', ...CLUSTER_EXTENSIONS].sort());
    });

    it('should have the same server, encoding and collation', () => {
      expect(fromDump.server).toEqual(fromInitdb.server);
    });

    it('should have the same functions, types, operators, relations and reference systems', () => {
      expect(Object.keys(fromInitdb).sort()).toEqual(Object.keys(CLUSTER_CATALOG).sort());
      for (const part of ['functions', 'types', 'operators', 'tables', 'referenceSystems'] as const) {
        expect(fromDump[part], part).toEqual(fromInitdb[part]);
      }
      // PostGIS's functions and reference systems are there, not an empty catalog matching another.
      expect((fromDump.functions[0] as { n: number }).n).toBeGreaterThan(3000);
      expect((fromDump.referenceSystems[0] as { n: number }).n).toBeGreaterThan(8000);
    });
  });
});
