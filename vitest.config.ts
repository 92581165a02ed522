import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Each test file of « db » and « e2e » gets a database of its own, copied from one seeded template.
 * Their files share the modules of their worker (`isolate: false`): each file still starts its own
 * app on its own database, but the server's modules are imported, the embedded database's WebAssembly
 * compiled and Chromium started once per worker, not once per file (they cost more than the tests of
 * most files). The server keeps no state in its modules that a file could leave to the next.
 */
const database = { globalSetup: ['./test/setup/template-database.ts'], setupFiles: ['./test/setup/file-database.ts'], isolate: false };

export default defineConfig({
  // graphql@16 has no "exports": Vite would pick index.mjs for our files while Node gives
  // type-graphql and Apollo index.js ("Cannot use GraphQLObjectType from another realm").
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    hookTimeout: 300_000,
    // Two files at once on 2 cores: a test gets about half the CPU it had when files ran one by one.
    testTimeout: 120_000,
    // Files run in parallel, each on its own database. Two workers on the 2 cores measured here.
    fileParallelism: true,
    maxWorkers: 2,
    // Request logs would drown the test output; warnings and errors still show.
    env: { LOG_LEVEL: 'warn' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'db', include: ['test/integration/**/*.test.ts'], ...database } },
      // The client is built once per run before any browser test (test/setup/client-build.ts).
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], ...database, globalSetup: ['./test/setup/client-build.ts', ...database.globalSetup] },
      },
    ],
  },
});
