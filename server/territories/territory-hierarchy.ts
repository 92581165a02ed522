import { TerritoryLevel } from './territory-level.js';

/** How fine each level is (arrondissement finest, pays widest): a level holds only finer ones. */
export const LEVEL_RANK: Record<TerritoryLevel, number> = {
  ARRONDISSEMENT: 0,
  COMMUNE: 1,
  EPT: 2,
  EPCI: 3,
  DEPARTEMENT: 4,
  REGION: 5,
  PAYS: 6,
};

/** The columns of `territory` naming a commune's (or an arrondissement's) territory of a wider level. */
export const PARENT_COLUMNS = ['commune_code', 'epci_code', 'ept_code', 'departement_code', 'region_code'] as const;
export type ParentColumn = (typeof PARENT_COLUMNS)[number];

/** The column of a commune or arrondissement holding its territory of each level above it. */
export const PARENT_COLUMN: Partial<Record<TerritoryLevel, ParentColumn>> = {
  COMMUNE: 'commune_code',
  EPCI: 'epci_code',
  EPT: 'ept_code',
  DEPARTEMENT: 'departement_code',
  REGION: 'region_code',
};
