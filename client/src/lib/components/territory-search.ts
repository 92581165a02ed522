/** A commune TerritorySearch.svelte suggests, as its `onSelect` receives it. */
export interface Suggestion {
  code: string;
  level: string;
  name: string;
  postalCodes: string[];
  population: number | null;
  parents: { level: string; code: string; name: string }[];
}
