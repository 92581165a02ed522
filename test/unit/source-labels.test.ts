import { describe, expect, it } from 'vitest';
import { sourceLabel } from '../../server/vocabulary/sources.js';

describe('sourceLabel: a record’s source in words', () => {
  it('should name a known source, and a seeded coalition’s source by the part before its own id', () => {
    expect(sourceLabel('documents-publics')).toBe('Documents publics (rapports, annuaires et sites officiels)');
    // The coalition page showed « documents-publics:alliance-logement-idf » as it is.
    expect(sourceLabel('documents-publics:alliance-logement-idf')).toBe('Documents publics (rapports, annuaires et sites officiels)');
    expect(sourceLabel('demo:repertoire')).toBe('Données de démonstration (fictives)');
  });

  it('should show an import’s own source as given, and nothing for none', () => {
    expect(sourceLabel('annuaire-cls-verdun.csv')).toBe('annuaire-cls-verdun.csv');
    expect(sourceLabel('inconnu:fichier')).toBe('inconnu:fichier');
    expect(sourceLabel('  ')).toBeNull();
    expect(sourceLabel(null)).toBeNull();
  });
});
