import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import type { ThemeService, Taxonomy } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { TERRITORY_COLUMNS, type Territory, toTerritory } from '../territories/territory.entity.js';
import { ActorOrder, ReviewStatus } from './actor-enums.js';
import { ACTOR_COLUMNS, type Actor, toActor } from './actor.entity.js';
import type { ActorFilter, CreateActorInput, UpdateActorInput } from './actor.inputs.js';
import { ACTOR_KIND_LABELS, SECTOR_LABELS, type ActorKind, type Sector } from './actor-enums.js';
import { type ActorReach, ActorReview, ActorReviewEvent, NO_REACH, type ReviewDecision } from './actor-review.js';
import { ActorPermissions } from './actor.permissions.js';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** An actor checked and normalised, ready to be written. */
export interface ActorRecord {
  id?: string;
  name: string;
  kind: ActorKind;
  sector: Sector;
  siren: string | null;
  siret: string | null;
  rna: string | null;
  finess: string | null;
  address: string | null;
  postal_code: string | null;
  commune_code: string | null;
  lon: number | null;
  lat: number | null;
  description: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  themes: string[];
  audiences: string[];
  territories: { level: TerritoryLevel; code: string }[];
  radius_km: number | null;
  is_demo: boolean;
  source: string | null;
}

/** A field-level problem, in French, for the user. */
export interface FieldProblem {
  field: string;
  reason: string;
}

export type FacetGroup = 'themes' | 'kinds' | 'sectors' | 'audiences';

export interface SearchWants {
  totalCount: boolean;
  facets: boolean;
  /** The facet groups to compute when `facets` (default: all four). */
  facetGroups?: readonly FacetGroup[];
}

export interface SearchResult {
  /** `commune`: the territory of the actor's address commune, read with the page (undefined without one). */
  rows: { actor: Actor; distanceKm: number | null; cursor: string; commune?: Territory }[];
  hasNextPage: boolean;
  totalCount: number;
  facets: { themes: [string, number][]; kinds: [string, number][]; sectors: [string, number][]; audiences: [string, number][] };
}

const MAX_PAGE = 200;

const encodeCursor = (value: unknown, id: string) => Buffer.from(JSON.stringify([value, id])).toString('base64url');

/** A timestamp as PostgreSQL writes it in JSON (2026-12-03T06:50:15.123456+00:00), on a real calendar day. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:\d{2})?)$/;
function isTimestamp(v: string): boolean {
  const m = TIMESTAMP.exec(v);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1 && day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

/**
 * Reads an `after` cursor: [sort value, actor id], the value of the type of the order (a name,
 * a distance, a timestamp), so that a forged cursor is a BAD_USER_INPUT and never an SQL error.
 */
function decodeCursor(cursor: string, orderBy: ActorOrder): [string | number, string] {
  let parsed: unknown;
  try {
    parsed = cursor.length <= 2000 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(parsed[1])) {
    const [value, id] = parsed as [unknown, string];
    const ok =
      orderBy === ActorOrder.DISTANCE
        ? typeof value === 'number' && Number.isFinite(value)
        : orderBy === ActorOrder.UPDATED_AT
          ? typeof value === 'string' && isTimestamp(value)
          : typeof value === 'string' && value.length <= 1000 && !value.includes('\u0000');
    if (ok) return [value as string | number, id];
  }
  throw badInput('Curseur de pagination invalide : reprenez la recherche depuis la première page', 'after');
}

const emptyToNull = (v: string | null | undefined) => {
  if (v === undefined || v === null) return null;
  const t = v.trim();
  return t === '' ? null : t;
};

/**
 * Writes and searches the directory. Every write resolves the actor's intervention territory
 * into coverage rows in the same transaction, so reads never join geometries.
 */
export class ActorService {
  constructor(
    private readonly ds: DataSource,
    private readonly themes: ThemeService,
    private readonly territories: TerritoryService,
  ) {}

