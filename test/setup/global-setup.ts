import 'reflect-metadata';
import type { TestProject } from 'vitest/node';
import { openDatabase, type Database } from '../../server/db/database.js';
import { runSeeds } from '../../seeds/index.js';

/**
 * One database for the whole run: TEST_DATABASE_URL (native PostgreSQL + PostGIS in CI) or an
 * in-memory embedded PGlite. Migrated and seeded once: every territory of the COG, with
 * boundaries for the départements the tests use.
 */
export const TEST_DEPARTEMENTS = ['55', '75', '93', '974'];

let db: Database | undefined;

export async function setup(project: TestProject) {
  const started = Date.now();
  db = await openDatabase({ databaseUrl: process.env.TEST_DATABASE_URL, dataDir: 'memory://', poolSize: 4 });
  await runSeeds(db.ds, { departements: TEST_DEPARTEMENTS });
  // As the app does at start on PGlite (no autovacuum there): statistics for the planner.
  await db.ds.query('ANALYZE');
  const url = process.env.TEST_DATABASE_URL ?? db.embedded!.url;
  project.provide('dbUrl', url);
  project.provide('backend', process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
  process.stdout.write(
    `Base de test (${process.env.TEST_DATABASE_URL ? 'PostgreSQL natif' : 'PGlite embarqué'}) prête en ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

export async function teardown() {
  await db?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dbUrl: string;
    backend: 'pglite' | 'postgres';
  }
}
