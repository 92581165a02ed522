import { type AuthUser, UserRole } from '../auth/auth.types.js';
import type { Coalition } from './coalition.entity.js';

/**
 * Who may see and manage a coalition. Coordinators of a coalition are the users who represent
 * one of its active PILOTE members; admins manage every coalition, ARS analysts those of their
 * région. Analysts and admins read every coalition; members-only coalitions are otherwise
 * visible to the users whose actors are members (or invited, or asking to join).
 */
export const Permissions = {
  readsEverything(user: AuthUser | null): boolean {
    return !!user && (user.role === UserRole.ADMIN || user.role === UserRole.ANALYST);
  },

  canView(user: AuthUser | null, c: Pick<Coalition, 'id' | 'visibility'>): boolean {
    if (c.visibility === 'PUBLIC') return true;
    if (!user) return false;
    return Permissions.readsEverything(user) || user.memberships.some((m) => m.coalitionId === c.id);
  },

  canManage(user: AuthUser | null, c: Pick<Coalition, 'id' | 'regionCode'>): boolean {
    if (!user) return false;
    if (user.role === UserRole.ADMIN) return true;
    if (user.role === UserRole.ANALYST && !!c.regionCode && c.regionCode === user.regionCode) return true;
    return user.memberships.some((m) => m.coalitionId === c.id && m.role === 'PILOTE' && m.status === 'ACTIVE');
  },

  represents(user: AuthUser | null, actorId: string): boolean {
    return !!user && user.actorIds.includes(actorId);
  },

  /**
   * SQL condition on coalition alias `c` keeping what the user may see; pushes its parameter.
   */
  visibleSql(user: AuthUser | null, params: unknown[], alias = 'c'): string {
    if (Permissions.readsEverything(user)) return 'TRUE';
    const ids = user ? [...new Set(user.memberships.map((m) => m.coalitionId))] : [];
    if (ids.length === 0) return `${alias}.visibility = 'PUBLIC'`;
    params.push(ids);
    return `(${alias}.visibility = 'PUBLIC' OR ${alias}.id = ANY($${params.length}::uuid[]))`;
  },
};
