import { type AuthUser, UserRole } from '../auth/auth.types.js';
import type { Coalition, Membership, Partnership } from './coalition.entity.js';
import { MembershipStatus, PartnershipStatus } from './coalition-enums.js';

/**
 * How much of a coalition a user may see.
 * - `MEMBERS`: the coalition and its members (lists, counts, sectors, graphs, suggestions).
 * - `SUMMARY`: the coalition itself (name, description, territory, themes, dates, rules), not
 *   who its members are.
 * - `NONE`: nothing; `coalition(id)` answers NOT_FOUND.
 */
export type CoalitionAccess = 'MEMBERS' | 'SUMMARY' | 'NONE';

/**
 * Who may see and manage a coalition: the one place where these rules are written, used by every
 * path that returns a coalition, a membership, a graph or a partnership.
 *
 * A **public** coalition is seen by everyone, members included (`MEMBERS`).
 *
 * A **members-only** coalition is seen, members included (`MEMBERS`), only by:
 * - administrators;
 * - ARS analysts of the coalition's région (an analyst of another région sees nothing);
 * - the users who represent an actor with an ACTIVE membership (its coordinators, who represent
 *   an active PILOTE, among them).
 *
 * The users who represent an actor INVITED to it or whose request is pending (REQUESTED) see what
 * they are invited to or asked for (`SUMMARY`: name, description…), never the member list, and
 * the coalition is not listed for them (lists, filters and graphs only show `MEMBERS` access).
 * An ended membership (REJECTED, LEFT) gives nothing: its `Membership` still shows its own status,
 * role and dates to the actor's representatives, with the coalition's id, but `coalition` is null.
 *
 * Coordinators (`canManage`) are the representatives of an active PILOTE, the ARS analysts of the
 * coalition's région and administrators. They see every membership of any status and the history.
 *
 * Access is computed from `user.memberships`, the open memberships loaded with the session;
 * every membership change refreshes them (`CoalitionService.refreshMemberships`) so that the
 * answer of a mutation is checked against the new state.
 */
export const Permissions = {
  /** Administrators, and the ARS analysts of the coalition's région. */
  oversees(user: AuthUser | null, c: Pick<Coalition, 'regionCode'>): boolean {
    if (!user) return false;
    if (user.role === UserRole.ADMIN) return true;
    return user.role === UserRole.ANALYST && !!user.regionCode && c.regionCode === user.regionCode;
  },

  access(user: AuthUser | null, c: Pick<Coalition, 'id' | 'visibility' | 'regionCode'>): CoalitionAccess {
    if (c.visibility === 'PUBLIC') return 'MEMBERS';
    if (!user) return 'NONE';
    if (Permissions.oversees(user, c)) return 'MEMBERS';
    const mine = user.memberships.filter((m) => m.coalitionId === c.id);
    if (mine.some((m) => m.status === MembershipStatus.ACTIVE)) return 'MEMBERS';
    if (mine.some((m) => m.status === MembershipStatus.INVITED || m.status === MembershipStatus.REQUESTED)) return 'SUMMARY';
    return 'NONE';
  },

  /** The coalition itself may be returned (by id, as a membership's coalition). */
  canView(user: AuthUser | null, c: Pick<Coalition, 'id' | 'visibility' | 'regionCode'>): boolean {
    return Permissions.access(user, c) !== 'NONE';
  },

  /** Its members, their count, sectors and links may be shown. */
  canSeeMembers(user: AuthUser | null, c: Pick<Coalition, 'id' | 'visibility' | 'regionCode'>): boolean {
    return Permissions.access(user, c) === 'MEMBERS';
  },

  canManage(user: AuthUser | null, c: Pick<Coalition, 'id' | 'regionCode'>): boolean {
    if (!user) return false;
    if (Permissions.oversees(user, c)) return true;
    return user.memberships.some((m) => m.coalitionId === c.id && m.role === 'PILOTE' && m.status === MembershipStatus.ACTIVE);
  },

  represents(user: AuthUser | null, actorId: string): boolean {
    return !!user && user.actorIds.includes(actorId);
  },

  /**
   * A membership may be shown: to the representatives of its actor (any status; its coalition is
   * then shown only as `canView` allows), and to those who see the coalition's members: active
   * ones to all of them, the other statuses to its coordinators.
   */
  canSeeMembership(user: AuthUser | null, c: Coalition, m: Pick<Membership, 'actorId' | 'status'>): boolean {
    if (Permissions.represents(user, m.actorId)) return true;
    if (!Permissions.canSeeMembers(user, c)) return false;
    return m.status === MembershipStatus.ACTIVE || Permissions.canManage(user, c);
  },

  /**
   * Who asked, who decided and the history of a membership: its coalition's coordinators, and
   * the representatives of its actor while they may still see the coalition.
   */
  seesPeople(user: AuthUser | null, c: Coalition, m: Pick<Membership, 'actorId'>): boolean {
    return Permissions.canManage(user, c) || (Permissions.represents(user, m.actorId) && Permissions.canView(user, c));
  },

  /**
   * SQL condition on coalition alias `c` keeping the coalitions whose members the user may see
   * (`MEMBERS` access): what lists, filters and graphs show. Pushes its parameters.
   */
  visibleSql(user: AuthUser | null, params: unknown[], alias = 'c'): string {
    if (user?.role === UserRole.ADMIN) return 'TRUE';
    const or = [`${alias}.visibility = 'PUBLIC'`];
    if (user?.role === UserRole.ANALYST && user.regionCode) {
      params.push(user.regionCode);
      or.push(`${alias}.region_code = $${params.length}`);
    }
    const active = user ? [...new Set(user.memberships.filter((m) => m.status === MembershipStatus.ACTIVE).map((m) => m.coalitionId))] : [];
    if (active.length) {
      params.push(active);
      or.push(`${alias}.id = ANY($${params.length}::uuid[])`);
    }
    return or.length === 1 ? or[0] : `(${or.join(' OR ')})`;
  },
};

