import type { AuthUser } from '../auth/auth.types.js';
import { COLUMN_NAME, normName } from './actor-columns.js';
import type { ImportProblem } from './actor-import-read.js';
import { type BuiltRow, mergeProblems } from './actor-import-rows.js';
import { prepareRecord, type Vocabularies } from './actor-record.js';
import { clashOf, clashReason, type IdentifierHolder } from './actor-identity.js';
import { type ActorReach, NO_REACH } from './actor-review.js';
import { RECORD_FIELDS } from './actor.entity.js';
import { ActorPermissions } from './actor.permissions.js';
import type { ActorRecord, StoredRecord } from './actor.repository.js';

/**
 * How a row designates a stored actor, by priority: its identifiant, then SIRET, RNA, FINESS,
 * SIREN + name, then normalised name + commune (only when no identifier contradicts). The match
 * itself is one query (actor-import-store.ts); this is what it found for a row.
 */
export interface Match {
  id: string;
  prio: 1 | 2 | 3 | 4 | 5 | 6;
}

/** The column of the file by which a row designated a stored actor, and in words. */
const MATCH_FIELDS: Record<Match['prio'], string> = {
  1: COLUMN_NAME.id,
  2: COLUMN_NAME.siret,
  3: COLUMN_NAME.rna,
  4: COLUMN_NAME.finess,
  5: COLUMN_NAME.siren,
  6: COLUMN_NAME.name,
};
const MATCH_LABELS: Record<Match['prio'], string> = {
  1: 'identifiant',
  2: 'SIRET',
  3: 'numéro RNA',
  4: 'numéro FINESS',
  5: 'SIREN et son nom',
  6: 'nom dans la même commune',
};

/**
 * The same actor twice in the file: the later row is rejected (same identifiant, SIRET, RNA,
 * FINESS, or same name in the same commune without a different identifier). Rows already rejected
 * are left out.
 */
export function rejectRepeatedRows(rows: readonly BuiltRow[]): void {
  const seen = new Map<string, number>();
  for (const b of rows) {
    if (b.problems.length) continue;
    const i = b.input;
    const keys: [string, string][] = [];
    if (b.id) keys.push([`id:${b.id}`, `même identifiant`]);
    if (i.siret) keys.push([`siret:${i.siret}`, `même SIRET ${i.siret}`]);
    if (i.rna) keys.push([`rna:${i.rna}`, `même RNA ${i.rna}`]);
    if (i.finess) keys.push([`finess:${i.finess}`, `même FINESS ${i.finess}`]);
    if (i.name) keys.push([`name:${normName(i.name)}:${i.communeCode ?? ''}:${i.siret ?? ''}:${i.rna ?? ''}:${i.finess ?? ''}`, 'même nom et même commune']);
    const dup = keys.find(([k]) => seen.has(k));
    if (dup) b.problems.push({ row: b.row, field: 'ligne', reason: `même acteur que la ligne ${seen.get(dup[0])} (${dup[1]})` });
    else for (const [k] of keys) seen.set(k, b.row);
  }
}

/** What the directory holds for the rows of an import, read in its transaction. */
export interface ImportContext {
  /** The stored actor each row designates, by row number. */
  matches: ReadonlyMap<number, Match>;
  /** The stored records of the matched actors. */
  bases: ReadonlyMap<string, StoredRecord>;
  /** Where the matched actors act, for the edit rule (empty without author). */
  reach: ReadonlyMap<string, ActorReach>;
  /** The label points of the communes involved (where an actor without coordinates stands). */
  labelPoints: ReadonlyMap<string, [number, number]>;
  vocabularies: Vocabularies;
  /** The active actors holding the rows' SIRET, RNA and FINESS numbers (actor-identity.ts); absent: none. */
  holders?: ReadonlyMap<string, IdentifierHolder>;
}

export interface ImportPlanOptions {
  /** The account importing; null: the command line, which may change any actor. */
  author: AuthUser | null;
  /** Whether the file has coordinates columns (otherwise a new commune moves the place). */
  placeInFile: boolean;
  /** Source given to new actors whose `source` cell is empty. */
  defaultSource?: string;
}

export interface ImportPlan {
  create: ActorRecord[];
  update: (ActorRecord & { id: string })[];
  /** Updated actors whose coverage must be resolved again (territories, radius or place changed). */
  coverageIds: string[];
  unchanged: number;
}

/**
 * Decides, without the database, what each valid row does: create an actor, update the stored one
 * it designates (only if something differs), leave it unchanged, or be rejected with its reason
 * (the author may not change that actor, another row already changes it, or its values fail
 * prepareRecord). Rejections are added to the rows' problems.
 */
