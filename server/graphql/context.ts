import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { createActorLoaders } from '../actors/actor.loaders.js';
import { ActorService } from '../actors/actor.service.js';
import { ThemeService } from '../themes/theme.service.js';
import type { Territory } from '../territories/territory.entity.js';
import type { TerritoryLevel } from '../territories/territory-level.js';
import { TerritoryService } from '../territories/territory.service.js';

/** Services are shared by all requests: they hold no per-user state, only caches of static vocabularies. */
export interface Services {
  territories: TerritoryService;
  themes: ThemeService;
  actors: ActorService;
}

export function createServices(ds: DataSource): Services {
  const territories = new TerritoryService(ds);
  const themes = new ThemeService(ds);
  return { territories, themes, actors: new ActorService(ds, themes, territories) };
}

/** Loaders live for one request, so batching never leaks data between users. */
export function createLoaders(ds: DataSource, services: Services) {
  const actorLoaders = createActorLoaders(ds);
  return {
    territory: new DataLoader<{ level: TerritoryLevel; code: string }, Territory | null, string>(
      (refs) => services.territories.findMany(refs),
      { cacheKeyFn: (r) => `${r.level}:${r.code}` },
    ),
    geometry: new DataLoader<{ level: TerritoryLevel; code: string; simplify: number | null }, object | null, string>(
      (refs) => services.territories.geometries(refs),
      { cacheKeyFn: (r) => `${r.level}:${r.code}:${r.simplify}` },
    ),
    actorTerritories: actorLoaders.territories,
    coveredCount: actorLoaders.coveredCount,
    coveredPage: actorLoaders.coveredPage,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface Context {
  ds: DataSource;
  services: Services;
  loaders: Loaders;
}
