import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions a person can see and end, and a login throttle that holds across restarts and replicas.
 *
 * - `session` gets a public id (the token hash, its key, never leaves the server), the time it was
 *   last used (refreshed at most every 5 minutes, not on every request) and the browser's user agent,
 *   so `mySessions` can list them and `endSession` end one.
 * - `auth_throttle` replaces the per-process counter of failed logins, which parallel guesses raced
 *   past (read before argon2, written after) and which a restart forgot. One row per client address
 *   (`account` = '') and one per (address, account): an attempt is reserved there by one atomic
 *   upsert before the password is checked, so concurrent guesses cannot test more passwords than
 *   the budget. The account is a SHA-256 of the normalized email: no stranger's address is stored.
 */
export class SessionsAndLoginThrottle1764000000016 implements MigrationInterface {
  name = 'SessionsAndLoginThrottle1764000000016';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE session ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid()`);
    await q.query(`CREATE UNIQUE INDEX session_id_idx ON session (id)`);
    await q.query(`ALTER TABLE session ADD COLUMN last_seen_at timestamptz`);
    await q.query(`UPDATE session SET last_seen_at = created_at`);
    await q.query(`ALTER TABLE session ALTER COLUMN last_seen_at SET NOT NULL, ALTER COLUMN last_seen_at SET DEFAULT now()`);
    await q.query(`ALTER TABLE session ADD COLUMN user_agent text CHECK (length(user_agent) <= 300)`);

    await q.query(`
      CREATE TABLE auth_throttle (
        address text NOT NULL CHECK (length(address) BETWEEN 1 AND 100),
        account text NOT NULL DEFAULT '',
        failures integer NOT NULL CHECK (failures >= 0),
        last_failure_at timestamptz NOT NULL,
        PRIMARY KEY (address, account)
      )`);
    await q.query(`CREATE INDEX auth_throttle_last_failure_idx ON auth_throttle (last_failure_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_throttle`);
    await q.query(`ALTER TABLE session DROP COLUMN user_agent, DROP COLUMN last_seen_at, DROP COLUMN id`);
  }
}
