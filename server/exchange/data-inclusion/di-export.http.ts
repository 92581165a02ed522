import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { actorExportRoute } from '../../actors/actor-export.http.js';
import type { ImportServices } from '../../actors/actor-import.js';
import { type DiFile, writeDataInclusion } from './di-export.js';

/**
 * GET /export/data-inclusion/structures.json?filter=<JSON ActorFilter> and …/services.json: the
 * actors of a search as data·inclusion v1 records, streamed batch by batch. The filter is read as
 * for /export/acteurs.* (actorExportRoute).
 */
export const dataInclusionRoute = (schema: GraphQLSchema, ds: DataSource, services: ImportServices, file: DiFile): RequestHandler =>
  actorExportRoute(
    schema,
    { type: 'application/json; charset=utf-8', name: (day) => `data-inclusion-${file}-${day}.json` },
    (filter, write) => writeDataInclusion(ds, services, filter, file, write),
    'Erreur interne : l’export data·inclusion n’a pas pu être produit.',
  );
