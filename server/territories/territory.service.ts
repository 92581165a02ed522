import type { DataSource } from 'typeorm';
import { ident, run, runPrepared, shared, sql } from '../db/sql.js';
import { badInput, notFound } from '../graphql/errors.js';
import { LEVEL_RANK, PARENT_COLUMN, PARENT_COLUMNS } from './territory-hierarchy.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel, type TerritoryMatch, levelsForCode } from './territory-level.js';
import { TERRITORY_SELECT, type Territory, type TerritoryRow, toTerritory, territoryKey } from './territory.entity.js';

/** How far (metres) a point outside every commune may be from one and still be placed in it. */
export const NEAREST_COMMUNE_MAX_METERS = 2_000;

/** How close (degrees, about 50 m) two boundaries must come for their territories to be neighbours. */
export const NEIGHBOR_DEGREES = 0.0005;

/** Default level of the children of each level. */
const CHILD_LEVEL: Record<TerritoryLevel, TerritoryLevel | null> = {
  PAYS: TerritoryLevel.REGION,
  REGION: TerritoryLevel.DEPARTEMENT,
  DEPARTEMENT: TerritoryLevel.EPCI,
  EPCI: TerritoryLevel.COMMUNE,
  EPT: TerritoryLevel.COMMUNE,
  COMMUNE: TerritoryLevel.ARRONDISSEMENT,
  ARRONDISSEMENT: null,
};

export interface TerritoryRef {
  level: TerritoryLevel;
  code: string;
}

/** Reads territories: by code, by name, by point, and along the hierarchy. */
export class TerritoryService {
  private keys: Promise<Set<string>> | undefined;

  constructor(private readonly ds: DataSource) {}

  /**
   * Every "LEVEL:CODE" of the official geography, read once: checking the codes of an input
   * (or of 100,000 imported rows) then costs no query. The COG only changes with a seed.
   */
  knownKeys(): Promise<Set<string>> {
    this.keys ??= run<{ k: string }>(this.ds, sql`SELECT level || ':' || code AS k FROM territory`)
      .then((rows) => new Set(rows.map((r) => r.k)))
      .catch((err) => {
        this.keys = undefined;
        throw err;
      });
    return this.keys;
  }

  /** Validates the shape of a code for a level (or for any level), before touching the database. */
  static checkCode(code: string, level?: TerritoryLevel | null): void {
    const ok = level ? CODE_PATTERNS[level].test(code) : levelsForCode(code).length > 0;
    if (!ok) {
      const what = level ? `de ${LEVEL_LABELS[level]}` : 'de territoire';
      throw badInput(`« ${code.slice(0, 40)} » n'est pas un code ${what} valide`, 'code');
    }
  }

  /** Loads territories by (level, code), in the order asked; missing ones are null. */
  async findMany(refs: readonly TerritoryRef[]): Promise<(Territory | null)[]> {
    if (refs.length === 0) return [];
    // One territory (most requests) by its key: a prepared statement on one generic plan. The
    // join on arrays of keys was planned again for its values on each call.
    const rows = await runPrepared<TerritoryRow>(
      this.ds,
      refs.length === 1
        ? sql`SELECT ${TERRITORY_SELECT} FROM territory t WHERE t.level = ${refs[0].level} AND t.code = ${refs[0].code}`
        : sql`SELECT ${TERRITORY_SELECT} FROM territory t
       JOIN unnest(${refs.map((r) => r.level)}::text[], ${refs.map((r) => r.code)}::text[]) AS k(level, code) ON t.level = k.level AND t.code = k.code`,
    );
    const byKey = new Map(rows.map((r) => [territoryKey(r.level, r.code), toTerritory(r)]));
    return refs.map((r) => byKey.get(territoryKey(r.level, r.code)) ?? null);
  }

