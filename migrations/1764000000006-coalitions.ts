import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People and coalitions: user accounts (argon2id hashes, never the password), the actors each
 * user represents, server-side sessions (only a SHA-256 of the cookie token is stored),
 * coalitions with their members and the full history of every membership change, and direct
 * partnerships between two actors.
 *
 * The partial unique index on membership (coalition, actor) over the open statuses is what makes
 * a second pending request impossible; decisions are `UPDATE … WHERE status = 'REQUESTED'`, so
 * two concurrent decisions cannot both succeed.
 */
export class Coalitions1764000000006 implements MigrationInterface {
  name = 'Coalitions1764000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_account (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
        password_hash text NOT NULL,
        display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 120),
        role text NOT NULL DEFAULT 'MEMBER' CHECK (role IN ('MEMBER','COORDINATOR','ANALYST','ADMIN')),
        region_code text,
        is_demo boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (role <> 'ANALYST' OR region_code IS NOT NULL)
      )`);
    await q.query(`CREATE UNIQUE INDEX user_account_email_idx ON user_account (lower(email))`);

    await q.query(`
      CREATE TABLE user_actor (
        user_id uuid NOT NULL REFERENCES user_account(id) ON DELETE CASCADE,
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, actor_id)
      )`);
    await q.query(`CREATE INDEX user_actor_actor_idx ON user_actor (actor_id)`);

    await q.query(`
      CREATE TABLE session (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES user_account(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX session_user_idx ON session (user_id)`);
    await q.query(`CREATE INDEX session_expires_idx ON session (expires_at)`);

    await q.query(`
      CREATE TABLE coalition (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        kind text NOT NULL CHECK (kind IN ('THEMATIQUE','CLS','CLSM','ASV','COOPERATIVE','CONVENTION','ALLIANCE_REGIONALE')),
        themes text[] NOT NULL DEFAULT '{}',
        territory_level text NOT NULL,
        territory_code text NOT NULL,
        -- The territory and every territory containing it, as 'LEVEL:CODE': the scope queries
        -- find coalitions inside a territory with one GIN lookup.
        area_keys text[] NOT NULL,
        region_code text,
        start_date date,
        end_date date,
        description text,
        visibility text NOT NULL DEFAULT 'PUBLIC' CHECK (visibility IN ('PUBLIC','MEMBERS')),
        join_policy text NOT NULL DEFAULT 'APPROVAL' CHECK (join_policy IN ('OPEN','APPROVAL','INVITATION')),
        is_demo boolean NOT NULL DEFAULT false,
        source text,
        created_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1,
        FOREIGN KEY (territory_level, territory_code) REFERENCES territory(level, code),
        CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
      )`);
    await q.query(`CREATE INDEX coalition_area_idx ON coalition USING gin (area_keys)`);
    await q.query(`CREATE INDEX coalition_territory_idx ON coalition (territory_level, territory_code)`);
    await q.query(`CREATE INDEX coalition_themes_idx ON coalition USING gin (themes)`);
    await q.query(`CREATE INDEX coalition_name_idx ON coalition (name, id)`);
    await q.query(`CREATE INDEX coalition_source_idx ON coalition (source) WHERE source IS NOT NULL`);

    await q.query(`
      CREATE TABLE membership (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        coalition_id uuid NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('PILOTE','SIGNATAIRE','PARTENAIRE','MEMBRE')),
        status text NOT NULL CHECK (status IN ('REQUESTED','INVITED','ACTIVE','REJECTED','LEFT')),
        requested_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        decided_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        decided_at timestamptz,
        ended_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One open membership (pending, invited or active) per actor and coalition.
    await q.query(`CREATE UNIQUE INDEX membership_open_idx ON membership (coalition_id, actor_id)
      WHERE status IN ('REQUESTED','INVITED','ACTIVE')`);
    await q.query(`CREATE INDEX membership_actor_idx ON membership (actor_id, status)`);
    await q.query(`CREATE INDEX membership_coalition_idx ON membership (coalition_id, status)`);

    await q.query(`
      CREATE TABLE membership_event (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        membership_id uuid NOT NULL REFERENCES membership(id) ON DELETE CASCADE,
        coalition_id uuid NOT NULL REFERENCES coalition(id) ON DELETE CASCADE,
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        from_status text,
        to_status text NOT NULL,
        role text NOT NULL,
        user_id uuid REFERENCES user_account(id) ON DELETE SET NULL,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX membership_event_coalition_idx ON membership_event (coalition_id, actor_id, id)`);
    await q.query(`CREATE INDEX membership_event_membership_idx ON membership_event (membership_id, id)`);

    await q.query(`
      CREATE TABLE partnership (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        actor_a uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        actor_b uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('CONVENTION','ACCORD_CADRE','COFINANCEMENT','AUTRE')),
        title text,
        start_date date,
        end_date date,
        source text,
        created_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (actor_a <> actor_b),
        CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
      )`);
    await q.query(`CREATE INDEX partnership_a_idx ON partnership (actor_a)`);
    await q.query(`CREATE INDEX partnership_b_idx ON partnership (actor_b)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['partnership', 'membership_event', 'membership', 'coalition', 'session', 'user_actor', 'user_account'])
      await q.query(`DROP TABLE ${table}`);
  }
}
