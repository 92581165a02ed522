import type { DataSource } from 'typeorm';
import { type ActorKind, FIELD_KEY_PREFIX, STEERING_KINDS } from '../actors/actor-enums.js';
import { badInput } from '../graphql/errors.js';
import type { Theme } from '../themes/theme.entity.js';
import type { Taxonomy, ThemeService } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import { TERRITORY_COLUMNS, type Territory, type TerritoryRow, toTerritory } from '../territories/territory.entity.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { REGION_MAP_ZOOM, halfPixelDegrees } from '../territories/map-geometry.js';
import { GapLevel, GapOrder, type GapFilterInput } from './gap.inputs.js';
import type { CoverageSummary, TerritoryCoverage } from './gap.types.js';

/** The largest page of gaps. */
export const MAX_GAP_PAGE = 5_000;

/** How fine each level is, to refuse a level that is not inside the scope. */
const RANK: Record<TerritoryLevel, number> = {
  ARRONDISSEMENT: 0,
  COMMUNE: 1,
  EPT: 2,
  EPCI: 3,
  DEPARTEMENT: 4,
  REGION: 5,
  PAYS: 6,
};

/** Column of a commune holding its territory of each scope level. */
const SCOPE_COLUMN: Partial<Record<TerritoryLevel, string>> = {
  EPT: 'ept_code',
  EPCI: 'epci_code',
  DEPARTEMENT: 'departement_code',
  REGION: 'region_code',
};

/** Column of a commune holding its territory of each analysed level. */
const UNIT_COLUMN: Record<GapLevel, string> = {
  COMMUNE: 'code',
  EPCI: 'epci_code',
  DEPARTEMENT: 'departement_code',
};

const ORDER_SQL: Record<GapOrder, string> = {
  UNCOVERED_POPULATION: 'r.uncovered_pop DESC, r.pop DESC, r.code',
  POPULATION: 'r.pop DESC, r.code',
  ACTORS_PER_10K: 'r.per10k ASC NULLS FIRST, r.pop DESC, r.code',
  NAME: 'r.name, r.code',
};

/**
 * A column of figures: the actors counted are those having at least one of `keys` (theme keys
 * of actor_theme_key: a theme code stands for itself and its sub-themes, '*' for any theme).
 */
interface Group {
  id: string;
  keys: string[];
}

/** A checked request: scope, level, themes and actor filters. */
interface Spec {
  scope: Territory;
  level: GapLevel;
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

/** An integer standing for a commune code, unique: 55545 → 55545, 2A004 → 100004, 2B033 → 200033. */
const communeId = (col: string) =>
  `(CASE WHEN ${col} ~ '^[0-9]{5}$' THEN ${col}::int ELSE (CASE substr(${col}, 2, 1) WHEN 'A' THEN 100000 ELSE 200000 END) + substr(${col}, 3)::int END)`;

/** Builds parameterised SQL: `p(value)` appends a parameter and returns its placeholder. */
class Sql {
  readonly params: unknown[] = [];
  p = (value: unknown): string => {
    this.params.push(value);
    return `$${this.params.length}`;
  };
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const round = (v: number | null, digits: number) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const parse = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** A territory row as the figures query returns it. */
interface FigureRow extends TerritoryRow {
  pop: string | number;
  n: number;
  per10k: number | null;
  communes: number;
  covered_communes: number;
  covered_pop: string | number;
  uncovered_pop: string | number;
  is_gap: boolean;
  nearest_m: number | null;
  rank: number | null;
}

interface SummaryRow {
  gid: string;
  pop: string | number;
  covered_pop: string | number;
  communes: number;
  covered_communes: number;
  territories: number;
  uncovered_territories: number;
  gaps: number;
  actors: number;
}

/**
 * Gaps and coverage: which territories of a scope have no (or too few) prevention actors for a
 * theme, as lists, choropleth maps, theme matrices and side-by-side comparisons.
 *
 * Counts come from the maintained aggregates of migration 1764000000005 (coverage_theme_count,
 * actor_theme_point) when the request is one theme (or any theme) without kind or public filter;
 * otherwise they are computed from coverage_commune / coverage_area and the filtered actors.
 * Either way every answer is one SQL round trip.
 *
 * Only ACTIVE + VALIDATED actors count (moderation, migration 1764000000017): both paths start from
 * actor_theme_key, and the nearest actor from actor_theme_point, which hold those actors only; a
 * new reader of the figures must start from them too, never from `actor` alone.
 */
export class GapService {
  constructor(
    private readonly ds: DataSource,
    private readonly themes: ThemeService,
    private readonly territories: TerritoryService,
  ) {}

