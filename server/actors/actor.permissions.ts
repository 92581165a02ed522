import { forbidden, unauthenticated } from '../auth/auth.service.js';
import { type AuthUser, UserRole } from '../auth/auth.types.js';

/**
 * Who may write the directory. Reading is public. Any signed-in account may add an actor (a
 * member or a coordinator then represents it); an actor is changed or archived only by the
 * accounts that represent it and by administrators; a bulk import is for administrators and ARS
 * analysts. The command-line import (`npm run import`) runs on the server and is not concerned.
 */
export const ActorPermissions = {
  canEdit(user: AuthUser | null | undefined, actorId: string): boolean {
    return !!user && (user.role === UserRole.ADMIN || user.actorIds.includes(actorId));
  },

  /** A new actor is represented by the member or coordinator who created it. */
  representsWhatItCreates(user: AuthUser): boolean {
    return user.role === UserRole.MEMBER || user.role === UserRole.COORDINATOR;
  },

  /** The account that creates an actor; a visitor may not. */
  creator(user: AuthUser | null | undefined): AuthUser {
    if (!user) throw unauthenticated();
    return user;
  },

  assertCanEdit(user: AuthUser | null | undefined, actorId: string): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.canEdit(user, actorId)) {
      throw forbidden('Seuls les comptes qui représentent cet acteur et les administrateurs le modifient.');
    }
  },

  assertCanImport(user: AuthUser | null | undefined): void {
    if (!user) throw unauthenticated();
    if (user.role !== UserRole.ADMIN && user.role !== UserRole.ANALYST) {
      throw forbidden('L’import d’un fichier d’acteurs est réservé aux administrateurs et aux analystes ARS.');
    }
  },
};
