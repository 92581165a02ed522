import { forbidden } from '../auth/auth.service.js';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { type Sql, sql } from '../db/sql.js';

/** A claim as the rules see it: who asks, and the actor's representatives and régions now. */
export interface ClaimScope {
  claimantId: string;
  /** Accounts that represent the actor (user_actor), read in the deciding transaction. */
  representatives: readonly string[];
  /** Régions of the communes the actor covers (coverage_area). */
  regions: readonly string[];
}

/**
 * Who decides a claim to represent an actor, the one place that says it:
 * - the accounts that represent the actor, when it has any;
 * - when it has none, the ARS analysts of a région where it acts;
 * - administrators, always.
 * Nobody decides his own claim (an analyst claiming an actor of his région waits for someone else).
 * A claim is seen by its claimant and by those who may decide it; anyone else gets NOT_FOUND, as if
 * it did not exist.
 */
export const ClaimRules = {
  canDecide(user: AuthUser | null | undefined, c: ClaimScope): boolean {
    if (!user || user.id === c.claimantId) return false;
    if (user.role === UserRole.ADMIN) return true;
    if (c.representatives.length > 0) return c.representatives.includes(user.id);
    return user.role === UserRole.ANALYST && !!user.regionCode && c.regions.includes(user.regionCode);
  },

  canSee(user: AuthUser | null | undefined, c: ClaimScope): boolean {
    return !!user && (user.id === c.claimantId || ClaimRules.canDecide(user, c));
  },

  /** The claimant withdraws his own pending claim; nobody else. */
  canWithdraw(user: AuthUser | null | undefined, c: Pick<ClaimScope, 'claimantId'>): boolean {
    return !!user && user.id === c.claimantId;
  },

  assertCanDecide(user: AuthUser, c: ClaimScope): void {
    if (ClaimRules.canDecide(user, c)) return;
    throw forbidden(
      user.id === c.claimantId
        ? 'Vous ne pouvez pas décider de votre propre demande : les représentants de la structure, ou à défaut un analyste ARS de sa région ou un administrateur, en décident.'
        : 'Seuls les représentants de cette structure (ou, si elle n’en a aucun, les analystes ARS de sa région et les administrateurs) décident de cette demande.',
    );
  },

  /**
   * The same rule as `canDecide`, over `actor_claim c`, for the list of claims to decide (its SQL
   * mirror: test/integration/actor-claims.test.ts checks the list and the decision for each kind of
   * decider and non-decider).
   */
  decidableSql(user: AuthUser): Sql {
    if (user.role === UserRole.ADMIN) return sql`c.account_id <> ${user.id}`;
    const analystRegion = user.role === UserRole.ANALYST ? user.regionCode : null;
    return sql`c.account_id <> ${user.id} AND (
      EXISTS (SELECT 1 FROM user_actor ua WHERE ua.actor_id = c.actor_id AND ua.user_id = ${user.id})
      OR (${analystRegion}::text IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM user_actor ua WHERE ua.actor_id = c.actor_id)
          AND EXISTS (SELECT 1 FROM coverage_area ca WHERE ca.actor_id = c.actor_id AND ca.level = 'REGION' AND ca.code = ${analystRegion}::text)))`;
  },

  /**
   * The accounts told that a claim arrived: the representatives, or when there are none the ARS
   * analysts of the actor's régions and the administrators. Returns a subquery of account ids.
   */
  decidersSql(actorId: string): Sql {
    return sql`SELECT ua.user_id FROM user_actor ua WHERE ua.actor_id = ${actorId}
      UNION
      SELECT u.id FROM user_account u
       WHERE NOT EXISTS (SELECT 1 FROM user_actor ua WHERE ua.actor_id = ${actorId})
         AND (u.role = 'ADMIN' OR (u.role = 'ANALYST' AND u.region_code IN
              (SELECT ca.code FROM coverage_area ca WHERE ca.actor_id = ${actorId} AND ca.level = 'REGION')))`;
  },
};
