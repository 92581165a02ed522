import type { DataSource } from 'typeorm';
import { exportRows, type ExportRow, writeRecords } from '../../actors/actor-export.js';
import type { ImportServices } from '../../actors/actor-import.js';
import type { ActorFilter } from '../../actors/actor.inputs.js';
import { run, sql } from '../../db/sql.js';
import type { Taxonomy } from '../../themes/theme.service.js';
import { type DiService, type DiStructure, type RecordContext, toServices, toStructure } from './di-records.js';

/** The two files of a data·inclusion export. */
export const DiFile = { STRUCTURES: 'structures', SERVICES: 'services' } as const;
export type DiFile = (typeof DiFile)[keyof typeof DiFile];

/** The départements of each région, by région code (a structure's zone when it covers a région). */
async function departementsByRegion(ds: DataSource): Promise<Map<string, string[]>> {
  const departements = new Map<string, string[]>();
  for (const d of await run<{ code: string; region_code: string }>(
    ds,
    sql`SELECT code, region_code FROM territory WHERE level = 'DEPARTEMENT' AND region_code IS NOT NULL ORDER BY code`,
  )) {
    departements.set(d.region_code, [...(departements.get(d.region_code) ?? []), d.code]);
  }
  return departements;
}

/** The records of a batch of actors (their structures, or their services), with what one query adds to them (dates, commune names). */
async function diRecords(
  ds: DataSource,
  rows: ExportRow[],
  file: DiFile,
  taxonomy: Taxonomy,
  departements: Map<string, string[]>,
): Promise<(DiStructure | DiService)[]> {
  const extra = new Map(
    (
      await run<{ id: string; date_maj: string; commune: string | null }>(
        ds,
        sql`SELECT a.id::text AS id, to_char(COALESCE(a.verified_at, a.updated_at) AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD') AS date_maj,
              (SELECT t.name FROM territory t WHERE t.code = a.commune_code AND t.level IN ('COMMUNE', 'ARRONDISSEMENT') ORDER BY t.level DESC LIMIT 1) AS commune
            FROM actor a WHERE a.id = ANY(${rows.map((r) => r.id)}::uuid[])`,
      )
    ).map((e) => [e.id, e]),
  );
  return rows.flatMap((r): (DiStructure | DiService)[] => {
    const e = extra.get(r.id);
    const ctx: RecordContext = {
      dateMaj: e?.date_maj ?? new Date().toISOString().slice(0, 10),
      communeName: e?.commune ?? null,
      departementsOfRegion: departements,
    };
    const structure = toStructure(r, ctx);
    return file === DiFile.STRUCTURES ? [structure] : toServices(r, structure, taxonomy, ctx);
  });
}

/**
 * Writes the actors of a filter as a data·inclusion v1 file (a JSON array of `structure` or of
 * `service` records) through `write`, batch by batch: the actors export's reading (same filter,
 * same 50,000 cap refused up front, keyset batches of 2,000), plus one query per batch for what a
 * record adds (dates, commune names). Returns the number of records written.
 */
export async function writeDataInclusion(
  ds: DataSource,
  services: ImportServices,
  filter: ActorFilter | undefined,
  file: DiFile,
  write: (chunk: string) => void | Promise<void>,
): Promise<number> {
  return writeRecords(exportRows(ds, services, filter), write, async () => {
    const taxonomy = await services.themes.taxonomy();
    const departements = await departementsByRegion(ds);
    const encode = async (rows: ExportRow[]) => (await diRecords(ds, rows, file, taxonomy, departements)).map((x) => JSON.stringify(x));
    return { head: '[', lead: '\n', separator: ',\n', tail: '\n]\n', encode };
  });
}
