/** The perimeter of a diagnostic as the page and its URL hold it. */

export type PerimeterLevel = 'COMMUNE' | 'EPCI' | 'EPT' | 'DEPARTEMENT';

export type Perimeter = { territory: { level: PerimeterLevel; code: string } } | { communes: string[] };

/** The URL parameter naming a territory of each level (`/diagnostic?epci=…`). */
export const PARAM_OF: Record<PerimeterLevel, string> = { COMMUNE: 'commune', EPCI: 'epci', EPT: 'ept', DEPARTEMENT: 'departement' };

/** The list's parameter: INSEE codes separated by commas. */
export const LIST_PARAM = 'communes';

const COMMUNE_CODE = /^(\d{5}|2[AB]\d{3})$/i;

/** The perimeter a URL names, or null. */
export function perimeterOf(params: URLSearchParams): Perimeter | null {
  for (const [level, name] of Object.entries(PARAM_OF) as [PerimeterLevel, string][]) {
    const code = params.get(name)?.trim();
    if (code) return { territory: { level, code: code.toUpperCase() } };
  }
  const list = params.get(LIST_PARAM);
  return list ? { communes: codesIn(list) } : null;
}

/** The URL parameters of a perimeter (and of the option counting the State's services). */
export function paramsOf(p: Perimeter, steering: boolean): URLSearchParams {
  const params = new URLSearchParams('territory' in p ? { [PARAM_OF[p.territory.level]]: p.territory.code } : { [LIST_PARAM]: p.communes.join(',') });
  if (steering) params.set('pilotage', 'inclus');
  return params;
}

/** The codes of a pasted list, in order, each once: any separator goes (commas, spaces, lines, semicolons). */
export function codesIn(text: string): string[] {
  const tokens = text.split(/[^0-9A-Za-z]+/).filter(Boolean);
  return [...new Set(tokens.map((t) => t.toUpperCase()))];
}

/**
 * The commune codes of an imported file: a CSV (`;`, `,` or tab) whose header names the column
 * (code INSEE, codgeo, code commune, code), or else, line by line, the first cell shaped like a
 * commune code; a plain list of codes works too. Postal codes in another column are not taken.
 */
export function codesInFile(text: string): string[] {
  const lines = text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const separator = [';', '\t', ','].find((s) => lines[0].includes(s));
  const cells = (line: string) => (separator ? line.split(separator) : [line]).map((c) => c.trim().replace(/^"|"$/g, ''));
  const header = cells(lines[0]);
  const column = header.findIndex((h) => /insee|codgeo|code.?commune|^code$/i.test(h));
  const rows = column >= 0 ? lines.slice(1).map((l) => cells(l)[column] ?? '') : lines.map((l) => cells(l).find((c) => COMMUNE_CODE.test(c)) ?? '');
  return [...new Set(rows.map((c) => c.toUpperCase()).filter((c) => c !== ''))];
}
