import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';
import { createStatusHistory } from './status-history.js';

/**
 * Moderation of the directory. A self-registered account erased the national gap analysis by
 * creating one association covering `PAYS:FR` (vaccination gaps 24,365 → 0): anyone could make
 * every territory look covered. Actors now carry a review status (VALIDATED, PENDING_REVIEW,
 * REJECTED; server/actors/actor-review.ts says who gets which) with its history in
 * `actor_review_event`, and only ACTIVE + VALIDATED actors count in the gap figures.
 *
 * The figures still come from the maintained aggregates (migration 1764000000005, keys of
 * 1764000000011, rebuild of 1764000000014): the actor trigger and `gap_rebuild()` give theme keys
 * only to validated active actors, and follow review status changes like status changes (their SQL
 * is rewritten here, each replacement checked). Every reader of the figures goes through
 * actor_theme_key or actor_theme_point, so a pending or rejected actor counts nowhere, on the fast
 * path and the live one alike.
 *
 * Existing rows (the seed's real and demonstration actors, those already written) are VALIDATED:
 * the column's default, which the application's own writes always override (ActorService).
 *
 * Also `f_like_escape`: text searches put the user's normalised text inside LIKE patterns.
 */
export class ActorReview1764000000017 implements MigrationInterface {
  name = 'ActorReview1764000000017';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actor ADD COLUMN review_status text NOT NULL DEFAULT 'VALIDATED'
      CHECK (review_status IN ('VALIDATED', 'PENDING_REVIEW', 'REJECTED'))`);
    // The review queue: the few actors not validated.
    await q.query(`CREATE INDEX actor_review_idx ON actor (review_status, updated_at DESC) WHERE review_status <> 'VALIDATED'`);
    await createStatusHistory(q, 'actor_review_event', 'actor');

    await rewrite(q, 'gap_actor_changed()', [
      ["n.status = 'ACTIVE'", "n.status = 'ACTIVE' AND n.review_status = 'VALIDATED'"],
      [
        '(o.themes, o.status, o.kind) IS DISTINCT FROM (n.themes, n.status, n.kind)',
        '(o.themes, o.status, o.kind, o.review_status) IS DISTINCT FROM (n.themes, n.status, n.kind, n.review_status)',
      ],
    ]);
    await rewrite(q, 'gap_rebuild()', [["FROM actor WHERE status = 'ACTIVE'", "FROM actor WHERE status = 'ACTIVE' AND review_status = 'VALIDATED'"]]);

    await q.query(`
      CREATE FUNCTION public.f_like_escape(text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
        SELECT replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), '_', '\\_')
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION public.f_like_escape(text)`);
    await rewrite(q, 'gap_rebuild()', [["FROM actor WHERE status = 'ACTIVE' AND review_status = 'VALIDATED'", "FROM actor WHERE status = 'ACTIVE'"]]);
    await rewrite(q, 'gap_actor_changed()', [
      [
        '(o.themes, o.status, o.kind, o.review_status) IS DISTINCT FROM (n.themes, n.status, n.kind, n.review_status)',
        '(o.themes, o.status, o.kind) IS DISTINCT FROM (n.themes, n.status, n.kind)',
      ],
      ["n.status = 'ACTIVE' AND n.review_status = 'VALIDATED'", "n.status = 'ACTIVE'"],
    ]);
    await q.query(`DROP TABLE actor_review_event`);
    await q.query(`DROP INDEX actor_review_idx`);
    await q.query(`ALTER TABLE actor DROP COLUMN review_status`);
    // Pending and rejected actors count again, as before this migration.
    await q.query(`SELECT gap_rebuild()`);
  }
}
