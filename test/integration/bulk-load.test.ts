import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkLoad1764000000031 } from '../../migrations/1764000000031-bulk-load.js';
import { seedPublicActors } from '../../seeds/actors.js';
import { resolveCoverage } from '../../server/actors/actor-coverage.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { inRolledBackTransaction } from '../helpers/transaction.js';

/**
 * Issue 17 (first start within a minute): an empty directory's first load writes the communes its
 * actors cover before the table's indexes and foreign key, and builds them once at the end
 * (migration 1764000000031, seeds/actors.ts). What must not change: the table's definition after
 * the load, and every row still checked against every constraint.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(() => server?.close());

type Db = { query: (sql: string, params?: unknown[]) => Promise<any> };

/** The indexes and constraints of coverage_commune, as PostgreSQL prints them. */
const definition = async (db: Db): Promise<string[]> =>
  (
    (await db.query(`
      SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'coverage_commune'::regclass
      UNION ALL
      SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'coverage_commune'::regclass AND contype IN ('p', 'u', 'x', 'f')
      ORDER BY 1`)) as { def: string }[]
  ).map((r) => r.def);

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
    const before = await definition(server.ds);
    expect(before.length).toBe(4); // the primary key and its index, the actor index, the foreign key
    await inRolledBackTransaction(server.ds, async (qr) => {
      const actor = await someActor(qr);
      await qr.query(`SELECT bulk_load_begin('coverage_commune')`);
      expect(await definition(qr)).toEqual([]);
      await qr.query(`INSERT INTO coverage_commune (commune_code, actor_id, local) VALUES ('55545', $1, true), ('55029', $1, false)`, [actor]);
      await qr.query(`SELECT bulk_load_end('coverage_commune')`);
      expect(await definition(qr)).toEqual(before);
      expect(await qr.query(`SELECT commune_code FROM coverage_commune WHERE actor_id = $1 ORDER BY 1`, [actor])).toEqual([
        { commune_code: '55029' },
        { commune_code: '55545' },
      ]);
      // The index is used again, the foreign key enforced again.
      await expect(qr.query(`INSERT INTO coverage_commune (commune_code, actor_id, local) VALUES ('55545', $1, true)`, [randomUUID()])).rejects.toSatisfy(
        (e) => codeOf(e) === '23503',
      );
    });
    expect(await definition(server.ds)).toEqual(before);
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
    const before = await definition(server.ds);
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
    expect(await definition(server.ds)).toEqual(before);
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

describe("an empty directory's first load (the seed)", () => {
  it('covers the same communes as writing through the indexes, and leaves the same table', async () => {
    const before = await definition(server.ds);
    // The template's directory is empty: the seed takes the first-load path.
    expect(await server.ds.query(`SELECT count(*)::int AS n FROM actor`)).toEqual([{ n: 0 }]);
    const report = await seedPublicActors(server.ds, () => {});
    expect(report.created).toBeGreaterThan(30);
    expect(await definition(server.ds)).toEqual(before);
    // Every commune for a national body, none twice.
    const [national] = await server.ds.query(`
      SELECT (SELECT count(*)::int FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id WHERE a.name = 'Direction générale de la santé (DGS)') AS covered,
             (SELECT count(*)::int FROM territory WHERE level = 'COMMUNE') AS communes`);
    expect(national.covered).toBe(national.communes);
    expect(await server.ds.query(`SELECT commune_code, actor_id FROM coverage_commune GROUP BY 1, 2 HAVING count(*) > 1`)).toEqual([]);
    // One actor of each level of territory, written again through the indexes (the path of every
    // later write): the same rows.
    const ids = (await server.ds.query(`SELECT DISTINCT ON (level) actor_id FROM actor_territory ORDER BY level, actor_id`)).map(
      (r: { actor_id: string }) => r.actor_id,
    );
    expect(ids.length).toBeGreaterThanOrEqual(3); // pays, région, département
    const rows = `SELECT count(*)::int AS n, md5(string_agg(commune_code || actor_id || local, ',' ORDER BY commune_code, actor_id)) AS h
                  FROM coverage_commune WHERE actor_id = ANY($1::uuid[])`;
    const [loaded] = await server.ds.query(rows, [ids]);
    const [rewritten] = await inRolledBackTransaction(server.ds, async (qr) => {
      await resolveCoverage(qr, ids);
      return qr.query(rows, [ids]);
    });
    expect(loaded.n).toBeGreaterThan(national.communes);
    expect(rewritten).toEqual(loaded);
  });
});
