import { type Queryable, one, onePrepared, run, sql } from '../db/sql.js';
import { notify, NotificationKind, representativesOf } from './notify.js';

interface MembershipFacts {
  id: string;
  coalition_id: string;
  coalition_name: string;
  actor_id: string;
  actor_name: string;
  status: string;
  /**
   * Whom its notice goes to: a request waits for the coordinators (the accounts that represent an
   * active pilot of the coalition); an invitation, or a decision, is for the member actor's
   * representatives.
   */
  recipients: string[];
}

/** A membership with the names its notices show and the accounts they go to, in one round trip. */
const membershipFacts = (db: Queryable, membershipId: string) =>
  onePrepared<MembershipFacts>(
    db,
    sql`SELECT ms.id, ms.coalition_id, c.name AS coalition_name, ms.actor_id, a.name AS actor_name, ms.status,
          CASE WHEN ms.status = 'REQUESTED'
            THEN ARRAY(SELECT ua.user_id FROM membership p JOIN user_actor ua ON ua.actor_id = p.actor_id
                       WHERE p.coalition_id = ms.coalition_id AND p.role = 'PILOTE' AND p.status = 'ACTIVE')
            ELSE ARRAY(SELECT ua.user_id FROM user_actor ua WHERE ua.actor_id = ms.actor_id) END AS recipients
        FROM membership ms JOIN coalition c ON c.id = ms.coalition_id JOIN actor a ON a.id = ms.actor_id
        WHERE ms.id = ${membershipId}`,
  );

const membershipPayload = (f: MembershipFacts) => ({
  membershipId: f.id,
  coalitionId: f.coalition_id,
  coalitionName: f.coalition_name,
  actorId: f.actor_id,
  actorName: f.actor_name,
  status: f.status,
});

/**
 * The notifications of the events of the coalitions and the directory, each written through the
 * event's own transaction (`db`), after the change it reports: a refused or rolled-back change
 * tells nobody. The author of the event is never told of it.
 */
export const Notices = {
  /** A request (to the coalition's coordinators) or an invitation (to the invited actor's representatives). */
  async membershipOpened(db: Queryable, membershipId: string, byUserId: string): Promise<void> {
    const f = await membershipFacts(db, membershipId);
    if (!f || (f.status !== 'REQUESTED' && f.status !== 'INVITED')) return;
    const request = f.status === 'REQUESTED';
    await notify(db, {
      accountIds: f.recipients,
      kind: request ? NotificationKind.JOIN_REQUEST_RECEIVED : NotificationKind.INVITATION_RECEIVED,
      payload: membershipPayload(f),
      exceptAccountId: byUserId,
    });
  },

  /** A coordinator accepted or rejected a request: the requesting actor's representatives. */
  async membershipDecided(db: Queryable, membershipId: string, byUserId: string): Promise<void> {
    const f = await membershipFacts(db, membershipId);
    if (!f) return;
    await notify(db, {
      accountIds: f.recipients,
      kind: NotificationKind.JOIN_REQUEST_DECIDED,
      payload: membershipPayload(f),
      exceptAccountId: byUserId,
    });
  },

  /** A partnership declared by one side: the other side's representatives, who confirm or decline it. */
  async partnershipDeclared(db: Queryable, partnershipId: string, byUserId: string): Promise<void> {
    const f = await one<{ actor_b: string; actor_name: string; partner_name: string }>(
      db,
      sql`SELECT p.actor_b, a.name AS actor_name, b.name AS partner_name
          FROM partnership p JOIN actor a ON a.id = p.actor_a JOIN actor b ON b.id = p.actor_b
          WHERE p.id = ${partnershipId} AND p.status = 'PENDING'`,
    );
    if (!f) return;
    await notify(db, {
      accountIds: await representativesOf(db, [f.actor_b]),
      kind: NotificationKind.PARTNERSHIP_TO_CONFIRM,
      payload: { partnershipId, actorName: f.actor_name, partnerName: f.partner_name, actorId: f.actor_b },
      exceptAccountId: byUserId,
    });
  },

  /** An actor validated or rejected: its representatives and the account that registered it. */
  async moderationDecided(db: Queryable, actorId: string, status: string, reason: string | null, byUserId: string): Promise<void> {
    const rows = await run<{ user_id: string; actor_name: string }>(
      db,
      sql`SELECT ua.user_id, a.name AS actor_name FROM actor a JOIN user_actor ua ON ua.actor_id = a.id WHERE a.id = ${actorId}
          UNION
          SELECT e.user_id, a.name FROM actor a
            JOIN LATERAL (SELECT user_id FROM actor_review_event WHERE actor_id = a.id ORDER BY id LIMIT 1) e ON e.user_id IS NOT NULL
          WHERE a.id = ${actorId}`,
    );
    if (rows.length === 0) return;
    await notify(db, {
      accountIds: rows.map((r) => r.user_id),
      kind: NotificationKind.MODERATION_DECIDED,
      payload: { actorId, actorName: rows[0].actor_name, status, reason },
      exceptAccountId: byUserId,
    });
  },
};