  /** Checks a request; every problem is a BAD_USER_INPUT naming its field. */
  private async spec(filter: GapFilterInput | undefined | null, scopeOverride?: { level: TerritoryLevel; code: string }): Promise<Spec> {
    const f = filter ?? {};
    const taxonomy = await this.themes.taxonomy();
    const scope = await this.scope(scopeOverride ?? f.scope ?? null, scopeOverride ? 'scopes' : 'scope');
    const level = f.level ?? GapLevel.COMMUNE;
    if (RANK[level as unknown as TerritoryLevel] >= RANK[scope.level]) {
      throw badInput(
        `Niveau impossible : un(e) ${LEVEL_LABELS[scope.level]} ne contient pas de territoires de niveau ${LEVEL_LABELS[level as unknown as TerritoryLevel]}`,
        'level',
      );
    }
    const themes = this.checkThemes(f.themes, taxonomy, 'themes');
    if (f.audiences?.length) {
      taxonomy.checkAudiences(f.audiences, 'audiences');
    }
    if (f.minActors !== undefined && f.minActors !== null && !Number.isInteger(f.minActors)) {
      throw badInput('Le seuil minActors est un entier', 'minActors');
    }
    const minPer10k = f.minActorsPer10k ?? null;
    const minActors = f.minActors ?? (minPer10k === null ? 1 : null);
    const field = GapService.fieldActors(f);
    return {
      scope,
      level,
      themes,
      main: { id: 'main', keys: GapService.keysOf(themes, taxonomy).map((k) => field.keyPrefix + k) },
      keyPrefix: field.keyPrefix,
      kinds: field.kinds,
      audiences: f.audiences?.length ? [...new Set(f.audiences)] : null,
      minActors,
      minPer10k,
    };
  }

  /**
   * The kinds of actors that count. Only field actors, without other kinds asked for: the theme
   * keys take the `terrain:` prefix, under which the aggregates count every actor but the steering
   * bodies (migration 1764000000011), so the fast path still answers. With kinds asked for: those,
   * less the steering bodies.
   */
  private static fieldActors(f: GapFilterInput): { kinds: ActorKind[] | null; keyPrefix: string } {
    const asked = f.kinds?.length ? [...new Set(f.kinds)] : null;
    if (!f.fieldActorsOnly) return { kinds: asked, keyPrefix: '' };
    if (!asked) return { kinds: null, keyPrefix: FIELD_KEY_PREFIX };
    const kinds = asked.filter((k) => !STEERING_KINDS.includes(k));
    if (kinds.length === 0) throw badInput('Aucune nature d’acteur ne reste : les natures demandées sont toutes des administrations de pilotage', 'kinds');
    return { kinds, keyPrefix: '' };
  }

