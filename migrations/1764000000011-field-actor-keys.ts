import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Gap figures for field actors only, from the maintained aggregates. The State's services and
 * agencies and the health democracy bodies (STEERING_KINDS in server/actors/actor-enums.ts, as of
 * this migration) cover whole départements, régions or the whole country, so
 * `fieldActorsOnly` leaves them out; counting that through a kinds filter took the live path
 * (~4 s for a région). Now every other actor also counts under `terrain:<key>` for each of its
 * theme keys (`terrain:*` for any theme): the same aggregates, read with prefixed keys.
 *
 * `gap_theme_keys` takes the actor's kind, and the actor trigger and `gap_rebuild()` of migration
 * 1764000000005 follow kind changes like theme and status changes (their SQL is rewritten here,
 * each replacement checked).
 */
import { FIELD_KEY_PREFIX } from '../server/actors/actor-enums.js';

/** The steering kinds as this migration wrote them into gap_theme_keys (a test checks they match STEERING_KINDS). */
export const STEERING_KINDS_AT_MIGRATION = [
  'DGS',
  'ARS',
  'AGENCE_ETAT',
  'SERVICE_ETAT',
  'PREFECTURE',
  'DRDFE',
  'DRIHL',
  'DRIETS',
  'DDT_DRIEATE',
  'PJJ',
  'EDUCATION_NATIONALE',
  'CPAM',
  'INSTANCE_DEMOCRATIE_SANTE',
];

/** Rewrites the SQL of a function by exact replacements, each checked to be found. */
export async function rewrite(q: QueryRunner, fn: string, replacements: [string, string][]): Promise<void> {
  const [{ def }] = (await q.query(`SELECT pg_get_functiondef($1::regprocedure) AS def`, [fn])) as { def: string }[];
  let sql = def;
  for (const [from, to] of replacements) {
    if (!sql.includes(from)) throw new Error(`migration FieldActorKeys: « ${from} » not found in ${fn}`);
    sql = sql.split(from).join(to);
  }
  await q.query(sql);
}

export class FieldActorKeys1764000000011 implements MigrationInterface {
  name = 'FieldActorKeys1764000000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION gap_theme_keys(themes text[], kind text) RETURNS text[]
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN kind = ANY(ARRAY[${STEERING_KINDS_AT_MIGRATION.map((k) => `'${k}'`).join(', ')}]) THEN b.keys
                    ELSE b.keys || ARRAY(SELECT '${FIELD_KEY_PREFIX}' || k FROM unnest(b.keys) k) END
        FROM (SELECT gap_theme_keys(themes) AS keys) b
      $$`);
    const changed = [
      '(o.themes, o.status) IS DISTINCT FROM (n.themes, n.status)',
      '(o.themes, o.status, o.kind) IS DISTINCT FROM (n.themes, n.status, n.kind)',
    ] as [string, string];
    await rewrite(q, 'gap_actor_changed()', [['gap_theme_keys(n.themes)', 'gap_theme_keys(n.themes, n.kind)'], changed]);
    await rewrite(q, 'gap_rebuild()', [['gap_theme_keys(themes)', 'gap_theme_keys(themes, kind)']]);
    await q.query(`SELECT gap_rebuild()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await rewrite(q, 'gap_actor_changed()', [
      ['gap_theme_keys(n.themes, n.kind)', 'gap_theme_keys(n.themes)'],
      ['(o.themes, o.status, o.kind) IS DISTINCT FROM (n.themes, n.status, n.kind)', '(o.themes, o.status) IS DISTINCT FROM (n.themes, n.status)'],
    ]);
    await rewrite(q, 'gap_rebuild()', [['gap_theme_keys(themes, kind)', 'gap_theme_keys(themes)']]);
    await q.query(`DROP FUNCTION gap_theme_keys(text[], text)`);
    await q.query(`SELECT gap_rebuild()`);
  }
}
