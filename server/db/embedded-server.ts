import fs from 'node:fs';
import { type Extension, PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** How the embedded database is started (server/db/embedded.ts passes it to its thread). */
export interface EmbeddedOptions {
  /** A folder, or `memory://` for a throwaway database. */
  dataDir: string;
  maxConnections: number;
  /** Another PostGIS file bundle than the package's, as a file URL (postgis-bundle.ts). */
  postgisBundle?: string;
  /** PostgreSQL settings for this start (`-c name=value`), after PGlite's own. */
  settings: Record<string, string>;
  /** A cluster dumped by PGlite (.tar.gz) that a new data directory starts from instead of `initdb` (initial-cluster.ts). */
  initialCluster?: string;
}

/** The extensions every embedded database loads (a `CREATE EXTENSION` of migration 1764000000000 each). */
export const EXTENSIONS = { postgis, pg_trgm, unaccent, btree_gist };

/** The database being served, in the thread that runs it. */
export interface ServedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite with PostGIS, pg_trgm, unaccent and btree_gist, persisted in `dataDir`, and serves
 * it on 127.0.0.1 on a free port. PGlite is a single backend: the socket server multiplexes the
 * pool's connections onto it. Runs in the embedded database's own thread (embedded-worker.ts).
 */
export async function serveEmbedded(options: EmbeddedOptions): Promise<ServedDatabase> {
  const { dataDir, maxConnections, postgisBundle, settings, initialCluster } = options;
  if (!dataDir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
  const gis: Extension = postgisBundle
    ? { name: postgis.name, setup: async (pg, opts) => ({ ...(await postgis.setup(pg, opts)), bundlePath: new URL(postgisBundle) }) }
    : postgis;
  const db = await PGlite.create({
    dataDir,
    extensions: { ...EXTENSIONS, postgis: gis },
    startParams: [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])],
    loadDataDir: initialCluster ? new Blob([fs.readFileSync(initialCluster)]) : undefined,
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
  queue: { handlerId: number; message: Uint8Array; resolve: (n: number) => void; reject: (e: unknown) => void; onData: (d: Uint8Array) => void }[];
  processing: boolean;
  lastHandlerId: number | null;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

/** Extended-protocol messages after which the same connection's next message must follow (until Sync). */
const IN_SEQUENCE = new Set([0x50 /* Parse */, 0x42 /* Bind */, 0x44 /* Describe */, 0x45 /* Execute */, 0x43 /* Close */, 0x48 /* Flush */]);
const READY_FOR_QUERY = 0x5a;
const QUERY = 0x51;
const COPY_IN_RESPONSE = 0x47;
const COPY_DONE = 0x63;
const COPY_FAIL = 0x66;
/** CopyInResponse: text format, no column formats (what `pg-copy-streams` waits for before it sends its data). */
const COPY_IN_RESPONSE_MESSAGE = new Uint8Array([COPY_IN_RESPONSE, 0, 0, 0, 7, 0, 0, 0]);
const COPY_FROM_STDIN = /^\s*COPY\s[\s\S]*\bFROM\s+STDIN\b/i;
const PARSE = 0x50;
const PARSE_COMPLETE = new Uint8Array([0x31, 0, 0, 0, 4]);

/** The statement name of a Parse message (a C string after the type byte and the length). */
function statementName(message: Uint8Array): string {
  const end = message.indexOf(0, 5);
  return end > 5 ? Buffer.from(message.subarray(5, end)).toString('utf8') : '';
}
const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);

/**
 * Named statements (`pg`'s `{ name, text }`, see runPrepared in sql.ts) live in the single backend,
 * not in a connection: a second connection preparing the same name got « prepared statement
 * already exists ». The name being a hash of the text, its Parse is answered ParseComplete here.
 *
 * pglite-socket runs the messages of its connections one by one on the single PGlite backend and,
 * outside a transaction, in arrival order whatever the connection: the Parse, Bind, Execute, Sync
 * of two concurrent parameterized queries interleaved, so one connection's Bind replaced the other's
 * unnamed statement ("portal does not exist", "unnamed prepared statement does not exist") and
 * answers could reach the wrong connection (found by `npm run loadtest` on the embedded database:
 * wrong results, acknowledged writes missing). Here a connection that has started an
 * extended-protocol sequence keeps the backend until its Sync, as it already does inside a
 * transaction; and a failing message no longer leaves the queue stopped for good.
 *
 * PGlite also answers an error inside an extended-protocol sequence (the unique violation of an
 * Execute, any Parse in an aborted transaction) with ErrorResponse *and* ReadyForQuery, then a
 * second ReadyForQuery for the Sync. `pg` took the first as the end of the failed query and sent the
 * next one (TypeORM's ROLLBACK), which the second then ended before its own answer came: from then
 * on every query of that connection got the answer of the one before (« Acteur introuvable », null
 * results, QueryRunnerProviderAlreadyReleasedError; found with concurrent requestMembership hitting
 * the membership unique index, test/integration/embedded-concurrency.test.ts). PostgreSQL sends
 * ReadyForQuery only for Sync or a simple Query: the one PGlite adds to another message is dropped.
 *
 * A connection that closes while it holds the backend (mid-sequence or in a transaction) has it
 * released by this same loop: a Sync ends the sequence (PGlite skips everything until one after an
 * error), a ROLLBACK ends the transaction, before any other connection's message runs in it.
 *
 * `COPY … FROM STDIN` (the seed's bulk loads, pg-copy-streams): PGlite cannot resume a copy started
 * in an earlier call (« protocol synchronization was lost »), so the Query, its CopyData and its
 * CopyDone or CopyFail must reach it in one call. The Query is answered here with the CopyInResponse
 * the client waits for before sending its rows, the copy is kept until it ends, then run at once
 * (PGlite's own CopyInResponse dropped from the answer); the same approach as pglite#1028.
 */
function keepProtocolSequencesTogether(q: QueryQueue, db: PGlite): void {
  let midSequence = false;
  /** Named statements prepared on the backend (by any connection). */
  const prepared = new Set<string>();
  /** Connections closed while they might hold the backend. */
  const gone = new Set<number>();
  /** The connection whose message PGlite is running. */
  let inFlight: number | null = null;
  /** Connections in the middle of a `COPY … FROM STDIN`: its messages so far, the Query first. */
  const copies = new Map<number, Uint8Array[]>();
  const run = (message: Uint8Array, onData: (d: Uint8Array) => void) => db.runExclusive(() => db.execProtocolRawStream(message, { onRawData: onData }));
  q.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing) return;
    if (this.queue.length === 0 && !(this.lastHandlerId !== null && gone.has(this.lastHandlerId))) return;
    this.processing = true;
    try {
      for (;;) {
        const last = this.lastHandlerId;
        if (last !== null && gone.has(last)) {
          try {
            if (midSequence) await run(SYNC, () => {});
            if (db.isInTransaction()) await run(simpleQuery('ROLLBACK'), () => {});
          } catch {
            // Nobody is left to tell; the next message meets PGlite in whatever state it failed.
          } finally {
            midSequence = false;
            gone.delete(last);
            this.lastHandlerId = null;
          }
          continue;
        }
        if (this.queue.length === 0) break;
        let item;
        if ((midSequence || db.isInTransaction()) && last !== null) {
          const i = this.queue.findIndex((m) => m.handlerId === last);
          if (i === -1) break; // its next message has not arrived yet: enqueue() calls us again
          item = this.queue.splice(i, 1)[0];
        } else item = this.queue.shift()!;
        const copy = copies.get(item.handlerId);
        if (copy || (item.message[0] === QUERY && COPY_FROM_STDIN.test(queryText(item.message)))) {
          this.lastHandlerId = item.handlerId;
          if (!copy) {
            copies.set(item.handlerId, [item.message]);
            item.onData(COPY_IN_RESPONSE_MESSAGE);
            item.resolve(COPY_IN_RESPONSE_MESSAGE.length);
            continue;
          }
          copy.push(item.message);
          if (item.message[0] !== COPY_DONE && item.message[0] !== COPY_FAIL) {
            item.resolve(0);
            continue;
          }
          copies.delete(item.handlerId);
          item = { ...item, message: Buffer.concat(copy), onData: withoutMessages(item.onData, COPY_IN_RESPONSE) };
        }
        const inSequence = IN_SEQUENCE.has(item.message[0]);
        const forward = inSequence ? withoutMessages(item.onData, READY_FOR_QUERY) : item.onData;
        const name = item.message[0] === PARSE ? statementName(item.message) : '';
        if (name && prepared.has(name)) {
          // Already prepared on the one backend by another connection: the same text (its name is its hash).
          item.onData(PARSE_COMPLETE);
          midSequence = true;
          this.lastHandlerId = item.handlerId;
          item.resolve(PARSE_COMPLETE.length);
          continue;
        }
        let bytes = 0;
        let first: number | undefined;
        inFlight = item.handlerId;
        try {
          await run(item.message, (d: Uint8Array) => {
            if (bytes === 0 && d.length > 0) first = d[0];
            bytes += d.length;
            forward(d);
          });
          if (name && first === PARSE_COMPLETE[0]) prepared.add(name);
        } catch (err) {
          midSequence = false;
          item.reject(err);
          continue;
        } finally {
          inFlight = null;
        }
        midSequence = inSequence;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    // A connection gone in the middle of a sequence or a transaction must not keep the backend,
    // nor leave it in its sequence or transaction: processQueue() releases it (see above).
    if (q.lastHandlerId === handlerId || inFlight === handlerId) gone.add(handlerId);
    copies.delete(handlerId);
    clear(handlerId);
  };
  // pglite-socket's version sent ROLLBACK outside the queue, racing with the message in progress,
  // and without the Sync PGlite waits for after an error: the next connection's query then ran in
  // the aborted transaction (« current transaction is aborted »).
  q.clearTransactionIfNeeded = async () => {
    await q.processQueue();
  };
}

/** A simple-protocol Query message. */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`);
  const msg = Buffer.alloc(5 + text.length);
  msg[0] = 0x51;
  msg.writeInt32BE(4 + text.length, 1);
  text.copy(msg, 5);
  return msg;
}

/** The SQL text of a simple-protocol Query message. */
function queryText(message: Uint8Array): string {
  return Buffer.from(message.subarray(5, Math.min(message.length, 5 + 200))).toString('utf8');
}

/**
 * Passes a message's answer on without its messages of `type` (ReadyForQuery, CopyInResponse),
 * following the message framing (type byte, int32 length including itself) across the chunks PGlite streams.
 */
function withoutMessages(onData: (d: Uint8Array) => void, type: number): (d: Uint8Array) => void {
  const header = new Uint8Array(5);
  let headerLength = 0;
  let remaining = 0;
  let dropping = false;
  return (chunk) => {
    const aligned = headerLength === 0;
    let dropped = false;
    const parts: Uint8Array[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (remaining > 0) {
        const n = Math.min(remaining, chunk.length - i);
        if (dropping) dropped = true;
        else parts.push(chunk.subarray(i, i + n));
        remaining -= n;
        i += n;
        continue;
      }
      const n = Math.min(5 - headerLength, chunk.length - i);
      header.set(chunk.subarray(i, i + n), headerLength);
      headerLength += n;
      i += n;
      if (headerLength < 5) break;
      headerLength = 0;
      dropping = header[0] === type;
      if (dropping) dropped = true;
      else parts.push(header.slice());
      remaining = new DataView(header.buffer).getInt32(1) - 4;
    }
    if (aligned && headerLength === 0 && !dropped) onData(chunk);
    else if (parts.length > 0) onData(Buffer.concat(parts));
  };
}
