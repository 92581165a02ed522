import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewrite } from './1764000000011-field-actor-keys.js';

/**
 * Local presence. The gap analysis answered « Aucune lacune » for santé mentale over every commune
 * of Grand Est, Île-de-France and Auvergne-Rhône-Alpes: national bodies declared on `PAYS:FR`
 * (Réseau français des Villes-Santé de l'OMS, Uniopss, AIDES…) cover every commune, so an ARS
 * learnt nothing. What an ARS looks for is where nobody acts *locally*.
 *
 * An actor is present in a commune when its intervention territory there is local (a commune or
 * arrondissement, an EPCI or EPT, a département, or a radius of at most 50 km) or when its address
 * is in the commune; a région or the whole country is wide-scope coverage. Each resolved coverage
 * row now says which: `coverage_commune.local`, and `coverage_area.local` (true when the actor is
 * present in at least one commune of that territory). The address commune becomes a coverage row
 * of its own when the declared territory does not already reach it: the actor acts from there.
 *
 * The aggregates keep both: every row counts under its theme keys as before (any presence) and,
 * when local, under the same keys prefixed `local:` (`local:*`, `local:terrain:sante-mentale`…).
 * The triggers of migrations 1764000000005/11/17 and `gap_rebuild()` are rewritten to add those
 * keys (each replacement checked); readers ask for `local:` keys under `presence: LOCAL`.
 *
 * Existing rows are classified here with the same rules as server/actors/actor-coverage.ts (frozen
 * as of this migration), then the aggregates are rebuilt. The columns have no default: every writer
 * must say whether its row is local.
 */
export const LOCAL_RADIUS_KM_AT_MIGRATION = 50;

export class LocalPresence1764000000018 implements MigrationInterface {
  name = 'LocalPresence1764000000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`SET LOCAL app.gap_aggregates_deferred = 'on'`);
    await q.query(`ALTER TABLE coverage_commune ADD COLUMN local boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE coverage_area ADD COLUMN local boolean NOT NULL DEFAULT false`);

    // Declared local territories: commune, arrondissement (its commune), EPCI, EPT, département; one
    // equi-join per level (a join with OR conditions runs as communes × territories).
    for (const [level, column] of [
      ['COMMUNE', 'code'],
      ['EPCI', 'epci_code'],
      ['EPT', 'ept_code'],
      ['DEPARTEMENT', 'departement_code'],
    ]) {
      await q.query(`
        UPDATE coverage_commune cc SET local = true FROM actor_territory at, territory c
        WHERE at.level = '${level}' AND c.level = 'COMMUNE' AND c.${column} = at.code
          AND cc.actor_id = at.actor_id AND cc.commune_code = c.code AND NOT cc.local`);
    }
    await q.query(`
      UPDATE coverage_commune cc SET local = true FROM actor_territory at, territory r
      WHERE at.level = 'ARRONDISSEMENT' AND r.level = 'ARRONDISSEMENT' AND r.code = at.code
        AND cc.actor_id = at.actor_id AND cc.commune_code = r.commune_code AND NOT cc.local`);
    // A radius of at most 50 km: every commune of an actor that declares no région nor country came
    // from the radius or from a local territory; for the others, the distance decides.
    await q.query(`
      UPDATE coverage_commune cc SET local = true FROM actor a
      WHERE a.id = cc.actor_id AND a.radius_km <= ${LOCAL_RADIUS_KM_AT_MIGRATION} AND a.location IS NOT NULL AND NOT cc.local
        AND NOT EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = a.id AND at.level IN ('REGION', 'PAYS'))`);
    await q.query(`
      UPDATE coverage_commune cc SET local = true FROM actor a, territory c
      WHERE a.id = cc.actor_id AND a.radius_km <= ${LOCAL_RADIUS_KM_AT_MIGRATION} AND a.location IS NOT NULL AND NOT cc.local
        AND EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = a.id AND at.level IN ('REGION', 'PAYS'))
        AND c.level = 'COMMUNE' AND c.code = cc.commune_code
        AND ST_DWithin(c.geom::geography, a.location::geography, a.radius_km * 1000)`);
    // The address commune (an arrondissement's address counts in its commune).
    await q.query(`
      INSERT INTO coverage_commune (commune_code, actor_id, local)
      SELECT c.code, a.id, true FROM actor a
        LEFT JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.code = a.commune_code
        JOIN territory c ON c.level = 'COMMUNE' AND c.code = coalesce(r.commune_code, a.commune_code)
      ON CONFLICT (commune_code, actor_id) DO UPDATE SET local = true`);
    await q.query(`
      INSERT INTO coverage_area (level, code, actor_id, local)
      SELECT x.level, x.code, cc.actor_id, bool_or(cc.local) FROM coverage_commune cc
        JOIN territory c ON c.level = 'COMMUNE' AND c.code = cc.commune_code
        CROSS JOIN LATERAL (VALUES ('EPCI', c.epci_code), ('EPT', c.ept_code), ('DEPARTEMENT', c.departement_code),
                                   ('REGION', c.region_code), ('PAYS', 'FR')) AS x(level, code)
      WHERE x.code IS NOT NULL
      GROUP BY x.level, x.code, cc.actor_id
      ON CONFLICT (level, code, actor_id) DO UPDATE SET local = EXCLUDED.local`);
    await q.query(`
      UPDATE coverage_area ca SET local = true FROM coverage_commune cc, territory r
      WHERE ca.level = 'ARRONDISSEMENT' AND r.level = 'ARRONDISSEMENT' AND r.code = ca.code
        AND cc.actor_id = ca.actor_id AND cc.commune_code = r.commune_code AND cc.local`);
    await q.query(`ALTER TABLE coverage_commune ALTER COLUMN local DROP DEFAULT`);
    await q.query(`ALTER TABLE coverage_area ALTER COLUMN local DROP DEFAULT`);

