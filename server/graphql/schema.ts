import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { ActorResolver } from '../actors/actor.resolver.js';
import { ThemeResolver } from '../themes/theme.resolver.js';
import { TerritoryResolver } from '../territories/territory.resolver.js';

/** The whole GraphQL schema, built from the resolvers of every domain. */
export function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [TerritoryResolver, ThemeResolver, ActorResolver],
    validate: true,
  });
}
