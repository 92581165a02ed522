import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Actor } from '../actors/actor.entity.js';
import { SECTOR_LABELS, type Sector } from '../actors/actor-enums.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { ReasonArg } from '../graphql/fields.js';
import { Theme } from '../themes/theme.entity.js';
import { Territory } from '../territories/territory.entity.js';
import { Coalition, CoalitionConnection } from './coalition.entity.js';
import { COALITION_KIND_LABELS, MEMBERSHIP_ROLE_LABELS, MembershipRole, MembershipStatus } from './coalition-enums.js';
import { Graph } from './coalition-graph.types.js';
import { CoalitionFilter, CreateCoalitionInput, CreatePartnershipInput, MembershipTargetArgs, UpdateCoalitionInput } from './coalition.inputs.js';
import { groupByRole, intersectorality, visibleMemberships } from './coalition-members.js';
import { PartnershipRules, Permissions } from './coalition.permissions.js';
import { PartnershipMachine } from './coalition.transitions.js';
import { Intersectorality, Membership, MembershipEvent, RoleGroup, SectorGroup } from './membership.entity.js';
import { PartnerSuggestion } from './partner-suggestion.types.js';
import { Partnership, PartnershipEvent } from './partnership.entity.js';
import { sourceLabel } from '../vocabulary/sources.js';

async function activeMembers(c: Coalition, { loaders, user }: Context): Promise<Membership[]> {
  const all = await loaders.membershipsByCoalition.load(c.id);
  return visibleMemberships(user ?? null, c, all, [MembershipStatus.ACTIVE]);
}

async function actorsOf(members: Membership[], { loaders }: Context): Promise<Actor[]> {
  const list = await loaders.actor.loadMany(members.map((m) => m.actorId));
  return list.filter((a): a is Actor => !!a && !(a instanceof Error));
}

/** The `statuses` argument of a list of memberships: the active ones when it is absent or empty. */
const StatusesArg = () => Arg('statuses', () => [MembershipStatus], { nullable: true });
const wanted = (statuses: MembershipStatus[] | undefined) => (statuses?.length ? statuses : [MembershipStatus.ACTIVE]);

/** Coalitions: lists, detail with members and intersectorality, the join workflow, the graphs. */
@Resolver(() => Coalition)
export class CoalitionResolver {
  @Query(() => CoalitionConnection, {
    description: 'Coalitions visibles : filtres par territoire (dedans ou le contenant), thèmes, nature ; pagination par curseur',
  })
  coalitions(
    @Arg('filter', () => CoalitionFilter, { nullable: true }) filter: CoalitionFilter | undefined,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Taille de page (0 à 200)' }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { services, user }: Context,
  ): Promise<CoalitionConnection> {
    checkArgs('Query.coalitions', { first });
    return services.coalitions.list(user ?? null, filter, first, after);
  }

  @Query(() => Coalition, { description: 'Une coalition ; introuvable (NOT_FOUND) si elle est réservée à ses membres' })
  coalition(@Arg('id', () => ID) id: string, @Ctx() { services, user }: Context): Promise<Coalition> {
    return services.coalitions.get(user ?? null, id);
  }

  @Query(() => Graph, {
    description: 'Réseau d’un acteur : acteurs joignables par coalitions partagées et partenariats, jusqu’à 3 sauts',
  })
  actorNetwork(
    @Arg('actorId', () => ID) actorId: string,
    @Arg('depth', () => Int, { defaultValue: 2, description: 'Nombre de sauts (1 à 3)' }) depth: number,
    @Arg('includeEnded', () => Boolean, { defaultValue: false, description: 'Inclure coalitions et partenariats terminés' }) includeEnded: boolean,
    @Ctx() { services, user }: Context,
  ): Promise<Graph> {
    checkArgs('Query.actorNetwork', { depth });
    return services.coalitionGraph.actorNetwork(user ?? null, actorId, depth, includeEnded);
  }

  @Query(() => Graph, {
    description:
      'Graphe d’un territoire : acteurs qui le couvrent, coalitions situées dedans ou le contenant, adhésions et partenariats ; ' +
      'degré, centralité d’intermédiarité et composantes connexes',
  })
  coalitionGraph(
    @Arg('scope', () => TerritoryRefInput) scope: TerritoryRefInput,
    @Arg('themes', () => [String], { nullable: true }) themes: string[] | undefined,
    @Arg('includeEnded', () => Boolean, { defaultValue: false }) includeEnded: boolean,
    @Ctx() { services, user }: Context,
  ): Promise<Graph> {
    checkArgs('Query.coalitionGraph', { themes });
    return services.coalitionGraph.coalitionGraph(user ?? null, scope, themes, includeEnded);
  }

