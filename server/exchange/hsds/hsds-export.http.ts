import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { ACTOR_FILTER } from '../../actors/actor-export.http.js';
import type { ImportServices } from '../../actors/actor-import.js';
import { sendDownload } from '../../http/download.js';
import { parseFilterParam } from '../../http/filter-params.js';
import { hsdsBatches, writeHsdsJson, writeHsdsZip } from './hsds-export.js';

/** The two forms of the HSDS export. */
export type HsdsForm = 'json' | 'zip';

const FILES: Record<HsdsForm, { type: string; name: string }> = {
  json: { type: 'application/json; charset=utf-8', name: 'hsds-organizations' },
  zip: { type: 'application/zip', name: 'hsds' },
};

/**
 * GET /export/hsds/organizations.json?filter=<JSON ActorFilter> (organizations with their services,
 * locations… nested) and /export/hsds/hsds.zip (the Tabular Data Package): the actors of a search
 * as Open Referral HSDS 3.0, streamed batch by batch. The filter is read as for /export/acteurs.*
 * (a bad one gets 400 with a French message before anything is sent).
 */
export function hsdsRoute(schema: GraphQLSchema, ds: DataSource, services: ImportServices, form: HsdsForm): RequestHandler {
  return async (req, res) => {
    const stamp = new Date().toISOString().slice(0, 10);
    await sendDownload(
      res,
      { type: FILES[form].type, name: () => `${FILES[form].name}-${stamp}.${form}` },
      async (write) => {
        const filter = await parseFilterParam(schema, ACTOR_FILTER, req.query.filter);
        const batches = hsdsBatches(ds, services, filter);
        await (form === 'json' ? writeHsdsJson(batches, write) : writeHsdsZip(batches, write));
      },
      'Erreur interne : l’export HSDS n’a pas pu être produit.',
    );
  };
}
