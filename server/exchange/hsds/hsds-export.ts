import { strToU8, Zip, ZipDeflate } from 'fflate';
import type { DataSource } from 'typeorm';
import { exportRows, type ExportRow, writeRecords } from '../../actors/actor-export.js';
import type { ImportServices } from '../../actors/actor-import.js';
import type { ActorFilter } from '../../actors/actor.inputs.js';
import { run, sql } from '../../db/sql.js';
import datapackage from './datapackage.json' with { type: 'json' };
import { hsdsSchedules, type ScheduleFields } from './hsds-schedule.js';
import {
  type ActorExtras,
  type HsdsObject,
  hsdsOrganization,
  type HsdsOrganizationFull,
  hsdsTables,
  type TerritoryExtent,
  territoryKey,
} from './hsds-model.js';

/** A resource of the Tabular Data Package descriptor: one CSV per HSDS object. */
interface Resource {
  name: string;
  path: string;
  schema: { fields: { name: string }[] };
}

/** Open Referral's descriptor (server/exchange/hsds/datapackage.json, unchanged): its resources name the CSV files and their columns. */
export const HSDS_RESOURCES: readonly Resource[] = (datapackage as { resources: Resource[] }).resources;

/** Coordinates of exported outlines: 5 decimals (about a metre). */
const GEOJSON_DECIMALS = 5;

interface ExtrasRow {
  id: string;
  verified_at: Date | string | null;
  updated_at: Date | string;
  commune_name: string | null;
  departement_name: string | null;
  region_name: string | null;
  own_place: boolean;
  radius_extent: string | null;
}

/** The dates and names a batch of actors needs beside its records, by actor id. */
async function readExtras(ds: DataSource, rows: ExportRow[]): Promise<Map<string, ActorExtras>> {
  const ids = rows.map((r) => r.id);
  const found = await run<ExtrasRow>(
    ds,
    sql`SELECT a.id, a.verified_at, a.updated_at, c.name AS commune_name, d.name AS departement_name, g.name AS region_name,
          (a.location IS NOT NULL AND (c.label_point IS NULL OR NOT ST_Equals(a.location, c.label_point))) AS own_place,
          CASE WHEN a.radius_km IS NOT NULL AND a.location IS NOT NULL
            THEN ST_AsGeoJSON(ST_Buffer(a.location::geography, a.radius_km * 1000.0, 8)::geometry, ${GEOJSON_DECIMALS}::int) END AS radius_extent
        FROM actor a
        LEFT JOIN LATERAL (SELECT t.name, t.departement_code, t.region_code, t.label_point FROM territory t
                           WHERE t.code = a.commune_code AND t.level IN ('COMMUNE', 'ARRONDISSEMENT') ORDER BY t.level DESC LIMIT 1) c ON true
        LEFT JOIN territory d ON d.level = 'DEPARTEMENT' AND d.code = c.departement_code
        LEFT JOIN territory g ON g.level = 'REGION' AND g.code = c.region_code
        WHERE a.id = ANY(${ids}::uuid[])`,
  );
  const toDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));
  return new Map(
    found.map((f) => [
      f.id,
      {
        verifiedAt: f.verified_at === null ? null : toDate(f.verified_at),
        updatedAt: toDate(f.updated_at),
        communeName: f.commune_name,
        departementName: f.departement_name,
        regionName: f.region_name,
        ownPlace: f.own_place,
        radiusExtent: f.radius_extent,
      },
    ]),
  );
}

/** Adds to `cache` the names and outlines of the territories a batch declares that it does not hold yet. */
async function readTerritories(ds: DataSource, rows: ExportRow[], cache: Map<string, TerritoryExtent>): Promise<void> {
  const missing = [...new Set(rows.flatMap((r) => r.territories.map(territoryKey)))].filter((k) => !cache.has(k));
  if (missing.length === 0) return;
  const found = await run<{ key: string; name: string; extent: string | null }>(
    ds,
    sql`SELECT t.level || ':' || t.code AS key, t.name, ST_AsGeoJSON(t.geom_display, ${GEOJSON_DECIMALS}::int) AS extent
        FROM territory t WHERE t.level || ':' || t.code = ANY(${missing}::text[])`,
  );
  for (const f of found) cache.set(f.key, { name: f.name, extent: f.extent });
}

