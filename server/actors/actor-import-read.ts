import { parse as parseCsvText } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { COLUMN_NAME, type ColumnKey, columnFor } from './actor-columns.js';
import type { ActorKind, Sector } from './actor-enums.js';

/** One problem of one row: `row` is the line as a spreadsheet numbers it (header = 1), or the feature number in GeoJSON. */
export interface ImportProblem {
  row: number;
  field: string;
  reason: string;
}

export type Values = Partial<Record<ColumnKey, unknown>>;

export interface RawRow {
  row: number;
  values: Values;
  /** Problems found while reading (encoding, geometry). */
  problems: ImportProblem[];
  /** Kind and sector a new actor gets when the row gives none (a format without them, e.g. data·inclusion); never applied to a stored actor. */
  newActor?: { kind: ActorKind; sector: Sector };
}

export interface ParsedFile {
  rows: RawRow[];
  /** Columns present in the file (CSV) or in at least one feature (GeoJSON). */
  present: Set<ColumnKey>;
  ignoredColumns: string[];
  /** Problems that concern the whole file: nothing can be imported. */
  fatal: ImportProblem[];
}

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
  const counts = new Map<string, number>([
    [';', 0],
    [',', 0],
    ['\t', 0],
  ]);
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
    }) as unknown as typeof records;
  } catch (err) {
    const lines = (err as { lines?: unknown } | null)?.lines;
    const line = typeof lines === 'number' ? lines : 1;
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
    fatal.push({
      row: headerLine,
      field: 'nom',
      reason: 'colonne « nom » absente de la première ligne (les en-têtes attendus : nom, type, secteur, commune, thematiques…)',
    });
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

/** A feature as parsed: every member unknown until checked. */
interface LooseFeature {
  type?: unknown;
  id?: unknown;
  properties?: unknown;
  geometry?: { type?: unknown; coordinates?: unknown } | null;
}

/** The text of a JSON file (always UTF-8), without its BOM; null if the bytes are not UTF-8. */
export function utf8Text(input: Buffer | string): string | null {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return null;
    }
  }
  return text.startsWith(BOM) ? text.slice(1) : text;
}

export function readGeoJson(input: Buffer | string): ParsedFile {
  const fail = (reason: string): ParsedFile => ({ rows: [], present: new Set(), ignoredColumns: [], fatal: [{ row: 0, field: 'fichier', reason }] });
  const text = utf8Text(input);
  if (text === null) return fail('le fichier n’est pas en UTF-8 (un GeoJSON est toujours en UTF-8)');
  let doc: { type?: unknown; features?: unknown } | null;
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return fail('JSON invalide : le fichier n’est pas un GeoJSON lisible');
  }
  if (!doc || doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) {
    return fail('un GeoJSON d’acteurs doit être une FeatureCollection (« type »: « FeatureCollection », « features »: [...])');
  }
  const present = new Set<ColumnKey>();
  const ignored = new Set<string>();
  const rows: RawRow[] = (doc.features as (LooseFeature | null)[]).map((f, i) => {
    const row = i + 1;
    const values: Values = {};
    const problems: ImportProblem[] = [];
    if (!f || typeof f !== 'object' || f.type !== 'Feature') {
      problems.push({ row, field: 'fichier', reason: 'entité GeoJSON invalide (« type »: « Feature » attendu)' });
      return { row, values, problems };
    }
    const props = f.properties && typeof f.properties === 'object' ? (f.properties as Record<string, unknown>) : {};
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
        const [lon, lat] = g.coordinates as unknown[];
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
