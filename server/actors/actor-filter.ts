import { empty, hiddenFromPlanner, type Sql, sql } from '../db/sql.js';
import { Presence } from '../gaps/gap.inputs.js';
import { badInput } from '../graphql/errors.js';
import type { Taxonomy } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { TerritoryService } from '../territories/territory.service.js';
import type { ActorFilter } from './actor.inputs.js';

/** The facet groups of the search: each one's values combine with OR, and its counts ignore its own selection. */
export type FacetGroup = 'themes' | 'kinds' | 'sectors' | 'audiences' | 'presence';

/** The commune or arrondissement a search is anchored on (`coversCommune`): proximity order reads it. */
export interface Anchor {
  level: typeof TerritoryLevel.COMMUNE | typeof TerritoryLevel.ARRONDISSEMENT;
  code: string;
}

/** The parts of a search's statement: its FROM (actor `a`), its conditions, and the distance to `near` in km. */
export interface FilterSql {
  from: Sql;
  /** Every condition of the filter, facet groups included (exports). */
  where: Sql[];
  /** The conditions outside the facet groups. */
  base: Sql[];
  /** Each facet group's selection as one condition (its values combine with OR); absent when nothing is ticked. */
  groups: Partial<Record<FacetGroup, Sql>>;
  distance: Sql | null;
  anchor: Anchor | null;
  /** Whether the actor is present locally (`local` of its coverage row) in the anchored commune or territory. */
  local: Sql | null;
  /**
   * The rows are found from the anchor's coverage alone: anchored on a commune or an
   * arrondissement, and no other condition that an index could serve instead (text, place,
   * territory, themes all required, review statuses). searchActors then keeps one plan for it.
   */
  anchorOnly: boolean;
}

/**
 * The conditions of an ActorFilter, shared by the search and the exports. Unknown themes, publics,
 * communes or territories are a BAD_USER_INPUT naming the filter's field.
 */
export async function filterSql(
  filter: ActorFilter | undefined,
  taxonomy: Taxonomy,
  territories: Pick<TerritoryService, 'knownKeys'>,
  { planOnce = false }: { planOnce?: boolean } = {},
): Promise<FilterSql> {
  const f = filter ?? {};
  const base: Sql[] = [];
  const groups: Partial<Record<FacetGroup, Sql>> = {};
  let from = sql`actor a`;
  let anchor: Anchor | null = null;
  let local: Sql | null = null;
  if (!f.includeArchived) base.push(sql`a.status = 'ACTIVE'`);
  const anchorOnly = !!f.coversCommune && !f.territory && !f.themesAll?.length && !f.reviewStatuses?.length && !f.text?.trim() && !f.near;
  if (f.coversCommune) {
    const upper = f.coversCommune.toUpperCase();
    // `planOnce` (searchActors): found from its commune alone, the statement keeps one plan for
    // every commune, and the code is hidden from the planner, as that plan sees it.
    const code = planOnce && anchorOnly ? hiddenFromPlanner(upper, 'text') : sql`${upper}`;
    const known = await territories.knownKeys();
    // One coverage row per actor and place (primary keys): a join, whose `local` says the presence.
    if (known.has(`ARRONDISSEMENT:${upper}`)) {
      from = sql`coverage_area ca JOIN actor a ON a.id = ca.actor_id`;
      base.push(sql`ca.level = 'ARRONDISSEMENT' AND ca.code = ${code}`);
      anchor = { level: TerritoryLevel.ARRONDISSEMENT, code: upper };
      local = sql`ca.local`;
    } else if (known.has(`COMMUNE:${upper}`)) {
      from = sql`coverage_commune cc JOIN actor a ON a.id = cc.actor_id`;
      base.push(sql`cc.commune_code = ${code}`);
      anchor = { level: TerritoryLevel.COMMUNE, code: upper };
      local = sql`cc.local`;
    } else {
      throw badInput(`Commune inconnue dans le COG 2026 : ${upper}`, 'coversCommune');
    }
  }
  if (f.territory) {
    const { level } = f.territory;
    const code = f.territory.code.trim().toUpperCase();
    const known = await territories.knownKeys();
    if (!CODE_PATTERNS[level].test(code) || !known.has(`${level}:${code}`)) {
      throw badInput(`Territoire inconnu : ${LEVEL_LABELS[level]} ${code.slice(0, 12)}`, 'territory');
    }
    const covers = (presentOnly: boolean) =>
      level === TerritoryLevel.COMMUNE
        ? sql`EXISTS (SELECT 1 FROM coverage_commune c2 WHERE c2.commune_code = ${code} AND c2.actor_id = a.id${presentOnly ? sql` AND c2.local` : empty})`
        : sql`EXISTS (SELECT 1 FROM coverage_area ca2 WHERE ca2.level = ${level} AND ca2.code = ${code} AND ca2.actor_id = a.id${presentOnly ? sql` AND ca2.local` : empty})`;
    base.push(covers(false));
    local ??= covers(true);
  }
  if (f.presence === Presence.LOCAL) {
    if (!local) throw badInput('La présence locale se lit dans une commune ou un territoire : donnez « coversCommune » ou « territory »', 'presence');
    groups.presence = local;
  }
  if (f.themesAny?.length) {
    taxonomy.checkThemes(f.themesAny, 'themesAny');
    const expanded = [...new Set(f.themesAny.flatMap((c) => taxonomy.expand(c)))];
    groups.themes = expanded.length === 1 ? sql`${expanded[0]} = ANY(a.themes)` : sql`a.themes && ${expanded}::text[]`;
  }
  if (f.themesAll?.length) {
    taxonomy.checkThemes(f.themesAll, 'themesAll');
    for (const c of new Set(f.themesAll)) base.push(sql`a.themes && ${taxonomy.expand(c)}::text[]`);
  }
  if (f.kinds?.length) groups.kinds = sql`a.kind = ANY(${f.kinds}::text[])`;
  if (f.sectors?.length) groups.sectors = sql`a.sector = ANY(${f.sectors}::text[])`;
  if (f.audiences?.length) {
    taxonomy.checkAudiences(f.audiences, 'audiences');
    groups.audiences = sql`a.audiences && ${f.audiences}::text[]`;
  }
  if (f.demo !== undefined && f.demo !== null) base.push(sql`a.is_demo = ${f.demo}`);
  if (f.reviewStatuses?.length) base.push(sql`a.review_status = ANY(${f.reviewStatuses}::text[])`);
  // A text finds actors by their name and description, and by the theme it names (« tabac »).
  const text = f.text?.trim();
  if (text) base.push(sql`(${textCondition(text)} OR ${themeLabelCondition(text)})`);
  let distance: Sql | null = null;
  if (f.near) {
    const point = sql`ST_SetSRID(ST_MakePoint(${f.near.lon}::float8, ${f.near.lat}::float8), 4326)::geography`;
    base.push(sql`ST_DWithin(a.location::geography, ${point}, ${f.near.radiusKm * 1000}::float8)`);
    distance = sql`ST_Distance(a.location::geography, ${point}) / 1000.0`;
  }
  return { from, where: [...base, ...Object.values(groups)], base, groups, distance, anchor, local, anchorOnly };
}