  /**
   * Checks an input against the vocabularies and the official territories and returns either a
   * record or the list of problems, each naming its field. `base` is the current record for an update.
   */
  async prepare(
    input: CreateActorInput | UpdateActorInput,
    base?: ActorRecord,
  ): Promise<{ record?: ActorRecord; problems: FieldProblem[] }> {
    const problems: FieldProblem[] = [];
    const taxonomy = await this.themes.taxonomy();
    const known = await this.territories.knownKeys();
    const pick = <K extends keyof ActorRecord>(key: K, value: ActorRecord[K] | undefined): ActorRecord[K] =>
      value === undefined ? (base ? base[key] : (null as ActorRecord[K])) : value;
    const text = (key: keyof ActorRecord, value: string | null | undefined) =>
      value === undefined ? (base ? (base[key] as string | null) : null) : emptyToNull(value);

    const name = text('name', input.name);
    if (!name) problems.push({ field: 'name', reason: 'le nom est requis' });
    const kind = pick('kind', input.kind);
    if (!kind) problems.push({ field: 'kind', reason: 'la nature de l’acteur est requise' });
    const sector = pick('sector', input.sector);
    if (!sector) problems.push({ field: 'sector', reason: 'le secteur est requis' });

    const themes = input.themes === undefined ? (base?.themes ?? []) : [...new Set(input.themes.map((t) => t.trim()))];
    const unknownThemes = taxonomy.unknownThemes(themes);
    if (unknownThemes) problems.push({ field: 'themes', reason: unknownThemes });
    if (themes.length === 0) problems.push({ field: 'themes', reason: 'au moins un thème est requis' });
    const audiences = input.audiences === undefined ? (base?.audiences ?? []) : [...new Set(input.audiences.map((a) => a.trim()))];
    const unknownAudiences = taxonomy.unknownAudiences(audiences);
    if (unknownAudiences) problems.push({ field: 'audiences', reason: unknownAudiences });

    let communeCode = text('commune_code', input.communeCode);
    if (communeCode) {
      communeCode = communeCode.toUpperCase();
      if (!known.has(`COMMUNE:${communeCode}`) && !known.has(`ARRONDISSEMENT:${communeCode}`)) {
        problems.push({ field: 'communeCode', reason: `commune inconnue dans le COG 2026 : ${communeCode.slice(0, 12)}` });
      }
    }
    const lonIn = input.lon === undefined ? undefined : input.lon;
    const latIn = input.lat === undefined ? undefined : input.lat;
    if ((lonIn === undefined) !== (latIn === undefined) || (lonIn === null) !== (latIn === null)) {
      problems.push({ field: 'lat', reason: 'longitude et latitude vont ensemble' });
    }
    const lon = lonIn === undefined ? (base?.lon ?? null) : lonIn;
    const lat = latIn === undefined ? (base?.lat ?? null) : latIn;
    for (const [field, v, lim] of [
      ['lon', lon, 180],
      ['lat', lat, 90],
    ] as const) {
      if (v !== null && (!Number.isFinite(v) || Math.abs(v) > lim)) problems.push({ field, reason: `coordonnée hors limites (±${lim})` });
    }

    let territories = input.territories === undefined ? (base?.territories ?? []) : input.territories.map((t) => ({
      level: t.level,
      code: t.code.trim().toUpperCase(),
    }));
    const seen = new Set<string>();
    territories = territories.filter((t) => !seen.has(`${t.level}:${t.code}`) && seen.add(`${t.level}:${t.code}`));
    const badTerritories = territories.filter((t) => !CODE_PATTERNS[t.level].test(t.code) || !known.has(`${t.level}:${t.code}`));
    if (badTerritories.length) {
      problems.push({
        field: 'territories',
        reason: `territoire(s) inconnu(s) : ${badTerritories.map((t) => `${LEVEL_LABELS[t.level]} ${t.code.slice(0, 12)}`).join(', ').slice(0, 200)}`,
      });
    }
    const radiusKm = pick('radius_km', input.radiusKm);
    if (radiusKm !== null && (lon === null || lat === null) && !communeCode) {
      problems.push({ field: 'radiusKm', reason: 'un rayon d’intervention demande un lieu (coordonnées ou commune)' });
    }
    if (territories.length === 0 && radiusKm === null) {
      if (communeCode && known.has(`COMMUNE:${communeCode}`)) territories = [{ level: TerritoryLevel.COMMUNE, code: communeCode }];
      else if (communeCode && known.has(`ARRONDISSEMENT:${communeCode}`)) territories = [{ level: TerritoryLevel.ARRONDISSEMENT, code: communeCode }];
      else problems.push({ field: 'territories', reason: 'indiquez au moins un territoire d’intervention, une commune ou un rayon' });
    }
    if (problems.length) return { problems };
    return {
      problems,
      record: {
        id: base?.id,
        name: name!,
        kind: kind!,
        sector: sector!,
        siren: text('siren', input.siren),
        siret: text('siret', input.siret),
        rna: text('rna', input.rna)?.toUpperCase() ?? null,
        finess: text('finess', input.finess)?.toUpperCase() ?? null,
        address: text('address', input.address),
        postal_code: text('postal_code', input.postalCode),
        commune_code: communeCode,
        lon,
        lat,
        description: text('description', input.description),
        email: text('email', input.email),
        phone: text('phone', input.phone),
        website: text('website', input.website),
        themes,
        audiences,
        territories,
        radius_km: radiusKm,
        is_demo: 'isDemo' in input && input.isDemo !== undefined ? Boolean(input.isDemo) : (base?.is_demo ?? false),
        source: text('source', input.source),
      },
    };
  }

  /**
   * Inserts checked actors (any number) and resolves their coverage; returns their ids in order.
   * `review` is their review status: VALIDATED only for trusted loaders (seeds, the command line);
   * a write for a user starts PENDING_REVIEW and takes its status from `settleReview` (a pending
   * actor costs the gap aggregates nothing until validated).
   */
  async insertMany(m: Queryable, records: ActorRecord[], review: ReviewStatus = ReviewStatus.VALIDATED): Promise<string[]> {
    if (records.length === 0) return [];
    // Ids are made here so that each record keeps its own, whatever order the rows are written in.
    const ids = records.map(() => randomUUID());
    await m.query(
      `INSERT INTO actor (id, name, kind, sector, siren, siret, rna, finess, address, postal_code, commune_code, location,
         description, email, phone, website, themes, audiences, radius_km, is_demo, source, review_status)
       SELECT r.id, r.name, r.kind, r.sector, r.siren, r.siret, r.rna, r.finess, r.address, r.postal_code, r.commune_code,
         COALESCE(CASE WHEN r.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) END,
                  (SELECT t.label_point FROM territory t WHERE t.code = r.commune_code AND t.level IN ('COMMUNE','ARRONDISSEMENT') LIMIT 1)),
         r.description, r.email, r.phone, r.website, r.themes, r.audiences, r.radius_km, r.is_demo, r.source, $2
       FROM json_to_recordset($1::json) AS r(id uuid, name text, kind text, sector text, siren text, siret text, rna text,
         finess text, address text, postal_code text, commune_code text, lon float8, lat float8, description text, email text,
         phone text, website text, themes text[], audiences text[], radius_km real, is_demo boolean, source text)`,
      [JSON.stringify(records.map((r, i) => ({ ...r, id: ids[i] }))), review],
    );
    await this.writeTerritories(m, ids, records);
    await this.resolveCoverage(m, ids);
    return ids;
  }

