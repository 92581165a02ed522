import { type Sql, sql } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
import type { Taxonomy } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { TerritoryService } from '../territories/territory.service.js';
import type { ActorFilter } from './actor.inputs.js';

/** The parts of a search's statement: its FROM (actor `a`), its conditions, and the distance to `near` in km. */
export interface FilterSql {
  from: Sql;
  where: Sql[];
  distance: Sql | null;
}

/**
 * The conditions of an ActorFilter, shared by the search and the exports. Unknown themes, publics,
 * communes or territories are a BAD_USER_INPUT naming the filter's field.
 */
export async function filterSql(filter: ActorFilter | undefined, taxonomy: Taxonomy, territories: Pick<TerritoryService, 'knownKeys'>): Promise<FilterSql> {
  const f = filter ?? {};
  const where: Sql[] = [];
  let from = sql`actor a`;
  if (!f.includeArchived) where.push(sql`a.status = 'ACTIVE'`);
  if (f.coversCommune) {
    const code = f.coversCommune.toUpperCase();
    const known = await territories.knownKeys();
    if (known.has(`ARRONDISSEMENT:${code}`)) {
      where.push(sql`EXISTS (SELECT 1 FROM coverage_area ca WHERE ca.level = 'ARRONDISSEMENT' AND ca.code = ${code} AND ca.actor_id = a.id)`);
    } else if (known.has(`COMMUNE:${code}`)) {
      from = sql`coverage_commune cc JOIN actor a ON a.id = cc.actor_id`;
      where.push(sql`cc.commune_code = ${code}`);
    } else {
      throw badInput(`Commune inconnue dans le COG 2026 : ${code}`, 'coversCommune');
    }
  }
  if (f.territory) {
    const { level } = f.territory;
    const code = f.territory.code.trim().toUpperCase();
    const known = await territories.knownKeys();
    if (!CODE_PATTERNS[level].test(code) || !known.has(`${level}:${code}`)) {
      throw badInput(`Territoire inconnu : ${LEVEL_LABELS[level]} ${code.slice(0, 12)}`, 'territory');
    }
    where.push(
      level === TerritoryLevel.COMMUNE
        ? sql`EXISTS (SELECT 1 FROM coverage_commune c2 WHERE c2.commune_code = ${code} AND c2.actor_id = a.id)`
        : sql`EXISTS (SELECT 1 FROM coverage_area ca2 WHERE ca2.level = ${level} AND ca2.code = ${code} AND ca2.actor_id = a.id)`,
    );
  }
  if (f.themesAny?.length) {
    taxonomy.checkThemes(f.themesAny, 'themesAny');
    const expanded = [...new Set(f.themesAny.flatMap((c) => taxonomy.expand(c)))];
    where.push(expanded.length === 1 ? sql`${expanded[0]} = ANY(a.themes)` : sql`a.themes && ${expanded}::text[]`);
  }
  if (f.themesAll?.length) {
    taxonomy.checkThemes(f.themesAll, 'themesAll');
    for (const c of new Set(f.themesAll)) where.push(sql`a.themes && ${taxonomy.expand(c)}::text[]`);
  }
  if (f.kinds?.length) where.push(sql`a.kind = ANY(${f.kinds}::text[])`);
  if (f.sectors?.length) where.push(sql`a.sector = ANY(${f.sectors}::text[])`);
  if (f.audiences?.length) {
    taxonomy.checkAudiences(f.audiences, 'audiences');
    where.push(sql`a.audiences && ${f.audiences}::text[]`);
  }
  if (f.demo !== undefined && f.demo !== null) where.push(sql`a.is_demo = ${f.demo}`);
  if (f.reviewStatuses?.length) where.push(sql`a.review_status = ANY(${f.reviewStatuses}::text[])`);
  if (f.text && f.text.trim()) where.push(textCondition(f.text.trim()));
  let distance: Sql | null = null;
  if (f.near) {
    const point = sql`ST_SetSRID(ST_MakePoint(${f.near.lon}::float8, ${f.near.lat}::float8), 4326)::geography`;
    where.push(sql`ST_DWithin(a.location::geography, ${point}, ${f.near.radiusKm * 1000}::float8)`);
    distance = sql`ST_Distance(a.location::geography, ${point}) / 1000.0`;
  }
  return { from, where, distance };
}

/**
 * The normalised text (letters and digits) goes into LIKE escaped, never as a pattern. A text
 * without letter or digit normalises to nothing: it is then looked for as typed in the names
 * (« % » finds « 100 % prévention », not every actor).
 */
export function textCondition(t: string): Sql {
  return sql`(a.search_vector @@ websearch_to_tsquery('french', public.f_unaccent(${t}))
    OR (public.f_norm(${t}) <> '' AND a.search_name LIKE '%' || public.f_like_escape(public.f_norm(${t})) || '%')
    OR (public.f_norm(${t}) = '' AND strpos(a.name, ${t}) > 0)
    OR (length(public.f_norm(${t})) > 3 AND public.f_norm(${t}) <% a.search_name))`;
}
