import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { createActorLoaders } from '../actors/actor.loaders.js';
import { FreshnessPolicy } from '../actors/actor-freshness.js';
import { ActorService } from '../actors/actor.service.js';
import { ChangeProposalService } from '../actors/change-proposal.service.js';
import { AuthService } from '../auth/auth.service.js';
import type { AuthUser, ClientInfo } from '../auth/auth.types.js';
import { CoalitionGraphService } from '../coalitions/coalition-graph.service.js';
import { createCoalitionLoaders } from '../coalitions/coalition.loaders.js';
import { CoalitionService } from '../coalitions/coalition.service.js';
import { type Env, loadEnv } from '../config/env.js';
import { GapService } from '../gaps/gap.service.js';
import { ThemeService } from '../themes/theme.service.js';
import type { Territory } from '../territories/territory.entity.js';
import type { TerritoryLevel } from '../territories/territory-level.js';
import { TerritoryService } from '../territories/territory.service.js';

/** Services are shared by all requests: they hold no per-user state, only caches of static vocabularies. */
export interface Services {
  territories: TerritoryService;
  themes: ThemeService;
  actors: ActorService;
  gaps: GapService;
  auth: AuthService;
  coalitions: CoalitionService;
  coalitionGraph: CoalitionGraphService;
  /** « Proposer une modification » of an actor. */
  proposals: ChangeProposalService;
  /** When a record is stale (FRESHNESS_MONTHS). */
  freshness: FreshnessPolicy;
}

export function createServices(ds: DataSource, settings: Pick<Env, 'freshnessMonths'> = loadEnv()): Services {
  const territories = new TerritoryService(ds);
  const themes = new ThemeService(ds);
  const actors = new ActorService(ds, themes, territories);
  const coalitions = new CoalitionService(ds, themes, territories);
  const auth = new AuthService(ds);
  return {
    territories,
    themes,
    actors,
    gaps: new GapService(ds, themes, territories),
    auth,
    proposals: new ChangeProposalService(ds, actors, auth.throttle),
    coalitions,
    coalitionGraph: new CoalitionGraphService(ds, themes, coalitions),
    freshness: new FreshnessPolicy(settings.freshnessMonths),
  };
}

/**
 * The same services with the analyses (gaps, coverage, matrix, graphs) on the analytics pool: for
 * the requests admitted by the analytics gate, so that pool only ever serves them.
 */
export function analyticsServices(services: Services, analytics: DataSource): Services {
  return {
    ...services,
    gaps: new GapService(analytics, services.themes, services.territories),
    coalitionGraph: new CoalitionGraphService(analytics, services.themes, services.coalitions),
  };
}

/** Loaders live for one request, so batching never leaks data between users. */
export function createLoaders(ds: DataSource, services: Services) {
  const actorLoaders = createActorLoaders(ds);
  return {
    territory: new DataLoader<{ level: TerritoryLevel; code: string }, Territory | null, string>((refs) => services.territories.findMany(refs), {
      cacheKeyFn: (r) => `${r.level}:${r.code}`,
    }),
    /** Territories a query already read with its rows (by `level:code`), returned without a promise by the fields that need them. */
    knownTerritories: new Map<string, Territory>(),
    geometry: new DataLoader<{ level: TerritoryLevel; code: string; simplify: number | null }, object | null, string>(
      (refs) => services.territories.geometries(refs),
      { cacheKeyFn: (r) => `${r.level}:${r.code}:${r.simplify}` },
    ),
    neighbors: new DataLoader<{ level: TerritoryLevel; code: string; first: number }, Territory[], string>((refs) => services.territories.neighbors(refs), {
      cacheKeyFn: (r) => `${r.level}:${r.code}:${r.first}`,
    }),
    actorTerritories: actorLoaders.territories,
    actorReach: actorLoaders.reach,
    actorReviewHistory: actorLoaders.reviewHistory,
    actorChangeProposals: actorLoaders.changeProposals,
    coveredCount: actorLoaders.coveredCount,
    coveredPage: actorLoaders.coveredPage,
    ...createCoalitionLoaders(services.coalitions, services.actors),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** The session cookie of the request: read, and set or cleared through the response. */
export interface SessionCookie {
  token: string | null;
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface Context {
  ds: DataSource;
  services: Services;
  loaders: Loaders;
  /** The signed-in user, or null for a visitor. */
  user?: AuthUser | null;
  session?: SessionCookie;
  /** Who sent the request (address for the login throttle, user agent for the session list). */
  client?: ClientInfo;
}
