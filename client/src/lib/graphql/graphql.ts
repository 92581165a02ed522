import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

/**
 * `graphql()` reads a document against the committed schema (schema.graphql, through the
 * generated graphql-env.d.ts) and types its result and variables: urql calls take them from the
 * document. Fragments are not masked: a document's result holds its fragments' fields.
 */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  disableMasking: true;
  scalars: {
    DateTimeISO: string;
    GeoJSON: GeoJSON.GeoJSON;
  };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';
