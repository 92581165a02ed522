import { parentPort, workerData } from 'node:worker_threads';
import { type EmbeddedOptions, serveEmbedded } from './embedded-server.js';

/**
 * The embedded database's thread (started by embedded.ts): serves PGlite on a loopback port, says
 * where (`{ url }`, or `{ error }` when it could not start), and stops when asked (`'stop'`,
 * answered `{ stopped }`, then the thread ends).
 */
const port = parentPort!;
try {
  const served = await serveEmbedded(workerData as EmbeddedOptions);
  port.on('message', (message) => {
    if (message !== 'stop') return;
    served.stop().then(
      () => port.postMessage({ stopped: true }),
      (err: unknown) => port.postMessage({ stopped: true, error: describe(err) }),
    );
  });
  port.postMessage({ url: served.url });
} catch (err) {
  port.postMessage({ error: describe(err) });
}

function describe(err: unknown): { message: string; stack?: string } {
  return err instanceof Error ? { message: err.message, stack: err.stack } : { message: String(err) };
}
