import { validate, type ValidationError } from 'class-validator';
import type { Taxonomy } from '../themes/theme.service.js';
import { CODE_PATTERNS, TerritoryLevel } from '../territories/territory-level.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { COLUMN_NAME, type ColumnKey, DEFAULT_SECTOR, kindFor, levelFor, sectorFor } from './actor-columns.js';
import type { ActorKind, Sector } from './actor-enums.js';
import type { ImportProblem, RawRow } from './actor-import-read.js';
import type { FieldProblem } from './actor-record.js';
import { CreateActorInput } from './actor.inputs.js';

// From the cells of a file to a CreateActorInput: the import's reading of values (numbers with a
// decimal comma, identifiers a spreadsheet turned into numbers, codes that lost their leading zero,
// lists separated by « | », territories as `niveau:code`).

/** Cells starting with ' before = + - @ were protected against spreadsheet formulas by the export. */
const cellText = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  // A GeoJSON property may be any JSON value: a number or an object is read as JavaScript writes it.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  let t = (typeof v === 'string' ? v : String(v)).trim();
  if (/^'[=+\-@]/.test(t)) t = t.slice(1);
  return t === '' ? null : t;
};

const listOf = (v: unknown): string[] => {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x) => cellText(x)).filter((x): x is string => !!x);
  const t = cellText(v);
  return t
    ? t
        .split('|')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
};

function numberOf(v: unknown): number | null | 'bad' {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 'bad';
  const t = cellText(v);
  if (t === null) return null;
  const normalised = t.replace(/\s/g, '').replace(',', '.');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(normalised)) return 'bad';
  return Number(normalised);
}

const SPREADSHEET_NUMBER = /^\d+([.,]\d+)?E\+?\d+$/i;

function identifierOf(v: unknown, field: string, problems: ImportProblem[], row: number): string | null {
  const t = cellText(v);
  if (t === null) return null;
  if (SPREADSHEET_NUMBER.test(t)) {
    problems.push({
      row,
      field,
      reason: `« ${t.slice(0, 20)} » : le tableur a converti le numéro en nombre ; formatez la colonne en texte et ressaisissez-le`,
    });
    return null;
  }
  return t.replace(/[\s.]/g, '').toUpperCase();
}

/** A 4-digit code whose leading zero a spreadsheet dropped (01053 → 1053). */
const padCode = (t: string | null) => (t !== null && /^\d{4}$/.test(t) ? `0${t}` : t);

function parseTerritory(text: string, known: Set<string>): { level: TerritoryLevel; code: string } | string {
  const m = /^([^:]+):(.+)$/.exec(text);
  if (m) {
    const level = levelFor(m[1]);
    if (!level) return `niveau inconnu « ${m[1].trim().slice(0, 30)} » (commune, arrondissement, epci, ept, departement, region ou pays)`;
    let code = m[2].trim().toUpperCase();
    if (level === TerritoryLevel.DEPARTEMENT && /^\d$/.test(code)) code = `0${code}`;
    if (level === TerritoryLevel.COMMUNE || level === TerritoryLevel.ARRONDISSEMENT) code = padCode(code)!;
    if (level === TerritoryLevel.PAYS && code === 'FRANCE') code = 'FR';
    return { level, code };
  }
  const code = padCode(text.trim().toUpperCase())!;
  if (CODE_PATTERNS.COMMUNE.test(code)) {
    if (known.has(`ARRONDISSEMENT:${code}`)) return { level: TerritoryLevel.ARRONDISSEMENT, code };
    return { level: TerritoryLevel.COMMUNE, code };
  }
  if (/^\d{9}$/.test(code)) return { level: known.has(`EPT:${code}`) ? TerritoryLevel.EPT : TerritoryLevel.EPCI, code };
  if (code === 'FR' || code === 'FRANCE') return { level: TerritoryLevel.PAYS, code: 'FR' };
  return `« ${text.slice(0, 30)} » : précisez le niveau, ex. departement:55, region:44, epci:200066223 ou un code commune INSEE`;
}

