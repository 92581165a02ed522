import { empty, type Sql, sql, type Table } from '../db/sql.js';

/**
 * How the history of a workflow (membership_event, partnership_event) is read: the columns `read`
 * of its table on alias `e`, and who made each change by display name from `u`, the user_account
 * joined on `e.user_id` (never an email); `also` adds columns the caller groups by.
 */
export function historyOf<K extends string, E extends object>(table: Table<K>, read: readonly K[], entry: new () => E, also: Sql = empty) {
  return {
    columns: sql`e.id::text${also}, ${table.list(read, 'e')}, u.display_name`,
    toEntry: (row: Record<string, unknown>): E => Object.assign(new entry(), table.fromRow(row, read), { id: row.id, byName: row.display_name }),
  };
}
