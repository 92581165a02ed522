import 'reflect-metadata';
import { describe, expect, inject, it } from 'vitest';
import { EMBEDDED_SETTINGS } from '../../server/db/database.js';
import { EMBEDDED_MAINTENANCE, EmbeddedMaintenance, type MaintenanceThresholds } from '../../server/db/embedded-maintenance.js';
import { useTestServer } from '../helpers/server.js';
import { ok } from '../helpers/factories.js';
import { MEUSE } from '../helpers/places.js';

/**
 * Issue 17: PGlite has no checkpointer and no autovacuum. Its WAL grew without bound while the app
 * ran (640 MB after four national actors, all replayed by a restart after a crash: 21.9 s), and
 * nothing ever vacuumed the gap aggregates' dead rows. The app's maintenance pass
 * (server/db/embedded-maintenance.ts) checkpoints and vacuums on the WAL it measures; the app starts
 * it on the embedded database only (server/main.ts), whose WAL is its own. On native PostgreSQL the
 * WAL is the whole cluster's, written at the same time by the other test files running beside this
 * one: what it measures there is not this file's, so the passes' decisions are checked on the
 * embedded backend, and on native only that a pass runs one at a time (the checkpointer and
 * autovacuum of a native server do this work).
 */
const embedded = inject('backend') === 'pglite';
// The file's own database, dropped after it (test/setup/file-database.ts): its actors need no cleaning.
const server = useTestServer();
const SOURCE = 'test:embedded-maintenance.test.ts';

/** WAL written since the last checkpoint. */
const walSinceCheckpoint = async (): Promise<number> =>
  (await server().ds.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::float8 AS n FROM pg_control_checkpoint()`))[0].n;

/** A real write of the directory: an actor of the whole Meuse (≈ 500 communes, their gap counters), then its archiving. */
async function writeDirectory(name: string): Promise<void> {
  const created = await server().createActor({
    name,
    kind: 'ASSOCIATION',
    sector: 'SANTE',
    themes: ['sante-mentale', 'addictions'],
    territories: [MEUSE],
    source: SOURCE,
  });
  await ok(
    server().admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { id } }`, {
      id: created.id,
      v: created.version,
    }),
  );
}

const NEVER = Number.MAX_SAFE_INTEGER;
const thresholds = (t: Partial<MaintenanceThresholds>): MaintenanceThresholds => ({
  checkpointBytes: NEVER,
  checkpointSeconds: NEVER,
  vacuumBytes: NEVER,
  ...t,
});

describe('the embedded database’s maintenance pass', () => {
  it.runIf(embedded)('should checkpoint once the WAL since the last checkpoint reaches its threshold, and not before', async () => {
    await server().ds.query('CHECKPOINT');
    const maintenance = new EmbeddedMaintenance(server().ds, thresholds({ checkpointBytes: 256 * 1024 }));
    expect(await maintenance.pass()).toMatchObject({ checkpoint: false, vacuum: false });
    await writeDirectory('Maintenance : point de reprise');
    const before = await walSinceCheckpoint();
    expect(before).toBeGreaterThanOrEqual(256 * 1024);
    expect(await maintenance.pass()).toMatchObject({ checkpoint: true, vacuum: false });
    expect(await walSinceCheckpoint()).toBeLessThan(64 * 1024);
    // Nothing written since: nothing to do.
    expect(await maintenance.pass()).toMatchObject({ checkpoint: false, vacuum: false });
  });

  it.runIf(embedded)('should checkpoint an old checkpoint once something was written since, not an idle one', async () => {
    await server().ds.query('CHECKPOINT');
    const maintenance = new EmbeddedMaintenance(server().ds, thresholds({ checkpointSeconds: 0 }));
    expect(await maintenance.pass()).toMatchObject({ checkpoint: false });
    await writeDirectory('Maintenance : délai');
    expect(await maintenance.pass()).toMatchObject({ checkpoint: true, vacuum: false });
  });

  it.runIf(embedded)('should vacuum, refresh the directory’s statistics and checkpoint after its WAL threshold, counted from its last vacuum', async () => {
    const maintenance = new EmbeddedMaintenance(server().ds, thresholds({ vacuumBytes: 256 * 1024 }));
    // The first pass counts from where the WAL stands.
    expect(await maintenance.pass()).toMatchObject({ vacuum: false, walSinceVacuum: 0 });
    await writeDirectory('Maintenance : nettoyage');
    const [before] = await server().ds.query(`SELECT now() AS at, (SELECT version::text FROM data_version) AS version`);
    const pass = await maintenance.pass();
    expect(pass).toMatchObject({ vacuum: true, checkpoint: true });
    expect(pass.walSinceVacuum).toBeGreaterThanOrEqual(256 * 1024);
    const tables = await server().ds.query(
      `SELECT relname, last_vacuum >= $1 AS vacuumed, CASE WHEN relname <> 'session' THEN last_analyze >= $1 END AS analyzed
       FROM pg_stat_user_tables WHERE relname IN ('actor', 'coverage_commune', 'coverage_theme_count', 'session') ORDER BY relname`,
      [before.at],
    );
    expect(tables).toEqual([
      { relname: 'actor', vacuumed: true, analyzed: true },
      { relname: 'coverage_commune', vacuumed: true, analyzed: true },
      { relname: 'coverage_theme_count', vacuumed: true, analyzed: true },
      // The whole database is vacuumed (sessions too); the statistics refreshed are the directory's.
      { relname: 'session', vacuumed: true, analyzed: null },
    ]);
    // The next start of the embedded database does not ANALYZE again for these writes.
    expect(await server().ds.query(`SELECT version FROM seed_state WHERE name = 'statistics'`)).toEqual([{ version: before.version }]);
    expect(await walSinceCheckpoint()).toBeLessThan(64 * 1024);
    // Counted again from the vacuum.
    expect(await maintenance.pass()).toMatchObject({ vacuum: false, checkpoint: false });
  });

  it('should run one pass at a time, every interval, and none once stopped', async () => {
    let inFlight = 0;
    let most = 0;
    const statements: string[] = [];
    const counted = {
      async query(text: string, values?: unknown[]) {
        statements.push(text.trim().split(/\s/)[0]);
        most = Math.max(most, ++inFlight);
        try {
          return await server().ds.query(text, values);
        } finally {
          inFlight--;
        }
      },
    };
    // Every pass checkpoints (threshold 0), each longer than the 5 ms interval.
    const maintenance = new EmbeddedMaintenance(counted, thresholds({ checkpointBytes: 0 })).start(5);
    // Three passes, however slow the machine (each CHECKPOINT 0.1 s or more on a loaded one).
    await expect.poll(() => statements.filter((s) => s === 'CHECKPOINT').length, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(3);
    await maintenance.stop();
    const checkpoints = statements.filter((s) => s === 'CHECKPOINT').length;
    expect(most).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(statements.filter((s) => s === 'CHECKPOINT')).toHaveLength(checkpoints);
  });

  it('should checkpoint at half of the embedded database’s max_wal_size', () => {
    expect(EMBEDDED_MAINTENANCE.checkpointBytes * 2).toBe(Number(/^(\d+)MB$/.exec(EMBEDDED_SETTINGS.max_wal_size)![1]) * 1024 * 1024);
  });
});
