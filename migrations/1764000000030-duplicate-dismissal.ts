import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * « Pas un doublon » (issue 18). Two real sites of one association (the BAPU Aix-Marseille: one
 * website, one e-mail, two addresses) came back in the « doublons possibles » list at every
 * reading, for every analyst, with nothing to say that someone had already looked. An analyst (or
 * an administrator) now sets such a pair aside:
 *
 * - one row per decision, the pair stored once whichever side was named: `actor_a` is the smaller
 *   id (the order the list compares ids in), so (x, y) and (y, x) meet the same row;
 * - who (`user_id`), when (`at`) and why (`reason`, optional) are kept; an administrator's
 *   « Rétablir » closes the row (`restored_at`, `restored_by`) rather than deleting it, so a pair
 *   set aside, brought back and set aside again keeps both decisions;
 * - at most one open decision per pair: the partial unique index, which also makes a second
 *   dismissal of the same pair (two analysts at once, or a double click) find the first one;
 * - the pair stays set aside whatever its reasons become later (server/actors/actor-duplicate-dismissal.ts
 *   says why); a merged (archived) actor leaves every pair, dismissed or not, and its rows stay as
 *   history. Deleting an actor (tests, never the app) takes its rows.
 */
export class DuplicateDismissal1764000000030 implements MigrationInterface {
  name = 'DuplicateDismissal1764000000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE actor_duplicate_dismissal (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        actor_a uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        actor_b uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        user_id uuid REFERENCES user_account(id) ON DELETE SET NULL,
        reason text CHECK (char_length(reason) BETWEEN 1 AND 1000),
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        restored_at timestamptz,
        restored_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        CHECK (actor_a < actor_b)
      )`);
    await q.query(`CREATE UNIQUE INDEX actor_duplicate_dismissal_pair_idx ON actor_duplicate_dismissal (actor_a, actor_b) WHERE restored_at IS NULL`);
    await q.query(`CREATE INDEX actor_duplicate_dismissal_b_idx ON actor_duplicate_dismissal (actor_b)`);
    await q.query(`CREATE INDEX actor_duplicate_dismissal_at_idx ON actor_duplicate_dismissal (at DESC, id DESC) WHERE restored_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE actor_duplicate_dismissal`);
  }
}
