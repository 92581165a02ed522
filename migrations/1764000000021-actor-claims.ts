import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claims to represent an actor. A brand-new account that represents no structure could not join a
 * coalition: only an administrator could attach it to its structure (`grantActorToUser`), and
 * nothing told the account how to reach one. Now the account finds its structure and asks to
 * represent it (`claimActor`); the structure's current representatives decide, or, when it has
 * none, an ARS analyst of a région it acts in or an administrator (server/claims/claim.permissions.ts).
 * Accepting adds the account to `user_actor`.
 *
 * - `status` PENDING → ACCEPTED | REJECTED (decided, `decided_by`, `decided_at`, optional reason) or
 *   WITHDRAWN by the claimant. Decisions are `UPDATE … WHERE status = 'PENDING'`: of two
 *   concurrent decisions exactly one succeeds.
 * - The partial unique index refuses a second pending claim of the same account on the same actor,
 *   even sent at the same time.
 * - The claimant's message and the decision's reason are bounded (1,000 characters), like every
 *   reason of the coalition workflows.
 */
export class ActorClaims1764000000021 implements MigrationInterface {
  name = 'ActorClaims1764000000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE actor_claim (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES user_account(id) ON DELETE CASCADE,
        actor_id uuid NOT NULL REFERENCES actor(id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','ACCEPTED','REJECTED','WITHDRAWN')),
        message text CHECK (length(message) <= 1000),
        decision_reason text CHECK (length(decision_reason) <= 1000),
        decided_by uuid REFERENCES user_account(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        CHECK ((status = 'PENDING') = (decided_at IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX actor_claim_pending_idx ON actor_claim (account_id, actor_id) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX actor_claim_actor_pending_idx ON actor_claim (actor_id) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX actor_claim_account_idx ON actor_claim (account_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE actor_claim`);
  }
}
