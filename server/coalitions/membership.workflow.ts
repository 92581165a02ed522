import type { DataSource, EntityManager } from 'typeorm';
import type { AuthUser } from '../auth/auth.types.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import type { Coalition } from './coalition.entity.js';
import { MembershipRole, MembershipStatus } from './coalition-enums.js';
import { activeActor, isUniqueViolation, visibleCoalition } from './coalition.guards.js';
import { requireUser } from '../auth/auth.service.js';
import { Permissions } from './coalition.permissions.js';
import type { CoalitionRepository } from './coalition.repository.js';
import { type MembershipAction, MembershipMachine, type MembershipParty } from './coalition.transitions.js';
import type { Membership } from './membership.entity.js';
import { Notices } from '../notifications/notices.js';

/**
 * The join workflow: requests, invitations, decisions, answers and departures. Every change of
 * status asks the transition table (`MembershipMachine`, coalition.transitions.ts) for the next
 * status, with the parties the user plays (`Permissions.membershipParties`); the change itself is
 * a conditional UPDATE on the expected status inside a transaction that also writes the history,
 * so two concurrent decisions give one success and one CONFLICT.
 */
export class MembershipWorkflow {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: CoalitionRepository,
  ) {}

  /**
   * Reloads the open memberships of the user's actors after a change, so that the answer of the
   * mutation (and anything after it in the same request) is checked against the new state: an
   * actor that just declined or left no longer sees a members-only coalition.
   */
  async refreshMemberships(user: AuthUser): Promise<void> {
    const rows = await this.repo.openMemberships(user.actorIds);
    user.memberships.splice(0, user.memberships.length, ...rows);
  }

  /** The pilot's membership of a coalition being created, inside its transaction. */
  async found(m: EntityManager, user: AuthUser, coalitionId: string, pilotActorId: string): Promise<void> {
    const status = MembershipMachine.next('FOUND', null, Permissions.mayFound(user));
    await this.repo.insertMembership(m, { coalitionId, actorId: pilotActorId, role: MembershipRole.PILOTE, status, userId: user.id });
  }

  /** A partner asks to join for an actor it represents; an open coalition accepts at once. */
  async request(user: AuthUser | null, coalitionId: string, actorId: string, role: MembershipRole): Promise<Membership> {
    const u = requireUser(user);
    const actor = lookAhead(activeActor(this.repo, actorId, 'actorId'));
    const c = await visibleCoalition(this.repo, u, coalitionId);
    checkUuid(actorId, 'actorId', 'd’acteur');
    const parties = Permissions.membershipParties(u, c, actorId);
    MembershipMachine.authorize('REQUEST', parties);
    await actor;
    Permissions.checkRequestedRole(role);
    if (c.ended) throw badInput('Cette coalition est terminée.', 'coalitionId');
    return this.open(u, c, actorId, role, Permissions.joinAction(c), parties);
  }

  /** A coordinator invites an actor; the actor's representatives accept or decline. */
  async invite(user: AuthUser | null, coalitionId: string, actorId: string, role: MembershipRole): Promise<Membership> {
    const u = requireUser(user);
    const actor = lookAhead(activeActor(this.repo, actorId, 'actorId'));
    const c = await visibleCoalition(this.repo, u, coalitionId);
    const parties = Permissions.membershipParties(u, c, actorId);
    MembershipMachine.authorize('INVITE', parties);
    await actor;
    if (c.ended) throw badInput('Cette coalition est terminée.', 'coalitionId');
    return this.open(u, c, actorId, role, 'INVITE', parties);
  }

  /** A coordinator of the coalition accepts or rejects a pending request. */
  decide(user: AuthUser | null, membershipId: string, accept: boolean): Promise<Membership> {
    return this.move(user, membershipId, accept ? 'ACCEPT' : 'REJECT');
  }

  /** The invited actor's representative accepts or declines. */
  answerInvitation(user: AuthUser | null, membershipId: string, accept: boolean): Promise<Membership> {
    return this.move(user, membershipId, accept ? 'ACCEPT_INVITATION' : 'DECLINE_INVITATION');
  }

  /**
   * The actor leaves (or withdraws its pending request); a coordinator may also remove a member.
   * The last active pilot cannot leave: the coalition would have nobody to run it.
   */
  leave(user: AuthUser | null, membershipId: string): Promise<Membership> {
    return this.move(user, membershipId, 'LEAVE', async (m, membership, coalition) => {
      if (membership.role !== MembershipRole.PILOTE || membership.status !== MembershipStatus.ACTIVE) return;
      // Serialises concurrent departures of pilots of the same coalition.
      await this.repo.lock(m, coalition.id);
      if ((await this.repo.otherActivePilots(m, coalition.id, membership.id)) === 0) {
        throw new AppError('CONFLICT', 'Le dernier pilote ne peut pas quitter la coalition : invitez d’abord un autre pilote.');
      }
    });
  }

  /** Inserts an open membership, turning the partial unique index's refusal into a clear CONFLICT. */
  private async open(
    user: AuthUser,
    c: Coalition,
    actorId: string,
    role: MembershipRole,
    action: MembershipAction,
    parties: MembershipParty[],
  ): Promise<Membership> {
    const status = MembershipMachine.next(action, null, parties);
    try {
      const id = await this.ds.transaction(async (m) => {
        const created = await this.repo.insertMembership(m, { coalitionId: c.id, actorId, role, status, userId: user.id });
        // A request tells the coordinators, an invitation the invited actor, in the same transaction.
        await Notices.membershipOpened(m, created, user.id);
        return created;
      });
      return await this.readBack(user, id);
    } catch (err) {
      if (isUniqueViolation(err)) throw MembershipMachine.conflict(action, null);
      throw err;
    }
  }

  /** A membership the user may reach, with its coalition; NOT_FOUND otherwise. */
  private async load(user: AuthUser, membershipId: string): Promise<{ membership: Membership; coalition: Coalition }> {
    checkUuid(membershipId, 'membershipId', 'd’adhésion');
    const [membership, coalition] = await Promise.all([this.repo.membershipById(membershipId), this.repo.coalitionOfMembership(membershipId)]);
    // An adhesion of a coalition the user cannot see is reported as absent.
    if (!membership || !coalition || !Permissions.canReach(user, coalition, membership)) throw notFound('Adhésion introuvable');
    return { membership, coalition };
  }

  /**
   * Moves a membership by `action` if it is still in a status the action leaves: the conditional
   * UPDATE is the lock, so of two concurrent decisions exactly one changes the row.
   */
  private async move(
    user: AuthUser | null,
    membershipId: string,
    action: MembershipAction,
    check?: (m: EntityManager, membership: Membership, coalition: Coalition) => Promise<void>,
  ): Promise<Membership> {
    const u = requireUser(user);
    const { membership, coalition } = await this.load(u, membershipId);
    const to = MembershipMachine.next(action, membership.status, Permissions.membershipParties(u, coalition, membership.actorId));
    const from = MembershipMachine.from(action).filter((s): s is MembershipStatus => s !== null);
    await this.ds.transaction(async (m) => {
      if (check) await check(m, membership, coalition);
      if (!(await this.repo.moveMembership(m, membership, from, to, u.id))) {
        const now = await this.repo.membershipStatus(m, membership.id);
        throw new AppError('CONFLICT', 'Cette adhésion a déjà été traitée par quelqu’un d’autre.', { currentStatus: now });
      }
      if (action === 'ACCEPT' || action === 'REJECT') await Notices.membershipDecided(m, membership.id, u.id);
    });
    return this.readBack(u, membership.id);
  }

  /** The membership as now stored, with the user's memberships reloaded (refreshMemberships) beside it. */
  private async readBack(user: AuthUser, membershipId: string): Promise<Membership> {
    const [, membership] = await Promise.all([this.refreshMemberships(user), this.repo.membershipById(membershipId)]);
    return membership!;
  }
}

/**
 * A check started before the ones that must answer first (its query runs beside theirs, one round
 * trip less), awaited after them: its refusal is only reported if they pass, and never left unhandled.
 */
function lookAhead<T>(check: Promise<T>): Promise<T> {
  check.catch(() => undefined);
  return check;
}
