import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { migrationsKey, openDatabase } from '../../server/db/database.js';
import { runSeeds } from '../../seeds/index.js';
import { restartBundle } from '../../server/db/postgis-bundle.js';
import { copyPrefix, databaseName, embeddedRoot, maintenanceClient, type TemplateDatabase } from '../helpers/database.js';

/**
 * The template every test file's database is copied from (test/helpers/database.ts), migrated and
 * seeded once per run: every territory of the COG, with boundaries for the départements the tests
 * use. TEST_DATABASE_URL names it on native PostgreSQL (PostGIS in CI); without it, an embedded
 * PGlite is seeded in a data directory, closed, and copied for each file.
 *
 * Both the « db » and « e2e » projects declare this setup: the first one prepares the template, the
 * other reuses it (the global setups of a run share this process).
 */
export const TEST_DEPARTEMENTS = ['55', '75', '93', '974'];

interface Shared {
  template: Promise<TemplateDatabase>;
  users: number;
}
const key = Symbol.for('repertoire.test.template');
const shared = globalThis as unknown as { [key]?: Shared };

export async function setup(project: TestProject) {
  const state = (shared[key] ??= { template: prepareTemplate(), users: 0 });
  state.users++;
  const template = await state.template;
  project.provide('template', template);
  project.provide('backend', template.backend);
}

export async function teardown() {
  const state = shared[key];
  if (!state || --state.users > 0) return;
  delete shared[key];
  const template = await state.template;
  if (template.backend === 'postgres') await dropCopies(template.url, copyPrefix(databaseName(template.url), template.runId));
  else fs.rmSync(path.dirname(template.dataDir), { recursive: true, force: true });
}

async function prepareTemplate(): Promise<TemplateDatabase> {
  const started = Date.now();
  const url = process.env.TEST_DATABASE_URL;
  // The run's process id: copies of a run whose process is gone are left-overs (see dropCopies).
  const runId = `${process.pid}`;
  let template: TemplateDatabase;
  let dataDir: string | undefined;
  if (url) {
    // Copies left by a run of this template that crashed (never those of a run still going).
    await dropCopies(url, `${databaseName(url)}__`, (name) => !isAlive(Number(/__(\d+)_[0-9a-f]+$/.exec(name)?.[1])));
    template = { backend: 'postgres', url, runId };
  } else {
    removeStaleRuns();
    dataDir = path.join(embeddedRoot(), `run-${process.pid}`, 'template');
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    template = { backend: 'pglite', dataDir, postgisBundle: '', runId };
  }
  const db = await openDatabase({ databaseUrl: url, dataDir: dataDir ?? 'memory://', poolSize: 4 });
  try {
    await runSeeds(db.ds, { departements: TEST_DEPARTEMENTS });
    // As the app does at start on PGlite (no autovacuum there): statistics for the planner.
    await db.ds.query('ANALYZE');
  } finally {
    // Nobody may stay connected to a template (CREATE DATABASE … TEMPLATE), nor open a data
    // directory being copied.
    await db.close();
  }
  // The reduced PostGIS bundle the app leaves for its restarts (server/db/postgis-bundle.ts): every
  // copy starts with it.
  if (template.backend === 'pglite') template.postgisBundle = fileURLToPath(restartBundle(template.dataDir, migrationsKey())!);
  process.stdout.write(`Base modèle des tests (${url ? 'PostgreSQL natif' : 'PGlite embarqué'}) prête en ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return template;
}

async function dropCopies(url: string, prefix: string, stale: (name: string) => boolean = () => true): Promise<void> {
  const client = maintenanceClient(url);
  await client.connect();
  try {
    const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows: { datname: string }[] = (await client.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [like])).rows;
    for (const { datname } of rows.filter((r) => stale(r.datname))) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Data directories of embedded runs whose process is gone (killed before its teardown). */
function removeStaleRuns(): void {
  const root = embeddedRoot();
  if (!fs.existsSync(root)) return;
  for (const entry of fs.readdirSync(root)) {
    const pid = Number(/^run-(\d+)$/.exec(entry)?.[1]);
    if (!pid || isAlive(pid)) continue;
    fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    template: TemplateDatabase;
    backend: 'pglite' | 'postgres';
  }
}
