import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

const DROP = `
         DROP INDEX coverage_theme_count_code_idx;`;
const CREATE = `
         CREATE INDEX coverage_theme_count_code_idx ON coverage_theme_count (level, code, theme) INCLUDE (actor_count);`;

/**
 * `coverage_theme_count` keeps one index, its primary key (theme, level, code) INCLUDE
 * (actor_count) of migration 1764000000034: the territory-first index (level, code, theme) is
 * dropped. The gap queries read a key's communes by ranges of the primary key; the lookups of one
 * territory (a scope's own counts, the counts of EPCI or départements, a diagnostic's communes) go
 * through it too, one descent per key.
 *
 * Every write of a count wrote both indexes (the count is in both, so no update is HOT). Measured on
 * the bench base (100,000 actors), an actor covering the whole country with two themes, its
 * coverage inserted in one transaction: its 34,875 communes' counts applied at commit in 8.1–9.3 s
 * with both indexes, 4.5–4.6 s with the primary key alone. The gaps of Grand Est for one theme: p50
 * 56–62 ms with both, 37.5 ms without (the planner had taken the per-commune index).
 */
export class OneCountIndex1764000000035 implements MigrationInterface {
  name = 'OneCountIndex1764000000035';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX coverage_theme_count_code_idx`);
    await rewrite(q, 'gap_rebuild()', [
      [DROP, ''],
      [CREATE, ''],
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_rebuild()', [
      [
        'ALTER TABLE coverage_theme_count DROP CONSTRAINT coverage_theme_count_pkey;',
        `${DROP.trim()}\n         ALTER TABLE coverage_theme_count DROP CONSTRAINT coverage_theme_count_pkey;`,
      ],
      ['ANALYZE actor_theme_key;', `${CREATE.trim()}\n         ANALYZE actor_theme_key;`],
    ]);
    await q.query(`CREATE INDEX coverage_theme_count_code_idx ON coverage_theme_count (level, code, theme) INCLUDE (actor_count)`);
  }
}