  /** The scope territory; null means France. */
  private async scope(ref: { level: TerritoryLevel; code: string } | null, field: string): Promise<Territory> {
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

  private checkThemes(codes: string[] | null | undefined, taxonomy: Taxonomy, field: string): Theme[] {
    const clean = [...new Set((codes ?? []).map((c) => c.trim()))];
    return taxonomy.checkThemes(clean, field);
  }

  /** Theme keys standing for a set of themes: a sub-theme whose parent is there adds nothing. */
  private static keysOf(themes: Theme[], taxonomy: Taxonomy): string[] {
    if (themes.length === 0) return ['*'];
    const codes = new Set(themes.map((t) => t.code));
    const keys = [...codes].filter((c) => {
      const parent = taxonomy.themeByCode.get(c)?.parentCode;
      return !(parent && codes.has(parent));
    });
    return keys.sort();
  }

  /** True when the maintained per-theme counts answer the request exactly. */
  private static fast(spec: Spec, groups: Group[]): boolean {
    return !spec.kinds && !spec.audiences && groups.every((g) => g.keys.length === 1);
  }

  /** Per-theme columns: the requested themes one by one, or else every top-level theme. */
  private async themeGroups(spec: Spec): Promise<{ theme: Theme; group: Group }[]> {
    const taxonomy = await this.themes.taxonomy();
    const themes = spec.themes.length ? spec.themes : taxonomy.themes.filter((t) => !t.parentCode);
    return themes.map((theme) => ({ theme, group: { id: theme.code, keys: [spec.keyPrefix + theme.code] } }));
  }

  /**
   * The CTEs every query starts with:
   * - sc: communes of the scope; u: territories at the level; m: member communes of each of them
   *   (all its communes, even outside the scope); communes carry an integer id (communeId) so
   *   that the large joins below compare integers;
   * - g: the columns (gid, ord); kc(ord, id, n): actors per commune; ka(ord, code, n): actors per
   *   territory of the level (EPCI, département); fa: the filtered actors (live counts only).
   */
  private base(sql: Sql, spec: Spec, groups: Group[]): string {
    const { p } = sql;
    const scopeCol = SCOPE_COLUMN[spec.scope.level];
    const scopeWhere =
      (spec.scope.level === TerritoryLevel.PAYS ? '' : `AND c.${scopeCol} = ${p(spec.scope.code)}`) +
      (spec.within ? ` AND ${GapService.meets(sql, 'c.geom', spec.within)}` : '');
    const unitCol = UNIT_COLUMN[spec.level];
    const units =
      spec.level === GapLevel.COMMUNE
        ? `SELECT code FROM sc`
        : `SELECT DISTINCT ${unitCol} AS code FROM sc WHERE ${unitCol} IS NOT NULL`;
    const members =
      spec.level === GapLevel.COMMUNE
        ? `SELECT code AS unit, code, id, population FROM sc`
        : `SELECT c.${unitCol} AS unit, c.code, ${communeId('c.code')} AS id, c.population FROM territory c
           WHERE c.level = 'COMMUNE' AND c.${unitCol} = ANY(ARRAY(SELECT code FROM u))`;
    const gids = p(groups.map((g) => g.id));
    const areaLevel = spec.level === GapLevel.COMMUNE ? null : p(spec.level);
    // Every commune whose counts are needed: the scope's, and the other members of its territories.
    const communes = spec.level === GapLevel.COMMUNE ? 'sc' : '(SELECT code, id FROM m UNION SELECT code, id FROM sc)';
    let counts: string;
    if (GapService.fast(spec, groups)) {
      const keys = p(groups.map((g) => g.keys[0]));
      counts = `
        g AS (SELECT gid, key, ord::int AS ord FROM unnest(${gids}::text[], ${keys}::text[]) WITH ORDINALITY AS g(gid, key, ord)),
        -- Dense: one row per (commune, column), zeros included, from one index range per commune.
        kc AS MATERIALIZED (${
          spec.scope.level === TerritoryLevel.PAYS
            ? // All of France: each theme's rows in one index range, hashed.
              `SELECT x.id, g.ord, coalesce(k.actor_count, 0) AS n
               FROM ${communes} x CROSS JOIN g
               LEFT JOIN (SELECT k.code, k.theme, k.actor_count FROM coverage_theme_count k
                          WHERE k.level = 'COMMUNE' AND k.theme = ANY(${keys}::text[])) k ON k.code = x.code AND k.theme = g.key`
            : `SELECT x.id, g.ord, coalesce((cnt.n ->> g.key)::int, 0) AS n
               FROM ${communes} x
               CROSS JOIN LATERAL (SELECT jsonb_object_agg(k.theme, k.actor_count) AS n FROM coverage_theme_count k
                 WHERE k.level = 'COMMUNE' AND k.code = x.code AND k.theme = ANY(${keys}::text[])) cnt
               CROSS JOIN g`
        })
        ${
          areaLevel
            ? `, ka AS (SELECT g.ord, k.code, k.actor_count AS n FROM u
                 JOIN coverage_theme_count k ON k.level = ${areaLevel} AND k.code = u.code AND k.theme = ANY(${keys}::text[])
                 JOIN g ON g.key = k.theme)`
            : ''
        }`;
    } else {
      const where: string[] = [];
      if (spec.kinds) where.push(`a.kind = ANY(${p(spec.kinds)}::text[])`);
      if (spec.audiences) where.push(`a.audiences && ${p(spec.audiences)}::text[]`);
      const groupKeys = p(JSON.stringify(groups.map((g, i) => ({ ord: i + 1, keys: g.keys }))));
      // Only actors touching the territories examined: they alone can cover their communes.
      const allCommunes = spec.scope.level === TerritoryLevel.PAYS;
      const touching = areaLevel
        ? `(SELECT DISTINCT ca.actor_id FROM coverage_area ca WHERE ca.level = ${areaLevel} AND ca.code IN (SELECT code FROM u))`
        : allCommunes
          ? '(SELECT actor_id FROM actor_theme_key)'
          : `(SELECT ca.actor_id FROM coverage_area ca WHERE ca.level = ${p(spec.scope.level)} AND ca.code = ${p(spec.scope.code)})`;
      counts = `
        g AS (SELECT gid, ord::int AS ord FROM unnest(${gids}::text[]) WITH ORDINALITY AS g(gid, ord)),
        gk AS (SELECT * FROM json_to_recordset(${groupKeys}::json) AS x(ord int, keys text[])),
        fa AS MATERIALIZED (
          SELECT s.actor_id AS id, gk.ord FROM ${touching} sa
          JOIN actor_theme_key s ON s.actor_id = sa.actor_id JOIN gk ON s.keys && gk.keys
          ${where.length ? `JOIN actor a ON a.id = s.actor_id WHERE ${where.join(' AND ')}` : ''}),
        fid AS MATERIALIZED (SELECT DISTINCT id FROM fa),
        cov AS MATERIALIZED (
          SELECT fid.id AS actor_id, ${communeId('cc.commune_code')} AS id FROM fid
          CROSS JOIN LATERAL (SELECT cc.commune_code FROM coverage_commune cc WHERE cc.actor_id = fid.id OFFSET 0) cc
          ${allCommunes ? '' : `WHERE cc.commune_code IN (SELECT code FROM ${communes} y)`}),
        kc AS MATERIALIZED (
          SELECT fa.ord, cov.id, count(*)::int AS n FROM fa JOIN cov ON cov.actor_id = fa.id GROUP BY fa.ord, cov.id)
        ${
          areaLevel
            ? `, ka AS (SELECT fa.ord, ca.code, count(*)::int AS n FROM fa
                 JOIN (SELECT fid.id, ca.code FROM fid
                       CROSS JOIN LATERAL (SELECT ca.code FROM coverage_area ca
                                           WHERE ca.actor_id = fid.id AND ca.level = ${areaLevel} OFFSET 0) ca
                       WHERE ca.code IN (SELECT code FROM u)) ca ON ca.id = fa.id
                 GROUP BY fa.ord, ca.code)`
            : ''
        }`;
    }
    return `
      sc AS MATERIALIZED (
        SELECT c.code, ${communeId('c.code')} AS id, c.population, c.epci_code, c.departement_code FROM territory c
        WHERE c.level = 'COMMUNE' ${scopeWhere}),
      u AS MATERIALIZED (${units}),
      m AS MATERIALIZED (${members}),
      ${counts}`;
  }

  /**
   * Communes × columns with their counts: the dense counts (fast path) hold every pair, the live
   * ones only the pairs with actors.
   */
  private static joinCounts(spec: Spec, groups: Group[]): (communes: string) => string {
    return GapService.fast(spec, groups)
      ? (c) => `${c} JOIN kc ON kc.id = ${c}.id JOIN g ON g.ord = kc.ord`
      : (c) => `${c} CROSS JOIN g LEFT JOIN kc ON kc.ord = g.ord AND kc.id = ${c}.id`;
  }

  /** Per (territory, column) figures, as CTE `r`; `f` is the grouping over member communes. */
  private figures(sql: Sql, spec: Spec, groups: Group[]): string {
    const { p } = sql;
    const mk = GapService.joinCounts(spec, groups);
    const minActors = p(spec.minActors);
    const minPer10k = p(spec.minPer10k);
    const f =
      spec.level === GapLevel.COMMUNE
        ? `SELECT m.code, m.id, g.gid, g.ord, coalesce(m.population, 0)::bigint AS pop, 1 AS communes,
             (coalesce(kc.n, 0) > 0)::int AS covered_communes,
             CASE WHEN kc.n > 0 THEN coalesce(m.population, 0) ELSE 0 END::bigint AS covered_pop, coalesce(kc.n, 0) AS n
           FROM ${mk('m')}`
        : `SELECT f.*, coalesce(ka.n, 0) AS n FROM (
             SELECT m.unit AS code, g.gid, g.ord, sum(coalesce(m.population, 0))::bigint AS pop, count(*)::int AS communes,
               count(*) FILTER (WHERE kc.n > 0)::int AS covered_communes,
               coalesce(sum(m.population) FILTER (WHERE kc.n > 0), 0)::bigint AS covered_pop
             FROM ${mk('m')}
             GROUP BY m.unit, g.gid, g.ord) f
           LEFT JOIN ka ON ka.ord = f.ord AND ka.code = f.code`;
    return `
      f AS (${f}),
      r AS (
        SELECT f.*, f.pop - f.covered_pop AS uncovered_pop,
          CASE WHEN f.pop > 0 THEN f.n * 10000.0::float8 / f.pop END AS per10k,
          (f.n < coalesce(${minActors}::int, 0)
            OR (${minPer10k}::float8 IS NOT NULL AND CASE WHEN f.pop > 0 THEN f.n * 10000.0::float8 / f.pop < ${minPer10k}::float8
                                                          ELSE f.n = 0 END)) AS is_gap
        FROM f)`;
  }

  /** Summary per column, as CTE `s`: population from the scope's communes, territories from `r`. */
  private summaries(sql: Sql, spec: Spec, groups: Group[]): string {
    const mk = GapService.joinCounts(spec, groups);
    const scopeActors = `coalesce((SELECT ${this.scopeActorCount(sql, spec, groups)} WHERE x.gid = g.gid), 0)`;
    return `
      sp AS (${
        spec.level === GapLevel.COMMUNE
          ? // The territories are the scope's communes: the same sums, without a second join.
            `SELECT r.gid, sum(r.pop)::bigint AS pop, sum(r.covered_pop)::bigint AS covered_pop,
               count(*)::int AS communes, sum(r.covered_communes)::int AS covered_communes
             FROM r GROUP BY r.gid`
          : `SELECT g.gid, sum(coalesce(sc.population, 0))::bigint AS pop,
               coalesce(sum(sc.population) FILTER (WHERE kc.n > 0), 0)::bigint AS covered_pop,
               count(*)::int AS communes, count(*) FILTER (WHERE kc.n > 0)::int AS covered_communes
             FROM ${mk('sc')}
             GROUP BY g.gid`
      }),
      st AS (
        SELECT r.gid, count(*)::int AS territories, count(*) FILTER (WHERE r.covered_communes = 0)::int AS uncovered_territories,
          count(*) FILTER (WHERE r.is_gap)::int AS gaps
        FROM r GROUP BY r.gid),
      s AS (
        SELECT g.gid, g.ord, sp.pop, sp.covered_pop, sp.communes, sp.covered_communes,
          coalesce(st.territories, 0) AS territories, coalesce(st.uncovered_territories, 0) AS uncovered_territories,
          coalesce(st.gaps, 0) AS gaps, ${scopeActors} AS actors
        FROM g LEFT JOIN sp ON sp.gid = g.gid LEFT JOIN st ON st.gid = g.gid)`;
  }

  /** Distinct actors covering the scope, per column (a correlated sub-select on `g`). */
  private scopeActorCount(sql: Sql, spec: Spec, groups: Group[]): string {
    const { p } = sql;
    if (GapService.fast(spec, groups)) {
      return `x.n FROM (SELECT g2.gid, k.actor_count AS n FROM g g2 JOIN coverage_theme_count k
                ON k.theme = g2.key AND k.level = ${p(spec.scope.level)} AND k.code = ${p(spec.scope.code)}) x`;
    }
    return `x.n FROM (SELECT g2.gid, count(DISTINCT fa.id)::int AS n FROM fa JOIN g g2 ON g2.ord = fa.ord
              JOIN coverage_area ca ON ca.actor_id = fa.id AND ca.level = ${p(spec.scope.level)} AND ca.code = ${p(spec.scope.code)}
              GROUP BY g2.gid) x`;
  }

  /**
   * Distance in metres from the territory `t` to the nearest filtered actor having one of the
   * column's keys. The nearest is found by a planar KNN in the territory's local projection
   * (Lambert-93, or the UTM zone of its overseas département: migration 1764000000012), about
   * three times cheaper than on the sphere; the distance returned is the geodesic one to that
   * actor. Without a projection, or with no such actor in the zone, it searches on the sphere.
   */
  private nearest(sql: Sql, spec: Spec, group: Group): string {
    const { p } = sql;
    const where: string[] = [];
    if (spec.kinds) where.push(`a.kind = ANY(${p(spec.kinds)}::text[])`);
    if (spec.audiences) where.push(`a.audiences && ${p(spec.audiences)}::text[]`);
    const join = where.length ? `JOIN actor a ON a.id = p.actor_id AND ${where.join(' AND ')}` : '';
    const knn = (key: string) => `coalesce(
        (SELECT CASE WHEN p.zone = t.zone THEN ST_Distance(p.geog, tg.g) END FROM actor_theme_point p ${join}
         WHERE p.theme = ${key} AND p.proj IS NOT NULL AND t.geom_proj IS NOT NULL
         ORDER BY p.proj <-> t.geom_proj LIMIT 1),
        (SELECT ST_Distance(p.geog, tg.g) FROM actor_theme_point p ${join}
         WHERE p.theme = ${key} AND tg.g IS NOT NULL ORDER BY p.geog <-> tg.g LIMIT 1))`;
    const body =
      group.keys.length === 1
        ? `SELECT ${knn(p(group.keys[0]))} AS d`
        : `SELECT min(${knn('gk.key')}) AS d FROM unnest(${p(group.keys)}::text[]) gk(key)`;
    return `LEFT JOIN LATERAL (SELECT t.geom::geography AS g) tg ON true
            LEFT JOIN LATERAL (${body}) nn ON true`;
  }

  private static toSummary(row: SummaryRow | undefined): CoverageSummary {
    const pop = num(row?.pop);
    const covered = num(row?.covered_pop);
    const actors = num(row?.actors);
    return {
      population: pop,
      coveredPopulation: covered,
      coveredPopulationShare: pop > 0 ? round(covered / pop, 6) : null,
      communeCount: num(row?.communes),
      coveredCommuneCount: num(row?.covered_communes),
      territoryCount: num(row?.territories),
      uncoveredTerritoryCount: num(row?.uncovered_territories),
      gapCount: num(row?.gaps),
      actorCount: actors,
      actorsPer10k: pop > 0 ? round((actors * 10000) / pop, 4) : null,
    };
  }

  private static toCoverage(row: FigureRow): TerritoryCoverage {
    const pop = num(row.pop);
    const covered = num(row.covered_pop);
    return {
      territory: toTerritory(row),
      population: pop,
      actorCount: num(row.n),
      actorsPer10k: round(numOrNull(row.per10k), 4),
      covered: num(row.covered_communes) > 0,
      isGap: row.is_gap,
      communeCount: num(row.communes),
      coveredCommuneCount: num(row.covered_communes),
      coveredPopulation: covered,
      coveredPopulationShare: pop > 0 ? round(covered / pop, 6) : null,
      uncoveredPopulation: num(row.uncovered_pop),
      nearestActorKm: row.nearest_m === null || row.nearest_m === undefined ? null : round(Number(row.nearest_m) / 1000, 3),
      rank: numOrNull(row.rank),
    };
  }

  /** The gaps of a scope, ranked; `withDistance` computes the nearest actor for the page. */
  async gaps(
    filter: GapFilterInput,
    orderBy: GapOrder,
    first: number,
    offset: number,
    withDistance: boolean,
  ): Promise<{ spec: Spec; totalCount: number; territoryCount: number; gapPopulation: number; rows: TerritoryCoverage[] }> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_GAP_PAGE) {
      throw badInput(`« first » doit être compris entre 0 et ${MAX_GAP_PAGE}`, 'first');
    }
    if (!Number.isInteger(offset) || offset < 0) throw badInput('« offset » doit être positif ou nul', 'offset');
    const spec = await this.spec(filter);
    const groups = [spec.main];
    const sql = new Sql();
    const { p } = sql;
    const text = `
      WITH ${this.base(sql, spec, groups)},
      ${this.figures(sql, spec, groups)},
      gp AS MATERIALIZED (
        SELECT r.*, row_number() OVER (ORDER BY ${ORDER_SQL[orderBy]}) AS rank
        FROM (${
          orderBy === GapOrder.NAME
            ? `SELECT r.*, t.name FROM r JOIN territory t ON t.level = ${p(spec.level)} AND t.code = r.code WHERE r.is_gap`
            : 'SELECT r.* FROM r WHERE r.is_gap'
        }) r),
      page AS (SELECT * FROM gp ORDER BY rank LIMIT ${p(first)} OFFSET ${p(offset)})
      SELECT (SELECT count(*)::int FROM gp) AS total, (SELECT count(*)::int FROM r) AS territories,
        (SELECT coalesce(sum(pop), 0)::bigint FROM gp) AS gap_pop,
        (SELECT coalesce(json_agg(x ORDER BY x.rank), '[]') FROM (
           SELECT ${TERRITORY_COLUMNS}, page.pop, page.n, page.per10k, page.communes, page.covered_communes, page.covered_pop,
             page.uncovered_pop, page.is_gap, page.rank, ${withDistance ? 'nn.d' : 'NULL::float8'} AS nearest_m
           FROM page JOIN territory t ON t.level = ${p(spec.level)} AND t.code = page.code
           ${withDistance ? this.nearest(sql, spec, spec.main) : ''}) x) AS rows`;
    const [row] = await this.ds.query(text, sql.params);
    return {
      spec,
      totalCount: num(row.total),
      territoryCount: num(row.territories),
      gapPopulation: num(row.gap_pop),
      rows: parse<FigureRow[]>(row.rows).map(GapService.toCoverage),
    };
  }

