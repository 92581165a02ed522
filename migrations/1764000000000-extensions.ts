import type { MigrationInterface, QueryRunner } from 'typeorm';

/** PostGIS, trigram and accent-insensitive search, and the text normalisation used by every search. */
export class Extensions1764000000000 implements MigrationInterface {
  name = 'Extensions1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS postgis`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    // unaccent() is only STABLE (its dictionary could change); an IMMUTABLE wrapper with the
    // dictionary named explicitly can back indexes and generated columns.
    await q.query(`
      CREATE OR REPLACE FUNCTION public.f_unaccent(text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$`);
    // "Saint-Denis", "ST DENIS" and "saint denis" all become "st denis".
    await q.query(`
      CREATE OR REPLACE FUNCTION public.f_norm(text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $$ SELECT btrim(regexp_replace(regexp_replace(regexp_replace(
               lower(public.f_unaccent($1)), '[^a-z0-9]+', ' ', 'g'),
               '\\msainte\\M', 'ste', 'g'), '\\msaint\\M', 'st', 'g')) $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS public.f_norm(text)`);
    await q.query(`DROP FUNCTION IF EXISTS public.f_unaccent(text)`);
  }
}
