import 'reflect-metadata';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildTaxonomy } from '../../server/themes/theme.service.js';

const taxonomy = buildTaxonomy(
  [
    { code: 'addictions', label: 'Prévention des addictions', parent_code: null, position: 1, data_inclusion_codes: ['sante--addictions'] },
    { code: 'addictions-tabac', label: 'Tabac', parent_code: 'addictions', position: 2, data_inclusion_codes: [] },
  ],
  [{ code: 'jeunes', label: 'Jeunes', data_inclusion_codes: ['etudiants'], aliases: [] }],
);

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof GraphQLError ? { message: err.message, ...err.extensions } : err;
  }
  return null;
};

describe('taxonomy checks', () => {
  it('should refuse an unknown theme as BAD_USER_INPUT naming the field and the codes', () => {
    expect(refusal(() => taxonomy.checkThemes(['addictions', 'astrologie', 'Tabac'], 'themesAny'))).toEqual({
      message: 'Thème(s) inconnu(s) : astrologie, Tabac',
      code: 'BAD_USER_INPUT',
      field: 'themesAny',
    });
    expect(taxonomy.unknownThemes(['astrologie'])).toBe('thème(s) inconnu(s) : astrologie');
  });

  it('should return the themes of known codes in their order, and accept no label or padded code', () => {
    expect(taxonomy.checkThemes(['addictions-tabac', 'addictions'], 'themes').map((t) => t.code)).toEqual(['addictions-tabac', 'addictions']);
    expect(taxonomy.unknownThemes([' addictions'])).toBe('thème(s) inconnu(s) :  addictions');
    expect(taxonomy.unknownThemes([])).toBeNull();
  });

  it('should refuse an unknown public, naming at most 200 characters of codes', () => {
    const many = Array.from({ length: 100 }, (_, i) => `public-${i}`);
    const problem = refusal(() => taxonomy.checkAudiences(['jeunes', ...many], 'audiences')) as { message: string; field: string };
    expect(problem.field).toBe('audiences');
    expect(problem.message.startsWith('Public(s) inconnu(s) : public-0, public-1')).toBe(true);
    expect(problem.message.length).toBe('Public(s) inconnu(s) : '.length + 200);
    expect(taxonomy.unknownAudiences(['jeunes'])).toBeNull();
  });
});
