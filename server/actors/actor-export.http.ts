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
const ACTOR_FILTER: FilterParam<ActorFilter> = {
  type: 'ActorFilter',
  create: () => new ActorFilter(),
  nested: { territory: TerritoryRefInput, near: NearInput },
  example: '{"coversCommune":"55545"}',
};

/** Writes the file of an export of the actors of `filter`. */
type Produce = (filter: ActorFilter, write: (chunk: string | Uint8Array) => Promise<void>) => Promise<unknown>;

/**
 * A download route of the actors of a search (this export, data·inclusion's, HSDS'): the `filter`
 * parameter read as ACTOR_FILTER (a bad one gets 400 with a French message, GraphQL-shaped JSON,
 * before anything is sent), the file named by `name` with the day's date (YYYY-MM-DD).
 */
export function actorExportRoute(
  schema: GraphQLSchema,
  file: { type: string; name: (day: string) => string },
  produce: Produce,
  failure: string,
): RequestHandler {
  return async (req, res) => {
    const day = new Date().toISOString().slice(0, 10);
    await sendDownload(
      res,
      { type: file.type, name: () => file.name(day) },
      async (write) => {
        await produce(await parseFilterParam(schema, ACTOR_FILTER, req.query.filter), write);
      },
      failure,
    );
  };
}

/**
 * GET /export/acteurs.csv?filter=<JSON ActorFilter> and /export/acteurs.geojson?filter=…: the
 * actors of a search as a file, streamed batch by batch.
 */
export const exportRoute = (schema: GraphQLSchema, ds: DataSource, services: ImportServices, format: ExportFormat): RequestHandler =>
  actorExportRoute(
    schema,
    { type: CONTENT_TYPES[format], name: (day) => `acteurs-${day}.${format === ExportFormat.CSV ? 'csv' : 'geojson'}` },
    (filter, write) => writeExport(ds, services, filter, format, write),
    'Erreur interne : l’export n’a pas pu être produit.',
  );
