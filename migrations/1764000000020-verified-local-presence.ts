import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

/**
 * Verified local presence. « Présence locale » on the gap map said that someone acts here, not
 * whether anyone checked it since the 2018 report it was copied from: an ARS analyst must see the
 * communes whose only local actors have stale records (`verified_at` older than FRESHNESS_MONTHS,
 * 18 by default, or never confirmed) apart from those with a recently confirmed one.
 *
 * Freshness depends on the clock, and the figures come from maintained aggregates, so it is kept
 * as a stored flag that moves like any other column the aggregates follow:
 * - `actor.verified_recently`: set by a BEFORE trigger whenever `verified_at` is written, from the
 *   policy in `freshness_policy` (one row: the months; the server writes FRESHNESS_MONTHS there at
 *   start); `actor_freshness_expire()` flips the flags that the clock or a new policy changed
 *   (the server calls it at start and every hour). Readers therefore never compare dates.
 * - The aggregates: an actor whose record is recent also has its theme keys prefixed `fresh:`
 *   (`gap_actor_keys`), and `gap_row_keys` counts them only on rows of local presence: the count
 *   under `fresh:<key>` is the number of local actors with a recent record, `local:<key>` minus
 *   it the stale ones. A flag flip changes the actor's keys by the `fresh:` ones only, so the
 *   actor trigger moves only those counts. `fresh:` keys are no theme: they get no point in
 *   actor_theme_point (nearest actor).
 * The triggers of migrations 1764000000005/11/17/18 and `gap_rebuild()` are rewritten (each
 * replacement checked), then the aggregates rebuilt.
 */
export const FRESH_KEY_PREFIX_AT_MIGRATION = 'fresh:';

export class VerifiedLocalPresence1764000000020 implements MigrationInterface {
  name = 'VerifiedLocalPresence1764000000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`SET LOCAL app.gap_aggregates_deferred = 'on'`);
    await q.query(`CREATE TABLE freshness_policy (
      one boolean PRIMARY KEY DEFAULT true CHECK (one),
      months integer NOT NULL CHECK (months BETWEEN 1 AND 240))`);
    await q.query(`INSERT INTO freshness_policy (months) VALUES (18)`);
    await q.query(`ALTER TABLE actor ADD COLUMN verified_recently boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE FUNCTION actor_fresh_since() RETURNS timestamptz LANGUAGE sql STABLE AS $$
        SELECT now() - make_interval(months => (SELECT months FROM freshness_policy))
      $$`);
    await q.query(`
      CREATE FUNCTION actor_mark_freshness() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.verified_recently := coalesce(NEW.verified_at >= actor_fresh_since(), false);
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER actor_mark_freshness BEFORE INSERT OR UPDATE OF verified_at ON actor
                   FOR EACH ROW EXECUTE FUNCTION actor_mark_freshness()`);
    // Returns how many flags moved: records that aged past the policy, or that a new policy changed.
    await q.query(`
      CREATE FUNCTION actor_freshness_expire() RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE moved integer;
      BEGIN
        UPDATE actor SET verified_recently = coalesce(verified_at >= actor_fresh_since(), false)
        WHERE verified_recently IS DISTINCT FROM coalesce(verified_at >= actor_fresh_since(), false);
        GET DIAGNOSTICS moved = ROW_COUNT;
        RETURN moved;
      END $$`);
    await q.query(`UPDATE actor SET verified_recently = coalesce(verified_at >= actor_fresh_since(), false)`);

