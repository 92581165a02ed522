import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { DuplicatePair, DuplicatePairs, readDuplicatePairs } from './actor-duplicates.js';
import { ActorMergeService } from './actor-merge.js';
import { listRegion, RegionPageArgs } from './actor-moderation.resolver.js';
import { Actor } from './actor.entity.js';
import { ActorPermissions } from './actor.permissions.js';

/** « Doublons possibles » and their merge: who may in actor.permissions.ts (canMerge), the rules in actor-duplicates.ts and actor-merge.ts. */
@Resolver(() => DuplicatePair)
export class ActorMergeResolver {
  @Query(() => DuplicatePairs, {
    description:
      'Doublons possibles : paires d’acteurs actifs de même SIREN, de noms proches dans la même commune, ou de même site web ou courriel, ' +
      'avec la raison de chacune. Un analyste ARS lit celles dont les deux acteurs agissent dans sa région (FORBIDDEN pour une autre), ' +
      'un administrateur toutes ou celles d’une région ; FORBIDDEN pour les autres comptes',
  })
  async duplicateActors(@Args(() => RegionPageArgs) { region, first, after }: RegionPageArgs, @Ctx() context: Context): Promise<DuplicatePairs> {
    checkArgs('Query.duplicateActors', { first });
    const scope = await listRegion(context, region, 'La liste des doublons possibles');
    return readDuplicatePairs(context.ds, { region: scope, first, after });
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

  @FieldResolver(() => Boolean, { description: 'Vrai si le compte connecté peut fusionner ces deux acteurs' })
  async viewerCanMerge(@Root() p: DuplicatePair, @Ctx() { user, loaders }: Context): Promise<boolean> {
    if (!ActorPermissions.mayMergeAny(user)) return false;
    const [a, b] = await Promise.all([loaders.actorReach.load(p.a.id), loaders.actorReach.load(p.b.id)]);
    return ActorPermissions.canMerge(user, { id: p.a.id, reach: a }, { id: p.b.id, reach: b });
  }
}
