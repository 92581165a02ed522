import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Actor } from '../actors/actor.entity.js';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { ReasonArg } from '../graphql/fields.js';
import { ActorClaim } from './claim.entity.js';
import { ClaimService } from './claim.service.js';

/** One service per DataSource: it holds no state of its own. */
const services = new WeakMap<object, ClaimService>();
const claims = ({ ds }: Context): ClaimService => {
  let s = services.get(ds);
  if (!s) services.set(ds, (s = new ClaimService(ds)));
  return s;
};

/**
 * Claims to represent an actor: find one's structure, ask to represent it, decide. The rules are in
 * claim.permissions.ts; a claim is reached only through these fields, never through an actor.
 */
@Resolver(() => ActorClaim)
export class ClaimResolver {
  @Query(() => [Actor], {
    description:
      'Structures que l’on peut demander à représenter : recherche par nom, SIRET, SIREN, numéro RNA ou commune (nom ou code postal) ' +
      'parmi les acteurs actifs et non refusés, les noms exacts d’abord',
  })
  async claimableActors(
    @Arg('query', () => String, { description: 'Nom, SIRET, SIREN, RNA ou commune (2 à 200 caractères)' }) query: string,
    @Arg('first', () => Int, { defaultValue: 10, description: 'Nombre de résultats (1 à 50)' }) first: number,
    @Ctx() context: Context,
  ): Promise<Actor[]> {
    checkArgs('Query.claimableActors', { first });
    const ids = await claims(context).search(query, first);
    return (await context.services.actors.findMany(ids)).filter((a): a is Actor => a !== null);
  }

  @Query(() => [ActorClaim], { description: 'Mes demandes de représentation, les plus récentes d’abord, avec leur état' })
  myActorClaims(@Ctx() context: Context): Promise<ActorClaim[]> {
    return claims(context).mine(context.user);
  }

  @Query(() => [ActorClaim], {
    description:
      'Demandes de représentation en attente que le compte connecté peut décider : celles des structures qu’il représente ; ' +
      'pour un analyste ARS, celles des structures de sa région qui n’ont aucun représentant ; pour un administrateur, toutes',
  })
  actorClaimsToDecide(@Ctx() context: Context): Promise<ActorClaim[]> {
    return claims(context).toDecide(context.user);
  }

  @Mutation(() => ActorClaim, {
    description:
      'Demande à représenter une structure (en attente jusqu’à la décision de ses représentants, ou à défaut d’un analyste ARS de sa ' +
      'région ou d’un administrateur). CONFLICT si le compte la représente déjà ou a déjà une demande en attente pour elle',
  })
  claimActor(
    @Arg('actorId', () => ID) actorId: string,
    @Arg('message', () => String, { nullable: true, description: 'Qui vous êtes dans la structure (1 000 caractères au plus)' }) message: string | null,
    @Ctx() context: Context,
  ): Promise<ActorClaim> {
    return claims(context).claim(context.user, actorId, message);
  }

  @Mutation(() => ActorClaim, {
    description: 'Accepte (le compte représente alors la structure) ou refuse une demande de représentation en attente ; CONFLICT si elle a déjà été traitée',
  })
  decideActorClaim(
    @Arg('id', () => ID) id: string,
    @Arg('accept', () => Boolean) accept: boolean,
    @ReasonArg() reason: string | null,
    @Ctx() context: Context,
  ): Promise<ActorClaim> {
    return claims(context).decide(context.user, id, accept, reason);
  }

  @Mutation(() => ActorClaim, { description: 'Retire sa propre demande de représentation en attente' })
  withdrawActorClaim(@Arg('id', () => ID) id: string, @Ctx() context: Context): Promise<ActorClaim> {
    return claims(context).withdraw(context.user, id);
  }

  @FieldResolver(() => Actor, { nullable: true, description: 'La structure demandée' })
  actor(@Root() claim: ActorClaim, @Ctx() { loaders }: Context): Promise<Actor | null> {
    return loaders.actor.load(claim.actorId);
  }
}
