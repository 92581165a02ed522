import type { DataSource } from 'typeorm';
import { actorColumns, toActor } from '../actors/actor.entity.js';
import type { AuthUser } from '../auth/auth.types.js';
import { run, type Sql, sql } from '../db/sql.js';
import { AppError, badInput } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import { decodeCursor, encodeCursor, forwardPage, isCursorText } from '../graphql/pagination.js';
import type { ThemeService } from '../themes/theme.service.js';
import type { TerritoryLevel } from '../territories/territory-level.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { type Area, CoalitionArea, communesOf, CURRENT_COALITION, themeFamily, themesSql } from './coalition-area.js';
import { JoinPolicy } from './coalition-enums.js';
import { type Coalition, type CoalitionConnection } from './coalition.entity.js';
import { activeActor, checkDates, visibleCoalition } from './coalition.guards.js';
import type { CoalitionFilter, CreateCoalitionInput, UpdateCoalitionInput } from './coalition.inputs.js';
import { intersectorality } from './coalition-members.js';
import { MembershipMachine } from './coalition.transitions.js';
import { requireUser } from '../auth/auth.service.js';
import { Permissions } from './coalition.permissions.js';
import { CoalitionRepository } from './coalition.repository.js';
import { MembershipWorkflow } from './membership.workflow.js';
import type { MembershipEvent } from './membership.entity.js';
import { rankSuggestions } from './partner-suggestions.js';
import { PartnerSuggestion } from './partner-suggestion.types.js';
import { PartnershipService } from './partnership.service.js';

/**
 * Coalitions: reads filtered by what the user may see, creation and changes. The join workflow
 * (`memberships`) and the direct partnerships (`partnerships`) are services of their own; the
 * data goes through the repositories (coalition.repository.ts, partnership.repository.ts).
 */
export class CoalitionService {
  readonly repo: CoalitionRepository;
  readonly area: CoalitionArea;
  readonly memberships: MembershipWorkflow;
  readonly partnerships: PartnershipService;

  constructor(
    private readonly ds: DataSource,
    private readonly themes: ThemeService,
    territories: TerritoryService,
  ) {
    this.repo = new CoalitionRepository(ds);
    this.area = new CoalitionArea(ds, territories);
    this.memberships = new MembershipWorkflow(ds, this.repo);
    this.partnerships = new PartnershipService(ds, this.repo);
  }

  /** 'LEVEL:CODE' of a territory and of every territory containing it, plus its région. */
  areaOf(level: TerritoryLevel, code: string): Promise<Area> {
    return this.area.areaOf(level, code);
  }

  /** Distinct, trimmed theme codes; BAD_USER_INPUT if one is unknown. */
  private async checkThemes(codes: string[]): Promise<string[]> {
    const taxonomy = await this.themes.taxonomy();
    const themes = [...new Set(codes.map((t) => t.trim()))];
    taxonomy.checkThemes(themes, 'themes');
    return themes;
  }

  // ---------------------------------------------------------------- reads

  /** A coalition the user may see; NOT_FOUND otherwise, so that hidden coalitions do not leak. */
  get(user: AuthUser | null, id: string): Promise<Coalition> {
    return visibleCoalition(this.repo, user, id);
  }

  async list(user: AuthUser | null, filter: CoalitionFilter | undefined, first: number, after: string | null): Promise<CoalitionConnection> {
    if (!Number.isInteger(first) || first < 0 || first > 200) throw badInput('« first » doit être compris entre 0 et 200', 'first');
    const conditions: Sql[] = [Permissions.visibleSql(user)];
    if (filter?.territory) conditions.push(await this.area.scopeSql(filter.territory));
    if (filter?.themes?.length) {
      const themes = await this.checkThemes(filter.themes);
      conditions.push(themesSql(await this.themes.taxonomy(), themes));
    }
    if (filter?.kinds?.length) conditions.push(sql`c.kind = ANY(${filter.kinds}::text[])`);
    if (filter?.actorId) {
      checkUuid(filter.actorId, 'actorId', 'd’acteur');
      conditions.push(sql`EXISTS (SELECT 1 FROM membership m WHERE m.coalition_id = c.id AND m.actor_id = ${filter.actorId} AND m.status = 'ACTIVE')`);
    }
    if (!filter?.includeEnded) conditions.push(CURRENT_COALITION);
    const totalCount = await this.repo.count(conditions);
    const keyset = after ? decodeCursor(after, isCursorText) : null;
    const rows = await this.repo.page(conditions, keyset, first + 1);
    return { ...forwardPage(rows, first, (c) => encodeCursor(c.name, c.id)), totalCount };
  }

  /** The history of a coalition (every membership), or of one actor in it. */
  history(coalitionId: string, actorId: string | null): Promise<MembershipEvent[]> {
    return this.repo.history(coalitionId, actorId);
  }

  // ---------------------------------------------------------------- writes

