import { describe, expect, it } from 'vitest';
import { rankSuggestions, scoreCandidate, type SuggestionContext } from '../../server/coalitions/partner-suggestions.js';

const ctx: SuggestionContext = {
  relatedThemes: ['sante-mentale', 'sante-mentale-jeunes', 'addictions'],
  missingSectors: new Set(['EDUCATION', 'ASSOCIATIONS', 'LOGEMENT'] as const),
  themeLabel: (code) => ({ 'sante-mentale': 'Santé mentale', addictions: 'Addictions' })[code] ?? code,
};

const actor = (name: string, themeCodes: string[], sector = 'SANTE', kind = 'AUTRE') => ({ name, themeCodes, sector, kind });

describe('partner suggestion scoring', () => {
  it('should not suggest an actor that shares no theme and brings no missing sector, however much it covers', () => {
    expect(scoreCandidate({ actor: actor('Hôpital', ['vaccination']), covered: 30, total: 30 }, ctx)).toBeNull();
  });

  it('should add 2 for a shared theme, 0.5 for each further one, up to 2 for coverage and 1.5 per missing sector', () => {
    // Two shared themes (2 + 0.5), half of the territory (1), an association of education: two missing sectors (3).
    const s = scoreCandidate({ actor: actor('Asso', ['sante-mentale', 'addictions', 'vaccination'], 'EDUCATION', 'ASSOCIATION'), covered: 5, total: 10 }, ctx)!;
    expect(s.score).toBe(6.5);
    expect(s.sharedThemes).toEqual(['sante-mentale', 'addictions']);
    expect(s.missingSectors.sort()).toEqual(['ASSOCIATIONS', 'EDUCATION']);
    expect(s.reasons.map((r) => r.kind)).toEqual(['SAME_THEME', 'COVERS_COMMUNES', 'MISSING_SECTOR']);
    expect(s.reasons[0].label).toBe('Même thème : Santé mentale, Addictions');
    expect(s.reasons[1].label).toBe('Couvre 5 des 10 communes du territoire');
    // A third of the territory: rounded to the thousandth.
    expect(scoreCandidate({ actor: actor('B', ['addictions']), covered: 1, total: 3 }, ctx)!.score).toBe(2.667);
  });

  it('should say when the whole territory is covered, in the singular for one commune, and survive an empty territory', () => {
    expect(scoreCandidate({ actor: actor('C', ['addictions']), covered: 1, total: 1 }, ctx)!.reasons[1].label).toBe('Couvre tout le territoire (1 commune)');
    expect(scoreCandidate({ actor: actor('C', ['addictions']), covered: 4, total: 4 }, ctx)!.reasons[1].label).toBe('Couvre tout le territoire (4 communes)');
    // A région's communes, with French digit grouping (a narrow no-break space), as the rest of the pages write them.
    expect(scoreCandidate({ actor: actor('C', ['addictions']), covered: 1266, total: 1266 }, ctx)!.reasons[1].label).toBe(
      'Couvre tout le territoire (1\u202f266 communes)',
    );
    expect(scoreCandidate({ actor: actor('C', ['addictions']), covered: 1003, total: 5121 }, ctx)!.reasons[1].label).toBe(
      'Couvre 1\u202f003 des 5\u202f121 communes du territoire',
    );
    const empty = scoreCandidate({ actor: actor('D', ['addictions']), covered: 0, total: 0 }, ctx)!;
    expect(empty.communeCount).toBe(1);
    expect(empty.score).toBe(2);
  });

  it('should rank by score, then by name in French order, and keep the first ones', () => {
    const ranked = rankSuggestions(
      [
        { actor: actor('Zénith', ['addictions']), covered: 1, total: 2 },
        { actor: actor('Éclaircie', ['addictions']), covered: 1, total: 2 },
        { actor: actor('Abri', ['addictions']), covered: 2, total: 2 },
        { actor: actor('Écart', ['vaccination']), covered: 2, total: 2 },
        { actor: actor('Ancre', ['addictions']), covered: 1, total: 2 },
      ],
      ctx,
      3,
    );
    expect(ranked.map((s) => s.actor.name)).toEqual(['Abri', 'Ancre', 'Éclaircie']);
  });
});
