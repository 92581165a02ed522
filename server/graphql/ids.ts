import { badInput } from './errors.js';

/** A UUID as PostgreSQL writes it (any case): what every `ID` argument of a row must look like. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (id: unknown): id is string => typeof id === 'string' && UUID.test(id);

/**
 * Refuses an id that is no UUID before any SQL sees it: a BAD_USER_INPUT on `field`
 * (« Identifiant d’acteur invalide »), never a database error.
 */
export function checkUuid(id: string, field: string, what: string): void {
  if (!isUuid(id)) throw badInput(`Identifiant ${what} invalide`, field);
}
