import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { IsEmail, IsOptional, Length, Matches } from 'class-validator';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { decorators } from '../graphql/fields.js';

/** What a signed-in user may do. A visitor is simply someone without an account or session. */
export const UserRole = defineEnum('UserRole');
export type UserRole = EnumValue<typeof UserRole>;

/** An open membership of one of the user's actors, loaded with the session for permission checks. */
export interface OpenMembership {
  coalitionId: string;
  actorId: string;
  role: string;
  status: string;
}

/** The signed-in user of a request, as the permission checks need it. */
export interface AuthUser {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  regionCode: string | null;
  /** Actors this user represents. */
  actorIds: string[];
  /** Pending, invited and active memberships of those actors. */
  memberships: OpenMembership[];
  /** The public id of the session the request came with. */
  sessionId: string;
}

/** Who sends a request, as the login throttle and the session list need it. */
export interface ClientInfo {
  /** Throttle key of the client's address (Express's `req.ip`, which honours TRUST_PROXY). */
  address: string;
  /** The browser's User-Agent header, trimmed, or null. */
  userAgent: string | null;
}

/** The signed-in user, as returned to that user only: the only place an email is ever exposed. */
@ObjectType({ description: 'Le compte connecté (visible de lui seul)' })
export class User {
  @Field(() => ID) id: string;
  @Field(() => String, { description: 'Courriel (jamais exposé ailleurs que dans « me »)' }) email: string;
  @Field(() => String, { description: 'Nom affiché' }) displayName: string;
  @Field(() => UserRole) role: UserRole;
  @Field(() => String, { nullable: true, description: 'Code de la région d’un analyste ARS' }) regionCode: string | null;

  actorIds: string[];
}

/** A password being chosen (sign-up, change): 10 to 200 characters. */
const NewPassword = () =>
  decorators(
    Field(() => String, { description: 'Au moins 10 caractères' }),
    Length(10, 200, { message: 'le mot de passe doit compter de 10 à 200 caractères' }),
  );

@InputType({ description: 'Création de compte' })
export class SignUpInput {
  @Field(() => String)
  @IsEmail({}, { message: 'courriel invalide' })
  @Length(3, 254, { message: 'courriel invalide' })
  email: string;

  @NewPassword()
  password: string;

  @Field(() => String)
  @Length(1, 120, { message: 'le nom affiché doit compter de 1 à 120 caractères' })
  displayName: string;
}

/** A session of the signed-in account, as listed to that account only. */
@ObjectType({ description: 'Une session ouverte du compte connecté' })
export class UserSession {
  @Field(() => ID) id: string;
  @Field(() => Date, { description: 'Ouverture (connexion)' }) createdAt: Date;
  @Field(() => Date, { description: 'Dernière activité (mise à jour toutes les 5 minutes au plus)' }) lastSeenAt: Date;
  @Field(() => String, { nullable: true, description: 'Navigateur (en-tête User-Agent, 300 caractères au plus)' }) userAgent: string | null;
  @Field(() => Boolean, { description: 'Vrai pour la session de cette requête' }) current: boolean;
}

@ArgsType()
export class ChangePasswordArgs {
  @Field(() => String)
  @Length(0, 200, { message: 'mot de passe actuel trop long' })
  currentPassword: string;

  @NewPassword()
  newPassword: string;
}

@InputType({ description: 'Attribution d’un rôle par un administrateur' })
export class SetUserRoleInput {
  @Field(() => String)
  @IsEmail({}, { message: 'courriel invalide' })
  email: string;

  @Field(() => UserRole) role: UserRole;

  @Field(() => String, { nullable: true, description: 'Région (code INSEE) pour un analyste' })
  @IsOptional()
  @Matches(/^\d{2}$/, { message: 'le code de région compte 2 chiffres' })
  regionCode?: string | null;
}
