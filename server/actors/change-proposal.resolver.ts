import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { UserRole } from '../auth/auth.types.js';
import type { Context } from '../graphql/context.js';
import { CommentArg, RefusalArg, ReviewedVersionArg } from '../graphql/fields.js';
import { selects } from '../graphql/selection.js';
import { LEVEL_LABELS } from '../territories/territory-level.js';
import { RegionPageArgs, regionPage, viewerPasses } from './actor-moderation.resolver.js';
import { Actor } from './actor.entity.js';
import { ActorChangeInput } from './actor.inputs.js';
import { ActorChangeProposal, ActorChangeProposalConnection, PROPOSABLE, type ProposableField, ProposalRepository, ProposedChange } from './change-proposal.js';
import { OpeningSchedule, openingSchedule } from './opening-hours.js';

/**
 * « Proposer une modification » (change-proposal.service.ts) and what the actor page shows of
 * opening hours. Who decides is ActorPermissions.canReview, as for the moderation queue.
 */
@Resolver(() => ActorChangeProposal)
export class ChangeProposalResolver {
  @Mutation(() => ActorChangeProposal, {
    description:
      'Propose une modification d’un acteur (tout visiteur, connecté ou non) : elle ne change rien à la fiche et attend qu’un analyste ARS ' +
      'd’une région où il agit ou un administrateur l’accepte ou la refuse. Limité par adresse (visiteur) ou par compte : TOO_MANY_ATTEMPTS au-delà',
  })
  proposeActorChange(
    @Arg('actorId', () => ID) actorId: string,
    @Arg('changes', () => ActorChangeInput, { description: 'Les champs à changer (null efface un champ)' }) changes: ActorChangeInput,
    @Arg('message', () => String, { nullable: true, description: 'Message aux modérateurs (2 000 caractères au plus)' }) message: string | null,
    @Arg('contactEmail', () => String, { nullable: true, description: 'Courriel de l’auteur pour être recontacté, vu des seuls modérateurs' })
    contactEmail: string | null,
    @Ctx() { services, user, client }: Context,
  ): Promise<ActorChangeProposal> {
    return services.proposals.propose(actorId, changes, message, contactEmail, user, client);
  }

  @Mutation(() => ActorChangeProposal, {
    description:
      'Accepte une proposition en attente : ses changements sont enregistrés comme par updateActor (mêmes contrôles, couverture recalculée). ' +
      'Réservé aux analystes ARS d’une région où l’acteur agit et aux administrateurs ; CONFLICT si elle n’est plus en attente',
  })
  acceptActorChangeProposal(
    @Arg('id', () => ID) id: string,
    @ReviewedVersionArg() version: number | null,
    @CommentArg() reason: string | null,
    @Ctx() { services, user }: Context,
  ): Promise<ActorChangeProposal> {
    return services.proposals.accept(id, version ?? null, reason, user);
  }

  @Mutation(() => ActorChangeProposal, {
    description: 'Refuse une proposition en attente (raison obligatoire) : la fiche ne change pas. Mêmes droits que pour l’accepter',
  })
  rejectActorChangeProposal(@Arg('id', () => ID) id: string, @RefusalArg() reason: string, @Ctx() { services, user }: Context): Promise<ActorChangeProposal> {
    return services.proposals.reject(id, reason, user);
  }

  @Query(() => ActorChangeProposalConnection, {
    description:
      'Propositions de modification en attente, les plus anciennes d’abord : un analyste ARS lit celles des acteurs qui agissent dans sa ' +
      'région (FORBIDDEN pour une autre), un administrateur toutes ou celles d’une région ; FORBIDDEN pour les autres comptes',
  })
  async actorChangeProposals(
    @Args(() => RegionPageArgs) args: RegionPageArgs,
    @Ctx() context: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ActorChangeProposalConnection> {
    const page = await regionPage(context, 'Query.actorChangeProposals', args, 'La liste des propositions de modification');
    return ProposalRepository.pendingPage(context.ds, { ...page, wantsTotal: selects(info, 'totalCount') });
  }

  @FieldResolver(() => [ProposedChange], { description: 'Les champs proposés, valeur actuelle et valeur proposée en clair' })
  async changes(@Root() p: ActorChangeProposal, @Ctx() { services, loaders }: Context): Promise<ProposedChange[]> {
    const taxonomy = await services.themes.taxonomy();
    const audiences = (codes: string[]) => codes.map((c) => taxonomy.audienceByCode.get(c)?.label ?? c).join(', ') || null;
    const territories = async (refs: { level: keyof typeof LEVEL_LABELS; code: string }[]) => {
      const found = await loaders.territory.loadMany(refs);
      return (
        refs
          .map((t, i) => (found[i] && !(found[i] instanceof Error) ? `${(found[i] as { name: string }).name} (${LEVEL_LABELS[t.level]})` : t.code))
          .join(', ') || null
      );
    };
    const out: ProposedChange[] = [];
    for (const field of Object.keys(p.values) as ProposableField[]) {
      let current: string | null;
      let proposed: string | null;
      if (field === 'audiences') {
        current = audiences(p.actor.audienceCodes);
        proposed = audiences(p.values.audiences ?? []);
      } else if (field === 'territories') {
        current = await territories((await loaders.actorTerritories.load(p.actor.id)).map((t) => ({ level: t.level, code: t.code })));
        proposed = await territories(p.values.territories ?? []);
      } else {
        current = p.actor[field];
        proposed = p.values[field] ?? null;
      }
      out.push({ field, label: PROPOSABLE[field], current, proposed });
    }
    return out;
  }
}

@Resolver(() => Actor)
export class ActorPageResolver {
  @FieldResolver(() => OpeningSchedule, {
    nullable: true,
    description: 'Horaires d’ouverture en clair (semaine en cours, ouvert maintenant) ; null sans horaires',
  })
  openingSchedule(@Root() a: Actor): OpeningSchedule | null {
    if (!a.openingHours) return null;
    return openingSchedule(a.openingHours, a.lon !== null && a.lat !== null ? { lon: a.lon, lat: a.lat } : null);
  }

  @FieldResolver(() => [ActorChangeProposal], {
    nullable: true,
    description:
      'Propositions de modification en attente, les plus anciennes d’abord : visibles des analystes ARS d’une région où il agit et des ' +
      'administrateurs (ceux qui les acceptent) ; null pour les autres',
  })
  async changeProposals(@Root() a: Actor, @Ctx() context: Context): Promise<ActorChangeProposal[] | null> {
    const { user } = context;
    const mayAny = !!user && (user.role === UserRole.ADMIN || user.role === UserRole.ANALYST);
    if (!(await viewerPasses(context, a.id, mayAny, 'canReview'))) return null;
    return context.loaders.actorChangeProposals.load(a.id);
  }
}