  private async writeTerritories(m: Queryable, ids: string[], records: ActorRecord[]): Promise<void> {
    const pairs = records.flatMap((r, i) => r.territories.map((t) => ({ actor_id: ids[i], level: t.level, code: t.code })));
    await m.query(`DELETE FROM actor_territory WHERE actor_id = ANY($1::uuid[])`, [ids]);
    if (pairs.length) {
      await m.query(
        `INSERT INTO actor_territory (actor_id, level, code)
         SELECT actor_id, level, code FROM json_to_recordset($1::json) AS r(actor_id uuid, level text, code text)`,
        [JSON.stringify(pairs)],
      );
    }
  }

  /** The stored record of an actor, as `prepare` takes it for an update. */
  async record(m: Queryable, id: string): Promise<(ActorRecord & { version: number; status: string; review_status: ReviewStatus }) | null> {
    return (await this.records(m, [id])).get(id) ?? null;
  }

  /**
   * Resolves declared territories and radius into coverage rows: the covered communes (an
   * arrondissement counts as its commune), then every EPCI, EPT, département and région they touch.
   * One equi-join per level rather than one join with OR conditions (which PostgreSQL can only run
   * as communes × declared territories: ~10 s for 1,000 actors against ~0.3 s here).
   */
  async resolveCoverage(m: Queryable, ids: string[]): Promise<void> {
    await m.query(`DELETE FROM coverage_commune WHERE actor_id = ANY($1::uuid[])`, [ids]);
    await m.query(`DELETE FROM coverage_area WHERE actor_id = ANY($1::uuid[])`, [ids]);
    const byLevel = (level: string, column: string) => `
         SELECT c.code AS commune_code, at.actor_id FROM actor_territory at
           JOIN territory c ON c.level = 'COMMUNE' AND c.${column} = at.code
           WHERE at.actor_id = ANY($1::uuid[]) AND at.level = '${level}'`;
    await m.query(
      `INSERT INTO coverage_commune (commune_code, actor_id)
       SELECT DISTINCT commune_code, actor_id FROM (
         ${byLevel('COMMUNE', 'code')}
         UNION ALL ${byLevel('EPCI', 'epci_code')}
         UNION ALL ${byLevel('EPT', 'ept_code')}
         UNION ALL ${byLevel('DEPARTEMENT', 'departement_code')}
         UNION ALL ${byLevel('REGION', 'region_code')}
         UNION ALL
         SELECT c.code, at.actor_id FROM actor_territory at JOIN territory c ON c.level = 'COMMUNE'
           WHERE at.actor_id = ANY($1::uuid[]) AND at.level = 'PAYS'
         UNION ALL
         SELECT r.commune_code, at.actor_id FROM actor_territory at
           JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.code = at.code
           WHERE at.actor_id = ANY($1::uuid[]) AND at.level = 'ARRONDISSEMENT'
         UNION ALL
         SELECT c.code, a.id FROM actor a
           JOIN territory c ON c.level = 'COMMUNE'
             AND c.geom && ST_Expand(a.location, a.radius_km / 111.0 / greatest(cos(radians(ST_Y(a.location))), 0.2))
             AND ST_DWithin(c.geom::geography, a.location::geography, a.radius_km * 1000)
           WHERE a.id = ANY($1::uuid[]) AND a.radius_km IS NOT NULL AND a.location IS NOT NULL
       ) s`,
      [ids],
    );
    await m.query(
      `INSERT INTO coverage_area (level, code, actor_id)
       SELECT DISTINCT x.level, x.code, cc.actor_id
       FROM coverage_commune cc
       JOIN territory c ON c.level = 'COMMUNE' AND c.code = cc.commune_code
       CROSS JOIN LATERAL (VALUES ('EPCI', c.epci_code), ('EPT', c.ept_code), ('DEPARTEMENT', c.departement_code),
                                  ('REGION', c.region_code), ('PAYS', 'FR')) AS x(level, code)
       WHERE cc.actor_id = ANY($1::uuid[]) AND x.code IS NOT NULL
       UNION
       SELECT 'ARRONDISSEMENT', r.code, cc.actor_id FROM coverage_commune cc
       JOIN territory r ON r.level = 'ARRONDISSEMENT' AND r.commune_code = cc.commune_code
       WHERE cc.actor_id = ANY($1::uuid[])
         AND (NOT EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = cc.actor_id AND at.level = 'ARRONDISSEMENT')
              OR EXISTS (SELECT 1 FROM actor_territory at WHERE at.actor_id = cc.actor_id AND at.level = 'ARRONDISSEMENT' AND at.code = r.code))`,
      [ids],
    );
  }

