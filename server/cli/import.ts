import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { ImportFormat, ImportMode, type ImportProgress, importActors } from '../actors/actor-import.js';
import { loadEnv } from '../config/env.js';
import { openDatabase } from '../db/database.js';
import { run, sql } from '../db/sql.js';
import { createServices } from '../graphql/context.js';
import { progress, type Progress } from '../../seeds/progress.js';
import { dumpFiles, importDataInclusion } from '../exchange/data-inclusion/di-import.js';
import { importHsds, readHsdsFile } from '../exchange/hsds/hsds-import.js';

/**
 * `npm run import -- fichier.csv [--valid-only] [--dry-run] [--latin1] [--source=texte]`
 * `npm run import -- --data-inclusion structures.json services.json [--valid-only] [--dry-run]`
 * `npm run import -- --hsds organizations.json|hsds.zip [--valid-only] [--dry-run]`
 * Imports a CSV or GeoJSON file of actors (French columns), a data·inclusion v1 dump or HSDS 3.0 organizations, into the
 * database, like the importActors mutation. Exit code 1 when rows were rejected and nothing was written.
 */
const USAGE = `Usage : npm run import -- fichier.csv|fichier.geojson [options]
        npm run import -- --data-inclusion structures.json services.json [options]
        npm run import -- --hsds organizations.json|hsds.zip [options]
  --data-inclusion  deux fichiers data·inclusion v1 (structures, puis services : une ligne par structure)
  --hsds         HSDS 3.0 : organizations.json ou le paquet hsds.zip (une ligne par organisation)
  --valid-only   enregistrer les lignes valides même si d’autres sont rejetées (par défaut : tout ou rien)
  --dry-run      tout vérifier sans rien enregistrer
  --latin1       lire un CSV enregistré en Windows-1252 / Latin-1 (ancien Excel) au lieu d’UTF-8
  --source=TEXTE source donnée aux nouveaux acteurs sans source (par défaut : import:<nom du fichier>)`;

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--') && !a.includes('=')));
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const files = args.filter((a) => !a.startsWith('--'));
const knownFlags = new Set(['--valid-only', '--dry-run', '--latin1', '--help', '--data-inclusion', '--hsds']);
const unknown = [...flags].filter((f) => !knownFlags.has(f));
const dataInclusion = flags.has('--data-inclusion');
const hsds = flags.has('--hsds');

if (flags.has('--help') || files.length !== (dataInclusion ? 2 : 1) || unknown.length || (dataInclusion && hsds)) {
  if (unknown.length) process.stderr.write(`Option inconnue : ${unknown.join(', ')}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(flags.has('--help') ? 0 : 2);
}

const paths = files.map((f) => path.resolve(f));
const file = paths[0];
const contents: Buffer[] = [];
for (const p of paths) {
  try {
    contents.push(fs.readFileSync(p));
  } catch {
    process.stderr.write(`Fichier introuvable ou illisible : ${p}\n`);
    process.exit(2);
  }
}
const content = contents[0];
const format = /\.(geo)?json$/i.test(file) ? ImportFormat.GEOJSON : ImportFormat.CSV;
const mode = flags.has('--valid-only') ? ImportMode.VALID_ONLY : ImportMode.ALL_OR_NOTHING;
const log = (line: string) => process.stdout.write(`${line}\n`);

const env = loadEnv();
const db = await openDatabase({
  databaseUrl: env.databaseUrl,
  dataDir: env.dataDir,
  // A large import resolves the coverage of thousands of actors per statement.
  statementTimeoutMs: Math.max(env.statementTimeoutMs, 300_000),
});
let exitCode = 0;
try {
  const [{ n }] = await run<{ n: number }>(db.ds, sql`SELECT count(*)::int AS n FROM territory WHERE level = 'COMMUNE'`);
  if (n === 0) {
    process.stderr.write('La base ne contient pas encore les territoires ni les thèmes : lancez d’abord « npm run db:seed » (ou « npm start »).\n');
    exitCode = 2;
    throw new Error('base vide');
  }
  const services = createServices(db.ds);
  const bars = new Map<string, Progress>();
  const started = Date.now();
  log(
    `Import de ${paths.map((p) => path.basename(p)).join(' et ')} (${dataInclusion ? 'data·inclusion v1' : hsds ? 'HSDS 3.0' : format === ImportFormat.CSV ? 'CSV' : 'GeoJSON'}, ${mode === ImportMode.VALID_ONLY ? 'lignes valides seulement' : 'tout ou rien'}${flags.has('--dry-run') ? ', essai à blanc' : ''})`,
  );
  let last: { phase: string; done: number } | null = null;
  const onProgress = (p: ImportProgress) => {
    let bar = bars.get(p.phase);
    if (!bar) {
      for (const b of bars.values()) b.done();
      bars.clear();
      bar = progress(p.phase === 'vérification' ? 'Vérification des lignes' : 'Écriture', p.total, log);
      bars.set(p.phase, bar);
      last = { phase: p.phase, done: 0 };
    }
    bar.tick(p.done - (last?.done ?? 0));
    last = { phase: p.phase, done: p.done };
  };
  const options = {
    format,
    mode,
    dryRun: flags.has('--dry-run'),
    encoding: flags.has('--latin1') ? ('windows-1252' as const) : ('utf-8' as const),
    defaultSource: option('source') ?? `import:${path.basename(file)}`,
    onProgress,
  };
  const report = dataInclusion
    ? await importDataInclusion(db.ds, services, dumpFiles(contents), options)
    : hsds
      ? await importHsds(db.ds, services, readHsdsFile(content), options)
      : await importActors(db.ds, services, content, options);
  for (const b of bars.values()) b.done();

  if (report.problems.length) {
    log('');
    log(`Lignes rejetées (${report.rejected}) :`);
    const rows = report.problems.map((p) => [String(p.row), p.field, p.reason]);
    const unit = dataInclusion ? 'structure' : hsds ? 'organisation' : format === ImportFormat.GEOJSON ? 'entité' : 'ligne';
    const w0 = Math.max(6, unit.length, ...rows.map((r) => r[0].length));
    const w1 = Math.max(5, ...rows.map((r) => r[1].length));
    log(`  ${unit.padEnd(w0)}  ${'champ'.padEnd(w1)}  raison`);
    log(`  ${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(40)}`);
    const shown = rows.slice(0, 500);
    for (const [r, f, reason] of shown) log(`  ${r.padEnd(w0)}  ${f.padEnd(w1)}  ${reason}`);
    if (rows.length > shown.length) log(`  … et ${rows.length - shown.length} autres problèmes`);
  }
  if (report.ignoredColumns.length) log(`\nColonnes ignorées (inconnues) : ${report.ignoredColumns.join(', ')}`);
  log('');
  log(`  lues         ${report.total}`);
  log(`  créées       ${report.created}`);
  log(`  mises à jour ${report.updated}`);
  log(`  inchangées   ${report.unchanged}`);
  log(`  rejetées     ${report.rejected}`);
  log('');
  log(`${report.message} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (!report.committed && !report.dryRun && (report.rejected > 0 || report.problems.length > 0)) exitCode = 1;
  if (report.dryRun && report.rejected > 0 && mode === ImportMode.ALL_OR_NOTHING) exitCode = 1;
} catch (err) {
  if (exitCode !== 2) {
    process.stderr.write(`Import interrompu, rien n’a été enregistré : ${(err as Error).message}\n`);
    exitCode = 1;
  }
} finally {
  await db.close();
}
process.exit(exitCode);
