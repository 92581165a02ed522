import type { DataSource } from 'typeorm';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { AppError } from '../graphql/errors.js';
import { empty, run, sql, where as whereAll } from '../db/sql.js';
import { COLUMNS, type ColumnKey, LEVEL_KEYS } from './actor-columns.js';
import { ACTOR_KIND_LABELS, SECTOR_LABELS } from './actor-enums.js';
import { filterSql } from './actor-filter.js';
import type { ActorFilter } from './actor.inputs.js';
import type { ImportServices } from './actor-import.js';
import { recordColumns, type StoredRecord, toStoredRecord } from './actor.repository.js';

export const ExportFormat = defineEnum('ExportFormat');
export type ExportFormat = EnumValue<typeof ExportFormat>;

/** Most actors one export gives. */
export const MAX_EXPORT_ROWS = 50_000;
const READ_BATCH = 2000;

// ---------------------------------------------------------------------------------------------
// Rows

/** An actor as exported: the record that an import of the file would write back. */
export type ExportRow = StoredRecord;

/** Values by column key, as the files show them (labels for nature and sector, codes elsewhere). */
function cells(r: ExportRow): Record<ColumnKey, string | number | string[] | boolean | null> {
  return {
    id: r.id,
    name: r.name,
    kind: ACTOR_KIND_LABELS[r.kind] ?? r.kind,
    sector: SECTOR_LABELS[r.sector] ?? r.sector,
    siren: r.siren,
    siret: r.siret,
    rna: r.rna,
    finess: r.finess,
    address: r.address,
    postalCode: r.postalCode,
    communeCode: r.communeCode,
    lat: r.lat,
    lon: r.lon,
    description: r.description,
    email: r.email,
    phone: r.phone,
    website: r.website,
    openingHours: r.openingHours,
    themes: r.themeCodes,
    audiences: r.audienceCodes,
    territories: r.territories.map((t) => `${LEVEL_KEYS[t.level]}:${t.code}`),
    radiusKm: r.radiusKm,
    source: r.source,
    isDemo: r.isDemo,
  };
}

/**
 * Reads the actors of a filter in batches (keyset on name, id), at most MAX_EXPORT_ROWS: a larger
 * set is refused up front with a count, never cut silently.
 */
export async function* exportRows(ds: DataSource, services: ImportServices, filter: ActorFilter | undefined): AsyncGenerator<ExportRow[]> {
  const { from, where } = await filterSql(filter, await services.themes.taxonomy(), services.territories);
  const [{ n }] = await run<{ n: number }>(ds, sql`SELECT count(*)::int AS n FROM ${from} ${whereAll(where)}`);
  if (n > MAX_EXPORT_ROWS) {
    throw new AppError(
      'BAD_USER_INPUT',
      `Ce filtre donne ${Number(n).toLocaleString('fr-FR')} acteurs : un export en compte ${MAX_EXPORT_ROWS.toLocaleString('fr-FR')} au plus. Précisez le filtre (territoire, thème…).`,
      { field: 'filter', count: n },
    );
  }
  let after: [string, string] | null = null;
  for (;;) {
    const keyset = after ? sql`(a.search_name, a.id) > (${after[0]}, ${after[1]}::uuid)` : empty;
    const rows: Record<string, unknown>[] = await run(
      ds,
      sql`SELECT ${recordColumns}, a.search_name FROM ${from} ${whereAll([...where, keyset])}
          ORDER BY a.search_name, a.id LIMIT ${READ_BATCH}`,
    );
    if (rows.length === 0) return;
    yield rows.map(toStoredRecord);
    if (rows.length < READ_BATCH) return;
    const last = rows[rows.length - 1];
    after = [last.search_name as string, last.id as string];
  }
}

/**
 * How a streamed file holds its records: `head`, then the records (`lead` before the first one,
 * `separator` between two), then `tail`; `encode` gives the records of a batch, as text.
 */
export interface RecordLayout<T> {
  head: string;
  lead?: string;
  separator: string;
  tail?: string;
  encode: (batch: T[]) => string[] | Promise<string[]>;
}

/**
 * Writes the records of an export through `write` as its batches come (the actors export, the
 * data·inclusion and HSDS ones). The first batch is read before anything is written: it checks
 * the filter and the size, so that a refusal comes before the first byte. `layout` may be read
 * then (what the records need once, before the head). Returns the number of records written.
 */
export async function writeRecords<T>(
  batches: AsyncIterator<T[]>,
  write: (chunk: string) => void | Promise<void>,
  layout: RecordLayout<T> | (() => Promise<RecordLayout<T>>),
): Promise<number> {
  let next = await batches.next();
  const { head, lead = '', separator, tail, encode } = typeof layout === 'function' ? await layout() : layout;
  await write(head);
  let count = 0;
  for (; !next.done; next = await batches.next()) {
    const records = await encode(next.value);
    if (records.length) await write(`${count ? separator : lead}${records.join(separator)}`);
    count += records.length;
  }
  if (tail) await write(tail);
  return count;
}

// ---------------------------------------------------------------------------------------------
// CSV

export const CSV_BOM = '\uFEFF';

/** A cell a spreadsheet would run as a formula gets a leading quote (the import removes it). */
export function csvCell(v: string | number | string[] | boolean | null): string {
  if (v === null || v === undefined) return '';
  let t: string;
  if (Array.isArray(v)) t = v.join('|');
  else if (typeof v === 'number') t = String(v).replace('.', ',');
  else if (typeof v === 'boolean') t = v ? 'oui' : 'non';
  else t = v;
  if (/^[=@]/.test(t) || (/^[+-]/.test(t) && !/^[+-][\d\s.,()]+$/.test(t))) t = `'${t}`;
  return /[;"\r\n]|^\s|\s$/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

export const csvHeader = () => `${CSV_BOM}${COLUMNS.map((c) => c.name).join(';')}\r\n`;

const csvLine = (r: ExportRow) => {
  const c = cells(r);
  return `${COLUMNS.map((col) => csvCell(c[col.key])).join(';')}\r\n`;
};

// ---------------------------------------------------------------------------------------------
// GeoJSON

export const geojsonFeature = (r: ExportRow) => {
  const { lon, lat, id, ...props } = cells(r);
  const properties: Record<string, unknown> = { identifiant: id };
  for (const c of COLUMNS) if (c.key !== 'id' && c.key !== 'lon' && c.key !== 'lat') properties[c.name] = props[c.key];
  return {
    type: 'Feature' as const,
    id: r.id,
    geometry: lon !== null && lat !== null ? { type: 'Point' as const, coordinates: [lon, lat] } : null,
    properties,
  };
};

/** Writes a whole export through `write` (an HTTP response, or a string buffer). */
export async function writeExport(
  ds: DataSource,
  services: ImportServices,
  filter: ActorFilter | undefined,
  format: ExportFormat,
  write: (chunk: string) => void | Promise<void>,
): Promise<number> {
  const layout: RecordLayout<ExportRow> =
    format === ExportFormat.CSV
      ? { head: csvHeader(), separator: '', encode: (rows) => rows.map(csvLine) }
      : { head: '{"type":"FeatureCollection","features":[', separator: ',', tail: ']}', encode: (rows) => rows.map((r) => JSON.stringify(geojsonFeature(r))) };
  return writeRecords(exportRows(ds, services, filter), write, layout);
}

export async function exportToString(ds: DataSource, services: ImportServices, filter: ActorFilter | undefined, format: ExportFormat): Promise<string> {
  const parts: string[] = [];
  await writeExport(ds, services, filter, format, (c) => {
    parts.push(c);
  });
  return parts.join('');
}
