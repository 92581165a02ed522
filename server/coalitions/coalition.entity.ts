import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Actor } from '../actors/actor.entity.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import {
  CoalitionKind,
  CoalitionVisibility,
  GraphEdgeKind,
  GraphNodeKind,
  JoinPolicy,
  MembershipRole,
  MembershipStatus,
  PartnershipKind,
  PartnershipStatus,
  SectorCategory,
  SuggestionReasonKind,
} from './coalition-enums.js';
import { Sector } from '../actors/actor-enums.js';

/**
 * A coalition of actors on a territory: thematic coalition, CLS, CLSM, ASV, cooperative,
 * partnership convention or regional alliance. Members-only coalitions are invisible to anyone
 * who is neither a member nor an ARS analyst or an admin.
 */
@ObjectType({ description: 'Coalition d’acteurs : coalition thématique, CLS, CLSM, ASV, coopérative, convention, alliance régionale' })
export class Coalition {
  @Field(() => ID)
  id: string;

  @Field(() => String, { description: 'Nom' })
  name: string;

  @Field(() => CoalitionKind)
  kind: CoalitionKind;

  @Field(() => [String], { description: 'Codes des thèmes' })
  themeCodes: string[];

  @Field(() => TerritoryLevel, { description: 'Niveau du territoire de la coalition' })
  territoryLevel: TerritoryLevel;

  @Field(() => String, { description: 'Code officiel du territoire de la coalition' })
  territoryCode: string;

  regionCode: string | null;

  @Field(() => String, { nullable: true, description: 'Début (AAAA-MM-JJ)' })
  startDate: string | null;

  @Field(() => String, { nullable: true, description: 'Fin (AAAA-MM-JJ) ; vide si elle court toujours' })
  endDate: string | null;

  @Field(() => Boolean, { description: 'Vrai si la période de la coalition est terminée' })
  ended: boolean;

  @Field(() => String, { nullable: true })
  description: string | null;

  @Field(() => CoalitionVisibility)
  visibility: CoalitionVisibility;

  @Field(() => JoinPolicy)
  joinPolicy: JoinPolicy;

  @Field(() => Boolean, { description: 'Vrai pour une coalition fictive de démonstration' })
  isDemo: boolean;

  @Field(() => String, { nullable: true, description: 'Source de l’information' })
  source: string | null;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date)
  updatedAt: Date;

  @Field(() => Int, { description: 'Version, à renvoyer lors d’une modification (concurrence optimiste)' })
  version: number;
}

export const COALITION_COLUMNS = `c.id, c.name, c.kind, c.themes, c.territory_level, c.territory_code, c.region_code,
  to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
  (c.end_date IS NOT NULL AND c.end_date < current_date) AS ended, c.description, c.visibility, c.join_policy,
  c.is_demo, c.source, c.created_at, c.updated_at, c.version`;

export function toCoalition(r: any): Coalition {
  return Object.assign(new Coalition(), {
    id: r.id,
    name: r.name,
    kind: r.kind,
    themeCodes: r.themes ?? [],
    territoryLevel: r.territory_level,
    territoryCode: r.territory_code,
    regionCode: r.region_code,
    startDate: r.start_date,
    endDate: r.end_date,
    ended: r.ended,
    description: r.description,
    visibility: r.visibility,
    joinPolicy: r.join_policy,
    isDemo: r.is_demo,
    source: r.source,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    version: r.version,
  });
}

/** An actor's place in a coalition: role and status, who asked and who decided, when. */
@ObjectType({ description: 'Adhésion d’un acteur à une coalition' })
export class Membership {
  @Field(() => ID)
  id: string;

  @Field(() => ID, { description: 'Identifiant de la coalition (toujours donné, même quand « coalition » est null)' })
  coalitionId: string;

  actorId: string;

  @Field(() => MembershipRole)
  role: MembershipRole;

  @Field(() => MembershipStatus)
  status: MembershipStatus;

  @Field(() => Date, { description: 'Date de la demande ou de l’invitation' })
  requestedAt: Date;

