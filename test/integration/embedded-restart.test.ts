import 'reflect-metadata';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrationsKey, openDatabase, type Database } from '../../server/db/database.js';
import { restartBundle } from '../../server/db/postgis-bundle.js';

/**
 * A restart of the embedded database loads only the PostGIS files a database that has the
 * extension needs (server/db/postgis-bundle.ts), which the start that ran the migrations left in
 * the data directory. The run's template was made by such a start (test/setup/template-database.ts):
 * these tests restart copies of it as `npm start` restarts `.data`. On native PostgreSQL there is
 * no embedded start to test: the embedded run covers it.
 */
const template = inject('template');
const copies: string[] = [];
let open: Database | undefined;

afterAll(async () => {
  await open?.close();
  for (const dir of copies) fs.rmSync(dir, { recursive: true, force: true });
});

function copyOfTemplate(): string {
  if (template.backend !== 'pglite') throw new Error('embedded template expected');
  const dir = `${template.dataDir}-restart-${randomBytes(4).toString('hex')}`;
  fs.cpSync(template.dataDir, dir, { recursive: true });
  copies.push(dir);
  return dir;
}

/** PostGIS at work: a geometry function, and a projection (the PROJ data the bundle must keep). */
async function postgisWorks(db: Database): Promise<void> {
  const [row] = await db.ds.query(
    `SELECT ST_Area(ST_Transform(ST_MakeEnvelope(5.3, 49.1, 5.4, 49.2, 4326), 2154)) AS m2, postgis_full_version() LIKE 'POSTGIS=%' AS version`,
  );
  expect(Number(row.m2)).toBeGreaterThan(80_000_000);
  expect(Number(row.m2)).toBeLessThan(90_000_000);
  expect(row.version).toBe(true);
}

describe.skipIf(template.backend !== 'pglite')('restarting the embedded database (embedded run only)', () => {
  it('should restart a migrated data directory with the reduced PostGIS bundle, and PostGIS still works', async () => {
    const dir = copyOfTemplate();
    expect(restartBundle(dir, migrationsKey())).toBeDefined();
    open = await openDatabase({ dataDir: dir });
    await postgisWorks(open);
    // No more WAL than its own recovery needs (EMBEDDED_SETTINGS): its bulk loads skip it.
    expect((await open.ds.query(`SELECT current_setting('wal_level') AS w`))[0].w).toBe('minimal');
    const [{ count }] = await open.ds.query(`SELECT count(*)::int AS count FROM territory WHERE level = 'COMMUNE'`);
    expect(count).toBeGreaterThan(30_000);
    await open.close();
    open = undefined;
  });

  it('should load the whole bundle when a migration is new to the data directory, then leave the reduced one for the next start', async () => {
    const dir = copyOfTemplate();
    // Another list of migrations than the one the directory was started with: no reduced bundle.
    const newerSchema = `${migrationsKey()}\nA migration this directory has not run`;
    expect(restartBundle(dir, newerSchema)).toBeUndefined();
    // The start that finds none (here: the bundle removed, as after an upgrade of the PostGIS package).
    const left = restartBundle(dir, migrationsKey())!;
    fs.rmSync(left);
    open = await openDatabase({ dataDir: dir });
    await postgisWorks(open);
    await open.close();
    open = undefined;
    expect(fs.existsSync(left)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('repertoire-postgis-'))).toHaveLength(1);
  });
});
