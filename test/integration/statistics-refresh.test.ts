import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importActors } from '../../server/actors/actor-import.js';
import { refreshStatisticsAfterSeed, refreshStatisticsAtStart } from '../../server/db/statistics.js';
import { createServices } from '../../server/graphql/context.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 17: the embedded PGlite runs no autovacuum, and its planner statistics were refreshed at
 * start only: after a large import it planned for the tables as they were before. A large write
 * now refreshes them after its commit (server/db/statistics.ts), on both backends.
 */
const SOURCE = 'test:statistics-refresh.test.ts';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  if (!server) return;
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server.close();
});

/** The planner's row estimate of a table and its real row count. */
const estimate = async (table: 'actor' | 'coverage_commune' | 'coverage_theme_count' | 'actor_theme_point') =>
  (
    await server.ds.query(`SELECT (SELECT reltuples::int FROM pg_class WHERE oid = $1::regclass) AS planned, (SELECT count(*)::int FROM ${table}) AS real`, [
      table,
    ])
  )[0] as {
    planned: number;
    real: number;
  };

const csv = (n: number, from: number) =>
  [
    'nom;type;secteur;commune;thematiques;territoires;source',
    ...Array.from({ length: n }, (_, i) => `Statistiques ${from + i};association;social;55545;vaccination;commune:55545;${SOURCE}`),
  ].join('\n');

describe('planner statistics after large writes', () => {
  it('should leave the statistics to the next large write after a small import', async () => {
    await server.ds.query(`ANALYZE actor, coverage_commune`);
    const report = await importActors(server.ds, createServices(server.ds), csv(3, 0), { analyzeFrom: 10 });
    expect(report.committed).toBe(true);
    const after = await estimate('actor');
    expect(after.planned).toBe(after.real - 3);
  });

  it('should refresh the statistics of the directory right after a large import', async () => {
    const report = await importActors(server.ds, createServices(server.ds), csv(12, 100), { analyzeFrom: 10 });
    expect(report).toMatchObject({ created: 12, committed: true });
    for (const table of ['actor', 'coverage_commune'] as const) {
      const { planned, real } = await estimate(table);
      expect(planned, table).toBe(real);
    }
  });
});

describe('planner statistics after a large write that rebuilt the gap aggregates', () => {
  it('should have them for the aggregates too, from the rebuild itself, which is not analysed again', async () => {
    const report = await importActors(server.ds, createServices(server.ds), csv(12, 200), { analyzeFrom: 10, deferAggregatesFrom: 10 });
    expect(report).toMatchObject({ created: 12, committed: true });
    for (const table of ['actor', 'coverage_commune', 'coverage_theme_count', 'actor_theme_point'] as const) {
      const { planned, real } = await estimate(table);
      expect(planned, table).toBe(real);
    }
  });
});

describe('statistics at a start of the embedded database', () => {
  it('should refresh them at a start only when something was written since the last refresh', async () => {
    // The template was analysed by other means: the first start refreshes and records the version.
    await refreshStatisticsAtStart(server.ds);
    expect(await refreshStatisticsAtStart(server.ds)).toBe(false);
    // One actor written (even a small write: PGlite keeps no counters across a restart).
    const report = await importActors(server.ds, createServices(server.ds), csv(1, 900_000));
    expect(report).toMatchObject({ created: 1, committed: true });
    expect(await refreshStatisticsAtStart(server.ds)).toBe(true);
    expect(await refreshStatisticsAtStart(server.ds)).toBe(false);
  });

  it('should leave nothing for the next start after a seed: the tables it had not analysed are, and the version is recorded', async () => {
    await server.ds.query(`CREATE TABLE statistics_seed_probe AS SELECT g AS n FROM generate_series(1, 500) g`);
    const report = await importActors(server.ds, createServices(server.ds), csv(1, 900_001));
    expect(report).toMatchObject({ created: 1, committed: true });
    await refreshStatisticsAfterSeed(server.ds);
    const [probe] = await server.ds.query<{ planned: number }[]>(
      `SELECT reltuples::int AS planned FROM pg_class WHERE oid = 'statistics_seed_probe'::regclass`,
    );
    expect(probe.planned).toBe(500);
    expect(await refreshStatisticsAtStart(server.ds)).toBe(false);
  });
});

describe('statistics of the territories (migration 1764000000038)', () => {
  /** The territory's columns that `ANALYZE territory` gathered statistics for. */
  const analysed = async () =>
    (await server.ds.query<{ attname: string }[]>(`SELECT attname FROM pg_stats WHERE schemaname = 'public' AND tablename = 'territory' ORDER BY attname`)).map(
      (r) => r.attname,
    );

  it('should gather them for the columns queries filter and join on, and not for the geometries that are only drawn', async () => {
    await server.ds.query(`ANALYZE territory`);
    const columns = await analysed();
    expect(columns).toEqual(
      expect.arrayContaining(['level', 'code', 'commune_code', 'epci_code', 'departement_code', 'region_code', 'geom', 'geom_proj', 'zone']),
    );
    for (const drawn of ['geom_display', 'geom_z7', 'geom_z9']) expect(columns, drawn).not.toContain(drawn);
  });
});
