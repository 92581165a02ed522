/** A commune TerritorySearch.svelte suggests, as its `onSelect` receives it. */
export interface Suggestion {
  code: string;
  level: string;
  name: string;
  postalCodes: string[];
  population: number | null;
  /** How the search found it: « code postal », « code INSEE »… */
  matchLabel?: string | null;
  parents: { level: string; code: string; name: string }[];
}

/** INSEE codes of the municipal arrondissements of Paris (751xx), Lyon (6938x) and Marseille (132xx): no commune has one. */
const ARRONDISSEMENT_CODE = /^(751\d{2}|6938\d|132\d{2})$/;

/** The level of a commune page's code (/communes/75118 is Paris 18e, an arrondissement). */
export const communePageLevel = (code: string): 'COMMUNE' | 'ARRONDISSEMENT' => (ARRONDISSEMENT_CODE.test(code) ? 'ARRONDISSEMENT' : 'COMMUNE');
