import { forbidden, unauthenticated } from '../auth/auth.service.js';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { type ActorReach, liesWhollyIn } from './actor-review.js';

/** An actor as the permission checks see it: its id and where it acts (ActorRepository.reach). */
export interface ActorScope {
  id: string;
  reach: ActorReach;
}

/**
 * Who may write the directory, the one place that says it: every path that changes an actor
 * (updateActor, archiveActor, importActors, and anything added later) asks `canEdit`, on the actor
 * as stored, under its row lock.
 *
 * Reading is public. Any signed-in account may add an actor (a member or a coordinator then
 * represents it; actor-review.ts says whether it counts at once). An actor is changed or archived
 * by:
 * - the accounts that represent it;
 * - ARS analysts, for the actors lying wholly in their région (every commune the actor covers is in
 *   it, and it does not declare the country: see `liesWhollyIn`; a radius counts by the communes it
 *   reaches, so one crossing into another région is not his alone);
 * - administrators.
 * A bulk import is for administrators and ARS analysts, and changes only the actors its author
 * could change one by one. The command-line import (`npm run import`) runs on the server and is
 * not concerned.
 */
export const ActorPermissions = {
  canEdit(user: AuthUser | null | undefined, actor: ActorScope): boolean {
    if (!user) return false;
    if (user.role === UserRole.ADMIN || user.actorIds.includes(actor.id)) return true;
    return user.role === UserRole.ANALYST && liesWhollyIn(actor.reach, user.regionCode);
  },

  /**
   * Whether the user could edit some actor with this id at all, before reading it: a visitor never,
   * a member or coordinator only the actors it represents.
   */
  mayEditAny(user: AuthUser | null | undefined, actorId: string): boolean {
    return !!user && (user.role === UserRole.ADMIN || user.role === UserRole.ANALYST || user.actorIds.includes(actorId));
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

  /** Refuses before any read whoever could not edit this actor whatever it is. */
  assertMayEditAny(user: AuthUser | null | undefined, actorId: string): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.mayEditAny(user, actorId)) throw ActorPermissions.cannotEdit();
  },

  assertCanEdit(user: AuthUser | null | undefined, actor: ActorScope): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.canEdit(user, actor)) throw ActorPermissions.cannotEdit();
  },

  cannotEdit() {
    return forbidden(
      'Seuls les comptes qui représentent cet acteur, les analystes ARS de la région où il agit entièrement et les administrateurs le modifient.',
    );
  },

  /**
   * Merging two duplicates (mergeActors) and reading the possible duplicates: administrators and ARS
   * analysts (with a région). Asked before any read.
   */
  mayMergeAny(user: AuthUser | null | undefined): boolean {
    return !!user && (user.role === UserRole.ADMIN || (user.role === UserRole.ANALYST && !!user.regionCode));
  },

  assertMayMergeAny(user: AuthUser | null | undefined): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.mayMergeAny(user)) throw ActorPermissions.cannotMerge();
  },

  /**
   * Merging `remove` into `keep`: administrators, and ARS analysts when both actors lie wholly in
   * their région (what archiveActor asks of the removed one, and of the kept one, which takes its
   * representatives, memberships and partnerships). Representatives of either actor may not: a
   * merge moves the other actor's people too.
   */
  canMerge(user: AuthUser | null | undefined, keep: ActorScope, remove: ActorScope): boolean {
    if (!user) return false;
    if (user.role === UserRole.ADMIN) return true;
    return user.role === UserRole.ANALYST && liesWhollyIn(keep.reach, user.regionCode) && liesWhollyIn(remove.reach, user.regionCode);
  },

  assertCanMerge(user: AuthUser | null | undefined, keep: ActorScope, remove: ActorScope): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.canMerge(user, keep, remove)) throw ActorPermissions.cannotMerge();
  },

  cannotMerge() {
    return forbidden('Seuls les administrateurs, et les analystes ARS pour deux acteurs agissant entièrement dans leur région, fusionnent des doublons.');
  },

  /**
   * « Pas un doublon » (dismissDuplicate): whoever may merge the pair (`canMerge`, asked the same way:
   * `mayMergeAny` before any read, then on both actors as stored). Setting a pair aside hides it from
   * every analyst, as a merge would.
   */
  assertCanDismissDuplicate(user: AuthUser | null | undefined, a: ActorScope, b: ActorScope): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.canMerge(user, a, b)) throw ActorPermissions.cannotDismissDuplicate();
  },

  cannotDismissDuplicate() {
    return forbidden(
      'Seuls les administrateurs, et les analystes ARS pour deux acteurs agissant entièrement dans leur région, écartent une paire de la liste des doublons.',
    );
  },

  /** « Rétablir » a pair set aside (restoreDuplicate): administrators, who arbitrate between analysts. */
  canRestoreDuplicate(user: AuthUser | null | undefined): boolean {
    return user?.role === UserRole.ADMIN;
  },

  assertCanRestoreDuplicate(user: AuthUser | null | undefined): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.canRestoreDuplicate(user)) throw forbidden('Seuls les administrateurs rétablissent une paire écartée de la liste des doublons.');
  },

  assertCanImport(user: AuthUser | null | undefined): void {
    if (!user) throw unauthenticated();
    if (user.role !== UserRole.ADMIN && user.role !== UserRole.ANALYST) {
      throw forbidden('L’import d’un fichier d’acteurs est réservé aux administrateurs et aux analystes ARS.');
    }
  },

  /** Validating or rejecting an actor: administrators, and ARS analysts of a région it covers. */
  canReview(user: AuthUser | null | undefined, actor: ActorScope): boolean {
    if (!user) return false;
    if (user.role === UserRole.ADMIN) return true;
    return user.role === UserRole.ANALYST && !!user.regionCode && actor.reach.regions.includes(user.regionCode);
  },

  assertCanReview(user: AuthUser | null | undefined, actor: ActorScope): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.canReview(user, actor)) {
      throw forbidden('Seuls les analystes ARS d’une région où agit cet acteur et les administrateurs le valident ou le refusent.');
    }
  },

  /**
   * The review history (who decided, why): the actor's representatives and those who may review it
   * (administrators, ARS analysts of a région where it acts). `mayReadReviewOf` answers first, without
   * the actor's reach, for everyone else.
   */
  canSeeReviewHistory(user: AuthUser | null | undefined, actor: ActorScope): boolean {
    return !!user && (user.actorIds.includes(actor.id) || ActorPermissions.canReview(user, actor));
  },

  /** Whether the user could see the review history or confirm some actor with this id at all, before reading its reach. */
  mayReadReviewOf(user: AuthUser | null | undefined, actorId: string): boolean {
    return !!user && (user.role === UserRole.ADMIN || (user.role === UserRole.ANALYST && !!user.regionCode) || user.actorIds.includes(actorId));
  },

  /**
   * Confirming that an actor's record is up to date (Actor.verifiedAt): the accounts that represent
   * it, ARS analysts of a région where it acts and administrators.
   */
  canConfirm(user: AuthUser | null | undefined, actor: ActorScope): boolean {
    return ActorPermissions.canSeeReviewHistory(user, actor);
  },

  assertCanConfirm(user: AuthUser | null | undefined, actor: ActorScope): void {
    if (!user) throw unauthenticated();
    if (!ActorPermissions.canConfirm(user, actor)) {
      throw forbidden(
        'Seuls les comptes qui représentent cet acteur, les analystes ARS d’une région où il agit et les administrateurs confirment que sa fiche est à jour.',
      );
    }
  },

  /**
   * The région whose analyst's list (the review queue, the records to check) the user reads: an ARS
   * analyst, his own (asking for another one is FORBIDDEN, not an empty page); an administrator, the
   * one asked for, or every région (null). `list` names the list in the refusal.
   */
  analystListRegion(user: AuthUser | null | undefined, asked: string | null | undefined, list = 'La file de modération'): string | null {
    if (!user) throw unauthenticated();
    if (user.role === UserRole.ADMIN) return asked ?? null;
    if (user.role !== UserRole.ANALYST) {
      throw forbidden(`${list} est réservée aux analystes ARS et aux administrateurs.`);
    }
    if (!user.regionCode) throw forbidden('Votre compte d’analyste ARS n’est rattaché à aucune région : un administrateur doit la lui donner.');
    if (asked && asked !== user.regionCode) {
      throw forbidden(`Un analyste ARS ne voit que les fiches de sa région : ${list.toLowerCase()} d’une autre région lui est fermée.`);
    }
    return user.regionCode;
  },
};
