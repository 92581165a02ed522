import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

/**
 * An update of actors that changes nothing the gap figures read (their themes, status, kind,
 * review status, freshness and place) leaves `gap_actor_changed()` at once (issue 17: actor writes
 * under load).
 *
 * Each statement of its update branch already kept only the rows where one of these changed, but
 * each still ran: six statements over the transition tables, 4.3 ms of PostgreSQL's time for
 * `updateActor` changing a description (EXPLAIN ANALYZE on the load test's base, native
 * PostgreSQL 15: trigger actor_gap_upd 4.304 ms of an UPDATE of 5.6 ms). The test below is their
 * conditions joined by OR: when no row meets it, none of them had anything to write.
 */
const CHANGED =
  '(o.themes, o.status, o.kind, o.review_status, o.verified_recently) IS DISTINCT FROM (n.themes, n.status, n.kind, n.review_status, n.verified_recently)';
const EARLY_EXIT: [string, string] = [
  `ELSE
          INSERT INTO coverage_theme_pending (theme, level, code, d)`,
  `ELSE
          IF NOT EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
                         WHERE ${CHANGED} OR ST_AsEWKB(o.location) IS DISTINCT FROM ST_AsEWKB(n.location)) THEN
            RETURN NULL; -- a description, a contact, opening hours: nothing the figures read
          END IF;
          INSERT INTO coverage_theme_pending (theme, level, code, d)`,
];

export class QuietActorUpdates1764000000032 implements MigrationInterface {
  name = 'QuietActorUpdates1764000000032';

  async up(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_actor_changed()', [EARLY_EXIT]);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_actor_changed()', [[EARLY_EXIT[1], EARLY_EXIT[0]]]);
  }
}