  /** One territory; without a level, the code's shape decides (communes before arrondissements, EPCI before EPT, départements before régions). */
  async get(code: string, level?: TerritoryLevel | null): Promise<Territory> {
    const clean = code.trim().toUpperCase();
    TerritoryService.checkCode(clean, level);
    const levels = level ? [level] : levelsForCode(clean);
    const found = (await this.findMany(levels.map((l) => ({ level: l, code: clean })))).find((t) => t !== null);
    if (!found) {
      // « Aucune commune », « Aucun département »: the levels' labels that are feminine.
      const none = level === TerritoryLevel.COMMUNE || level === TerritoryLevel.REGION ? 'Aucune' : 'Aucun';
      throw notFound(`${none} ${level ? LEVEL_LABELS[level] : 'territoire'} de code « ${clean} » dans le COG 2026`);
    }
    return found;
  }

  /** The chain above a territory, nearest first: commune → EPT → EPCI → département → région. */
  parentRefs(t: Territory): TerritoryRef[] {
    const refs: TerritoryRef[] = [];
    if (t.level === TerritoryLevel.ARRONDISSEMENT && t.communeCode) refs.push({ level: TerritoryLevel.COMMUNE, code: t.communeCode });
    if ((t.level === TerritoryLevel.ARRONDISSEMENT || t.level === TerritoryLevel.COMMUNE) && t.eptCode) {
      refs.push({ level: TerritoryLevel.EPT, code: t.eptCode });
    }
    if (t.level !== TerritoryLevel.EPCI && t.level !== TerritoryLevel.DEPARTEMENT && t.level !== TerritoryLevel.REGION && t.epciCode) {
      refs.push({ level: TerritoryLevel.EPCI, code: t.epciCode });
    }
    if (t.level !== TerritoryLevel.DEPARTEMENT && t.level !== TerritoryLevel.REGION && t.departementCode) {
      refs.push({ level: TerritoryLevel.DEPARTEMENT, code: t.departementCode });
    }
    if (t.level !== TerritoryLevel.REGION && t.regionCode) refs.push({ level: TerritoryLevel.REGION, code: t.regionCode });
    return refs;
  }

  /**
   * Territories inside this one at the given level (by default the next level down),
   * ordered by population. Membership comes from the COG, not from geometry.
   */
  async children(t: Territory, level: TerritoryLevel | null | undefined, first: number): Promise<Territory[]> {
    const childLevel = level ?? CHILD_LEVEL[t.level];
    if (!childLevel) return [];
    if (LEVEL_RANK[childLevel] >= LEVEL_RANK[t.level] && !(t.level === TerritoryLevel.EPCI && childLevel === TerritoryLevel.EPT)) {
      throw badInput(`Un(e) ${LEVEL_LABELS[childLevel]} ne peut pas être contenu(e) dans un(e) ${LEVEL_LABELS[t.level]}`, 'level');
    }
    if (t.level === TerritoryLevel.PAYS) {
      const rows = await run<TerritoryRow>(
        this.ds,
        sql`SELECT ${TERRITORY_SELECT} FROM territory t WHERE t.level = ${childLevel} ORDER BY t.population DESC NULLS LAST, t.name LIMIT ${first}`,
      );
      return rows.map(toTerritory);
    }
    const column = PARENT_COLUMN[t.level];
    if (!column) return [];
    const rows = await run<TerritoryRow>(
      this.ds,
      sql`SELECT ${TERRITORY_SELECT} FROM territory t WHERE t.level = ${childLevel} AND t.${ident(column, PARENT_COLUMNS)} = ${t.code}
       ORDER BY t.population DESC NULLS LAST, t.name LIMIT ${first}`,
    );
    return rows.map(toTerritory);
  }

