import type { DataSource, EntityManager } from 'typeorm';
import { ACTOR_COLUMNS, type Actor, toActor } from '../actors/actor.entity.js';
import type { ActorService } from '../actors/actor.service.js';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { forbidden, unauthenticated } from '../auth/auth.service.js';
import { returnedRows } from '../db/rows.js';
import { AppError, badInput, notFound } from '../graphql/errors.js';
import type { Taxonomy, ThemeService } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { TerritoryService } from '../territories/territory.service.js';
import {
  COALITION_COLUMNS,
  type Coalition,
  type CoalitionConnection,
  Intersectorality,
  MEMBERSHIP_COLUMNS,
  type Membership,
  MembershipEvent,
  PARTNERSHIP_COLUMNS,
  type Partnership,
  PartnershipEvent,
  PartnerSuggestion,
  toCoalition,
  toMembership,
  toPartnership,
} from './coalition.entity.js';
import {
  JoinPolicy,
  MembershipRole,
  MembershipStatus,
  PartnershipStatus,
  SECTOR_CATEGORY_LABELS,
  SectorCategory,
  SuggestionReasonKind,
  sectorCategories,
} from './coalition-enums.js';
import type { CoalitionFilter, CreateCoalitionInput, CreatePartnershipInput, UpdateCoalitionInput } from './coalition.inputs.js';
import { PartnershipRules, Permissions } from './coalition.permissions.js';

type Queryable = Pick<DataSource | EntityManager, 'query'>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkUuid(id: string, field: string, what: string): void {
  if (!UUID.test(id)) throw badInput(`Identifiant ${what} invalide`, field);
}

const isUniqueViolation = (err: any) => (err?.code ?? err?.driverError?.code) === '23505';

const duplicatePartnership = () =>
  new AppError('CONFLICT', 'Un partenariat de cette nature est déjà déclaré entre ces deux acteurs (en attente de confirmation ou actif).');

const encodeCursor = (name: string, id: string) => Buffer.from(JSON.stringify([name, id])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && UUID.test(v[1])) return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw badInput('Curseur de pagination invalide', 'after');
}

/** Column of a commune row holding its ancestor of each level, to list the communes of a territory. */
export function communesOfSql(level: TerritoryLevel, codeParam: string): string {
  switch (level) {
    case TerritoryLevel.PAYS:
      return `t.level = 'COMMUNE'`;
    case TerritoryLevel.COMMUNE:
      return `t.level = 'COMMUNE' AND t.code = ${codeParam}`;
    case TerritoryLevel.ARRONDISSEMENT:
      return `t.level = 'COMMUNE' AND t.code = (SELECT r.commune_code FROM territory r WHERE r.level = 'ARRONDISSEMENT' AND r.code = ${codeParam})`;
    case TerritoryLevel.EPCI:
      return `t.level = 'COMMUNE' AND t.epci_code = ${codeParam}`;
    case TerritoryLevel.EPT:
      return `t.level = 'COMMUNE' AND t.ept_code = ${codeParam}`;
    case TerritoryLevel.DEPARTEMENT:
      return `t.level = 'COMMUNE' AND t.departement_code = ${codeParam}`;
    case TerritoryLevel.REGION:
      return `t.level = 'COMMUNE' AND t.region_code = ${codeParam}`;
  }
}

const ROLE_ORDER = [MembershipRole.PILOTE, MembershipRole.SIGNATAIRE, MembershipRole.PARTENAIRE, MembershipRole.MEMBRE];

/**
 * Coalitions, memberships and partnerships: reads filtered by what the user may see, and the
 * join workflow. Every membership change is a conditional UPDATE on the expected status inside a
 * transaction that also writes the history, so two concurrent decisions give one success and
 * one CONFLICT.
 */
export class CoalitionService {
  constructor(
    private readonly ds: DataSource,
    private readonly themes: ThemeService,
    private readonly territories: TerritoryService,
    private readonly actors: ActorService,
  ) {}