  /** The stored records of several actors (batch form of `record`), by id. */
  async records(m: Queryable, ids: readonly string[]): Promise<Map<string, ActorRecord & { version: number; status: string; review_status: ReviewStatus }>> {
    const out = new Map<string, ActorRecord & { version: number; status: string; review_status: ReviewStatus }>();
    if (ids.length === 0) return out;
    const rows: any[] = await m.query(
      `SELECT ${ACTOR_COLUMNS},
         COALESCE((SELECT json_agg(json_build_object('level', t.level, 'code', t.code)) FROM actor_territory t WHERE t.actor_id = a.id), '[]') AS territories
       FROM actor a WHERE a.id = ANY($1::uuid[])`,
      [ids],
    );
    for (const row of rows) {
      out.set(row.id, {
        id: row.id,
        name: row.name,
        kind: row.kind,
        sector: row.sector,
        siren: row.siren,
        siret: row.siret,
        rna: row.rna,
        finess: row.finess,
        address: row.address,
        postal_code: row.postal_code,
        commune_code: row.commune_code,
        lon: row.lon === null ? null : Number(row.lon),
        lat: row.lat === null ? null : Number(row.lat),
        description: row.description,
        email: row.email,
        phone: row.phone,
        website: row.website,
        themes: row.themes,
        audiences: row.audiences,
        territories: typeof row.territories === 'string' ? JSON.parse(row.territories) : row.territories,
        radius_km: row.radius_km === null ? null : Number(row.radius_km),
        is_demo: row.is_demo,
        source: row.source,
        version: row.version,
        status: row.status,
        review_status: row.review_status,
      });
    }
    return out;
  }

  /**
   * Overwrites checked records that carry their id (any number), bumping their version, and
   * re-resolves the coverage of those listed in `coverageIds` (territories, radius or place changed).
   */
  async updateMany(m: Queryable, records: (ActorRecord & { id: string })[], coverageIds: readonly string[]): Promise<void> {
    if (records.length === 0) return;
    await m.query(
      `UPDATE actor SET name = r.name, kind = r.kind, sector = r.sector, siren = r.siren, siret = r.siret, rna = r.rna,
         finess = r.finess, address = r.address, postal_code = r.postal_code, commune_code = r.commune_code,
         location = COALESCE(CASE WHEN r.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) END,
           (SELECT t.label_point FROM territory t WHERE t.code = r.commune_code AND t.level IN ('COMMUNE','ARRONDISSEMENT') LIMIT 1)),
         description = r.description, email = r.email, phone = r.phone, website = r.website, themes = r.themes,
         audiences = r.audiences, radius_km = r.radius_km, is_demo = r.is_demo, source = r.source,
         updated_at = now(), version = actor.version + 1
       FROM json_to_recordset($1::json) AS r(id uuid, name text, kind text, sector text, siren text, siret text, rna text,
         finess text, address text, postal_code text, commune_code text, lon float8, lat float8, description text, email text,
         phone text, website text, themes text[], audiences text[], radius_km real, is_demo boolean, source text)
       WHERE actor.id = r.id`,
      [JSON.stringify(records)],
    );
    const wanted = new Set(coverageIds);
    const changed = records.filter((r) => wanted.has(r.id));
    if (changed.length) {
      const ids = changed.map((r) => r.id);
      await this.writeTerritories(m, ids, changed);
      await this.resolveCoverage(m, ids);
    }
  }

  private static invalid(problems: FieldProblem[]): AppError {
    return new AppError('BAD_USER_INPUT', `Données invalides : ${problems.map((p) => `${p.field} (${p.reason})`).join(' ; ')}`, {
      field: problems[0].field,
      fields: problems,
    });
  }

  /**
   * Where each actor acts, from its stored coverage and declared territories (ActorReach): what
   * the permission and moderation rules read. Actors without coverage get NO_REACH.
   */
  static async reach(m: Queryable, ids: readonly string[]): Promise<Map<string, ActorReach>> {
    const out = new Map<string, ActorReach>();
    if (ids.length === 0) return out;
    const rows: { id: string; regions: string[]; departements: string[]; broad: string[] }[] = await m.query(
      `SELECT k.id,
         ARRAY(SELECT ca.code FROM coverage_area ca WHERE ca.actor_id = k.id AND ca.level = 'REGION' ORDER BY ca.code) AS regions,
         ARRAY(SELECT ca.code FROM coverage_area ca WHERE ca.actor_id = k.id AND ca.level = 'DEPARTEMENT' ORDER BY ca.code) AS departements,
         ARRAY(SELECT t.level || ':' || t.code FROM actor_territory t
               WHERE t.actor_id = k.id AND t.level IN ('REGION', 'PAYS') ORDER BY 1) AS broad
       FROM unnest($1::uuid[]) AS k(id)`,
      [ids],
    );
    for (const r of rows) out.set(r.id, { regions: r.regions, departements: r.departements, broad: r.broad });
    return out;
  }

