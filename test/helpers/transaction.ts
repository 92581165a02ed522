import type { DataSource, QueryRunner } from 'typeorm';

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