  /**
   * Every territory of the scope as a GeoJSON FeatureCollection built in SQL, with the summary
   * for all themes together and per theme, and the scope's bounding box. `zoom` (web-map zoom
   * level) sets the simplification; without it the stored display geometry is used. Without
   * `withFeatures`, the figures and the box only (the map then comes as tiles: coverageFeatures).
   */
  async coverage(
    filter: GapFilterInput,
    zoom: number | null,
    withDistance: boolean,
    compact = false,
    withFeatures = true,
  ): Promise<{
    spec: Spec;
    summary: CoverageSummary;
    byTheme: { theme: Theme; summary: CoverageSummary }[];
    features: unknown;
    bbox: [number, number, number, number] | null;
  }> {
    GapService.checkZoom(zoom);
    const spec = await this.spec(filter);
    const themeGroups = await this.themeGroups(spec);
    const groups = [spec.main, ...themeGroups.map((t) => t.group)];
    const sql = new Sql();
    const { p } = sql;
    const text = `
      WITH ${this.base(sql, spec, groups)},
      ${this.figures(sql, spec, groups)},
      ${this.summaries(sql, spec, groups)},
      ${GapService.ranked}
      SELECT
        (SELECT json_agg(s ORDER BY s.ord) FROM s) AS summaries,
        (SELECT json_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (
           SELECT ST_Extent(t.geom_z7) AS e FROM rm JOIN territory t ON t.level = ${p(spec.level)} AND t.code = rm.code) x
         WHERE e IS NOT NULL) AS bbox,
        ${withFeatures ? this.featureCollection(sql, spec, zoom, withDistance, compact) : 'NULL::json'} AS features`;
    const [row] = await this.ds.query(text, sql.params);
    const summaries = parse<SummaryRow[]>(row.summaries);
    const byGid = new Map(summaries.map((s) => [s.gid, s]));
    return {
      spec,
      summary: GapService.toSummary(byGid.get('main')),
      byTheme: themeGroups.map(({ theme, group }) => ({ theme, summary: GapService.toSummary(byGid.get(group.id)) })),
      features: withFeatures ? parse(row.features) : null,
      bbox: row.bbox ? parse<[number, number, number, number]>(row.bbox) : null,
    };
  }