  /** An actor as the permission checks see it, read inside the caller's transaction. */
  async scope(m: Queryable, id: string): Promise<{ id: string; reach: ActorReach }> {
    return { id, reach: (await ActorService.reach(m, [id])).get(id) ?? NO_REACH };
  }

  /**
   * Sets review statuses decided by the moderation rules (actor-review.ts) and records each
   * change in actor_review_event, in two statements whatever their number. `from` null: a creation.
   */
  async settleReview(
    m: Queryable,
    userId: string | null,
    changes: { id: string; from: ReviewStatus | null; decision: ReviewDecision }[],
  ): Promise<void> {
    if (changes.length === 0) return;
    const rows = JSON.stringify(changes.map((c) => ({ id: c.id, from_status: c.from, to_status: c.decision.status, reason: c.decision.reason })));
    const moved = changes.filter((c) => c.from !== c.decision.status);
    if (moved.length) {
      await m.query(
        `UPDATE actor a SET review_status = r.to_status
         FROM json_to_recordset($1::json) AS r(id uuid, to_status text)
         WHERE a.id = r.id AND a.review_status IS DISTINCT FROM r.to_status`,
        [JSON.stringify(moved.map((c) => ({ id: c.id, to_status: c.decision.status })))],
      );
    }
    await m.query(
      `INSERT INTO actor_review_event (actor_id, from_status, to_status, user_id, reason)
       SELECT r.id, r.from_status, r.to_status, $2, r.reason
       FROM json_to_recordset($1::json) AS r(id uuid, from_status text, to_status text, reason text)`,
      [rows, userId],
    );
  }

  /**
   * Creates an actor for a signed-in account; a member or coordinator then represents it, in the
   * same transaction. Its review status follows the moderation rules (ActorReview.onCreate).
   */
  async create(input: CreateActorInput, author: AuthUser): Promise<Actor> {
    const { record, problems } = await this.prepare(input);
    if (!record) throw ActorService.invalid(problems);
    // Only an analyst's actor depends on where it acts; it starts pending (touching no aggregate)
    // and is counted once, if validated.
    const known = author.role === UserRole.ANALYST ? null : ActorReview.onCreate(author, NO_REACH);
    const id = await this.ds.transaction(async (m) => {
      const [created] = await this.insertMany(m, [record], known?.status ?? ReviewStatus.PENDING_REVIEW);
      if (ActorPermissions.representsWhatItCreates(author)) {
        await m.query(`INSERT INTO user_actor (user_id, actor_id) VALUES ($1, $2)`, [author.id, created]);
      }
      const decision = known ?? ActorReview.onCreate(author, (await this.scope(m, created)).reach);
      await this.settleReview(m, author.id, [{ id: created, from: null, decision }]);
      return created;
    });
    return this.get(id);
  }

  /**
   * Applies a change if `user` may edit the actor (ActorPermissions.canEdit, on the actor as
   * stored, under its row lock) and `expectedVersion` is still the stored one; otherwise
   * FORBIDDEN or CONFLICT, and nothing changes. The review status then follows ActorReview.onUpdate.
   */
  async update(id: string, expectedVersion: number, input: UpdateActorInput, user: AuthUser | null | undefined): Promise<Actor> {
    ActorPermissions.assertMayEditAny(user, id);
    ActorService.checkId(id);
    await this.ds.transaction(async (m) => {
      // Lock the row so two concurrent updates of the same version cannot both pass.
      const [locked] = await m.query(`SELECT version, review_status FROM actor WHERE id = $1 FOR UPDATE`, [id]);
      if (!locked) throw notFound('Acteur introuvable');
      const scope = await this.scope(m, id);
      ActorPermissions.assertCanEdit(user, scope);
      if (locked.version !== expectedVersion) throw ActorService.conflict(locked.version);
      const base = (await this.record(m, id))!;
      const { record, problems } = await this.prepare(input, base);
      if (!record) throw ActorService.invalid(problems);
      const coverageChanged =
        input.territories !== undefined || input.radiusKm !== undefined || input.lon !== undefined || input.communeCode !== undefined;
      // A validated actor whose territory a non-administrator changes is taken out of the figures
      // while its new coverage is written, and put back only if the review rule keeps it validated:
      // widened to the whole country, it never adds then removes its counts for every commune.
      const heldBack = coverageChanged && locked.review_status === ReviewStatus.VALIDATED && user!.role !== UserRole.ADMIN;
      if (heldBack) await m.query(`UPDATE actor SET review_status = 'PENDING_REVIEW' WHERE id = $1`, [id]);
      await m.query(
        `UPDATE actor SET name = r.name, kind = r.kind, sector = r.sector, siren = r.siren, siret = r.siret, rna = r.rna,
           finess = r.finess, address = r.address, postal_code = r.postal_code, commune_code = r.commune_code,
           location = COALESCE(CASE WHEN r.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) END,
             (SELECT t.label_point FROM territory t WHERE t.code = r.commune_code AND t.level IN ('COMMUNE','ARRONDISSEMENT') LIMIT 1)),
           description = r.description, email = r.email, phone = r.phone, website = r.website, themes = r.themes,
           audiences = r.audiences, radius_km = r.radius_km, is_demo = r.is_demo, source = r.source,
           updated_at = now(), version = actor.version + 1
         FROM json_to_record($2::json) AS r(name text, kind text, sector text, siren text, siret text, rna text, finess text,
           address text, postal_code text, commune_code text, lon float8, lat float8, description text, email text, phone text,
           website text, themes text[], audiences text[], radius_km real, is_demo boolean, source text)
         WHERE actor.id = $1`,
        [id, JSON.stringify(record)],
      );
      if (coverageChanged) {
        await this.writeTerritories(m, [id], [record]);
        await this.resolveCoverage(m, [id]);
      }
      const after = coverageChanged ? (await this.scope(m, id)).reach : scope.reach;
      const decision = ActorReview.onUpdate(user!, locked.review_status, scope.reach, after, id);
      if (decision) await this.settleReview(m, user!.id, [{ id, from: locked.review_status, decision }]);
      else if (heldBack) await m.query(`UPDATE actor SET review_status = 'VALIDATED' WHERE id = $1`, [id]);
    });
    return this.get(id);
  }

