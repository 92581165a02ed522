import type { DataSource } from 'typeorm';
import { validate, type ValidationError } from 'class-validator';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { AppError, badInput } from '../graphql/errors.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { empty, run, sql, where as whereAll } from '../db/sql.js';
import { COLUMNS, type ColumnKey, LEVEL_KEYS } from './actor-columns.js';
import { ACTOR_KIND_LABELS, ActorKind, isEnumValue, ReviewStatus, SECTOR_LABELS, Sector } from './actor-enums.js';
import { filterSql } from './actor-filter.js';
import { ActorFilter, NearInput } from './actor.inputs.js';
import type { ImportServices } from './actor-import.js';
import { recordColumns, type StoredRecord, toStoredRecord } from './actor.repository.js';

export const ExportFormat = defineEnum('ExportFormat', 'Format d’export des acteurs', {
  CSV: 'CSV « ; » en UTF-8 avec BOM (s’ouvre dans Excel), mêmes colonnes que l’import',
  GEOJSON: 'GeoJSON : FeatureCollection de points, mêmes propriétés que l’import',
});
export type ExportFormat = EnumValue<typeof ExportFormat>;

/** Most actors one export gives. */
export const MAX_EXPORT_ROWS = 50_000;
const READ_BATCH = 2000;

// ---------------------------------------------------------------------------------------------
// Rows

// ---------------------------------------------------------------------------------------------
// The filter of an export URL

const FILTER_KEYS = new Set(['coversCommune', 'territory', 'themesAny', 'themesAll', 'kinds', 'sectors', 'audiences', 'text', 'near', 'demo', 'includeArchived', 'reviewStatuses']);

function frenchErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => `${prefix}${e.property} : ${/\b(must|should)\b/.test(m) ? 'valeur invalide' : m}`),
    ...frenchErrors(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

/**
 * Reads the `filter` parameter of an export URL (URL-decoded JSON of an ActorFilter) into an
 * ActorFilter, with the same checks as the GraphQL argument; BAD_USER_INPUT in French otherwise.
 */
export async function parseFilterParam(param: unknown): Promise<ActorFilter | undefined> {
  if (param === undefined || param === '') return undefined;
  if (typeof param !== 'string') throw badInput('Paramètre « filter » invalide : un seul filtre JSON est attendu', 'filter');
  let raw: unknown;
  try {
    raw = JSON.parse(param);
  } catch {
    throw badInput('Paramètre « filter » invalide : ce n’est pas du JSON (ex. {"coversCommune":"55545"})', 'filter');
  }
  if (raw === null) return undefined;
  return toActorFilter(raw);
}

export async function toActorFilter(raw: unknown): Promise<ActorFilter> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badInput('Filtre invalide : un objet JSON est attendu', 'filter');
  const bad = (what: string, field: string) => badInput(`Filtre invalide : ${what}`, field);
  const f = new ActorFilter();
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!FILTER_KEYS.has(key)) throw bad(`champ inconnu « ${key.slice(0, 40)} » (champs possibles : ${[...FILTER_KEYS].join(', ')})`, key);
    if (value === null || value === undefined) continue;
    const strings = () => {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw bad(`« ${key} » doit être une liste de textes`, key);
      return value as string[];
    };
    switch (key) {
      case 'coversCommune':
      case 'text':
        if (typeof value !== 'string') throw bad(`« ${key} » doit être un texte`, key);
        f[key] = value;
        break;
      case 'themesAny':
      case 'themesAll':
      case 'audiences':
        f[key] = strings();
        break;
      case 'kinds': {
        const list = strings();
        const unknown = list.filter((k) => !isEnumValue(ActorKind, k));
        if (unknown.length) throw bad(`nature(s) inconnue(s) : ${unknown.join(', ').slice(0, 200)}`, key);
        f.kinds = list as ActorKind[];
        break;
      }
      case 'sectors': {
        const list = strings();
        const unknown = list.filter((k) => !isEnumValue(Sector, k));
        if (unknown.length) throw bad(`secteur(s) inconnu(s) : ${unknown.join(', ').slice(0, 200)}`, key);
        f.sectors = list as Sector[];
        break;
      }
      case 'reviewStatuses': {
        const list = strings();
        const unknown = list.filter((k) => !isEnumValue(ReviewStatus, k));
        if (unknown.length) throw bad(`statut(s) de modération inconnu(s) : ${unknown.join(', ').slice(0, 200)}`, key);
        f.reviewStatuses = list as ReviewStatus[];
        break;
      }
      case 'demo':
      case 'includeArchived':
        if (typeof value !== 'boolean') throw bad(`« ${key} » doit valoir true ou false`, key);
        f[key] = value;
        break;
      case 'territory': {
        const t = value as Record<string, unknown>;
        if (typeof t !== 'object' || typeof t.code !== 'string' || !isEnumValue(TerritoryLevel, t.level)) {
          throw bad('« territory » attend {"level": "DEPARTEMENT", "code": "55"}', key);
        }
        f.territory = Object.assign(new TerritoryRefInput(), { level: t.level as TerritoryLevel, code: t.code });
        break;
      }
      case 'near': {
        const n = value as Record<string, unknown>;
        if (typeof n !== 'object' || !['lon', 'lat', 'radiusKm'].every((k) => typeof n[k] === 'number' && Number.isFinite(n[k]))) {
          throw bad('« near » attend {"lon": 5.38, "lat": 49.16, "radiusKm": 10}', key);
        }
        f.near = Object.assign(new NearInput(), { lon: n.lon as number, lat: n.lat as number, radiusKm: n.radiusKm as number });
        break;
      }
    }
  }
  const errors = await validate(f);
  if (errors.length) throw bad(frenchErrors(errors).join(' ; '), errors[0].property);
  return f;
}

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

// ---------------------------------------------------------------------------------------------
// CSV

export const CSV_BOM = '\uFEFF';

/** A cell a spreadsheet would run as a formula gets a leading quote (the import removes it). */
function csvCell(v: string | number | string[] | boolean | null): string {
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

export const csvLines = (rows: ExportRow[]) =>
  rows
    .map((r) => {
      const c = cells(r);
      return `${COLUMNS.map((col) => csvCell(c[col.key])).join(';')}\r\n`;
    })
    .join('');

// ---------------------------------------------------------------------------------------------
// GeoJSON

export const geojsonFeature = (r: ExportRow) => {
  const { lon, lat, id, ...props } = cells(r);
  const properties: Record<string, unknown> = { identifiant: id };
  for (const c of COLUMNS) if (c.key !== 'id' && c.key !== 'lon' && c.key !== 'lat') properties[c.name] = props[c.key as keyof typeof props];
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
  const batches = exportRows(ds, services, filter);
  // The first read checks the filter and the size before anything is written.
  let next = await batches.next();
  let count = 0;
  if (format === ExportFormat.CSV) {
    await write(csvHeader());
    for (; !next.done; next = await batches.next()) {
      await write(csvLines(next.value));
      count += next.value.length;
    }
  } else {
    await write('{"type":"FeatureCollection","features":[');
    for (; !next.done; next = await batches.next()) {
      await write(`${count ? ',' : ''}${next.value.map((r) => JSON.stringify(geojsonFeature(r))).join(',')}`);
      count += next.value.length;
    }
    await write(']}');
  }
  return count;
}

export async function exportToString(ds: DataSource, services: ImportServices, filter: ActorFilter | undefined, format: ExportFormat): Promise<string> {
  const parts: string[] = [];
  await writeExport(ds, services, filter, format, (c) => {
    parts.push(c);
  });
  return parts.join('');
}
