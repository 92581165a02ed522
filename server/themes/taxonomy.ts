import taxonomy from './taxonomy.fr.json' with { type: 'json' };

/**
 * The prevention themes (two levels, after the DGS fields of action) and the publics.
 * Codes are stable slugs; labels are French. Top-level codes are those used in the public
 * documents of seeds/data/acteurs/documents-publics. `dataInclusion` lists the national
 * data·inclusion codes that map to a theme or a public (imports accept them as synonyms).
 */
export interface ThemeDef {
  code: string;
  label: string;
  dataInclusion?: string[];
  children?: { code: string; label: string }[];
}

export interface AudienceDef {
  code: string;
  label: string;
  dataInclusion?: string[];
  /** Spellings found in source files (French labels). */
  aliases?: string[];
}

/** Read from taxonomy.fr.json: the vocabulary is data, reviewed and updated as text. */
export const THEMES: readonly ThemeDef[] = taxonomy.themes;
export const AUDIENCES: readonly AudienceDef[] = taxonomy.audiences;