  /** Archives an actor, with the same permission and version checks as `update`. */
  async archive(id: string, expectedVersion: number, user: AuthUser | null | undefined): Promise<Actor> {
    ActorPermissions.assertMayEditAny(user, id);
    ActorService.checkId(id);
    await this.ds.transaction(async (m) => {
      const [locked] = await m.query(`SELECT version FROM actor WHERE id = $1 FOR UPDATE`, [id]);
      if (!locked) throw notFound('Acteur introuvable');
      ActorPermissions.assertCanEdit(user, await this.scope(m, id));
      if (locked.version !== expectedVersion) throw ActorService.conflict(locked.version);
      await m.query(`UPDATE actor SET status = 'ARCHIVED', updated_at = now(), version = version + 1 WHERE id = $1`, [id]);
    });
    return this.get(id);
  }

  /**
   * Validates or rejects a pending actor (analysts of a région it covers, administrators): one
   * decision wins, the other gets CONFLICT, as for memberships. With `expectedVersion`, a change
   * made since the reviewer read the actor gets CONFLICT too.
   */
  async decideReview(
    id: string,
    to: typeof ReviewStatus.VALIDATED | typeof ReviewStatus.REJECTED,
    reason: string | null | undefined,
    user: AuthUser | null | undefined,
    expectedVersion?: number | null,
  ): Promise<Actor> {
    const author = ActorPermissions.creator(user);
    ActorService.checkId(id);
    const text = emptyToNull(reason);
    if (text !== null && text.length > 1000) throw badInput('La raison dépasse 1 000 caractères', 'reason');
    if (to === ReviewStatus.REJECTED && !text) throw badInput('Donnez la raison du refus', 'reason');
    await this.ds.transaction(async (m) => {
      const [locked] = await m.query(`SELECT version, review_status FROM actor WHERE id = $1 FOR UPDATE`, [id]);
      if (!locked) throw notFound('Acteur introuvable');
      ActorPermissions.assertCanReview(author, await this.scope(m, id));
      if (locked.review_status !== ReviewStatus.PENDING_REVIEW) {
        throw new AppError(
          'CONFLICT',
          locked.review_status === ReviewStatus.VALIDATED
            ? 'Cet acteur est déjà validé : seul un acteur en attente de validation peut être validé ou refusé.'
            : 'Cet acteur est déjà refusé : seul un acteur en attente de validation peut être validé ou refusé.',
          { reviewStatus: locked.review_status },
        );
      }
      if (expectedVersion !== undefined && expectedVersion !== null && locked.version !== expectedVersion) {
        throw ActorService.conflict(locked.version);
      }
      const decision: ReviewDecision = {
        status: to,
        reason: text ?? (to === ReviewStatus.VALIDATED ? 'Validé' : 'Refusé'),
      };
      await this.settleReview(m, author.id, [{ id, from: locked.review_status, decision }]);
    });
    return this.get(id);
  }

  /** Review histories of several actors, oldest change first. */
  static async reviewHistories(m: Queryable, ids: readonly string[]): Promise<ActorReviewEvent[][]> {
    const rows: { actor_id: string; from_status: ReviewStatus | null; to_status: ReviewStatus; reason: string | null; at: string; display_name: string | null }[] =
      await m.query(
        `SELECT e.actor_id, e.from_status, e.to_status, e.reason, e.at, u.display_name
         FROM actor_review_event e LEFT JOIN user_account u ON u.id = e.user_id
         WHERE e.actor_id = ANY($1::uuid[]) ORDER BY e.actor_id, e.id`,
        [ids],
      );
    const by = new Map<string, ActorReviewEvent[]>();
    for (const r of rows) {
      const event = Object.assign(new ActorReviewEvent(), {
        fromStatus: r.from_status,
        toStatus: r.to_status,
        reason: r.reason,
        at: new Date(r.at),
        byName: r.display_name,
      });
      by.set(r.actor_id, [...(by.get(r.actor_id) ?? []), event]);
    }
    return ids.map((id) => by.get(id) ?? []);
  }

  private static conflict(currentVersion: number): AppError {
    return new AppError(
      'CONFLICT',
      'Cet acteur a été modifié par quelqu’un d’autre depuis votre lecture : rechargez la fiche puis refaites votre modification.',
      { currentVersion },
    );
  }

