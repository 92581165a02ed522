import 'reflect-metadata';
import { invalidIdentifiers } from '../actors/actor-identifier-check.js';
import { IDENTIFIER_LABELS } from '../actors/actor-identifiers.js';
import { loadEnv } from '../config/env.js';
import { openDatabase } from '../db/database.js';

/**
 * `npm run identifiers:check`: lists the actors whose stored SIREN, SIRET, RNA or FINESS number
 * fails its check (actor-identifier-check.ts), one per line, tab-separated (identifiant, nom, champ,
 * valeur, raison), to be corrected by hand or by an import. Reads only; exit code 0 whatever it finds.
 */
const env = loadEnv();
const db = await openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
try {
  const found = await invalidIdentifiers(db.ds);
  const clean = (text: string) => text.replace(/[\t\r\n]+/g, ' ');
  process.stdout.write('identifiant\tnom\tchamp\tvaleur\traison\n');
  for (const f of found) {
    const name = f.status === 'ACTIVE' ? f.name : `${f.name} (archivé)`;
    process.stdout.write(`${f.id}\t${clean(name)}\t${f.field}\t${clean(f.value)}\t${f.reason}\n`);
  }
  const actors = new Set(found.map((f) => f.id)).size;
  process.stderr.write(
    found.length
      ? `${found.length} numéro(s) invalide(s) chez ${actors} acteur(s) (${[...new Set(found.map((f) => IDENTIFIER_LABELS[f.field]))].join(', ')}).\n`
      : 'Aucun numéro invalide : chaque SIREN, SIRET, numéro RNA et numéro FINESS enregistré passe sa vérification.\n',
  );
} finally {
  await db.close();
}
