import type { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth.types.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import { activeActor, checkDates, checkReason, isUniqueViolation } from './coalition.guards.js';
import { requireUser } from '../auth/auth.service.js';
import { PartnershipRules } from './coalition.permissions.js';
import type { CoalitionRepository } from './coalition.repository.js';
import { type PartnershipAction, PartnershipMachine, PARTNERSHIP_TRANSITIONS } from './coalition.transitions.js';
import type { CreatePartnershipInput } from './coalition.inputs.js';
import type { Partnership } from './partnership.entity.js';
import { PartnershipRepository } from './partnership.repository.js';
import { Notices } from '../notifications/notices.js';

/** The system's own move: an active partnership whose period is over ends when the pair declares it again. */
const EXPIRE = PARTNERSHIP_TRANSITIONS.find((t) => t.action === 'EXPIRE')!;

/**
 * Direct partnerships between two actors: declared by one side, confirmed or declined by the
 * other, ended by either. Every change of status asks the transition table (`PartnershipMachine`)
 * with the parties the user plays (`PartnershipRules.parties`).
 */
export class PartnershipService {
  readonly repo: PartnershipRepository;

  constructor(
    private readonly ds: DataSource,
    private readonly coalitions: CoalitionRepository,
  ) {
    this.repo = new PartnershipRepository(ds);
  }

  /** Pending partnerships the user may confirm (declared by another side), oldest first; 500 at most. */
  async toConfirm(user: AuthUser | null): Promise<Partnership[]> {
    const u = requireUser(user);
    const pending = await this.repo.pending(PartnershipRules.visibleSql(u), 2000);
    return pending.filter((p) => PartnershipMachine.allows('CONFIRM', p.status, PartnershipRules.parties(u, p))).slice(0, 500);
  }

  /**
   * Declares a partnership for an actor the user represents (or as an administrator): PENDING
   * until the other side confirms it. The partial unique index on the unordered pair and kind
   * refuses a second pending or active one, even declared at the same time (CONFLICT).
   */
  async create(user: AuthUser | null, input: CreatePartnershipInput): Promise<Partnership> {
    const u = requireUser(user);
    checkUuid(input.actorId, 'actorId', 'd’acteur');
    checkUuid(input.partnerActorId, 'partnerActorId', 'd’acteur');
    const status = PartnershipMachine.next('DECLARE', null, PartnershipRules.declarerParties(u, input.actorId));
    if (input.actorId === input.partnerActorId) throw badInput('un acteur ne peut être son propre partenaire', 'partnerActorId');
    await activeActor(this.coalitions, input.actorId, 'actorId');
    await activeActor(this.coalitions, input.partnerActorId, 'partnerActorId');
    checkDates(input.startDate ?? null, input.endDate ?? null);
    const declaration = {
      actorAId: input.actorId,
      actorBId: input.partnerActorId,
      kind: input.kind,
      title: input.title?.trim() || null,
      startDate: input.startDate ?? null,
      endDate: input.endDate ?? null,
      status,
      createdBy: u.id,
    };
    let id: string | null;
    try {
      id = await this.ds.transaction(async (m) => {
        // An active partnership whose period is over no longer blocks a new one of the same kind.
        await this.repo.expire(m, declaration, { from: EXPIRE.from!, to: EXPIRE.to, userId: u.id, reason: 'Période terminée' });
        const declared = await this.repo.insert(m, declaration);
        // The other side is told in the same transaction that it has a partnership to confirm.
        if (declared) await Notices.partnershipDeclared(m, declared, u.id);
        return declared;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw PartnershipMachine.conflict('DECLARE', null);
      throw err;
    }
    if (!id) throw PartnershipMachine.conflict('DECLARE', null);
    return (await this.repo.byId(id))!;
  }

  /** The other side (or an ARS analyst of the région, an administrator) confirms a pending declaration. */
  confirm(user: AuthUser | null, id: string): Promise<Partnership> {
    return this.move(user, id, 'CONFIRM', null);
  }

  /** The other side declines a pending declaration, with an optional reason. */
  decline(user: AuthUser | null, id: string, reason: string | null | undefined): Promise<Partnership> {
    return this.move(user, id, 'DECLINE', reason);
  }

  /** Either side ends an active partnership (or withdraws a pending one); its history stays. */
  end(user: AuthUser | null, id: string, reason: string | null | undefined): Promise<Partnership> {
    return this.move(user, id, 'END', reason);
  }

  /** A partnership the user may see; NOT_FOUND otherwise, so that pending declarations do not leak. */
  private async visible(user: AuthUser, id: string): Promise<Partnership> {
    checkUuid(id, 'id', 'de partenariat');
    const p = await this.repo.byId(id);
    if (!p || !PartnershipRules.canSee(user, p)) throw notFound('Partenariat introuvable');
    return p;
  }

  /**
   * Moves a partnership by `action` if nobody changed it in between: the conditional UPDATE is the
   * lock, so of two concurrent decisions exactly one succeeds.
   */
  private async move(user: AuthUser | null, id: string, action: PartnershipAction, reason: string | null | undefined): Promise<Partnership> {
    const u = requireUser(user);
    const why = checkReason(reason);
    const p = await this.visible(u, id);
    const to = PartnershipMachine.next(action, p.status, PartnershipRules.parties(u, p));
    await this.ds.transaction(async (m) => {
      if (!(await this.repo.move(m, p.id, { from: p.status, to, userId: u.id, reason: why }))) {
        const now = await this.repo.status(m, p.id);
        throw new AppError('CONFLICT', 'Ce partenariat vient d’être modifié par quelqu’un d’autre : rechargez-le.', { currentStatus: now });
      }
    });
    return (await this.repo.byId(p.id))!;
  }
}
