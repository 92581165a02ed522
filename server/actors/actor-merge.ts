import type { DataSource } from 'typeorm';
import { requireUser } from '../auth/auth.service.js';
import { recordChange } from '../changes/change-log.js';
import { ChangeEntity, ChangeKind } from '../changes/change.entity.js';
import type { AuthUser } from '../auth/auth.types.js';
import { MembershipRole, MembershipStatus, PartnershipStatus } from '../coalitions/coalition-enums.js';
import { MembershipMachine, PartnershipMachine } from '../coalitions/coalition.transitions.js';
import { isUniqueViolation } from '../coalitions/coalition.guards.js';
import { PartnershipRepository } from '../coalitions/partnership.repository.js';
import { linksToClose, membershipRank, partnershipRank } from './merge-links.js';
import { type Queryable, run, sql } from '../db/sql.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import { ActorRepository } from './actor.repository.js';
import { ActorPermissions } from './actor.permissions.js';

/** What a merge did, for the answer and the change feed. */
export interface MergeOutcome {
  keptId: string;
  removedId: string;
}

const OPEN_MEMBERSHIP = MembershipMachine.from('LEAVE').filter((s): s is MembershipStatus => s !== null);
const OPEN_PARTNERSHIP = PartnershipMachine.from('END').filter((s): s is PartnershipStatus => s !== null);

/** Columns filled on the kept actor from the removed one when the kept actor has none. */
const FILLED = sql`siren = coalesce(k.siren, CASE WHEN k.siret IS NULL OR left(k.siret, 9) = r.siren THEN r.siren END),
  siret = coalesce(k.siret, CASE WHEN k.siren IS NULL OR left(r.siret, 9) = k.siren THEN r.siret END), rna = coalesce(k.rna, r.rna),
  finess = coalesce(k.finess, r.finess), email = coalesce(k.email, r.email), phone = coalesce(k.phone, r.phone),
  website = coalesce(k.website, r.website), opening_hours = coalesce(k.opening_hours, r.opening_hours),
  description = coalesce(k.description, r.description)`;

/**
 * Merges a duplicate into the actor kept (mergeActors), in one transaction under both actors' row
 * locks (taken in id order, as every multi-actor write does):
 *
 * 1. the removed actor is archived first, `merged_into` the kept one (migration 1764000000027), so
 *    that nothing after it can meet it as an active actor (the unique identifiers among active
 *    actors, the gap aggregates: its status change takes its counts out, through the same triggers as
 *    archiveActor), and every actor merged into it before now points at the kept one (one hop);
 * 2. its representatives, memberships (with their history), partnerships (with theirs), claims and
 *    change proposals, and its moderation history, move to the kept actor. Two open memberships of
 *    the same coalition, or two open partnerships of a kind with the same actor, become one
 *    (`linksToClose`): the other is closed through the transition table (LEAVE, END) and its
 *    event recorded; a partnership between the two actors themselves is ended. A pending claim
 *    that became pointless (the same account on both, or an account that now represents it) is
 *    withdrawn;
 * 3. the kept actor takes the identifiers and contacts it lacked (after step 1: no unique index on
 *    active actors can refuse them), gets a new version, and a moderation event says what was merged;
 * 4. `actor_merge` keeps the removed record as it was, who merged it and when; the change feed gets
 *    ARCHIVED for the removed id and MERGED for the kept one (server/changes).
 *
 * Administrators may merge any two active actors; an ARS analyst, two actors lying wholly in his
 * région (the rule of archiveActor, for both). FORBIDDEN otherwise; BAD_USER_INPUT for an actor
 * merged into itself; CONFLICT when either is archived (or already merged: the answer names the actor
 * it went into).
 */
export class ActorMergeService {
  constructor(private readonly ds: DataSource) {}

