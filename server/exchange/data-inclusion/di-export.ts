import type { DataSource } from 'typeorm';
import { exportRows } from '../../actors/actor-export.js';
import type { ImportServices } from '../../actors/actor-import.js';
import type { ActorFilter } from '../../actors/actor.inputs.js';
import { run, sql } from '../../db/sql.js';
import { type DiService, type DiStructure, type RecordContext, toServices, toStructure } from './di-records.js';

/** The two files of a data·inclusion export. */
export const DiFile = { STRUCTURES: 'structures', SERVICES: 'services' } as const;
export type DiFile = (typeof DiFile)[keyof typeof DiFile];

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
  const batches = exportRows(ds, services, filter);
  // The first read checks the filter and the size before anything is written.
  let next = await batches.next();
  const taxonomy = await services.themes.taxonomy();
  const departements = new Map<string, string[]>();
  for (const d of await run<{ code: string; region_code: string }>(
    ds,
    sql`SELECT code, region_code FROM territory WHERE level = 'DEPARTEMENT' AND region_code IS NOT NULL ORDER BY code`,
  )) {
    departements.set(d.region_code, [...(departements.get(d.region_code) ?? []), d.code]);
  }
  let count = 0;
  await write('[');
  for (; !next.done; next = await batches.next()) {
    const rows = next.value;
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
    const records = rows.flatMap((r): (DiStructure | DiService)[] => {
      const e = extra.get(r.id);
      const ctx: RecordContext = {
        dateMaj: e?.date_maj ?? new Date().toISOString().slice(0, 10),
        communeName: e?.commune ?? null,
        departementsOfRegion: departements,
      };
      const structure = toStructure(r, ctx);
      return file === DiFile.STRUCTURES ? [structure] : toServices(r, structure, taxonomy, ctx);
    });
    if (records.length) await write(`${count ? ',' : ''}\n${records.map((x) => JSON.stringify(x)).join(',\n')}`);
    count += records.length;
  }
  await write('\n]\n');
  return count;
}
