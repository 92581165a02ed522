import { readFile } from 'node:fs/promises';
import { buildSchema, introspectionFromSchema } from 'graphql';
import { minifyIntrospection, outputIntrospectionFile } from '@gql.tada/internal';
import { describe, expect, it } from 'vitest';

describe('client/src/lib/graphql/graphql-env.d.ts', () => {
  it('should be the types gql.tada generates from the committed schema.graphql (run `npm run schema` when it differs)', async () => {
    const sdl = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
    const committed = await readFile(new URL('../../client/src/lib/graphql/graphql-env.d.ts', import.meta.url), 'utf8').catch(() => '');
    // What `gql.tada generate-output` writes (its CLI: load the schema, minify the introspection, print it).
    const current = outputIntrospectionFile(minifyIntrospection(introspectionFromSchema(buildSchema(sdl))), { fileType: '.d.ts', shouldPreprocess: true });
    expect(committed, 'graphql-env.d.ts est périmé : lancez `npm run schema` et committez le fichier').toBe(current);
  });
});
