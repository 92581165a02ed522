import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../server/db/embedded.js';
import { EXTENSIONS } from '../../server/db/embedded-server.js';
import { CLUSTER_EXTENSIONS, clusterDumpPath, initialCluster, installedPackages, readClusterManifest } from '../../server/db/initial-cluster.js';

/**
 * A new embedded data directory starts from the cluster dumped in seeds/data/cluster
 * (server/db/initial-cluster.ts) rather than from `initdb` and the extensions' scripts. Every test
 * of the embedded run already works on a database made that way (the run's template,
 * test/setup/template-database.ts). These tests hold the dump to what it replaces: made for the
 * packages installed, and the same catalog as a cluster that `initdb` and `CREATE EXTENSION` make
 * there and then. Embedded run only: the dump is PGlite's, and the native run has no use for it.
 */
const embedded = inject('backend') === 'pglite';

/** What a cluster is made of, as its catalog says (every function, type, operator and extension; PostGIS's reference systems). */
const CATALOG = {
  server: `SELECT current_setting('server_version') AS version, pg_encoding_to_char(encoding) AS encoding, datcollate, datctype
           FROM pg_database WHERE datname = current_database()`,
  extensions: `SELECT extname, extversion FROM pg_extension ORDER BY extname`,
  functions: `SELECT count(*)::int AS n, md5(string_agg(p.oid::regprocedure::text || ' ' || md5(coalesce(p.prosrc, '')) || ' ' || p.provolatile::text, ',' ORDER BY p.oid::regprocedure::text)) AS h
              FROM pg_proc p`,
  types: `SELECT count(*)::int AS n, md5(string_agg(t.oid::regtype::text, ',' ORDER BY t.oid::regtype::text)) AS h FROM pg_type t`,
  operators: `SELECT count(*)::int AS n, md5(string_agg(o.oid::regoperator::text, ',' ORDER BY o.oid::regoperator::text)) AS h FROM pg_operator o`,
  tables: `SELECT count(*)::int AS n, md5(string_agg(c.oid::regclass::text || ':' || c.relkind::text, ',' ORDER BY c.oid::regclass::text)) AS h
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`,
  referenceSystems: `SELECT count(*)::int AS n, md5(string_agg(srid || auth_name || auth_srid || srtext || proj4text, ',' ORDER BY srid)) AS h FROM spatial_ref_sys`,
};

async function catalogOf(url: string): Promise<Record<string, unknown[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(CATALOG)) out[name] = (await client.query(sql)).rows;
    return out;
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
    expect(readClusterManifest(), 'seeds/data/cluster/manifest.json : npm run prepare:cluster').toEqual({
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

  describe('compared with initdb and CREATE EXTENSION, run now', () => {
    let fromDump: Record<string, unknown[]>;
    let fromInitdb: Record<string, unknown[]>;
    beforeAll(async () => {
      const dumped = await startEmbeddedDatabase('memory://', 4, undefined, {}, clusterDumpPath());
      started.push(dumped);
      fromDump = await catalogOf(dumped.url);
      const made = await startEmbeddedDatabase('memory://', 4);
      started.push(made);
      const client = new pg.Client({ connectionString: made.url });
      await client.connect();
      try {
        for (const name of CLUSTER_EXTENSIONS) await client.query(`CREATE EXTENSION IF NOT EXISTS ${name}`);
      } finally {
        await client.end();
      }
      fromInitdb = await catalogOf(made.url);
    });

    it('should hold the same extensions, at the same versions', () => {
      expect(fromDump.extensions).toEqual(fromInitdb.extensions);
      expect(fromDump.extensions.map((e) => (e as { extname: string }).extname).sort()).toEqual(['plpgsql', ...CLUSTER_EXTENSIONS].sort());
    });

    it('should have the same server, encoding and collation', () => {
      expect(fromDump.server).toEqual(fromInitdb.server);
    });

    it('should have the same functions, types, operators, relations and reference systems', () => {
      for (const part of ['functions', 'types', 'operators', 'tables', 'referenceSystems'] as const) {
        expect(fromDump[part], part).toEqual(fromInitdb[part]);
      }
      // PostGIS's functions and reference systems are there, not an empty catalog matching another.
      expect((fromDump.functions[0] as { n: number }).n).toBeGreaterThan(3000);
      expect((fromDump.referenceSystems[0] as { n: number }).n).toBeGreaterThan(8000);
    });
  });
});
