import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { badInput } from '../graphql/errors.js';
import { selects } from '../graphql/selection.js';
import { ReviewStatus } from './actor-enums.js';
import { Actor } from './actor.entity.js';
import { ActorPermissions } from './actor.permissions.js';
import { ActorsToVerify, readActorsToVerify } from './actors-to-verify.js';
import { readReviewQueue, ReviewQueue } from './review-queue.js';

/** The région an analyst's list covers (ActorPermissions.analystListRegion), checked against the COG. */
export async function listRegion({ user, services }: Context, asked: string | null, list?: string): Promise<string | null> {
  const scope = ActorPermissions.analystListRegion(user, asked, list);
  if (scope && !(await services.territories.knownKeys()).has(`REGION:${scope}`)) {
    throw badInput(`Région inconnue dans le COG 2026 : ${scope.slice(0, 12)}`, 'region');
  }
  return scope;
}

/**
 * The page an analyst's list reads (the moderation queue, the records to verify, the possible
 * duplicates…), once allowed: its size checked against the caps of `field` (cost.ts), then who may
 * read it and the région (listRegion; `list` names the list in a refusal).
 */
export async function regionPage(
  context: Context,
  field: Parameters<typeof checkArgs>[0],
  { region, first, after }: RegionPageArgs,
  list?: string,
): Promise<{ region: string | null; first: number; after: string | null }> {
  checkArgs(field, { first });
  return { region: await listRegion(context, region, list), first, after };
}

/** The ActorPermissions checks made on an actor as stored (its id and reach). */
type ScopeCheck = 'canEdit' | 'canReview' | 'canConfirm' | 'canSeeReviewHistory';

/**
 * Whether the viewer passes `check` on an actor, for a field: `mayAny`, asked without the actor,
 * answers first for most viewers; only then is the actor's reach read, through the request's loader.
 */
export async function viewerPasses({ user, loaders }: Context, actorId: string, mayAny: boolean, check: ScopeCheck): Promise<boolean> {
  return mayAny && ActorPermissions[check](user, { id: actorId, reach: await loaders.actorReach.load(actorId) });
}

/** The arguments of an analyst's list (the moderation queue, the records to verify): a région and a page. */
@ArgsType()
export class RegionPageArgs {
  @Field(() => String, { nullable: true, description: 'Code d’une région (un analyste ARS ne peut demander que la sienne)' }) region: string | null;
  @Field(() => Int, { defaultValue: 20, description: 'Taille de page (0 à 100)' }) first: number;
  @Field(() => String, { nullable: true }) after: string | null;
}

/**
 * The moderation queue and the freshness of records: who may read the queue and confirm a record is
 * in actor.permissions.ts, the staleness rule in actor-freshness.ts.
 */
@Resolver(() => Actor)
export class ActorModerationResolver {
  @Query(() => ReviewQueue, {
    description:
      'File de modération : les acteurs actifs en attente de validation, les plus anciens d’abord. Un analyste ARS lit ceux qui ' +
      'agissent dans sa région (FORBIDDEN pour une autre), un administrateur tous ou ceux d’une région ; FORBIDDEN pour les autres comptes',
  })
  async reviewQueue(@Args(() => RegionPageArgs) args: RegionPageArgs, @Ctx() context: Context, @Info() info: GraphQLResolveInfo): Promise<ReviewQueue> {
    const page = await regionPage(context, 'Query.reviewQueue', args);
    return readReviewQueue(context.ds, { ...page, wantsTotal: selects(info, 'totalCount') });
  }

  @Query(() => ActorsToVerify, {
    description:
      'Fiches à vérifier : acteurs validés dont la fiche est périmée (jamais confirmée, ou depuis plus de `vocabulary.freshnessMonths` mois) ' +
      'et qui sont la seule présence locale d’un de leurs thèmes dans au moins une commune. Un analyste ARS lit celles de sa région ' +
      '(FORBIDDEN pour une autre), un administrateur toutes ou celles d’une région',
  })
  async actorsToVerify(@Args(() => RegionPageArgs) args: RegionPageArgs, @Ctx() context: Context): Promise<ActorsToVerify> {
    const page = await regionPage(context, 'Query.actorsToVerify', args, 'La liste des fiches à vérifier');
    return readActorsToVerify(context.ds, { ...page, staleBefore: context.services.freshness.staleBefore() });
  }

  @Mutation(() => Actor, {
    description:
      '« Ces informations sont à jour » : fixe verifiedAt à maintenant, sans changer la fiche ni sa version. Réservé aux comptes qui ' +
      'représentent l’acteur, aux analystes ARS d’une région où il agit et aux administrateurs ; CONFLICT si la fiche a changé depuis la version lue',
  })
  confirmActorUpToDate(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { description: 'Version lue, celle que l’on confirme' }) version: number,
    @Ctx() { services, user }: Context,
  ): Promise<Actor> {
    return services.actors.confirmUpToDate(id, version, user);
  }

  @FieldResolver(() => Boolean, {
    description: 'Vrai si la fiche n’a jamais été confirmée, ou l’a été il y a plus de `vocabulary.freshnessMonths` mois (18 par défaut)',
  })
  isStale(@Root() a: Actor, @Ctx() { services }: Context): boolean {
    return services.freshness.isStale(a.verifiedAt);
  }

  @FieldResolver(() => Boolean, { description: 'Vrai si le compte connecté peut confirmer que la fiche est à jour' })
  viewerCanConfirm(@Root() a: Actor, @Ctx() context: Context): Promise<boolean> {
    return viewerPasses(context, a.id, ActorPermissions.mayReadReviewOf(context.user, a.id), 'canConfirm');
  }

  @FieldResolver(() => Boolean, { description: 'Vrai si l’acteur attend une validation que le compte connecté peut donner (ou refuser)' })
  viewerCanReview(@Root() a: Actor, @Ctx() context: Context): Promise<boolean> {
    const mayAny = a.reviewStatus === ReviewStatus.PENDING_REVIEW && ActorPermissions.mayReadReviewOf(context.user, a.id);
    return viewerPasses(context, a.id, mayAny, 'canReview');
  }
}