  async merge(keepId: string, removeId: string, user: AuthUser | null | undefined, inTransaction?: (m: Queryable, o: MergeOutcome) => Promise<void>) {
    const u = requireUser(user);
    checkUuid(keepId, 'keep', 'd’acteur');
    checkUuid(removeId, 'remove', 'd’acteur');
    ActorPermissions.assertMayMergeAny(u);
    if (keepId === removeId) throw badInput('Un acteur ne peut pas être fusionné avec lui-même : choisissez deux fiches différentes.', 'remove');
    try {
      await this.ds.transaction(async (m) => {
        const locked = await run<{ id: string; name: string; status: string; merged_into: string | null }>(
          m,
          // NO KEY UPDATE: the writes of both actors wait, but not the foreign-key checks of a membership
          // decision or a claim accepted meanwhile (they lock their row, then the actor's key: with FOR
          // UPDATE here, the merge waiting for their row would deadlock with them).
          sql`SELECT id, name, status, merged_into FROM actor WHERE id = ANY(${[keepId, removeId]}::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
        );
        const keep = locked.find((a) => a.id === keepId);
        const remove = locked.find((a) => a.id === removeId);
        if (!keep || !remove) throw notFound('Acteur introuvable');
        const reach = await ActorRepository.reach(m, [keepId, removeId]);
        ActorPermissions.assertCanMerge(u, { id: keepId, reach: reach.get(keepId)! }, { id: removeId, reach: reach.get(removeId)! });
        for (const [a, field] of [
          [remove, 'remove'],
          [keep, 'keep'],
        ] as const) {
          if (a.status === 'ACTIVE') continue;
          throw new AppError(
            'CONFLICT',
            a.merged_into
              ? `« ${a.name} » a déjà été fusionné dans un autre acteur : fusionnez avec celui-ci.`
              : `« ${a.name} » est archivé : seuls deux acteurs actifs se fusionnent.`,
            { field, mergedInto: a.merged_into },
          );
        }
        await mergeRows(m, new PartnershipRepository(this.ds), { keepId, removeId, keepName: keep.name, removeName: remove.name, userId: u.id });
        await inTransaction?.(m, { keptId: keepId, removedId: removeId });
      });
    } catch (err) {
      // A membership or partnership of either actor opened while the merge ran, in a slot the other already held.
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'Une adhésion ou un partenariat de ces acteurs a changé pendant la fusion : recommencez.');
      throw err;
    }
    return { keptId: keepId, removedId: removeId };
  }
}

/** Steps 1 to 4 of ActorMergeService.merge, both actors locked and checked. */
async function mergeRows(
  m: Queryable,
  partnershipRepo: PartnershipRepository,
  { keepId, removeId, keepName, removeName, userId }: { keepId: string; removeId: string; keepName: string; removeName: string; userId: string },
): Promise<void> {
  const [{ snapshot }] = await run<{ snapshot: unknown }>(
    m,
    sql`SELECT to_jsonb(a) - 'search_vector' - 'search_name' - 'location' || jsonb_build_object('lon', ST_X(a.location), 'lat', ST_Y(a.location),
          'territories', (SELECT coalesce(jsonb_agg(jsonb_build_object('level', t.level, 'code', t.code) ORDER BY t.level, t.code), '[]')
                          FROM actor_territory t WHERE t.actor_id = a.id)) AS snapshot
        FROM actor a WHERE a.id = ${removeId}`,
  );
  // 1. Archived, pointing at the kept actor, before anything else; earlier merges follow it.
  await run(m, sql`UPDATE actor SET status = 'ARCHIVED', merged_into = ${keepId}, updated_at = now(), version = version + 1 WHERE id = ${removeId}`);
  await run(m, sql`UPDATE actor SET merged_into = ${keepId} WHERE merged_into = ${removeId}`);

  // 2. Representatives.
  await run(
    m,
    sql`INSERT INTO user_actor (user_id, actor_id, created_at) SELECT user_id, ${keepId}, created_at FROM user_actor WHERE actor_id = ${removeId}
        ON CONFLICT DO NOTHING`,
  );
  await run(m, sql`DELETE FROM user_actor WHERE actor_id = ${removeId}`);

  // Memberships: one open membership per coalition (the partial unique index), the best one.
  const memberships = await run<{ id: string; actor_id: string; coalition_id: string; status: MembershipStatus; role: MembershipRole }>(
    m,
    sql`SELECT id, actor_id, coalition_id, status, role FROM membership
        WHERE actor_id = ANY(${[keepId, removeId]}::uuid[]) AND status = ANY(${OPEN_MEMBERSHIP}::text[]) ORDER BY id FOR UPDATE`,
  );
  const closedMemberships = linksToClose(
    memberships.map((r) => ({ id: r.id, side: r.actor_id === keepId ? 'keep' : 'remove', slot: r.coalition_id, rank: membershipRank(r.status, r.role) })),
  );
  for (const r of memberships.filter((x) => closedMemberships.includes(x.id))) {
    const to = MembershipMachine.next('LEAVE', r.status, ['REPRESENTATIVE']);
    await run(
      m,
      sql`WITH moved AS (
            UPDATE membership SET status = ${to}, ended_at = now(), updated_at = now() WHERE id = ${r.id} AND status = ${r.status}
            RETURNING id, coalition_id, actor_id, role)
          INSERT INTO membership_event (membership_id, coalition_id, actor_id, from_status, to_status, role, user_id)
          SELECT id, coalition_id, actor_id, ${r.status}, ${to}, role, ${userId} FROM moved`,
    );
  }
  await run(m, sql`UPDATE membership SET actor_id = ${keepId}, updated_at = now() WHERE actor_id = ${removeId}`);
  await run(m, sql`UPDATE membership_event SET actor_id = ${keepId} WHERE actor_id = ${removeId}`);

  // Partnerships: one open partnership of a kind per pair of actors; none of an actor with itself.
  const partnerships = await run<{ id: string; actor_a: string; actor_b: string; kind: string; status: PartnershipStatus }>(
    m,
    sql`SELECT id, actor_a, actor_b, kind, status FROM partnership
        WHERE (actor_a = ANY(${[keepId, removeId]}::uuid[]) OR actor_b = ANY(${[keepId, removeId]}::uuid[])) AND status = ANY(${OPEN_PARTNERSHIP}::text[])
        ORDER BY id FOR UPDATE`,
  );
  const between = (p: { actor_a: string; actor_b: string }) => [p.actor_a, p.actor_b].includes(keepId) && [p.actor_a, p.actor_b].includes(removeId);
  const toEnd = new Set(partnerships.filter(between).map((p) => p.id));
  for (const id of linksToClose(
    partnerships
      .filter((p) => !between(p))
      .map((p) => {
        const mine = [keepId, removeId].includes(p.actor_a) ? p.actor_a : p.actor_b;
        const other = mine === p.actor_a ? p.actor_b : p.actor_a;
        return { id: p.id, side: mine === keepId ? 'keep' : 'remove', slot: `${other}:${p.kind}`, rank: partnershipRank(p.status) };
      }),
  )) {
    toEnd.add(id);
  }
  for (const p of partnerships.filter((x) => toEnd.has(x.id))) {
    const reason = between(p)
      ? `Fusion de « ${removeName} » dans « ${keepName} » : un acteur n’est pas partenaire de lui-même`
      : `Fusion de « ${removeName} » dans « ${keepName} » : ce partenariat était déclaré deux fois`;
    await partnershipRepo.move(m, p.id, { from: p.status, to: PartnershipMachine.next('END', p.status, ['INSIDER']), userId, reason });
  }
  await run(m, sql`UPDATE partnership SET actor_a = ${keepId}, updated_at = now() WHERE actor_a = ${removeId} AND actor_b <> ${keepId}`);
  await run(m, sql`UPDATE partnership SET actor_b = ${keepId}, updated_at = now() WHERE actor_b = ${removeId} AND actor_a <> ${keepId}`);

  // Claims: withdrawn when pointless (the account already asked for the kept actor, or now represents it), moved otherwise.
  await run(
    m,
    sql`UPDATE actor_claim c SET status = 'WITHDRAWN', decided_at = now(), decision_reason = ${`Fusion de « ${removeName} » dans « ${keepName} »`}
        WHERE c.actor_id = ${removeId} AND c.status = 'PENDING' AND (
          EXISTS (SELECT 1 FROM actor_claim o WHERE o.actor_id = ${keepId} AND o.account_id = c.account_id AND o.status = 'PENDING')
          OR EXISTS (SELECT 1 FROM user_actor ua WHERE ua.actor_id = ${keepId} AND ua.user_id = c.account_id))`,
  );
  await run(m, sql`UPDATE actor_claim SET actor_id = ${keepId} WHERE actor_id = ${removeId}`);
  await run(m, sql`UPDATE actor_change_proposal SET actor_id = ${keepId} WHERE actor_id = ${removeId}`);
  await run(m, sql`UPDATE actor_review_event SET actor_id = ${keepId} WHERE actor_id = ${removeId}`);

  // 3. The kept actor: what it lacked, a new version, and the merge in its moderation history.
  await run(m, sql`UPDATE actor k SET ${FILLED}, updated_at = now(), version = k.version + 1 FROM actor r WHERE k.id = ${keepId} AND r.id = ${removeId}`);
  await run(
    m,
    sql`INSERT INTO actor_review_event (actor_id, from_status, to_status, user_id, reason)
        SELECT id, review_status, review_status, ${userId}, ${`Fiche « ${removeName} » fusionnée dans celle-ci (doublon)`} FROM actor WHERE id = ${keepId}`,
  );

  // The change feed (server/changes): its trigger on actor already says MERGED for the kept id when
  // merged_into is set; said here too, as a merge (written once either way).
  await recordChange(m, { entity: ChangeEntity.ACTOR, id: keepId, kind: ChangeKind.MERGED, mergedId: removeId });

  // 4. The merge itself, with the removed record as it was.
  await run(
    m,
    sql`INSERT INTO actor_merge (kept_id, removed_id, user_id, removed_record) VALUES (${keepId}, ${removeId}, ${userId}, ${JSON.stringify(snapshot)}::jsonb)`,
  );
}

/**
 * The actor an id answers with: itself, or the actor a merge put in its place (following
 * `merged_into`, one hop in practice, a few at most). Null for an unknown id.
 */
export async function resolveMerged(db: Queryable, id: string): Promise<string | null> {
  const rows = await run<{ id: string }>(
    db,
    sql`WITH RECURSIVE chain (id, merged_into, depth) AS (
          SELECT id, merged_into, 0 FROM actor WHERE id = ${id}
          UNION ALL
          SELECT a.id, a.merged_into, c.depth + 1 FROM chain c JOIN actor a ON a.id = c.merged_into WHERE c.depth < 16)
        SELECT id FROM chain ORDER BY depth DESC LIMIT 1`,
  );
  return rows[0]?.id ?? null;
}
