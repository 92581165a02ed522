import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DataSource } from 'typeorm';
import { type ColumnKey, DEFAULT_SECTOR, kindFor } from '../../actors/actor-columns.js';
import { ActorKind, Sector } from '../../actors/actor-enums.js';
import { type ImportProblem, type ParsedFile, type RawRow, utf8Text, type Values } from '../../actors/actor-import-read.js';
import { importParsed, type ImportOptions, type ImportReport, type ImportServices } from '../../actors/actor-import.js';
import { run, sql } from '../../db/sql.js';
import type { Taxonomy } from '../../themes/theme.service.js';
import { seedDataDir } from '../../../seeds/paths.js';
import { actorIdOf, DI_EXTENSION } from './di-records.js';

// A data·inclusion v1 dump saved to disk (structures.json and services.json, as this directory
// exports them or as data·inclusion publishes them) read into the rows of the actors import: one
// row per structure, its themes, publics and territories gathered from its services. Everything
// else (checks, matching, the one transaction, the report) is the actors import's.

/** The two files of a dump, as bytes or text. */
export interface DiFiles {
  structures: Buffer | string | unknown[];
  services: Buffer | string | unknown[];
  /** Why the files could not even be told apart (a GraphQL content that is not the expected object). */
  unreadable?: ImportProblem;
}

/** Report field names: the import's French column → the data·inclusion field that fed it. */
const DI_FIELD: Record<string, string> = {
  identifiant: 'id',
  commune: 'code_insee',
  email: 'courriel',
  horaires: 'horaires_accueil',
  territoires: 'zone_eligibilite',
  type: `${DI_EXTENSION}.nature`,
  secteur: `${DI_EXTENSION}.secteur`,
  siren: `${DI_EXTENSION}.siren`,
  rna: `${DI_EXTENSION}.rna`,
  finess: `${DI_EXTENSION}.finess`,
  rayon_km: `${DI_EXTENSION}.rayon_km`,
  demonstration: `${DI_EXTENSION}.demonstration`,
};

export type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The national vocabularies (seeds/data/referentiels/data-inclusion), read once: a known code without equivalent here is left aside, an unknown one reported. */
let vocabulary: { thematiques: Set<string>; publics: Set<string> } | undefined;
function diVocabulary() {
  const values = (file: string) =>
    new Set(
      parse<{ value: string }>(fs.readFileSync(path.join(seedDataDir(), 'referentiels', 'data-inclusion', file), 'utf8'), { columns: true, bom: true }).map(
        (r) => r.value,
      ),
    );
  vocabulary ??= { thematiques: values('thematiques_v1.csv'), publics: values('publics_v1.csv') };
  return vocabulary;
}

/** The records of one file: a JSON array, an API page (`{"items": […]}`) or JSON Lines. */
function records(input: Buffer | string | unknown[], name: string): Json[] | ImportProblem {
  if (Array.isArray(input)) return input as Json[];
  const fail = (reason: string): ImportProblem => ({ row: 0, field: name, reason });
  const text = utf8Text(input);
  if (text === null) return fail('le fichier n’est pas en UTF-8 (un fichier JSON est toujours en UTF-8)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const lines = text.split('\n').filter((l) => l.trim());
    try {
      doc = lines.map((l) => JSON.parse(l) as unknown);
    } catch {
      return fail('JSON illisible : un tableau de structures ou de services data·inclusion est attendu');
    }
  }
  if (isObject(doc) && Array.isArray(doc.items)) doc = doc.items;
  if (!Array.isArray(doc)) return fail('un tableau JSON d’enregistrements data·inclusion est attendu ([{…}, {…}])');
  return doc as Json[];
}

/** A string member: undefined if absent or null, a problem if of another type. */
function text(o: Json, key: string, problems: ImportProblem[], row: number, prefix = ''): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  problems.push({ row, field: key, reason: `${prefix}texte attendu, lu ${JSON.stringify(v).slice(0, 40)}` });
  return undefined;
}

function codeList(o: Json, key: string, problems: ImportProblem[], row: number, prefix = ''): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  problems.push({ row, field: key, reason: `${prefix}liste de codes attendue, lu ${JSON.stringify(v).slice(0, 60)}` });
  return [];
}

