import { describe, expect, it } from 'vitest';
import { rnaProblem, siretProblem } from '../../client/src/lib/components/claims/identifiers.js';
import { isRna, isSiret } from '../../server/actors/actor-identifiers.js';

/**
 * SIRET and RNA checks: the server's (createActor, updateActor) and the declaration form's, which
 * must say the same thing about every number.
 */
const CASES: [string, boolean][] = [
  ['73282932000074', true], // Luhn key right
  ['73282932000075', false], // last digit changed
  ['35600000000001', true], // La Poste: digits add up to 15, the Luhn key fails
  ['35600000000002', false], // La Poste: digits add up to 16
  ['35600000000014', false], // La Poste: Luhn key right, but digits add up to 19
  ['7328293200007', false], // 13 digits
  ['732829320000745', false], // 15 digits
  ['7328293200007A', false],
  ['', false],
];

describe('SIRET', () => {
  it.each(CASES)('should judge %s valid: %s, on the server and in the form alike', (siret, valid) => {
    expect(isSiret(siret)).toBe(valid);
    if (siret) expect(siretProblem(siret) === null).toBe(valid);
  });

  it('should let the form accept the spaces and dots people type, and an empty field', () => {
    expect(siretProblem('732 829 320 00074')).toBeNull();
    expect(siretProblem('732.829.320.00074')).toBeNull();
    expect(siretProblem('   ')).toBeNull();
  });
});

describe('RNA', () => {
  it.each([
    ['W551000777', true],
    ['W55100077', false],
    ['551000777', false],
    ['w551000777', false],
    ['W5510007770', false],
  ] as const)('should judge %s valid: %s on the server', (rna, valid) => {
    expect(isRna(rna)).toBe(valid);
  });

  it('should let the form accept lower case (sent in capitals) and refuse the rest', () => {
    expect(rnaProblem('w551000777')).toBeNull();
    expect(rnaProblem('551000777')).toMatch(/lettre W suivie de 9 caractères/);
  });
});
