import path from 'node:path';
import { build } from 'vite';

/**
 * Browser tests test the client of this working tree: the « e2e » project builds it once per run
 * (`npm run build:client`, into client/dist, served by the app) before any of its files starts,
 * rather than serving whatever an earlier build left there. TEST_CLIENT_BUILT=true says the build
 * was just made from this tree (.ci/run builds it, then runs two suites at once that would
 * otherwise rebuild it in the same place while the other's browser tests read it).
 */
export async function setup() {
  if (process.env.TEST_CLIENT_BUILT === 'true') return;
  const started = Date.now();
  await build({ configFile: path.resolve('client/vite.config.ts'), logLevel: 'warn' });
  process.stdout.write(`Client construit pour les tests de navigateur en ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
