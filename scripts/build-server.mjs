// Compiles the server, its migrations and seeds (TypeScript) into dist/ with SWC, file by file,
// as `npm run dev` and the tests load them (@swc-node/register, the same options read from
// tsconfig.json: decorators and their metadata, ES2022, ES modules), with source maps. Type
// checking is `npm run check`'s job (tsc --noEmit, run by CI): tsc took 13 s of a first start on
// two cores, this takes about one. Called by scripts/build.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from '@swc-node/core';
import { readDefaultTsConfig, tsCompilerOptionsToSwcConfig } from '@swc-node/register/read-default-tsconfig';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist');
const compilerOptions = readDefaultTsConfig(path.join(root, 'tsconfig.build.json'));
/** The folders compiled (tsconfig.build.json's "include"); seeds/data holds data read at run time. */
const sources = ['server', 'migrations', 'seeds'];
/** @param {string} rel */
const skip = (rel) => rel.startsWith('seeds/data/') || rel.endsWith('.d.ts');

/**
 * @param {string} rel
 * @returns {string[]} the files below `rel`, relative to the root
 */
function walk(rel) {
  const abs = path.join(root, rel);
  if (skip(`${rel}/`)) return [];
  return fs.readdirSync(abs, { withFileTypes: true }).flatMap((entry) => {
    const child = `${rel}/${entry.name}`;
    return entry.isDirectory() ? walk(child) : skip(child) ? [] : [child];
  });
}

const files = sources.flatMap(walk);
await Promise.all(
  files.map(async (rel) => {
    const target = path.join(out, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (rel.endsWith('.json')) return fs.copyFileSync(path.join(root, rel), target); // imported with { type: 'json' }
    if (!rel.endsWith('.ts')) return;
    const js = target.replace(/\.ts$/, '.js');
    const source = fs.readFileSync(path.join(root, rel), 'utf8');
    const options = { ...tsCompilerOptionsToSwcConfig(compilerOptions, rel), sourcemap: true };
    const { code, map } = await transform(source, path.join(root, rel), options);
    fs.writeFileSync(js, `${code}\n//# sourceMappingURL=${path.basename(js)}.map\n`);
    if (map) fs.writeFileSync(`${js}.map`, map);
  }),
);
