import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { Territory } from '../territories/territory.entity.js';
import type { TerritoryLevel } from '../territories/territory-level.js';
import { TerritoryService } from '../territories/territory.service.js';

export interface Services {
  territories: TerritoryService;
}

/** Loaders live for one request, so batching never leaks data between users. */
export function createLoaders(services: Services) {
  return {
    territory: new DataLoader<{ level: TerritoryLevel; code: string }, Territory | null, string>(
      (refs) => services.territories.findMany(refs),
      { cacheKeyFn: (r) => `${r.level}:${r.code}` },
    ),
    geometry: new DataLoader<{ level: TerritoryLevel; code: string; simplify: number | null }, object | null, string>(
      (refs) => services.territories.geometries(refs),
      { cacheKeyFn: (r) => `${r.level}:${r.code}:${r.simplify}` },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export interface Context {
  ds: DataSource;
  services: Services;
  loaders: Loaders;
}

export function createServices(ds: DataSource): Services {
  return { territories: new TerritoryService(ds) };
}
