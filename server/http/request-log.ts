import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** Probes and static files: no line of their own. */
const unlogged = (url: string | undefined) => url === '/healthz' || url === '/readyz' || url?.startsWith('/assets/') === true;

/** What a request's line says of it: never its query string nor its body (passwords, contacts). */
const requestFields = (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] });

/**
 * One JSON line per request (pino-http): method, path, status, duration; a failed one (5xx) at
 * `error`, the others at `info`. pino-http builds for every request a child logger with the request
 * serialized, whether its line is written or not. Below `info` (`LOG_LEVEL=warn`, as the bench and
 * the load test run the app) only the failures are written: a `finish` hook writes them, with the
 * same fields, and no request pays for the child logger (6 % of the app's CPU on `{ __typename }`,
 * about 3 % on the directory's page, in CPU profiles of 7 December 2026 under 16 clients).
 */
export function requestLog(logger: Logger): RequestHandler {
  if (logger.isLevelEnabled('info')) {
    return pinoHttp({
      logger,
      serializers: { req: requestFields, res: (res: { statusCode: number }) => ({ status: res.statusCode }) },
      autoLogging: { ignore: (req) => unlogged(req.url) },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    });
  }
  return (req, res, next) => {
    const started = Date.now();
    res.once('finish', () => {
      if (res.statusCode < 500 || unlogged(req.url)) return;
      logger.error({ req: requestFields(req), res: { status: res.statusCode }, responseTime: Date.now() - started }, 'request errored');
    });
    next();
  };
}
