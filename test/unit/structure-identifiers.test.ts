import { describe, expect, it } from 'vitest';
import { rnaProblem, siretProblem } from '../../client/src/lib/components/claims/identifiers.js';
import {
  finessProblem,
  identifierProblem,
  isFiness,
  isRna,
  isSiren,
  isSiret,
  luhnValid,
  siretMatchesSiren,
  sirenProblem,
} from '../../server/actors/actor-identifiers.js';

/**
 * SIREN, SIRET, RNA and FINESS checks: the server's (createActor, updateActor, the import,
 * identifiers:check) and the declaration form's, which must say the same thing about every number.
 * The valid numbers are real ones, published by INSEE and the ministry of health.
 */
const SIRETS: [string, boolean][] = [
  ['73282932000074', true], // Luhn key right
  ['73282932000075', false], // last digit changed
  ['35600000000048', true], // La Poste's head office: the Luhn key, its digits add up to 26
  ['35600000000001', true], // a La Poste establishment: digits add up to 15, the Luhn key fails
  ['35600000000002', false], // La Poste: digits add up to 16
  ['35600000000014', false], // La Poste: Luhn key right, but digits add up to 19
  ['26010004500012', true], // CH de Bourg-en-Bresse (FINESS extract)
  ['26971036400028', true], // CH Louis Constant Fleming, Saint-Martin
  ['20003001300011', true], // CHU de La Réunion
  ['13000323900014', true], // Hôpital de Sia, Wallis
  ['12345678900007', false], // Luhn key over 14 digits right, but its SIREN 123456789 is not a SIREN
  ['12345678200002', true], // the same with a right SIREN
  ['7328293200007', false], // 13 digits
  ['732829320000745', false], // 15 digits
  ['7328293200007A', false],
  ['', false],
];

describe('SIRET', () => {
  it.each(SIRETS)('should judge %s valid: %s, on the server and in the form alike', (siret, valid) => {
    expect(isSiret(siret)).toBe(valid);
    if (siret) expect(siretProblem(siret) === null).toBe(valid);
  });

  it('should let the form accept the spaces and dots people type, and an empty field', () => {
    expect(siretProblem('732 829 320 00074')).toBeNull();
    expect(siretProblem('732.829.320.00074')).toBeNull();
    expect(siretProblem('   ')).toBeNull();
  });

  it('should say why, in French', () => {
    expect(identifierProblem('siret', '7328293200007')).toBe('le SIRET compte 14 chiffres');
    expect(identifierProblem('siret', '73282932000075')).toMatch(/clé de contrôle du SIRET est fausse/);
    expect(identifierProblem('siret', '12345678900007')).toMatch(/SIREN dont la clé de contrôle est fausse/);
    expect(identifierProblem('siret', '35600000000002')).toMatch(/La Poste : la somme de ses chiffres doit être un multiple de 5/);
  });

  it('should want a SIRET to start with the SIREN given beside it', () => {
    expect(siretMatchesSiren('732829320', '73282932000074')).toBe(true);
    expect(siretMatchesSiren('356000000', '73282932000074')).toBe(false);
    expect(siretMatchesSiren(null, '73282932000074')).toBe(true);
    expect(siretMatchesSiren('732829320', null)).toBe(true);
  });
});

describe('SIREN', () => {
  it.each([
    ['732829320', true],
    ['356000000', true], // La Poste
    ['552032534', true],
    ['260100045', true],
    ['123456782', true],
    ['123456789', false],
    ['732829321', false],
    ['73282932', false],
    ['7328293200', false],
    ['73282932A', false],
  ] as const)('should judge %s valid: %s', (siren, valid) => {
    expect(isSiren(siren)).toBe(valid);
  });

  it('should say whether the length or the key is wrong', () => {
    expect(sirenProblem('73282932')).toBe('le SIREN compte 9 chiffres');
    expect(sirenProblem('732829321')).toMatch(/clé de contrôle du SIREN est fausse/);
  });
});

describe('RNA', () => {
  it.each([
    ['W551000777', true],
    ['W2A1000123', true],
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

describe('FINESS', () => {
  /** Real numbers (legal entities and establishments) of the FINESS extracts and the arrêté of 4 March 2015. */
  const REAL = [
    '010000024', // CH de Bourg-en-Bresse
    '010780054',
    '750712184', // AP-HP
    '550000012', // CH de Verdun
    '550000020',
    '080001969',
    '2A0000154', // Clinique du sud de la Corse
    '2B0000038', // CH de Corte
    '2B0004246',
    '2B0005342', // CH de Calvi
    '2B0005359',
    '970100400', // Guadeloupe (Saint-Martin)
    '970210126', // Martinique
    '970300026', // Guyane
    '970408589', // CHU de La Réunion
    '980501506', // Mayotte
    '980600019', // Wallis-et-Futuna
  ];

  it.each(REAL)('should accept the published number %s', (finess) => {
    expect(isFiness(finess)).toBe(true);
  });

  it.each([
    ['550000013', /clé de contrôle du numéro FINESS est fausse/], // last digit changed
    ['2A0000155', /clé de contrôle/],
    ['2B0000039', /clé de contrôle/],
    ['200000154', /département inconnu/], // Corsica is 2A or 2B, never 20
    ['000000000', /département inconnu/],
    ['990000008', /département inconnu/],
    ['2C0000154', /9 caractères/],
    ['55000001', /9 caractères/],
    ['5500000120', /9 caractères/],
    ['A50000012', /9 caractères/],
  ])('should refuse %s', (finess, reason) => {
    expect(isFiness(finess)).toBe(false);
    expect(finessProblem(finess)).toMatch(reason);
  });

  it('should read Corsica’s letters as 1 and 2 in the key, so that a number keyed with 2A read as 20 fails', () => {
    expect(luhnValid('210000154')).toBe(true);
    expect(luhnValid('200000154')).toBe(false);
  });
});
