import { type ActorKind, FIELD_KEY_PREFIX, STEERING_KINDS } from '../actors/actor-enums.js';
import { type Sql, shared, sql } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
import type { Theme } from '../themes/theme.entity.js';
import type { Taxonomy, ThemeService } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { Territory } from '../territories/territory.entity.js';
import { LEVEL_RANK } from '../territories/territory-hierarchy.js';
import type { TerritoryRef, TerritoryService } from '../territories/territory.service.js';
import { GapLevel, type GapFilterInput, Presence } from './gap.inputs.js';

/** Prepended to a theme key in coverage_theme_count for the rows of local presence (migration 1764000000018). */
export const LOCAL_KEY_PREFIX = 'local:';
/**
 * Prepended to a theme key for the local presence of actors whose record was confirmed recently
 * (`actor.verified_recently`, FRESHNESS_MONTHS: migration 1764000000020). Counted on local rows only.
 */
export const FRESH_KEY_PREFIX = 'fresh:';

/**
 * A column of figures: the actors counted are those having at least one of `keys` (theme keys
 * of actor_theme_key: a theme code stands for itself and its sub-themes, '*' for any theme).
 */
export interface Group {
  id: string;
  keys: string[];
}

/** A checked request: scope, level, themes and actor filters. */
export interface GapSpec {
  scope: Territory;
  level: GapLevel;
  /** LOCAL: the counts that decide (n, covered, gaps) are those of local presence; ANY: of any coverage. */
  presence: Presence;
  themes: Theme[];
  /** The combined column (all requested themes together). */
  main: Group;
  /** Prepended to every theme key: FIELD_KEY_PREFIX when only field actors count, else ''. */
  keyPrefix: string;
  kinds: ActorKind[] | null;
  audiences: string[] | null;
  minActors: number | null;
  minPer10k: number | null;
  /** Only the communes whose boundary meets this lon/lat box (a map tile's figures, level COMMUNE). */
  within?: [number, number, number, number];
}

/** Checks requests against the vocabularies and the official geography. */
export class GapSpecReader {
  constructor(
    private readonly themes: ThemeService,
    private readonly territories: TerritoryService,
  ) {}

  /** Checks a request; every problem is a BAD_USER_INPUT naming its field. */
  async read(filter: GapFilterInput | undefined | null, scopeOverride?: TerritoryRef): Promise<GapSpec> {
    const f = filter ?? {};
    const taxonomy = await this.themes.taxonomy();
    const scope = await this.scope(scopeOverride ?? f.scope ?? null, scopeOverride ? 'scopes' : 'scope');
    const level = f.level ?? GapLevel.COMMUNE;
    if (LEVEL_RANK[level] >= LEVEL_RANK[scope.level]) {
      throw badInput(`Niveau impossible : un(e) ${LEVEL_LABELS[scope.level]} ne contient pas de territoires de niveau ${LEVEL_LABELS[level]}`, 'level');
    }
    const themes = taxonomy.checkThemes([...new Set((f.themes ?? []).map((c) => c.trim()))], 'themes');
    if (f.audiences?.length) taxonomy.checkAudiences(f.audiences, 'audiences');
    if (f.minActors !== undefined && f.minActors !== null && !Number.isInteger(f.minActors)) {
      throw badInput('Le seuil minActors est un entier', 'minActors');
    }
    const minPer10k = f.minActorsPer10k ?? null;
    const minActors = f.minActors ?? (minPer10k === null ? 1 : null);
    const field = fieldActors(f);
    return {
      scope,
      level,
      presence: f.presence ?? Presence.LOCAL,
      themes,
      main: { id: 'main', keys: keysOf(themes, taxonomy).map((k) => field.keyPrefix + k) },
      keyPrefix: field.keyPrefix,
      kinds: field.kinds,
      audiences: f.audiences?.length ? [...new Set(f.audiences)] : null,
      minActors,
      minPer10k,
    };
  }

  /** Per-theme columns: the requested themes one by one, or else every top-level theme. */
  async themeGroups(spec: GapSpec): Promise<{ theme: Theme; group: Group }[]> {
    const taxonomy = await this.themes.taxonomy();
    const themes = spec.themes.length ? spec.themes : taxonomy.themes.filter((t) => !t.parentCode);
    return themes.map((theme) => ({ theme, group: { id: theme.code, keys: [spec.keyPrefix + theme.code] } }));
  }

  /** The scope territory; null means France. */
  private async scope(ref: TerritoryRef | null, field: string): Promise<Territory> {
    const level = ref?.level ?? TerritoryLevel.PAYS;
    const code = (ref?.code ?? 'FR').trim().toUpperCase();
    const known = await this.territories.knownKeys();
    if (level === TerritoryLevel.ARRONDISSEMENT) throw badInput('Un arrondissement municipal ne peut pas servir de périmètre', field);
    if (!CODE_PATTERNS[level].test(code) || !known.has(`${level}:${code}`)) {
      throw badInput(`Territoire inconnu dans le COG 2026 : ${LEVEL_LABELS[level]} ${code.slice(0, 12)}`, field);
    }
    const [t] = await this.territories.findMany([{ level, code }]);
    return t!;
  }
}

/**
 * The kinds of actors that count. Only field actors, without other kinds asked for: the theme
 * keys take the `terrain:` prefix, under which the aggregates count every actor but the steering
 * bodies (migration 1764000000011), so the fast path still answers. With kinds asked for: those,
 * less the steering bodies.
 */
function fieldActors(f: GapFilterInput): { kinds: ActorKind[] | null; keyPrefix: string } {
  const asked = f.kinds?.length ? [...new Set(f.kinds)] : null;
  if (!f.fieldActorsOnly) return { kinds: asked, keyPrefix: '' };
  if (!asked) return { kinds: null, keyPrefix: FIELD_KEY_PREFIX };
  const kinds = asked.filter((k) => !STEERING_KINDS.includes(k));
  if (kinds.length === 0) throw badInput('Aucune nature d’acteur ne reste : les natures demandées sont toutes des administrations de pilotage', 'kinds');
  return { kinds, keyPrefix: '' };
}

/** Theme keys standing for a set of themes: a sub-theme whose parent is there adds nothing. */
function keysOf(themes: Theme[], taxonomy: Taxonomy): string[] {
  if (themes.length === 0) return ['*'];
  const codes = new Set(themes.map((t) => t.code));
  const keys = [...codes].filter((c) => {
    const parent = taxonomy.themeByCode.get(c)?.parentCode;
    return !(parent && codes.has(parent));
  });
  return keys.sort();
}

/** The conditions on `actor a` of the kinds and publics asked for (none when every actor counts), each value sent once. */
export function actorConditions(spec: GapSpec): Sql[] {
  const where: Sql[] = [];
  if (spec.kinds) where.push(sql`a.kind = ANY(${shared(spec.kinds)}::text[])`);
  if (spec.audiences) where.push(sql`a.audiences && ${shared(spec.audiences)}::text[]`);
  return where;
}
