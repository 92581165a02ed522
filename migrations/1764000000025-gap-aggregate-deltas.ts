import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

/**
 * Actor writes no longer wait for one another (issue 17: createActor/updateActor p50 ≈ 550 ms
 * under the mixed load test, every write of the directory queued behind one advisory lock).
 *
 * Migration 1764000000010 took one transaction-level advisory lock in every statement that
 * maintains the gap aggregates, from the first write of a transaction until its commit, because
 * those statements upserted the coverage_theme_count rows (theme × commune, EPCI, département,
 * région, pays) in whatever order each statement yielded them: two writers could each hold a row
 * the other wanted (deadlock). Every actor counts under the key `*` of the whole country, so
 * every write touches that row: without the lock, writers were serialised by it anyway until
 * their commit.
 *
 * Now the statement triggers only append their signed deltas to coverage_theme_pending (tagged
 * with the transaction, no unique key: nothing to wait for), and one deferred trigger adds them
 * to coverage_theme_count when the transaction commits, in one statement sorted by (theme, level,
 * code): concurrent writers take the counters' row locks in the same order (no deadlock), and
 * only for the time of their commit. A write otherwise locks only its own rows (the actor, its
 * coverage, its keys and points). The counts stay exact: each delta is an increment under the
 * counter's row lock, applied once, with the rows of the transaction that produced it.
 * `gap_rebuild()` drops the pending deltas of its own transaction (it recounts them).
 * Bulk loads that defer the aggregates (`app.gap_aggregates_deferred`) skip the deltas, as before.
 *
 * The data version (`data_version`, one row): every transaction that writes actors, their coverage
 * or the territories, or rebuilds the aggregates, adds one to it when it commits (with its deltas,
 * so only then, and whatever process wrote: the app, an import, a seed). Coverage tiles are cached
 * under it (server/gaps/tile-cache.ts): a tile computed after reading version v holds at least the
 * data of v, and no tile is served for a version older than the data.
 */
export class GapAggregateDeltas1764000000025 implements MigrationInterface {
  name = 'GapAggregateDeltas1764000000025';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['actor', 'coverage_commune', 'coverage_area']) await q.query(`DROP TRIGGER ${table}_gap_lock ON ${table}`);
    await q.query(`DROP FUNCTION gap_aggregates_lock()`);
    // Rows live only inside their transaction: unlogged, never read by another one.
    await q.query(`CREATE UNLOGGED TABLE coverage_theme_pending (
      txid bigint NOT NULL DEFAULT txid_current(), theme text NOT NULL, level text NOT NULL, code text NOT NULL, d integer NOT NULL)`);
    await q.query(`CREATE INDEX coverage_theme_pending_txid_idx ON coverage_theme_pending (txid)`);
    await q.query(`CREATE UNLOGGED TABLE coverage_theme_pending_tx (txid bigint PRIMARY KEY)`);
    await q.query(`
      CREATE FUNCTION gap_pending_open() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO coverage_theme_pending_tx (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
        RETURN NULL;
      END $$`);
    for (const table of ['actor', 'coverage_commune', 'coverage_area', 'territory']) {
      await q.query(`CREATE TRIGGER ${table}_gap_pending BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION gap_pending_open()`);
    }
    await q.query(`CREATE TABLE data_version (one boolean PRIMARY KEY DEFAULT true CHECK (one), version bigint NOT NULL)`);
    await q.query(`INSERT INTO data_version (version) VALUES (1)`);
    await q.query(`
      CREATE FUNCTION gap_pending_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO coverage_theme_count (theme, level, code, actor_count)
        SELECT theme, level, code, sum(d) FROM coverage_theme_pending WHERE txid = NEW.txid
        GROUP BY theme, level, code HAVING sum(d) <> 0 ORDER BY theme, level, code
        ON CONFLICT (theme, level, code) DO UPDATE SET actor_count = coverage_theme_count.actor_count + EXCLUDED.actor_count;
        DELETE FROM coverage_theme_pending WHERE txid = NEW.txid;
        DELETE FROM coverage_theme_pending_tx WHERE txid = NEW.txid;
        UPDATE data_version SET version = version + 1;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE CONSTRAINT TRIGGER coverage_theme_pending_apply AFTER INSERT ON coverage_theme_pending_tx
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gap_pending_apply()`);
    await rewrite(q, 'gap_actor_changed()', [UPSERT_TO_PENDING, UPSERT_CONFLICT_TO_NONE]);
    for (const [fn, decrement] of [
      ['gap_coverage_commune_changed()', COMMUNE_DECREMENT],
      ['gap_coverage_area_changed()', AREA_DECREMENT],
    ] as const) {
      await rewrite(q, fn, [UPSERT_TO_PENDING, UPSERT_CONFLICT_TO_NONE, decrement]);
    }
    await rewrite(q, 'gap_rebuild()', [REBUILD_DROPS_PENDING]);
  }

  async down(q: QueryRunner): Promise<void> {
    const back = (r: [string, string]): [string, string] => [r[1], r[0]];
    await rewrite(q, 'gap_rebuild()', [back(REBUILD_DROPS_PENDING)]);
    for (const [fn, decrement] of [
      ['gap_coverage_commune_changed()', COMMUNE_DECREMENT],
      ['gap_coverage_area_changed()', AREA_DECREMENT],
    ] as const) {
      await rewrite(q, fn, [back(decrement), back(UPSERT_CONFLICT_TO_NONE), back(UPSERT_TO_PENDING)]);
    }
    await rewrite(q, 'gap_actor_changed()', [back(UPSERT_CONFLICT_TO_NONE), back(UPSERT_TO_PENDING)]);
    await q.query(`DROP TRIGGER coverage_theme_pending_apply ON coverage_theme_pending_tx`);
    await q.query(`DROP FUNCTION gap_pending_apply()`);
    await q.query(`DROP TABLE data_version`);
    for (const table of ['actor', 'coverage_commune', 'coverage_area', 'territory']) await q.query(`DROP TRIGGER ${table}_gap_pending ON ${table}`);
    await q.query(`DROP FUNCTION gap_pending_open()`);
    await q.query(`DROP TABLE coverage_theme_pending_tx`);
    await q.query(`DROP TABLE coverage_theme_pending`);
    await q.query(`
      CREATE FUNCTION gap_aggregates_lock() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('app.gap_aggregates_deferred', true) = 'on' THEN RETURN NULL; END IF;
        PERFORM pg_advisory_xact_lock(1764000000005);
        RETURN NULL;
      END $$`);
    for (const table of ['actor', 'coverage_commune', 'coverage_area']) {
      await q.query(`CREATE TRIGGER ${table}_gap_lock BEFORE INSERT OR UPDATE OR DELETE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION gap_aggregates_lock()`);
    }
  }
}

