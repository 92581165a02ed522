import { isEmail, validate } from 'class-validator';
import type { DataSource } from 'typeorm';
import { unauthenticated } from '../auth/auth.service.js';
import { type AuthUser, type ClientInfo, UserRole } from '../auth/auth.types.js';
import type { LoginThrottle, ThrottlePolicy } from '../auth/login-throttle.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { ActorStatus } from './actor-enums.js';
import { emptyToNull, prepareRecord } from './actor-record.js';
import { ActorChangeInput, UpdateActorInput } from './actor.inputs.js';
import { ActorPermissions } from './actor.permissions.js';
import { ActorRepository } from './actor.repository.js';
import { type ActorRecord, ActorService } from './actor.service.js';
import { NO_REACH } from './actor-review.js';
import type { Queryable } from '../db/sql.js';
import { type ActorChangeProposal, ProposalRepository, ProposalStatus, type ProposedValues, proposedValues } from './change-proposal.js';

/**
 * Proposals from a visitor (by address): 5, then one after 1 min, 2 min, 4… up to 1 h; forgotten
 * after 1 h without one. A proposal is never given back, accepted or not.
 */
export const VISITOR_PROPOSALS: ThrottlePolicy = { free: 5, firstDelaySeconds: 60, maxDelaySeconds: 3600, forgetAfterSeconds: 3600 };
/** Proposals from a signed-in account (by account, whatever its address): 30, then the same delays. */
export const ACCOUNT_PROPOSALS: ThrottlePolicy = { free: 30, firstDelaySeconds: 60, maxDelaySeconds: 3600, forgetAfterSeconds: 3600 };
/** Pending proposals one actor may have at once: the moderators' queue cannot be flooded through one page. */
export const MAX_PENDING_PER_ACTOR = 20;
/** The throttle row of proposals (login-throttle.ts keeps it apart from the log-in budget). */
const THROTTLE_KEY = 'proposition';

const MESSAGE_MAX = 2000;

/** Whether the checked record differs from the stored one on a proposed field. */
function changesSomething(values: ProposedValues, record: ActorRecord, base: ActorRecord): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const keyOf = (t: { level: string; code: string }) => `${t.level}:${t.code}`;
  return Object.keys(values).some((k) => {
    if (k === 'audiences') return !same([...record.audienceCodes].sort(), [...base.audienceCodes].sort());
    if (k === 'territories') return !same(record.territories.map(keyOf).sort(), base.territories.map(keyOf).sort());
    return !same(record[k as keyof ActorRecord], base[k as keyof ActorRecord]);
  });
}

/** The stored values as the input they came from, so that class-validator checks them again. */
function asInput<T extends ActorChangeInput>(into: T, values: ProposedValues): T {
  const { territories, ...rest } = values;
  return Object.assign(into, rest, territories ? { territories: territories.map((t) => Object.assign(new TerritoryRefInput(), t)) } : {});
}

/**
 * « Proposer une modification » (change-proposal.ts): anyone proposes, nothing changes; an ARS
 * analyst of a région the actor covers or an administrator (ActorPermissions.canReview) accepts,
 * and the change is written by ActorService.applyChange with every check of updateActor run again,
 * or rejects, and the actor stays as it was. Proposals are throttled by address for visitors and
 * by account for members (the log-in throttle's table, rows of their own), and capped per actor.
 */
export class ChangeProposalService {
  constructor(
    private readonly ds: DataSource,
    private readonly actors: ActorService,
    private readonly throttle: LoginThrottle,
  ) {}

