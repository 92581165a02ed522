import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

/**
 * A first load writes a table's rows before its indexes and foreign keys (issue 17: the first
 * start within a minute).
 *
 * The first start writes the demonstration's 1,274 actors in one transaction, and with them
 * 533,859 `coverage_commune` rows (the twelve national bodies alone make 419,628 of them). Each row
 * went through the two btree indexes and the foreign key's check on `actor`, one row at a time.
 * On the embedded database that insert took 7.7 s; the same rows written with neither, then the
 * primary key, the index and the foreign key added, took 1.7 + 0.6 + 0.4 + 0.1 s.
 *
 * `bulk_load_begin(table)` drops the table's indexes and its primary key, unique and foreign key
 * constraints, and remembers their definitions (as PostgreSQL prints them, so whatever a later
 * migration adds is put back as it was) in a temporary table of the transaction;
 * `bulk_load_end(table)` creates them again, in the same transaction, and checks every row against
 * them as it does. Both take the table's ACCESS EXCLUSIVE lock until commit: for an empty
 * directory's first load only (seeds/actors.ts), never while the application serves it.
 * A transaction that calls `bulk_load_begin` and not `bulk_load_end` cannot commit.
 *
 * `gap_rebuild()` now gathers the statistics of `actor_theme_key` as soon as it has filled it, before
 * counting: without them the planner, which joins the 533,859 covered communes to it, took 11.7 s
 * for the per-commune counts of the first start on the embedded database, 5.2 s with them (the
 * 1,274 actors' keys: 5 ms to analyse). The statistics were only gathered at the end.
 */
export class BulkLoad1764000000031 implements MigrationInterface {
  name = 'BulkLoad1764000000031';

  async up(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_rebuild()', [KEYS_ANALYZED_BEFORE_COUNTING]);
    await q.query(`
      CREATE FUNCTION bulk_load_unfinished() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM bulk_load_ddl d WHERE d.ord = NEW.ord) THEN
          RAISE EXCEPTION 'bulk_load_begin(%) without bulk_load_end: % not restored', NEW.tbl, NEW.stmt;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION bulk_load_begin(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        r record;
      BEGIN
        IF to_regclass('pg_temp.bulk_load_ddl') IS NULL THEN
          CREATE TEMPORARY TABLE bulk_load_ddl (tbl regclass NOT NULL, ord serial PRIMARY KEY, stmt text NOT NULL) ON COMMIT DROP;
          -- At commit, before the table is dropped: a definition still there was never put back.
          CREATE CONSTRAINT TRIGGER bulk_load_unfinished AFTER INSERT ON bulk_load_ddl
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bulk_load_unfinished();
        END IF;
        IF EXISTS (SELECT 1 FROM bulk_load_ddl d WHERE d.tbl = bulk_load_begin.tbl) THEN
          RAISE EXCEPTION 'bulk_load_begin(%) already called in this transaction', tbl;
        END IF;
        -- Constraints first: dropping them drops their own indexes.
        FOR r IN SELECT c.conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
                 WHERE c.conrelid = tbl AND c.contype IN ('p', 'u', 'x', 'f') ORDER BY c.contype <> 'p', c.conname LOOP
          INSERT INTO bulk_load_ddl (tbl, stmt) VALUES (tbl, format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, r.conname, r.def));
          EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, r.conname);
        END LOOP;
        FOR r IN SELECT i.indexrelid::regclass AS idx, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
                 WHERE i.indrelid = tbl ORDER BY i.indexrelid::regclass::text LOOP
          INSERT INTO bulk_load_ddl (tbl, stmt) VALUES (tbl, r.def);
          EXECUTE format('DROP INDEX %s', r.idx);
        END LOOP;
      END $$`);
    await q.query(`
      CREATE FUNCTION bulk_load_end(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        s text;
      BEGIN
        -- Two tests: the second cannot even be planned without the table.
        IF to_regclass('pg_temp.bulk_load_ddl') IS NULL THEN
          RAISE EXCEPTION 'bulk_load_end(%) without bulk_load_begin', tbl;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM bulk_load_ddl d WHERE d.tbl = bulk_load_end.tbl) THEN
          RAISE EXCEPTION 'bulk_load_end(%) without bulk_load_begin', tbl;
        END IF;
        FOR s IN SELECT d.stmt FROM bulk_load_ddl d WHERE d.tbl = bulk_load_end.tbl ORDER BY d.ord LOOP
          EXECUTE s;
        END LOOP;
        DELETE FROM bulk_load_ddl d WHERE d.tbl = bulk_load_end.tbl;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION bulk_load_end(regclass)`);
    await q.query(`DROP FUNCTION bulk_load_begin(regclass)`);
    await q.query(`DROP FUNCTION bulk_load_unfinished()`);
    await rewrite(q, 'gap_rebuild()', [[KEYS_ANALYZED_BEFORE_COUNTING[1], KEYS_ANALYZED_BEFORE_COUNTING[0]]]);
  }
}

const KEYS_FILLED = "FROM actor WHERE status = 'ACTIVE' AND review_status = 'VALIDATED';";
const KEYS_ANALYZED_BEFORE_COUNTING: [string, string] = [
  KEYS_FILLED,
  `${KEYS_FILLED}\n        ANALYZE actor_theme_key; -- before the counts join it (migration 1764000000031)`,
];
