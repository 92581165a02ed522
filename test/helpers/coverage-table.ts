/** A connection or a transaction's runner. */
export type Db = { query: (sql: string, params?: unknown[]) => Promise<any> };

/**
 * The indexes and constraints of coverage_commune, as PostgreSQL prints them: what an empty
 * directory's first load drops and builds again (migration 1764000000031, seeds/actors.ts).
 */
export const coverageTableDefinition = async (db: Db): Promise<string[]> =>
  (
    (await db.query(`
      SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'coverage_commune'::regclass
      UNION ALL
      SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'coverage_commune'::regclass AND contype IN ('p', 'u', 'x', 'f')
      ORDER BY 1`)) as { def: string }[]
  ).map((r) => r.def);
