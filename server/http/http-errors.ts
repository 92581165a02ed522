import type { Response } from 'express';
import { AppError } from '../graphql/errors.js';
import { logger } from '../logger.js';

/**
 * The answer of a plain HTTP route (exports, tiles) that failed before sending anything, shaped
 * like a GraphQL error: a user's mistake (AppError) gets 400 with its French message and
 * `extensions.code`; anything else is logged and gets 500 with `failure`, never a stack trace.
 */
export function sendError(res: Response, err: unknown, failure: string, logMessage: string): void {
  if (err instanceof AppError) {
    res.status(400).json({ errors: [{ message: err.message, extensions: err.extensions }] });
    return;
  }
  logger.error({ err }, logMessage);
  res.status(500).json({ errors: [{ message: failure, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
}
