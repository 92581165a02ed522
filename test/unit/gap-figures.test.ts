import { describe, expect, it } from 'vitest';
import { mostPopulous } from '../../client/src/lib/components/gaps/figures.js';

describe('the gaps page’s words', () => {
  it('should agree « les plus peuplé(e)s » with the level of the matrix', () => {
    // The matrix's heading read « les 60 communes les plus peuplés ».
    expect(mostPopulous(60, 'COMMUNE')).toBe('les 60 communes les plus peuplées');
    expect(mostPopulous(60, 'EPCI')).toBe('les 60 EPCI les plus peuplés');
    expect(mostPopulous(12, 'DEPARTEMENT')).toBe('les 12 départements les plus peuplés');
  });
});
