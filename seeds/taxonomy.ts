import type { DataSource } from 'typeorm';
import { AUDIENCES, THEMES } from '../server/themes/taxonomy.js';
import { run, sql, together } from '../server/db/sql.js';

/** Upserts the theme and public vocabularies (idempotent: unchanged rows are not rewritten). */
export async function seedTaxonomy(ds: DataSource): Promise<{ themes: number; audiences: number }> {
  const themes: object[] = [];
  let position = 0;
  for (const t of THEMES) {
    themes.push({ code: t.code, label: t.label, parent_code: null, position: position++, di: t.dataInclusion ?? [] });
    for (const c of t.children ?? []) themes.push({ code: c.code, label: c.label, parent_code: t.code, position: position++, di: [] });
  }
  const audiences = AUDIENCES.map((a, i) => ({ code: a.code, label: a.label, position: i, di: a.dataInclusion ?? [], aliases: a.aliases ?? [] }));
  // Both tables in one statement (one round trip at every start): they do not read each other.
  await run(
    ds,
    together([
      sql`INSERT INTO theme AS t (code, label, parent_code, position, data_inclusion_codes)
          SELECT code, label, parent_code, position, di FROM json_to_recordset(${JSON.stringify(themes)}::json)
            AS r(code text, label text, parent_code text, position int, di text[])
          ORDER BY parent_code NULLS FIRST
          ON CONFLICT (code) DO UPDATE SET label = EXCLUDED.label, parent_code = EXCLUDED.parent_code,
            position = EXCLUDED.position, data_inclusion_codes = EXCLUDED.data_inclusion_codes
          WHERE (t.label, t.parent_code, t.position, t.data_inclusion_codes)
            IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.parent_code, EXCLUDED.position, EXCLUDED.data_inclusion_codes)`,
      sql`INSERT INTO audience AS a (code, label, position, data_inclusion_codes, aliases)
          SELECT code, label, position, di, aliases FROM json_to_recordset(${JSON.stringify(audiences)}::json)
            AS r(code text, label text, position int, di text[], aliases text[])
          ON CONFLICT (code) DO UPDATE SET label = EXCLUDED.label, position = EXCLUDED.position,
            data_inclusion_codes = EXCLUDED.data_inclusion_codes, aliases = EXCLUDED.aliases
          WHERE (a.label, a.position, a.data_inclusion_codes, a.aliases)
            IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.position, EXCLUDED.data_inclusion_codes, EXCLUDED.aliases)`,
    ]),
  );
  return { themes: themes.length, audiences: audiences.length };
}
