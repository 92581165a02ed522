import type { DataSource } from 'typeorm';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import type { Queryable } from '../db/sql.js';
import { unauthenticated } from '../auth/auth.service.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import { invalidDataMessage } from '../graphql/field-labels.js';
import { checkUuid } from '../graphql/ids.js';
import type { ThemeService } from '../themes/theme.service.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { ACTOR_KIND_LABELS, type ActorKind, ReviewStatus, SECTOR_LABELS, type Sector } from './actor-enums.js';
import { resolveCoverage } from './actor-coverage.js';
import { assertNoClash, guardIdentifiers, UNIQUE_IDENTIFIERS } from './actor-identity.js';
import { resolveMerged } from './actor-merge.js';
import { emptyToNull, type FieldProblem, prepareRecord, type Vocabularies } from './actor-record.js';
import { type ActorReach, ActorReview, NO_REACH } from './actor-review.js';
import { searchActors, type SearchRequest, type SearchResult } from './actor-search.js';
import type { Actor } from './actor.entity.js';
import type { CreateActorInput, UpdateActorInput } from './actor.inputs.js';
import { ActorPermissions } from './actor.permissions.js';
import { Notices } from '../notifications/notices.js';
import { type ActorRecord, ActorRepository, type ReviewChange, type StoredRecord } from './actor.repository.js';

export type { ActorRecord, StoredRecord } from './actor.repository.js';
export type { FieldProblem } from './actor-record.js';
export type { FacetGroup, SearchResult, SearchWants } from './actor-search.js';

/**
 * Writes and searches the directory. Every write resolves the actor's intervention territory
 * into coverage rows in the same transaction, so reads never join geometries. The SQL is in
 * actor.repository.ts, the rules in actor.permissions.ts (who) and actor-review.ts (moderation).
 */
export class ActorService {
  constructor(
    private readonly ds: DataSource,
    private readonly themes: ThemeService,
    private readonly territories: TerritoryService,
  ) {}

  /**
   * Checks an input against the vocabularies and the official territories (prepareRecord) and
   * returns either a record or the list of problems. `base` is the current record for an update.
   */
  async prepare(input: CreateActorInput | UpdateActorInput, base?: ActorRecord): Promise<{ record?: ActorRecord; problems: FieldProblem[] }> {
    return prepareRecord(input, base, await this.vocabularies());
  }

  /** What prepareRecord checks against. */
  async vocabularies() {
    return { taxonomy: await this.themes.taxonomy(), known: await this.territories.knownKeys() };
  }

  /**
   * Inserts checked actors (any number) and resolves their coverage; returns their ids in order.
   * `review` is their review status: VALIDATED only for trusted loaders (seeds, the command line);
   * a write for a user starts PENDING_REVIEW and takes its status from `settleReview` (a pending
   * actor costs the gap aggregates nothing until validated).
   */
  insertMany(m: Queryable, records: ActorRecord[], review: ReviewStatus = ReviewStatus.VALIDATED): Promise<string[]> {
    return ActorRepository.insert(m, records, review);
  }

  /**
   * Overwrites checked records that carry their id (any number), bumping their version, and
   * re-resolves the coverage of those listed in `coverageIds` (territories, radius or place changed).
   */
  async updateMany(m: Queryable, records: (ActorRecord & { id: string })[], coverageIds: readonly string[]): Promise<void> {
    await ActorRepository.update(m, records, coverageIds);
  }

  /** The stored records of several actors, by id. */
  records(m: Queryable, ids: readonly string[]): Promise<Map<string, StoredRecord>> {
    return ActorRepository.records(m, ids);
  }

  /** See actor-coverage.ts. */
  resolveCoverage(m: Queryable, ids: string[]): Promise<void> {
    return resolveCoverage(m, ids);
  }

  /** Sets review statuses decided by the moderation rules (actor-review.ts) and records each change. */
  settleReview(m: Queryable, userId: string | null, changes: ReviewChange[]): Promise<void> {
    return ActorRepository.settleReview(m, userId, changes);
  }

