import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The actor page as a coordinator needs it (issue 16): when an organisation can be reached, and a
 * way for anyone who knows better to say so.
 *
 * - `actor.opening_hours` holds the opening hours as an OpenStreetMap `opening_hours` string
 *   (« Mo-Fr 09:00-12:00,14:00-17:00; PH off »): one well-known syntax, checked by the
 *   `opening_hours` library on every write (server/actors/opening-hours.ts), so the page can show a
 *   weekly table in French and whether it is open now, and the file import/export can carry it
 *   (column `horaires`). NULL: not known.
 * - `actor_change_proposal` keeps the « Proposer une modification » of a visitor or a member: the
 *   proposed fields (`changes`, a JSON object of the allowed fields only, checked by the server), an
 *   optional message and contact e-mail, who (a signed-in account, or nobody) and when. It never
 *   touches the actor: an ARS analyst of a région the actor covers or an administrator accepts it
 *   (the changes then go through the same write as updateActor, coverage and gap aggregates
 *   included) or rejects it (the actor stays as it was). `status` moves once, from PENDING.
 *   Deleting the actor deletes its proposals; deleting an account keeps them, without author.
 * - The partial indexes serve the pending list of the moderation page (oldest first) and the
 *   per-actor cap of pending proposals.
 */
export class ActorContactsAndChangeProposals1764000000023 implements MigrationInterface {
  name = 'ActorContactsAndChangeProposals1764000000023';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actor ADD COLUMN opening_hours text CHECK (length(opening_hours) <= 500)`);
    await q.query(`
      CREATE TABLE actor_change_proposal (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        changes jsonb NOT NULL CHECK (jsonb_typeof(changes) = 'object'),
        message text CHECK (length(message) <= 2000),
        contact_email text CHECK (length(contact_email) <= 254),
        author_id uuid REFERENCES user_account(id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACCEPTED', 'REJECTED')),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        decided_at timestamptz,
        decided_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        decision_reason text CHECK (length(decision_reason) <= 1000)
      )`);
    await q.query(`CREATE INDEX actor_change_proposal_pending_idx ON actor_change_proposal (created_at, id) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX actor_change_proposal_actor_idx ON actor_change_proposal (actor_id, created_at) WHERE status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE actor_change_proposal`);
    await q.query(`ALTER TABLE actor DROP COLUMN opening_hours`);
  }
}
