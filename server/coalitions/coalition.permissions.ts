import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { ident, join, type Sql, sql } from '../db/sql.js';
import { AppError } from '../graphql/errors.js';
import type { Coalition } from './coalition.entity.js';
import { JoinPolicy, MembershipRole, MembershipStatus, PartnershipStatus } from './coalition-enums.js';
import type { MembershipParty, PartnershipParty } from './coalition.transitions.js';
import type { Membership } from './membership.entity.js';
import type { Partnership } from './partnership.entity.js';

const forbidden = (message: string) => new AppError('FORBIDDEN', message);

/** Table aliases the visibility conditions may be written on. */
const ALIASES = ['c', 'mc', 'p'] as const;
type Alias = (typeof ALIASES)[number];

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
 * every membership change refreshes them (`MembershipWorkflow.refreshMemberships`) so that the
 * answer of a mutation is checked against the new state.
 *
 * Changes of status are decided with the transition tables (coalition.transitions.ts): this file
 * says which parties a user plays (`membershipParties`, `PartnershipRules.parties`), the tables say
 * what each party may do from which status. The other rules of a write (who founds or changes a
 * coalition, which role may be asked for, how a request joins) are the `check…` functions below.
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
   * (`MEMBERS` access): what lists, filters and graphs show.
   */
  visibleSql(user: AuthUser | null, alias: Alias = 'c'): Sql {
    if (user?.role === UserRole.ADMIN) return sql`TRUE`;
    const a = ident(alias, ALIASES);
    const or = [sql`${a}.visibility = 'PUBLIC'`];
    if (user?.role === UserRole.ANALYST && user.regionCode) or.push(sql`${a}.region_code = ${user.regionCode}`);
    const active = user ? [...new Set(user.memberships.filter((m) => m.status === MembershipStatus.ACTIVE).map((m) => m.coalitionId))] : [];
    if (active.length) or.push(sql`${a}.id = ANY(${active}::uuid[])`);
    return or.length === 1 ? or[0] : sql`(${join(or, sql` OR `)})`;
  },

  /** A membership may be reached (by id): its coalition is visible, or the user represents its actor. */
  canReach(user: AuthUser | null, c: Coalition, m: Pick<Membership, 'actorId'>): boolean {
    return Permissions.canView(user, c) || Permissions.represents(user, m.actorId);
  },

  /** What the user is for a membership of actor `actorId` in `c` (the transition table says what each may do). */
  membershipParties(user: AuthUser | null, c: Pick<Coalition, 'id' | 'regionCode'>, actorId: string): MembershipParty[] {
    const parties: MembershipParty[] = [];
    if (Permissions.represents(user, actorId)) parties.push('REPRESENTATIVE');
    if (Permissions.canManage(user, c)) parties.push('COORDINATOR');
    return parties;
  },

  /** Coordinators, ARS analysts and administrators found coalitions; members do not. */
  mayFound(user: AuthUser): MembershipParty[] {
    return user.role === UserRole.MEMBER ? [] : ['FOUNDER'];
  },

  /** A coordinator founds for an actor it represents; an analyst only in its région. */
  checkFounding(user: AuthUser, pilotActorId: string, regionCode: string | null): void {
    if (user.role === UserRole.COORDINATOR && !Permissions.represents(user, pilotActorId)) {
      throw forbidden('Vous ne représentez pas l’acteur pilote indiqué.');
    }
    if (user.role === UserRole.ANALYST && regionCode !== user.regionCode) {
      throw forbidden('Un analyste ne crée des coalitions que dans sa région.');
    }
  },

  /** Only its coordinators change a coalition; an analyst may not move it out of its région (unless it also pilots it). */
  checkUpdate(user: AuthUser, c: Coalition, newRegionCode: string | null): void {
    Permissions.checkManage(user, c, 'Seuls les coordinateurs de cette coalition la modifient.');
    if (user.role === UserRole.ANALYST && newRegionCode !== user.regionCode && !Permissions.canManage({ ...user, role: UserRole.MEMBER }, c)) {
      throw forbidden('Un analyste ne place des coalitions que dans sa région.');
    }
  },

  /** FORBIDDEN with `message` unless the user manages the coalition. */
  checkManage(user: AuthUser | null, c: Pick<Coalition, 'id' | 'regionCode'>, message: string): void {
    if (!Permissions.canManage(user, c)) throw forbidden(message);
  },

  /** The pilot's role is given by a coordinator's invitation, never asked for. */
  checkRequestedRole(role: MembershipRole): void {
    if (role === MembershipRole.PILOTE) throw forbidden('Le rôle de pilote est donné par invitation d’un coordinateur.');
  },

  /** How a request joins `c`: at once if it is open, on a coordinator's decision if not; never when it opens by invitation only. */
  joinAction(c: Pick<Coalition, 'joinPolicy'>): 'JOIN' | 'REQUEST' {
    if (c.joinPolicy === JoinPolicy.INVITATION) throw forbidden('Cette coalition ne s’ouvre que sur invitation d’un coordinateur.');
    return c.joinPolicy === JoinPolicy.OPEN ? 'JOIN' : 'REQUEST';
  },

  /** Suggestions leave out the members: they would tell who the members are. */
  checkSuggestions(user: AuthUser | null, c: Coalition): void {
    if (!Permissions.canSeeMembers(user, c)) throw forbidden('Les partenaires suggérés sont réservés aux membres de la coalition.');
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

  /** What the user is for `p` (the transition table says what each may do). */
  parties(user: AuthUser | null, p: Partnership): PartnershipParty[] {
    const parties: PartnershipParty[] = [];
    if (user && PartnershipRules.declaringSide(user, p)) parties.push('DECLARING_SIDE');
    if (PartnershipRules.canDecide(user, p)) parties.push('DECIDER');
    if (PartnershipRules.canEnd(user, p)) parties.push('INSIDER');
    return parties;
  },

  /** Who may declare a partnership for `actorId`: its representatives and administrators. */
  declarerParties(user: AuthUser, actorId: string): PartnershipParty[] {
    return Permissions.represents(user, actorId) || user.role === UserRole.ADMIN ? ['DECLARER'] : [];
  },

  /** SQL twin of `canSee` on partnership alias `p`. */
  visibleSql(user: AuthUser | null): Sql {
    if (user?.role === UserRole.ADMIN) return sql`TRUE`;
    const or = [sql`(p.confirmed_at IS NOT NULL AND p.status IN ('ACTIVE','ENDED'))`];
    if (user?.actorIds.length) or.push(sql`p.actor_a = ANY(${user.actorIds}::uuid[])`, sql`p.actor_b = ANY(${user.actorIds}::uuid[])`);
    if (user?.role === UserRole.ANALYST && user.regionCode) {
      or.push(
        sql`EXISTS (SELECT 1 FROM coverage_area ca WHERE ca.level = 'REGION' AND ca.code = ${user.regionCode} AND ca.actor_id IN (p.actor_a, p.actor_b))`,
      );
    }
    return sql`(${join(or, sql` OR `)})`;
  },
};
