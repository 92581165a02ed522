import { parse as parseCsvText } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { validate, type ValidationError } from 'class-validator';
import { registerEnumType } from 'type-graphql';
import type { DataSource, EntityManager } from 'typeorm';
import type { Taxonomy, ThemeService } from '../themes/theme.service.js';
import { CODE_PATTERNS, TerritoryLevel } from '../territories/territory-level.js';
import type { TerritoryService } from '../territories/territory.service.js';
import {
  COLUMN_NAME,
  type ColumnKey,
  columnFor,
  DEFAULT_SECTOR,
  kindFor,
  levelFor,
  normName,
  sectorFor,
} from './actor-columns.js';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { type ActorKind, ReviewStatus, type Sector } from './actor-enums.js';
import { ActorReview, NO_REACH, type ReviewDecision } from './actor-review.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { CreateActorInput } from './actor.inputs.js';
import { ActorPermissions } from './actor.permissions.js';
import { type ActorRecord, ActorService } from './actor.service.js';
import { rebuildPaysOff } from '../gaps/gap-aggregates.js';

export enum ImportFormat {
  CSV = 'CSV',
  GEOJSON = 'GEOJSON',
}

export enum ImportMode {
  ALL_OR_NOTHING = 'ALL_OR_NOTHING',
  VALID_ONLY = 'VALID_ONLY',
}

registerEnumType(ImportFormat, {
  name: 'ImportFormat',
  description: 'Format d’un fichier d’acteurs',
  valuesConfig: {
    CSV: { description: 'CSV (séparateur « ; » ou « , », UTF-8)' },
    GEOJSON: { description: 'GeoJSON : FeatureCollection de points' },
  },
});
registerEnumType(ImportMode, {
  name: 'ImportMode',
  description: 'Que faire des lignes valides quand d’autres sont rejetées',
  valuesConfig: {
    ALL_OR_NOTHING: { description: 'Tout ou rien : une seule ligne rejetée et rien n’est enregistré' },
    VALID_ONLY: { description: 'Enregistrer les lignes valides, écarter les autres' },
  },
});

/** One problem of one row: `row` is the line as a spreadsheet numbers it (header = 1), or the feature number in GeoJSON. */
export interface ImportProblem {
  row: number;
  field: string;
  reason: string;
}

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
}

/** Most rows one import takes. */
export const MAX_IMPORT_ROWS = 100_000;
/**
 * Actors written (and their coverage resolved, or their review status settled) per statement.
 * Every statement that writes coverage keeps the gap aggregates up to date in its own triggers:
 * for 1,000 actors of a région (15 % of them on a whole département) that is ~300,000 commune
 * counts in one statement, 10–13 s on the load-test base, near the 15 s statement timeout.
 * A quarter of that stays well under it; the whole import is still one transaction.
 */
const WRITE_BATCH = 250;
/** From this many writes the sorts of the coverage and aggregates get more memory. */
const LARGE_WRITE = 1000;
/** From this many writes (and half the directory, see rebuildPaysOff), the gap aggregates are rebuilt once rather than kept up by triggers. */
const BULK_DEFER_ROWS = 3000;

type Values = Partial<Record<ColumnKey, unknown>>;

interface RawRow {
  row: number;
  values: Values;
  /** Problems found while reading (encoding, geometry). */
  problems: ImportProblem[];
}

interface ParsedFile {
  rows: RawRow[];
  /** Columns present in the file (CSV) or in at least one feature (GeoJSON). */
  present: Set<ColumnKey>;
  ignoredColumns: string[];
  /** Problems that concern the whole file: nothing can be imported. */
  fatal: ImportProblem[];
}

class Rollback extends Error {}

// ---------------------------------------------------------------------------------------------
// Reading

const BOM = '\uFEFF';

/**
 * Decodes a byte input line by line, so that a file mostly in UTF-8 with a few lines pasted from
 * another encoding is reported line by line. Returns the text and the lines (1-based) that are
 * not valid UTF-8, decoded as Windows-1252 for the hint.
 */
