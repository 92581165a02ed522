import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Aggregates behind the gap and coverage queries, kept in step with every write by triggers:
 *
 * - `actor_theme_key`: for each ACTIVE actor, the theme keys it counts under: its themes, the
 *   parents of its sub-themes (a parent theme includes its sub-themes) and '*' (any theme).
 *   Archived actors have no row, so they count nowhere.
 * - `coverage_theme_count`: (theme key, level, code) → number of active actors with that key
 *   covering the territory: level COMMUNE from coverage_commune, the other levels from
 *   coverage_area. Rows may hold 0 after removals; readers test `actor_count > 0`.
 * - `actor_theme_point`: one geography point per (active actor with a location, theme key), with
 *   a GiST index on (theme, geog) (btree_gist) for the nearest actor by KNN `<->`.
 *
 * Why triggers rather than calls from ActorService: they also see imports, bulk loads and plain SQL
 * deletes, and they follow the order of any write path. They are statement-level with transition
 * tables, so a bulk insert costs one aggregate per statement. Invariant: coverage_theme_count =
 * coverage rows × actor_theme_key. `actor_theme_key` has no foreign key on purpose: when an actor
 * is deleted, the statement triggers of the cascaded coverage deletes run after the actor's own
 * and still need its keys; a deferred trigger drops them at commit.
 *
 * Bulk loaders may `SET app.gap_aggregates_deferred = 'on'` to skip the triggers, then call
 * `SELECT gap_rebuild()` (a national rebuild takes seconds). TRUNCATE is followed too.
 */
