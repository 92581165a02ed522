import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

const PLAIN = 'PRIMARY KEY (theme, level, code);';
const COVERING = 'PRIMARY KEY (theme, level, code) INCLUDE (actor_count);';

/**
 * The primary key of `coverage_theme_count` carries the count (`INCLUDE (actor_count)`), so that
 * the gap queries read a key's communes by index-only ranges (server/gaps/gap-source.ts): one range
 * per key for all of France, one per key and two-character code prefix for a smaller scope.
 *
 * They read before one range of the other index, (level, code, theme), per commune: every key of
 * the commune (about 250 on the bench base, themes × local, recent and field keys) to keep the 14
 * of the Grand Est theme matrix. `EXPLAIN (ANALYZE, BUFFERS)` of that part of the statement, on the
 * bench base (100,000 actors, 8.4 million commune rows): 851,933 buffers, against 47,038 by ranges
 * of this key.
 *
 * Writes do not pay for it: a count's update is never HOT (the other index includes the count
 * too), so both indexes already got a new entry on every change. `gap_rebuild()`, which drops the
 * key while it refills the table, builds it again in this form.
 */
export class ThemeFirstCounts1764000000034 implements MigrationInterface {
  name = 'ThemeFirstCounts1764000000034';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE coverage_theme_count DROP CONSTRAINT coverage_theme_count_pkey,
                     ADD CONSTRAINT coverage_theme_count_pkey ${COVERING.slice(0, -1)}`);
    await rewrite(q, 'gap_rebuild()', [[PLAIN, COVERING]]);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_rebuild()', [[COVERING, PLAIN]]);
    await q.query(`ALTER TABLE coverage_theme_count DROP CONSTRAINT coverage_theme_count_pkey,
                     ADD CONSTRAINT coverage_theme_count_pkey ${PLAIN.slice(0, -1)}`);
  }
}
