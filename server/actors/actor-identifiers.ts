import { ValidateBy, type ValidationOptions } from 'class-validator';

/** La Poste's SIREN: its establishments' SIRETs break the Luhn key, and their digits add up to a multiple of 5 instead. */
const LA_POSTE_SIREN = '356000000';

/** The Luhn key over a string of digits (every second digit from the right doubled). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A SIRET as INSEE issues it: 14 digits whose Luhn key holds, except La Poste's establishments
 * (SIREN 356000000), whose digits add up to a multiple of 5.
 */
export function isSiret(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{14}$/.test(value)) return false;
  if (value.startsWith(LA_POSTE_SIREN)) return [...value].reduce((s, c) => s + Number(c), 0) % 5 === 0;
  return luhnValid(value);
}

/** A number of the Répertoire national des associations: « W » and 9 characters (digits and capitals). */
export const isRna = (value: unknown): boolean => typeof value === 'string' && /^W[0-9A-Z]{9}$/.test(value);

/** class-validator check of a SIRET (null and absent pass: the field is optional). */
export const IsSiret = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isSiret',
      validator: {
        validate: (value) => value === null || value === undefined || isSiret(value),
        defaultMessage: () => 'le SIRET compte 14 chiffres et sa clé de contrôle doit être juste',
      },
    },
    options,
  );
