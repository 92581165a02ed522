import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DataSource } from 'typeorm';
import { CoalitionService } from '../server/coalitions/coalition.service.js';
import { one, run, sql } from '../server/db/sql.js';
import { levelFor } from '../server/actors/actor-columns.js';
import { TerritoryService } from '../server/territories/territory.service.js';
import { ThemeService } from '../server/themes/theme.service.js';
import { seedDataDir } from './paths.js';
import type { Log } from './progress.js';

export const PUBLIC_COALITIONS_SOURCE = 'documents-publics';

const KINDS: Record<string, string> = {
  'coalition thématique': 'THEMATIQUE',
  'contrat local de santé': 'CLS',
  'conseil local de santé mentale': 'CLSM',
  'atelier santé ville': 'ASV',
  'coopérative d’acteurs': 'COOPERATIVE',
  "coopérative d'acteurs": 'COOPERATIVE',
  'convention de partenariat': 'CONVENTION',
  'alliance régionale': 'ALLIANCE_REGIONALE',
};

const ROLES: Record<string, string> = { pilote: 'PILOTE', signataire: 'SIGNATAIRE', partenaire: 'PARTENAIRE', membre: 'MEMBRE' };

type Row = Record<string, string>;

const read = (file: string): Row[] => parse(fs.readFileSync(file, 'utf8'), { delimiter: ';', columns: true, bom: true, skip_empty_lines: true, trim: true });

/**
 * Loads the real coalitions and partnership conventions named in public documents
 * (seeds/data/acteurs/documents-publics/coalitions.csv), after the actors of acteurs.csv have been
 * loaded: each member `actor-id:role` is found by the actor's name in acteurs.csv. Idempotent
 * (a coalition is found again by its source `documents-publics:<id>`); coalitions whose files or
 * actors are missing are skipped and reported, never half-written.
 */
export async function seedPublicCoalitions(
  ds: DataSource,
  log: Log,
  dir = path.join(seedDataDir(), 'acteurs', 'documents-publics'),
): Promise<{ created: number; skipped: string[] }> {
  const coalitionsFile = path.join(dir, 'coalitions.csv');
  const actorsFile = path.join(dir, 'acteurs.csv');
  if (!fs.existsSync(coalitionsFile) || !fs.existsSync(actorsFile)) return { created: 0, skipped: [] };
  const names = new Map(read(actorsFile).map((r) => [r.id, r.nom]));
  const themes = new ThemeService(ds);
  const territories = new TerritoryService(ds);
  const coalitions = new CoalitionService(ds, themes, territories);
  const taxonomy = await themes.taxonomy();
  let created = 0;
  const skipped: string[] = [];
  for (const r of read(coalitionsFile)) {
    const source = `${PUBLIC_COALITIONS_SOURCE}:${r.id}`;
    const existing = await one(ds, sql`SELECT id FROM coalition WHERE source = ${source}`);
    if (existing) continue;
    const kind = KINDS[r.type.toLowerCase()];
    const level = levelFor(r.territoire_niveau);
    const code = r.territoire_code.split('|')[0];
    if (!kind || !level) {
      skipped.push(`${r.id} (type ou niveau inconnu)`);
      continue;
    }
    const members: { actorId: string; role: string }[] = [];
    const missing: string[] = [];
    for (const m of r.membres.split('|').filter(Boolean)) {
      const [key, role] = m.split(':');
      const name = names.get(key);
      const actor = name
        ? await one<{ id: string }>(ds, sql`SELECT id FROM actor WHERE name = ${name} AND status = 'ACTIVE' ORDER BY created_at LIMIT 1`)
        : undefined;
      if (actor && ROLES[role]) members.push({ actorId: actor.id, role: ROLES[role] });
      else missing.push(key);
    }
    if (missing.length || members.length === 0) {
      skipped.push(`${r.id} (acteurs absents : ${missing.join(', ') || 'aucun membre'})`);
      continue;
    }
    const area = await coalitions.areaOf(level, code);
    await ds.transaction(async (m) => {
      const themes = r.thematiques.split('|').filter((t) => taxonomy.themeByCode.has(t));
      const [row] = await run<{ id: string }>(
        m,
        sql`INSERT INTO coalition (name, kind, themes, territory_level, territory_code, area_keys, region_code, start_date, end_date,
           visibility, join_policy, source)
         VALUES (${r.nom}, ${kind}, ${themes}, ${level}, ${code}, ${area.keys}, ${area.regionCode}, ${r.debut || null}, ${r.fin || null},
           'PUBLIC', 'APPROVAL', ${source}) RETURNING id`,
      );
      for (const mb of members) {
        const ms = await one<{ id: string }>(
          m,
          sql`INSERT INTO membership (coalition_id, actor_id, role, status, decided_at) VALUES (${row.id}, ${mb.actorId}, ${mb.role}, 'ACTIVE', now())
           ON CONFLICT DO NOTHING RETURNING id`,
        );
        if (ms) {
          await run(
            m,
            sql`INSERT INTO membership_event (membership_id, coalition_id, actor_id, from_status, to_status, role)
                VALUES (${ms.id}, ${row.id}, ${mb.actorId}, NULL, 'ACTIVE', ${mb.role})`,
          );
        }
      }
    });
    created++;
  }
  if (created || skipped.length) {
    log(`Coalitions des documents publics : ${created} créée(s)${skipped.length ? ` ; écartées : ${skipped.join(' ; ')}` : ''}`);
  }
  return { created, skipped };
}