function decode(input: Buffer | string, encoding: 'utf-8' | 'windows-1252'): { text: string; badLines: Map<number, string> } {
  const badLines = new Map<number, string>();
  if (typeof input === 'string') {
    const text = input.startsWith(BOM) ? input.slice(1) : input;
    // Text already decoded by a client: a replacement character betrays a file read with the wrong encoding.
    text.split('\n').forEach((line, i) => {
      if (line.includes('\uFFFD')) badLines.set(i + 1, line);
    });
    return { text, badLines };
  }
  let bytes = input;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (encoding === 'windows-1252') return { text: iconv.decode(bytes, 'win1252'), badLines };
  const strict = new TextDecoder('utf-8', { fatal: true });
  try {
    return { text: strict.decode(bytes), badLines };
  } catch {
    // Find the faulty lines; \n is the same byte in UTF-8 and Windows-1252.
  }
  const parts: string[] = [];
  let start = 0;
  let line = 1;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const chunk = bytes.subarray(start, end);
    try {
      parts.push(strict.decode(chunk));
    } catch {
      const guess = iconv.decode(chunk, 'win1252');
      badLines.set(line, guess);
      parts.push(guess);
    }
    start = end + 1;
    line++;
  }
  return { text: parts.join('\n'), badLines };
}

/** The separator of a CSV: the most frequent of `;`, `,` and tab on the header line, outside quotes. */
function detectDelimiter(text: string): string {
  const counts = new Map<string, number>([[';', 0], [',', 0], ['\t', 0]]);
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ';';
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

function encodingReason(sample: string): string {
  const excerpt = sample.trim().slice(0, 60);
  return (
    `caractères illisibles : le fichier n’est pas en UTF-8 (il semble enregistré en Windows-1252/Latin-1` +
    `${excerpt ? `, ligne lue « ${excerpt} »` : ''}) ; réenregistrez-le au format « CSV UTF-8 » ` +
    `ou relancez l’import avec l’option --latin1`
  );
}

export function readCsv(input: Buffer | string, encoding: 'utf-8' | 'windows-1252'): ParsedFile {
  const decoded = decode(input, encoding);
  const { badLines } = decoded;
  let { text } = decoded;
  // Excel's "sep=;" first line names the separator; it is blanked (line numbers stay those of the file).
  const sep = /^sep=(.)[ \t]*(?=\r?\n)/i.exec(text);
  if (sep) text = text.slice(sep[0].length);
  const delimiter = sep ? sep[1] : detectDelimiter(text.replace(/^\s*\n/, ''));
  let records: { record: string[]; info: { lines: number; raw?: string } }[];
  try {
    records = parseCsvText(text, {
      delimiter,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as any;
  } catch (err: any) {
    const line = typeof err?.lines === 'number' ? err.lines : 1;
    return {
      rows: [],
      present: new Set(),
      ignoredColumns: [],
      fatal: [{ row: line, field: 'fichier', reason: `CSV illisible vers la ligne ${line} : guillemet non refermé ou ligne mal formée` }],
    };
  }
  if (records.length === 0) {
    return { rows: [], present: new Set(), ignoredColumns: [], fatal: [{ row: 1, field: 'fichier', reason: 'le fichier est vide' }] };
  }
  const startLine = (r: { info: { lines: number; raw?: string } }) => {
    // The raw text of a record also holds the blank lines skipped before it.
    const raw = (r.info.raw ?? '').replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\r?\n$/, '');
    return r.info.lines - (raw.match(/\n/g)?.length ?? 0);
  };
  const [head, ...body] = records;
  const headerLine = startLine(head);
  const fatal: ImportProblem[] = [];
  if (badLines.has(headerLine)) fatal.push({ row: headerLine, field: 'fichier', reason: encodingReason(badLines.get(headerLine)!) });
  const columns: (ColumnKey | undefined)[] = [];
  const present = new Set<ColumnKey>();
  const ignoredColumns: string[] = [];
  head.record.forEach((h, i) => {
    const key = columnFor(h);
    if (key && present.has(key)) {
      fatal.push({ row: headerLine, field: COLUMN_NAME[key], reason: `colonne en double (« ${h.trim()} », colonne ${i + 1})` });
      columns.push(undefined);
    } else {
      columns.push(key);
      if (key) present.add(key);
      else if (h.trim()) ignoredColumns.push(h.trim());
    }
  });
  if (!present.has('name')) {
    fatal.push({ row: headerLine, field: 'nom', reason: 'colonne « nom » absente de la première ligne (les en-têtes attendus : nom, type, secteur, commune, thematiques…)' });
  }
  const rows: RawRow[] = body.map((r) => {
    const row = startLine(r);
    const values: Values = {};
    columns.forEach((key, i) => {
      if (key && r.record[i] !== undefined) values[key] = r.record[i];
    });
    const problems: ImportProblem[] = [];
    const lastLine = r.info.lines;
    for (let l = row; l <= lastLine; l++) {
      if (badLines.has(l)) {
        problems.push({ row, field: 'encodage', reason: encodingReason(badLines.get(l)!) });
        break;
      }
    }
    if (r.record.length > columns.length && r.record.slice(columns.length).some((c) => c.trim() !== '')) {
      problems.push({ row, field: 'fichier', reason: `${r.record.length} cellules pour ${columns.length} colonnes : un séparateur en trop ?` });
    }
    return { row, values, problems };
  });
  return { rows, present, ignoredColumns, fatal };
}

export function readGeoJson(input: Buffer | string): ParsedFile {
  const fail = (reason: string): ParsedFile => ({ rows: [], present: new Set(), ignoredColumns: [], fatal: [{ row: 0, field: 'fichier', reason }] });
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return fail('le fichier n’est pas en UTF-8 (un GeoJSON est toujours en UTF-8)');
    }
  }
  if (text.startsWith(BOM)) text = text.slice(1);
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail('JSON invalide : le fichier n’est pas un GeoJSON lisible');
  }
  if (!doc || doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) {
    return fail('un GeoJSON d’acteurs doit être une FeatureCollection (« type »: « FeatureCollection », « features »: [...])');
  }
  const present = new Set<ColumnKey>();
  const ignored = new Set<string>();
  const rows: RawRow[] = doc.features.map((f: any, i: number) => {
    const row = i + 1;
    const values: Values = {};
    const problems: ImportProblem[] = [];
    if (!f || typeof f !== 'object' || f.type !== 'Feature') {
      problems.push({ row, field: 'fichier', reason: 'entité GeoJSON invalide (« type »: « Feature » attendu)' });
      return { row, values, problems };
    }
    const props = f.properties && typeof f.properties === 'object' ? f.properties : {};
    for (const [k, v] of Object.entries(props)) {
      const key = columnFor(k);
      if (key) {
        values[key] = v;
        present.add(key);
      } else ignored.add(k);
    }
    if (f.id !== undefined && values.id === undefined && typeof f.id === 'string' && /^[0-9a-f-]{36}$/i.test(f.id)) {
      values.id = f.id;
      present.add('id');
    }
    const g = f.geometry;
    if (g) {
      if (g.type !== 'Point' || !Array.isArray(g.coordinates) || g.coordinates.length < 2) {
        problems.push({ row, field: 'geometrie', reason: `seuls les points sont acceptés (géométrie « ${String(g.type).slice(0, 30)} »)` });
      } else {
        const [lon, lat] = g.coordinates;
        if (typeof lon !== 'number' || typeof lat !== 'number') {
          problems.push({ row, field: 'geometrie', reason: 'coordonnées du point non numériques' });
        } else {
          values.lon = lon;
          values.lat = lat;
          present.add('lon');
          present.add('lat');
        }
      }
    }
    return { row, values, problems };
  });
  if (!present.has('name') && rows.length) {
    return { rows: [], present, ignoredColumns: [...ignored], fatal: [{ row: 0, field: 'nom', reason: 'aucune entité n’a de propriété « nom »' }] };
  }
  return { rows, present, ignoredColumns: [...ignored], fatal: [] };
}

