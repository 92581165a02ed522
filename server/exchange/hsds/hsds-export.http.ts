import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { actorExportRoute } from '../../actors/actor-export.http.js';
import type { ImportServices } from '../../actors/actor-import.js';
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
 * (actorExportRoute).
 */
export const hsdsRoute = (schema: GraphQLSchema, ds: DataSource, services: ImportServices, form: HsdsForm): RequestHandler =>
  actorExportRoute(
    schema,
    { type: FILES[form].type, name: (day) => `${FILES[form].name}-${day}.${form}` },
    (filter, write) => {
      const batches = hsdsBatches(ds, services, filter);
      return form === 'json' ? writeHsdsJson(batches, write) : writeHsdsZip(batches, write);
    },
    'Erreur interne : l’export HSDS n’a pas pu être produit.',
  );