  /**
   * Accent-, case- and typo-tolerant search by name, postal code or official code.
   * Order: codes first (a five-digit entry is both the INSEE code of one commune and the postal
   * code of others: « 55100 » is Champougny's code and Verdun's postal code, all of them listed,
   * the most populous first), then exact name, name prefix, word inside the name, then trigram
   * similarity; among equals, the larger population first. A commune whose arrondissement has that
   * postal code comes after it (« 75018 » is Paris 18e before the whole of Paris). The territory of
   * that very code always has a place: last of the `first` when the populous ones would push it
   * out (Champougny among the 8 suggestions of « 55100 »). Each row says how it was found (`matchedBy`).
   */
  async search(text: string, levels: TerritoryLevel[] | null | undefined, first: number): Promise<Territory[]> {
    const raw = text.trim();
    if (raw.length === 0) throw badInput('Le texte recherché est vide', 'text');
    if (raw.length > 200) throw badInput('Le texte recherché dépasse 200 caractères', 'text');
    if (!/[\p{L}\p{N}]/u.test(raw)) throw badInput('Le texte recherché ne contient ni lettre ni chiffre', 'text');
    const chosen = shared(levels && levels.length > 0 ? levels : Object.values(TerritoryLevel));
    const q = shared(raw);
    const limit = shared(first);
    const rows = await run<TerritoryRow & { matched_by: TerritoryMatch }>(
      this.ds,
      // f_norm(q) is computed once per statement, so the trigram index serves the LIKE and <% tests;
      // it goes into LIKE escaped (f_like_escape), never as a pattern.
      sql`SELECT * FROM (SELECT *, row_number() OVER (
         ORDER BY rank_class, behind_arrondissement, CASE WHEN rank_class = 5 THEN -similarity ELSE 0 END,
                  population DESC NULLS LAST, name, code) AS pos
       FROM (SELECT ${TERRITORY_SELECT},
         CASE WHEN t.code = upper(${q}) THEN 'CODE' WHEN t.postal_codes @> ARRAY[${q}::text] THEN 'POSTAL_CODE' ELSE 'NAME' END AS matched_by,
         CASE WHEN t.code = upper(${q}) OR t.postal_codes @> ARRAY[${q}::text] THEN 0
              WHEN t.search_name = public.f_norm(${q}) THEN 2
              WHEN t.search_name LIKE public.f_like_escape(public.f_norm(${q})) || '%' THEN 3
              WHEN t.search_name LIKE '%' || public.f_like_escape(public.f_norm(${q})) || '%' THEN 4
              ELSE 5 END AS rank_class,
         (t.level = 'COMMUNE' AND 'ARRONDISSEMENT' = ANY(${chosen}::text[]) AND EXISTS (
            SELECT 1 FROM territory r WHERE r.level = 'ARRONDISSEMENT' AND r.commune_code = t.code AND r.postal_codes @> ARRAY[${q}::text])) AS behind_arrondissement,
         greatest(word_similarity(public.f_norm(${q}), t.search_name), similarity(public.f_norm(${q}), t.search_name)) AS similarity
       FROM territory t
       WHERE t.level = ANY(${chosen}::text[])
         AND (t.code = upper(${q})
              OR t.postal_codes @> ARRAY[${q}::text]
              OR t.search_name LIKE '%' || public.f_like_escape(public.f_norm(${q})) || '%'
              OR (length(public.f_norm(${q})) > 2 AND (public.f_norm(${q}) <% t.search_name OR public.f_norm(${q}) % t.search_name)))) t) o
       ORDER BY CASE WHEN o.matched_by = 'CODE' AND o.pos > ${limit}::int THEN ${limit}::int - 0.5 ELSE o.pos END
       LIMIT ${limit}::int`,
    );
    return rows.map((r) => Object.assign(toTerritory(r), { matchedBy: r.matched_by }));
  }

  /**
   * The territory of a level that contains a point. Communes come from their boundaries; a point
   * in a sliver between simplified boundaries goes to the nearest commune within
   * NEAREST_COMMUNE_MAX_METERS. Higher levels follow the commune's official memberships.
   */
  async at(lon: number, lat: number, level: TerritoryLevel): Promise<Territory | null> {
    if (!Number.isFinite(lon) || lon < -180 || lon > 180) throw badInput('La longitude doit être comprise entre -180 et 180', 'lon');
    if (!Number.isFinite(lat) || lat < -90 || lat > 90) throw badInput('La latitude doit être comprise entre -90 et 90', 'lat');
    const base = level === TerritoryLevel.ARRONDISSEMENT ? TerritoryLevel.ARRONDISSEMENT : TerritoryLevel.COMMUNE;
    const lv = shared(base);
    const rows = await run<TerritoryRow>(
      this.ds,
      sql`WITH p AS (SELECT ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326) AS g),
       inside AS (
         SELECT ${TERRITORY_SELECT}, 0::float8 AS dist FROM territory t, p
         WHERE t.level = ${lv} AND ST_Intersects(t.geom, p.g)
         ORDER BY t.population DESC NULLS LAST LIMIT 1),
       near AS (
         SELECT * FROM (
           SELECT ${TERRITORY_SELECT}, ST_Distance(t.geom::geography, p.g::geography) AS dist
           FROM territory t, p
           WHERE t.level = ${lv} AND t.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inside)
           ORDER BY t.geom <-> p.g LIMIT 5) c
         WHERE c.dist <= ${NEAREST_COMMUNE_MAX_METERS} ORDER BY c.dist LIMIT 1)
       SELECT * FROM inside UNION ALL SELECT * FROM near LIMIT 1`,
    );
    if (rows.length === 0) return null;
    const found = toTerritory(rows[0]);
    if (level === base) return found;
    const ref = this.parentRefs(found).find((r) => r.level === level);
    if (!ref) return null;
    return (await this.findMany([ref]))[0];
  }