// ---------------------------------------------------------------------------------------------
// From cells to a CreateActorInput

/** Cells starting with ' before = + - @ were protected against spreadsheet formulas by the export. */
const cellText = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  let t = (typeof v === 'string' ? v : String(v)).trim();
  if (/^'[=+\-@]/.test(t)) t = t.slice(1);
  return t === '' ? null : t;
};

const listOf = (v: unknown): string[] => {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x) => cellText(x)).filter((x): x is string => !!x);
  const t = cellText(v);
  return t ? t.split('|').map((x) => x.trim()).filter(Boolean) : [];
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
    problems.push({ row, field, reason: `« ${t.slice(0, 20)} » : le tableur a converti le numéro en nombre ; formatez la colonne en texte et ressaisissez-le` });
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
  ['oui', true], ['vrai', true], ['true', true], ['1', true], ['o', true], ['yes', true],
  ['non', false], ['faux', false], ['false', false], ['0', false], ['n', false], ['no', false],
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

const INPUT_FIELD_TO_COLUMN: Record<string, ColumnKey> = {
  name: 'name', kind: 'kind', sector: 'sector', siren: 'siren', siret: 'siret', rna: 'rna', finess: 'finess',
  address: 'address', postalCode: 'postalCode', communeCode: 'communeCode', lon: 'lon', lat: 'lat',
  description: 'description', email: 'email', phone: 'phone', website: 'website', themes: 'themes',
  audiences: 'audiences', territories: 'territories', radiusKm: 'radiusKm', source: 'source', isDemo: 'isDemo',
};

