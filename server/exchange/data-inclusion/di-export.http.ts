import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { ACTOR_FILTER } from '../../actors/actor-export.http.js';
import type { ImportServices } from '../../actors/actor-import.js';
import { sendDownload } from '../../http/download.js';
import { parseFilterParam } from '../../http/filter-params.js';
import { type DiFile, writeDataInclusion } from './di-export.js';

/**
 * GET /export/data-inclusion/structures.json?filter=<JSON ActorFilter> and …/services.json: the
 * actors of a search as data·inclusion v1 records, streamed batch by batch. The filter is read as
 * for /export/acteurs.* (a bad one gets 400 with a French message before anything is sent).
 */
export function dataInclusionRoute(schema: GraphQLSchema, ds: DataSource, services: ImportServices, file: DiFile): RequestHandler {
  return async (req, res) => {
    const stamp = new Date().toISOString().slice(0, 10);
    await sendDownload(
      res,
      { type: 'application/json; charset=utf-8', name: () => `data-inclusion-${file}-${stamp}.json` },
      async (write) => {
        const filter = await parseFilterParam(schema, ACTOR_FILTER, req.query.filter);
        await writeDataInclusion(ds, services, filter, file, write);
      },
      'Erreur interne : l’export data·inclusion n’a pas pu être produit.',
    );
  };
}
