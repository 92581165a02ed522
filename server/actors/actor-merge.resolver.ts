import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { DuplicateDismissal, DuplicateDismissals, DuplicateDismissalService } from './actor-duplicate-dismissal.js';
import { DuplicatePair, DuplicatePairs, readDuplicatePairs } from './actor-duplicates.js';
import { ActorMergeService } from './actor-merge.js';
import { RegionPageArgs, regionPage } from './actor-moderation.resolver.js';
import { Actor } from './actor.entity.js';
import { ActorPermissions } from './actor.permissions.js';

/**
 * « Doublons possibles », their merge and « Pas un doublon »: who may in actor.permissions.ts (canMerge), the rules in
 * actor-duplicates.ts, actor-merge.ts and actor-duplicate-dismissal.ts.
 */
@Resolver(() => DuplicatePair)
export class ActorMergeResolver {
  @Query(() => DuplicatePairs, {
    description:
      'Doublons possibles : paires d’acteurs actifs de même SIREN, de noms proches dans la même commune, ou de même site web ou courriel, ' +
      'avec la raison de chacune. Un analyste ARS lit celles dont les deux acteurs agissent dans sa région (FORBIDDEN pour une autre), ' +
      'un administrateur toutes ou celles d’une région ; FORBIDDEN pour les autres comptes',
  })
  async duplicateActors(@Args(() => RegionPageArgs) args: RegionPageArgs, @Ctx() context: Context): Promise<DuplicatePairs> {
    return readDuplicatePairs(context.ds, await regionPage(context, 'Query.duplicateActors', args, 'La liste des doublons possibles'));
  }

  @Mutation(() => Actor, {
    description:
      'Fusionne deux fiches de la même structure : représentants, adhésions, partenariats, revendications, propositions de modification et ' +
      'historique passent à l’acteur gardé (`keep`) ; l’autre (`remove`) est archivé et son identifiant donne désormais l’acteur gardé. ' +
      'Réservé aux administrateurs et aux analystes ARS pour deux acteurs agissant entièrement dans leur région (FORBIDDEN sinon) ; ' +
      'CONFLICT si l’un des deux est archivé ou déjà fusionné, BAD_USER_INPUT pour un acteur fusionné avec lui-même',
  })
  async mergeActors(
    @Arg('keep', () => ID, { description: 'L’acteur gardé' }) keep: string,
    @Arg('remove', () => ID, { description: 'Le doublon, archivé par la fusion' }) remove: string,
    @Ctx() { services, user, ds }: Context,
  ): Promise<Actor> {
    await new ActorMergeService(ds).merge(keep, remove, user);
    return services.actors.get(keep);
  }

  @Mutation(() => DuplicateDismissal, {
    description:
      '« Pas un doublon » : écarte la paire (a, b) de la liste des doublons possibles, pour tous, quelles que soient ensuite ses raisons ; ' +
      'garde qui, quand et pourquoi. Mêmes droits que la fusion (FORBIDDEN sinon) ; une paire déjà écartée donne la décision déjà prise ; ' +
      'CONFLICT si l’un des deux est archivé ou fusionné, NOT_FOUND pour un acteur inconnu, BAD_USER_INPUT pour un acteur avec lui-même',
  })
  dismissDuplicate(
    @Arg('a', () => ID) a: string,
    @Arg('b', () => ID) b: string,
    @Arg('reason', () => String, { nullable: true, description: 'Pourquoi ce n’est pas un doublon (1 000 caractères au plus)' }) reason: string | null,
    @Ctx() { user, ds }: Context,
  ): Promise<DuplicateDismissal> {
    return new DuplicateDismissalService(ds).dismiss(a, b, reason, user);
  }

  @Mutation(() => DuplicateDismissal, {
    description:
      '« Rétablir » : la paire écartée (a, b) revient dans la liste des doublons possibles. Réservé aux administrateurs ; NOT_FOUND si elle n’est pas écartée',
  })
  restoreDuplicate(@Arg('a', () => ID) a: string, @Arg('b', () => ID) b: string, @Ctx() { user, ds }: Context): Promise<DuplicateDismissal> {
    return new DuplicateDismissalService(ds).restore(a, b, user);
  }

  @Query(() => DuplicateDismissals, {
    description:
      'Paires écartées de la liste des doublons possibles (« Pas un doublon »), les plus récentes d’abord, quand leurs deux acteurs sont actifs. ' +
      'Mêmes lecteurs que duplicateActors : un analyste ARS lit celles de sa région, un administrateur toutes ou celles d’une région',
  })
  async dismissedDuplicates(@Args(() => RegionPageArgs) args: RegionPageArgs, @Ctx() context: Context): Promise<DuplicateDismissals> {
    const page = await regionPage(context, 'Query.dismissedDuplicates', args, 'La liste des paires écartées');
    return new DuplicateDismissalService(context.ds).list(page, context.user);
  }

  @FieldResolver(() => Boolean, { description: 'Vrai si le compte connecté peut fusionner ces deux acteurs' })
  async viewerCanMerge(@Root() p: DuplicatePair, @Ctx() { user, loaders }: Context): Promise<boolean> {
    if (!ActorPermissions.mayMergeAny(user)) return false;
    const [a, b] = await Promise.all([loaders.actorReach.load(p.a.id), loaders.actorReach.load(p.b.id)]);
    return ActorPermissions.canMerge(user, { id: p.a.id, reach: a }, { id: p.b.id, reach: b });
  }
}
