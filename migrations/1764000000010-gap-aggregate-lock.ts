import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Concurrent actor writes deadlocked on native PostgreSQL (found by `npm run loadtest`): the
 * statement triggers of the gap aggregates (migration 1764000000005) upsert the
 * coverage_theme_count rows of every theme × commune, EPCI, département, région and pays a write
 * touches, in whatever order each statement yields them, over several statements per
 * transaction, so two writers sharing a theme and a territory could each hold a row the other
 * wanted ("deadlock detected", INTERNAL_SERVER_ERROR for one of them).
 *
 * Every statement that maintains the aggregates now first takes one transaction-level advisory
 * lock (BEFORE … FOR EACH STATEMENT, so before its own row locks): maintainers of the aggregates
 * run one at a time until commit, which they already did in practice (each write updates the
 * (theme, PAYS, FR) row of each of its themes), and can no longer wait for each other in a cycle.
 * Bulk loads that defer the aggregates (`app.gap_aggregates_deferred`) skip it, as they skip
 * the triggers.
 */
export const GAP_AGGREGATE_LOCK = 1764000000005;

export class GapAggregateLock1764000000010 implements MigrationInterface {
  name = 'GapAggregateLock1764000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION gap_aggregates_lock() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('app.gap_aggregates_deferred', true) = 'on' THEN RETURN NULL; END IF;
        PERFORM pg_advisory_xact_lock(${GAP_AGGREGATE_LOCK});
        RETURN NULL;
      END $$`);
    for (const table of ['actor', 'coverage_commune', 'coverage_area']) {
      await q.query(`CREATE TRIGGER ${table}_gap_lock BEFORE INSERT OR UPDATE OR DELETE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION gap_aggregates_lock()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['actor', 'coverage_commune', 'coverage_area']) await q.query(`DROP TRIGGER ${table}_gap_lock ON ${table}`);
    await q.query(`DROP FUNCTION gap_aggregates_lock()`);
  }
}
