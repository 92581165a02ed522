import { once } from 'node:events';
import type { RequestHandler } from 'express';
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
