/**
 * The checks of a structure's official numbers, as the server makes them (server/actors/actor-identifiers.ts),
 * so that the form says what is wrong before sending. The server checks again.
 */

const LA_POSTE_SIREN = '356000000';
const LA_POSTE_HEAD_OFFICE = '35600000000048';

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** The SIRET as typed, without spaces or dots. */
export const compactNumber = (value: string): string => value.replace(/[\s.]/g, '').toUpperCase();

/** Why a SIRET is wrong, or null (an empty one is fine: it is optional). */
export function siretProblem(value: string): string | null {
  const v = compactNumber(value);
  if (!v) return null;
  if (!/^\d{14}$/.test(v)) return 'Le SIRET compte 14 chiffres.';
  // La Poste's establishments (not its head office): digits adding up to a multiple of 5 instead of the Luhn key.
  const laPoste = v.startsWith(LA_POSTE_SIREN) && v !== LA_POSTE_HEAD_OFFICE;
  const ok = laPoste ? [...v].reduce((s, c) => s + Number(c), 0) % 5 === 0 : luhnValid(v.slice(0, 9)) && luhnValid(v);
  return ok ? null : 'Ce SIRET n’existe pas : sa clé de contrôle est fausse. Vérifiez les chiffres.';
}

/** Why an RNA number is wrong, or null. */
export function rnaProblem(value: string): string | null {
  const v = compactNumber(value);
  if (!v) return null;
  return /^W[0-9A-Z]{9}$/.test(v) ? null : 'Le numéro RNA est la lettre W suivie de 9 caractères (ex. W551000123).';
}
