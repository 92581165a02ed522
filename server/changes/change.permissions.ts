import type { AuthUser } from '../auth/auth.types.js';
import { Permissions } from '../coalitions/coalition.permissions.js';
import { type Sql, sql } from '../db/sql.js';

/**
 * Which entries of the change feed a user sees: the rules of the reads, never new ones.
 * - Actors: reading the directory is public (actor.permissions.ts), archived, pending and rejected
 *   records included (`actor(id)` answers them): every actor entry is shown. Its fields follow the
 *   Actor type's own rules (review history, representatives…).
 * - Coalitions: those the coalition lists show the user (`Permissions.visibleSql`: public, or
 *   members-only with MEMBERS access). An invited actor's representative sees a members-only
 *   coalition by id, but not in lists: nor here. A deleted coalition is judged by the visibility
 *   and région it had (kept with its entry).
 * `c` is the coalition as the reader joins it: the stored coalition, or the entry's copy.
 */
export function visibleChangeSql(user: AuthUser | null): Sql {
  return sql`(l.entity = 'ACTOR' OR ${Permissions.visibleSql(user, 'c')})`;
}
