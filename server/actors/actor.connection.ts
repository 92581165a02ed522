import { Field, Float, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { ConnectionOf, EdgeOf } from '../graphql/pagination.js';
import { Territory } from '../territories/territory.entity.js';
import { Actor } from './actor.entity.js';
import { ActorFacets } from './actor.inputs.js';

@ObjectType()
export class ActorEdge extends EdgeOf(Actor) {
  @Field(() => Float, { nullable: true, description: 'Distance au point du filtre « near », ou dans l’ordre PROXIMITY au centre de la commune, en km' })
  distanceKm: number | null;
}

@ObjectType({ description: 'Page de résultats (pagination Relay), avec le total et les facettes du filtre' })
export class ActorConnection extends ConnectionOf(ActorEdge, 'Nombre total d’acteurs pour ce filtre') {
  @Field(() => ActorFacets) facets: ActorFacets;
}

@ObjectType({ description: 'Communes couvertes par un acteur (page)' })
export class CoveredCommunes {
  @Field(() => Int) totalCount: number;
  @Field(() => [Territory]) nodes: Territory[];
}
