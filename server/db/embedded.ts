import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EmbeddedOptions } from './embedded-server.js';
import type { ThreadAnswer, ThreadRequest } from './embedded-worker.js';
import { logger } from '../logger.js';

/** A PGlite + PostGIS database served on a loopback port, so the app reaches it through `pg`. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite with PostGIS, pg_trgm, unaccent and btree_gist, persisted in `dataDir`
 * (`memory://` for a throwaway one), and serves it on 127.0.0.1 on a free port
 * (embedded-server.ts), in the embedded databases' thread (embedded-worker.ts).
 *
 * PGlite runs PostgreSQL in WebAssembly on the thread that created it. On the app's thread, the
 * database's work and the app's (GraphQL, JSON, HTTP) took turns on one core whatever the machine
 * had; here they run side by side, as with a native PostgreSQL. A start overlaps too: PGlite
 * compiles its modules and reads its files while the app loads its own.
 * `postgisBundle`: another PostGIS file bundle than the package's (the tests' copies of a database
 * that already has the extension load a smaller one, postgis-bundle.ts).
 * `settings`: PostgreSQL settings for this start (`-c name=value`), after PGlite's own.
 * `initialCluster`: the dump a new data directory starts from instead of `initdb` (initial-cluster.ts).
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  maxConnections = 24,
  postgisBundle?: URL,
  settings: Record<string, string> = {},
  initialCluster?: string,
): Promise<EmbeddedDatabase> {
  const options: EmbeddedOptions = { dataDir, maxConnections, postgisBundle: postgisBundle?.href, settings, initialCluster };
  const thread = await databaseThread();
  const id = ++thread.databases;
  thread.open.add(id);
  thread.worker.ref();
  let url: string;
  try {
    url = (await thread.ask({ type: 'start', id, options })).url!;
  } catch (err) {
    thread.closed(id);
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= thread.ask({ type: 'stop', id }).then(
        () => thread.closed(id),
        (err: unknown) => {
          thread.closed(id);
          throw err;
        },
      );
      return stopped;
    },
  };
}

/** The thread that runs this process's embedded databases, and the requests on their way to it. */
interface DatabaseThread {
  worker: Worker;
  /** Databases started so far (their ids). */
  databases: number;
  /** Those not stopped yet: while there is one, the thread keeps the process alive. */
  open: Set<number>;
  ask(request: ThreadRequestWithoutSeq): Promise<ThreadAnswer>;
  closed(id: number): void;
}
type ThreadRequestWithoutSeq = ThreadRequest extends infer R ? (R extends ThreadRequest ? Omit<R, 'seq'> : never) : never;

let thread: Promise<DatabaseThread> | undefined;

/**
 * Starts this process's database thread ahead of its first database: main.ts calls it before
 * loading the rest of its modules, and the thread loads PGlite's in the meantime.
 */
export function startDatabaseThread(): void {
  databaseThread().catch(() => {}); // the first database gets the error
}

/** This process's database thread, started at its first database. */
function databaseThread(): Promise<DatabaseThread> {
  thread ??= (async () => {
    const worker = new Worker(await workerFile(), { execArgv: [] });
    const waiting = new Map<number, { resolve: (a: ThreadAnswer) => void; reject: (e: Error) => void }>();
    let seq = 0;
    const self: DatabaseThread = {
      worker,
      databases: 0,
      open: new Set(),
      ask(request) {
        return new Promise<ThreadAnswer>((resolve, reject) => {
          waiting.set(++seq, {
            resolve: (answer) => (answer.error ? reject(threadError(answer.error)) : resolve(answer)),
            reject,
          });
          worker.postMessage({ ...request, seq });
        });
      },
      closed(id) {
        self.open.delete(id);
        if (self.open.size === 0) worker.unref();
      },
    };
    worker.on('message', (answer: ThreadAnswer) => {
      waiting.get(answer.seq)?.resolve(answer);
      waiting.delete(answer.seq);
    });
    const lost = (err: Error) => {
      thread = undefined; // the next database starts a new thread
      if (self.open.size > 0) logger.error({ err, databases: self.open.size }, 'embedded database thread ended: its databases are lost');
      for (const { reject } of waiting.values()) reject(err);
      waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`le fil de la base embarquée s'est arrêté (code ${code})`)));
    worker.unref();
    return self;
  })();
  thread.catch(() => (thread = undefined));
  return thread;
}

/**
 * The thread's code, compiled: dist/ once built; where the app runs from its TypeScript sources
 * (`npm run dev`, the tests), the worker's two files compiled once by SWC, as the build does, into
 * node_modules/.cache. Not through SWC's loader in the thread: registered in every new thread of a
 * process, it brought the test processes down (« Worker exited unexpectedly » at their third
 * database). No loader flags of the app's either (`npm run dev` runs with SWC's: `execArgv: []`).
 */
async function workerFile(): Promise<URL> {
  return import.meta.url.endsWith('.ts') ? compiledFromSources() : new URL('./embedded-worker.js', import.meta.url);
}

const WORKER_SOURCES = ['embedded-worker.ts', 'embedded-server.ts'];
let compiling: Promise<URL> | undefined;

/** The worker's files compiled from their sources, under a name that is the hash of those sources. */
function compiledFromSources(): Promise<URL> {
  compiling ??= (async () => {
    const sources = WORKER_SOURCES.map((file) => fileURLToPath(new URL(file, import.meta.url)));
    const texts = sources.map((file) => fs.readFileSync(file, 'utf8'));
    const key = createHash('sha256').update(texts.join('\0')).digest('hex').slice(0, 16);
    const dir = fileURLToPath(new URL(`../../node_modules/.cache/repertoire-embedded-worker/${key}`, import.meta.url));
    if (!fs.existsSync(path.join(dir, 'embedded-worker.js'))) {
      const { transform } = await import('@swc-node/core');
      const { readDefaultTsConfig, tsCompilerOptionsToSwcConfig } = await import('@swc-node/register/read-default-tsconfig');
      const options = readDefaultTsConfig(fileURLToPath(new URL('../../tsconfig.build.json', import.meta.url)));
      // Written aside, then moved into place: two test processes may compile at once.
      const scratch = `${dir}-${process.pid}-${Date.now()}`;
      fs.mkdirSync(scratch, { recursive: true });
      for (const [i, file] of sources.entries()) {
        const { code } = await transform(texts[i], file, tsCompilerOptionsToSwcConfig(options, file));
        fs.writeFileSync(path.join(scratch, WORKER_SOURCES[i].replace(/\.ts$/, '.js')), code);
      }
      try {
        fs.renameSync(scratch, dir);
      } catch {
        fs.rmSync(scratch, { recursive: true, force: true }); // the other one was first: same files
      }
    }
    return pathToFileURL(path.join(dir, 'embedded-worker.js'));
  })();
  return compiling;
}

function threadError(error: { message: string; stack?: string } | undefined): Error {
  const err = new Error(error?.message ?? 'la base embarquée n’a pas démarré');
  if (error?.stack) err.stack = error.stack;
  return err;
}
