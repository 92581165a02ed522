import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

/**
 * The change feed (issue 18, `changes(after, first)`): every creation, update, archiving, merge and
 * deletion of an actor or a coalition, numbered 1, 2, 3… in the order the transactions that made
 * them committed, so that a client that stores the last number it read never misses nor repeats a
 * change.
 *
 * Why a counter taken at commit, not a sequence. A `bigserial` is handed out when the row is
 * written, not when it commits: T1 takes 5, T2 takes 6 and commits first; a reader that saw 6 and
 * stored it never sees 5. Two designs are known to be correct:
 * - a snapshot rule (rows tagged with their xid8, a reader returns only rows below the xmin of its
 *   snapshot, `pg_snapshot_xmin(pg_current_snapshot())`, ordered by xid): no lock, but the order is
 *   the order in which transactions started writing, not the commit order; one long transaction
 *   (a 5,000-row import, a seed of 100,000 bench actors) holds back every later change for every
 *   reader; and the xids restart low in a cluster restored by pg_dump/pg_restore (the backup the
 *   README documents), where new changes would then sort before the cursors clients hold;
 * - a single-row counter (`change_counter`) updated by the writing transaction as its last step:
 *   chosen here. The numbers are dense (1, 2, 3…: a client can see it missed none), their order
 *   is the commit order, and they survive a dump and restore like any column.
 *
 * How. Triggers on `actor` and `coalition` (statement-level, with transition tables: one INSERT
 * per statement whatever its size, so a bulk seed costs one small row per actor) append to
 * `change_pending` (unlogged: its rows live only inside their transaction) and open the
 * transaction in `change_pending_tx`, whose deferred constraint trigger runs
 * `change_log_apply()` at commit: under the counter's row lock it numbers the transaction's
 * changes (in the order they were made, one entry per entity and kind) into `change_log` and
 * clears them. The lock is held from there to the end of the commit only, like `data_version`'s
 * (migration 1764000000025), which every actor write already takes at that moment: concurrent
 * actor writes still lock only their own rows while they work. A transaction that waits for the
 * counter re-reads it once the holder has committed (READ COMMITTED), so a number becomes visible
 * only after every smaller one: a reader that reads `seq > cursor` and the feed's last number in
 * one statement (one snapshot) can move its cursor to that last number without skipping anything.
 *
 * Lock order. The gap aggregates' deferred trigger (`gap_pending_apply`, migration 025) locks
 * `coverage_theme_count` rows then `data_version`; deferred triggers fire in the order they were
 * queued, so a transaction whose first change came before its first actor write would take the
 * counter first and the counts after, and could deadlock with one doing the reverse. So the
 * counter is always taken last: `gap_pending_apply` calls `change_log_apply()` at its end, and
 * the feed's own deferred trigger leaves the work to it when the gap flush of its transaction is
 * still to come.
 *
 * Triggers rather than calls in the application: every path that writes actors or coalitions
 * (API mutations, imports, moderation, the freshness sweep, the seeds, SQL by hand) is in the
 * feed, and nothing added later can forget it. An UPDATE that changes no column writes no entry.
 * - actor: INSERT → CREATED; UPDATE → ARCHIVED when the status becomes ARCHIVED, else UPDATED;
 *   DELETE → DELETED (the application never deletes; tests and operators may).
 * - a merge (`mergeActors`, migration 1764000000027: the removed actor is archived with
 *   `merged_into` = the kept one): ARCHIVED for the removed id, and MERGED for the kept id with
 *   `related_id` = the removed one, both written by the trigger when `merged_into` is set; plus
 *   UPDATED for the kept actor if its own row changed. `recordChange` (server/changes/change-log.ts)
 *   writes an entry by hand in the same way; the same entry twice in one transaction is written
 *   once.
 * - coalition: INSERT → CREATED; UPDATE → ARCHIVED when it becomes ended (end date before today),
 *   else UPDATED; DELETE → DELETED. Its visibility and région are kept with the entry, so that a
 *   deleted coalition's entry still follows its visibility rule.
 * The actors and coalitions already present are entered as CREATED, oldest first, so a client
 * that starts from the beginning of the feed receives the whole directory.
 */
