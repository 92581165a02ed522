import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The identifiers that name one structure: two active actors may not share one. */
const UNIQUE = ['siret', 'rna', 'finess'] as const;

/**
 * One structure, one active record. A SIRET, an RNA or a FINESS number names one establishment,
 * association or health facility: two active actors carrying the same one are the same structure
 * entered twice, and the second hides the first from those who would claim it. The service refuses
 * such a write (CONFLICT with the existing actor's id, server/actors/actor-identity.ts); these
 * partial unique indexes make the database refuse it too, so that two writes at the same instant
 * (two createActor, an import racing an update) cannot both pass the service's check. Archived
 * actors (an actor merged into another one among them) are left out: a structure archived by
 * mistake can be entered again. The SIREN is not unique: the establishments of one structure share it.
 *
 * A database that already holds such duplicates is not changed behind its operator's back: the
 * migration stops and lists them (archive one of each pair, or correct its identifier, then start
 * again).
 */
export class ActorIdentifierUniqueness1764000000026 implements MigrationInterface {
  name = 'ActorIdentifierUniqueness1764000000026';

  async up(q: QueryRunner): Promise<void> {
    const duplicates = (await q.query(
      UNIQUE.map(
        (f) => `SELECT '${f}' AS field, ${f} AS value, string_agg(id || ' « ' || name || ' »', ', ' ORDER BY created_at) AS actors
                FROM actor WHERE status = 'ACTIVE' AND ${f} IS NOT NULL GROUP BY ${f} HAVING count(*) > 1`,
      ).join(' UNION ALL ') + ' ORDER BY 1, 2 LIMIT 50',
    )) as { field: string; value: string; actors: string }[];
    if (duplicates.length) {
      throw new Error(
        'Des acteurs actifs partagent un SIRET, un numéro RNA ou un numéro FINESS ; archivez l’un de chaque groupe ou corrigez son numéro, puis relancez :\n' +
          duplicates.map((d) => `  ${d.field} ${d.value} : ${d.actors}`).join('\n'),
      );
    }
    for (const f of UNIQUE) {
      await q.query(`CREATE UNIQUE INDEX actor_active_${f}_key ON actor (${f}) WHERE status = 'ACTIVE' AND ${f} IS NOT NULL`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const f of UNIQUE) await q.query(`DROP INDEX IF EXISTS actor_active_${f}_key`);
  }
}
