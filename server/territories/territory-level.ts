import { defineEnum, enumLabels, type EnumValue } from '../graphql/enums.js';

/** Levels of the official geography (COG); the labels are the lower-case words of messages and exports. */
export const TerritoryLevel = defineEnum('TerritoryLevel');
export type TerritoryLevel = EnumValue<typeof TerritoryLevel>;

/** French labels, for messages and exports. */
export const LEVEL_LABELS = enumLabels(TerritoryLevel);

/** The shape each level's official code takes. */
export const CODE_PATTERNS: Record<TerritoryLevel, RegExp> = {
  PAYS: /^FR$/,
  COMMUNE: /^(\d{5}|2[AB]\d{3})$/,
  ARRONDISSEMENT: /^(751\d{2}|6938\d|132\d{2})$/,
  EPCI: /^\d{9}$/,
  EPT: /^\d{9}$/,
  DEPARTEMENT: /^(\d{2}|2[AB]|97\d)$/,
  REGION: /^\d{2}$/,
};

/** Levels a code of this shape can belong to, most common first. */
export function levelsForCode(code: string): TerritoryLevel[] {
  return (Object.keys(CODE_PATTERNS) as TerritoryLevel[]).filter((level) => CODE_PATTERNS[level].test(code));
}

/** How `searchTerritories` found a territory: the labels are what the suggestions show. */
export const TerritoryMatch = defineEnum('TerritoryMatch');
export type TerritoryMatch = EnumValue<typeof TerritoryMatch>;

/** The words a suggestion shows for a match: « code INSEE » or « code SIREN » for a code, as the level names it. */
export function matchLabel(level: TerritoryLevel, match: TerritoryMatch): string {
  if (match !== TerritoryMatch.CODE) return enumLabels(TerritoryMatch)[match];
  return level === TerritoryLevel.EPCI || level === TerritoryLevel.EPT ? 'code SIREN' : level === TerritoryLevel.PAYS ? 'code pays' : 'code INSEE';
}