  /**
   * The compact features of the coverage map whose boundary meets a lon/lat box (a map tile), and
   * nothing else: no per-theme column, no summary. On a map of communes, only the communes in the
   * box are counted (each commune's figures are its own); a territory of another level counts all
   * its communes.
   */
  async coverageFeatures(filter: GapFilterInput, zoom: number, within: [number, number, number, number]): Promise<GeoJSON.FeatureCollection> {
    GapService.checkZoom(zoom);
    const spec = await this.spec(filter);
    if (spec.level === GapLevel.COMMUNE) spec.within = within;
    const groups = [spec.main];
    const sql = new Sql();
    const text = `
      WITH ${this.base(sql, spec, groups)},
      ${this.figures(sql, spec, groups)},
      ${GapService.ranked}
      SELECT ${this.featureCollection(sql, spec, zoom, false, true, within)} AS features`;
    const [row] = await this.ds.query(text, sql.params);
    return parse(row.features);
  }

  private static checkZoom(zoom: number | null): void {
    if (zoom !== null && (!Number.isInteger(zoom) || zoom < 0 || zoom > 18)) throw badInput('« zoom » doit être compris entre 0 et 18', 'zoom');
  }

  /** rm: the main column's rows, gaps ranked (largest uncovered population first). */
  private static readonly ranked = `
      rm AS MATERIALIZED (
        SELECT r.*, CASE WHEN r.is_gap THEN row_number() OVER (PARTITION BY r.is_gap ORDER BY ${ORDER_SQL.UNCOVERED_POPULATION}) END AS rank
        FROM r WHERE r.gid = 'main')`;

