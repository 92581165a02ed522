import 'reflect-metadata';
import { loadEnv } from '../config/env.js';
import { openDatabase } from '../db/database.js';

/** `npm run db:migrate`: applies pending migrations to DATABASE_URL or the embedded database. */
const env = loadEnv();
const db = await openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
const pending = await db.ds.showMigrations();
process.stdout.write(pending ? 'Migrations en attente\n' : 'Base à jour : toutes les migrations sont appliquées\n');
await db.close();
