import { type Queryable, run, sql } from '../db/sql.js';
import { IDENTIFIER_FIELDS, type IdentifierField, identifierProblem, siretMatchesSiren } from './actor-identifiers.js';

/** A stored identifier that fails its check: which actor, which field, the value and why. */
export interface InvalidIdentifier {
  id: string;
  name: string;
  status: string;
  field: IdentifierField;
  value: string;
  reason: string;
}

/**
 * The identifiers already stored that the writes would refuse today (a wrong key, a SIRET that is
 * not an establishment of the SIREN beside it): the database only checks their format, and records
 * written before the keys were checked keep them until someone corrects them. Archived actors too,
 * active ones first, then by name. Read by `npm run identifiers:check`.
 */
export async function invalidIdentifiers(db: Queryable): Promise<InvalidIdentifier[]> {
  const rows = await run<{ id: string; name: string; status: string } & Record<IdentifierField, string | null>>(
    db,
    sql`SELECT id, name, status, siren, siret, rna, finess FROM actor
        WHERE siren IS NOT NULL OR siret IS NOT NULL OR rna IS NOT NULL OR finess IS NOT NULL
        ORDER BY status <> 'ACTIVE', name, id`,
  );
  const out: InvalidIdentifier[] = [];
  for (const r of rows) {
    const found = (field: IdentifierField, value: string, reason: string) => out.push({ id: r.id, name: r.name, status: r.status, field, value, reason });
    for (const field of IDENTIFIER_FIELDS) {
      const value = r[field];
      const reason = value === null ? null : identifierProblem(field, value);
      if (value !== null && reason) found(field, value, reason);
    }
    if (!siretMatchesSiren(r.siren, r.siret) && !identifierProblem('siren', r.siren!) && !identifierProblem('siret', r.siret!)) {
      found('siret', r.siret!, `le SIRET ne commence pas par le SIREN ${r.siren}`);
    }
  }
  return out;
}
