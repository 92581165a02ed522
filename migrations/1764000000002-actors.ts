import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The directory: themes, publics, actors, their declared intervention territories, and the
 * coverage resolved from them at write time (one row per actor × commune, one row per actor ×
 * EPCI/EPT/département/région touched), so that "who covers commune X" is an index lookup.
 */
export class Actors1764000000002 implements MigrationInterface {
  name = 'Actors1764000000002';

  async up(q: QueryRunner): Promise<void> {
    // France as a whole, for national actors and national scopes.
    await q.query(`ALTER TABLE territory DROP CONSTRAINT territory_level_check`);
    await q.query(`ALTER TABLE territory ADD CONSTRAINT territory_level_check
      CHECK (level IN ('PAYS','COMMUNE','ARRONDISSEMENT','EPCI','EPT','DEPARTEMENT','REGION'))`);

    await q.query(`
      CREATE TABLE theme (
        code text PRIMARY KEY,
        label text NOT NULL,
        parent_code text REFERENCES theme(code),
        position integer NOT NULL,
        data_inclusion_codes text[] NOT NULL DEFAULT '{}'
      )`);
    await q.query(`
      CREATE TABLE audience (
        code text PRIMARY KEY,
        label text NOT NULL,
        position integer NOT NULL,
        data_inclusion_codes text[] NOT NULL DEFAULT '{}',
        aliases text[] NOT NULL DEFAULT '{}'
      )`);

    await q.query(`
      CREATE TABLE actor (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        kind text NOT NULL,
        sector text NOT NULL,
        siren text CHECK (siren ~ '^[0-9]{9}$'),
        siret text CHECK (siret ~ '^[0-9]{14}$'),
        rna text CHECK (rna ~ '^W[0-9A-Z]{9}$'),
        finess text CHECK (finess ~ '^[0-9][0-9AB][0-9]{7}$'),
        address text,
        postal_code text,
        commune_code text,
        location geometry(Point, 4326),
        description text,
        email text,
        phone text,
        website text,
        themes text[] NOT NULL DEFAULT '{}',
        audiences text[] NOT NULL DEFAULT '{}',
        radius_km real CHECK (radius_km > 0 AND radius_km <= 300),
        is_demo boolean NOT NULL DEFAULT false,
        source text,
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE','ARCHIVED')),
        search_name text GENERATED ALWAYS AS (public.f_norm(name)) STORED,
        search_vector tsvector GENERATED ALWAYS AS (
          to_tsvector('french'::regconfig, public.f_unaccent(name || ' ' || coalesce(description, '')))) STORED,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      )`);
    await q.query(`CREATE INDEX actor_name_idx ON actor (search_name, id)`);
    await q.query(`CREATE INDEX actor_search_trgm_idx ON actor USING gin (search_name gin_trgm_ops)`);
    await q.query(`CREATE INDEX actor_search_vector_idx ON actor USING gin (search_vector)`);
    await q.query(`CREATE INDEX actor_themes_idx ON actor USING gin (themes)`);
    await q.query(`CREATE INDEX actor_location_idx ON actor USING gist ((location::geography))`);
    await q.query(`CREATE INDEX actor_siret_idx ON actor (siret) WHERE siret IS NOT NULL`);
    await q.query(`CREATE INDEX actor_siren_idx ON actor (siren) WHERE siren IS NOT NULL`);
    await q.query(`CREATE INDEX actor_rna_idx ON actor (rna) WHERE rna IS NOT NULL`);
    await q.query(`CREATE INDEX actor_finess_idx ON actor (finess) WHERE finess IS NOT NULL`);
    await q.query(`CREATE INDEX actor_name_commune_idx ON actor (search_name, commune_code)`);
    await q.query(`CREATE INDEX actor_updated_idx ON actor (updated_at DESC, id)`);

    // Declared intervention territories, any level (PAYS FR for national actors).
    await q.query(`
      CREATE TABLE actor_territory (
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        level text NOT NULL,
        code text NOT NULL,
        PRIMARY KEY (actor_id, level, code),
        FOREIGN KEY (level, code) REFERENCES territory(level, code)
      )`);

    // Resolved coverage: communes (including those within the actor's radius).
    await q.query(`
      CREATE TABLE coverage_commune (
        commune_code text NOT NULL,
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        PRIMARY KEY (commune_code, actor_id)
      )`);
    await q.query(`CREATE INDEX coverage_commune_actor_idx ON coverage_commune (actor_id)`);
    // Resolved coverage above the commune: every EPCI, EPT, département and région the actor touches.
    await q.query(`
      CREATE TABLE coverage_area (
        level text NOT NULL,
        code text NOT NULL,
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        PRIMARY KEY (level, code, actor_id)
      )`);
    await q.query(`CREATE INDEX coverage_area_actor_idx ON coverage_area (actor_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['coverage_area', 'coverage_commune', 'actor_territory', 'actor', 'audience', 'theme']) await q.query(`DROP TABLE ${table}`);
    await q.query(`DELETE FROM territory WHERE level = 'PAYS'`);
    await q.query(`ALTER TABLE territory DROP CONSTRAINT territory_level_check`);
    await q.query(`ALTER TABLE territory ADD CONSTRAINT territory_level_check
      CHECK (level IN ('COMMUNE','ARRONDISSEMENT','EPCI','EPT','DEPARTEMENT','REGION'))`);
  }
}