/** Report field names: the French column of an input or record field. */
export const columnOf = (field: string): string => {
  const key = INPUT_FIELD_TO_COLUMN[field];
  return key ? COLUMN_NAME[key] : field;
};

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

interface BuiltRow {
  row: number;
  input: CreateActorInput;
  id: string | null;
  problems: ImportProblem[];
}

async function buildRow(raw: RawRow, present: Set<ColumnKey>, taxonomy: Taxonomy, known: Set<string>): Promise<BuiltRow> {
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
    else problems.push({ row, field: COLUMN_NAME.id, reason: `identifiant invalide « ${idText.slice(0, 40)} » (laissez la cellule vide pour un nouvel acteur)` });
  }

  const name = text('name');
  set('name', name ?? undefined);
  for (const key of ['address', 'description', 'email', 'phone', 'website'] as const) set(key, text(key));
  // An empty source keeps the stored one; a new actor then gets the default source (see importActors).
  set('source', text('source') ?? undefined);

  const kindText = text('kind');
  let kind: ActorKind | undefined;
  if (kindText) {
    kind = kindFor(kindText);
    if (!kind) problems.push({ row, field: COLUMN_NAME.kind, reason: `nature inconnue « ${kindText.slice(0, 60)} » (ex. association, CPTS, collectivité, service de l’État, agence de l’État, ARS…)` });
    else input.kind = kind;
  }
  const sectorText = text('sector');
  if (sectorText) {
    const sector: Sector | undefined = sectorFor(sectorText);
    if (!sector) problems.push({ row, field: COLUMN_NAME.sector, reason: `secteur inconnu « ${sectorText.slice(0, 60)} » (santé, social, médico-social, éducation, logement, justice, collectivité, État, recherche, usagers)` });
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
      problems.push({ row, field: COLUMN_NAME[key], reason: `nombre attendu, lu « ${String(values[key]).trim().slice(0, 30)} » (ex. ${key === 'radiusKm' ? '10' : '49,1598'})` });
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
  return { row, input, id, problems };
}

