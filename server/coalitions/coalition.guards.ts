import type { AuthUser } from '../auth/auth.types.js';
import { badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import type { Coalition } from './coalition.entity.js';
import { Permissions } from './coalition.permissions.js';
import type { CoalitionRepository } from './coalition.repository.js';

/** Input checks shared by the coalition services: ids, actors, dates, reasons. Permissions live in coalition.permissions.ts. */

/** A coalition the user may see; NOT_FOUND otherwise, so that hidden coalitions do not leak. */
export async function visibleCoalition(repo: CoalitionRepository, user: AuthUser | null, id: string): Promise<Coalition> {
  checkUuid(id, 'id', 'de coalition');
  const c = await repo.findOne(id);
  if (!c || !Permissions.canView(user, c)) throw notFound('Coalition introuvable');
  return c;
}

/** An existing, active actor: NOT_FOUND, or BAD_USER_INPUT on `field` if archived. */
export async function activeActor(repo: CoalitionRepository, actorId: string, field: string): Promise<{ id: string; name: string }> {
  checkUuid(actorId, field, 'd’acteur');
  const a = await repo.actorState(actorId);
  if (!a) throw notFound('Acteur introuvable');
  if (a.status !== 'ACTIVE') throw badInput('Cet acteur est archivé', field);
  return a;
}

/** Real calendar dates (AAAA-MM-JJ), the end not before the start. */
export function checkDates(start: string | null, end: string | null): void {
  for (const [field, d] of [
    ['startDate', start],
    ['endDate', end],
  ] as const) {
    if (d && Number.isNaN(Date.parse(`${d}T00:00:00Z`))) throw badInput('date invalide', field);
  }
  if (start && end && end < start) throw badInput('la fin précède le début', 'endDate');
}

/** A reason given to a decision: trimmed, null if empty, 1,000 characters at most. */
export function checkReason(reason: string | null | undefined): string | null {
  const r = reason?.trim() || null;
  if (r && r.length > 1000) throw badInput('le motif dépasse 1 000 caractères', 'reason');
  return r;
}

/** A unique index refused the row (PostgreSQL 23505), through TypeORM or pg. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return (e?.code ?? e?.driverError?.code) === '23505';
}