  /** An actor as the permission checks see it, read inside the caller's transaction. */
  async scope(m: Queryable, id: string): Promise<{ id: string; reach: ActorReach }> {
    return { id, reach: (await ActorRepository.reach(m, [id])).get(id) ?? NO_REACH };
  }

  static invalid(problems: FieldProblem[]): AppError {
    return new AppError('BAD_USER_INPUT', invalidDataMessage(problems.map((p) => ({ field: p.field, reasons: [p.reason] }))), {
      field: problems[0].field,
      fields: problems,
    });
  }

  private static conflict(currentVersion: number): AppError {
    return new AppError(
      'CONFLICT',
      'Cet acteur a été modifié par quelqu’un d’autre depuis votre lecture : rechargez la fiche puis refaites votre modification.',
      { currentVersion },
    );
  }

  /** Locks the actor's row until the end of the transaction; NOT_FOUND without one. */
  private static async lockAt(m: Queryable, id: string) {
    const locked = await ActorRepository.lock(m, id);
    if (!locked) throw notFound('Acteur introuvable');
    return locked;
  }

  /**
   * Under the actor's row lock, so that two writes of the same version cannot both pass: `check`
   * on the actor as stored (its reach), then CONFLICT unless it is still at `expectedVersion`; its stored record.
   */
  private async lockAtVersion(m: Queryable, id: string, expectedVersion: number | null, check: (scope: { id: string; reach: ActorReach }) => void) {
    // The row locked, its reach and its record read, in one statement.
    const found = await ActorRepository.lockRecord(m, id);
    if (!found) throw notFound('Acteur introuvable');
    const { record: base, reach } = found;
    const scope = { id, reach };
    check(scope);
    if (expectedVersion !== null && base.version !== expectedVersion) throw ActorService.conflict(base.version);
    return { base, scope };
  }

  /**
   * Creates an actor for a signed-in account; a member or coordinator then represents it, in the
   * same transaction. Its review status follows the moderation rules (ActorReview.onCreate).
   */
  async create(input: CreateActorInput, author: AuthUser): Promise<Actor> {
    const { record, problems } = await this.prepare(input);
    if (!record) throw ActorService.invalid(problems);
    // Only an analyst's actor depends on where it acts; it starts pending (touching no aggregate)
    // and is counted once, if validated.
    const known = author.role === UserRole.ANALYST ? null : ActorReview.onCreate(author, NO_REACH);
    const represents = ActorPermissions.representsWhatItCreates(author);
    // A SIRET, RNA or FINESS number of another active actor: CONFLICT naming it, even for two creations at the same instant.
    const actor = await guardIdentifiers(
      this.ds,
      () =>
        this.ds.transaction(async (m) => {
          await assertNoClash(m, record, undefined);
          const stored = known?.status ?? ReviewStatus.PENDING_REVIEW;
          const [created] = await this.insertMany(m, [record], stored);
          const decision = known ?? ActorReview.onCreate(author, (await this.scope(m, created)).reach);
          // The representation, the review event and the actor read back: one statement.
          const represent = represents ? [ActorRepository.representation(author.id, created)] : [];
          return ActorRepository.settleReviewAndRead(m, author.id, [{ id: created, from: null, stored, decision }], represent, created);
        }),
      [record],
    );
    // The rest of this request sees its author as representing the actor, as its next ones will
    // (the answer's viewerCanEdit, representatives…).
    if (represents) author.actorIds = [...author.actorIds, actor.id];
    return actor;
  }

  /**
   * Applies a change if `user` may edit the actor (ActorPermissions.canEdit, on the actor as
   * stored, under its row lock) and `expectedVersion` is still the stored one; otherwise
   * FORBIDDEN or CONFLICT, and nothing changes. The review status then follows ActorReview.onUpdate.
   */
  async update(id: string, expectedVersion: number, input: UpdateActorInput, user: AuthUser | null | undefined): Promise<Actor> {
    ActorPermissions.assertMayEditAny(user, id);
    ActorService.checkId(id);
    const vocabularies = await this.vocabularies();
    return guardIdentifiers(this.ds, () =>
      this.ds.transaction((m) => this.applyChange(m, id, input, user!, expectedVersion, (s) => ActorPermissions.assertCanEdit(user, s), vocabularies)),
    );
  }

