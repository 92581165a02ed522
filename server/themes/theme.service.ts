import type { DataSource } from 'typeorm';
import { normalizeKey } from '../text.js';
import { Audience, Theme } from './theme.entity.js';

export interface Taxonomy {
  themes: Theme[];
  audiences: Audience[];
  themeByCode: Map<string, Theme>;
  audienceByCode: Map<string, Audience>;
  /** A theme code and all its sub-themes. */
  expand(code: string): string[];
  /** Resolves a theme from its code, a data·inclusion code or its label; undefined if unknown. */
  findTheme(text: string): Theme | undefined;
  findAudience(text: string): Audience | undefined;
}

/**
 * The theme and public vocabularies. They change only with a seed, so they are read once and
 * kept in memory: resolving labels never costs a query.
 */
export class ThemeService {
  private cached: Promise<Taxonomy> | undefined;

  constructor(private readonly ds: DataSource) {}

  taxonomy(): Promise<Taxonomy> {
    this.cached ??= this.load().catch((err) => {
      this.cached = undefined;
      throw err;
    });
    return this.cached;
  }

  private async load(): Promise<Taxonomy> {
    const themeRows: any[] = await this.ds.query(
      `SELECT code, label, parent_code, position, data_inclusion_codes FROM theme ORDER BY position`,
    );
    const audienceRows: any[] = await this.ds.query(
      `SELECT code, label, data_inclusion_codes, aliases FROM audience ORDER BY position`,
    );
    const themes = themeRows.map((r) =>
      Object.assign(new Theme(), {
        code: r.code,
        label: r.label,
        parentCode: r.parent_code,
        position: r.position,
        dataInclusionCodes: r.data_inclusion_codes,
      }),
    );
    const audiences = audienceRows.map((r) =>
      Object.assign(new Audience(), { code: r.code, label: r.label, dataInclusionCodes: r.data_inclusion_codes }),
    );
    const themeByCode = new Map(themes.map((t) => [t.code, t]));
    const audienceByCode = new Map(audiences.map((a) => [a.code, a]));
    const themeKeys = new Map<string, Theme>();
    for (const t of themes) {
      for (const key of [t.code, t.label, ...t.dataInclusionCodes]) themeKeys.set(normalizeKey(key), t);
    }
    const audienceKeys = new Map<string, Audience>();
    audienceRows.forEach((r, i) => {
      for (const key of [r.code, r.label, ...r.data_inclusion_codes, ...r.aliases]) audienceKeys.set(normalizeKey(key), audiences[i]);
    });
    const children = new Map<string, string[]>();
    for (const t of themes) if (t.parentCode) children.set(t.parentCode, [...(children.get(t.parentCode) ?? []), t.code]);
    return {
      themes,
      audiences,
      themeByCode,
      audienceByCode,
      expand: (code) => [code, ...(children.get(code) ?? [])],
      findTheme: (text) => themeKeys.get(normalizeKey(text)),
      findAudience: (text) => audienceKeys.get(normalizeKey(text)),
    };
  }
}