  /** `AND`-able test that a geometry's box meets a lon/lat box, with the box as parameters. */
  private static meets(sql: Sql, column: string, box: [number, number, number, number]): string {
    return `${column} && ST_MakeEnvelope(${box.map((c) => `${sql.p(c)}::float8`).join(', ')}, 4326)`;
  }

  /** The FeatureCollection of the rows of rm, built in SQL (only those meeting `within` if given). */
  private featureCollection(
    sql: Sql,
    spec: Spec,
    zoom: number | null,
    withDistance: boolean,
    compact: boolean,
    within?: [number, number, number, number],
  ): string {
    const { p } = sql;
    // Boundaries simplified to half a pixel at this zoom; région-scale maps start from those stored
    // for zoom 7 (server/territories/map-geometry.ts). Without a zoom, the stored display geometry.
    const geom =
      zoom === null
        ? 't.geom_display'
        : zoom === REGION_MAP_ZOOM
          ? 't.geom_z7'
          : `ST_SimplifyPreserveTopology(${zoom < REGION_MAP_ZOOM ? 't.geom_z7' : 't.geom'}, ${p(halfPixelDegrees(zoom))}::float8)`;
    // Decimals of the coordinates: 4 (about 10 m) is finer than a pixel up to zoom 10.
    const digits = zoom !== null && zoom <= 10 ? 4 : 5;
    const properties = compact
      ? `json_build_object('code', t.code, 'name', t.name, 'population', rm.pop, 'actorCount', rm.n,
           'covered', rm.covered_communes > 0, 'isGap', rm.is_gap)`
      : `json_build_object('code', t.code, 'name', t.name, 'level', t.level, 'population', rm.pop,
           'actorCount', rm.n, 'actorsPer10k', round(rm.per10k::numeric, 4), 'covered', rm.covered_communes > 0,
           'isGap', rm.is_gap, 'communeCount', rm.communes, 'coveredCommuneCount', rm.covered_communes,
           'coveredPopulation', rm.covered_pop,
           'coveredPopulationShare', CASE WHEN rm.pop > 0 THEN round(rm.covered_pop::numeric / rm.pop, 6) END,
           'uncoveredPopulation', rm.uncovered_pop,
           'nearestActorKm', ${withDistance ? 'round((nn.d / 1000.0)::numeric, 3)' : 'NULL'},
           'rank', rm.rank)`;
    return `(SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
          'type', 'Feature', 'id', t.code, 'geometry', ST_AsGeoJSON(${geom}, ${digits})::json, 'properties', ${properties})
          ORDER BY t.code), '[]'::json))
       FROM rm JOIN territory t ON t.level = ${p(spec.level)} AND t.code = rm.code
       ${withDistance ? this.nearest(sql, spec, spec.main) : ''}
       ${within ? `WHERE ${GapService.meets(sql, 't.geom', within)}` : ''})`;
  }

