import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The communes of a gap query (server/gaps/gap-sql.ts, CTE `sc`: code, population, EPCI,
 * département and région of every commune of the scope) are read from an index that holds them,
 * without the table: a commune's row carries its boundary four times (source, display and two map
 * simplifications), 123 MB for 36,000 territories, and all of France read them all to reach five
 * small columns. Measured on the bench base (native PostgreSQL, shared buffers warm), the gaps of all
 * France for one theme: the scan of the communes took 230–345 ms of the 600–770 ms, 17–25 ms from
 * this index (EXPLAIN ANALYZE, 6 December 2026). Territories change only when the COG is loaded, so
 * the visibility map stays set (autovacuum; the embedded database's maintenance pass) and the scan
 * reads no heap page.
 */
export class CommuneScanIndex1764000000036 implements MigrationInterface {
  name = 'CommuneScanIndex1764000000036';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX territory_scan_idx ON territory (level, code) INCLUDE (population, epci_code, departement_code, region_code)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX territory_scan_idx`);
  }
}