  @Query(() => [PartnerSuggestion], {
    description: 'Acteurs qui couvrent le territoire et les thèmes de la coalition sans en être membres, classés, avec les raisons',
  })
  suggestedPartners(
    @Arg('coalitionId', () => ID) coalitionId: string,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() { services, user }: Context,
  ): Promise<PartnerSuggestion[]> {
    checkArgs('Query.suggestedPartners', { first });
    return services.coalitions.suggestedPartners(user ?? null, coalitionId, first);
  }

  @Mutation(() => Coalition, { description: 'Crée une coalition pilotée par un acteur que le compte représente' })
  createCoalition(@Arg('input', () => CreateCoalitionInput) input: CreateCoalitionInput, @Ctx() { services, user }: Context): Promise<Coalition> {
    return services.coalitions.create(user ?? null, input);
  }

  @Mutation(() => Coalition, { description: 'Modifie une coalition (ses coordinateurs) ; CONFLICT si la version a changé' })
  updateCoalition(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('input', () => UpdateCoalitionInput) input: UpdateCoalitionInput,
    @Ctx() { services, user }: Context,
  ): Promise<Coalition> {
    return services.coalitions.update(user ?? null, id, version, input);
  }

  @Mutation(() => Membership, {
    description: 'Demande d’adhésion pour un acteur que le compte représente (immédiate si la coalition est libre)',
  })
  requestMembership(
    @Args(() => MembershipTargetArgs) { coalitionId, actorId, role }: MembershipTargetArgs,
    @Ctx() { services, user }: Context,
  ): Promise<Membership> {
    return services.coalitions.memberships.request(user ?? null, coalitionId, actorId, role);
  }

  @Mutation(() => Membership, { description: 'Un coordinateur invite un acteur' })
  inviteActor(@Args(() => MembershipTargetArgs) { coalitionId, actorId, role }: MembershipTargetArgs, @Ctx() { services, user }: Context): Promise<Membership> {
    return services.coalitions.memberships.invite(user ?? null, coalitionId, actorId, role);
  }

  @Mutation(() => Membership, { description: 'Un coordinateur accepte une demande ; CONFLICT si elle a déjà été traitée' })
  acceptMembership(@Arg('membershipId', () => ID) membershipId: string, @Ctx() { services, user }: Context): Promise<Membership> {
    return services.coalitions.memberships.decide(user ?? null, membershipId, true);
  }

  @Mutation(() => Membership, { description: 'Un coordinateur refuse une demande ; CONFLICT si elle a déjà été traitée' })
  rejectMembership(@Arg('membershipId', () => ID) membershipId: string, @Ctx() { services, user }: Context): Promise<Membership> {
    return services.coalitions.memberships.decide(user ?? null, membershipId, false);
  }

  @Mutation(() => Membership, { description: 'Le représentant de l’acteur invité accepte l’invitation' })
  acceptInvitation(@Arg('membershipId', () => ID) membershipId: string, @Ctx() { services, user }: Context): Promise<Membership> {
    return services.coalitions.memberships.answerInvitation(user ?? null, membershipId, true);
  }

  @Mutation(() => Membership, { description: 'Le représentant de l’acteur invité décline l’invitation' })
  declineInvitation(@Arg('membershipId', () => ID) membershipId: string, @Ctx() { services, user }: Context): Promise<Membership> {
    return services.coalitions.memberships.answerInvitation(user ?? null, membershipId, false);
  }

  @Mutation(() => Membership, {
    description: 'Met fin à une adhésion (ou retire une demande) : l’acteur lui-même ou un coordinateur ; l’historique est conservé',
  })
  leaveCoalition(@Arg('membershipId', () => ID) membershipId: string, @Ctx() { services, user }: Context): Promise<Membership> {
    return services.coalitions.memberships.leave(user ?? null, membershipId);
  }

  @Mutation(() => Partnership, {
    description:
      'Déclare un partenariat direct entre un acteur que le compte représente et un autre : en attente (PENDING) jusqu’à ce que ' +
      'l’autre acteur le confirme ; CONFLICT s’il en existe déjà un de même nature, en attente ou actif, entre ces deux acteurs',
  })
  createPartnership(@Arg('input', () => CreatePartnershipInput) input: CreatePartnershipInput, @Ctx() { services, user }: Context): Promise<Partnership> {
    return services.coalitions.partnerships.create(user ?? null, input);
  }

