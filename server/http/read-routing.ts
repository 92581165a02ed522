import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { Kind, OperationTypeNode, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { DataSource } from 'typeorm';
import { readFromReplicas, replicasOf, withReadRoute } from '../db/replicas.js';

/**
 * The root fields of a query a read replica may answer (DATABASE_REPLICA_URL, server/db/replicas.ts):
 * searches, gap analyses, coverage, territories and vocabularies, which tolerate a replica's lag
 * of a few milliseconds. The rest stays on the primary: one actor's record, the signed-in user's
 * own lists (sessions, claims, notifications, coalitions, moderation queues), what a user reads
 * right after changing it. A query naming any other root field runs on the primary entirely;
 * mutations always do.
 */
export const REPLICA_QUERY_FIELDS: ReadonlySet<string> = new Set([
  '__typename',
  'actors',
  'exportActors',
  'gaps',
  'coverage',
  'themeMatrix',
  'compareCoverage',
  'territorialDiagnostic',
  'territory',
  'territoryAt',
  'searchTerritories',
  'themes',
  'audiences',
  'actorKinds',
  'sectors',
  'vocabulary',
]);

/** Whether every root field of `selections` (fragments followed) is one a replica may answer. */
function onlyReplicaFields(selections: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): boolean {
  return selections.selections.every((s) => {
    if (s.kind === Kind.FIELD) return REPLICA_QUERY_FIELDS.has(s.name.value);
    if (s.kind === Kind.INLINE_FRAGMENT) return onlyReplicaFields(s.selectionSet, document, seen);
    const name = s.name.value;
    if (seen.has(name)) return true;
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && onlyReplicaFields(fragment.selectionSet, document, seen);
  });
}

/**
 * Declares a GraphQL request a replica read once its operation is known: a query whose root fields
 * are all in REPLICA_QUERY_FIELDS. The session was read before (context), on the primary.
 */
const replicaReads: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, document }) {
        if (operation?.operation === OperationTypeNode.QUERY && onlyReplicaFields(operation.selectionSet, document)) readFromReplicas();
      },
    };
  },
};

/** Express: the rest of the request has its own read route, on the primary until declared a replica read. */
const readRoute: RequestHandler = (_req, _res, next) => withReadRoute(() => next());

/** Express: the rest of the request (an export, a tile) reads from a replica. */
const replicaRoute: RequestHandler = (_req, _res, next) => withReadRoute(() => next(), true);

const passThrough: RequestHandler = (_req, _res, next) => next();

/**
 * The read routing of an app on `ds`: `readRoute` before Apollo's middleware with the
 * `replicaReads` plugin, `replicaRoute` before an export or a tile. Without replicas they do
 * nothing: no per-request route (an AsyncLocalStorage in use costs CPU at every promise on Node 20).
 */
export function readRouting(ds: DataSource): { readRoute: RequestHandler; replicaRoute: RequestHandler; replicaReads: ApolloServerPlugin } {
  return replicasOf(ds).length > 0 ? { readRoute, replicaRoute, replicaReads } : { readRoute: passThrough, replicaRoute: passThrough, replicaReads: {} };
}
