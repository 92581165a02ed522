import type { DataSource } from 'typeorm';
import { textCondition } from '../actors/actor-filter.js';
import { isRna } from '../actors/actor-identifiers.js';
import { ActorRepository } from '../actors/actor.repository.js';
import { requireUser } from '../auth/auth.service.js';
import type { AuthUser } from '../auth/auth.types.js';
import { one, type Queryable, run, type Sql, sql } from '../db/sql.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import { isUniqueViolation } from '../coalitions/coalition.guards.js';
import { notify } from '../notifications/notify.js';
import { type ActorClaim, CLAIM_COLUMNS, type ClaimRow, ClaimStatus, toClaim } from './claim.entity.js';
import { ClaimRules, type ClaimScope } from './claim.permissions.js';

/** Pending claims one account may have at once: enough for a person in several structures, not for spamming every representative. */
export const MAX_PENDING_CLAIMS = 10;
const TEXT_MAX = 1000;

/** A message or reason: trimmed, null if empty, 1,000 characters at most. */
function boundedText(value: string | null | undefined, field: string): string | null {
  const t = value?.trim() || null;
  if (t && t.length > TEXT_MAX) throw badInput(`Le texte dépasse 1 000 caractères`, field);
  return t;
}

const conflict = (message: string, details: Record<string, unknown>) => new AppError('CONFLICT', message, details);

/**
 * Claims to represent an actor: an account finds its structure (`search`), asks to represent it
 * (`claim`), and the structure's representatives, or failing them an ARS analyst of its région or
 * an administrator, accept or reject (`decide`); accepting adds the account to user_actor. Every
 * change is one transaction with its notification (server/notifications/notify.ts). Who may do
 * what is in claim.permissions.ts.
 */
export class ClaimService {
  constructor(private readonly ds: DataSource) {}

  /**
   * Actors an account may look for to claim: by name (as the directory search reads it), by SIRET,
   * SIREN or RNA number, or by the commune of their address (name or postal code). Active actors,
   * not rejected by moderation; exact names first. `first` is capped by ARG_CAPS (server/graphql/cost.ts).
   */
  async search(query: string, first: number): Promise<string[]> {
    const q = query.trim();
    if (q.length < 2 || q.length > 200) throw badInput('Cherchez avec 2 à 200 caractères : nom, SIRET, RNA ou commune', 'query');
    const compact = q.replace(/[\s.]/g, '').toUpperCase();
    let match: Sql;
    if (/^\d{14}$/.test(compact)) match = sql`a.siret = ${compact}`;
    else if (/^\d{9}$/.test(compact)) match = sql`(a.siren = ${compact} OR left(a.siret, 9) = ${compact})`;
    else if (isRna(compact)) match = sql`a.rna = ${compact}`;
    else if (/^\d{5}$/.test(compact)) match = sql`a.postal_code = ${compact}`;
    else {
      match = sql`(${textCondition(q)} OR a.commune_code IN (SELECT t.code FROM territory t
        WHERE t.level IN ('COMMUNE', 'ARRONDISSEMENT') AND t.search_name = public.f_norm(${q})))`;
    }
    const rows = await run<{ id: string }>(
      this.ds,
      sql`SELECT a.id FROM actor a
          WHERE a.status = 'ACTIVE' AND a.review_status <> 'REJECTED' AND ${match}
          ORDER BY (a.search_name = public.f_norm(${q})) DESC, a.search_name, a.id
          LIMIT ${first}`,
    );
    return rows.map((r) => r.id);
  }