  @Field(() => Date, { nullable: true, description: 'Date de la décision (acceptation, refus)' })
  decidedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Date du départ' })
  endedAt: Date | null;

  requestedBy: string | null;
  decidedBy: string | null;
  /** Display names (never emails) of who asked and who decided; the resolver shows them to coordinators and to the actor. */
  requestedByName: string | null;
  decidedByName: string | null;
}

export const MEMBERSHIP_COLUMNS = `m.id, m.coalition_id, m.actor_id, m.role, m.status, m.requested_at, m.decided_at, m.ended_at,
  m.requested_by, m.decided_by,
  (SELECT u.display_name FROM user_account u WHERE u.id = m.requested_by) AS requested_by_name,
  (SELECT u.display_name FROM user_account u WHERE u.id = m.decided_by) AS decided_by_name`;

export function toMembership(r: any): Membership {
  return Object.assign(new Membership(), {
    id: r.id,
    coalitionId: r.coalition_id,
    actorId: r.actor_id,
    role: r.role,
    status: r.status,
    requestedAt: new Date(r.requested_at),
    decidedAt: r.decided_at ? new Date(r.decided_at) : null,
    endedAt: r.ended_at ? new Date(r.ended_at) : null,
    requestedBy: r.requested_by,
    decidedBy: r.decided_by,
    requestedByName: r.requested_by_name ?? null,
    decidedByName: r.decided_by_name ?? null,
  });
}

/** One change of a membership, kept forever (leaving and re-joining adds, never rewrites). */
@ObjectType({ description: 'Changement d’une adhésion (historique)' })
export class MembershipEvent {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  membershipId: string;

  @Field(() => ID)
  actorId: string;

  @Field(() => MembershipStatus, { nullable: true, description: 'État avant le changement' })
  fromStatus: MembershipStatus | null;

  @Field(() => MembershipStatus, { description: 'État après le changement' })
  toStatus: MembershipStatus;

  @Field(() => MembershipRole)
  role: MembershipRole;

  @Field(() => String, { nullable: true, description: 'Nom affiché de la personne qui a fait le changement (jamais son courriel)' })
  byName: string | null;

  @Field(() => Date)
  at: Date;
}

/**
 * A direct partnership between two actors (a signed convention…). `actorA` is the declaring side;
 * it is public only once `actorB`'s side has confirmed it (see `PartnershipRules`).
 */
@ObjectType({ description: 'Partenariat direct entre deux acteurs (convention signée…), déclaré par l’un, confirmé par l’autre' })
export class Partnership {
  @Field(() => ID)
  id: string;

  actorAId: string;
  actorBId: string;

  @Field(() => PartnershipKind)
  kind: PartnershipKind;

  @Field(() => PartnershipStatus)
  status: PartnershipStatus;

  @Field(() => String, { nullable: true, description: 'Intitulé' })
  title: string | null;

  @Field(() => String, { nullable: true, description: 'Début (AAAA-MM-JJ)' })
  startDate: string | null;

  @Field(() => String, { nullable: true, description: 'Fin (AAAA-MM-JJ)' })
  endDate: string | null;

  @Field(() => Boolean, { description: 'Vrai si le partenariat est terminé (fin passée ou état ENDED)' })
  ended: boolean;

  @Field(() => Date, { description: 'Date de la déclaration' })
  declaredAt: Date;

  @Field(() => Date, { nullable: true, description: 'Date de la confirmation par l’autre acteur' })
  confirmedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'Date à laquelle il a été terminé ou refusé' })
  endedAt: Date | null;

  createdBy: string | null;
  /** Régions where either actor works (coverage_area), for the ARS analysts' rights. */
  regionCodes: string[];
}

