import type { DataSource, QueryRunner } from 'typeorm';
import { expect } from 'vitest';

/**
 * Runs `work` on one connection inside a transaction that is always rolled back, whatever `work`
 * does or throws: a test may replay a migration or rebuild the aggregates there and leave the
 * database as it was.
 */
export async function inRolledBackTransaction<T>(ds: DataSource, work: (qr: QueryRunner) => Promise<T>): Promise<T> {
  const qr = ds.createQueryRunner();
  await qr.connect();
  try {
    await qr.startTransaction();
    return await work(qr);
  } finally {
    if (qr.isTransactionActive) await qr.rollbackTransaction();
    await qr.release();
  }
}

/**
 * The statements a request sent inside its transaction (between START TRANSACTION and COMMIT), from
 * a test server's `queries`: under load each round trip waits for the app's turn, so tests count them.
 */
export function transactionStatements(queries: readonly string[]): string[] {
  const start = queries.findIndex((q) => q.startsWith('START TRANSACTION'));
  const end = queries.findIndex((q, i) => i > start && q.startsWith('COMMIT'));
  expect(start, queries.join('\n')).toBeGreaterThanOrEqual(0);
  expect(end, queries.join('\n')).toBeGreaterThan(start);
  return queries.slice(start + 1, end);
}
