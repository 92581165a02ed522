import { registerEnumType } from 'type-graphql';

/** Levels of the official geography (COG). */
export enum TerritoryLevel {
  PAYS = 'PAYS',
  COMMUNE = 'COMMUNE',
  ARRONDISSEMENT = 'ARRONDISSEMENT',
  EPCI = 'EPCI',
  EPT = 'EPT',
  DEPARTEMENT = 'DEPARTEMENT',
  REGION = 'REGION',
}

registerEnumType(TerritoryLevel, {
  name: 'TerritoryLevel',
  description: 'Niveau du découpage administratif (COG 2026)',
  valuesConfig: {
    PAYS: { description: 'La France entière (code FR)' },
    COMMUNE: { description: 'Commune (Paris, Lyon et Marseille comprises, unions de leurs arrondissements)' },
    ARRONDISSEMENT: { description: 'Arrondissement municipal de Paris, Lyon ou Marseille' },
    EPCI: { description: 'Établissement public de coopération intercommunale à fiscalité propre (CC, CA, CU, métropole)' },
    EPT: { description: 'Établissement public territorial de la Métropole du Grand Paris' },
    DEPARTEMENT: { description: 'Département' },
    REGION: { description: 'Région' },
  },
});

/** French labels, for messages and exports. */
export const LEVEL_LABELS: Record<TerritoryLevel, string> = {
  PAYS: 'pays',
  COMMUNE: 'commune',
  ARRONDISSEMENT: 'arrondissement municipal',
  EPCI: 'EPCI',
  EPT: 'EPT',
  DEPARTEMENT: 'département',
  REGION: 'région',
};

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
