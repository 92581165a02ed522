// Builds what `npm start` and the command-line tools run (the server into dist/, the client into
// client/dist/), each part only when one of its inputs changed since its last build: a restart
// then starts the server at once instead of compiling for half a minute. An input is compared by
// its path, size and modification time (a checkout or an edit always changes the time, so this
// errs towards building again); the list of what was seen is kept beside each build.
// `node scripts/build.mjs --force` builds both whatever they hold.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
/** @param {string} name */
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

/**
 * @typedef {{ name: string, stamp: string, output: string, inputs: string[], skip: (rel: string) => boolean, command: [string, string[]] }} Part
 * @type {Part[]}
 */
const parts = [
  {
    name: 'serveur (dist/)',
    stamp: 'dist/.build-inputs',
    output: 'dist/server/main.js',
    inputs: ['server', 'migrations', 'seeds', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build-server.mjs'],
    // seeds/data is read at run time from the sources, not compiled.
    skip: (/** @type {string} */ rel) => rel.startsWith('seeds/data/'),
    // SWC, file by file, without type checking (npm run check does that): 1 s instead of tsc's 13.
    command: [process.execPath, [path.join(root, 'scripts/build-server.mjs')]],
  },
  {
    name: 'client (client/dist/)',
    stamp: 'client/dist/.build-inputs',
    output: 'client/dist/index.html',
    // The client's bounds of the territories come from the boundary files (client/scope-bounds.plugin.ts).
    inputs: ['client', 'seeds/data/geo', 'package-lock.json'],
    skip: (/** @type {string} */ rel) => rel.startsWith('client/dist/') || rel.startsWith('client/node_modules/'),
    command: [bin('vite'), ['build', '--config', 'client/vite.config.ts', '--logLevel', 'warn']],
  },
];

/** @param {Part} part */
function fingerprint(part) {
  const hash = createHash('sha256');
  /** @param {string} rel */
  const walk = (rel) => {
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs) || part.skip(rel)) return;
    const stat = fs.statSync(abs);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(abs).sort()) walk(`${rel}/${entry}`);
    } else {
      hash.update(`${rel}\0${stat.size}\0${stat.mtimeMs}\n`);
    }
  };
  for (const input of part.inputs) walk(input);
  return hash.digest('hex');
}

// The parts that are out of date are built at the same time: tsc and vite each keep one core busy
// for most of their run, so on two cores a first start waits for the longer one instead of both.
const builds = [];
for (const part of parts) {
  const before = fingerprint(part);
  const stamp = path.join(root, part.stamp);
  const current = fs.existsSync(path.join(root, part.output)) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === before;
  if (current && !force) {
    process.stdout.write(`Construction du ${part.name} à jour : rien à refaire\n`);
    continue;
  }
  const started = Date.now();
  fs.rmSync(stamp, { force: true });
  builds.push(
    new Promise((resolve, reject) => {
      const child = spawn(part.command[0], part.command[1], { cwd: root, stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (code !== 0) return reject(new Error(`${part.name} : ${signal ?? `code ${code}`}`));
        // The fingerprint taken before the build: a file changed during it makes the next start build again.
        fs.writeFileSync(stamp, before);
        process.stdout.write(`Construction du ${part.name} en ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        resolve(undefined);
      });
    }),
  );
}
const results = await Promise.allSettled(builds);
const failed = results.filter((r) => r.status === 'rejected');
if (failed.length) {
  for (const f of failed) process.stderr.write(`Échec de la construction : ${f.reason instanceof Error ? f.reason.message : String(f.reason)}\n`);
  process.exit(1);
}