  /**
   * The one write of a change to an actor (updateActor, an accepted change proposal), in the
   * caller's transaction: under the actor's row lock, `check` on the actor as stored and CONFLICT
   * unless it is still at `expectedVersion` (null: any); the input checked again (prepareRecord,
   * BAD_USER_INPUT), the coverage re-resolved when its territory or place moved, and the review
   * status as ActorReview.onUpdate decides for `editor`. Returns the actor as the transaction
   * leaves it (read by the update's own statement).
   */
  async applyChange(
    m: Queryable,
    id: string,
    input: UpdateActorInput,
    editor: AuthUser,
    expectedVersion: number | null,
    check: (scope: { id: string; reach: ActorReach }) => void,
    vocabularies: Vocabularies,
  ): Promise<Actor> {
    const { base, scope } = await this.lockAtVersion(m, id, expectedVersion, check);
    const { record, problems } = prepareRecord(input, base, vocabularies);
    if (!record) throw ActorService.invalid(problems);
    // An archived actor may keep a number an active one now holds; an active one may not take another's.
    if (base.status === 'ACTIVE' && UNIQUE_IDENTIFIERS.some((f) => input[f] !== undefined)) await assertNoClash(m, record, id);
    const coverageChanged = input.territories !== undefined || input.radiusKm !== undefined || input.lon !== undefined || input.communeCode !== undefined;
    // A validated actor whose territory a non-administrator changes is taken out of the figures
    // while its new coverage is written, and put back only if the review rule keeps it validated:
    // widened to the whole country, it never adds then removes its counts for every commune.
    const heldBack = coverageChanged && base.reviewStatus === ReviewStatus.VALIDATED && editor.role !== UserRole.ADMIN;
    if (heldBack) await ActorRepository.setReviewStatus(m, id, ReviewStatus.PENDING_REVIEW);
    const [updated] = await ActorRepository.update(m, [{ ...record, id }], coverageChanged ? [id] : [], { returning: true });
    const after = coverageChanged ? (await this.scope(m, id)).reach : scope.reach;
    // Where it acts unchanged, a validated actor stays validated (an analyst accepting a proposal
    // for an actor that also acts elsewhere does not move it out of his région).
    const decision =
      coverageChanged || base.reviewStatus !== ReviewStatus.VALIDATED ? ActorReview.onUpdate(editor, base.reviewStatus, scope.reach, after, id) : null;
    if (decision) await this.settleReview(m, editor.id, [{ id, from: base.reviewStatus, decision }]);
    else if (heldBack) await ActorRepository.setReviewStatus(m, id, ReviewStatus.VALIDATED);
    // The update read the row before these: its review status is the one just written, if any.
    if (decision) updated.reviewStatus = decision.status;
    else if (heldBack) updated.reviewStatus = ReviewStatus.VALIDATED;
    return updated;
  }

  /** Archives an actor, with the same permission and version checks as `update`. */
  async archive(id: string, expectedVersion: number, user: AuthUser | null | undefined): Promise<Actor> {
    ActorPermissions.assertMayEditAny(user, id);
    ActorService.checkId(id);
    await this.ds.transaction(async (m) => {
      await this.lockAtVersion(m, id, expectedVersion, (s) => ActorPermissions.assertCanEdit(user, s));
      await ActorRepository.archive(m, id);
    });
    return this.get(id);
  }

