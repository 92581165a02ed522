import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Actor } from '../actors/actor.entity.js';
import { Membership } from '../coalitions/membership.entity.js';
import { checkUuid } from '../graphql/ids.js';
import type { Context } from '../graphql/context.js';
import { AuthService, requireAdmin, unauthenticated } from './auth.service.js';
import { ChangePasswordArgs, type ClientInfo, SetUserRoleInput, SignUpInput, User, UserSession } from './auth.types.js';

/** Outside HTTP (a test calling the schema directly) there is no client address: one shared key. */
const clientOf = (client: ClientInfo | undefined): ClientInfo => client ?? { address: 'inconnue', userAgent: null };

/** Accounts and sessions: sign up, log in, log out, who am I, my sessions, my password. */
@Resolver(() => User)
export class AuthResolver {
  @Query(() => User, { nullable: true, description: 'Le compte connecté, ou null pour un visiteur' })
  me(@Ctx() { user }: Context): User | null {
    return user ? AuthService.fromAuth(user) : null;
  }

  @Mutation(() => User, {
    description:
      'Crée un compte (rôle membre) et ouvre une session (cookie HttpOnly). Un courriel déjà inscrit répond CONFLICT et compte comme un échec de l’adresse du client (limite TOO_MANY_ATTEMPTS)',
  })
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() { services, session, client }: Context): Promise<User> {
    const opened = await services.auth.signUp(input.email, input.password, input.displayName, clientOf(client));
    session?.set(opened.token, opened.expiresAt);
    return opened.user;
  }

  @Mutation(() => User, {
    description:
      'Ouvre une session de 30 jours (cookie « session », HttpOnly, SameSite=Lax). Trop d’échecs depuis une adresse : TOO_MANY_ATTEMPTS avec retryAfterSeconds',
  })
  async logIn(
    @Arg('email', () => String) email: string,
    @Arg('password', () => String) password: string,
    @Ctx() { services, session, client }: Context,
  ): Promise<User> {
    const opened = await services.auth.logIn(email.slice(0, 254), password.slice(0, 200), clientOf(client));
    session?.set(opened.token, opened.expiresAt);
    return opened.user;
  }

  @Mutation(() => Boolean, { description: 'Ferme la session en cours' })
  async logOut(@Ctx() { services, session }: Context): Promise<boolean> {
    await services.auth.logOut(session?.token ?? null);
    session?.clear();
    return true;
  }

  @Query(() => [UserSession], { description: 'Les sessions ouvertes du compte connecté, celle de la requête d’abord, puis la plus récemment utilisée' })
  mySessions(@Ctx() { services, user }: Context): Promise<UserSession[]> {
    if (!user) throw unauthenticated();
    return services.auth.sessions(user);
  }

  @Mutation(() => Boolean, { description: 'Ferme une session du compte connecté (NOT_FOUND pour toute autre)' })
  async endSession(@Arg('id', () => ID) id: string, @Ctx() { services, user, session }: Context): Promise<boolean> {
    if (!user) throw unauthenticated();
    checkUuid(id, 'id', 'de session');
    await services.auth.endSession(user, id);
    if (id === user.sessionId) session?.clear();
    return true;
  }

  @Mutation(() => Int, { description: 'Ferme toutes les sessions du compte connecté, celle-ci comprise ; renvoie leur nombre' })
  async logOutEverywhere(@Ctx() { services, user, session }: Context): Promise<number> {
    if (!user) throw unauthenticated();
    const ended = await services.auth.endAllSessions(user);
    session?.clear();
    return ended;
  }

  @Mutation(() => Boolean, {
    description:
      'Change le mot de passe du compte connecté (mêmes règles qu’à la création) ; ferme toutes ses autres sessions et garde celle-ci. Le mot de passe actuel est vérifié avec la même limite que logIn',
  })
  async changePassword(@Args(() => ChangePasswordArgs) args: ChangePasswordArgs, @Ctx() { services, user, client }: Context): Promise<boolean> {
    if (!user) throw unauthenticated();
    await services.auth.changePassword(user, args.currentPassword, args.newPassword, clientOf(client));
    return true;
  }

  @Mutation(() => Boolean, { description: 'Administrateur : change le rôle d’un compte' })
  async setUserRole(@Arg('input', () => SetUserRoleInput) input: SetUserRoleInput, @Ctx() { services, user }: Context): Promise<boolean> {
    requireAdmin(user);
    await services.auth.setRole(input.email, input.role, input.regionCode ?? null);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Administrateur : permet à un compte d’agir pour un acteur' })
  async grantActorToUser(
    @Arg('email', () => String) email: string,
    @Arg('actorId', () => ID) actorId: string,
    @Ctx() { services, user }: Context,
  ): Promise<boolean> {
    requireAdmin(user);
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
    return services.coalitions.repo.membershipsOfActors(u.actorIds);
  }
}