  /** 'LEVEL:CODE' of a territory and of every territory containing it, plus its région. */
  async areaOf(level: TerritoryLevel, code: string): Promise<{ keys: string[]; regionCode: string | null }> {
    const known = await this.territories.knownKeys();
    if (!CODE_PATTERNS[level]?.test(code) || !known.has(`${level}:${code}`)) {
      throw badInput(`Territoire inconnu : ${LEVEL_LABELS[level] ?? level} ${code.slice(0, 12)}`, 'territory');
    }
    if (level === TerritoryLevel.PAYS) return { keys: ['PAYS:FR'], regionCode: null };
    const [t] = await this.ds.query(
      `SELECT commune_code, epci_code, ept_code, departement_code, region_code FROM territory WHERE level = $1 AND code = $2`,
      [level, code],
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

  /**
   * SQL condition on coalition `c`: its territory lies inside the scope or contains it. Pushes
   * its parameters.
   */
  async scopeSql(scope: { level: TerritoryLevel; code: string }, params: unknown[]): Promise<string> {
    const { keys } = await this.areaOf(scope.level, scope.code.trim().toUpperCase());
    params.push(`${scope.level}:${scope.code.trim().toUpperCase()}`, keys);
    return `(c.area_keys @> ARRAY[$${params.length - 1}::text] OR (c.territory_level || ':' || c.territory_code) = ANY($${params.length}::text[]))`;
  }

  /** A theme, its sub-themes and its parent: what counts as "the same theme". */
  static relatedThemes(taxonomy: Taxonomy, codes: string[]): string[] {
    const out = new Set<string>();
    for (const code of codes) {
      for (const c of taxonomy.expand(code)) out.add(c);
      const parent = taxonomy.themeByCode.get(code)?.parentCode;
      if (parent) out.add(parent);
    }
    return [...out];
  }

  private async checkThemes(codes: string[]): Promise<string[]> {
    const taxonomy = await this.themes.taxonomy();
    const themes = [...new Set(codes.map((t) => t.trim()))];
    taxonomy.checkThemes(themes, 'themes');
    return themes;
  }

  // ---------------------------------------------------------------- reads

  async findMany(ids: readonly string[]): Promise<(Coalition | null)[]> {
    const valid = ids.filter((id) => UUID.test(id));
    const rows = valid.length ? await this.ds.query(`SELECT ${COALITION_COLUMNS} FROM coalition c WHERE c.id = ANY($1::uuid[])`, [valid]) : [];
    const by = new Map<string, Coalition>(rows.map((r: any) => [r.id, toCoalition(r)]));
    return ids.map((id) => by.get(id) ?? null);
  }

  /** A coalition the user may see; NOT_FOUND otherwise, so that hidden coalitions do not leak. */
  async get(user: AuthUser | null, id: string): Promise<Coalition> {
    checkUuid(id, 'id', 'de coalition');
    const [c] = await this.findMany([id]);
    if (!c || !Permissions.canView(user, c)) throw notFound('Coalition introuvable');
    return c;
  }

  async list(user: AuthUser | null, filter: CoalitionFilter | undefined, first: number, after: string | null): Promise<CoalitionConnection> {
    if (!Number.isInteger(first) || first < 0 || first > 200) throw badInput('« first » doit être compris entre 0 et 200', 'first');
    const params: unknown[] = [];
    const where = [Permissions.visibleSql(user, params)];
    if (filter?.territory) where.push(await this.scopeSql(filter.territory, params));
    if (filter?.themes?.length) {
      const themes = await this.checkThemes(filter.themes);
      params.push(CoalitionService.relatedThemes(await this.themes.taxonomy(), themes));
      where.push(`c.themes && $${params.length}::text[]`);
    }
    if (filter?.kinds?.length) {
      params.push(filter.kinds);
      where.push(`c.kind = ANY($${params.length}::text[])`);
    }
    if (filter?.actorId) {
      checkUuid(filter.actorId, 'actorId', 'd’acteur');
      params.push(filter.actorId);
      where.push(`EXISTS (SELECT 1 FROM membership m WHERE m.coalition_id = c.id AND m.actor_id = $${params.length} AND m.status = 'ACTIVE')`);
    }
    if (!filter?.includeEnded) where.push(`(c.end_date IS NULL OR c.end_date >= current_date)`);
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM coalition c WHERE ${where.join(' AND ')}`, params);
    const pageWhere = [...where];
    const pageParams = [...params];
    if (after) {
      const [name, id] = decodeCursor(after);
      pageParams.push(name, id);
      pageWhere.push(`(c.name, c.id) > ($${pageParams.length - 1}, $${pageParams.length}::uuid)`);
    }
    pageParams.push(first + 1);
    const rows = await this.ds.query(
      `SELECT ${COALITION_COLUMNS} FROM coalition c WHERE ${pageWhere.join(' AND ')} ORDER BY c.name, c.id LIMIT $${pageParams.length}`,
      pageParams,
    );
    const nodes = rows.slice(0, first).map(toCoalition);
    return {
      edges: nodes.map((node: Coalition) => ({ cursor: encodeCursor(node.name, node.id), node })),
      pageInfo: { hasNextPage: rows.length > first, endCursor: nodes.length ? encodeCursor(nodes.at(-1)!.name, nodes.at(-1)!.id) : null },
      totalCount: n,
    };
  }

  /** Every membership of the given coalitions, all statuses (callers filter by permission). */
  async membershipsOf(coalitionIds: readonly string[]): Promise<Membership[][]> {
    const rows = await this.ds.query(
      `SELECT ${MEMBERSHIP_COLUMNS} FROM membership m WHERE m.coalition_id = ANY($1::uuid[]) ORDER BY m.requested_at, m.id`,
      [coalitionIds],
    );
    const by = new Map<string, Membership[]>();
    for (const r of rows) by.set(r.coalition_id, [...(by.get(r.coalition_id) ?? []), toMembership(r)]);
    return coalitionIds.map((id) => by.get(id) ?? []);
  }

  /** Memberships of a coalition with the given statuses that the user may see (`Permissions.canSeeMembership`). */
  static visibleMemberships(user: AuthUser | null, c: Coalition, all: Membership[], statuses: MembershipStatus[]): Membership[] {
    return all.filter((m) => statuses.includes(m.status) && Permissions.canSeeMembership(user, c, m));
  }

  static groupByRole(members: Membership[]) {
    return ROLE_ORDER.map((role) => ({ role, members: members.filter((m) => m.role === role) })).filter((g) => g.members.length > 0);
  }

  static intersectorality(actors: Actor[]): Intersectorality {
    const counts = new Map<SectorCategory, number>();
    for (const a of actors) for (const cat of sectorCategories(a.sector, a.kind)) counts.set(cat, (counts.get(cat) ?? 0) + 1);
    const all = Object.values(SectorCategory);
    const entry = (category: SectorCategory) => ({ category, label: SECTOR_CATEGORY_LABELS[category], count: counts.get(category) ?? 0 });
    const present = all.filter((c) => counts.has(c)).map(entry);
    const missing = all.filter((c) => !counts.has(c)).map(entry);
    return Object.assign(new Intersectorality(), { present, missing, ratio: present.length / all.length });
  }

  /** The history of a membership: every change for this actor in this coalition, across leaves and re-joins. */
  async history(coalitionId: string, actorId: string | null): Promise<MembershipEvent[]> {
    const params: unknown[] = [coalitionId];
    if (actorId) params.push(actorId);
    const rows = await this.ds.query(
      `SELECT e.id::text, e.membership_id, e.actor_id, e.from_status, e.to_status, e.role, e.at, u.display_name
       FROM membership_event e LEFT JOIN user_account u ON u.id = e.user_id
       WHERE e.coalition_id = $1 ${actorId ? 'AND e.actor_id = $2' : ''} ORDER BY e.id`,
      params,
    );
    return rows.map((r: any) => CoalitionService.toEvent(r));
  }

  /** Histories of several (coalition, actor) pairs in one query, for the per-request loader. */
  async histories(keys: readonly { coalitionId: string; actorId: string }[]): Promise<MembershipEvent[][]> {
    const rows = await this.ds.query(
      `SELECT k.n, e.id::text, e.membership_id, e.actor_id, e.from_status, e.to_status, e.role, e.at, u.display_name
       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS k(coalition_id, actor_id, n)
       JOIN membership_event e ON e.coalition_id = k.coalition_id AND e.actor_id = k.actor_id
       LEFT JOIN user_account u ON u.id = e.user_id
       ORDER BY k.n, e.id`,
      [keys.map((k) => k.coalitionId), keys.map((k) => k.actorId)],
    );
    const by = new Map<number, MembershipEvent[]>();
    for (const r of rows) by.set(Number(r.n), [...(by.get(Number(r.n)) ?? []), CoalitionService.toEvent(r)]);
    return keys.map((_, i) => by.get(i + 1) ?? []);
  }

  private static toEvent(r: any): MembershipEvent {
    return Object.assign(new MembershipEvent(), {
      id: r.id,
      membershipId: r.membership_id,
      actorId: r.actor_id,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      role: r.role,
      byName: r.display_name,
      at: new Date(r.at),
    });
  }

  /** Every membership of the given actors, all statuses, grouped by actor (callers filter by permission). */
  async membershipsByActors(actorIds: readonly string[]): Promise<Membership[][]> {
    const valid = actorIds.filter((id) => UUID.test(id));
    const rows = valid.length
      ? await this.ds.query(`SELECT ${MEMBERSHIP_COLUMNS} FROM membership m WHERE m.actor_id = ANY($1::uuid[]) ORDER BY m.requested_at, m.id`, [valid])
      : [];
    const by = new Map<string, Membership[]>();
    for (const r of rows) by.set(r.actor_id, [...(by.get(r.actor_id) ?? []), toMembership(r)]);
    return actorIds.map((id) => by.get(id) ?? []);
  }

  async membershipsOfActors(actorIds: string[]): Promise<Membership[]> {
    if (actorIds.length === 0) return [];
    const rows = await this.ds.query(
      `SELECT ${MEMBERSHIP_COLUMNS} FROM membership m WHERE m.actor_id = ANY($1::uuid[]) ORDER BY m.requested_at DESC, m.id`,
      [actorIds],
    );
    return rows.map(toMembership);
  }

  /** Every partnership of the given actors, all statuses (callers filter with `PartnershipRules.canSee`). */
  async partnershipsOf(actorIds: readonly string[]): Promise<Partnership[][]> {
    const valid = actorIds.filter((id) => UUID.test(id));
    const rows = valid.length
      ? await this.ds.query(
          `SELECT ${PARTNERSHIP_COLUMNS} FROM partnership p WHERE p.actor_a = ANY($1::uuid[]) OR p.actor_b = ANY($1::uuid[])
           ORDER BY p.start_date NULLS LAST, p.created_at, p.id`,
          [valid],
        )
      : [];
    const list = rows.map(toPartnership) as Partnership[];
    return actorIds.map((id) => list.filter((p) => p.actorAId === id || p.actorBId === id));
  }

  async partnershipById(id: string): Promise<Partnership | null> {
    const [row] = await this.ds.query(`SELECT ${PARTNERSHIP_COLUMNS} FROM partnership p WHERE p.id = $1`, [id]);
    return row ? toPartnership(row) : null;
  }

  /** Histories of several partnerships in one query, for the per-request loader. */
  async partnershipHistories(ids: readonly string[]): Promise<PartnershipEvent[][]> {
    const rows = await this.ds.query(
      `SELECT e.id::text, e.partnership_id, e.from_status, e.to_status, e.reason, e.at, u.display_name
       FROM partnership_event e LEFT JOIN user_account u ON u.id = e.user_id
       WHERE e.partnership_id = ANY($1::uuid[]) ORDER BY e.id`,
      [ids],
    );
    const by = new Map<string, PartnershipEvent[]>();
    for (const r of rows) {
      const event = Object.assign(new PartnershipEvent(), {
        id: r.id,
        fromStatus: r.from_status,
        toStatus: r.to_status,
        reason: r.reason,
        byName: r.display_name,
        at: new Date(r.at),
      });
      by.set(r.partnership_id, [...(by.get(r.partnership_id) ?? []), event]);
    }
    return ids.map((id) => by.get(id) ?? []);
  }

  /** Pending partnerships the user may confirm (declared by another side), oldest first; 500 at most. */
  async partnershipsToConfirm(user: AuthUser | null): Promise<Partnership[]> {
    const u = this.requireUser(user);
    const params: unknown[] = [];
    const visible = PartnershipRules.visibleSql(u, params);
    const rows = await this.ds.query(
      `SELECT ${PARTNERSHIP_COLUMNS} FROM partnership p WHERE p.status = 'PENDING' AND ${visible} ORDER BY p.created_at, p.id LIMIT 2000`,
      params,
    );
    return (rows.map(toPartnership) as Partnership[]).filter((p) => PartnershipRules.canDecide(u, p)).slice(0, 500);
  }

  /**
   * Reloads the open memberships of the user's actors after a change, so that the answer of the
   * mutation (and anything after it in the same request) is checked against the new state: an
   * actor that just declined or left no longer sees a members-only coalition.
   */
  private async refreshMemberships(user: AuthUser): Promise<void> {
    const rows = await this.ds.query(
      `SELECT m.coalition_id AS "coalitionId", m.actor_id AS "actorId", m.role, m.status FROM membership m
       WHERE m.actor_id = ANY($1::uuid[]) AND m.status IN ('REQUESTED','INVITED','ACTIVE')`,
      [user.actorIds],
    );
    user.memberships.splice(0, user.memberships.length, ...rows);
  }

  // ---------------------------------------------------------------- writes

  private requireUser(user: AuthUser | null): AuthUser {
    if (!user) throw unauthenticated();
    return user;
  }

  private async activeActor(actorId: string, field: string): Promise<{ id: string; name: string }> {
    checkUuid(actorId, field, 'd’acteur');
    const [a] = await this.ds.query(`SELECT id, name, status FROM actor WHERE id = $1`, [actorId]);
    if (!a) throw notFound('Acteur introuvable');
    if (a.status !== 'ACTIVE') throw badInput('Cet acteur est archivé', field);
    return a;
  }

  private static checkDates(start: string | null, end: string | null): void {
    for (const [field, d] of [
      ['startDate', start],
      ['endDate', end],
    ] as const) {
      if (d && Number.isNaN(Date.parse(`${d}T00:00:00Z`))) throw badInput('date invalide', field);
    }
    if (start && end && end < start) throw badInput('la fin précède le début', 'endDate');
  }

  async create(user: AuthUser | null, input: CreateCoalitionInput): Promise<Coalition> {
    const u = this.requireUser(user);
    if (u.role === UserRole.MEMBER) throw forbidden('Seuls les coordinateurs, les analystes ARS et les administrateurs créent des coalitions.');
    const name = input.name?.trim();
    if (!name) throw badInput('le nom est requis', 'name');
    if (!input.kind) throw badInput('la nature de la coalition est requise', 'kind');
    if (!input.territory) throw badInput('le territoire est requis', 'territory');
    const themes = await this.checkThemes(input.themes ?? []);
    if (themes.length === 0) throw badInput('au moins un thème est requis', 'themes');
    const level = input.territory.level;
    const code = input.territory.code.trim().toUpperCase();
    const area = await this.areaOf(level, code);
    CoalitionService.checkDates(input.startDate ?? null, input.endDate ?? null);
    await this.activeActor(input.pilotActorId, 'pilotActorId');
    if (u.role === UserRole.COORDINATOR && !Permissions.represents(u, input.pilotActorId)) {
      throw forbidden('Vous ne représentez pas l’acteur pilote indiqué.');
    }
    if (u.role === UserRole.ANALYST && area.regionCode !== u.regionCode) {
      throw forbidden('Un analyste ne crée des coalitions que dans sa région.');
    }
    const id = await this.ds.transaction(async (m) => {
      const [row] = await m.query(
        `INSERT INTO coalition (name, kind, themes, territory_level, territory_code, area_keys, region_code, start_date, end_date,
           description, visibility, join_policy, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
        [
          name,
          input.kind,
          themes,
          level,
          code,
          area.keys,
          area.regionCode,
          input.startDate ?? null,
          input.endDate ?? null,
          input.description?.trim() || null,
          input.visibility ?? 'PUBLIC',
          input.joinPolicy ?? JoinPolicy.APPROVAL,
          u.id,
        ],
      );
      await this.insertMembership(m, row.id, input.pilotActorId, MembershipRole.PILOTE, MembershipStatus.ACTIVE, u.id, true);
      return row.id as string;
    });
    await this.refreshMemberships(u);
    return (await this.findMany([id]))[0]!;
  }