  /**
   * Validates or rejects a pending actor (analysts of a région it covers, administrators): one
   * decision wins, the other gets CONFLICT, as for memberships. With `expectedVersion`, a change
   * made since the reviewer read the actor gets CONFLICT too.
   */
  async decideReview(
    id: string,
    to: typeof ReviewStatus.VALIDATED | typeof ReviewStatus.REJECTED,
    reason: string | null | undefined,
    user: AuthUser | null | undefined,
    expectedVersion?: number | null,
  ): Promise<Actor> {
    const author = ActorPermissions.creator(user);
    ActorService.checkId(id);
    const text = emptyToNull(reason);
    if (text !== null && text.length > 1000) throw badInput('La raison dépasse 1 000 caractères', 'reason');
    if (to === ReviewStatus.REJECTED && !text) throw badInput('Donnez la raison du refus', 'reason');
    await this.ds.transaction(async (m) => {
      const locked = await ActorService.lockAt(m, id);
      ActorPermissions.assertCanReview(author, await this.scope(m, id));
      if (locked.reviewStatus !== ReviewStatus.PENDING_REVIEW) {
        throw new AppError(
          'CONFLICT',
          locked.reviewStatus === ReviewStatus.VALIDATED
            ? 'Cet acteur est déjà validé : seul un acteur en attente de validation peut être validé ou refusé.'
            : 'Cet acteur est déjà refusé : seul un acteur en attente de validation peut être validé ou refusé.',
          { reviewStatus: locked.reviewStatus },
        );
      }
      if (expectedVersion !== undefined && expectedVersion !== null && locked.version !== expectedVersion) {
        throw ActorService.conflict(locked.version);
      }
      const decision = { status: to, reason: text ?? (to === ReviewStatus.VALIDATED ? 'Validé' : 'Refusé') };
      await this.settleReview(m, author.id, [{ id, from: locked.reviewStatus, decision }]);
      // Whoever validates has read the record and vouches for it: it is confirmed as of now.
      if (to === ReviewStatus.VALIDATED) await ActorRepository.markVerified(m, id);
      await Notices.moderationDecided(m, id, to, text, author.id);
    });
    return this.get(id);
  }

  /**
   * « Ces informations sont à jour »: a representative of the actor, an ARS analyst of a région
   * where it acts or an administrator confirms the record as read at `expectedVersion` (CONFLICT if
   * it changed since: what was confirmed is not what is stored). Moves only verifiedAt.
   */
  async confirmUpToDate(id: string, expectedVersion: number, user: AuthUser | null | undefined): Promise<Actor> {
    if (!user) throw unauthenticated();
    ActorService.checkId(id);
    if (!ActorPermissions.mayReadReviewOf(user, id)) ActorPermissions.assertCanConfirm(user, { id, reach: NO_REACH });
    await this.ds.transaction(async (m) => {
      await this.lockAtVersion(m, id, expectedVersion, (s) => ActorPermissions.assertCanConfirm(user, s));
      await ActorRepository.markVerified(m, id);
    });
    return this.get(id);
  }

  static checkId(id: string): void {
    checkUuid(id, 'id', 'd’acteur');
  }

  /** The actor an id answers with: itself, or the actor it was merged into (actor-merge.ts), so that no link dies. */
  async current(id: string): Promise<Actor> {
    ActorService.checkId(id);
    return this.get((await resolveMerged(this.ds, id)) ?? id);
  }

  async get(id: string): Promise<Actor> {
    const [actor] = await this.findMany([id]);
    if (!actor) throw notFound('Acteur introuvable');
    return actor;
  }

  async findMany(ids: readonly string[]): Promise<(Actor | null)[]> {
    for (const id of ids) ActorService.checkId(id);
    const byId = new Map((await ActorRepository.findMany(this.ds, ids)).map((a) => [a.id, a]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** A page of the directory (see actor-search.ts). */
  async search(request: SearchRequest): Promise<SearchResult> {
    return searchActors(this.ds, { taxonomy: await this.themes.taxonomy(), territories: this.territories }, request);
  }

  /** Labels for facet values. */
  static facetLabel(kind: 'kinds' | 'sectors', value: string): string {
    return kind === 'kinds' ? (ACTOR_KIND_LABELS[value as ActorKind] ?? value) : (SECTOR_LABELS[value as Sector] ?? value);
  }
}