  static checkId(id: string): void {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      throw badInput('Identifiant d’acteur invalide', 'id');
    }
  }

  async get(id: string): Promise<Actor> {
    const [actor] = await this.findMany([id]);
    if (!actor) throw notFound('Acteur introuvable');
    return actor;
  }

  async findMany(ids: readonly string[]): Promise<(Actor | null)[]> {
    for (const id of ids) ActorService.checkId(id);
    const rows = await this.ds.query(`SELECT ${ACTOR_COLUMNS} FROM actor a WHERE a.id = ANY($1::uuid[])`, [ids]);
    const byId = new Map<string, Actor>(rows.map((r: any) => [r.id, toActor(r)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Builds the WHERE part of a search; shared by the search, the exports and the gaps. */
  async buildFilter(filter: ActorFilter | undefined, taxonomy: Taxonomy, params: unknown[]): Promise<{ from: string; where: string[]; distance: string | null }> {
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const f = filter ?? {};
    const where: string[] = [];
    let from = 'actor a';
    if (!f.includeArchived) where.push(`a.status = 'ACTIVE'`);
    if (f.coversCommune) {
      const code = f.coversCommune.toUpperCase();
      const known = await this.territories.knownKeys();
      if (known.has(`ARRONDISSEMENT:${code}`)) {
        where.push(`EXISTS (SELECT 1 FROM coverage_area ca WHERE ca.level = 'ARRONDISSEMENT' AND ca.code = ${p(code)} AND ca.actor_id = a.id)`);
      } else if (known.has(`COMMUNE:${code}`)) {
        from = 'coverage_commune cc JOIN actor a ON a.id = cc.actor_id';
        where.push(`cc.commune_code = ${p(code)}`);
      } else {
        throw badInput(`Commune inconnue dans le COG 2026 : ${code}`, 'coversCommune');
      }
    }
    if (f.territory) {
      const { level } = f.territory;
      const code = f.territory.code.trim().toUpperCase();
      const known = await this.territories.knownKeys();
      if (!CODE_PATTERNS[level].test(code) || !known.has(`${level}:${code}`)) {
        throw badInput(`Territoire inconnu : ${LEVEL_LABELS[level]} ${code.slice(0, 12)}`, 'territory');
      }
      if (level === TerritoryLevel.COMMUNE) {
        where.push(`EXISTS (SELECT 1 FROM coverage_commune c2 WHERE c2.commune_code = ${p(code)} AND c2.actor_id = a.id)`);
      } else {
        where.push(`EXISTS (SELECT 1 FROM coverage_area ca2 WHERE ca2.level = ${p(level)} AND ca2.code = ${p(code)} AND ca2.actor_id = a.id)`);
      }
    }
    if (f.themesAny?.length) {
      taxonomy.checkThemes(f.themesAny, 'themesAny');
      const expanded = [...new Set(f.themesAny.flatMap((c) => taxonomy.expand(c)))];
      where.push(expanded.length === 1 ? `${p(expanded[0])} = ANY(a.themes)` : `a.themes && ${p(expanded)}::text[]`);
    }
    if (f.themesAll?.length) {
      taxonomy.checkThemes(f.themesAll, 'themesAll');
      for (const c of new Set(f.themesAll)) where.push(`a.themes && ${p(taxonomy.expand(c))}::text[]`);
    }
    if (f.kinds?.length) where.push(`a.kind = ANY(${p(f.kinds)}::text[])`);
    if (f.sectors?.length) where.push(`a.sector = ANY(${p(f.sectors)}::text[])`);
    if (f.audiences?.length) {
      taxonomy.checkAudiences(f.audiences, 'audiences');
      where.push(`a.audiences && ${p(f.audiences)}::text[]`);
    }
    if (f.demo !== undefined && f.demo !== null) where.push(`a.is_demo = ${p(f.demo)}`);
    if (f.reviewStatuses?.length) where.push(`a.review_status = ANY(${p(f.reviewStatuses)}::text[])`);
    if (f.text && f.text.trim()) {
      const t = p(f.text.trim());
      // The normalised text (letters and digits) goes into LIKE escaped, never as a pattern. A text
      // without letter or digit normalises to nothing: it is then looked for as typed in the names
      // (« % » finds « 100 % prévention », not every actor).
      where.push(`(a.search_vector @@ websearch_to_tsquery('french', public.f_unaccent(${t}))
        OR (public.f_norm(${t}) <> '' AND a.search_name LIKE '%' || public.f_like_escape(public.f_norm(${t})) || '%')
        OR (public.f_norm(${t}) = '' AND strpos(a.name, ${t}) > 0)
        OR (length(public.f_norm(${t})) > 3 AND public.f_norm(${t}) <% a.search_name))`);
    }
    let distance: string | null = null;
    if (f.near) {
      const pt = `ST_SetSRID(ST_MakePoint(${p(f.near.lon)}::float8, ${p(f.near.lat)}::float8), 4326)::geography`;
      where.push(`ST_DWithin(a.location::geography, ${pt}, ${p(f.near.radiusKm * 1000)}::float8)`);
      distance = `ST_Distance(a.location::geography, ${pt}) / 1000.0`;
    }
    return { from, where, distance };
  }

  /**
   * One SQL round trip: the filtered set is materialised once, then the page, the total and the
   * facets are read from it.
   */
  async search(
    filter: ActorFilter | undefined,
    first: number,
    after: string | null | undefined,
    orderBy: ActorOrder,
    wants: SearchWants,
  ): Promise<SearchResult> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badInput(`« first » doit être compris entre 0 et ${MAX_PAGE}`, 'first');
    if (orderBy === ActorOrder.DISTANCE && !filter?.near) throw badInput('Le tri par distance demande le filtre « near »', 'orderBy');
    const taxonomy = await this.themes.taxonomy();
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const { from, where, distance } = await this.buildFilter(filter, taxonomy, params);
    const sortKey = orderBy === ActorOrder.DISTANCE ? 'm.distance_km' : orderBy === ActorOrder.UPDATED_AT ? 'm.updated_at' : 'm.search_name';
    const desc = orderBy === ActorOrder.UPDATED_AT;
    let keyset = 'true';
    if (after) {
      const [value, id] = decodeCursor(after, orderBy);
      const cmp = desc ? '<' : '>';
      const cast = orderBy === ActorOrder.DISTANCE ? 'float8' : orderBy === ActorOrder.UPDATED_AT ? 'timestamptz' : 'text';
      keyset = `(${sortKey}, m.id) ${cmp} (${p(value)}::${cast}, ${p(id)}::uuid)`;
    }
    const dir = desc ? 'DESC' : 'ASC';
    const groups = new Set<FacetGroup>(wants.facets ? (wants.facetGroups ?? ['themes', 'kinds', 'sectors', 'audiences']) : []);
    // The page is cut from the materialised set first, then only its rows are read from actor
    // (with the territory of their commune, so that the « commune » field needs no second query).
    const sql = `
      WITH m AS MATERIALIZED (
        SELECT a.id, a.search_name, a.updated_at, a.kind, a.sector, a.themes, a.audiences,
               ${distance ?? 'NULL::float8'} AS distance_km
        FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      )
      SELECT
        (SELECT COALESCE(json_agg(row_to_json(x) ORDER BY x.ord), '[]') FROM (
           SELECT ${ACTOR_COLUMNS}, p.distance_km, p.search_name AS sort_name, p.updated_at AS sort_updated, p.ord,
                  (SELECT row_to_json(c) FROM (SELECT ${TERRITORY_COLUMNS} FROM territory t
                     WHERE t.code = a.commune_code AND t.level IN ('COMMUNE', 'ARRONDISSEMENT') LIMIT 1) c) AS commune_territory
           FROM (SELECT m.*, row_number() OVER (ORDER BY ${sortKey} ${dir}, m.id ${dir}) AS ord
                 FROM m WHERE ${keyset} ORDER BY ${sortKey} ${dir}, m.id ${dir} LIMIT ${p(first + 1)}) p
           JOIN actor a ON a.id = p.id) x) AS page
        ${wants.totalCount ? ', (SELECT count(*) FROM m) AS total' : ''}
        ${
          groups.has('themes')
            ? `, (SELECT COALESCE(json_agg(json_build_array(k, n)), '[]') FROM (
                  SELECT k, count(DISTINCT m.id) AS n FROM m, unnest(m.themes) c
                  JOIN theme th ON th.code = c, unnest(ARRAY[th.code, th.parent_code]) k
                  WHERE k IS NOT NULL GROUP BY k) f) AS theme_facets`
            : ''
        }
        ${groups.has('kinds') ? `, (SELECT COALESCE(json_agg(json_build_array(kind, n)), '[]') FROM (SELECT kind, count(*) AS n FROM m GROUP BY kind) f) AS kind_facets` : ''}
        ${groups.has('sectors') ? `, (SELECT COALESCE(json_agg(json_build_array(sector, n)), '[]') FROM (SELECT sector, count(*) AS n FROM m GROUP BY sector) f) AS sector_facets` : ''}
        ${groups.has('audiences') ? `, (SELECT COALESCE(json_agg(json_build_array(au, n)), '[]') FROM (SELECT au, count(*) AS n FROM m, unnest(m.audiences) au GROUP BY au) f) AS audience_facets` : ''}`;
    const [row] = await this.ds.query(sql, params);
    const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const page: any[] = parse(row.page);
    const hasNextPage = page.length > first;
    const rows = page.slice(0, first).map((r) => {
      const value = orderBy === ActorOrder.DISTANCE ? r.distance_km : orderBy === ActorOrder.UPDATED_AT ? r.sort_updated : r.sort_name;
      return {
        actor: toActor(r),
        distanceKm: r.distance_km === null ? null : Math.round(r.distance_km * 1000) / 1000,
        cursor: encodeCursor(value, r.id),
        commune: r.commune_territory ? toTerritory(r.commune_territory) : undefined,
      };
    });
    return {
      rows,
      hasNextPage,
      totalCount: wants.totalCount ? Number(row.total) : 0,
      facets: {
        themes: parse(row.theme_facets) ?? [],
        kinds: parse(row.kind_facets) ?? [],
        sectors: parse(row.sector_facets) ?? [],
        audiences: parse(row.audience_facets) ?? [],
      },
    };
  }

  /** Labels for facet values. */
  static facetLabel(kind: 'kinds' | 'sectors', value: string): string {
    return kind === 'kinds' ? (ACTOR_KIND_LABELS[value as ActorKind] ?? value) : (SECTOR_LABELS[value as Sector] ?? value);
  }
}