  async create(user: AuthUser | null, input: CreateCoalitionInput): Promise<Coalition> {
    const u = requireUser(user);
    MembershipMachine.authorize('FOUND', Permissions.mayFound(u));
    const name = input.name?.trim();
    if (!name) throw badInput('le nom est requis', 'name');
    if (!input.kind) throw badInput('la nature de la coalition est requise', 'kind');
    if (!input.territory) throw badInput('le territoire est requis', 'territory');
    const themes = await this.checkThemes(input.themes ?? []);
    if (themes.length === 0) throw badInput('au moins un thème est requis', 'themes');
    const level = input.territory.level;
    const code = input.territory.code.trim().toUpperCase();
    const area = await this.area.areaOf(level, code);
    checkDates(input.startDate ?? null, input.endDate ?? null);
    await activeActor(this.repo, input.pilotActorId, 'pilotActorId');
    Permissions.checkFounding(u, input.pilotActorId, area.regionCode);
    const id = await this.ds.transaction(async (m) => {
      const coalitionId = await this.repo.insert(m, {
        name,
        kind: input.kind,
        themeCodes: themes,
        territoryLevel: level,
        territoryCode: code,
        areaKeys: area.keys,
        regionCode: area.regionCode,
        startDate: input.startDate ?? null,
        endDate: input.endDate ?? null,
        description: input.description?.trim() || null,
        visibility: input.visibility ?? 'PUBLIC',
        joinPolicy: input.joinPolicy ?? JoinPolicy.APPROVAL,
        createdBy: u.id,
      });
      await this.memberships.found(m, u, coalitionId, input.pilotActorId);
      return coalitionId;
    });
    await this.memberships.refreshMemberships(u);
    return (await this.repo.findOne(id))!;
  }

  async update(user: AuthUser | null, id: string, version: number, input: UpdateCoalitionInput): Promise<Coalition> {
    const u = requireUser(user);
    const current = await this.get(u, id);
    Permissions.checkManage(u, current, 'Seuls les coordinateurs de cette coalition la modifient.');
    const name = input.name === undefined ? current.name : input.name.trim();
    if (!name) throw badInput('le nom est requis', 'name');
    const themes = input.themes === undefined ? current.themeCodes : await this.checkThemes(input.themes);
    if (themes.length === 0) throw badInput('au moins un thème est requis', 'themes');
    const level = input.territory?.level ?? current.territoryLevel;
    const code = input.territory ? input.territory.code.trim().toUpperCase() : current.territoryCode;
    const area = await this.area.areaOf(level, code);
    Permissions.checkUpdate(u, current, area.regionCode);
    const startDate = input.startDate === undefined ? current.startDate : input.startDate;
    const endDate = input.endDate === undefined ? current.endDate : input.endDate;
    checkDates(startDate, endDate);
    const written = await this.repo.update(id, version, {
      name,
      kind: input.kind ?? current.kind,
      themeCodes: themes,
      territoryLevel: level,
      territoryCode: code,
      areaKeys: area.keys,
      regionCode: area.regionCode,
      startDate,
      endDate,
      description: input.description === undefined ? current.description : input.description?.trim() || null,
      visibility: input.visibility ?? current.visibility,
      joinPolicy: input.joinPolicy ?? current.joinPolicy,
    });
    if (!written) {
      throw new AppError('CONFLICT', 'Cette coalition a été modifiée par quelqu’un d’autre depuis votre lecture : rechargez-la.', {
        currentVersion: current.version,
      });
    }
    return (await this.repo.findOne(id))!;
  }

  // ---------------------------------------------------------------- suggestions

  /**
   * Actors covering the coalition's territory and sharing a theme or bringing a missing sector,
   * not yet members (nor asked or invited), ranked by `rankSuggestions` (partner-suggestions.ts):
   * the SQL only gathers the candidates.
   */
  async suggestedPartners(user: AuthUser | null, coalitionId: string, first: number): Promise<PartnerSuggestion[]> {
    if (!Number.isInteger(first) || first < 1 || first > 100) throw badInput('« first » doit être compris entre 1 et 100', 'first');
    const c = await this.get(user, coalitionId);
    Permissions.checkSuggestions(user, c);
    const taxonomy = await this.themes.taxonomy();
    const family = themeFamily(taxonomy, c.themeCodes);
    const related = [...family.themes, ...family.broader];
    const members = await run(
      this.ds,
      sql`SELECT ${actorColumns('a')} FROM membership m JOIN actor a ON a.id = m.actor_id WHERE m.coalition_id = ${c.id} AND m.status = 'ACTIVE'`,
    );
    const missing = new Set(intersectorality(members.map(toActor)).missing.map((s) => s.category));
    const rows = await run(
      this.ds,
      sql`WITH communes AS (SELECT t.code FROM territory t WHERE ${communesOf(c.territoryLevel, c.territoryCode)}),
          cov AS (SELECT cc.actor_id, count(*)::int AS n FROM coverage_commune cc JOIN communes k ON k.code = cc.commune_code GROUP BY cc.actor_id)
          SELECT ${actorColumns('a')}, cov.n AS covered, (SELECT count(*)::int FROM communes) AS total
          FROM cov JOIN actor a ON a.id = cov.actor_id
          WHERE a.status = 'ACTIVE'
            AND NOT EXISTS (SELECT 1 FROM membership m WHERE m.coalition_id = ${c.id} AND m.actor_id = a.id AND m.status IN ('ACTIVE','REQUESTED','INVITED'))
          ORDER BY (a.themes && ${related}::text[]) DESC, cov.n DESC, a.id
          LIMIT 5000`,
    );
    const candidates = rows.map((r) => ({ actor: toActor(r), covered: Number(r.covered), total: Number(r.total) }));
    const ranked = rankSuggestions(
      candidates,
      {
        themes: family.themes,
        broaderThemes: family.broader,
        missingSectors: missing,
        themeLabel: (t) => taxonomy.themeByCode.get(t)?.label ?? t,
      },
      first,
    );
    return ranked.map((s) => Object.assign(new PartnerSuggestion(), s));
  }
}
