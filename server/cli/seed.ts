import 'reflect-metadata';
import { loadEnv } from '../config/env.js';
import { openDatabase } from '../db/database.js';
import { runSeeds, startupSeedOptions } from '../../seeds/index.js';

/** `npm run db:seed [-- --force]`: loads the reference data; --force reloads even if up to date. */
const env = loadEnv();
const db = await openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
try {
  await runSeeds(db.ds, {
    force: process.argv.includes('--force'),
    log: (line) => process.stdout.write(`${line}\n`),
    ...startupSeedOptions(!env.databaseUrl),
  });
} finally {
  await db.close();
}
