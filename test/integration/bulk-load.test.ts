import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkLoad1764000000031 } from '../../migrations/1764000000031-bulk-load.js';
import { coverageTableDefinition, type Db } from '../helpers/coverage-table.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';

/**
 * Issue 17 (first start within a minute): an empty directory's first load writes the communes its
 * actors cover before the table's indexes and foreign key, and builds them once at the end
 * (migration 1764000000031, seeds/actors.ts). What must not change: the table's definition after
 * the load, and every row still checked against every constraint. The seed's own first load is
 * checked where it runs (seed-actors.test.ts: loading the public actors costs tens of seconds on the
 * embedded database, once is enough).
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(() => server?.close());

const someActor = async (db: Db): Promise<string> => {
  const [{ id }] = await db.query(
    `INSERT INTO actor (name, kind, sector, source) VALUES ('Chargement en bloc', 'ASSOCIATION', 'ASSOCIATIF', 'test:bulk-load')
     RETURNING id`,
  );
  return id;
};

const codeOf = (error: unknown) => (error as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (error as { code?: string }).code;

describe('bulk_load_begin / bulk_load_end', () => {
  it('put back every index and constraint of the table as it was, with the rows written between', async () => {
    const before = await coverageTableDefinition(server.ds);
    expect(before.length).toBe(4); // the primary key and its index, the actor index, the foreign key
    await inRolledBackTransaction(server.ds, async (qr) => {
      const actor = await someActor(qr);
      await qr.query(`SELECT bulk_load_begin('coverage_commune')`);
      expect(await coverageTableDefinition(qr)).toEqual([]);
      await qr.query(`INSERT INTO coverage_commune (commune_code, actor_id, local) VALUES ('55545', $1, true), ('55029', $1, false)`, [actor]);
      await qr.query(`SELECT bulk_load_end('coverage_commune')`);
      expect(await coverageTableDefinition(qr)).toEqual(before);
      expect(await qr.query(`SELECT commune_code FROM coverage_commune WHERE actor_id = $1 ORDER BY 1`, [actor])).toEqual([
        { commune_code: '55029' },
        { commune_code: '55545' },
      ]);
      // The index is used again, the foreign key enforced again.
      await expect(qr.query(`INSERT INTO coverage_commune (commune_code, actor_id, local) VALUES ('55545', $1, true)`, [randomUUID()])).rejects.toSatisfy(
        (e) => codeOf(e) === '23503',
      );
    });
    expect(await coverageTableDefinition(server.ds)).toEqual(before);
  });

  it('refuse, at the end of the load, a row written around the dropped foreign key or primary key', async () => {
    for (const rows of [
      { label: 'an actor that does not exist', code: '23503', sql: `VALUES ('55545', '${randomUUID()}'::uuid, true)` },
      { label: 'the same commune twice', code: '23505', sql: `VALUES ('55545', $1::uuid, true), ('55545', $1::uuid, false)` },
    ]) {
      const error = await inRolledBackTransaction(server.ds, async (qr) => {
        const actor = await someActor(qr);
        await qr.query(`SELECT bulk_load_begin('coverage_commune')`);
        await qr.query(`INSERT INTO coverage_commune (commune_code, actor_id, local) ${rows.sql}`, rows.sql.includes('$1') ? [actor] : []);
        return qr.query(`SELECT bulk_load_end('coverage_commune')`).then(
          () => null,
          (e: unknown) => e,
        );
      });
      expect(codeOf(error), rows.label).toBe(rows.code);
    }
  });

  it('make a transaction that drops them and does not put them back fail at commit, leaving the table as it was', async () => {
    const before = await coverageTableDefinition(server.ds);
    const qr = server.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await qr.query(`SELECT bulk_load_begin('coverage_commune')`);
      await expect(qr.query('COMMIT')).rejects.toThrow(/bulk_load_begin\(coverage_commune\) without bulk_load_end/);
    } finally {
      if (qr.isTransactionActive) await qr.query('ROLLBACK').catch(() => {});
      await qr.release();
    }
    expect(await coverageTableDefinition(server.ds)).toEqual(before);
  });

  it('refuse a second begin and an end without a begin', async () => {
    await inRolledBackTransaction(server.ds, async (qr) => {
      await expect(qr.query(`SELECT bulk_load_end('coverage_commune')`)).rejects.toThrow(/without bulk_load_begin/);
    });
    await inRolledBackTransaction(server.ds, async (qr) => {
      await qr.query(`SELECT bulk_load_begin('coverage_commune')`);
      await expect(qr.query(`SELECT bulk_load_begin('coverage_commune')`)).rejects.toThrow(/already called/);
    });
  });
});

describe('migration 1764000000031', () => {
  it('goes down and up again', async () => {
    const rebuild = `SELECT pg_get_functiondef('gap_rebuild()'::regprocedure) AS def`;
    await inRolledBackTransaction(server.ds, async (qr) => {
      const migration = new BulkLoad1764000000031();
      const [{ def: up }] = await qr.query(rebuild);
      expect(up).toContain('ANALYZE actor_theme_key; -- before the counts');
      await migration.down(qr);
      const [{ def: down }] = await qr.query(rebuild);
      expect(down).not.toContain('-- before the counts');
      expect(await qr.query(`SELECT to_regprocedure('bulk_load_begin(regclass)') AS f`)).toEqual([{ f: null }]);
      await migration.up(qr);
      expect((await qr.query(rebuild))[0].def).toBe(up);
    });
  });
});
