import 'reflect-metadata';
import { getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../../server/graphql/schema.js';
import { FIELD_LABELS, fieldLabel, invalidDataMessage } from '../../server/graphql/field-labels.js';

interface Constraint {
  propertyName: string;
  type: string;
  name?: string;
  message?: string | ((args: object) => string);
  target: { name: string };
  constraintCls?: new () => { defaultMessage?: (args: object) => string };
}

/** Every constraint of every input class loaded so far (class-validator's storage, by target). */
function constraints(): Constraint[] {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<unknown, Constraint[]> };
  return [...storage.validationMetadatas.values()].flat();
}

describe('French names of input fields in « Données invalides » messages', () => {
  it('should name in French every field that class-validator checks in the schema’s inputs', async () => {
    await createSchema();
    // Every constraint of every input class the schema loaded, whatever its target.
    const checked = new Set(constraints().map((m) => m.propertyName));
    expect(checked.size).toBeGreaterThan(30);
    expect([...checked].filter((name) => !FIELD_LABELS[name])).toEqual([]);
  });

  it('should give every constraint a French reason, not class-validator’s English default', async () => {
    await createSchema();
    // IsOptional and ValidateNested say nothing themselves (a nested input's own constraints do).
    const speaking = constraints().filter((m) => m.type !== 'conditionalValidation' && m.type !== 'nestedValidation');
    expect(speaking.length).toBeGreaterThan(30);
    // A constraint without a message of its own speaks with its validator's default: the app's own (SIRET…) are French.
    const reason = (m: Constraint): string => {
      const args = { value: 'x', property: m.propertyName, constraints: [] };
      if (typeof m.message === 'function') return m.message(args);
      return m.message ?? String(new m.constraintCls!().defaultMessage?.(args));
    };
    const english = speaking.filter((m) => /\b(must|should|characters|string|number)\b/.test(reason(m)));
    expect(english.map((m) => `${m.target.name}.${m.propertyName}: ${reason(m)}`)).toEqual([]);
  });

  it('should name a nested field by its own name, and an unknown one by its path', () => {
    expect(fieldLabel('website')).toBe('Site web');
    expect(fieldLabel('near.radiusKm')).toBe('Rayon');
    expect(fieldLabel('territories.0.code')).toBe('Code du territoire');
    expect(fieldLabel('unknownField')).toBe('unknownField');
    expect(
      invalidDataMessage([
        { field: 'website', reasons: ['adresse http(s) attendue'] },
        { field: 'phone', reasons: ['a', 'b'] },
      ]),
    ).toBe('Données invalides : Site web (adresse http(s) attendue) ; Téléphone (a, b)');
  });
});