/** A `zone_eligibilite` code as a territory of the import (`departement:2A`, a commune code, an EPCI…), or a problem. */
function territoryOf(code: string): string | null {
  const c = code.trim();
  if (c.toLowerCase() === 'france' || c === '99100') return 'pays:FR';
  if (/^\w{2,3}$/.test(c)) return `departement:${c}`;
  if (/^99\d{3}$/.test(c)) return null; // another country: nothing of it is in the directory
  return c;
}

/** Nature and sector of a new actor from a structure that names none (data·inclusion v1 has no nature). */
const OTHER_SOURCE = { kind: ActorKind.AUTRE, sector: Sector.SOCIAL };

/** How a service's codes of one vocabulary (thematiques or publics) become the directory's. */
interface CodeList {
  key: 'thematiques' | 'publics';
  find: (code: string) => { code: string } | undefined;
  national: () => Set<string>;
  /** « thématique inconnue », « public inconnu ». */
  unknown: string;
}

/**
 * The directory's codes of a service for one vocabulary: its extension's own codes, or its
 * data·inclusion codes mapped. A national code without equivalent here is left aside; a code of
 * neither vocabulary is reported.
 */
function codesOf(svc: Json, ext: Json | null, list: CodeList, problems: ImportProblem[], row: number, label: string): string[] {
  if (ext && Array.isArray(ext[list.key])) return codeList(ext, list.key, problems, row, `${label}, ${DI_EXTENSION} : `);
  const out: string[] = [];
  for (const code of codeList(svc, list.key, problems, row, label)) {
    const found = list.find(code);
    if (found) out.push(found.code);
    else if (!list.national().has(code))
      problems.push({ row, field: list.key, reason: `${label}${list.unknown} « ${code.slice(0, 80)} » (ni data·inclusion v1, ni répertoire)` });
  }
  return out;
}

/** The two files read: their records, or why one is unreadable. */
export interface Dump {
  structures: Json[] | ImportProblem;
  services: Json[] | ImportProblem;
}

/** What a structure's services give it. */
interface Offer {
  themes: Set<string>;
  audiences: Set<string>;
  territories: Set<string>;
  problems: ImportProblem[];
}

/**
 * Reads a dump into the rows of the actors import. File-level problems (unreadable JSON, a service
 * whose structure is not in structures.json) refuse the whole file; a structure's problems, and
 * those of its services, are reported on its row (its number in structures.json, from 1).
 * `stored` finds the actors already imported from the same records (`source--id`).
 */