/**
 * Who sees and decides direct partnerships between two actors.
 *
 * A partnership is declared by a representative of one actor (`actorA`, the declaring side) or an
 * administrator, and stays PENDING until the other side confirms it: a representative of `actorB`,
 * an ARS analyst of a région where either actor works, or an administrator — never the declaring
 * side (a representative of `actorA`, or the person who declared it). The same people may decline
 * a pending one (DECLINED). Either side, the analysts of their régions and administrators may end
 * it (ENDED), pending or active.
 *
 * Everyone sees the confirmed ones (ACTIVE, and ENDED after a confirmation). The representatives of
 * either actor, the ARS analysts of their régions and administrators (the "insiders") also see the
 * pending, declined and withdrawn ones, with their status, and the history.
 */
export const PartnershipRules = {
  isPublic(p: Pick<Partnership, 'status' | 'confirmedAt'>): boolean {
    return !!p.confirmedAt && (p.status === PartnershipStatus.ACTIVE || p.status === PartnershipStatus.ENDED);
  },

  /** Analysts of a région where either actor works. */
  regionAnalyst(user: AuthUser | null, p: Pick<Partnership, 'regionCodes'>): boolean {
    return !!user && user.role === UserRole.ANALYST && !!user.regionCode && p.regionCodes.includes(user.regionCode);
  },

  isInsider(user: AuthUser | null, p: Pick<Partnership, 'actorAId' | 'actorBId' | 'regionCodes'>): boolean {
    if (!user) return false;
    return (
      user.role === UserRole.ADMIN ||
      Permissions.represents(user, p.actorAId) ||
      Permissions.represents(user, p.actorBId) ||
      PartnershipRules.regionAnalyst(user, p)
    );
  },

  canSee(user: AuthUser | null, p: Partnership): boolean {
    return PartnershipRules.isPublic(p) || PartnershipRules.isInsider(user, p);
  },

  declaringSide(user: AuthUser, p: Pick<Partnership, 'actorAId' | 'createdBy'>): boolean {
    return Permissions.represents(user, p.actorAId) || p.createdBy === user.id;
  },

  /** Confirm or decline a pending declaration (the state is checked apart). */
  canDecide(user: AuthUser | null, p: Partnership): boolean {
    if (!user || PartnershipRules.declaringSide(user, p)) return false;
    return user.role === UserRole.ADMIN || Permissions.represents(user, p.actorBId) || PartnershipRules.regionAnalyst(user, p);
  },

  canEnd(user: AuthUser | null, p: Partnership): boolean {
    return PartnershipRules.isInsider(user, p);
  },

  /** SQL twin of `canSee` on partnership alias `p`. Pushes its parameters. */
  visibleSql(user: AuthUser | null, params: unknown[], alias = 'p'): string {
    if (user?.role === UserRole.ADMIN) return 'TRUE';
    const or = [`(${alias}.confirmed_at IS NOT NULL AND ${alias}.status IN ('ACTIVE','ENDED'))`];
    if (user?.actorIds.length) {
      params.push(user.actorIds);
      or.push(`${alias}.actor_a = ANY($${params.length}::uuid[])`, `${alias}.actor_b = ANY($${params.length}::uuid[])`);
    }
    if (user?.role === UserRole.ANALYST && user.regionCode) {
      params.push(user.regionCode);
      or.push(
        `EXISTS (SELECT 1 FROM coverage_area ca WHERE ca.level = 'REGION' AND ca.code = $${params.length} AND ca.actor_id IN (${alias}.actor_a, ${alias}.actor_b))`,
      );
    }
    return `(${or.join(' OR ')})`;
  },
};
