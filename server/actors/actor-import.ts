import type { DataSource, EntityManager } from 'typeorm';
import type { AuthUser } from '../auth/auth.types.js';
import { refreshStatistics } from '../db/statistics.js';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import type { ThemeService } from '../themes/theme.service.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { planImport, rejectRepeatedRows } from './actor-import-plan.js';
import { type ImportProblem, type ParsedFile, readCsv, readGeoJson } from './actor-import-read.js';
import { type BuiltRow, buildRow, mergeProblems } from './actor-import-rows.js';
import { communePoints, matchExisting, writePlan } from './actor-import-store.js';
import { identifierConflict, identifierHolders } from './actor-identity.js';
import { prepareRecord } from './actor-record.js';
import type { ActorReach } from './actor-review.js';
import { ActorRepository } from './actor.repository.js';
import type { ActorService } from './actor.service.js';

export type { ImportProblem } from './actor-import-read.js';

export const ImportFormat = defineEnum('ImportFormat');
export type ImportFormat = EnumValue<typeof ImportFormat>;

export const ImportMode = defineEnum('ImportMode');
export type ImportMode = EnumValue<typeof ImportMode>;

export interface ImportReport {
  /** Data rows read (header excluded). */
  total: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Whether the writes were committed. */
  committed: boolean;
  dryRun: boolean;
  mode: ImportMode;
  problems: ImportProblem[];
  /** Columns of the file that are not actor fields (ignored). */
  ignoredColumns: string[];
  /** A one-line summary, in French. */
  message: string;
}

export interface ImportProgress {
  phase: 'lecture' | 'vérification' | 'écriture';
  done: number;
  total: number;
}

export interface ImportOptions {
  format?: ImportFormat;
  mode?: ImportMode;
  dryRun?: boolean;
  /** Source given to rows whose `source` cell is empty or absent (e.g. the file name). */
  defaultSource?: string;
  /** Decode a byte input as Windows-1252 instead of UTF-8 (for files saved by older Excel). */
  encoding?: 'utf-8' | 'windows-1252';
  onProgress?: (p: ImportProgress) => void;
  /**
   * The signed-in account importing (GraphQL `importActors`): a row may only change an actor this
   * account could change with `updateActor` (ActorPermissions.canEdit), and new actors get the
   * review status of ActorReview. Absent: the command line on the server (`npm run import`), which
   * writes as the directory's operator.
   */
  author?: AuthUser;
  /**
   * From this many writes the gap aggregates are rebuilt once at the end. Default: 3,000 writes
   * that are also at least half as many as the actors already in the directory.
   */
  deferAggregatesFrom?: number;
  /** From this many writes the planner statistics are refreshed after the commit (default ANALYZE_FROM_ROWS). */
  analyzeFrom?: number;
}

/** Most rows one import takes. */
export const MAX_IMPORT_ROWS = 100_000;

class Rollback extends Error {}

// ---------------------------------------------------------------------------------------------
// The importer

export interface ImportServices {
  actors: ActorService;
  themes: ThemeService;
  territories: TerritoryService;
}

/**
 * Imports a CSV or GeoJSON file of actors in one transaction: every row is read, checked
 * (class-validator constraints of CreateActorInput, then ActorService.prepare), matched against the
 * directory (identifiant, SIRET, RNA, FINESS, SIREN + name, then name + commune) and created,
 * updated (only if something differs) or left unchanged. A failure midway rolls everything back.
 */
export async function importActors(ds: DataSource, services: ImportServices, input: Buffer | string, options: ImportOptions = {}): Promise<ImportReport> {
  const format = options.format ?? ImportFormat.CSV;
  // data·inclusion has its own reader (server/exchange/data-inclusion/di-import.ts), which calls importParsed.
  if (format === ImportFormat.DATA_INCLUSION) throw new Error('importActors: a data·inclusion dump is read by importDataInclusion');
  if (format === ImportFormat.HSDS) throw new Error('importActors: HSDS organizations are read by importHsds');
  const file = format === ImportFormat.GEOJSON ? readGeoJson(input) : readCsv(input, options.encoding ?? 'utf-8');
  return importParsed(ds, services, file, options);
}

/**
 * The import of a file already read into rows (a CSV, a GeoJSON, or another format's reader such
 * as data·inclusion's, server/exchange/data-inclusion): checks, matching, planning and the one
 * transaction are the same for every format.
 */
