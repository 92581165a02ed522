import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Duplicates and their merge (issue 18). The same association entered twice (an import and a
 * member's creation, two spellings of its name) counts twice in the gap figures, splits its
 * coalitions and partnerships between two pages, and a claim lands on either.
 *
 * - `actor.merged_into`: the actor a merged (archived) record now answers with. A link to the
 *   removed record keeps working (`actor(id)` follows it, so does the client's `/acteurs/<id>`):
 *   no dead link. Only an archived actor points elsewhere, never at itself; a chain is kept one hop
 *   long by the merge (A→B then B→C rewrites A→C), so a lookup follows at most one link.
 * - `actor_merge`: one row per merge (kept, removed, who, when) with the removed record as it was
 *   (`removed_record`, its columns as JSON): both records' history survives, its moved rows carry
 *   the kept id, this row says where they came from. An actor is removed by one merge at most.
 * - Indexes for the « doublons possibles » list (server/actors/actor-duplicates.ts), over active
 *   actors only: the SIREN (the `siren` column, else the first 9 digits of the SIRET), the website
 *   as `f_site_key` reduces it (scheme, « www. », case and trailing slash ignored), the e-mail
 *   without case, and the commune (names are compared with pg_trgm's similarity within a commune).
 */
export class ActorMerge1764000000027 implements MigrationInterface {
  name = 'ActorMerge1764000000027';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actor ADD COLUMN merged_into uuid REFERENCES actor(id)`);
    await q.query(`ALTER TABLE actor ADD CONSTRAINT actor_merged_archived CHECK (merged_into IS NULL OR (status = 'ARCHIVED' AND merged_into <> id))`);
    await q.query(`CREATE INDEX actor_merged_into_idx ON actor (merged_into) WHERE merged_into IS NOT NULL`);
    await q.query(`
      CREATE TABLE actor_merge (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kept_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        removed_id uuid NOT NULL UNIQUE REFERENCES actor(id) ON DELETE CASCADE,
        user_id uuid REFERENCES user_account(id) ON DELETE SET NULL,
        removed_record jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CHECK (kept_id <> removed_id)
      )`);
    await q.query(`CREATE INDEX actor_merge_kept_idx ON actor_merge (kept_id, id)`);

    await q.query(`
      CREATE FUNCTION public.f_site_key(text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
        SELECT nullif(rtrim(regexp_replace(lower(btrim($1)), '^([a-z][a-z0-9+.-]*://)?(www\\.)?', ''), '/'), '')
      $$`);
    await q.query(`CREATE INDEX actor_dup_siren_idx ON actor ((coalesce(siren, left(siret, 9)))) WHERE status = 'ACTIVE'`);
    await q.query(`CREATE INDEX actor_dup_site_idx ON actor (public.f_site_key(website)) WHERE status = 'ACTIVE' AND website IS NOT NULL`);
    await q.query(`CREATE INDEX actor_dup_email_idx ON actor (lower(btrim(email))) WHERE status = 'ACTIVE' AND email IS NOT NULL`);
    await q.query(`CREATE INDEX actor_dup_commune_idx ON actor (commune_code) WHERE status = 'ACTIVE' AND commune_code IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX actor_dup_commune_idx`);
    await q.query(`DROP INDEX actor_dup_email_idx`);
    await q.query(`DROP INDEX actor_dup_site_idx`);
    await q.query(`DROP INDEX actor_dup_siren_idx`);
    await q.query(`DROP FUNCTION public.f_site_key(text)`);
    await q.query(`DROP TABLE actor_merge`);
    await q.query(`DROP INDEX actor_merged_into_idx`);
    await q.query(`ALTER TABLE actor DROP CONSTRAINT actor_merged_archived`);
    await q.query(`ALTER TABLE actor DROP COLUMN merged_into`);
  }
}