  async update(user: AuthUser | null, id: string, version: number, input: UpdateCoalitionInput): Promise<Coalition> {
    const u = this.requireUser(user);
    const current = await this.get(u, id);
    if (!Permissions.canManage(u, current)) throw forbidden('Seuls les coordinateurs de cette coalition la modifient.');
    const name = input.name === undefined ? current.name : input.name.trim();
    if (!name) throw badInput('le nom est requis', 'name');
    const themes = input.themes === undefined ? current.themeCodes : await this.checkThemes(input.themes);
    if (themes.length === 0) throw badInput('au moins un thème est requis', 'themes');
    const level = input.territory?.level ?? current.territoryLevel;
    const code = input.territory ? input.territory.code.trim().toUpperCase() : current.territoryCode;
    const area = await this.areaOf(level, code);
    // An analyst may not move a coalition out of its région (unless it also pilots it).
    if (u.role === UserRole.ANALYST && area.regionCode !== u.regionCode && !Permissions.canManage({ ...u, role: UserRole.MEMBER }, current)) {
      throw forbidden('Un analyste ne place des coalitions que dans sa région.');
    }
    const startDate = input.startDate === undefined ? current.startDate : input.startDate;
    const endDate = input.endDate === undefined ? current.endDate : input.endDate;
    CoalitionService.checkDates(startDate, endDate);
    const rows = returnedRows(
      await this.ds.query(
        `UPDATE coalition SET name = $3, kind = $4, themes = $5, territory_level = $6, territory_code = $7, area_keys = $8,
           region_code = $9, start_date = $10, end_date = $11, description = $12, visibility = $13, join_policy = $14,
           updated_at = now(), version = version + 1
         WHERE id = $1 AND version = $2 RETURNING id`,
        [
          id,
          version,
          name,
          input.kind ?? current.kind,
          themes,
          level,
          code,
          area.keys,
          area.regionCode,
          startDate,
          endDate,
          input.description === undefined ? current.description : input.description?.trim() || null,
          input.visibility ?? current.visibility,
          input.joinPolicy ?? current.joinPolicy,
        ],
      ),
    );
    if (rows.length === 0) {
      throw new AppError('CONFLICT', 'Cette coalition a été modifiée par quelqu’un d’autre depuis votre lecture : rechargez-la.', {
        currentVersion: current.version,
      });
    }
    return (await this.findMany([id]))[0]!;
  }