  async propose(
    actorId: string,
    changes: ActorChangeInput,
    message: string | null | undefined,
    email: string | null | undefined,
    user: AuthUser | null | undefined,
    client: ClientInfo | undefined,
  ): Promise<ActorChangeProposal> {
    checkUuid(actorId, 'actorId', 'd’acteur');
    const text = emptyToNull(message);
    if (text && text.length > MESSAGE_MAX) throw badInput('Le message dépasse 2 000 caractères', 'message');
    const contact = emptyToNull(email);
    if (contact && (contact.length > 254 || !isEmail(contact))) throw badInput('Votre courriel n’est pas valide', 'contactEmail');
    const values = proposedValues(changes);
    if (Object.keys(values).length === 0) throw badInput('Proposez au moins une modification', 'changes');
    // Counted before anything is read or checked, as a log-in: a flood of bad proposals costs as much.
    if (user) await this.throttle.reserveUse(`compte:${user.id}`, THROTTLE_KEY, ACCOUNT_PROPOSALS);
    else await this.throttle.reserveUse(client?.address ?? 'inconnue', THROTTLE_KEY, VISITOR_PROPOSALS);
    // Read before the transaction, as updateActor does: the embedded database serves one connection at a time.
    const vocabularies = await this.actors.vocabularies();
    const id = await this.ds.transaction(async (m) => {
      // The actor's row lock orders the proposals of one actor: the cap below holds under concurrency.
      const base = (await this.actors.records(m, [actorId])).get(actorId);
      if (!base || !(await ActorRepository.lock(m, actorId))) throw notFound('Acteur introuvable');
      if (base.status !== ActorStatus.ACTIVE) throw new AppError('CONFLICT', 'Cet acteur est archivé : il ne reçoit plus de propositions de modification.');
      const { record, problems } = prepareRecord(asInput(new UpdateActorInput(), values), base, vocabularies);
      if (!record) throw ActorService.invalid(problems);
      if (!changesSomething(values, record, base)) throw badInput('Cette proposition ne change rien à la fiche', 'changes');
      if ((await ProposalRepository.pendingCount(m, actorId)) >= MAX_PENDING_PER_ACTOR) {
        throw new AppError(
          'TOO_MANY_ATTEMPTS',
          `Cet acteur a déjà ${MAX_PENDING_PER_ACTOR} propositions de modification en attente : réessayez quand elles auront été examinées.`,
        );
      }
      return ProposalRepository.insert(m, { actorId, values, message: text, contactEmail: contact, authorId: user?.id ?? null });
    });
    return (await ProposalRepository.get(this.ds, id))!;
  }

  /**
   * Accepts a pending proposal: its changes are written as updateActor writes them (validation,
   * coverage, review status), with `expectedVersion` the version the moderator examined (CONFLICT if
   * the actor changed since; null: any). A proposal no longer valid is refused (BAD_USER_INPUT) and
   * stays pending.
   */
  async accept(id: string, expectedVersion: number | null, reason: string | null | undefined, user: AuthUser | null | undefined): Promise<ActorChangeProposal> {
    const vocabularies = await this.actors.vocabularies();
    return this.decide(id, ProposalStatus.ACCEPTED, reason, user, async (m, moderator, p) => {
      const input = asInput(new ActorChangeInput(), p.values);
      const errors = await validate(input);
      if (errors.length) {
        throw ActorService.invalid(errors.map((e) => ({ field: e.property, reason: Object.values(e.constraints ?? {}).join(', ') || 'valeur invalide' })));
      }
      await this.actors.applyChange(
        m,
        p.actorId,
        asInput(new UpdateActorInput(), p.values),
        moderator,
        expectedVersion,
        (s) => ActorPermissions.assertCanReview(moderator, s),
        vocabularies,
      );
    });
  }

  /** Rejects a pending proposal (a reason is required): the actor is not touched. */
  reject(id: string, reason: string | null | undefined, user: AuthUser | null | undefined): Promise<ActorChangeProposal> {
    if (!emptyToNull(reason)) throw badInput('Donnez la raison du refus', 'reason');
    return this.decide(id, ProposalStatus.REJECTED, reason, user, async () => {});
  }

  /**
   * One decision on a pending proposal, under its row lock: a visitor is UNAUTHENTICATED and an
   * account that moderates nothing FORBIDDEN before anything is read; then FORBIDDEN unless the
   * user may review the actor, CONFLICT unless the proposal is still pending.
   */
  private async decide(
    id: string,
    to: ProposalStatus,
    reason: string | null | undefined,
    user: AuthUser | null | undefined,
    apply: (m: Queryable, moderator: AuthUser, p: { actorId: string; values: ProposedValues }) => Promise<void>,
  ): Promise<ActorChangeProposal> {
    if (!user) throw unauthenticated();
    // An account that moderates nothing is refused before any read, as for any actor.
    if (user.role !== UserRole.ADMIN && user.role !== UserRole.ANALYST) ActorPermissions.assertCanReview(user, { id, reach: NO_REACH });
    checkUuid(id, 'id', 'de proposition');
    const text = emptyToNull(reason);
    if (text && text.length > 1000) throw badInput('La raison dépasse 1 000 caractères', 'reason');
    await this.ds.transaction(async (m) => {
      const p = await ProposalRepository.lock(m, id);
      if (!p) throw notFound('Proposition introuvable');
      ActorPermissions.assertCanReview(user, await this.actors.scope(m, p.actorId));
      if (p.status !== ProposalStatus.PENDING) {
        throw new AppError('CONFLICT', `Cette proposition est déjà ${p.status === ProposalStatus.ACCEPTED ? 'acceptée' : 'refusée'}.`, { status: p.status });
      }
      await apply(m, user, p);
      await ProposalRepository.decide(m, id, to, user.id, text);
    });
    return (await ProposalRepository.get(this.ds, id))!;
  }
}