/**
 * The organizations of a filter, batch by batch: the same actors, in the same order and with the
 * same limit and refusals as the actors export (exportRows), as HSDS objects.
 */
export async function* hsdsBatches(ds: DataSource, services: ImportServices, filter: ActorFilter | undefined): AsyncGenerator<HsdsOrganizationFull[]> {
  const taxonomy = await services.themes.taxonomy();
  const territories = new Map<string, TerritoryExtent>();
  // Many actors share their opening hours (a network's, the demonstration's): each string is read once per export.
  const schedules = new Map<string, ScheduleFields[]>();
  const schedulesOf = (value: string) => schedules.get(value) ?? schedules.set(value, hsdsSchedules(value)).get(value)!;
  for await (const rows of exportRows(ds, services, filter)) {
    const extras = await readExtras(ds, rows);
    await readTerritories(ds, rows, territories);
    yield rows.flatMap((r) => {
      const x = extras.get(r.id);
      return x ? [hsdsOrganization(r, x, territories, taxonomy, schedulesOf)] : [];
    });
  }
}

/** Writes the nested form: a JSON array of organizations, each with its services, locations… */
export async function writeHsdsJson(batches: AsyncGenerator<HsdsOrganizationFull[]>, write: (chunk: string) => Promise<void>): Promise<number> {
  return writeRecords(batches, write, { head: '[', separator: ',', tail: ']', encode: (organizations) => organizations.map((o) => JSON.stringify(o)) });
}

/** A CSV field (RFC 4180, as Frictionless reads it by default): quoted when it holds a comma, a quote or a line break. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const t = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\r\n]|^\s|\s$/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

const csvLine = (fields: readonly string[], row: HsdsObject) => `${fields.map((f) => csvField(row[f])).join(',')}\r\n`;

/**
 * Writes the Tabular Data Package as a zip: one CSV per resource of Open Referral's datapackage.json
 * (header only for the objects the directory has none of), then that descriptor. Each CSV is
 * compressed as its rows come (fflate), so the export streams batch by batch like the others.
 */
export async function writeHsdsZip(batches: AsyncGenerator<HsdsOrganizationFull[]>, write: (chunk: Uint8Array) => Promise<void>): Promise<number> {
  let next = await batches.next();
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, data) => {
    if (err) failure = err;
    else out.push(data);
  });
  const flush = async () => {
    if (failure) throw failure;
    for (const chunk of out.splice(0)) await write(chunk);
  };
  const files = new Map(
    HSDS_RESOURCES.map((r) => {
      const file = new ZipDeflate(r.path, { level: 6 });
      zip.add(file);
      const fields = r.schema.fields.map((f) => f.name);
      file.push(strToU8(`${fields.join(',')}\r\n`));
      return [r.name, { file, fields }] as const;
    }),
  );
  let count = 0;
  // Taxonomy terms are shared by the actors: each is written once.
  const terms = new Set<string>();
  const once = (name: string, row: HsdsObject) => name !== 'taxonomy_term' || (!terms.has(row.id) && !!terms.add(row.id));
  for (; !next.done; next = await batches.next()) {
    const lines = new Map<string, string[]>();
    for (const organization of next.value) {
      for (const [name, rows] of Object.entries(hsdsTables(organization))) {
        const target = files.get(name);
        if (!target) throw new Error(`HSDS: no resource named ${name} in datapackage.json`);
        const list = lines.get(name) ?? [];
        for (const row of rows) if (once(name, row)) list.push(csvLine(target.fields, row));
        lines.set(name, list);
      }
    }
    for (const [name, list] of lines) files.get(name)!.file.push(strToU8(list.join('')));
    count += next.value.length;
    await flush();
  }
  for (const { file } of files.values()) file.push(new Uint8Array(0), true);
  const descriptor = new ZipDeflate('datapackage.json', { level: 6 });
  zip.add(descriptor);
  descriptor.push(strToU8(`${JSON.stringify(datapackage, null, 2)}\n`), true);
  zip.end();
  await flush();
  return count;
}
