import pg from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource } from '../../server/db/data-source.js';
import { PoolPriority } from '../../server/db/pool-priority.js';
import { testDatabaseUrl } from '../helpers/database.js';

/**
 * The primary pool's line (server/db/pool-priority.ts): when every connection is out, a waiting
 * transaction gets the next one before the single statements waiting, at most three in a row
 * while a statement waits. One connection here, so that the order of the answers is the order of
 * the checkouts.
 */
let ds: DataSource;

beforeAll(async () => {
  ds = createDataSource({ url: testDatabaseUrl(), poolSize: 1 });
  await ds.initialize();
});

afterAll(async () => {
  await ds?.destroy();
});

/** Holds the pool's only connection in a transaction until `release()`; resolves once it holds it. */
async function holdConnection(): Promise<{ release: () => void; done: Promise<unknown> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const held = new Promise<void>((r) => (holding = r));
  const done = ds.transaction(async (m) => {
    await m.query('SELECT 1');
    holding();
    await released;
  });
  await held;
  return { release, done };
}

/** Sends the checkouts in this order while the connection is held, then lets it go: the order they ran in. */
async function lineUp(kinds: ('T' | 'S')[]): Promise<string[]> {
  const hold = await holdConnection();
  const ran: string[] = [];
  const all = kinds.map((kind, i) => {
    const label = `${kind}${i + 1}`;
    // A statement's answer comes back before the next checkout starts (one connection).
    if (kind === 'S') return ds.query(`SELECT $1::text AS label`, [label]).then(() => void ran.push(label));
    return ds.transaction(async (m) => {
      ran.push(label);
      await m.query('SELECT 1');
    });
  });
  hold.release();
  await Promise.all([hold.done, ...all]);
  return ran;
}

describe('the pool gives waiting transactions the next connection', () => {
  it('serves the transactions waiting before the statements that came first', async () => {
    expect(await lineUp(['S', 'T', 'T', 'S'])).toEqual(['T2', 'T3', 'S1', 'S4']);
  });

  it('keeps the statements in their order, and the transactions in theirs', async () => {
    expect(await lineUp(['S', 'S', 'S'])).toEqual(['S1', 'S2', 'S3']);
    expect(await lineUp(['T', 'T', 'T'])).toEqual(['T1', 'T2', 'T3']);
  });

  it('lets a waiting statement through after three transactions in a row: a flood of writes never stops the reads', async () => {
    expect(await lineUp(['S', 'T', 'T', 'T', 'T', 'T', 'S', 'T'])).toEqual(['T2', 'T3', 'T4', 'S1', 'T5', 'T6', 'T8', 'S7']);
  });

  it('gets its connection back from a transaction that failed, and from a statement that failed', async () => {
    await expect(
      ds.transaction(async (m) => {
        await m.query('SELECT 1');
        throw new Error('échec voulu');
      }),
    ).rejects.toThrow('échec voulu');
    await expect(ds.query('SELECT * FROM table_qui_n_existe_pas')).rejects.toThrow();
    // With the pool's one connection lost, these would wait for ever (and the test time out).
    expect(await lineUp(['S', 'T'])).toEqual(['T2', 'S1']);
  });

  it('does the same for fifty checkouts at once', async () => {
    const kinds: ('T' | 'S')[] = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? 'T' : 'S'));
    const ran = await lineUp(kinds);
    expect(ran).toHaveLength(50);
    // Statements wait from the start: after each three transactions, one statement goes; each line in its order.
    expect(ran.slice(0, 4)).toEqual(['T1', 'T6', 'T11', 'S2']);
    expect(ran.filter((l) => l.startsWith('T'))).toEqual(kinds.flatMap((k, i) => (k === 'T' ? [`T${i + 1}`] : [])));
    expect(ran.filter((l) => l.startsWith('S'))).toEqual(kinds.flatMap((k, i) => (k === 'S' ? [`S${i + 1}`] : [])));
  });
});

describe('a pool with a connection timeout', () => {
  it('fails a checkout that waited too long with pg’s own message, and serves the next one', async () => {
    const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 1, connectionTimeoutMillis: 300 });
    const line = new PoolPriority(pool);
    try {
      const held = await pool.connect();
      await expect(pool.connect()).rejects.toThrow('timeout exceeded when trying to connect');
      expect(line.waiting).toEqual({ transactions: 0, statements: 0 });
      const next = pool.connect();
      held.release();
      const client = await next;
      expect((await client.query<{ n: number }>('SELECT 1 AS n')).rows[0].n).toBe(1);
      client.release();
    } finally {
      await pool.end();
    }
  });
});
