import fs from 'node:fs';
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

/**
 * The browser test files, all of them; or with TEST_E2E_SHARE=k/n (or k,j,…/n), the k-th (and j-th…)
 * of n shares (every n-th file in name order, starting at the k-th). CI (.ci/run) runs each browser
 * file once, a quarter on the embedded backend and the rest on native PostgreSQL, while every
 * integration file runs on both: a browser test checks what the client shows and sends, through the
 * same server and the same SQL that the integration tests prove on both backends. Running every
 * browser file on both took about a third of CI's test time (1,220 of 3,500 file-seconds on 4
 * December 2026); the embedded suite, which takes more than twice as long on the integration files
 * (PostgreSQL in WebAssembly: 1,590 against 686 file-seconds on 5 December), takes the smaller share
 * so that both suites end together.
 */
function e2eFiles(): string[] {
  const share = process.env.TEST_E2E_SHARE;
  if (!share) return ['test/e2e/**/*.test.ts'];
  const match = /^(\d+(?:,\d+)*)\/(\d+)$/.exec(share);
  const n = Number(match?.[2]);
  const ks = (match?.[1] ?? '').split(',').map(Number);
  if (!match || ks.some((k) => k < 1 || k > n)) throw new Error(`TEST_E2E_SHARE=${share}: expected k/n or k,j,…/n, 1 ≤ k ≤ n`);
  const files = fs
    .readdirSync('test/e2e')
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
  return files.filter((_, i) => ks.includes((i % n) + 1)).map((f) => `test/e2e/${f}`);
}

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
    // Every GraphQL document compiled by graphql-jit at its first use (production waits for its
    // tenth): each test then runs the compiled path; test/integration/graphql-jit.test.ts compares
    // it with graphql-js's.
    env: { LOG_LEVEL: 'warn', GRAPHQL_JIT_AFTER: '1' },
    projects: [
      // Unit files import pure modules and change none (no mocks, stubs or fake timers): they share
      // their worker's modules too, as the database files do (23 files: 22.6 → 8.2 s of CPU, 6 December 2026).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'db', include: ['test/integration/**/*.test.ts'], ...database } },
      // The client is built once per run before any browser test (test/setup/client-build.ts).
      {
        extends: true,
        test: { name: 'e2e', include: e2eFiles(), ...database, globalSetup: ['./test/setup/client-build.ts', ...database.globalSetup] },
      },
    ],
  },
});