export const PARTNERSHIP_COLUMNS = `p.id, p.actor_a, p.actor_b, p.kind, p.status, p.title,
  to_char(p.start_date, 'YYYY-MM-DD') AS start_date, to_char(p.end_date, 'YYYY-MM-DD') AS end_date,
  (p.status = 'ENDED' OR (p.end_date IS NOT NULL AND p.end_date < current_date)) AS ended,
  p.created_at, p.confirmed_at, p.ended_at, p.created_by,
  ARRAY(SELECT DISTINCT ca.code FROM coverage_area ca WHERE ca.level = 'REGION' AND ca.actor_id IN (p.actor_a, p.actor_b)) AS region_codes`;

export function toPartnership(r: any): Partnership {
  return Object.assign(new Partnership(), {
    id: r.id,
    actorAId: r.actor_a,
    actorBId: r.actor_b,
    kind: r.kind,
    status: r.status,
    title: r.title,
    startDate: r.start_date,
    endDate: r.end_date,
    ended: r.ended,
    declaredAt: new Date(r.created_at),
    confirmedAt: r.confirmed_at ? new Date(r.confirmed_at) : null,
    endedAt: r.ended_at ? new Date(r.ended_at) : null,
    createdBy: r.created_by ?? null,
    regionCodes: r.region_codes ?? [],
  });
}

/** One change of a partnership, kept forever: who, when, from which status to which, and why. */
@ObjectType({ description: 'Changement d’un partenariat (historique)' })
export class PartnershipEvent {
  @Field(() => ID)
  id: string;

  @Field(() => PartnershipStatus, { nullable: true, description: 'État avant le changement (vide pour la déclaration)' })
  fromStatus: PartnershipStatus | null;

  @Field(() => PartnershipStatus, { description: 'État après le changement' })
  toStatus: PartnershipStatus;

  @Field(() => String, { nullable: true, description: 'Motif donné' })
  reason: string | null;

  @Field(() => String, { nullable: true, description: 'Nom affiché de la personne qui a fait le changement (jamais son courriel)' })
  byName: string | null;

  @Field(() => Date)
  at: Date;
}

@ObjectType({ description: 'Membres d’une coalition ayant un même rôle' })
export class RoleGroup {
  @Field(() => MembershipRole)
  role: MembershipRole;

  @Field(() => String)
  label: string;

  @Field(() => [Membership])
  members: Membership[];
}

@ObjectType({ description: 'Membres d’une coalition d’un même secteur' })
export class SectorGroup {
  @Field(() => Sector)
  sector: Sector;

  @Field(() => String)
  label: string;

  @Field(() => [Actor])
  actors: Actor[];
}

@ObjectType({ description: 'Un secteur de l’intersectorialité, avec les membres qui l’apportent' })
export class SectorPresence {
  @Field(() => SectorCategory)
  category: SectorCategory;

  @Field(() => String)
  label: string;

  @Field(() => Int, { description: 'Nombre de membres actifs qui l’apportent' })
  count: number;
}

@ObjectType({ description: 'Intersectorialité : secteurs présents et absents parmi les membres actifs' })
export class Intersectorality {
  @Field(() => [SectorPresence], { description: 'Secteurs présents' })
  present: SectorPresence[];

  @Field(() => [SectorPresence], { description: 'Secteurs absents' })
  missing: SectorPresence[];

  @Field(() => Float, { description: 'Part des 8 secteurs présents (0 à 1)' })
  ratio: number;
}

@ObjectType()
export class CoalitionEdge {
  @Field(() => String)
  cursor: string;

  @Field(() => Coalition)
  node: Coalition;
}

@ObjectType()
export class CoalitionPageInfo {
  @Field(() => Boolean)
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ObjectType({ description: 'Une page de coalitions' })
export class CoalitionConnection {
  @Field(() => [CoalitionEdge])
  edges: CoalitionEdge[];

  @Field(() => CoalitionPageInfo)
  pageInfo: CoalitionPageInfo;

  @Field(() => Int)
  totalCount: number;
}

@ObjectType({ description: 'Nœud d’un graphe : un acteur ou une coalition' })
export class GraphNode {
  @Field(() => ID, { description: 'Identifiant de l’acteur ou de la coalition' })
  id: string;

  @Field(() => GraphNodeKind)
  kind: GraphNodeKind;

