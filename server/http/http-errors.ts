import type { Response } from 'express';
import { AppError } from '../graphql/errors.js';
import { isStatementTimeout, timeoutError } from '../graphql/format-error.js';
import { logger } from '../logger.js';

/**
 * The answer of a plain HTTP route (exports, tiles) that failed before sending anything, shaped
 * like a GraphQL error: a user's mistake (AppError) gets 400 with its French message and
 * `extensions.code`, or the status and headers its `extensions.http` carries (SERVICE_BUSY: 503
 * with Retry-After); a statement stopped by the statement timeout gets 503 TIMEOUT; anything else
 * is logged and gets 500 with `failure`, never a stack trace.
 */
export function sendError(res: Response, err: unknown, failure: string, logMessage: string): void {
  if (isStatementTimeout(err)) err = timeoutError();
  if (err instanceof AppError) {
    const { http, ...extensions } = err.extensions as { http?: { status?: number; headers?: Map<string, string> } };
    for (const [name, value] of http?.headers ?? []) res.setHeader(name, value);
    const status = http?.status ?? (err.code === 'TIMEOUT' ? 503 : 400);
    res.status(status).json({ errors: [{ message: err.message, extensions }] });
    return;
  }
  logger.error({ err }, logMessage);
  res.status(500).json({ errors: [{ message: failure, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
}
