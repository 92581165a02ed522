import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EMBEDDED_SETTINGS } from '../../server/db/database.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../server/db/embedded.js';

/**
 * Each test file runs on a database of its own, a copy of the one the global setup migrated and
 * seeded (test/setup/template-database.ts): files run in parallel, and what one writes no other
 * sees. Native PostgreSQL copies it with `CREATE DATABASE … TEMPLATE`; the embedded backend starts
 * a PGlite + PostGIS on a copy of its data directory, served on a loopback port as the app does.
 */
export type TemplateDatabase =
  | { backend: 'postgres'; url: string; runId: string }
  /** `postgisBundle`: the PostGIS files a copy needs (server/db/postgis-bundle.ts). */
  | { backend: 'pglite'; dataDir: string; postgisBundle: string; runId: string };

export interface FileDatabase {
  url: string;
  /** The same database on the read replicas of TEST_DATABASE_REPLICA_URL (none without it). */
  replicaUrls: string[];
  drop(): Promise<void>;
}

let current: FileDatabase | undefined;

/** The URL of this test file's own database (test/setup/file-database.ts creates it before the file runs). */
export function testDatabaseUrl(): string {
  if (!current) throw new Error('Pas de base pour ce fichier de test : il doit tourner dans le projet vitest « db » ou « e2e ».');
  return current.url;
}

/**
 * This file's database on the read replicas, for the app's DATABASE_REPLICA_URL: with
 * TEST_DATABASE_REPLICA_URL (streaming replicas of TEST_DATABASE_URL's server, comma-separated; the
 * database named in them does not matter), the file's copy, created on the primary, is read there
 * once replayed. Empty without it, and on the embedded backend.
 */
export function testReplicaUrls(): string[] {
  return current?.replicaUrls ?? [];
}

/**
 * The lag limit of the test apps' replicas (REPLICA_MAX_LAG_MS): ten minutes, as tests pause a
 * replica's replay on purpose to tell its answers from the primary's, for as long as a loaded
 * machine takes. The limit itself is tested with a short one (read-replicas.test.ts).
 */
export const TEST_REPLICA_MAX_LAG_MS = 600_000;

/** The replicas of TEST_DATABASE_REPLICA_URL (server URLs; the database is the file's). */
const replicaServers = () => (process.env.TEST_DATABASE_REPLICA_URL ?? '').split(/[\s,]+/).filter(Boolean);

/** `url` with the database `name`. */
function onDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Waits until every replica of TEST_DATABASE_REPLICA_URL has replayed what `primaryUrl`'s server has
 * written so far (its current WAL position): what was written before is then readable there.
 */
export async function waitForReplicas(primaryUrl: string, timeoutMs = 60_000): Promise<void> {
  const servers = replicaServers();
  if (servers.length === 0) return;
  const primary = maintenanceClient(primaryUrl);
  await primary.connect();
  let lsn: string;
  try {
    [{ lsn }] = (await primary.query<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows;
  } finally {
    await primary.end();
  }
  for (const server of servers) {
    const replica = maintenanceClient(server);
    await replica.connect();
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await replica.query<{ done: boolean }>(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done`, [lsn]);
        if (rows[0].done) break;
        if (Date.now() > deadline) throw new Error(`Le réplica ${new URL(server).host} n’a pas rejoué le WAL jusqu’à ${lsn} en ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await replica.end();
    }
  }
}

/** Creates this file's database from the template; called once per file by the setup file. */
export async function openFileDatabase(template: TemplateDatabase): Promise<FileDatabase> {
  current = template.backend === 'postgres' ? await copyPostgres(template.url, template.runId) : await copyPglite(template.dataDir, template.postgisBundle);
  return current;
}

/** Databases made from `template` by the run `runId` are named `<template>__<runId>_<random>`. */
export const copyPrefix = (template: string, runId: string) => `${template}__${runId}_`;

/** A client on the server's maintenance database: nobody may be connected to a template being copied. */
export function maintenanceClient(url: string): pg.Client {
  const u = new URL(url);
  u.pathname = '/postgres';
  return new pg.Client({ connectionString: u.toString() });
}

export const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

/** PostgreSQL's « source database "…" is being accessed by other users » (SQLSTATE 55006). */
const OBJECT_IN_USE = '55006';

async function copyPostgres(templateUrl: string, runId: string): Promise<FileDatabase> {
  const template = databaseName(templateUrl);
  const name = `${copyPrefix(template, runId)}${randomBytes(4).toString('hex')}`;
  const admin = maintenanceClient(templateUrl);
  await admin.connect();
  try {
    // Two copies of one template at the same moment can meet each other's connection to it, and
    // another run's global setup may be seeding it: PostgreSQL refuses (55006) rather than
    // waiting, so it is tried again, for two minutes at most.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}" STRATEGY FILE_COPY`);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== OBJECT_IN_USE || attempt === 600) {
          throw new Error(`CREATE DATABASE … TEMPLATE "${template}" : ${(err as Error).message} (une session reste-t-elle ouverte sur la base modèle ?)`, {
            cause: err,
          });
        }
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  // On the replicas, the copy exists once they have replayed its creation.
  await waitForReplicas(templateUrl);
  return {
    url: onDatabase(templateUrl, name),
    replicaUrls: replicaServers().map((server) => onDatabase(server, name)),
    async drop() {
      const client = maintenanceClient(templateUrl);
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A copy starts PostgreSQL with the app's settings (server/db/database.ts), and 16 MB of shared buffers rather than PGlite's 128 MB: a test file's
 * database works in far less, and the larger pool cost CPU at every start and after (measured on
 * four integration files with their template, on the embedded backend: 156 s of CPU against 179 s).
 */
const COPY_SETTINGS = { ...EMBEDDED_SETTINGS, shared_buffers: '16MB' };

async function copyPglite(templateDir: string, postgisBundle: string): Promise<FileDatabase> {
  const dataDir = `${templateDir}-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.cpSync(templateDir, dataDir, { recursive: true });
  let db: EmbeddedDatabase;
  try {
    db = await startEmbeddedDatabase(dataDir, undefined, pathToFileURL(postgisBundle), COPY_SETTINGS);
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: db.url,
    replicaUrls: [],
    async drop() {
      await db.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Where the embedded copies live: in memory (tmpfs) when the machine has one. */
export function embeddedRoot(): string {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : path.resolve('node_modules/.cache');
  return path.join(base, 'repertoire-tests');
}