/**
 * The themes whose label the text names, as the full-text search reads words (« tabac », « santé
 * mentale », « suicide »), and their sub-themes; with `upward`, also the theme above each (for a
 * sub-theme named, the whole theme it belongs to). Read from the taxonomy table, once per statement.
 */
function themesNamed(t: string, upward: boolean): Sql {
  return sql`ARRAY(
    SELECT x FROM (SELECT websearch_to_tsquery('french', public.f_unaccent(${t})) AS q) w,
      public.theme th LEFT JOIN public.theme p ON p.code = th.parent_code,
      LATERAL unnest(${upward ? sql`ARRAY[th.code, th.parent_code]` : sql`ARRAY[th.code]`}) x
    WHERE x IS NOT NULL
      AND (to_tsvector('french', public.f_unaccent(th.label)) @@ w.q OR to_tsvector('french', public.f_unaccent(coalesce(p.label, ''))) @@ w.q))`;
}

/** Actor `a`'s name holds the normalised text, escaped for LIKE (never a pattern). */
const nameHolds = (t: string): Sql => sql`(public.f_norm(${t}) <> '' AND a.search_name LIKE '%' || public.f_like_escape(public.f_norm(${t})) || '%')`;

/**
 * Actors declared on a theme whose label the text names: that theme, its sub-themes and, for a
 * sub-theme, the whole theme it belongs to (an actor of « Prévention des addictions » is one to ask
 * about tobacco).
 */
export function themeLabelCondition(t: string): Sql {
  return sql`a.themes && ${themesNamed(t, true)}`;
}

/**
 * How well actor `a` (its search_name and themes) answers a text, for the order RELEVANCE: 0 when
 * its name holds the text; 1 when it is declared on the theme the text names or on one of that
 * theme's sub-themes; 2 otherwise (its description, or the whole theme above a sub-theme named:
 * « tabac » finds the actors of « Tabac » before those of « Prévention des addictions »).
 */
export function textRank(t: string): Sql {
  return sql`CASE WHEN ${nameHolds(t)} THEN 0 WHEN a.themes && ${themesNamed(t, false)} THEN 1 ELSE 2 END`;
}

/**
 * The normalised text (letters and digits) goes into LIKE escaped, never as a pattern. A text
 * without letter or digit normalises to nothing: it is then looked for as typed in the names
 * (« % » finds « 100 % prévention », not every actor).
 */
export function textCondition(t: string): Sql {
  return sql`(a.search_vector @@ websearch_to_tsquery('french', public.f_unaccent(${t}))
    OR ${nameHolds(t)}
    OR (public.f_norm(${t}) = '' AND strpos(a.name, ${t}) > 0)
    OR (length(public.f_norm(${t})) > 3 AND public.f_norm(${t}) <% a.search_name))`;
}