  @Mutation(() => Partnership, {
    description:
      'Confirme un partenariat en attente : un représentant de l’acteur partenaire, un analyste ARS de la région ou un administrateur, ' +
      'jamais le côté qui l’a déclaré ; CONFLICT s’il n’est plus en attente',
  })
  confirmPartnership(@Arg('id', () => ID) id: string, @Ctx() { services, user }: Context): Promise<Partnership> {
    return services.coalitions.partnerships.confirm(user ?? null, id);
  }

  @Mutation(() => Partnership, { description: 'Refuse un partenariat en attente (mêmes personnes que pour le confirmer), avec un motif facultatif' })
  declinePartnership(@Arg('id', () => ID) id: string, @ReasonArg() reason: string | null, @Ctx() { services, user }: Context): Promise<Partnership> {
    return services.coalitions.partnerships.decline(user ?? null, id, reason);
  }

  @Mutation(() => Partnership, {
    description:
      'Met fin à un partenariat actif, ou retire une déclaration en attente : les représentants de l’un ou l’autre acteur, ' +
      'les analystes ARS de leur région, les administrateurs ; la date de fin est fixée et l’historique conservé',
  })
  endPartnership(@Arg('id', () => ID) id: string, @ReasonArg() reason: string | null, @Ctx() { services, user }: Context): Promise<Partnership> {
    return services.coalitions.partnerships.end(user ?? null, id, reason);
  }

  @Query(() => [Partnership], {
    description: 'Partenariats déclarés par d’autres et en attente de la confirmation du compte connecté (500 au plus, les plus anciens d’abord)',
  })
  partnershipsToConfirm(@Ctx() { services, user }: Context): Promise<Partnership[]> {
    return services.coalitions.partnerships.toConfirm(user ?? null);
  }

  // ---------------------------------------------------------------- fields

  @FieldResolver(() => String, { description: 'Nature, en clair' })
  kindLabel(@Root() c: Coalition): string {
    return COALITION_KIND_LABELS[c.kind] ?? c.kind;
  }

  @FieldResolver(() => String, { nullable: true, description: 'D’où vient l’information, en clair (la source codée est dans `source`)' })
  sourceLabel(@Root() c: Coalition): string | null {
    return sourceLabel(c.source);
  }

  @FieldResolver(() => [Theme])
  async themes(@Root() c: Coalition, @Ctx() { services }: Context): Promise<Theme[]> {
    const t = await services.themes.taxonomy();
    return c.themeCodes.map((code) => t.themeByCode.get(code)).filter((x): x is Theme => !!x);
  }

  @FieldResolver(() => Territory, { nullable: true })
  territory(@Root() c: Coalition, @Ctx() { loaders }: Context): Promise<Territory | null> {
    return loaders.territory.load({ level: c.territoryLevel, code: c.territoryCode });
  }

