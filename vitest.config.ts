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
 * The browser test files, all of them; or with TEST_E2E_FILES=a,b those named (file names without
 * `.test.ts`), and with TEST_E2E_FILES=-a,-b all but those. CI (.ci/run) runs each browser file once,
 * a few named ones on the embedded backend and every other on native PostgreSQL, while every
 * integration file runs on both: a browser test checks what the client shows and sends, through the
 * same server and the same SQL that the integration tests prove on both backends. The embedded suite
 * takes about 1.7 times the CPU of the native one on the integration files (PGlite is PostgreSQL in
 * WebAssembly: 627 against 155 + 220 s on 7 December 2026, the native cluster's own included), and
 * it was the one CI waited for: with a quarter of the browser files (5), it ended 220 s after the
 * native suite and its replica run. It keeps the two that draw its maps and a record: the pages under
 * the content security policy (tiles, GeoJSON, the graph) and an actor's page. A new browser file
 * goes to native PostgreSQL until named here.
 */
function e2eFiles(): string[] {
  const all = fs
    .readdirSync('test/e2e')
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
  const list = process.env.TEST_E2E_FILES;
  if (!list) return all.map((f) => `test/e2e/${f}`);
  const names = list.split(',').map((n) => n.trim());
  const excluded = names.every((n) => n.startsWith('-'));
  if (!excluded && names.some((n) => n.startsWith('-'))) throw new Error(`TEST_E2E_FILES=${list}: name files to run, or files to leave out (-a,-b), not both`);
  const wanted = new Set(names.map((n) => `${n.replace(/^-/, '')}.test.ts`));
  const unknown = [...wanted].filter((f) => !all.includes(f));
  if (unknown.length) throw new Error(`TEST_E2E_FILES=${list}: no such browser file in test/e2e: ${unknown.join(', ')}`);
  return all.filter((f) => wanted.has(f) !== excluded).map((f) => `test/e2e/${f}`);
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
