import type { DataSource } from 'typeorm';
import { one, type Sql, sql } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
import type { Taxonomy } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { TerritoryService } from '../territories/territory.service.js';

/** A territory as the API names it. */
export interface TerritoryRef {
  level: TerritoryLevel;
  code: string;
}

/** Where a coalition lies: 'LEVEL:CODE' of its territory and of every territory containing it, and its région. */
export interface Area {
  keys: string[];
  regionCode: string | null;
}

/**
 * SQL condition on territory alias `t` keeping the communes of a territory of any level: each
 * commune row holds its ancestor of each level.
 */
export function communesOf(level: TerritoryLevel, code: string): Sql {
  switch (level) {
    case TerritoryLevel.PAYS:
      return sql`t.level = 'COMMUNE'`;
    case TerritoryLevel.COMMUNE:
      return sql`t.level = 'COMMUNE' AND t.code = ${code}`;
    case TerritoryLevel.ARRONDISSEMENT:
      return sql`t.level = 'COMMUNE' AND t.code = (SELECT r.commune_code FROM territory r WHERE r.level = 'ARRONDISSEMENT' AND r.code = ${code})`;
    case TerritoryLevel.EPCI:
      return sql`t.level = 'COMMUNE' AND t.epci_code = ${code}`;
    case TerritoryLevel.EPT:
      return sql`t.level = 'COMMUNE' AND t.ept_code = ${code}`;
    case TerritoryLevel.DEPARTEMENT:
      return sql`t.level = 'COMMUNE' AND t.departement_code = ${code}`;
    case TerritoryLevel.REGION:
      return sql`t.level = 'COMMUNE' AND t.region_code = ${code}`;
  }
}

/**
 * Themes and their sub-themes (`themes`), and the parents of those that have one (`broader`, not
 * already among the first): Tabac gives Tabac and Addictions; Addictions, itself and its sub-themes.
 */
export function themeFamily(taxonomy: Taxonomy, codes: readonly string[]): { themes: string[]; broader: string[] } {
  const themes = new Set<string>();
  const parents = new Set<string>();
  for (const code of codes) {
    for (const c of taxonomy.expand(code)) themes.add(c);
    const parent = taxonomy.themeByCode.get(code)?.parentCode;
    if (parent) parents.add(parent);
  }
  return { themes: [...themes], broader: [...parents].filter((p) => !themes.has(p)) };
}

/** A theme, its sub-themes and its parent: what counts as a related theme (related coalitions, candidate partners). */
export function relatedThemes(taxonomy: Taxonomy, codes: readonly string[]): string[] {
  const { themes, broader } = themeFamily(taxonomy, codes);
  return [...themes, ...broader];
}

/** SQL condition on coalition alias `c`: one of the themes, or a theme related to one of them. */
export function themesSql(taxonomy: Taxonomy, codes: readonly string[]): Sql {
  return sql`c.themes && ${relatedThemes(taxonomy, codes)}::text[]`;
}

/** SQL condition on coalition alias `c`: still running (no end date, or not past). */
export const CURRENT_COALITION: Sql = sql`(c.end_date IS NULL OR c.end_date >= current_date)`;

/** The territory of a coalition: where it lies and which coalitions a scope finds. */
export class CoalitionArea {
  constructor(
    private readonly ds: DataSource,
    private readonly territories: TerritoryService,
  ) {}

  /** 'LEVEL:CODE' of a territory and of every territory containing it, plus its région; BAD_USER_INPUT if unknown. */
  async areaOf(level: TerritoryLevel, code: string): Promise<Area> {
    const known = await this.territories.knownKeys();
    if (!CODE_PATTERNS[level]?.test(code) || !known.has(`${level}:${code}`)) {
      throw badInput(`Territoire inconnu : ${LEVEL_LABELS[level] ?? level} ${code.slice(0, 12)}`, 'territory');
    }
    if (level === TerritoryLevel.PAYS) return { keys: ['PAYS:FR'], regionCode: null };
    const t = await one<Record<string, string | null>>(
      this.ds,
      sql`SELECT commune_code, epci_code, ept_code, departement_code, region_code FROM territory WHERE level = ${level} AND code = ${code}`,
    );
    const regionCode = level === TerritoryLevel.REGION ? code : (t?.region_code ?? null);
    const departement = level === TerritoryLevel.DEPARTEMENT ? code : t?.departement_code;
    const keys = new Set<string>([`${level}:${code}`, 'PAYS:FR']);
    if (regionCode) keys.add(`REGION:${regionCode}`);
    if (departement) keys.add(`DEPARTEMENT:${departement}`);
    if (t?.epci_code && level !== TerritoryLevel.EPCI) keys.add(`EPCI:${t.epci_code}`);
    if (t?.ept_code && level !== TerritoryLevel.EPT) keys.add(`EPT:${t.ept_code}`);
    if (t?.commune_code && level === TerritoryLevel.ARRONDISSEMENT) keys.add(`COMMUNE:${t.commune_code}`);
    return { keys: [...keys], regionCode };
  }

  /** SQL condition on coalition alias `c`: its territory lies inside the scope or contains it. */
  async scopeSql(scope: TerritoryRef): Promise<Sql> {
    const code = scope.code.trim().toUpperCase();
    const { keys } = await this.areaOf(scope.level, code);
    return sql`(c.area_keys @> ARRAY[${`${scope.level}:${code}`}::text] OR (c.territory_level || ':' || c.territory_code) = ANY(${keys}::text[]))`;
  }
}
