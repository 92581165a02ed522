import type { QueryRunner } from 'typeorm';

/**
 * Creates the history table of a workflow's status (not a migration itself: migrations call it).
 * One row per change, kept forever: who (the account may go, the row stays), when, from which status
 * to which, and why; read in order per subject through `<table>_<subject>_idx`, and deleted with its
 * subject. partnership_event (1764000000015) and actor_review_event (1764000000017) are made this
 * way; a new workflow's history should be too, so that one reader (server/coalitions/history.ts)
 * serves them all. The SQL is the one those migrations ran: changing it would change their schema.
 */
export async function createStatusHistory(q: QueryRunner, table: string, subject: string): Promise<void> {
  await q.query(`
      CREATE TABLE ${table} (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        ${subject}_id uuid NOT NULL REFERENCES ${subject}(id) ON DELETE CASCADE,
        from_status text,
        to_status text NOT NULL,
        user_id uuid REFERENCES user_account(id) ON DELETE SET NULL,
        reason text CHECK (length(reason) <= 1000),
        at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
  await q.query(`CREATE INDEX ${table}_${subject}_idx ON ${table} (${subject}_id, id)`);
}
