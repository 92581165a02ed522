import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EmbeddedOptions } from './embedded-server.js';
import { logger } from '../logger.js';

/** A PGlite + PostGIS database served on a loopback port, so the app reaches it through `pg`. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite with PostGIS, pg_trgm, unaccent and btree_gist, persisted in `dataDir`
 * (`memory://` for a throwaway one), and serves it on 127.0.0.1 on a free port
 * (embedded-server.ts), in a thread of its own.
 *
 * PGlite runs PostgreSQL in WebAssembly on the thread that created it. On the app's thread, the
 * database's work and the app's (GraphQL, JSON, HTTP) took turns on one core whatever the machine
 * had; here they run side by side, as with a native PostgreSQL. A start overlaps too: PGlite
 * compiles its modules and reads its files while the app loads its own.
 * `postgisBundle`: another PostGIS file bundle than the package's (the tests' copies of a database
 * that already has the extension load a smaller one, postgis-bundle.ts).
 * `settings`: PostgreSQL settings for this start (`-c name=value`), after PGlite's own.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  maxConnections = 24,
  postgisBundle?: URL,
  settings: Record<string, string> = {},
): Promise<EmbeddedDatabase> {
  const options: EmbeddedOptions = { dataDir, maxConnections, postgisBundle: postgisBundle?.href, settings };
  const worker = await databaseThread(options);
  let stopping = false;
  const started = new Promise<string>((resolve, reject) => {
    worker.once('message', (message: { url?: string; error?: { message: string; stack?: string } }) => {
      if (message.url) resolve(message.url);
      else reject(threadError(message.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`la base embarquée s'est arrêtée au démarrage (code ${code})`)));
  });
  let url: string;
  try {
    url = await started;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  worker.removeAllListeners('exit');
  worker.on('error', (err) => logger.error({ err }, 'embedded database thread failed'));
  worker.on('exit', (code) => {
    if (!stopping) logger.error({ code }, 'embedded database thread ended: the app has lost its database');
  });
  return {
    url,
    async stop() {
      if (stopping) return;
      stopping = true;
      const answer = new Promise<{ error?: { message: string } }>((resolve) => {
        worker.on('message', (message: { stopped?: boolean; error?: { message: string } }) => {
          if (message.stopped) resolve(message);
        });
        worker.once('exit', () => resolve({}));
      });
      worker.postMessage('stop');
      const { error } = await answer;
      await worker.terminate();
      if (error) throw threadError(error);
    },
  };
}

/**
 * The thread, on the compiled worker: dist/ once built; where the app runs from its TypeScript
 * sources (`npm run dev`, the tests), the worker's two files compiled once by SWC, as the build
 * does, into node_modules/.cache. Not through SWC's loader in the thread: registered in every new
 * thread of a process, it brought the test processes down (« Worker exited unexpectedly » at their
 * third database).
 */
async function databaseThread(workerData: EmbeddedOptions): Promise<Worker> {
  const compiled = import.meta.url.endsWith('.ts') ? await compiledFromSources() : new URL('./embedded-worker.js', import.meta.url);
  // No loader flags of the app's (`npm run dev` runs with SWC's): the thread runs compiled JavaScript.
  return new Worker(compiled, { workerData, execArgv: [] });
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