  @Field(() => String)
  label: string;

  @Field(() => Sector, { nullable: true, description: 'Secteur (acteurs)' })
  sector: Sector | null;

  @Field(() => CoalitionKind, { nullable: true, description: 'Nature (coalitions)' })
  coalitionKind: CoalitionKind | null;

  @Field(() => Int, { nullable: true, description: 'Distance en sauts depuis l’acteur de départ (actorNetwork)' })
  depth: number | null;

  @Field(() => Int, { description: 'Degré : nombre de voisins dans le graphe' })
  degree: number;

  @Field(() => Float, { nullable: true, description: 'Centralité d’intermédiarité normalisée (0 à 1 ; coalitionGraph)' })
  betweenness: number | null;

  @Field(() => Int, { nullable: true, description: 'Indice de sa composante connexe dans « components » ; null pour un nœud sans lien' })
  component: number | null;

  @Field(() => Boolean, { description: 'Vrai pour un acteur sans aucun lien' })
  isolated: boolean;
}

@ObjectType({ description: 'Lien d’un graphe' })
export class GraphEdge {
  @Field(() => ID)
  source: string;

  @Field(() => ID)
  target: string;

  @Field(() => GraphEdgeKind)
  kind: GraphEdgeKind;

  @Field(() => MembershipRole, { nullable: true, description: 'Rôle de l’acteur (adhésions)' })
  role: MembershipRole | null;

  @Field(() => PartnershipKind, { nullable: true, description: 'Nature du partenariat' })
  partnershipKind: PartnershipKind | null;

  @Field(() => PartnershipStatus, {
    nullable: true,
    description: 'État du partenariat : ACTIVE pour tous ; PENDING seulement pour ses deux côtés, les analystes de leur région et les administrateurs',
  })
  partnershipStatus: PartnershipStatus | null;
}

@ObjectType({ description: 'Composante connexe du graphe' })
export class GraphComponent {
  @Field(() => Int)
  index: number;

  @Field(() => Int, { description: 'Nombre d’acteurs' })
  actorCount: number;

  @Field(() => Int, { description: 'Nombre de coalitions' })
  coalitionCount: number;
}

@ObjectType({ description: 'Graphe d’acteurs et de coalitions, prêt à dessiner' })
export class Graph {
  @Field(() => [GraphNode])
  nodes: GraphNode[];

  @Field(() => [GraphEdge])
  edges: GraphEdge[];

  @Field(() => [GraphComponent], { description: 'Composantes connexes d’au moins deux nœuds, la plus grande d’abord' })
  components: GraphComponent[];

  @Field(() => Int, { description: 'Nombre d’acteurs isolés (sans aucun lien)' })
  isolatedActorCount: number;

  @Field(() => Boolean, { description: 'Vrai si le graphe a été tronqué (trop de nœuds)' })
  truncated: boolean;
}

@ObjectType({ description: 'Raison d’une suggestion' })
export class SuggestionReason {
  @Field(() => SuggestionReasonKind)
  kind: SuggestionReasonKind;

  @Field(() => String, { description: 'En clair, par exemple « couvre 12 des 30 communes »' })
  label: string;
}

@ObjectType({ description: 'Partenaire suggéré pour une coalition' })
export class PartnerSuggestion {
  @Field(() => Actor)
  actor: Actor;

  @Field(() => Float, { description: 'Score (plus haut = plus pertinent)' })
  score: number;

  @Field(() => Int, { description: 'Communes du territoire de la coalition couvertes par l’acteur' })
  coveredCommunes: number;

  @Field(() => Int, { description: 'Communes du territoire de la coalition' })
  communeCount: number;

  @Field(() => [String], { description: 'Thèmes en commun' })
  sharedThemes: string[];

  @Field(() => [SectorCategory], { description: 'Secteurs absents de la coalition que l’acteur apporterait' })
  missingSectors: SectorCategory[];

  @Field(() => [SuggestionReason])
  reasons: SuggestionReason[];
}