  /**
   * Asks to represent an actor. CONFLICT when the account already represents it
   * (`reason: ALREADY_REPRESENTS`), already has a pending claim on it (`ALREADY_PENDING`, even two
   * sent at once) or has MAX_PENDING_CLAIMS pending (`TOO_MANY_PENDING`). The deciders are notified.
   */
  async claim(user: AuthUser | null | undefined, actorId: string, message: string | null | undefined): Promise<ActorClaim> {
    const u = requireUser(user);
    checkUuid(actorId, 'actorId', 'd’acteur');
    const text = boundedText(message, 'message');
    let id: string;
    try {
      id = await this.ds.transaction(async (m) => {
        // One claim of an account at a time: the checks below and the insert see each other.
        await run(m, sql`SELECT 1 FROM user_account WHERE id = ${u.id} FOR UPDATE`);
        const actor = await one<{ name: string; status: string }>(m, sql`SELECT name, status FROM actor WHERE id = ${actorId}`);
        if (!actor) throw notFound('Acteur introuvable');
        if (actor.status !== 'ACTIVE') throw badInput('Cet acteur est archivé', 'actorId');
        if (await one(m, sql`SELECT 1 FROM user_actor WHERE user_id = ${u.id} AND actor_id = ${actorId}`)) {
          throw conflict('Votre compte représente déjà cette structure.', { reason: 'ALREADY_REPRESENTS' });
        }
        const pending = await run<{ actor_id: string }>(m, sql`SELECT actor_id FROM actor_claim WHERE account_id = ${u.id} AND status = 'PENDING'`);
        if (pending.some((p) => p.actor_id === actorId)) {
          throw conflict('Vous avez déjà demandé à représenter cette structure : votre demande est en attente.', { reason: 'ALREADY_PENDING' });
        }
        if (pending.length >= MAX_PENDING_CLAIMS) {
          throw conflict(`Vous avez déjà ${MAX_PENDING_CLAIMS} demandes en attente : attendez une décision ou retirez-en une.`, {
            reason: 'TOO_MANY_PENDING',
          });
        }
        const [row] = await run<{ id: string }>(
          m,
          sql`INSERT INTO actor_claim (account_id, actor_id, message) VALUES (${u.id}, ${actorId}, ${text}) RETURNING id`,
        );
        const deciders = await run<{ user_id: string }>(m, ClaimRules.decidersSql(actorId));
        await notify(m, {
          accountIds: deciders.map((d) => d.user_id),
          kind: 'CLAIM_RECEIVED',
          payload: { claimId: row.id, actorId, actorName: actor.name, claimantName: u.displayName },
          exceptAccountId: u.id,
        });
        return row.id;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw conflict('Vous avez déjà demandé à représenter cette structure : votre demande est en attente.', { reason: 'ALREADY_PENDING' });
      throw err;
    }
    return this.view(u, id);
  }

  /**
   * Accepts or rejects a pending claim, under the claim's row lock: of concurrent decisions one
   * wins, the others get CONFLICT with the current status. Accepting adds the claimant to the
   * actor's representatives; the claimant is notified.
   */
  async decide(user: AuthUser | null | undefined, id: string, accept: boolean, reason: string | null | undefined): Promise<ActorClaim> {
    const u = requireUser(user);
    checkUuid(id, 'id', 'de demande');
    const why = boundedText(reason, 'reason');
    await this.ds.transaction(async (m) => {
      const { claim, scope } = await this.locked(m, u, id);
      ClaimRules.assertCanDecide(u, scope);
      ClaimService.assertPending(claim);
      const to = accept ? ClaimStatus.ACCEPTED : ClaimStatus.REJECTED;
      const moved = await run(
        m,
        sql`UPDATE actor_claim SET status = ${to}, decision_reason = ${why}, decided_by = ${u.id}, decided_at = now()
            WHERE id = ${id} AND status = 'PENDING' RETURNING id`,
      );
      // The row lock already orders concurrent decisions; the condition is the second guard.
      if (moved.length === 0) throw ClaimService.alreadyDecided(null);
      if (accept) await run(m, sql`INSERT INTO user_actor (user_id, actor_id) VALUES (${claim.account_id}, ${claim.actor_id}) ON CONFLICT DO NOTHING`);
      const actor = await one<{ name: string }>(m, sql`SELECT name FROM actor WHERE id = ${claim.actor_id}`);
      await notify(m, {
        accountIds: [claim.account_id],
        kind: 'CLAIM_DECIDED',
        payload: { claimId: id, actorId: claim.actor_id, actorName: actor?.name ?? null, accepted: accept, reason: why },
      });
    });
    return this.view(u, id);
  }

  /** The claimant withdraws his pending claim (anyone else: NOT_FOUND, or FORBIDDEN for a decider). */
  async withdraw(user: AuthUser | null | undefined, id: string): Promise<ActorClaim> {
    const u = requireUser(user);
    checkUuid(id, 'id', 'de demande');
    await this.ds.transaction(async (m) => {
      const { claim } = await this.locked(m, u, id);
      if (!ClaimRules.canWithdraw(u, { claimantId: claim.account_id }))
        throw new AppError('FORBIDDEN', 'Seule la personne qui a fait la demande peut la retirer.');
      ClaimService.assertPending(claim);
      await run(m, sql`UPDATE actor_claim SET status = 'WITHDRAWN', decided_by = ${u.id}, decided_at = now() WHERE id = ${id} AND status = 'PENDING'`);
    });
    return this.view(u, id);
  }

  /** The account's own claims, newest first (100 at most). */
  async mine(user: AuthUser | null | undefined): Promise<ActorClaim[]> {
    const u = requireUser(user);
    const rows = await run<ClaimRow>(
      this.ds,
      sql`SELECT ${CLAIM_COLUMNS} FROM actor_claim c WHERE c.account_id = ${u.id} ORDER BY c.created_at DESC, c.id LIMIT 100`,
    );
    return rows.map((r) => ClaimService.withViewer(toClaim(r), false, r.status === ClaimStatus.PENDING));
  }

  /** Pending claims the account may decide, oldest first (200 at most). */
  async toDecide(user: AuthUser | null | undefined): Promise<ActorClaim[]> {
    const u = requireUser(user);
    const rows = await run<ClaimRow>(
      this.ds,
      sql`SELECT ${CLAIM_COLUMNS} FROM actor_claim c WHERE c.status = 'PENDING' AND ${ClaimRules.decidableSql(u)} ORDER BY c.created_at, c.id LIMIT 200`,
    );
    return rows.map((r) => ClaimService.withViewer(toClaim(r), true, false));
  }

  private static withViewer(claim: ActorClaim, viewerCanDecide: boolean, viewerCanWithdraw: boolean): ActorClaim {
    return Object.assign(claim, { viewerCanDecide, viewerCanWithdraw });
  }

  private static assertPending(claim: { status: ClaimStatus }): void {
    if (claim.status !== ClaimStatus.PENDING) throw ClaimService.alreadyDecided(claim.status);
  }

  private static alreadyDecided(currentStatus: ClaimStatus | null): AppError {
    return conflict('Cette demande a déjà été traitée ou retirée : rechargez la page.', { currentStatus });
  }

  /** Representatives and régions of the claimed actor, read in `m`. */
  private static async scope(m: Queryable, claim: { account_id: string; actor_id: string }): Promise<ClaimScope> {
    const reps = await run<{ user_id: string }>(m, sql`SELECT user_id FROM user_actor WHERE actor_id = ${claim.actor_id}`);
    const reach = (await ActorRepository.reach(m, [claim.actor_id])).get(claim.actor_id);
    return { claimantId: claim.account_id, representatives: reps.map((r) => r.user_id), regions: reach?.regions ?? [] };
  }

  /** The claim locked for a change; NOT_FOUND unless the user may see it. */
  private async locked(m: Queryable, u: AuthUser, id: string) {
    const claim = await one<{ account_id: string; actor_id: string; status: ClaimStatus }>(
      m,
      sql`SELECT account_id, actor_id, status FROM actor_claim WHERE id = ${id} FOR UPDATE`,
    );
    if (!claim) throw notFound('Demande introuvable');
    const scope = await ClaimService.scope(m, claim);
    if (!ClaimRules.canSee(u, scope)) throw notFound('Demande introuvable');
    return { claim, scope };
  }

  /** A claim as `u` reads it after a change. */
  private async view(u: AuthUser, id: string): Promise<ActorClaim> {
    const row = await one<ClaimRow>(this.ds, sql`SELECT ${CLAIM_COLUMNS} FROM actor_claim c WHERE c.id = ${id}`);
    if (!row) throw notFound('Demande introuvable');
    const scope = await ClaimService.scope(this.ds, row);
    const pending = row.status === ClaimStatus.PENDING;
    return ClaimService.withViewer(toClaim(row), pending && ClaimRules.canDecide(u, scope), pending && ClaimRules.canWithdraw(u, scope));
  }
}