const UPSERT_TO_PENDING: [string, string] = [
  'INSERT INTO coverage_theme_count (theme, level, code, actor_count)',
  'INSERT INTO coverage_theme_pending (theme, level, code, d)',
];
const UPSERT_CONFLICT_TO_NONE: [string, string] = [
  `
          ON CONFLICT (theme, level, code) DO UPDATE SET actor_count = coverage_theme_count.actor_count + EXCLUDED.actor_count;`,
  '; -- added to coverage_theme_count at commit (gap_pending_apply)',
];
/** The coverage triggers' decrement of deleted rows, as negative deltas. */
const decrement = (code: string, group: string): [string, string] => [
  `UPDATE coverage_theme_count t SET actor_count = t.actor_count - d.n
          FROM (SELECT k, ${code}, count(*) AS n FROM old_rows o
                  JOIN actor_theme_key s ON s.actor_id = o.actor_id CROSS JOIN unnest(gap_row_keys(s.keys, o.local)) k
                GROUP BY k, ${group}) d
          WHERE t.theme = d.k AND t.level = ${code.startsWith('o.level') ? 'd.level' : `'COMMUNE'`} AND t.code = d.code;`,
  `INSERT INTO coverage_theme_pending (theme, level, code, d)
          SELECT k, ${code.startsWith('o.level') ? 'o.level' : `'COMMUNE'`}, ${code.startsWith('o.level') ? 'o.code' : 'o.commune_code'}, -count(*) FROM old_rows o
            JOIN actor_theme_key s ON s.actor_id = o.actor_id CROSS JOIN unnest(gap_row_keys(s.keys, o.local)) k
          GROUP BY k, ${group};`,
];
const COMMUNE_DECREMENT = decrement('o.commune_code AS code', 'o.commune_code');
const AREA_DECREMENT = decrement('o.level, o.code', 'o.level, o.code');
const REBUILD_DROPS_PENDING: [string, string] = [
  'TRUNCATE actor_theme_key, actor_theme_point, coverage_theme_count;',
  'TRUNCATE actor_theme_key, actor_theme_point, coverage_theme_count;\n        DELETE FROM coverage_theme_pending WHERE txid = txid_current();\n' +
    '        INSERT INTO coverage_theme_pending_tx (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;',
];