  @FieldResolver(() => Boolean, { description: 'Vrai si le compte connecté peut gérer la coalition (coordinateur)' })
  viewerCanManage(@Root() c: Coalition, @Ctx() { user }: Context): boolean {
    return Permissions.canManage(user ?? null, c);
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: 'Nombre de membres actifs ; null pour qui voit la coalition sans ses membres (acteur invité ou en attente)',
  })
  async memberCount(@Root() c: Coalition, @Ctx() ctx: Context): Promise<number | null> {
    if (!Permissions.canSeeMembers(ctx.user ?? null, c)) return null;
    return (await activeMembers(c, ctx)).length;
  }

  @FieldResolver(() => [Membership], {
    description:
      'Adhésions (actives par défaut). Les demandes, invitations, refus et départs ne sont visibles que des coordinateurs ' +
      'et des représentants de l’acteur concerné ; un acteur invité ou en attente ne voit que ses propres adhésions',
  })
  async members(@Root() c: Coalition, @StatusesArg() statuses: MembershipStatus[] | undefined, @Ctx() { loaders, user }: Context): Promise<Membership[]> {
    checkArgs('Coalition.members', { statuses });
    const all = await loaders.membershipsByCoalition.load(c.id);
    return visibleMemberships(user ?? null, c, all, wanted(statuses));
  }

  @FieldResolver(() => [RoleGroup], { description: 'Membres actifs par rôle (pilotes d’abord)' })
  async membersByRole(@Root() c: Coalition, @Ctx() ctx: Context): Promise<RoleGroup[]> {
    return groupByRole(await activeMembers(c, ctx)).map((g) => ({ ...g, label: MEMBERSHIP_ROLE_LABELS[g.role] }));
  }

  @FieldResolver(() => [SectorGroup], { description: 'Membres actifs par secteur' })
  async membersBySector(@Root() c: Coalition, @Ctx() ctx: Context): Promise<SectorGroup[]> {
    const actors = await actorsOf(await activeMembers(c, ctx), ctx);
    const by = new Map<Sector, Actor[]>();
    for (const a of actors) by.set(a.sector, [...(by.get(a.sector) ?? []), a]);
    return [...by.entries()]
      .map(([sector, list]) => ({ sector, label: SECTOR_LABELS[sector] ?? sector, actors: list }))
      .sort((a, b) => b.actors.length - a.actors.length || a.label.localeCompare(b.label, 'fr'));
  }

  @FieldResolver(() => Intersectorality, {
    nullable: true,
    description:
      'Secteurs présents et absents parmi les membres actifs : santé, social, éducation, logement, collectivités, État, associations, usagers ; ' +
      'null pour qui voit la coalition sans ses membres',
  })
  async intersectorality(@Root() c: Coalition, @Ctx() ctx: Context): Promise<Intersectorality | null> {
    if (!Permissions.canSeeMembers(ctx.user ?? null, c)) return null;
    return intersectorality(await actorsOf(await activeMembers(c, ctx), ctx));
  }

  @FieldResolver(() => [MembershipEvent], {
    description: 'Historique de toutes les adhésions (coordinateurs, analystes ARS de la région, administrateurs)',
  })
  history(@Root() c: Coalition, @Ctx() { services, user }: Context): Promise<MembershipEvent[]> {
    Permissions.checkManage(user ?? null, c, 'L’historique est réservé aux coordinateurs de la coalition.');
    return services.coalitions.history(c.id, null);
  }
}

/** Who asked, who decided and the history: see `Permissions.seesPeople`. */
async function seesPeople(m: Membership, { loaders, user }: Context): Promise<boolean> {
  const c = await loaders.coalition.load(m.coalitionId);
  return !!c && Permissions.seesPeople(user ?? null, c, m);
}

@Resolver(() => Membership)
export class MembershipResolver {
  @FieldResolver(() => String, { nullable: true, description: 'Nom affiché de qui a demandé ou invité (coordinateurs et représentants de l’acteur)' })
  async requestedByName(@Root() m: Membership, @Ctx() ctx: Context): Promise<string | null> {
    return (await seesPeople(m, ctx)) ? m.requestedByName : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Nom affiché de qui a décidé (coordinateurs et représentants de l’acteur)' })
  async decidedByName(@Root() m: Membership, @Ctx() ctx: Context): Promise<string | null> {
    return (await seesPeople(m, ctx)) ? m.decidedByName : null;
  }

  @FieldResolver(() => Boolean, {
    description:
      'Vrai pour le seul pilote actif de sa coalition : leaveCoalition le refuse (CONFLICT) tant qu’un autre pilote n’est pas actif. ' +
      'Toujours faux pour les autres rôles et statuts',
  })
  async lastPilot(@Root() m: Membership, @Ctx() { loaders }: Context): Promise<boolean> {
    if (m.role !== MembershipRole.PILOTE || m.status !== MembershipStatus.ACTIVE) return false;
    // The rule of leaveCoalition (membership.workflow.ts), read from the coalition's memberships, loaded once per request.
    const all = await loaders.membershipsByCoalition.load(m.coalitionId);
    return !all.some((o) => o.id !== m.id && o.role === MembershipRole.PILOTE && o.status === MembershipStatus.ACTIVE);
  }

  @FieldResolver(() => String, { description: 'Rôle, en clair' })
  roleLabel(@Root() m: Membership): string {
    return MEMBERSHIP_ROLE_LABELS[m.role] ?? m.role;
  }

  @FieldResolver(() => Actor, { nullable: true })
  actor(@Root() m: Membership, @Ctx() { loaders }: Context): Promise<Actor | null> {
    return loaders.actor.load(m.actorId);
  }

  @FieldResolver(() => Coalition, {
    nullable: true,
    description: 'La coalition ; null si elle n’est pas visible du compte, notamment une coalition réservée à ses membres après un refus ou un départ',
  })
  async coalition(@Root() m: Membership, @Ctx() { loaders, user }: Context): Promise<Coalition | null> {
    const c = await loaders.coalition.load(m.coalitionId);
    return c && Permissions.canView(user ?? null, c) ? c : null;
  }

  @FieldResolver(() => [MembershipEvent], {
    nullable: true,
    description:
      'Historique de cet acteur dans cette coalition, départs et retours compris ; null sauf pour les coordinateurs ' +
      '(dont les analystes ARS de la région) et les représentants de l’acteur qui voient encore la coalition',
  })
  async history(@Root() m: Membership, @Ctx() ctx: Context): Promise<MembershipEvent[] | null> {
    if (!(await seesPeople(m, ctx))) return null;
    return ctx.loaders.history.load({ coalitionId: m.coalitionId, actorId: m.actorId });
  }
}

@Resolver(() => Partnership)
export class PartnershipResolver {
  @FieldResolver(() => Actor, { nullable: true, description: 'L’acteur qui a déclaré le partenariat' })
  actorA(@Root() p: Partnership, @Ctx() { loaders }: Context): Promise<Actor | null> {
    return loaders.actor.load(p.actorAId);
  }