export async function importParsed(ds: DataSource, services: ImportServices, file: ParsedFile, options: ImportOptions = {}): Promise<ImportReport> {
  const mode = options.mode ?? ImportMode.ALL_OR_NOTHING;
  const dryRun = options.dryRun ?? false;
  const progress = options.onProgress ?? (() => {});

  const report: ImportReport = {
    total: file.rows.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    committed: false,
    dryRun,
    mode,
    problems: [],
    ignoredColumns: file.ignoredColumns,
    message: '',
  };
  if (file.rows.length > MAX_IMPORT_ROWS) {
    file.fatal.push({
      row: 0,
      field: 'fichier',
      reason: `${file.rows.length.toLocaleString('fr-FR')} lignes : un import en compte ${MAX_IMPORT_ROWS.toLocaleString('fr-FR')} au plus, découpez le fichier`,
    });
  }
  if (file.fatal.length) {
    report.problems = file.fatal;
    report.rejected = file.rows.length;
    report.message = 'Fichier refusé : rien n’a été enregistré.';
    return report;
  }
  if (file.rows.length === 0) {
    report.message = 'Aucune ligne à importer.';
    return report;
  }

  // Vocabularies are read before the transaction: inside it only the transaction's connection may be used.
  const vocabularies = await services.actors.vocabularies();
  const total = file.rows.length;
  const built: BuiltRow[] = [];
  for (const raw of file.rows) {
    const b = await buildRow(raw, file.present, vocabularies.taxonomy, vocabularies.known);
    // A row already rejected is still checked against the vocabularies, so every problem shows at once.
    if (b.problems.length) {
      const input = { ...b.input, kind: b.input.kind ?? b.newActor?.kind, sector: b.input.sector ?? b.newActor?.sector };
      mergeProblems(b, prepareRecord(input, undefined, vocabularies).problems);
    }
    built.push(b);
    if (built.length % 500 === 0 || built.length === total) progress({ phase: 'vérification', done: built.length, total });
  }
  rejectRepeatedRows(built);
  const author = options.author ?? null;
  let aggregatesRebuilt = false;
  try {
    await ds.transaction(async (m: EntityManager) => {
      const candidates = built.filter((b) => b.problems.length === 0);
      const matches = await matchExisting(m, candidates);
      const matchedIds = [...new Set([...matches.values()].map((x) => x.id))];
      // Matched actors are locked until commit: what is checked below is what gets written.
      if (author) await ActorRepository.lockMany(m, matchedIds);
      const bases = await services.actors.records(m, matchedIds);
      const reach = author ? await ActorRepository.reach(m, matchedIds) : new Map<string, ActorReach>();
      const communes = [...candidates.map((b) => b.input.communeCode), ...[...bases.values()].map((r) => r.communeCode)];
      const labelPoints = await communePoints(m, [...new Set(communes.filter((c): c is string => !!c))]);
      const identified = candidates.map(({ input: i }) => ({ siret: i.siret ?? null, rna: i.rna ?? null, finess: i.finess ?? null }));
      const holders = await identifierHolders(m, identified);
      const plan = planImport(
        candidates,
        { matches, bases, reach, labelPoints, vocabularies, holders },
        { author, placeInFile: file.present.has('lon') || file.present.has('lat'), defaultSource: options.defaultSource },
      );
      report.created = plan.create.length;
      report.updated = plan.update.length;
      report.unchanged = plan.unchanged;
      report.problems = built.flatMap((b) => b.problems);
      report.rejected = built.filter((b) => b.problems.length > 0).length;
      if (dryRun || (mode === ImportMode.ALL_OR_NOTHING && report.rejected > 0)) throw new Rollback();
      ({ aggregatesRebuilt } = await writePlan(
        m,
        services.actors,
        plan,
        { bases, reach },
        {
          author,
          deferAggregatesFrom: options.deferAggregatesFrom,
          onWritten: (done, writes) => progress({ phase: 'écriture', done, total: writes }),
        },
      ));
    });
    report.committed = true;
    await refreshStatistics(ds, report.created + report.updated, options.analyzeFrom, { aggregatesRebuilt });
  } catch (err) {
    // A number taken by a write committed meanwhile (the unique indexes): CONFLICT naming its actor, and nothing written.
    if (!(err instanceof Rollback)) throw await identifierConflict(ds, err);
  }
  report.problems.sort((a, b) => a.row - b.row);
  report.message = summary(report);
  return report;
}

function summary(r: ImportReport): string {
  const counts = `${r.created} créé(s), ${r.updated} mis à jour, ${r.unchanged} inchangé(s), ${r.rejected} rejeté(s)`;
  if (r.committed) return `Import enregistré : ${counts}.`;
  if (r.dryRun) return `Essai à blanc, rien n’a été enregistré : ${counts}.`;
  return `Import annulé (mode tout ou rien) : ${r.rejected} ligne(s) rejetée(s), rien n’a été enregistré. Sans les rejets : ${r.created} création(s), ${r.updated} mise(s) à jour, ${r.unchanged} inchangé(s).`;
}
