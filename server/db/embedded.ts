import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A PGlite + PostGIS database served on a loopback port, so the app reaches it through `pg`. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite with PostGIS, pg_trgm, unaccent and btree_gist, persisted in `dataDir`
 * (`memory://` for a throwaway one), and serves it on 127.0.0.1 on a free port.
 * PGlite is a single backend: the socket server multiplexes the pool's connections onto it.
 */
export async function startEmbeddedDatabase(dataDir: string, maxConnections = 24): Promise<EmbeddedDatabase> {
  if (!dataDir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({
    dataDir,
    extensions: { postgis, pg_trgm, unaccent, btree_gist },
  });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  // After start() the server reports the port the OS gave it, as "host:port".
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres:postgres@${conn}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
