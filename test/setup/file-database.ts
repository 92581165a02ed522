import { afterAll, inject } from 'vitest';
import { openFileDatabase } from '../helpers/database.js';

/**
 * Runs before each test file of the « db » and « e2e » projects: the file gets a database of its
 * own, copied from the run's template (test/helpers/database.ts), and dropped once the file is done
 * (this hook, registered first, runs after the file's own afterAll).
 */
const database = await openFileDatabase(inject('template'));

afterAll(async () => {
  await database.drop();
});
