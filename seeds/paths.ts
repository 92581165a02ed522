import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The folder of the seed data files, from the sources (seeds/) or the build (dist/seeds/). */
export function seedDataDir(): string {
  for (const candidate of ['data', '../../seeds/data']) {
    const dir = path.resolve(here, candidate);
    if (fs.existsSync(dir)) return dir;
  }
  throw new Error(`seed data folder not found next to ${here}`);
}
