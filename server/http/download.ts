import { once } from 'node:events';
import type { Response } from 'express';
import { logger } from '../logger.js';
import { sendError } from './http-errors.js';

/** What a download route sends: its Content-Type, and its file name once the first chunk is ready. */
export interface DownloadFile {
  type: string;
  /** Asked for when the first chunk is written (a name may depend on what the first read found). */
  name: () => string;
}

/**
 * Sends a file that `produce` writes chunk by chunk (an export streamed batch by batch). The status
 * and headers go with the first chunk: an error before it (bad filter, too many rows) gets the
 * JSON error of sendError (400 with a French message…); an error after it cuts the connection,
 * so that a truncated file is never taken for a whole one.
 */
export async function sendDownload(
  res: Response,
  file: DownloadFile,
  produce: (write: (chunk: string | Uint8Array) => Promise<void>) => Promise<void>,
  failure: string,
): Promise<void> {
  let started = false;
  try {
    await produce(async (chunk) => {
      if (!started) {
        started = true;
        res.status(200);
        res.setHeader('Content-Type', file.type);
        res.setHeader('Content-Disposition', `attachment; filename="${file.name()}"`);
        res.setHeader('Cache-Control', 'no-store');
      }
      if (!res.write(chunk)) await once(res, 'drain');
    });
    res.end();
  } catch (err) {
    if (started) {
      logger.error({ err }, 'export interrompu');
      res.destroy();
      return;
    }
    sendError(res, err, failure, 'export impossible');
  }
}
