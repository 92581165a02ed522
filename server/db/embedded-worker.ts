import { parentPort } from 'node:worker_threads';
import { type EmbeddedOptions, type ServedDatabase, serveEmbedded } from './embedded-server.js';

/** What embedded.ts asks this thread: start a database (answered with its URL), or stop one. */
export type ThreadRequest = { seq: number; id: number } & ({ type: 'start'; options: EmbeddedOptions } | { type: 'stop' });
/** The answer to the request `seq`. */
export interface ThreadAnswer {
  seq: number;
  url?: string;
  error?: { message: string; stack?: string };
}

/**
 * The embedded databases' thread (started by embedded.ts, one per process): serves each database
 * it is asked to start on a loopback port, and stops it when asked. One thread for all the
 * databases a process opens in turn (the test files of a test process): PGlite's code is loaded
 * and its WebAssembly compiled and optimised once, not once per database.
 */
const port = parentPort!;
const served = new Map<number, ServedDatabase>();

port.on('message', (request: ThreadRequest) => {
  const answer = (a: Omit<ThreadAnswer, 'seq'>) => port.postMessage({ seq: request.seq, ...a } satisfies ThreadAnswer);
  if (request.type === 'start') {
    serveEmbedded(request.options).then(
      (db) => {
        served.set(request.id, db);
        answer({ url: db.url });
      },
      (err: unknown) => answer({ error: describe(err) }),
    );
  } else {
    const db = served.get(request.id);
    served.delete(request.id);
    (db ? db.stop() : Promise.resolve()).then(
      () => answer({}),
      (err: unknown) => answer({ error: describe(err) }),
    );
  }
});

function describe(err: unknown): { message: string; stack?: string } {
  return err instanceof Error ? { message: err.message, stack: err.stack } : { message: String(err) };
}
