import fs from 'node:fs';
import { afterAll, expect, inject } from 'vitest';
import { openFileDatabase } from '../helpers/database.js';

/**
 * Runs before each test file of the « db » and « e2e » projects: the file gets a database of its
 * own, copied from the run's template (test/helpers/database.ts), and dropped once the file is done
 * (this hook, registered first, runs after the file's own afterAll).
 *
 * With TEST_CPU_LOG (.ci/run sets it), a line per file is added to that file: its path, the CPU its
 * worker spent on it (the test process's threads, the embedded database's included; not Chromium's
 * nor a native PostgreSQL's) and its wall time, in seconds, from before its database is copied to
 * after it is dropped. A worker runs one file at a time, so the two are the file's own.
 */
const cpuLog = process.env.TEST_CPU_LOG;
const started = { cpu: process.cpuUsage(), at: performance.now() };
const database = await openFileDatabase(inject('template'));

afterAll(async () => {
  await database.drop();
  if (!cpuLog) return;
  const cpu = process.cpuUsage(started.cpu);
  const file = (expect.getState().testPath ?? '?').replace(`${process.cwd()}/`, '');
  fs.appendFileSync(cpuLog, `${file}\t${((cpu.user + cpu.system) / 1e6).toFixed(1)}\t${((performance.now() - started.at) / 1000).toFixed(1)}\n`);
});
