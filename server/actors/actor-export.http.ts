import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { type FilterParam, parseFilterParam } from '../http/filter-params.js';
import { sendDownload } from '../http/download.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { ExportFormat, writeExport } from './actor-export.js';
import type { ImportServices } from './actor-import.js';
import { ActorFilter, NearInput } from './actor.inputs.js';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  CSV: 'text/csv; charset=utf-8',
  GEOJSON: 'application/geo+json; charset=utf-8',
};

/** The `filter` parameter: a JSON ActorFilter, read as the GraphQL argument would be. */
export const ACTOR_FILTER: FilterParam<ActorFilter> = {
  type: 'ActorFilter',
  create: () => new ActorFilter(),
  nested: { territory: TerritoryRefInput, near: NearInput },
  example: '{"coversCommune":"55545"}',
};

/**
 * GET /export/acteurs.csv?filter=<JSON ActorFilter> and /export/acteurs.geojson?filter=…: the
 * actors of a search as a file, streamed batch by batch. A bad filter gets 400 with a French
 * message (GraphQL-shaped JSON), before anything is sent.
 */
export function exportRoute(schema: GraphQLSchema, ds: DataSource, services: ImportServices, format: ExportFormat): RequestHandler {
  return async (req, res) => {
    const stamp = new Date().toISOString().slice(0, 10);
    const file = { type: CONTENT_TYPES[format], name: () => `acteurs-${stamp}.${format === ExportFormat.CSV ? 'csv' : 'geojson'}` };
    await sendDownload(
      res,
      file,
      async (write) => {
        const filter = await parseFilterParam(schema, ACTOR_FILTER, req.query.filter);
        await writeExport(ds, services, filter, format, write);
      },
      'Erreur interne : l’export n’a pas pu être produit.',
    );
  };
}