const BOOL = new Map([
  ['oui', true],
  ['vrai', true],
  ['true', true],
  ['1', true],
  ['o', true],
  ['yes', true],
  ['non', false],
  ['faux', false],
  ['false', false],
  ['0', false],
  ['n', false],
  ['no', false],
]);

/** class-validator messages without a French text of their own. */
const FALLBACK: Record<string, string> = {
  maxLength: 'texte trop long',
  isLength: 'longueur invalide',
  arrayMaxSize: 'trop d’éléments',
  isEmail: 'le courriel n’est pas valide',
  isUrl: 'le site web doit être une adresse http(s) valide',
  min: 'valeur trop petite',
  max: 'valeur trop grande',
  matches: 'format invalide',
};

/** Report field names: the French column of an input or record field (each input field has the file column of its name). */
export const columnOf = (field: string): string => (field !== 'id' && Object.hasOwn(COLUMN_NAME, field) ? COLUMN_NAME[field as ColumnKey] : field);

function validationProblems(errors: ValidationError[], row: number, out: ImportProblem[], parent?: string): void {
  for (const e of errors) {
    const field = parent ?? columnOf(e.property);
    for (const [name, message] of Object.entries(e.constraints ?? {})) {
      const french = /\b(must|should|shorter|longer)\b/.test(message) ? (FALLBACK[name] ?? 'valeur invalide') : message;
      out.push({ row, field, reason: french });
    }
    if (e.children?.length) validationProblems(e.children, row, out, field);
  }
}

/** A row of the file as an input: what a createActor would receive, and the id it names, if any. */
export interface BuiltRow {
  row: number;
  input: CreateActorInput;
  id: string | null;
  problems: ImportProblem[];
  /** See RawRow.newActor. */
  newActor?: RawRow['newActor'];
}

