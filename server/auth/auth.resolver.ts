import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Actor } from '../actors/actor.entity.js';
import { Membership } from '../coalitions/coalition.entity.js';
import { checkUuid } from '../coalitions/coalition.service.js';
import type { Context } from '../graphql/context.js';
import { AuthService, forbidden, unauthenticated } from './auth.service.js';
import { SetUserRoleInput, SignUpInput, User, UserRole } from './auth.types.js';

/** Accounts and sessions: sign up, log in, log out, and who am I. */
@Resolver(() => User)
export class AuthResolver {
  @Query(() => User, { nullable: true, description: 'Le compte connecté, ou null pour un visiteur' })
  me(@Ctx() { user }: Context): User | null {
    return user ? AuthService.fromAuth(user) : null;
  }

  @Mutation(() => User, { description: 'Crée un compte (rôle membre) et ouvre une session (cookie HttpOnly)' })
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() { services, session }: Context): Promise<User> {
    const user = await services.auth.signUp(input.email, input.password, input.displayName);
    const opened = await services.auth.logIn(input.email, input.password);
    session?.set(opened.token, opened.expiresAt);
    return user;
  }

  @Mutation(() => User, { description: 'Ouvre une session de 30 jours (cookie « session », HttpOnly, SameSite=Lax)' })
  async logIn(
    @Arg('email', () => String) email: string,
    @Arg('password', () => String) password: string,
    @Ctx() { services, session }: Context,
  ): Promise<User> {
    const opened = await services.auth.logIn(email.slice(0, 254), password.slice(0, 200));
    session?.set(opened.token, opened.expiresAt);
    return opened.user;
  }

  @Mutation(() => Boolean, { description: 'Ferme la session en cours' })
  async logOut(@Ctx() { services, session }: Context): Promise<boolean> {
    await services.auth.logOut(session?.token ?? null);
    session?.clear();
    return true;
  }

  @Mutation(() => Boolean, { description: 'Administrateur : change le rôle d’un compte' })
  async setUserRole(@Arg('input', () => SetUserRoleInput) input: SetUserRoleInput, @Ctx() { services, user }: Context): Promise<boolean> {
    if (!user) throw unauthenticated();
    if (user.role !== UserRole.ADMIN) throw forbidden('Réservé aux administrateurs.');
    await services.auth.setRole(input.email, input.role, input.regionCode ?? null);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Administrateur : permet à un compte d’agir pour un acteur' })
  async grantActorToUser(
    @Arg('email', () => String) email: string,
    @Arg('actorId', () => ID) actorId: string,
    @Ctx() { services, user }: Context,
  ): Promise<boolean> {
    if (!user) throw unauthenticated();
    if (user.role !== UserRole.ADMIN) throw forbidden('Réservé aux administrateurs.');
    checkUuid(actorId, 'actorId', 'd’acteur');
    await services.auth.grantActor(email, actorId);
    return true;
  }

  @FieldResolver(() => [Actor], { description: 'Acteurs que le compte représente' })
  async actors(@Root() u: User, @Ctx() { loaders }: Context): Promise<Actor[]> {
    const list = await loaders.actor.loadMany(u.actorIds);
    return list.filter((a): a is Actor => !!a && !(a instanceof Error));
  }

  @FieldResolver(() => [Membership], { description: 'Adhésions (tous états) des acteurs que le compte représente' })
  memberships(@Root() u: User, @Ctx() { services }: Context): Promise<Membership[]> {
    return services.coalitions.membershipsOfActors(u.actorIds);
  }
}
