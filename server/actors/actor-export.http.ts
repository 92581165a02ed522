import { once } from 'node:events';
import type { RequestHandler } from 'express';
import { Kind, parse } from 'graphql';
import type { DataSource } from 'typeorm';
import { sendError } from '../http/http-errors.js';
import { logger } from '../logger.js';
import { ExportFormat, parseFilterParam, writeExport } from './actor-export.js';
import type { ImportServices } from './actor-import.js';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  CSV: 'text/csv; charset=utf-8',
  GEOJSON: 'application/geo+json; charset=utf-8',
};

/**
 * GET /export/acteurs.csv?filter=<JSON ActorFilter> and /export/acteurs.geojson?filter=…: the
 * actors of a search as a file, streamed batch by batch. A bad filter gets 400 with a French
 * message (GraphQL-shaped JSON), before anything is sent.
 */
export function exportRoute(ds: DataSource, services: ImportServices, format: ExportFormat): RequestHandler {
  return async (req, res) => {
    let started = false;
    try {
      const filter = await parseFilterParam(req.query.filter);
      const stamp = new Date().toISOString().slice(0, 10);
      await writeExport(ds, services, filter, format, async (chunk) => {
        if (!started) {
          started = true;
          res.status(200);
          res.setHeader('Content-Type', CONTENT_TYPES[format]);
          res.setHeader('Content-Disposition', `attachment; filename="acteurs-${stamp}.${format === ExportFormat.CSV ? 'csv' : 'geojson'}"`);
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
      sendError(res, err, 'Erreur interne : l’export n’a pas pu être produit.', 'export impossible');
    }
  };
}

/** Body size of an ordinary GraphQL request, and of an import of actors (its file travels in the body). */
export const GRAPHQL_BODY_LIMIT = 1024 * 1024;
export const IMPORT_BODY_LIMIT = 12 * 1024 * 1024;

/** Whether a GraphQL document only runs the importActors mutation (the one request allowed a large body). */
export function isImportOnly(query: unknown): boolean {
  if (typeof query !== 'string' || query.length > 20_000) return false;
  try {
    const doc = parse(query, { maxTokens: 2000 });
    const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    return (
      ops.length > 0 &&
      doc.definitions.length === ops.length &&
      ops.every(
        (op) =>
          op.operation === 'mutation' &&
          op.selectionSet.selections.length > 0 &&
          op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value === 'importActors'),
      )
    );
  } catch {
    return false;
  }
}

/**
 * After a JSON body parsed with the import limit: a body over the ordinary limit is refused
 * (413, PAYLOAD_TOO_LARGE) unless it is an import of actors.
 */
export const limitBodyUnlessImport: RequestHandler = (req, res, next) => {
  const size = (req as { bodyBytes?: number }).bodyBytes ?? 0;
  if (size > GRAPHQL_BODY_LIMIT && !isImportOnly((req.body as { query?: unknown } | undefined)?.query)) {
    res.status(413).json({
      errors: [{ message: 'Requête trop volumineuse (1 Mo au plus ; 12 Mo pour un import d’acteurs).', extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    });
    return;
  }
  next();
};