export class ChangeFeed1764000000028 implements MigrationInterface {
  name = 'ChangeFeed1764000000028';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE change_log (
        seq bigint PRIMARY KEY,
        entity text NOT NULL CHECK (entity IN ('ACTOR','COALITION')),
        entity_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('CREATED','UPDATED','ARCHIVED','MERGED','DELETED')),
        related_id uuid,
        visibility text,
        region_code text,
        changed_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE TABLE change_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), last_seq bigint NOT NULL)`);
    await q.query(`
      CREATE UNLOGGED TABLE change_pending (
        id bigserial PRIMARY KEY, txid bigint NOT NULL DEFAULT txid_current(), entity text NOT NULL, entity_id uuid NOT NULL,
        kind text NOT NULL, related_id uuid, visibility text, region_code text)`);
    await q.query(`CREATE INDEX change_pending_txid_idx ON change_pending (txid)`);
    await q.query(`CREATE UNLOGGED TABLE change_pending_tx (txid bigint PRIMARY KEY)`);

    // The directory as it stands: CREATED entries, oldest first.
    await q.query(`
      INSERT INTO change_log (seq, entity, entity_id, kind, visibility, region_code, changed_at)
      SELECT row_number() OVER (ORDER BY created_at, entity, id), entity, id, 'CREATED', visibility, region_code, created_at
      FROM (SELECT 'ACTOR' AS entity, id, created_at, NULL::text AS visibility, NULL::text AS region_code FROM actor
            UNION ALL SELECT 'COALITION', id, created_at, visibility, region_code FROM coalition) e`);
    await q.query(`INSERT INTO change_counter (last_seq) SELECT coalesce(max(seq), 0) FROM change_log`);

    await q.query(`
      CREATE FUNCTION change_log_apply() RETURNS void LANGUAGE plpgsql AS $$
      DECLARE tx bigint := txid_current();
      BEGIN
        DELETE FROM change_pending_tx WHERE txid = tx;
        -- One entry per entity, kind and related id, in the order of their first occurrence; an
        -- UPDATED beside the CREATED of the same transaction says nothing more (a window, not a
        -- correlated EXISTS: a bulk load that creates then updates 100,000 actors stays linear).
        -- The counter is updated (its row locked, until the end of the commit) only when there is
        -- an entry.
        WITH batch AS (
          SELECT min(p.id) AS first_id, p.entity, p.entity_id, p.kind, p.related_id,
                 (array_agg(p.visibility ORDER BY p.id DESC))[1] AS visibility, (array_agg(p.region_code ORDER BY p.id DESC))[1] AS region_code
          FROM (SELECT c.*, bool_or(c.kind = 'CREATED') OVER (PARTITION BY c.entity, c.entity_id) AS created
                FROM change_pending c WHERE c.txid = tx) p
          WHERE NOT (p.kind = 'UPDATED' AND p.created)
          GROUP BY p.entity, p.entity_id, p.kind, p.related_id
        ), counter AS (
          UPDATE change_counter SET last_seq = last_seq + (SELECT count(*) FROM batch)
          WHERE EXISTS (SELECT 1 FROM batch)
          RETURNING last_seq - (SELECT count(*) FROM batch) AS base
        )
        INSERT INTO change_log (seq, entity, entity_id, kind, related_id, visibility, region_code)
        SELECT counter.base + row_number() OVER (ORDER BY b.first_id), b.entity, b.entity_id, b.kind, b.related_id, b.visibility, b.region_code
        FROM batch b CROSS JOIN counter;
        DELETE FROM change_pending WHERE txid = tx;
      END $$`);

    await q.query(`
      CREATE FUNCTION change_pending_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- The gap flush of this transaction is still to come: it calls change_log_apply() after
        -- its own locks (see the migration's comment on lock order).
        IF EXISTS (SELECT 1 FROM coverage_theme_pending_tx WHERE txid = NEW.txid) THEN RETURN NULL; END IF;
        PERFORM change_log_apply();
        RETURN NULL;
      END $$`);
    await q.query(`CREATE CONSTRAINT TRIGGER change_pending_apply AFTER INSERT ON change_pending_tx
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_pending_commit()`);
    await rewrite(q, 'gap_pending_apply()', [GAP_FLUSH_THEN_FEED]);

    await q.query(`
      CREATE FUNCTION change_actor_written() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE written bigint;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO change_pending (entity, entity_id, kind) SELECT 'ACTOR', id, 'CREATED' FROM new_rows;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO change_pending (entity, entity_id, kind) SELECT 'ACTOR', id, 'DELETED' FROM old_rows;
        ELSE
          -- merged_into is read through jsonb: the column belongs to migration 1764000000027.
          INSERT INTO change_pending (entity, entity_id, kind, related_id)
          SELECT 'ACTOR', e.entity_id, e.kind, e.related_id
          FROM (SELECT n.id, to_jsonb(n) AS nj, to_jsonb(o) AS oj FROM new_rows n JOIN old_rows o ON o.id = n.id) r
          CROSS JOIN LATERAL (
            SELECT r.id AS entity_id,
                   CASE WHEN r.nj->>'status' = 'ARCHIVED' AND r.oj->>'status' IS DISTINCT FROM 'ARCHIVED' THEN 'ARCHIVED' ELSE 'UPDATED' END AS kind,
                   NULL::uuid AS related_id, 1 AS o
            UNION ALL
            SELECT (r.nj->>'merged_into')::uuid, 'MERGED', r.id, 2
            WHERE r.nj->>'merged_into' IS NOT NULL AND r.nj->>'merged_into' IS DISTINCT FROM r.oj->>'merged_into'
          ) e
          WHERE r.nj IS DISTINCT FROM r.oj
          ORDER BY r.id, e.o;
        END IF;
        GET DIAGNOSTICS written = ROW_COUNT;
        IF written > 0 THEN INSERT INTO change_pending_tx (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING; END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION change_coalition_written() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE written bigint;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO change_pending (entity, entity_id, kind, visibility, region_code)
          SELECT 'COALITION', id, 'CREATED', visibility, region_code FROM new_rows;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO change_pending (entity, entity_id, kind, visibility, region_code)
          SELECT 'COALITION', id, 'DELETED', visibility, region_code FROM old_rows;
        ELSE
          INSERT INTO change_pending (entity, entity_id, kind, visibility, region_code)
          SELECT 'COALITION', n.id,
                 CASE WHEN n.end_date < current_date AND NOT coalesce(o.end_date < current_date, false) THEN 'ARCHIVED' ELSE 'UPDATED' END,
                 n.visibility, n.region_code
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o);
        END IF;
        GET DIAGNOSTICS written = ROW_COUNT;
        IF written > 0 THEN INSERT INTO change_pending_tx (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING; END IF;
        RETURN NULL;
      END $$`);
    for (const table of ['actor', 'coalition']) {
      await q.query(`CREATE TRIGGER ${table}_change_insert AFTER INSERT ON ${table}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION change_${table}_written()`);
      await q.query(`CREATE TRIGGER ${table}_change_update AFTER UPDATE ON ${table}
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION change_${table}_written()`);
      await q.query(`CREATE TRIGGER ${table}_change_delete AFTER DELETE ON ${table}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION change_${table}_written()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['actor', 'coalition']) {
      for (const op of ['insert', 'update', 'delete']) await q.query(`DROP TRIGGER ${table}_change_${op} ON ${table}`);
      await q.query(`DROP FUNCTION change_${table}_written()`);
    }
    await rewrite(q, 'gap_pending_apply()', [[GAP_FLUSH_THEN_FEED[1], GAP_FLUSH_THEN_FEED[0]]]);
    await q.query(`DROP TRIGGER change_pending_apply ON change_pending_tx`);
    await q.query(`DROP FUNCTION change_pending_commit()`);
    await q.query(`DROP FUNCTION change_log_apply()`);
    await q.query(`DROP TABLE change_pending_tx`);
    await q.query(`DROP TABLE change_pending`);
    await q.query(`DROP TABLE change_counter`);
    await q.query(`DROP TABLE change_log`);
  }
}

const GAP_FLUSH_THEN_FEED: [string, string] = [
  'UPDATE data_version SET version = version + 1;',
  'UPDATE data_version SET version = version + 1;\n        PERFORM change_log_apply(); -- the feed counter last (migration 1764000000028)',
];
