/**
 * The rows of an UPDATE or DELETE … RETURNING sent through `DataSource.query`: TypeORM's pg
 * driver answers `[rows, rowCount]` for those commands and plain rows for the others.
 */
export function returnedRows<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
