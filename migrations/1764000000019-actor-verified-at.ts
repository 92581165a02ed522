import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Freshness of the directory. An ARS analyst reading « one local actor here » cannot tell a record
 * confirmed last month from one copied out of a 2018 report: `updated_at` moves with any save,
 * import or correction of a typo, and says nothing about whether someone responsible checked the
 * information. `actor.verified_at` is that date: set only when a representative of the actor, an
 * ARS analyst of its région or an administrator confirms the record (« Ces informations sont à
 * jour », `confirmActorUpToDate`) or validates it (`validateActor`). Imports, `createActor`,
 * `updateActor` and the seed reload never write it (it is not a column of an actor record:
 * server/actors/actor.entity.ts keeps it out of ACTOR_TABLE's written fields).
 *
 * Existing rows stay NULL (« jamais confirmées »): the seed, on its next run, gives the real actors
 * the date of their source document and the demonstration actors a fictitious date
 * (seeds/actors.ts), and only where it is still NULL.
 *
 * The index serves the « à vérifier » list (stale records first).
 */
export class ActorVerifiedAt1764000000019 implements MigrationInterface {
  name = 'ActorVerifiedAt1764000000019';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE actor ADD COLUMN verified_at timestamptz`);
    await q.query(`CREATE INDEX actor_verified_at_idx ON actor (verified_at NULLS FIRST) WHERE status = 'ACTIVE'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX actor_verified_at_idx`);
    await q.query(`ALTER TABLE actor DROP COLUMN verified_at`);
  }
}
