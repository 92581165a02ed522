import { Field, Float, ID, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { Sector } from '../actors/actor-enums.js';
import { CoalitionKind, GraphEdgeKind, GraphNodeKind, MembershipRole, PartnershipKind, PartnershipStatus } from './coalition-enums.js';

@ObjectType({ description: 'Nœud d’un graphe : un acteur ou une coalition' })
export class GraphNode {
  @Field(() => ID, { description: 'Identifiant de l’acteur ou de la coalition' }) id: string;
  @Field(() => GraphNodeKind) kind: GraphNodeKind;
  @Field(() => String) label: string;
  @Field(() => Sector, { nullable: true, description: 'Secteur (acteurs)' }) sector: Sector | null;
  @Field(() => CoalitionKind, { nullable: true, description: 'Nature (coalitions)' }) coalitionKind: CoalitionKind | null;
  @Field(() => Int, { nullable: true, description: 'Distance en sauts depuis l’acteur de départ (actorNetwork)' }) depth: number | null;
  @Field(() => Int, { description: 'Degré : nombre de voisins dans le graphe' }) degree: number;
  @Field(() => Float, { nullable: true, description: 'Centralité d’intermédiarité normalisée (0 à 1 ; coalitionGraph)' }) betweenness: number | null;

  @Field(() => Int, { nullable: true, description: 'Indice de sa composante connexe dans « components » ; null pour un nœud sans lien' })
  component: number | null;

  @Field(() => Boolean, { description: 'Vrai pour un acteur sans aucun lien' }) isolated: boolean;
}

@ObjectType({ description: 'Lien d’un graphe' })
export class GraphEdge {
  @Field(() => ID) source: string;
  @Field(() => ID) target: string;
  @Field(() => GraphEdgeKind) kind: GraphEdgeKind;
  @Field(() => MembershipRole, { nullable: true, description: 'Rôle de l’acteur (adhésions)' }) role: MembershipRole | null;
  @Field(() => PartnershipKind, { nullable: true, description: 'Nature du partenariat' }) partnershipKind: PartnershipKind | null;

  @Field(() => PartnershipStatus, {
    nullable: true,
    description: 'État du partenariat : ACTIVE pour tous ; PENDING seulement pour ses deux côtés, les analystes de leur région et les administrateurs',
  })
  partnershipStatus: PartnershipStatus | null;
}

@ObjectType({ description: 'Composante connexe du graphe' })
export class GraphComponent {
  @Field(() => Int) index: number;
  @Field(() => Int, { description: 'Nombre d’acteurs' }) actorCount: number;
  @Field(() => Int, { description: 'Nombre de coalitions' }) coalitionCount: number;
}

@ObjectType({ description: 'Graphe d’acteurs et de coalitions, prêt à dessiner' })
export class Graph {
  @Field(() => [GraphNode]) nodes: GraphNode[];
  @Field(() => [GraphEdge]) edges: GraphEdge[];
  @Field(() => [GraphComponent], { description: 'Composantes connexes d’au moins deux nœuds, la plus grande d’abord' }) components: GraphComponent[];
  @Field(() => Int, { description: 'Nombre d’acteurs isolés (sans aucun lien)' }) isolatedActorCount: number;
  @Field(() => Boolean, { description: 'Vrai si le graphe a été tronqué (trop de nœuds)' }) truncated: boolean;
}
