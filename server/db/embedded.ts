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
  keepProtocolSequencesTogether((server as unknown as { queryQueue: QueryQueue }).queryQueue, db);
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

/** The part of pglite-socket 0.2.11's (unexported) query queue that the fix below replaces. */
interface QueryQueue {
  queue: { handlerId: number; message: Uint8Array; resolve(n: number): void; reject(e: unknown): void; onData(d: Uint8Array): void }[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Extended-protocol messages after which the same connection's next message must follow (until Sync). */
const IN_SEQUENCE = new Set([0x50 /* Parse */, 0x42 /* Bind */, 0x44 /* Describe */, 0x45 /* Execute */, 0x43 /* Close */, 0x48 /* Flush */]);

/**
 * pglite-socket runs the messages of its connections one by one on the single PGlite backend and,
 * outside a transaction, in arrival order whatever the connection: the Parse, Bind, Execute, Sync
 * of two concurrent parameterized queries interleaved, so one connection's Bind replaced the other's
 * unnamed statement ("portal does not exist", "unnamed prepared statement does not exist") and
 * answers could reach the wrong connection (found by `npm run loadtest` on the embedded database:
 * wrong results, acknowledged writes missing). Here a connection that has started an
 * extended-protocol sequence keeps the backend until its Sync, as it already does inside a
 * transaction; and a failing message no longer leaves the queue stopped for good.
 */
function keepProtocolSequencesTogether(q: QueryQueue, db: PGlite): void {
  let midSequence = false;
  q.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        let item;
        if ((midSequence || db.isInTransaction()) && this.lastHandlerId !== null) {
          const i = this.queue.findIndex((m) => m.handlerId === this.lastHandlerId);
          if (i === -1) break; // its next message has not arrived yet: enqueue() calls us again
          item = this.queue.splice(i, 1)[0];
        } else item = this.queue.shift()!;
        let bytes = 0;
        try {
          await db.runExclusive(() =>
            db.execProtocolRawStream(item.message, {
              onRawData: (d: Uint8Array) => {
                bytes += d.length;
                item.onData(d);
              },
            }),
          );
        } catch (err) {
          midSequence = false;
          item.reject(err);
          continue;
        }
        midSequence = IN_SEQUENCE.has(item.message[0]);
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    // A connection gone in the middle of a sequence must not keep the backend.
    if (q.lastHandlerId === handlerId) midSequence = false;
    clear(handlerId);
  };
}