// ---------------------------------------------------------------------------------------------
// Comparing

type StoredRecord = ActorRecord & { version: number; status: string; review_status: ReviewStatus };

const sameSet = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
};
const near = (a: number | null, b: number | null, eps: number) => (a === null || b === null ? a === b : Math.abs(a - b) <= eps);

/** Whether writing `next` over `base` would change anything a user can see. */
function differs(base: StoredRecord, next: ActorRecord, labelPoints: Map<string, [number, number]>): { any: boolean; coverage: boolean } {
  const place = (r: ActorRecord): [number, number] | null =>
    r.lon !== null && r.lat !== null ? [r.lon, r.lat] : r.commune_code ? (labelPoints.get(r.commune_code) ?? null) : null;
  const p1 = place(base);
  const p2 = place(next);
  const placeChanged = p1 === null || p2 === null ? p1 !== p2 : !near(p1[0], p2[0], 1e-9) || !near(p1[1], p2[1], 1e-9);
  const coverage =
    placeChanged ||
    !near(base.radius_km, next.radius_km, 1e-4) ||
    base.commune_code !== next.commune_code ||
    !sameSet(base.territories.map((t) => `${t.level}:${t.code}`), next.territories.map((t) => `${t.level}:${t.code}`));
  const scalar = (['name', 'kind', 'sector', 'siren', 'siret', 'rna', 'finess', 'address', 'postal_code', 'description', 'email', 'phone', 'website', 'is_demo', 'source'] as const).some(
    (k) => (base[k] ?? null) !== (next[k] ?? null),
  );
  const lists = !sameSet(base.themes, next.themes) || !sameSet(base.audiences, next.audiences);
  return { any: coverage || scalar || lists, coverage };
}

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
  const mode = options.mode ?? ImportMode.ALL_OR_NOTHING;
  const dryRun = options.dryRun ?? false;
  const progress = options.onProgress ?? (() => {});
  const file = format === ImportFormat.GEOJSON ? readGeoJson(input) : readCsv(input, options.encoding ?? 'utf-8');

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
    file.fatal.push({ row: 0, field: 'fichier', reason: `${file.rows.length.toLocaleString('fr-FR')} lignes : un import en compte ${MAX_IMPORT_ROWS.toLocaleString('fr-FR')} au plus, découpez le fichier` });
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
  const taxonomy = await services.themes.taxonomy();
  const known = await services.territories.knownKeys();

  const total = file.rows.length;
  const built: BuiltRow[] = [];
  for (const raw of file.rows) {
    const b = await buildRow(raw, file.present, taxonomy, known);
    // A row already rejected is still checked against the vocabularies, so every problem shows at once.
    if (b.problems.length) mergeProblems(b, (await services.actors.prepare(b.input)).problems);
    built.push(b);
    if (built.length % 500 === 0 || built.length === total) progress({ phase: 'vérification', done: built.length, total });
  }

  // The same actor twice in the file: the later row is rejected.
  const seen = new Map<string, number>();
  for (const b of built) {
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

  const toCreate: ActorRecord[] = [];
  const toUpdate: (ActorRecord & { id: string })[] = [];
  const coverageIds: string[] = [];
  const author = options.author ?? null;

  try {
    await ds.transaction(async (m: EntityManager) => {
      const candidates = built.filter((b) => b.problems.length === 0);
      const matches = await matchExisting(m, candidates);
      const matchedIds = [...new Set([...matches.values()].map((x) => x.id))];
      // Matched actors are locked until commit: what is checked below is what gets written.
      if (author && matchedIds.length) await m.query(`SELECT 1 FROM actor WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [matchedIds]);
      const bases = await services.actors.records(m, matchedIds);
      const reachBefore = author ? await ActorService.reach(m, matchedIds) : new Map();
      const labelPoints = await communePoints(m, [
        ...new Set([...candidates.map((b) => b.input.communeCode), ...[...bases.values()].map((r) => r.commune_code)].filter((c): c is string => !!c)),
      ]);
      const claimed = new Map<string, number>();
      for (const b of candidates) {
        const match = matches.get(b.row);
        const base = match ? bases.get(match.id) : undefined;
        if (base) {
          // A row changes only what its author could change one by one (updateActor).
          if (author && !ActorPermissions.canEdit(author, { id: base.id!, reach: reachBefore.get(base.id!) ?? NO_REACH })) {
            b.problems.push({
              row: b.row,
              field: MATCH_FIELDS[match!.prio],
              reason:
                `désigne par son ${MATCH_LABELS[match!.prio]} l’acteur enregistré « ${base.name.slice(0, 80)} », que votre compte ne peut pas modifier ` +
                `(seuls les comptes qui le représentent, les analystes ARS de la région où il agit entièrement et les administrateurs le modifient)`,
            });
            continue;
          }
          const other = claimed.get(base.id!);
          if (other !== undefined) {
            b.problems.push({ row: b.row, field: 'ligne', reason: `correspond au même acteur enregistré que la ligne ${other} (« ${base.name.slice(0, 80)} »)` });
            continue;
          }
          claimed.set(base.id!, b.row);
          // A new commune without new coordinates: the place follows the commune.
          if (!file.present.has('lon') && !file.present.has('lat') && b.input.communeCode !== undefined && b.input.communeCode !== base.commune_code) {
            b.input.lon = null;
            b.input.lat = null;
          }
        }
        if (!base && b.input.source == null && options.defaultSource) b.input.source = options.defaultSource;
        const { record, problems } = await services.actors.prepare(b.input, base);
        if (!record) {
          mergeProblems(b, problems);
          continue;
        }
        if (!base) {
          toCreate.push(record);
          continue;
        }
        const d = differs(base, record, labelPoints);
        if (!d.any) {
          report.unchanged++;
          continue;
        }
        toUpdate.push({ ...record, id: base.id! });
        if (d.coverage) coverageIds.push(base.id!);
      }
      report.created = toCreate.length;
      report.updated = toUpdate.length;
      report.problems = built.flatMap((b) => b.problems);
      report.rejected = built.filter((b) => b.problems.length > 0).length;
      if (dryRun || (mode === ImportMode.ALL_OR_NOTHING && report.rejected > 0)) throw new Rollback();
      const writes = toCreate.length + toUpdate.length;
      // A large import rebuilds the gap aggregates once at the end instead of maintaining them by
      // triggers statement by statement (see the gap-aggregates migration).
      // A rebuild recomputes the whole directory (minutes for 100,000 actors): it pays off only when
      // the import rewrites a large share of it; otherwise the triggers' cost follows the import's size.
      const [{ has_rebuild: hasRebuild, actors: existing }] = await m.query(
        `SELECT to_regproc('gap_rebuild') IS NOT NULL AS has_rebuild, (SELECT count(*)::int FROM actor) AS actors`,
      );
      const deferAggregates =
        hasRebuild &&
        (options.deferAggregatesFrom !== undefined ? writes >= options.deferAggregatesFrom : rebuildPaysOff(writes, existing, BULK_DEFER_ROWS));
      if (deferAggregates) await m.query(`SET LOCAL app.gap_aggregates_deferred = 'on'`);
      // Coverage of a thousand actors sorts hundreds of thousands of rows: keep the sorts in memory.
      if (writes >= LARGE_WRITE) await m.query(`SET LOCAL work_mem = '64MB'`);
      let done = 0;
      // New actors of an administrator (or the command line) count at once; an analyst's start
      // pending (touching no aggregate) until the review rule is applied below.
      const knownReview = !author || author.role !== UserRole.ANALYST ? ActorReview.onCreate(author, NO_REACH) : null;
      const createdIds: string[] = [];
      for (let i = 0; i < toCreate.length; i += WRITE_BATCH) {
        const batch = toCreate.slice(i, i + WRITE_BATCH);
        createdIds.push(...(await services.actors.insertMany(m, batch, knownReview?.status ?? ReviewStatus.PENDING_REVIEW)));
        done += batch.length;
        progress({ phase: 'écriture', done, total: writes });
      }
      for (let i = 0; i < toUpdate.length; i += WRITE_BATCH) {
        const batch = toUpdate.slice(i, i + WRITE_BATCH);
        await services.actors.updateMany(m, batch, coverageIds);
        done += batch.length;
        progress({ phase: 'écriture', done, total: writes });
      }
      if (author) {
        // The same moderation as one by one (createActor, updateActor), before any rebuild of the aggregates.
        const changed = new Set(coverageIds);
        const reachAfter = await ActorService.reach(m, [...(knownReview ? [] : createdIds), ...coverageIds]);
        const changes: { id: string; from: ReviewStatus | null; decision: ReviewDecision }[] = createdIds.map((id) => ({
          id,
          from: null,
          decision: knownReview ?? ActorReview.onCreate(author, reachAfter.get(id) ?? NO_REACH),
        }));
        for (const r of toUpdate) {
          const before = reachBefore.get(r.id) ?? NO_REACH;
          const current = bases.get(r.id)!.review_status;
          const decision = ActorReview.onUpdate(author, current, before, changed.has(r.id) ? (reachAfter.get(r.id) ?? NO_REACH) : before, r.id);
          if (decision) changes.push({ id: r.id, from: current, decision });
        }
        // Validating an analyst's new actors counts them in the aggregates (the actor trigger): as many per statement as written above.
        for (let i = 0; i < changes.length; i += WRITE_BATCH) await services.actors.settleReview(m, author.id, changes.slice(i, i + WRITE_BATCH));
      }
      if (deferAggregates) {
        // The rebuild is the directory's own upkeep, bounded by its size (seconds for a few thousand
        // actors): the request timeout, meant for runaway queries, does not apply to it.
        await m.query(`SET LOCAL statement_timeout = 0`);
        await m.query(`SELECT gap_rebuild()`);
        await m.query(`SET LOCAL app.gap_aggregates_deferred = 'off'`);
      }
    });
    report.committed = true;
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  report.problems.sort((a, b) => a.row - b.row);
  report.message = summary(report);
  return report;
}

/** Adds the problems found by ActorService.prepare, except on fields already reported for the row. */
function mergeProblems(b: BuiltRow, problems: { field: string; reason: string }[]): void {
  const reported = new Set(b.problems.map((p) => p.field));
  // An unknown commune also leaves the actor without a territory: one problem is enough.
  const communeBad = problems.some((p) => p.field === 'communeCode') || reported.has(COLUMN_NAME.communeCode);
  for (const p of problems) {
    if (communeBad && p.field === 'territories' && p.reason.startsWith('indiquez')) continue;
    const field = columnOf(p.field);
    if (!reported.has(field)) b.problems.push({ row: b.row, field, reason: p.reason });
  }
}

function summary(r: ImportReport): string {
  const counts = `${r.created} créé(s), ${r.updated} mis à jour, ${r.unchanged} inchangé(s), ${r.rejected} rejeté(s)`;
  if (r.committed) return `Import enregistré : ${counts}.`;
  if (r.dryRun) return `Essai à blanc, rien n’a été enregistré : ${counts}.`;
  return `Import annulé (mode tout ou rien) : ${r.rejected} ligne(s) rejetée(s), rien n’a été enregistré. Sans les rejets : ${r.created} création(s), ${r.updated} mise(s) à jour, ${r.unchanged} inchangé(s).`;
}

/** The column of the file by which a row designated a stored actor (priority of matchExisting), and in words. */
const MATCH_FIELDS: Record<number, string> = { 1: COLUMN_NAME.id, 2: COLUMN_NAME.siret, 3: COLUMN_NAME.rna, 4: COLUMN_NAME.finess, 5: COLUMN_NAME.siren, 6: COLUMN_NAME.name };
const MATCH_LABELS: Record<number, string> = { 1: 'identifiant', 2: 'SIRET', 3: 'numéro RNA', 4: 'numéro FINESS', 5: 'SIREN et son nom', 6: 'nom dans la même commune' };

/**
 * Finds the stored actor each row designates, in one query: by identifiant, then SIRET, RNA,
 * FINESS, SIREN + name, then normalised name + commune (only when no identifier contradicts).
 */
async function matchExisting(m: EntityManager, rows: BuiltRow[]): Promise<Map<number, { id: string; prio: number }>> {
  const out = new Map<number, { id: string; prio: number }>();
  if (rows.length === 0) return out;
  const keys = rows.map((b) => ({
    i: b.row,
    id: b.id,
    siret: b.input.siret ?? null,
    siren: b.input.siren ?? null,
    rna: b.input.rna ?? null,
    finess: b.input.finess ?? null,
    name: b.input.name ?? null,
    commune_code: b.input.communeCode ?? null,
  }));
  for (let i = 0; i < keys.length; i += 5000) {
    const found: { i: number; id: string; prio: number }[] = await m.query(
      `WITH r AS (SELECT r.*, public.f_norm(r.name) AS norm
                  FROM json_to_recordset($1::json) AS r(i int, id uuid, siret text, siren text, rna text, finess text, name text, commune_code text))
       SELECT DISTINCT ON (r.i) r.i, x.id, x.prio
       FROM r CROSS JOIN LATERAL (
         SELECT a.id, 1 AS prio, a.created_at FROM actor a WHERE r.id IS NOT NULL AND a.id = r.id
         UNION ALL SELECT a.id, 2, a.created_at FROM actor a WHERE r.siret IS NOT NULL AND a.siret = r.siret
         UNION ALL SELECT a.id, 3, a.created_at FROM actor a WHERE r.rna IS NOT NULL AND a.rna = r.rna
         UNION ALL SELECT a.id, 4, a.created_at FROM actor a WHERE r.finess IS NOT NULL AND a.finess = r.finess
         UNION ALL SELECT a.id, 5, a.created_at FROM actor a
           WHERE r.siren IS NOT NULL AND a.siren = r.siren AND a.search_name = r.norm
             AND (a.siret IS NULL OR r.siret IS NULL OR a.siret = r.siret)
         UNION ALL SELECT a.id, 6, a.created_at FROM actor a
           WHERE a.search_name = r.norm
             AND (a.commune_code = r.commune_code OR (a.commune_code IS NULL AND r.commune_code IS NULL))
             AND (a.siret IS NULL OR r.siret IS NULL OR a.siret = r.siret)
             AND (a.rna IS NULL OR r.rna IS NULL OR a.rna = r.rna)
             AND (a.finess IS NULL OR r.finess IS NULL OR a.finess = r.finess)
       ) x
       ORDER BY r.i, x.prio, x.created_at, x.id`,
      [JSON.stringify(keys.slice(i, i + 5000))],
    );
    for (const f of found) out.set(Number(f.i), { id: f.id, prio: Number(f.prio) });
  }
  return out;
}

/** The label point of communes (where an actor without coordinates is placed). */
async function communePoints(m: EntityManager, codes: string[]): Promise<Map<string, [number, number]>> {
  const out = new Map<string, [number, number]>();
  if (codes.length === 0) return out;
  const rows: { code: string; lon: number; lat: number }[] = await m.query(
    `SELECT DISTINCT ON (code) code, ST_X(label_point) AS lon, ST_Y(label_point) AS lat FROM territory
     WHERE code = ANY($1::text[]) AND level IN ('COMMUNE','ARRONDISSEMENT') AND label_point IS NOT NULL ORDER BY code, level`,
    [codes],
  );
  for (const r of rows) out.set(r.code, [Number(r.lon), Number(r.lat)]);
  return out;
}