export class GapAggregates1764000000005 implements MigrationInterface {
  name = 'GapAggregates1764000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION gap_theme_keys(themes text[]) RETURNS text[]
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT array_agg(k ORDER BY k) FROM (
          SELECT unnest(themes)
          UNION SELECT th.parent_code FROM theme th WHERE th.code = ANY(themes) AND th.parent_code IS NOT NULL
          UNION SELECT '*') x(k)
      $$`);

    await q.query(`CREATE TABLE actor_theme_key (actor_id uuid PRIMARY KEY, keys text[] NOT NULL)`);
    await q.query(`
      CREATE TABLE coverage_theme_count (
        theme text NOT NULL,
        level text NOT NULL,
        code text NOT NULL,
        actor_count integer NOT NULL,
        PRIMARY KEY (theme, level, code)
      )`);
    await q.query(`
      CREATE TABLE actor_theme_point (
        actor_id uuid NOT NULL,
        theme text NOT NULL,
        geog geography(Point, 4326) NOT NULL,
        PRIMARY KEY (actor_id, theme)
      )`);
    // Reads go territory by territory (every theme of the communes of a scope).
    await q.query(`CREATE INDEX coverage_theme_count_code_idx ON coverage_theme_count (level, code, theme) INCLUDE (actor_count)`);
    await q.query(`CREATE INDEX actor_theme_point_knn_idx ON actor_theme_point USING gist (theme, geog)`);

    // Skipped while a bulk loader has deferred them (then it calls gap_rebuild()).
    const deferred = `IF current_setting('app.gap_aggregates_deferred', true) = 'on' THEN RETURN NULL; END IF;`;
    const upsert = `ON CONFLICT (theme, level, code) DO UPDATE SET actor_count = coverage_theme_count.actor_count + EXCLUDED.actor_count`;

    await q.query(`
      CREATE FUNCTION gap_coverage_commune_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${deferred}
        IF TG_OP = 'INSERT' THEN
          INSERT INTO coverage_theme_count (theme, level, code, actor_count)
          SELECT k, 'COMMUNE', n.commune_code, count(*) FROM new_rows n
            JOIN actor_theme_key s ON s.actor_id = n.actor_id CROSS JOIN unnest(s.keys) k
          GROUP BY k, n.commune_code
          ${upsert};
        ELSE
          UPDATE coverage_theme_count t SET actor_count = t.actor_count - d.n
          FROM (SELECT k, o.commune_code AS code, count(*) AS n FROM old_rows o
                  JOIN actor_theme_key s ON s.actor_id = o.actor_id CROSS JOIN unnest(s.keys) k
                GROUP BY k, o.commune_code) d
          WHERE t.theme = d.k AND t.level = 'COMMUNE' AND t.code = d.code;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION gap_coverage_area_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${deferred}
        IF TG_OP = 'INSERT' THEN
          INSERT INTO coverage_theme_count (theme, level, code, actor_count)
          SELECT k, n.level, n.code, count(*) FROM new_rows n
            JOIN actor_theme_key s ON s.actor_id = n.actor_id CROSS JOIN unnest(s.keys) k
          GROUP BY k, n.level, n.code
          ${upsert};
        ELSE
          UPDATE coverage_theme_count t SET actor_count = t.actor_count - d.n
          FROM (SELECT k, o.level, o.code, count(*) AS n FROM old_rows o
                  JOIN actor_theme_key s ON s.actor_id = o.actor_id CROSS JOIN unnest(s.keys) k
                GROUP BY k, o.level, o.code) d
          WHERE t.theme = d.k AND t.level = d.level AND t.code = d.code;
        END IF;
        RETURN NULL;
      END $$`);
    for (const [table, fn] of [
      ['coverage_commune', 'gap_coverage_commune_changed'],
      ['coverage_area', 'gap_coverage_area_changed'],
    ]) {
      await q.query(`CREATE TRIGGER ${table}_gap_ins AFTER INSERT ON ${table}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
      await q.query(`CREATE TRIGGER ${table}_gap_del AFTER DELETE ON ${table}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
    }
    await q.query(`
      CREATE FUNCTION gap_coverage_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'coverage_commune' THEN
          DELETE FROM coverage_theme_count WHERE level = 'COMMUNE';
        ELSE
          DELETE FROM coverage_theme_count WHERE level <> 'COMMUNE';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER coverage_commune_gap_truncate AFTER TRUNCATE ON coverage_commune
      FOR EACH STATEMENT EXECUTE FUNCTION gap_coverage_truncated()`);
    await q.query(`CREATE TRIGGER coverage_area_gap_truncate AFTER TRUNCATE ON coverage_area
      FOR EACH STATEMENT EXECUTE FUNCTION gap_coverage_truncated()`);

    // Actors: keys and points follow themes, status and location. When keys change, the counts of
    // the actor's current coverage move from the old keys to the new ones.
    // Per actor whose themes or status changed: -1 for each old key, +1 for each new one.
    const keyDelta = `
      SELECT id AS actor_id, k, sum(d)::int AS d FROM (
        SELECT n.id, k, -1 AS d FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN actor_theme_key s ON s.actor_id = n.id CROSS JOIN unnest(s.keys) k
        WHERE (o.themes, o.status) IS DISTINCT FROM (n.themes, n.status)
        UNION ALL
        SELECT n.id, k, 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
          CROSS JOIN unnest(gap_theme_keys(n.themes)) k
        WHERE (o.themes, o.status) IS DISTINCT FROM (n.themes, n.status) AND n.status = 'ACTIVE') x
      GROUP BY id, k HAVING sum(d) <> 0`;
    await q.query(`
      CREATE FUNCTION gap_actor_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${deferred}
        IF TG_OP = 'INSERT' THEN
          INSERT INTO actor_theme_key (actor_id, keys)
          SELECT n.id, gap_theme_keys(n.themes) FROM new_rows n WHERE n.status = 'ACTIVE'
          ON CONFLICT (actor_id) DO UPDATE SET keys = EXCLUDED.keys;
          INSERT INTO actor_theme_point (actor_id, theme, geog)
          SELECT s.actor_id, k, n.location::geography FROM new_rows n
            JOIN actor_theme_key s ON s.actor_id = n.id CROSS JOIN unnest(s.keys) k
          WHERE n.location IS NOT NULL
          ON CONFLICT (actor_id, theme) DO UPDATE SET geog = EXCLUDED.geog;
        ELSIF TG_OP = 'DELETE' THEN
          -- The keys stay until commit (gap_actor_forget): the statement triggers of the cascaded
          -- coverage deletes run after this one and still need them to subtract the counts.
          DELETE FROM actor_theme_point p USING old_rows o WHERE p.actor_id = o.id;
        ELSE
          INSERT INTO coverage_theme_count (theme, level, code, actor_count)
          SELECT g.k, 'COMMUNE', cc.commune_code, sum(g.d) FROM (${keyDelta}) g
            JOIN coverage_commune cc ON cc.actor_id = g.actor_id
          GROUP BY g.k, cc.commune_code
          ${upsert};
          INSERT INTO coverage_theme_count (theme, level, code, actor_count)
          SELECT g.k, ca.level, ca.code, sum(g.d) FROM (${keyDelta}) g
            JOIN coverage_area ca ON ca.actor_id = g.actor_id
          GROUP BY g.k, ca.level, ca.code
          ${upsert};
          DELETE FROM actor_theme_key s USING new_rows n, old_rows o
          WHERE s.actor_id = n.id AND o.id = n.id AND (o.themes, o.status) IS DISTINCT FROM (n.themes, n.status);
          INSERT INTO actor_theme_key (actor_id, keys)
          SELECT n.id, gap_theme_keys(n.themes) FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE (o.themes, o.status) IS DISTINCT FROM (n.themes, n.status) AND n.status = 'ACTIVE';
          DELETE FROM actor_theme_point p USING new_rows n, old_rows o
          WHERE p.actor_id = n.id AND o.id = n.id AND ((o.themes, o.status) IS DISTINCT FROM (n.themes, n.status)
            OR ST_AsEWKB(o.location) IS DISTINCT FROM ST_AsEWKB(n.location));
          INSERT INTO actor_theme_point (actor_id, theme, geog)
          SELECT s.actor_id, k, n.location::geography FROM new_rows n JOIN old_rows o ON o.id = n.id
            JOIN actor_theme_key s ON s.actor_id = n.id CROSS JOIN unnest(s.keys) k
          WHERE n.location IS NOT NULL AND ((o.themes, o.status) IS DISTINCT FROM (n.themes, n.status)
            OR ST_AsEWKB(o.location) IS DISTINCT FROM ST_AsEWKB(n.location));
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER actor_gap_ins AFTER INSERT ON actor
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gap_actor_changed()`);
    await q.query(`CREATE TRIGGER actor_gap_upd AFTER UPDATE ON actor
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gap_actor_changed()`);
    await q.query(`CREATE TRIGGER actor_gap_del AFTER DELETE ON actor
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gap_actor_changed()`);
    await q.query(`
      CREATE FUNCTION gap_actor_forget() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM actor_theme_key s WHERE s.actor_id = OLD.id AND NOT EXISTS (SELECT 1 FROM actor a WHERE a.id = OLD.id);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE CONSTRAINT TRIGGER actor_gap_forget AFTER DELETE ON actor
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gap_actor_forget()`);
    await q.query(`
      CREATE FUNCTION gap_actor_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        TRUNCATE actor_theme_key, actor_theme_point, coverage_theme_count;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER actor_gap_truncate AFTER TRUNCATE ON actor
      FOR EACH STATEMENT EXECUTE FUNCTION gap_actor_truncated()`);

    // Recomputes everything from actor, coverage_commune and coverage_area.
    await q.query(`
      CREATE FUNCTION gap_rebuild() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        TRUNCATE actor_theme_key, actor_theme_point, coverage_theme_count;
        INSERT INTO actor_theme_key (actor_id, keys)
        SELECT id, gap_theme_keys(themes) FROM actor WHERE status = 'ACTIVE';
        INSERT INTO coverage_theme_count (theme, level, code, actor_count)
        SELECT k, 'COMMUNE', cc.commune_code, count(*) FROM coverage_commune cc
          JOIN actor_theme_key s ON s.actor_id = cc.actor_id CROSS JOIN unnest(s.keys) k
        GROUP BY k, cc.commune_code;
        INSERT INTO coverage_theme_count (theme, level, code, actor_count)
        SELECT k, ca.level, ca.code, count(*) FROM coverage_area ca
          JOIN actor_theme_key s ON s.actor_id = ca.actor_id CROSS JOIN unnest(s.keys) k
        GROUP BY k, ca.level, ca.code;
        INSERT INTO actor_theme_point (actor_id, theme, geog)
        SELECT s.actor_id, k, a.location::geography FROM actor_theme_key s
          JOIN actor a ON a.id = s.actor_id CROSS JOIN unnest(s.keys) k
        WHERE a.location IS NOT NULL;
        ANALYZE actor_theme_key;
        ANALYZE coverage_theme_count;
        ANALYZE actor_theme_point;
      END $$`);
    await q.query(`SELECT gap_rebuild()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER actor_gap_truncate ON actor`);
    await q.query(`DROP TRIGGER actor_gap_forget ON actor`);
    await q.query(`DROP TRIGGER actor_gap_del ON actor`);
    await q.query(`DROP TRIGGER actor_gap_upd ON actor`);
    await q.query(`DROP TRIGGER actor_gap_ins ON actor`);
    for (const table of ['coverage_commune', 'coverage_area']) {
      await q.query(`DROP TRIGGER ${table}_gap_truncate ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_gap_del ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_gap_ins ON ${table}`);
    }
    await q.query(`DROP FUNCTION gap_rebuild()`);
    await q.query(`DROP FUNCTION gap_actor_truncated()`);
    await q.query(`DROP FUNCTION gap_actor_forget()`);
    await q.query(`DROP FUNCTION gap_actor_changed()`);
    await q.query(`DROP FUNCTION gap_coverage_truncated()`);
    await q.query(`DROP FUNCTION gap_coverage_area_changed()`);
    await q.query(`DROP FUNCTION gap_coverage_commune_changed()`);
    await q.query(`DROP TABLE actor_theme_point`);
    await q.query(`DROP TABLE coverage_theme_count`);
    await q.query(`DROP TABLE actor_theme_key`);
    await q.query(`DROP FUNCTION gap_theme_keys(text[])`);
  }
}