export function planImport(rows: readonly BuiltRow[], context: ImportContext, options: ImportPlanOptions): ImportPlan {
  const plan: ImportPlan = { create: [], update: [], coverageIds: [], unchanged: 0 };
  const claimed = new Map<string, number>();
  for (const b of rows) {
    if (b.problems.length) continue;
    const match = context.matches.get(b.row);
    const base = match ? context.bases.get(match.id) : undefined;
    if (match && base) {
      const refusal = refusalOf(b, match, base, context, options.author, claimed);
      if (refusal) {
        b.problems.push(refusal);
        continue;
      }
      claimed.set(base.id, b.row);
      // A new commune without new coordinates: the place follows the commune.
      if (!options.placeInFile && b.input.communeCode !== undefined && b.input.communeCode !== base.communeCode) {
        b.input.lon = null;
        b.input.lat = null;
      }
    }
    if (!base && b.input.source == null && options.defaultSource) b.input.source = options.defaultSource;
    if (!base && b.newActor) {
      b.input.kind ??= b.newActor.kind;
      b.input.sector ??= b.newActor.sector;
    }
    const { record, problems } = prepareRecord(b.input, base, context.vocabularies);
    // A number another active actor holds: that actor is named, to be claimed rather than entered twice.
    const clash = record && (!base || base.status === 'ACTIVE') ? clashOf(record, base?.id, context.holders ?? new Map()) : null;
    if (!record) mergeProblems(b, problems);
    else if (clash) b.problems.push({ row: b.row, field: COLUMN_NAME[clash.field], reason: clashReason(clash) });
    else if (!base) plan.create.push(record);
    else {
      const d = differs(base, record, context.labelPoints);
      if (!d.any) plan.unchanged++;
      else {
        plan.update.push({ ...record, id: base.id });
        if (d.coverage) plan.coverageIds.push(base.id);
      }
    }
  }
  return plan;
}

/** Why a row may not change the stored actor it designates, or null. */
function refusalOf(
  b: BuiltRow,
  match: Match,
  base: StoredRecord,
  context: ImportContext,
  author: AuthUser | null,
  claimed: ReadonlyMap<string, number>,
): ImportProblem | null {
  // A row changes only what its author could change one by one (updateActor).
  if (author && !ActorPermissions.canEdit(author, { id: base.id, reach: context.reach.get(base.id) ?? NO_REACH })) {
    return {
      row: b.row,
      field: MATCH_FIELDS[match.prio],
      reason:
        `désigne par son ${MATCH_LABELS[match.prio]} l’acteur enregistré « ${base.name.slice(0, 80)} », que votre compte ne peut pas modifier ` +
        `(seuls les comptes qui le représentent, les analystes ARS de la région où il agit entièrement et les administrateurs le modifient)`,
    };
  }
  const other = claimed.get(base.id);
  if (other !== undefined) {
    return { row: b.row, field: 'ligne', reason: `correspond au même acteur enregistré que la ligne ${other} (« ${base.name.slice(0, 80)} »)` };
  }
  return null;
}

const sameSet = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
};
const near = (a: number | null, b: number | null, eps: number) => (a === null || b === null ? a === b : Math.abs(a - b) <= eps);

/**
 * Whether writing `next` over `base` would change anything a user can see, and whether its
 * coverage (place, radius, commune, territories). Every field of the column map is compared.
 */
export function differs(base: ActorRecord, next: ActorRecord, labelPoints: ReadonlyMap<string, [number, number]>): { any: boolean; coverage: boolean } {
  const place = (r: ActorRecord): [number, number] | null =>
    r.lon !== null && r.lat !== null ? [r.lon, r.lat] : r.communeCode ? (labelPoints.get(r.communeCode) ?? null) : null;
  const p1 = place(base);
  const p2 = place(next);
  const placeChanged = p1 === null || p2 === null ? p1 !== p2 : !near(p1[0], p2[0], 1e-9) || !near(p1[1], p2[1], 1e-9);
  const coverage =
    placeChanged ||
    !near(base.radiusKm, next.radiusKm, 1e-4) ||
    base.communeCode !== next.communeCode ||
    !sameSet(
      base.territories.map((t) => `${t.level}:${t.code}`),
      next.territories.map((t) => `${t.level}:${t.code}`),
    );
  const fieldChanged = RECORD_FIELDS.some((k) => {
    if (k === 'lon' || k === 'lat' || k === 'radiusKm') return false; // compared above, as the place and the coverage
    const [a, b] = [base[k], next[k]];
    if (Array.isArray(a) || Array.isArray(b)) return !sameSet((a ?? []) as string[], (b ?? []) as string[]);
    return (a ?? null) !== (b ?? null);
  });
  return { any: coverage || fieldChanged, coverage };
}
