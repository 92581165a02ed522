import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../../server/graphql/schema.js';
import { renderSchema } from '../../server/graphql/schema-file.js';

describe('schema.graphql', () => {
  it('should match the schema the resolvers build (run `npm run schema` when it differs)', async () => {
    const committed = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8').catch(() => '');
    const current = renderSchema(await createSchema());
    expect(committed, 'schema.graphql est périmé : lancez `npm run schema` et committez le fichier').toBe(current);
  });
});
