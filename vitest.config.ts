import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // graphql@16 has no "exports": Vite would pick index.mjs for our files while Node gives
  // type-graphql and Apollo index.js ("Cannot use GraphQLObjectType from another realm").
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/setup/global-setup.ts'],
    hookTimeout: 300_000,
    testTimeout: 60_000,
    // One database for the whole run: files share it, so they run one after another.
    fileParallelism: false,
    // Request logs would drown the test output; warnings and errors still show.
    env: { LOG_LEVEL: 'warn' },
  },
});