export function readDataInclusion(dump: Dump, taxonomy: Taxonomy, stored: ReadonlyMap<string, string>): ParsedFile {
  const fail = (fatal: ImportProblem[]): ParsedFile => ({ rows: [], present: new Set(), ignoredColumns: [], fatal });
  const unreadable = [dump.structures, dump.services].filter((x): x is ImportProblem => !Array.isArray(x));
  if (unreadable.length) return fail(unreadable);
  const sList = dump.structures as Json[];
  const rowOf = new Map<string, number>();
  sList.forEach((s, i) => {
    if (isObject(s) && typeof s.id === 'string' && !rowOf.has(s.id)) rowOf.set(s.id, i + 1);
  });

  const themes: CodeList = {
    key: 'thematiques',
    find: (c) => taxonomy.findTheme(c),
    national: () => diVocabulary().thematiques,
    unknown: 'thématique inconnue',
  };
  const publics: CodeList = { key: 'publics', find: (c) => taxonomy.findAudience(c), national: () => diVocabulary().publics, unknown: 'public inconnu' };
  const offers = new Map<number, Offer>();
  const orphans: ImportProblem[] = [];
  (dump.services as Json[]).forEach((svc, j) => {
    const label = `service n° ${j + 1}`;
    if (!isObject(svc)) {
      orphans.push({ row: 0, field: 'services.json', reason: `${label} : un objet JSON est attendu` });
      return;
    }
    const row = typeof svc.structure_id === 'string' ? rowOf.get(svc.structure_id) : undefined;
    if (row === undefined) {
      orphans.push({
        row: 0,
        field: 'structure_id',
        reason: `${label} (« ${String(svc.id).slice(0, 80)} ») : structure « ${String(svc.structure_id).slice(0, 80)} » absente de structures.json`,
      });
      return;
    }
    const offer = offers.get(row) ?? { themes: new Set(), audiences: new Set(), territories: new Set(), problems: [] };
    offers.set(row, offer);
    const prefix = `${label} (« ${String(svc.id).slice(0, 80)} ») : `;
    const ext = isObject(svc[DI_EXTENSION]) ? svc[DI_EXTENSION] : null;
    for (const t of codesOf(svc, ext, themes, offer.problems, row, prefix)) offer.themes.add(t);
    for (const a of codesOf(svc, ext, publics, offer.problems, row, prefix)) offer.audiences.add(a);
    for (const z of codeList(svc, 'zone_eligibilite', offer.problems, row, prefix)) {
      const t = territoryOf(z);
      if (t) offer.territories.add(t);
    }
  });
  if (orphans.length) return fail(orphans);

  const withExtension = sList.some((s) => isObject(s) && isObject(s[DI_EXTENSION]));
  const present = new Set<ColumnKey>([
    'id',
    'name',
    'siret',
    'address',
    'postalCode',
    'communeCode',
    'lat',
    'lon',
    'description',
    'email',
    'phone',
    'website',
    'openingHours',
    'themes',
    'audiences',
    'territories',
    'source',
  ]);
  if (withExtension) for (const k of ['kind', 'sector', 'siren', 'rna', 'finess', 'radiusKm', 'isDemo'] as const) present.add(k);

  const seen = new Map<string, number>();
  const rows: RawRow[] = sList.map((s, i) => {
    const row = i + 1;
    const problems: ImportProblem[] = [];
    const values: Values = {};
    if (!isObject(s)) {
      problems.push({ row, field: 'structure', reason: 'un objet JSON est attendu' });
      return { row, values, problems, newActor: OTHER_SOURCE };
    }
    const id = text(s, 'id', problems, row);
    if (!id?.trim()) problems.push({ row, field: 'id', reason: 'l’identifiant (id) de la structure est requis' });
    else if (seen.has(id)) problems.push({ row, field: 'id', reason: `même id que la structure n° ${seen.get(id)}` });
    else seen.set(id, row);
    const source = text(s, 'source', problems, row);
    const ext = isObject(s[DI_EXTENSION]) ? s[DI_EXTENSION] : null;
    const offer = offers.get(row);
    problems.push(...(offer?.problems ?? []));

    // Identity: this directory's own records by their actor id, others by `source--id` if already imported.
    const key = id ? (source && !id.startsWith(`${source}--`) ? `${source}--${id}` : id) : undefined;
    const extId = ext && typeof ext.identifiant === 'string' ? ext.identifiant : null;
    values.id = extId ?? (id ? actorIdOf(id) : null) ?? (key ? stored.get(key) : undefined);

    const pick = (k: string) => (ext && k in ext ? ext[k] : undefined);
    values.name = pick('nom') ?? text(s, 'nom', problems, row);
    values.siret = text(s, 'siret', problems, row);
    const complement = text(s, 'complement_adresse', problems, row);
    const address = text(s, 'adresse', problems, row);
    values.address = [address, complement].filter((x) => x?.trim()).join(', ') || undefined;
    values.postalCode = text(s, 'code_postal', problems, row);
    values.communeCode = text(s, 'code_insee', problems, row);
    for (const [k, field] of [
      ['lat', 'latitude'],
      ['lon', 'longitude'],
    ] as const) {
      const v = s[field];
      if (v === undefined || v === null || typeof v === 'number') values[k] = v;
      else problems.push({ row, field, reason: `nombre attendu, lu ${JSON.stringify(v).slice(0, 30)}` });
    }
    values.description = pick('description') ?? text(s, 'description', problems, row);
    values.email = pick('courriel') ?? text(s, 'courriel', problems, row);
    values.phone = text(s, 'telephone', problems, row);
    values.website = pick('site_web') ?? text(s, 'site_web', problems, row);
    values.openingHours = text(s, 'horaires_accueil', problems, row);
    values.themes = [...(offer?.themes ?? [])];
    values.audiences = [...(offer?.audiences ?? [])];
    if (!offer)
      problems.push({ row, field: 'thematiques', reason: 'aucun service de services.json ne désigne cette structure : ses thèmes viennent de ses services' });
    else if (offer.themes.size === 0 && offer.problems.length === 0)
      problems.push({ row, field: 'thematiques', reason: 'aucune thématique de ses services ne correspond à un thème du répertoire (voir le README)' });

    if (ext) {
      values.kind = ext.nature;
      values.sector = ext.secteur;
      values.siren = ext.siren;
      values.rna = ext.rna;
      values.finess = ext.finess;
      values.radiusKm = ext.rayon_km;
      values.isDemo = ext.demonstration;
      values.source = ext.source;
      values.territories = Array.isArray(ext.territoires) ? ext.territoires : [...(offer?.territories ?? [])];
    } else {
      values.source = key;
      values.territories = [...(offer?.territories ?? [])];
      // A v1 structure has no nature: a v0 `typologie` gives one, else « Autre » (a new actor only).
      const typologie = text(s, 'typologie', problems, row);
      const kind = typologie && kindFor(typologie);
      return { row, values, problems, newActor: kind ? { kind, sector: DEFAULT_SECTOR[kind] ?? Sector.SOCIAL } : OTHER_SOURCE };
    }
    return { row, values, problems };
  });
  return { rows, present, ignoredColumns: [], fatal: [] };
}