  /** Territories × themes: actor counts per theme (the requested themes, or every top-level theme). */
  async matrix(filter: GapFilterInput, withTotals = true): Promise<{
    spec: Spec;
    themes: Theme[];
    rows: { territory: Territory; population: number; counts: number[]; missingThemes: string[] }[];
    totals: { theme: Theme; summary: CoverageSummary }[];
  }> {
    const spec = await this.spec(filter);
    const themeGroups = await this.themeGroups(spec);
    const groups = themeGroups.map((t) => t.group);
    const sql = new Sql();
    const { p } = sql;
    const text = `
      WITH ${this.base(sql, spec, groups)},
      ${this.figures(sql, spec, groups)},
      ${withTotals ? `${this.summaries(sql, spec, groups)},` : ''}
      cells AS (
        SELECT r.code, max(r.pop) AS pop, array_agg(r.n ORDER BY r.ord) AS counts FROM r
        GROUP BY ${spec.level === GapLevel.COMMUNE ? 'r.id, ' : ''}r.code)
      SELECT
        ${withTotals ? '(SELECT json_agg(s ORDER BY s.ord) FROM s)' : `'[]'::json`} AS summaries,
        (SELECT coalesce(json_agg(x ORDER BY x.pop DESC, x.code), '[]') FROM (
           SELECT t.*, cells.pop, cells.counts FROM cells
           CROSS JOIN LATERAL (SELECT ${TERRITORY_COLUMNS} FROM territory t
                               WHERE t.level = ${p(spec.level)} AND t.code = cells.code OFFSET 0) t) x) AS rows`;
    const [row] = await this.ds.query(text, sql.params);
    const summaries = new Map(parse<SummaryRow[]>(row.summaries).map((s) => [s.gid, s]));
    const themes = themeGroups.map((t) => t.theme);
    return {
      spec,
      themes,
      rows: parse<(TerritoryRow & { pop: number; counts: number[] })[]>(row.rows).map((r) => ({
        territory: toTerritory(r),
        population: num(r.pop),
        counts: r.counts.map(Number),
        missingThemes: themes.filter((_, i) => Number(r.counts[i]) === 0).map((t) => t.code),
      })),
      totals: themeGroups.map(({ theme, group }) => ({ theme, summary: GapService.toSummary(summaries.get(group.id)) })),
    };
  }

