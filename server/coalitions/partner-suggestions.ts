import { SECTOR_CATEGORY_LABELS, type SectorCategory, SuggestionReasonKind, sectorCategories } from './coalition-enums.js';

/** What the scoring knows of a candidate actor: its themes and sector, and how much of the coalition's territory it covers. */
export interface SuggestionCandidate<A extends CandidateActor = CandidateActor> {
  actor: A;
  /** Communes of the coalition's territory the actor covers. */
  covered: number;
  /** Communes of the coalition's territory. */
  total: number;
}

export interface CandidateActor {
  name: string;
  themeCodes: readonly string[];
  sector: string;
  kind: string;
}

/** What the scoring knows of the coalition. */
export interface SuggestionContext {
  /** Its themes with their sub-themes: an actor on one of them works on the coalition's very subject. */
  themes: readonly string[];
  /** The parents of its themes (Addictions for a coalition on Tabac): an actor on one of them works on a broader subject. */
  broaderThemes: readonly string[];
  /** The sectors none of its active members brings. */
  missingSectors: ReadonlySet<SectorCategory>;
  /** A theme's label, for the reasons. */
  themeLabel: (code: string) => string;
}

export interface ScoredSuggestion<A extends CandidateActor = CandidateActor> {
  actor: A;
  score: number;
  coveredCommunes: number;
  communeCount: number;
  sharedThemes: string[];
  missingSectors: SectorCategory[];
  reasons: { kind: SuggestionReasonKind; label: string }[];
}

/**
 * Weights of the score: a shared theme, each further one (same or broader), a broader theme alone,
 * full coverage, each missing sector brought. A broader theme alone counts less than the coalition's
 * own theme (all else equal, the actor on Tabac comes before the one on Addictions for a coalition
 * on Tabac) and more than a missing sector (an actor on Addictions comes before a national
 * association that brings a sector but works on none of its themes).
 */
export const WEIGHTS = { firstTheme: 2, furtherTheme: 0.5, broaderThemeOnly: 1.75, coverage: 2, missingSector: 1.5 } as const;

/**
 * Scores one candidate, or null if it neither shares a theme (or a broader one) nor brings a missing
 * sector: 2 for a shared theme, or 1.75 for a broader theme only (+0.5 for each further theme of either
 * kind), up to 2 for the share of the territory it covers, 1.5 for each missing sector it brings;
 * rounded to the thousandth. Each part is a reason: « Même thème » names only the coalition's themes
 * and their sub-themes, « Thème plus large » the parents.
 */
export function scoreCandidate<A extends CandidateActor>(candidate: SuggestionCandidate<A>, ctx: SuggestionContext): ScoredSuggestion<A> | null {
  const { actor } = candidate;
  const sameThemes = actor.themeCodes.filter((t) => ctx.themes.includes(t));
  const broaderThemes = actor.themeCodes.filter((t) => ctx.broaderThemes.includes(t) && !ctx.themes.includes(t));
  const sharedThemes = [...sameThemes, ...broaderThemes];
  const brings = sectorCategories(actor.sector, actor.kind).filter((s) => ctx.missingSectors.has(s));
  if (sharedThemes.length === 0 && brings.length === 0) return null;
  const total = candidate.total || 1;
  const covered = candidate.covered;
  const reasons: ScoredSuggestion['reasons'] = [];
  if (sameThemes.length) {
    reasons.push({ kind: SuggestionReasonKind.SAME_THEME, label: `Même thème : ${sameThemes.map(ctx.themeLabel).join(', ')}` });
  }
  if (broaderThemes.length) {
    reasons.push({ kind: SuggestionReasonKind.BROADER_THEME, label: `Thème plus large : ${broaderThemes.map(ctx.themeLabel).join(', ')}` });
  }
  reasons.push({
    kind: SuggestionReasonKind.COVERS_COMMUNES,
    label:
      covered >= total
        ? `Couvre tout le territoire (${total.toLocaleString('fr-FR')} commune${total > 1 ? 's' : ''})`
        : `Couvre ${covered.toLocaleString('fr-FR')} des ${total.toLocaleString('fr-FR')} communes du territoire`,
  });
  if (brings.length) {
    reasons.push({
      kind: SuggestionReasonKind.MISSING_SECTOR,
      label: `Apporte un secteur absent : ${brings.map((s) => SECTOR_CATEGORY_LABELS[s]).join(', ')}`,
    });
  }
  const first = sameThemes.length ? WEIGHTS.firstTheme : broaderThemes.length ? WEIGHTS.broaderThemeOnly : 0;
  const themes = sharedThemes.length ? first + WEIGHTS.furtherTheme * (sharedThemes.length - 1) : 0;
  const score = themes + WEIGHTS.coverage * (covered / total) + WEIGHTS.missingSector * brings.length;
  return { actor, score: Math.round(score * 1000) / 1000, coveredCommunes: covered, communeCount: total, sharedThemes, missingSectors: brings, reasons };
}

/** The `first` best candidates: by score, then by name (French order). */
export function rankSuggestions<A extends CandidateActor>(
  candidates: readonly SuggestionCandidate<A>[],
  ctx: SuggestionContext,
  first: number,
): ScoredSuggestion<A>[] {
  const scored = candidates.map((c) => scoreCandidate(c, ctx)).filter((s): s is ScoredSuggestion<A> => s !== null);
  scored.sort((a, b) => b.score - a.score || a.actor.name.localeCompare(b.actor.name, 'fr'));
  return scored.slice(0, first);
}
