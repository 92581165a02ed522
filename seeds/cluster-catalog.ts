/**
 * What a cluster is made of, as its catalog says: the server's version, encoding and collation,
 * every extension, function, type, operator and relation, and PostGIS's reference systems (a count
 * and a hash for each large part). `npm run prepare:cluster` records it for the `initdb` cluster it
 * dumps (seeds/data/cluster/manifest.json); test/integration/initial-cluster.test.ts reads it again
 * from a database started on the dump.
 */
export const CLUSTER_CATALOG = {
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

export type ClusterCatalog = Record<keyof typeof CLUSTER_CATALOG, Record<string, unknown>[]>;

/** The catalog of the database `query` reaches. */
export async function clusterCatalog(query: (sql: string) => Promise<Record<string, unknown>[]>): Promise<ClusterCatalog> {
  const out: Partial<ClusterCatalog> = {};
  for (const [name, sql] of Object.entries(CLUSTER_CATALOG)) out[name as keyof ClusterCatalog] = await query(sql);
  return out as ClusterCatalog;
}
