import { describe, expect, it } from 'vitest';
import { rankSuggestions, scoreCandidate, type SuggestionContext } from '../../server/coalitions/partner-suggestions.js';

// A coalition on santé mentale and tabac: its themes with their sub-themes, and Addictions, the parent of Tabac.
const ctx: SuggestionContext = {
  themes: ['sante-mentale', 'sante-mentale-jeunes', 'tabac'],
  broaderThemes: ['addictions'],
  missingSectors: new Set(['EDUCATION', 'ASSOCIATIONS', 'LOGEMENT'] as const),
  themeLabel: (code) => ({ 'sante-mentale': 'Santé mentale', addictions: 'Addictions', tabac: 'Tabac' })[code] ?? code,
};

const actor = (name: string, themeCodes: string[], sector = 'SANTE', kind = 'AUTRE') => ({ name, themeCodes, sector, kind });

describe('partner suggestion scoring', () => {
  it('should not suggest an actor that shares no theme and brings no missing sector, however much it covers', () => {
    expect(scoreCandidate({ actor: actor('Hôpital', ['vaccination']), covered: 30, total: 30 }, ctx)).toBeNull();
  });

  it('should add 2 for a shared theme, 0.5 for each further one, up to 2 for coverage and 1.5 per missing sector', () => {
    // Two shared themes (2 + 0.5), half of the territory (1), an association of education: two missing sectors (3).
    const s = scoreCandidate({ actor: actor('Asso', ['sante-mentale', 'tabac', 'vaccination'], 'EDUCATION', 'ASSOCIATION'), covered: 5, total: 10 }, ctx)!;
    expect(s.score).toBe(6.5);
    expect(s.sharedThemes).toEqual(['sante-mentale', 'tabac']);
    expect(s.missingSectors.sort()).toEqual(['ASSOCIATIONS', 'EDUCATION']);
    expect(s.reasons.map((r) => r.kind)).toEqual(['SAME_THEME', 'COVERS_COMMUNES', 'MISSING_SECTOR']);
    expect(s.reasons[0].label).toBe('Même thème : Santé mentale, Tabac');
    expect(s.reasons[1].label).toBe('Couvre 5 des 10 communes du territoire');
    // A third of the territory: rounded to the thousandth.
    expect(scoreCandidate({ actor: actor('B', ['tabac']), covered: 1, total: 3 }, ctx)!.score).toBe(2.667);
  });

  it('should call a parent theme « Thème plus large », never « Même thème », and count it less when it is the only one', () => {
    // Addictions for a coalition on Tabac: 1.75 (not 2), and the whole territory (2).
    const broader = scoreCandidate({ actor: actor('Addictions 55', ['addictions']), covered: 4, total: 4 }, ctx)!;
    expect(broader.score).toBe(3.75);
    expect(broader.sharedThemes).toEqual(['addictions']);
    expect(broader.reasons.map((r) => r.kind)).toEqual(['BROADER_THEME', 'COVERS_COMMUNES']);
    expect(broader.reasons[0].label).toBe('Thème plus large : Addictions');
    // With a theme of the coalition too: 2 for it, 0.5 for the broader one, each under its own reason.
    const both = scoreCandidate({ actor: actor('Both', ['addictions', 'tabac']), covered: 4, total: 4 }, ctx)!;
    expect(both.score).toBe(4.5);
    expect(both.reasons.map((r) => r.label).slice(0, 2)).toEqual(['Même thème : Tabac', 'Thème plus large : Addictions']);
    // The actor on the coalition's very theme ranks before the broader one, all else equal; the broader
    // one before an association that brings a missing sector (1.5) but works on none of the themes.
    expect(
      rankSuggestions(
        [
          { actor: actor('Association nationale', ['vaccination'], 'LOGEMENT'), covered: 4, total: 4 },
          { actor: actor('Addictions 55', ['addictions']), covered: 4, total: 4 },
          { actor: actor('Tabac 55', ['tabac']), covered: 4, total: 4 },
        ],
        ctx,
        3,
      ).map((r) => r.actor.name),
    ).toEqual(['Tabac 55', 'Addictions 55', 'Association nationale']);
  });

  it('should say when the whole territory is covered, in the singular for one commune, and survive an empty territory', () => {
    expect(scoreCandidate({ actor: actor('C', ['tabac']), covered: 1, total: 1 }, ctx)!.reasons[1].label).toBe('Couvre tout le territoire (1 commune)');
    expect(scoreCandidate({ actor: actor('C', ['tabac']), covered: 4, total: 4 }, ctx)!.reasons[1].label).toBe('Couvre tout le territoire (4 communes)');
    // A région's communes, with French digit grouping (a narrow no-break space), as the rest of the pages write them.
    expect(scoreCandidate({ actor: actor('C', ['tabac']), covered: 1266, total: 1266 }, ctx)!.reasons[1].label).toBe(
      'Couvre tout le territoire (1\u202f266 communes)',
    );
    expect(scoreCandidate({ actor: actor('C', ['tabac']), covered: 1003, total: 5121 }, ctx)!.reasons[1].label).toBe(
      'Couvre 1\u202f003 des 5\u202f121 communes du territoire',
    );
    const empty = scoreCandidate({ actor: actor('D', ['tabac']), covered: 0, total: 0 }, ctx)!;
    expect(empty.communeCount).toBe(1);
    expect(empty.score).toBe(2);
  });

  it('should rank by score, then by name in French order, and keep the first ones', () => {
    const ranked = rankSuggestions(
      [
        { actor: actor('Zénith', ['tabac']), covered: 1, total: 2 },
        { actor: actor('Éclaircie', ['tabac']), covered: 1, total: 2 },
        { actor: actor('Abri', ['tabac']), covered: 2, total: 2 },
        { actor: actor('Écart', ['vaccination']), covered: 2, total: 2 },
        { actor: actor('Ancre', ['tabac']), covered: 1, total: 2 },
      ],
      ctx,
      3,
    );
    expect(ranked.map((s) => s.actor.name)).toEqual(['Abri', 'Ancre', 'Éclaircie']);
  });
});