/** The cells of a row → a CreateActorInput checked by its class-validator constraints, with every problem found. */
export async function buildRow(raw: RawRow, present: Set<ColumnKey>, taxonomy: Taxonomy, known: Set<string>): Promise<BuiltRow> {
  const { row, values } = raw;
  const problems = [...raw.problems];
  const input = new CreateActorInput();
  const text = (key: ColumnKey) => (present.has(key) ? cellText(values[key]) : undefined);
  const set = <K extends keyof CreateActorInput>(k: K, v: CreateActorInput[K] | undefined) => {
    if (v !== undefined) input[k] = v;
  };

  let id: string | null = null;
  const idText = text('id');
  if (idText) {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idText)) id = idText.toLowerCase();
    else
      problems.push({ row, field: COLUMN_NAME.id, reason: `identifiant invalide « ${idText.slice(0, 40)} » (laissez la cellule vide pour un nouvel acteur)` });
  }

  const name = text('name');
  set('name', name ?? undefined);
  for (const key of ['address', 'description', 'email', 'phone', 'website', 'openingHours'] as const) set(key, text(key));
  // An empty source keeps the stored one; a new actor then gets the default source (see importActors).
  set('source', text('source') ?? undefined);

  const kindText = text('kind');
  let kind: ActorKind | undefined;
  if (kindText) {
    kind = kindFor(kindText);
    if (!kind)
      problems.push({
        row,
        field: COLUMN_NAME.kind,
        reason: `nature inconnue « ${kindText.slice(0, 60)} » (ex. association, CPTS, collectivité, service de l’État, agence de l’État, ARS…)`,
      });
    else input.kind = kind;
  }
  const sectorText = text('sector');
  if (sectorText) {
    const sector: Sector | undefined = sectorFor(sectorText);
    if (!sector)
      problems.push({
        row,
        field: COLUMN_NAME.sector,
        reason: `secteur inconnu « ${sectorText.slice(0, 60)} » (santé, social, médico-social, éducation, logement, justice, collectivité, État, recherche, usagers)`,
      });
    else input.sector = sector;
  } else if (kind && DEFAULT_SECTOR[kind]) {
    input.sector = DEFAULT_SECTOR[kind];
  }

  for (const key of ['siren', 'siret', 'rna', 'finess'] as const) {
    if (present.has(key)) input[key] = identifierOf(values[key], COLUMN_NAME[key], problems, row);
  }
  if (present.has('postalCode')) input.postalCode = padCode(cellText(values.postalCode));
  if (present.has('communeCode')) input.communeCode = padCode(cellText(values.communeCode)?.toUpperCase() ?? null);

  for (const key of ['lat', 'lon', 'radiusKm'] as const) {
    if (!present.has(key)) continue;
    const n = numberOf(values[key]);
    if (n === 'bad') {
      problems.push({
        row,
        field: COLUMN_NAME[key],
        reason: `nombre attendu, lu « ${String(values[key]).trim().slice(0, 30)} » (ex. ${key === 'radiusKm' ? '10' : '49,1598'})`,
      });
    } else input[key] = n;
  }
  // Coordinates outside France's longitude/latitude order are a common inversion: say so.
  if (typeof input.lat === 'number' && typeof input.lon === 'number' && Math.abs(input.lat) > 90 && Math.abs(input.lon) <= 90) {
    problems.push({ row, field: COLUMN_NAME.lat, reason: `latitude ${input.lat} hors de [-90, 90] : latitude et longitude inversées ?` });
    delete input.lat;
  }

  if (present.has('themes')) {
    const codes: string[] = [];
    for (const t of listOf(values.themes)) {
      const theme = taxonomy.findTheme(t);
      if (theme) codes.push(theme.code);
      else problems.push({ row, field: COLUMN_NAME.themes, reason: `thème inconnu « ${t.slice(0, 60)} » (code, libellé ou code data·inclusion attendu)` });
    }
    input.themes = [...new Set(codes)];
  }
  if (present.has('audiences')) {
    const codes: string[] = [];
    for (const a of listOf(values.audiences)) {
      const audience = taxonomy.findAudience(a);
      if (audience) codes.push(audience.code);
      else problems.push({ row, field: COLUMN_NAME.audiences, reason: `public inconnu « ${a.slice(0, 60)} »` });
    }
    input.audiences = [...new Set(codes)];
  }
  if (present.has('territories')) {
    const refs: TerritoryRefInput[] = [];
    for (const t of listOf(values.territories)) {
      const ref = parseTerritory(t, known);
      if (typeof ref === 'string') problems.push({ row, field: COLUMN_NAME.territories, reason: ref });
      else refs.push(Object.assign(new TerritoryRefInput(), ref));
    }
    input.territories = refs;
  }
  if (present.has('isDemo')) {
    const t = cellText(values.isDemo);
    if (typeof values.isDemo === 'boolean') input.isDemo = values.isDemo;
    else if (t !== null) {
      const b = BOOL.get(t.toLowerCase());
      if (b === undefined) problems.push({ row, field: COLUMN_NAME.isDemo, reason: `oui ou non attendu, lu « ${t.slice(0, 20)} »` });
      else input.isDemo = b;
    }
  }

  const errors = await validate(input);
  const checks: ImportProblem[] = [];
  validationProblems(errors, row, checks);
  // A field already reported while reading is not reported twice.
  const reported = new Set(problems.map((p) => p.field));
  problems.push(...checks.filter((p) => !reported.has(p.field)));
  return { row, input, id, problems, newActor: raw.newActor };
}

/** Adds the problems found by prepareRecord, except on fields already reported for the row. */
export function mergeProblems(b: BuiltRow, problems: readonly FieldProblem[]): void {
  const reported = new Set(b.problems.map((p) => p.field));
  // An unknown commune also leaves the actor without a territory: one problem is enough.
  const communeBad = problems.some((p) => p.field === 'communeCode') || reported.has(COLUMN_NAME.communeCode);
  for (const p of problems) {
    if (communeBad && p.field === 'territories' && p.reason.startsWith('indiquez')) continue;
    const field = columnOf(p.field);
    if (!reported.has(field)) b.problems.push({ row: b.row, field, reason: p.reason });
  }
}