  private async insertMembership(
    m: Queryable,
    coalitionId: string,
    actorId: string,
    role: MembershipRole,
    status: MembershipStatus,
    userId: string,
    decided: boolean,
  ): Promise<string> {
    const [row] = await m.query(
      `INSERT INTO membership (coalition_id, actor_id, role, status, requested_by, decided_by, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::boolean THEN now() END) RETURNING id`,
      [coalitionId, actorId, role, status, userId, decided ? userId : null, decided],
    );
    await m.query(
      `INSERT INTO membership_event (membership_id, coalition_id, actor_id, from_status, to_status, role, user_id)
       VALUES ($1, $2, $3, NULL, $4, $5, $6)`,
      [row.id, coalitionId, actorId, status, role, userId],
    );
    return row.id;
  }

  /** Inserts an open membership, turning the partial unique index's refusal into a clear CONFLICT. */
  private async openMembership(
    coalitionId: string,
    actorId: string,
    role: MembershipRole,
    status: MembershipStatus,
    user: AuthUser,
    decided: boolean,
  ): Promise<Membership> {
    try {
      const id = await this.ds.transaction((m) => this.insertMembership(m, coalitionId, actorId, role, status, user.id, decided));
      await this.refreshMemberships(user);
      return (await this.membershipById(id))!;
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('CONFLICT', 'Cet acteur a déjà une demande, une invitation ou une adhésion en cours dans cette coalition.');
      }
      throw err;
    }
  }

  async membershipById(id: string): Promise<Membership | null> {
    const [row] = await this.ds.query(`SELECT ${MEMBERSHIP_COLUMNS} FROM membership m WHERE m.id = $1`, [id]);
    return row ? toMembership(row) : null;
  }

  /** A partner asks to join for an actor it represents; an open coalition accepts at once. */
  async requestMembership(user: AuthUser | null, coalitionId: string, actorId: string, role: MembershipRole): Promise<Membership> {
    const u = this.requireUser(user);
    const c = await this.get(u, coalitionId);
    checkUuid(actorId, 'actorId', 'd’acteur');
    if (!Permissions.represents(u, actorId)) throw forbidden('Vous ne pouvez demander l’adhésion que d’un acteur que vous représentez.');
    await this.activeActor(actorId, 'actorId');
    if (role === MembershipRole.PILOTE) throw forbidden('Le rôle de pilote est donné par invitation d’un coordinateur.');
    if (c.ended) throw badInput('Cette coalition est terminée.', 'coalitionId');
    if (c.joinPolicy === JoinPolicy.INVITATION) throw forbidden('Cette coalition ne s’ouvre que sur invitation d’un coordinateur.');
    const open = c.joinPolicy === JoinPolicy.OPEN;
    return this.openMembership(c.id, actorId, role, open ? MembershipStatus.ACTIVE : MembershipStatus.REQUESTED, u, open);
  }

  /** A coordinator invites an actor; the actor's representatives accept or decline. */
  async invite(user: AuthUser | null, coalitionId: string, actorId: string, role: MembershipRole): Promise<Membership> {
    const u = this.requireUser(user);
    const c = await this.get(u, coalitionId);
    if (!Permissions.canManage(u, c)) throw forbidden('Seuls les coordinateurs de cette coalition invitent.');
    await this.activeActor(actorId, 'actorId');
    if (c.ended) throw badInput('Cette coalition est terminée.', 'coalitionId');
    return this.openMembership(c.id, actorId, role, MembershipStatus.INVITED, u, false);
  }

  /**
   * Moves a membership from one of `from` to `to` if it is still there: the conditional UPDATE
   * is the lock, so of two concurrent decisions exactly one changes the row.
   */
  private async transition(membership: Membership, from: MembershipStatus[], to: MembershipStatus, user: AuthUser, check?: (m: EntityManager) => Promise<void>): Promise<Membership> {
    const userId = user.id;
    await this.ds.transaction(async (m) => {
      if (check) await check(m);
      const decided = to === MembershipStatus.ACTIVE || to === MembershipStatus.REJECTED;
      const rows = returnedRows(
        await m.query(
          `UPDATE membership SET status = $2, updated_at = now(),
             decided_by = CASE WHEN $4::boolean THEN $5::uuid ELSE decided_by END,
             decided_at = CASE WHEN $4::boolean THEN now() ELSE decided_at END,
             ended_at = CASE WHEN $2 = 'LEFT' THEN now() ELSE ended_at END
           WHERE id = $1 AND status = ANY($3::text[]) RETURNING id, status`,
          [membership.id, to, from, decided, userId],
        ),
      );
      if (rows.length === 0) {
        const [now] = await m.query(`SELECT status FROM membership WHERE id = $1`, [membership.id]);
        throw new AppError('CONFLICT', 'Cette adhésion a déjà été traitée par quelqu’un d’autre.', { currentStatus: now?.status ?? null });
      }
      await m.query(
        `INSERT INTO membership_event (membership_id, coalition_id, actor_id, from_status, to_status, role, user_id)
         SELECT id, coalition_id, actor_id, $2, $3, role, $4 FROM membership WHERE id = $1`,
        [membership.id, membership.status, to, userId],
      );
    });
    await this.refreshMemberships(user);
    return (await this.membershipById(membership.id))!;
  }

  private async loadMembership(user: AuthUser, membershipId: string): Promise<{ membership: Membership; coalition: Coalition }> {
    checkUuid(membershipId, 'membershipId', 'd’adhésion');
    const membership = await this.membershipById(membershipId);
    const [coalition] = membership ? await this.findMany([membership.coalitionId]) : [null];
    // An adhesion of a coalition the user cannot see is reported as absent.
    if (!membership || !coalition || !(Permissions.canView(user, coalition) || Permissions.represents(user, membership.actorId))) {
      throw notFound('Adhésion introuvable');
    }
    return { membership, coalition };
  }

  /** A coordinator of the coalition accepts or rejects a pending request. */
  async decide(user: AuthUser | null, membershipId: string, accept: boolean): Promise<Membership> {
    const u = this.requireUser(user);
    const { membership, coalition } = await this.loadMembership(u, membershipId);
    if (!Permissions.canManage(u, coalition)) throw forbidden('Seuls les coordinateurs de cette coalition décident des demandes.');
    if (membership.status !== MembershipStatus.REQUESTED) {
      throw new AppError('CONFLICT', 'Cette demande a déjà été traitée.', { currentStatus: membership.status });
    }
    return this.transition(membership, [MembershipStatus.REQUESTED], accept ? MembershipStatus.ACTIVE : MembershipStatus.REJECTED, u);
  }

  /** The invited actor's representative accepts or declines. */
  async answerInvitation(user: AuthUser | null, membershipId: string, accept: boolean): Promise<Membership> {
    const u = this.requireUser(user);
    const { membership } = await this.loadMembership(u, membershipId);
    if (!Permissions.represents(u, membership.actorId)) throw forbidden('Seuls les représentants de l’acteur invité répondent à l’invitation.');
    if (membership.status !== MembershipStatus.INVITED) {
      throw new AppError('CONFLICT', 'Cette invitation a déjà reçu une réponse.', { currentStatus: membership.status });
    }
    return this.transition(membership, [MembershipStatus.INVITED], accept ? MembershipStatus.ACTIVE : MembershipStatus.REJECTED, u);
  }

  /**
   * The actor leaves (or withdraws its pending request); a coordinator may also remove a member.
   * The last active pilot cannot leave: the coalition would have nobody to run it.
   */
  async leave(user: AuthUser | null, membershipId: string): Promise<Membership> {
    const u = this.requireUser(user);
    const { membership, coalition } = await this.loadMembership(u, membershipId);
    if (!Permissions.represents(u, membership.actorId) && !Permissions.canManage(u, coalition)) {
      throw forbidden('Seuls les représentants de l’acteur ou les coordinateurs de la coalition mettent fin à une adhésion.');
    }
    const from: MembershipStatus[] = [MembershipStatus.ACTIVE, MembershipStatus.REQUESTED, MembershipStatus.INVITED];
    if (!from.includes(membership.status)) throw new AppError('CONFLICT', 'Cette adhésion est déjà terminée.', { currentStatus: membership.status });
    const lastPilotCheck = async (m: EntityManager) => {
      if (membership.role !== MembershipRole.PILOTE || membership.status !== MembershipStatus.ACTIVE) return;
      // Serialises concurrent departures of pilots of the same coalition.
      await m.query(`SELECT id FROM coalition WHERE id = $1 FOR UPDATE`, [coalition.id]);
      const [{ n }] = await m.query(
        `SELECT count(*)::int AS n FROM membership WHERE coalition_id = $1 AND role = 'PILOTE' AND status = 'ACTIVE' AND id <> $2`,
        [coalition.id, membership.id],
      );
      if (n === 0) throw new AppError('CONFLICT', 'Le dernier pilote ne peut pas quitter la coalition : invitez d’abord un autre pilote.');
    };
    return this.transition(membership, from, MembershipStatus.LEFT, u, lastPilotCheck);
  }

  /**
   * Declares a partnership for an actor the user represents (or as an administrator): PENDING
   * until the other side confirms it. The partial unique index on the unordered pair and kind
   * refuses a second pending or active one, even declared at the same time (CONFLICT).
   */
  async createPartnership(user: AuthUser | null, input: CreatePartnershipInput): Promise<Partnership> {
    const u = this.requireUser(user);
    checkUuid(input.actorId, 'actorId', 'd’acteur');
    checkUuid(input.partnerActorId, 'partnerActorId', 'd’acteur');
    if (!Permissions.represents(u, input.actorId) && u.role !== UserRole.ADMIN) {
      throw forbidden('Vous ne pouvez déclarer un partenariat que pour un acteur que vous représentez.');
    }
    if (input.actorId === input.partnerActorId) throw badInput('un acteur ne peut être son propre partenaire', 'partnerActorId');
    await this.activeActor(input.actorId, 'actorId');
    await this.activeActor(input.partnerActorId, 'partnerActorId');
    CoalitionService.checkDates(input.startDate ?? null, input.endDate ?? null);
    let id: string;
    try {
      id = await this.ds.transaction(async (m) => {
        // An active partnership whose period is over no longer blocks a new one of the same kind.
        await m.query(
          `WITH over AS (
             UPDATE partnership SET status = 'ENDED', ended_at = now(), updated_at = now()
             WHERE least(actor_a, actor_b) = least($1::uuid, $2::uuid) AND greatest(actor_a, actor_b) = greatest($1::uuid, $2::uuid)
               AND kind = $3 AND status = 'ACTIVE' AND end_date < current_date RETURNING id)
           INSERT INTO partnership_event (partnership_id, from_status, to_status, user_id, reason)
           SELECT id, 'ACTIVE', 'ENDED', $4, 'Période terminée' FROM over`,
          [input.actorId, input.partnerActorId, input.kind, u.id],
        );
        // ON CONFLICT (the partial unique index on the pair and kind): of two concurrent
        // declarations, the second waits for the first and inserts nothing.
        const [row] = await m.query(
          `INSERT INTO partnership (actor_a, actor_b, kind, title, start_date, end_date, status, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7) ON CONFLICT DO NOTHING RETURNING id`,
          [input.actorId, input.partnerActorId, input.kind, input.title?.trim() || null, input.startDate ?? null, input.endDate ?? null, u.id],
        );
        if (!row) throw duplicatePartnership();
        await m.query(`INSERT INTO partnership_event (partnership_id, from_status, to_status, user_id) VALUES ($1, NULL, 'PENDING', $2)`, [row.id, u.id]);
        return row.id as string;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicatePartnership();
      throw err;
    }
    return (await this.partnershipById(id))!;
  }

  /** A partnership the user may see; NOT_FOUND otherwise, so that pending declarations do not leak. */
  private async visiblePartnership(user: AuthUser, id: string): Promise<Partnership> {
    checkUuid(id, 'id', 'de partenariat');
    const p = await this.partnershipById(id);
    if (!p || !PartnershipRules.canSee(user, p)) throw notFound('Partenariat introuvable');
    return p;
  }

  private static checkReason(reason: string | null | undefined): string | null {
    const r = reason?.trim() || null;
    if (r && r.length > 1000) throw badInput('le motif dépasse 1 000 caractères', 'reason');
    return r;
  }

  /**
   * Moves a partnership from its current status to `to` if nobody changed it in between: the
   * conditional UPDATE is the lock, so of two concurrent decisions exactly one succeeds.
   */
  private async partnershipTransition(user: AuthUser, p: Partnership, from: PartnershipStatus[], to: PartnershipStatus, reason: string | null, stateMessage: string): Promise<Partnership> {
    if (!from.includes(p.status)) throw new AppError('CONFLICT', stateMessage, { currentStatus: p.status });
    await this.ds.transaction(async (m) => {
      const rows = returnedRows(
        await m.query(
          `UPDATE partnership SET status = $3, updated_at = now(),
             confirmed_at = CASE WHEN $3 = 'ACTIVE' THEN now() ELSE confirmed_at END,
             confirmed_by = CASE WHEN $3 = 'ACTIVE' THEN $4::uuid ELSE confirmed_by END,
             ended_at = CASE WHEN $3 IN ('ENDED','DECLINED') THEN now() ELSE ended_at END,
             end_date = CASE WHEN $3 = 'ENDED' AND (start_date IS NULL OR start_date <= current_date)
                             THEN least(coalesce(end_date, current_date), current_date) ELSE end_date END
           WHERE id = $1 AND status = $2 RETURNING id`,
          [p.id, p.status, to, user.id],
        ),
      );
      if (rows.length === 0) {
        const [now] = await m.query(`SELECT status FROM partnership WHERE id = $1`, [p.id]);
        throw new AppError('CONFLICT', 'Ce partenariat vient d’être modifié par quelqu’un d’autre : rechargez-le.', { currentStatus: now?.status ?? null });
      }
      await m.query(`INSERT INTO partnership_event (partnership_id, from_status, to_status, user_id, reason) VALUES ($1, $2, $3, $4, $5)`, [
        p.id,
        p.status,
        to,
        user.id,
        reason,
      ]);
    });
    return (await this.partnershipById(p.id))!;
  }

  private static decideForbidden(user: AuthUser, p: Partnership, verb: string) {
    return forbidden(
      PartnershipRules.declaringSide(user, p)
        ? `Le côté qui a déclaré ce partenariat ne peut pas le ${verb} : c’est à l’autre acteur de le faire.`
        : `Seuls les représentants de l’acteur partenaire, les analystes ARS de sa région et les administrateurs peuvent le ${verb}.`,
    );
  }

  /** The other side (or an ARS analyst of the région, an administrator) confirms a pending declaration. */
  async confirmPartnership(user: AuthUser | null, id: string): Promise<Partnership> {
    const u = this.requireUser(user);
    const p = await this.visiblePartnership(u, id);
    if (!PartnershipRules.canDecide(u, p)) throw CoalitionService.decideForbidden(u, p, 'confirmer');
    return this.partnershipTransition(u, p, [PartnershipStatus.PENDING], PartnershipStatus.ACTIVE, null, 'Ce partenariat n’est plus en attente de confirmation.');
  }

  /** The other side declines a pending declaration, with an optional reason. */
  async declinePartnership(user: AuthUser | null, id: string, reason: string | null | undefined): Promise<Partnership> {
    const u = this.requireUser(user);
    const why = CoalitionService.checkReason(reason);
    const p = await this.visiblePartnership(u, id);
    if (!PartnershipRules.canDecide(u, p)) throw CoalitionService.decideForbidden(u, p, 'refuser');
    return this.partnershipTransition(u, p, [PartnershipStatus.PENDING], PartnershipStatus.DECLINED, why, 'Ce partenariat n’est plus en attente de confirmation.');
  }

  /** Either side ends an active partnership (or withdraws a pending one); its history stays. */
  async endPartnership(user: AuthUser | null, id: string, reason: string | null | undefined): Promise<Partnership> {
    const u = this.requireUser(user);
    const why = CoalitionService.checkReason(reason);
    const p = await this.visiblePartnership(u, id);
    if (!PartnershipRules.canEnd(u, p)) {
      throw forbidden('Seuls les représentants des deux acteurs, les analystes ARS de leur région et les administrateurs mettent fin à un partenariat.');
    }
    return this.partnershipTransition(u, p, [PartnershipStatus.PENDING, PartnershipStatus.ACTIVE], PartnershipStatus.ENDED, why, 'Ce partenariat est déjà terminé ou refusé.');
  }

  // ---------------------------------------------------------------- suggestions

  /**
   * Actors covering the coalition's territory and sharing a theme or bringing a missing sector,
   * not yet members (nor asked or invited), ranked by a score whose parts are given as reasons.
   */
  async suggestedPartners(user: AuthUser | null, coalitionId: string, first: number): Promise<PartnerSuggestion[]> {
    if (!Number.isInteger(first) || first < 1 || first > 100) throw badInput('« first » doit être compris entre 1 et 100', 'first');
    const c = await this.get(user, coalitionId);
    // Suggestions leave out the members: they would tell who the members are.
    if (!Permissions.canSeeMembers(user, c)) throw forbidden('Les partenaires suggérés sont réservés aux membres de la coalition.');
    const taxonomy = await this.themes.taxonomy();
    const related = CoalitionService.relatedThemes(taxonomy, c.themeCodes);
    const memberRows = await this.ds.query(
      `SELECT ${ACTOR_COLUMNS} FROM membership m JOIN actor a ON a.id = m.actor_id WHERE m.coalition_id = $1 AND m.status = 'ACTIVE'`,
      [c.id],
    );
    const inter = CoalitionService.intersectorality(memberRows.map(toActor));
    const missing = new Set(inter.missing.map((s) => s.category));
    const rows = await this.ds.query(
      `WITH communes AS (SELECT t.code FROM territory t WHERE ${communesOfSql(c.territoryLevel, '$2')}),
       cov AS (SELECT cc.actor_id, count(*)::int AS n FROM coverage_commune cc JOIN communes k ON k.code = cc.commune_code GROUP BY cc.actor_id)
       SELECT ${ACTOR_COLUMNS}, cov.n AS covered, (SELECT count(*)::int FROM communes) AS total
       FROM cov JOIN actor a ON a.id = cov.actor_id
       WHERE a.status = 'ACTIVE'
         AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.coalition_id = $1 AND m.actor_id = a.id AND m.status IN ('ACTIVE','REQUESTED','INVITED'))
       ORDER BY (a.themes && $3::text[]) DESC, cov.n DESC, a.id
       LIMIT 5000`,
      [c.id, c.territoryCode, related],
    );
    const suggestions: PartnerSuggestion[] = [];
    for (const r of rows) {
      const actor = toActor(r);
      const sharedThemes = actor.themeCodes.filter((t) => related.includes(t));
      const brings = sectorCategories(actor.sector, actor.kind).filter((s) => missing.has(s));
      if (sharedThemes.length === 0 && brings.length === 0) continue;
      const total = Number(r.total) || 1;
      const covered = Number(r.covered);
      const reasons = [];
      if (sharedThemes.length) {
        reasons.push({
          kind: SuggestionReasonKind.SAME_THEME,
          label: `Même thème : ${sharedThemes.map((t) => taxonomy.themeByCode.get(t)?.label ?? t).join(', ')}`,
        });
      }
      reasons.push({
        kind: SuggestionReasonKind.COVERS_COMMUNES,
        label: covered >= total ? `Couvre tout le territoire (${total} commune${total > 1 ? 's' : ''})` : `Couvre ${covered} des ${total} communes du territoire`,
      });
      if (brings.length) {
        reasons.push({
          kind: SuggestionReasonKind.MISSING_SECTOR,
          label: `Apporte un secteur absent : ${brings.map((s) => SECTOR_CATEGORY_LABELS[s]).join(', ')}`,
        });
      }
      const score = (sharedThemes.length ? 2 + 0.5 * (sharedThemes.length - 1) : 0) + 2 * (covered / total) + 1.5 * brings.length;
      suggestions.push(
        Object.assign(new PartnerSuggestion(), {
          actor,
          score: Math.round(score * 1000) / 1000,
          coveredCommunes: covered,
          communeCount: total,
          sharedThemes,
          missingSectors: brings,
          reasons,
        }),
      );
    }
    suggestions.sort((a, b) => b.score - a.score || a.actor.name.localeCompare(b.actor.name, 'fr'));
    return suggestions.slice(0, first);
  }
}
