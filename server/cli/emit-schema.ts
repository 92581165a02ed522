import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createSchema } from '../graphql/schema.js';
import { renderSchema } from '../graphql/schema-file.js';

/** `npm run schema`: writes the GraphQL contract to schema.graphql (test/unit/schema.test.ts checks it is current). */
// Run from dist/server/cli/: the repository root is three levels up.
const file = fileURLToPath(new URL('../../../schema.graphql', import.meta.url));
const sdl = renderSchema(await createSchema());
const before = await readFile(file, 'utf8').catch(() => null);
await writeFile(file, sdl);
process.stdout.write(`schema.graphql ${before === sdl ? 'inchangé' : 'mis à jour'}\n`);