    await q.query(`
      CREATE FUNCTION gap_row_keys(keys text[], local boolean) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN local THEN keys || ARRAY(SELECT 'local:' || k FROM unnest(keys) k) ELSE keys END
      $$`);
    for (const fn of ['gap_coverage_commune_changed()', 'gap_coverage_area_changed()']) {
      await rewrite(q, fn, [
        ['s.actor_id = n.actor_id CROSS JOIN unnest(s.keys) k', 's.actor_id = n.actor_id CROSS JOIN unnest(gap_row_keys(s.keys, n.local)) k'],
        ['s.actor_id = o.actor_id CROSS JOIN unnest(s.keys) k', 's.actor_id = o.actor_id CROSS JOIN unnest(gap_row_keys(s.keys, o.local)) k'],
      ]);
    }
    await rewrite(q, 'gap_actor_changed()', [
      ["SELECT g.k, 'COMMUNE', cc.commune_code, sum(g.d)", "SELECT kk, 'COMMUNE', cc.commune_code, sum(g.d)"],
      [
        'JOIN coverage_commune cc ON cc.actor_id = g.actor_id',
        'JOIN coverage_commune cc ON cc.actor_id = g.actor_id CROSS JOIN unnest(gap_row_keys(ARRAY[g.k], cc.local)) kk',
      ],
      ['GROUP BY g.k, cc.commune_code', 'GROUP BY kk, cc.commune_code'],
      ['SELECT g.k, ca.level, ca.code, sum(g.d)', 'SELECT kk, ca.level, ca.code, sum(g.d)'],
      [
        'JOIN coverage_area ca ON ca.actor_id = g.actor_id',
        'JOIN coverage_area ca ON ca.actor_id = g.actor_id CROSS JOIN unnest(gap_row_keys(ARRAY[g.k], ca.local)) kk',
      ],
      ['GROUP BY g.k, ca.level, ca.code', 'GROUP BY kk, ca.level, ca.code'],
    ]);
    await rewrite(q, 'gap_rebuild()', [
      ['s.actor_id = cc.actor_id CROSS JOIN unnest(s.keys) k', 's.actor_id = cc.actor_id CROSS JOIN unnest(gap_row_keys(s.keys, cc.local)) k'],
      ['s.actor_id = ca.actor_id CROSS JOIN unnest(s.keys) k', 's.actor_id = ca.actor_id CROSS JOIN unnest(gap_row_keys(s.keys, ca.local)) k'],
    ]);
    await q.query(`SET LOCAL app.gap_aggregates_deferred = 'off'`);
    await q.query(`SELECT gap_rebuild()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_rebuild()', [
      ['unnest(gap_row_keys(s.keys, cc.local)) k', 'unnest(s.keys) k'],
      ['unnest(gap_row_keys(s.keys, ca.local)) k', 'unnest(s.keys) k'],
    ]);
    await rewrite(q, 'gap_actor_changed()', [
      ["SELECT kk, 'COMMUNE'", "SELECT g.k, 'COMMUNE'"],
      [' CROSS JOIN unnest(gap_row_keys(ARRAY[g.k], cc.local)) kk', ''],
      ['GROUP BY kk, cc.commune_code', 'GROUP BY g.k, cc.commune_code'],
      ['SELECT kk, ca.level', 'SELECT g.k, ca.level'],
      [' CROSS JOIN unnest(gap_row_keys(ARRAY[g.k], ca.local)) kk', ''],
      ['GROUP BY kk, ca.level, ca.code', 'GROUP BY g.k, ca.level, ca.code'],
    ]);
    for (const fn of ['gap_coverage_commune_changed()', 'gap_coverage_area_changed()']) {
      await rewrite(q, fn, [
        ['unnest(gap_row_keys(s.keys, n.local)) k', 'unnest(s.keys) k'],
        ['unnest(gap_row_keys(s.keys, o.local)) k', 'unnest(s.keys) k'],
      ]);
    }
    await q.query(`DROP FUNCTION gap_row_keys(text[], boolean)`);
    await q.query(`ALTER TABLE coverage_area DROP COLUMN local`);
    await q.query(`ALTER TABLE coverage_commune DROP COLUMN local`);
    await q.query(`SELECT gap_rebuild()`);
  }
}