  /**
   * The communes around each commune or arrondissement (an arrondissement's are the other
   * arrondissements and the communes around its city), the most populous first, `first` at most:
   * those whose boundary comes within NEIGHBOR_DEGREES of its own, since the shipped boundaries
   * leave thin gaps between some neighbours. One query for every territory asked.
   */
  async neighbors(refs: readonly (TerritoryRef & { first: number })[]): Promise<Territory[][]> {
    const rows = await run<TerritoryRow & { i: string }>(
      this.ds,
      sql`SELECT k.i, ${TERRITORY_SELECT}
       FROM unnest(${refs.map((r) => r.level)}::text[], ${refs.map((r) => r.code)}::text[], ${refs.map((r) => r.first)}::int[])
            WITH ORDINALITY AS k(level, code, lim, i)
       JOIN territory a ON a.level = k.level AND a.code = k.code AND a.level IN ('COMMUNE', 'ARRONDISSEMENT') AND a.geom IS NOT NULL
       CROSS JOIN LATERAL (
         SELECT n.* FROM territory n
         WHERE n.level IN ('COMMUNE', a.level) AND n.geom IS NOT NULL AND NOT (n.level = a.level AND n.code = a.code)
           AND n.code IS DISTINCT FROM a.commune_code AND n.commune_code IS DISTINCT FROM a.code
           AND ST_DWithin(n.geom, a.geom, ${NEIGHBOR_DEGREES}::float8)
         ORDER BY n.population DESC NULLS LAST, n.code LIMIT k.lim) t
       ORDER BY k.i, t.population DESC NULLS LAST, t.code`,
    );
    const result: Territory[][] = refs.map(() => []);
    for (const r of rows) result[Number(r.i) - 1].push(toTerritory(r));
    return result;
  }

  /** Boundaries as GeoJSON, optionally simplified (tolerance in degrees), batched by tolerance. */
  async geometries(refs: readonly (TerritoryRef & { simplify: number | null })[]): Promise<(object | null)[]> {
    const groups = new Map<number | null, number[]>();
    refs.forEach((r, i) => groups.set(r.simplify, [...(groups.get(r.simplify) ?? []), i]));
    const result: (object | null)[] = refs.map(() => null);
    for (const [simplify, indexes] of groups) {
      const tolerance = shared(simplify);
      const rows = await run<{ level: string; code: string; geojson: object | null }>(
        this.ds,
        sql`SELECT t.level, t.code,
           ST_AsGeoJSON(CASE WHEN ${tolerance}::float8 IS NULL THEN t.geom
                             ELSE ST_Multi(ST_SimplifyPreserveTopology(t.geom, ${tolerance}::float8)) END, 6)::json AS geojson
         FROM territory t JOIN unnest(${indexes.map((i) => refs[i].level)}::text[], ${indexes.map((i) => refs[i].code)}::text[]) AS k(level, code)
           ON t.level = k.level AND t.code = k.code`,
      );
      const byKey = new Map(rows.map((r) => [`${r.level}:${r.code}`, r.geojson]));
      for (const i of indexes) result[i] = byKey.get(territoryKey(refs[i].level, refs[i].code)) ?? null;
    }
    return result;
  }
}