/** Actors already imported from another directory's records, by their `source--id` (kept in their source); HSDS's import uses it too. */
export async function storedKeys(ds: DataSource, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await run<{ id: string; source: string }>(
    ds,
    sql`SELECT DISTINCT ON (source) id::text AS id, source FROM actor WHERE source = ANY(${keys}::text[]) ORDER BY source, created_at, id`,
  );
  return new Map(rows.map((r) => [r.source, r.id]));
}

/** The keys a dump's structures may have been imported under (`source--id`). */
function candidateKeys(list: Json[] | ImportProblem): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((s) =>
    isObject(s) && typeof s.id === 'string' ? [typeof s.source === 'string' && !s.id.startsWith(`${s.source}--`) ? `${s.source}--${s.id}` : s.id] : [],
  );
}

/**
 * Imports a data·inclusion dump through the actors import (per-row report, all or nothing by
 * default, idempotent: a structure designates the stored actor by its id, its `source--id`, its
 * SIRET…). Report rows are structure numbers; fields are data·inclusion field names.
 */
export async function importDataInclusion(ds: DataSource, services: ImportServices, files: DiFiles, options: ImportOptions = {}): Promise<ImportReport> {
  const taxonomy = await services.themes.taxonomy();
  const dump: Dump = files.unreadable
    ? { structures: files.unreadable, services: [] }
    : { structures: records(files.structures, 'structures.json'), services: records(files.services, 'services.json') };
  const stored = await storedKeys(ds, candidateKeys(dump.structures));
  const file = readDataInclusion(dump, taxonomy, stored);
  const report = await importParsed(ds, services, file, options);
  report.problems = report.problems.map((p) => ({ ...p, field: DI_FIELD[p.field] ?? p.field }));
  return report;
}

/** Two files given in any order: the one whose records name a `structure_id` is the services file. */
export function dumpFiles([a, b]: Buffer[]): DiFiles {
  const names = (x: Buffer) => x.includes('"structure_id"');
  return names(a) && !names(b) ? { structures: b, services: a } : { structures: a, services: b };
}

/**
 * The dump of an importActors(format: DATA_INCLUSION): one JSON object holding both files,
 * `{"structures": […], "services": […]}`; anything else refuses the whole content.
 */
export function dumpOfContent(content: string): DiFiles {
  let doc: unknown;
  try {
    doc = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch {
    doc = null;
  }
  if (isObject(doc) && Array.isArray(doc.structures) && Array.isArray(doc.services)) return { structures: doc.structures, services: doc.services };
  return {
    structures: [],
    services: [],
    unreadable: { row: 0, field: 'content', reason: 'un objet JSON {"structures": […], "services": […]} est attendu (les deux fichiers data·inclusion)' },
  };
}