  /** The same indicators for several scopes, side by side (one SQL statement per scope, run together). */
  async compare(
    scopes: { level: TerritoryLevel; code: string }[],
    filter: GapFilterInput | null | undefined,
  ): Promise<{ spec: Spec; scopes: { scope: Territory; summary: CoverageSummary; byTheme: { theme: Theme; summary: CoverageSummary }[] }[] }> {
    if (scopes.length < 2 || scopes.length > 6) throw badInput('La comparaison porte sur 2 à 6 périmètres', 'scopes');
    if (filter?.scope) throw badInput('Pour une comparaison, donnez les périmètres dans « scopes », pas dans « filter.scope »', 'scope');
    const specs = await Promise.all(scopes.map((s) => this.spec(filter, s)));
    const results = await Promise.all(
      specs.map(async (spec) => {
        const themeGroups = await this.themeGroups(spec);
        const groups = [spec.main, ...themeGroups.map((t) => t.group)];
        const sql = new Sql();
        const text = `
          WITH ${this.base(sql, spec, groups)},
          ${this.figures(sql, spec, groups)},
          ${this.summaries(sql, spec, groups)}
          SELECT (SELECT json_agg(s ORDER BY s.ord) FROM s) AS summaries`;
    const [row] = await this.ds.query(text, sql.params);
        const byGid = new Map(parse<SummaryRow[]>(row.summaries).map((s) => [s.gid, s]));
        return {
          scope: spec.scope,
          summary: GapService.toSummary(byGid.get('main')),
          byTheme: themeGroups.map(({ theme, group }) => ({ theme, summary: GapService.toSummary(byGid.get(group.id)) })),
        };
      }),
    );
    return { spec: specs[0], scopes: results };
  }
}
