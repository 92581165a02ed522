import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Official territories (COG 2026): communes, arrondissements municipaux, EPCI, EPT,
 * départements and régions, with their boundaries. One table, keyed by (level, code),
 * because codes repeat across levels (département 01 and région 01).
 */
export class Territories1764000000001 implements MigrationInterface {
  name = 'Territories1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE territory (
        level text NOT NULL CHECK (level IN ('COMMUNE','ARRONDISSEMENT','EPCI','EPT','DEPARTEMENT','REGION')),
        code text NOT NULL,
        name text NOT NULL,
        search_name text GENERATED ALWAYS AS (public.f_norm(name)) STORED,
        kind text,
        population integer,
        postal_codes text[] NOT NULL DEFAULT '{}',
        commune_code text,
        epci_code text,
        ept_code text,
        departement_code text,
        region_code text,
        geom geometry(MultiPolygon, 4326),
        geom_display geometry(MultiPolygon, 4326),
        label_point geometry(Point, 4326),
        PRIMARY KEY (level, code)
      )`);
    await q.query(`CREATE INDEX territory_geom_idx ON territory USING gist (geom)`);
    await q.query(`CREATE INDEX territory_search_trgm_idx ON territory USING gin (search_name gin_trgm_ops)`);
    await q.query(`CREATE INDEX territory_postal_codes_idx ON territory USING gin (postal_codes)`);
    await q.query(`CREATE INDEX territory_code_idx ON territory (code)`);
    await q.query(`CREATE INDEX territory_departement_idx ON territory (departement_code, level)`);
    await q.query(`CREATE INDEX territory_region_idx ON territory (region_code, level)`);
    await q.query(`CREATE INDEX territory_epci_idx ON territory (epci_code) WHERE epci_code IS NOT NULL`);
    await q.query(`CREATE INDEX territory_ept_idx ON territory (ept_code) WHERE ept_code IS NOT NULL`);
    await q.query(`CREATE INDEX territory_commune_idx ON territory (commune_code) WHERE commune_code IS NOT NULL`);

    // What each seed loaded and when: a second start checks it instead of reseeding.
    await q.query(`
      CREATE TABLE seed_state (
        name text PRIMARY KEY,
        version text NOT NULL,
        report jsonb NOT NULL DEFAULT '{}',
        finished_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE seed_state`);
    await q.query(`DROP TABLE territory`);
  }
}
