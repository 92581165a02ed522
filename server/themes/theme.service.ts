import type { DataSource } from 'typeorm';
import { run, sql } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
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
  /** « thème(s) inconnu(s) : a, b » for the codes that are no theme code, or null if there is none. */
  unknownThemes(codes: readonly string[]): string | null;
  /** « public(s) inconnu(s) : a, b » for the codes that are no public code, or null if there is none. */
  unknownAudiences(codes: readonly string[]): string | null;
  /** The themes of `codes`, in their order; BAD_USER_INPUT on `field` if one is no theme code. */
  checkThemes(codes: readonly string[], field: string): Theme[];
  /** BAD_USER_INPUT on `field` if one of `codes` is no public code. */
  checkAudiences(codes: readonly string[], field: string): void;
}

/** The problem with `codes` (the unknown ones named, 200 characters at most), or null. */
function unknownCodes(what: string, codes: readonly string[], known: ReadonlyMap<string, unknown>): string | null {
  const unknown = codes.filter((c) => !known.has(c));
  return unknown.length ? `${what} : ${unknown.join(', ').slice(0, 200)}` : null;
}

/** Throws a problem as a BAD_USER_INPUT sentence (capitalised) on `field`. */
function refuse(problem: string | null, field: string): void {
  if (problem) throw badInput(problem[0].toUpperCase() + problem.slice(1), field);
}

/**
 * The theme and public vocabularies. They change only with a seed, so they are read once and
 * kept in memory: resolving labels never costs a query.
 */
export class ThemeService {
  private cached: Promise<Taxonomy> | undefined;
  private loaded: Taxonomy | undefined;

  constructor(private readonly ds: DataSource) {}

  taxonomy(): Promise<Taxonomy> {
    this.cached ??= this.load().then(
      (t) => (this.loaded = t),
      (err) => {
        this.cached = undefined;
        throw err;
      },
    );
    return this.cached;
  }

  /**
   * The vocabularies themselves once read, without a promise: a field resolved for each actor of a
   * page (its themes, its publics) then stays synchronous, and graphql-js completes the page's
   * objects without a promise per object (issue 17: the app's CPU per request).
   */
  taxonomyNow(): Taxonomy | Promise<Taxonomy> {
    return this.loaded ?? this.taxonomy();
  }

  private async load(): Promise<Taxonomy> {
    const [themes, audiences] = await Promise.all([
      run<ThemeRow>(this.ds, sql`SELECT code, label, parent_code, position, data_inclusion_codes FROM theme ORDER BY position`),
      run<AudienceRow>(this.ds, sql`SELECT code, label, data_inclusion_codes, aliases FROM audience ORDER BY position`),
    ]);
    return buildTaxonomy(themes, audiences);
  }
}

/** A row of table `theme`. */
export interface ThemeRow {
  code: string;
  label: string;
  parent_code: string | null;
  position: number;
  data_inclusion_codes: string[];
}

/** A row of table `audience`. */
export interface AudienceRow {
  code: string;
  label: string;
  data_inclusion_codes: string[];
  aliases: string[];
}

/** The vocabularies and their lookups, from the rows of `theme` and `audience` (in their order). */
export function buildTaxonomy(themeRows: readonly ThemeRow[], audienceRows: readonly AudienceRow[]): Taxonomy {
  const themes = themeRows.map((r) =>
    Object.assign(new Theme(), {
      code: r.code,
      label: r.label,
      parentCode: r.parent_code,
      position: r.position,
      dataInclusionCodes: r.data_inclusion_codes,
    }),
  );
  const audiences = audienceRows.map((r) => Object.assign(new Audience(), { code: r.code, label: r.label, dataInclusionCodes: r.data_inclusion_codes }));
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
    unknownThemes: (codes) => unknownCodes('thème(s) inconnu(s)', codes, themeByCode),
    unknownAudiences: (codes) => unknownCodes('public(s) inconnu(s)', codes, audienceByCode),
    checkThemes: (codes, field) => {
      refuse(unknownCodes('thème(s) inconnu(s)', codes, themeByCode), field);
      return codes.map((c) => themeByCode.get(c)!);
    },
    checkAudiences: (codes, field) => refuse(unknownCodes('public(s) inconnu(s)', codes, audienceByCode), field),
  };
}