    await q.query(`
      CREATE FUNCTION gap_actor_keys(themes text[], kind text, fresh boolean) RETURNS text[]
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN fresh THEN b.keys || ARRAY(SELECT '${FRESH_KEY_PREFIX_AT_MIGRATION}' || k FROM unnest(b.keys) k) ELSE b.keys END
        FROM (SELECT gap_theme_keys(themes, kind) AS keys) b
      $$`);
    // A row's keys: the actor's theme keys; on a row of local presence, each again prefixed
    // `local:`, and the actor's `fresh:` keys. (`fresh:` keys never count on wide-scope rows.)
    // gap_actor_keys puts the `fresh:` keys last: an actor without them (the last key is a theme
    // key) takes the previous expression, as cheap as before this migration — it runs once per
    // coverage row in gap_rebuild().
    await q.query(`
      CREATE OR REPLACE FUNCTION gap_row_keys(keys text[], local boolean) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
          WHEN keys[cardinality(keys)] NOT LIKE '${FRESH_KEY_PREFIX_AT_MIGRATION}%'
            THEN CASE WHEN local THEN keys || ARRAY(SELECT 'local:' || k FROM unnest(keys) k) ELSE keys END
          WHEN local
            THEN ARRAY(SELECT k FROM unnest(keys) k WHERE k NOT LIKE '${FRESH_KEY_PREFIX_AT_MIGRATION}%')
              || ARRAY(SELECT 'local:' || k FROM unnest(keys) k WHERE k NOT LIKE '${FRESH_KEY_PREFIX_AT_MIGRATION}%')
              || ARRAY(SELECT k FROM unnest(keys) k WHERE k LIKE '${FRESH_KEY_PREFIX_AT_MIGRATION}%')
          ELSE ARRAY(SELECT k FROM unnest(keys) k WHERE k NOT LIKE '${FRESH_KEY_PREFIX_AT_MIGRATION}%') END
      $$`);
    await rewrite(q, 'gap_actor_changed()', ACTOR_TRIGGER);
    await rewrite(q, 'gap_rebuild()', REBUILD);
    await q.query(`SET LOCAL app.gap_aggregates_deferred = 'off'`);
    await q.query(`SELECT gap_rebuild()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(
      q,
      'gap_rebuild()',
      REBUILD.map(([a, b]) => [b, a]),
    );
    await rewrite(
      q,
      'gap_actor_changed()',
      ACTOR_TRIGGER.map(([a, b]) => [b, a]),
    );
    await q.query(`
      CREATE OR REPLACE FUNCTION gap_row_keys(keys text[], local boolean) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN local THEN keys || ARRAY(SELECT 'local:' || k FROM unnest(keys) k) ELSE keys END
      $$`);
    await q.query(`DROP FUNCTION gap_actor_keys(text[], text, boolean)`);
    await q.query(`DROP FUNCTION actor_freshness_expire()`);
    await q.query(`DROP TRIGGER actor_mark_freshness ON actor`);
    await q.query(`DROP FUNCTION actor_mark_freshness()`);
    await q.query(`DROP FUNCTION actor_fresh_since()`);
    await q.query(`ALTER TABLE actor DROP COLUMN verified_recently`);
    await q.query(`DROP TABLE freshness_policy`);
    await q.query(`SELECT gap_rebuild()`);
  }
}

const CHANGED_BEFORE = '(o.themes, o.status, o.kind, o.review_status) IS DISTINCT FROM (n.themes, n.status, n.kind, n.review_status)';
const CHANGED_AFTER =
  '(o.themes, o.status, o.kind, o.review_status, o.verified_recently) IS DISTINCT FROM (n.themes, n.status, n.kind, n.review_status, n.verified_recently)';
const NOT_FRESH = `k NOT LIKE '${FRESH_KEY_PREFIX_AT_MIGRATION}%'`;

/** The actor trigger: keys with freshness, flips followed, no point for `fresh:` keys. */
const ACTOR_TRIGGER: [string, string][] = [
  ['gap_theme_keys(n.themes, n.kind)', 'gap_actor_keys(n.themes, n.kind, n.verified_recently)'],
  [CHANGED_BEFORE, CHANGED_AFTER],
  // Both point inserts (new actor; moved or re-keyed actor).
  ['WHERE n.location IS NOT NULL', `WHERE ${NOT_FRESH} AND n.location IS NOT NULL`],
];

const REBUILD: [string, string][] = [
  ['gap_theme_keys(themes, kind)', 'gap_actor_keys(themes, kind, verified_recently)'],
  ['WHERE a.location IS NOT NULL', `WHERE ${NOT_FRESH} AND a.location IS NOT NULL`],
];