  @FieldResolver(() => Actor, { nullable: true, description: 'L’acteur partenaire, qui confirme ou refuse' })
  actorB(@Root() p: Partnership, @Ctx() { loaders }: Context): Promise<Actor | null> {
    return loaders.actor.load(p.actorBId);
  }

  @FieldResolver(() => [PartnershipEvent], {
    nullable: true,
    description:
      'Historique (déclaration, confirmation, refus, fin, avec leurs motifs) ; null sauf pour les deux côtés, les analystes ARS de leur région et les administrateurs',
  })
  history(@Root() p: Partnership, @Ctx() { loaders, user }: Context): Promise<PartnershipEvent[]> | null {
    return PartnershipRules.isInsider(user ?? null, p) ? loaders.partnershipHistory.load(p.id) : null;
  }

  @FieldResolver(() => Boolean, { description: 'Vrai si le compte connecté peut confirmer ou refuser ce partenariat en attente' })
  viewerCanDecide(@Root() p: Partnership, @Ctx() { user }: Context): boolean {
    return PartnershipMachine.allows('CONFIRM', p.status, PartnershipRules.parties(user ?? null, p));
  }

  @FieldResolver(() => Boolean, { description: 'Vrai si le compte connecté peut y mettre fin (ou retirer la déclaration)' })
  viewerCanEnd(@Root() p: Partnership, @Ctx() { user }: Context): boolean {
    return PartnershipMachine.allows('END', p.status, PartnershipRules.parties(user ?? null, p));
  }
}

/** The coalition side of an actor: its coalitions and its partnerships. */
@Resolver(() => Actor)
export class ActorPartnershipResolver {
  @FieldResolver(() => [Membership], {
    description:
      'Adhésions de l’acteur (actives par défaut) aux coalitions que le compte peut voir ; les autres états ne sont visibles ' +
      'que des coordinateurs de la coalition et des représentants de l’acteur',
  })
  async coalitionMemberships(
    @Root() a: Actor,
    @StatusesArg() statuses: MembershipStatus[] | undefined,
    @Ctx() { loaders, user }: Context,
  ): Promise<Membership[]> {
    checkArgs('Actor.coalitionMemberships', { statuses });
    const all = await loaders.membershipsByActor.load(a.id);
    const coalitions = await loaders.coalition.loadMany(all.map((m) => m.coalitionId));
    return all.filter((m, i) => {
      const c = coalitions[i];
      if (!c || c instanceof Error) return false;
      return visibleMemberships(user ?? null, c, [m], wanted(statuses)).length > 0;
    });
  }

  @FieldResolver(() => [Partnership], {
    description:
      'Partenariats directs de l’acteur : confirmés (actifs ou terminés) pour tous ; les deux côtés, les analystes ARS de leur région ' +
      'et les administrateurs voient aussi ceux en attente, refusés ou retirés, avec leur état',
  })
  async partnerships(@Root() a: Actor, @Ctx() { loaders, user }: Context): Promise<Partnership[]> {
    return (await loaders.partnershipsByActor.load(a.id)).filter((p) => PartnershipRules.canSee(user ?? null, p));
  }
}
