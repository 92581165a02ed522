import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createStatusHistory } from './status-history.js';

/**
 * A partnership was declared by one side alone and public at once: any member could declare a
 * convention with the ARS three times over. Now a partnership is PENDING until the other side
 * confirms it (ACTIVE), may be DECLINED, and either side ends it (ENDED); every change is kept in
 * `partnership_event` (who, when, from, to, why).
 *
 * - Existing rows came from the public documents: they are taken as confirmed (ACTIVE, confirmed
 *   when created); those whose end date has passed become ENDED.
 * - The partial unique index on the unordered pair and kind over PENDING and ACTIVE refuses a
 *   second declaration, even sent at the same time. Existing duplicates would stop it from being
 *   built: the oldest stays, the others are DECLINED (never shown to the public) with a reason.
 * - `status` defaults to PENDING, so a row inserted without it is never public by accident.
 */
export class PartnershipConfirmation1764000000015 implements MigrationInterface {
  name = 'PartnershipConfirmation1764000000015';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE partnership
        ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('PENDING','ACTIVE','DECLINED','ENDED')),
        ADD COLUMN confirmed_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        ADD COLUMN confirmed_at timestamptz,
        ADD COLUMN ended_at timestamptz,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`UPDATE partnership SET confirmed_at = created_at`);
    await q.query(`ALTER TABLE partnership ALTER COLUMN status SET DEFAULT 'PENDING'`);
    await q.query(`ALTER TABLE partnership ADD CONSTRAINT partnership_active_confirmed CHECK (status <> 'ACTIVE' OR confirmed_at IS NOT NULL)`);

    await createStatusHistory(q, 'partnership_event', 'partnership');

    await q.query(`
      INSERT INTO partnership_event (partnership_id, from_status, to_status, user_id, reason, at)
      SELECT id, NULL, 'ACTIVE', created_by, 'Repris des documents publics : tenu pour confirmé', created_at FROM partnership ORDER BY created_at, id`);
    await q.query(`
      WITH ended AS (
        UPDATE partnership SET status = 'ENDED', ended_at = end_date::timestamptz, updated_at = now()
        WHERE end_date < current_date RETURNING id, end_date)
      INSERT INTO partnership_event (partnership_id, from_status, to_status, reason, at)
      SELECT id, 'ACTIVE', 'ENDED', 'Période terminée', end_date::timestamptz FROM ended`);
    await q.query(`
      WITH ranked AS (
        SELECT id, row_number() OVER (PARTITION BY least(actor_a, actor_b), greatest(actor_a, actor_b), kind ORDER BY created_at, id) AS n
        FROM partnership WHERE status = 'ACTIVE'),
      dup AS (
        UPDATE partnership p SET status = 'DECLINED', confirmed_at = NULL, ended_at = now(), updated_at = now()
        FROM ranked r WHERE r.id = p.id AND r.n > 1 RETURNING p.id)
      INSERT INTO partnership_event (partnership_id, from_status, to_status, reason)
      SELECT id, 'ACTIVE', 'DECLINED', 'Doublon d’un partenariat déjà déclaré entre ces deux acteurs' FROM dup`);

    // One pending or active partnership of a kind per pair of actors, whichever side declared it.
    await q.query(`CREATE UNIQUE INDEX partnership_open_idx ON partnership (least(actor_a, actor_b), greatest(actor_a, actor_b), kind)
      WHERE status IN ('PENDING','ACTIVE')`);
    await q.query(`CREATE INDEX partnership_pending_b_idx ON partnership (actor_b) WHERE status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Without statuses every row is public again: the unconfirmed ones must go.
    await q.query(`DELETE FROM partnership WHERE confirmed_at IS NULL`);
    await q.query(`DROP INDEX partnership_pending_b_idx`);
    await q.query(`DROP INDEX partnership_open_idx`);
    await q.query(`DROP TABLE partnership_event`);
    await q.query(`ALTER TABLE partnership DROP CONSTRAINT partnership_active_confirmed`);
    await q.query(
      `ALTER TABLE partnership DROP COLUMN updated_at, DROP COLUMN ended_at, DROP COLUMN confirmed_at, DROP COLUMN confirmed_by, DROP COLUMN status`,
    );
  }
}
