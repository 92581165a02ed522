import { ValidateBy, type ValidationOptions } from 'class-validator';

// The official numbers of a structure and their keys, checked the same way by createActor,
// updateActor, the import and `npm run identifiers:check` (and mirrored by the client's forms,
// client/src/lib/components/claims/identifiers.ts).

/** La Poste's SIREN: its establishments' SIRETs break the Luhn key, and their digits add up to a multiple of 5 instead. */
const LA_POSTE_SIREN = '356000000';
/** La Poste's head office keeps the Luhn key like every other SIRET. */
const LA_POSTE_HEAD_OFFICE = '35600000000048';

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

const digitSum = (digits: string) => [...digits].reduce((s, c) => s + Number(c), 0);

/** The identifiers of a structure an actor may carry. */
export const IDENTIFIER_FIELDS = ['siren', 'siret', 'rna', 'finess'] as const;
export type IdentifierField = (typeof IDENTIFIER_FIELDS)[number];

export const IDENTIFIER_LABELS: Record<IdentifierField, string> = { siren: 'SIREN', siret: 'SIRET', rna: 'numéro RNA', finess: 'numéro FINESS' };

/** Why a SIREN is wrong, or null: 9 digits whose Luhn key holds. */
export function sirenProblem(value: string): string | null {
  if (!/^\d{9}$/.test(value)) return 'le SIREN compte 9 chiffres';
  return luhnValid(value) ? null : 'la clé de contrôle du SIREN est fausse : vérifiez les chiffres';
}

/**
 * Why a SIRET is wrong, or null: 14 digits, a valid SIREN followed by the establishment's number,
 * the Luhn key over the 14 digits holding — except La Poste's establishments (SIREN 356000000, its
 * head office 35600000000048 apart), whose digits add up to a multiple of 5 instead.
 */
export function siretProblem(value: string): string | null {
  if (!/^\d{14}$/.test(value)) return 'le SIRET compte 14 chiffres';
  if (value.startsWith(LA_POSTE_SIREN) && value !== LA_POSTE_HEAD_OFFICE) {
    return digitSum(value) % 5 === 0 ? null : 'SIRET de La Poste : la somme de ses chiffres doit être un multiple de 5, vérifiez les chiffres';
  }
  if (!luhnValid(value.slice(0, 9))) return 'le SIRET commence par un SIREN dont la clé de contrôle est fausse : vérifiez les 9 premiers chiffres';
  return luhnValid(value) ? null : 'la clé de contrôle du SIRET est fausse : vérifiez les chiffres';
}

/** Why a number of the Répertoire national des associations is wrong, or null: « W » and 9 characters (digits and capitals). */
export function rnaProblem(value: string): string | null {
  return /^W[0-9A-Z]{9}$/.test(value) ? null : 'le numéro RNA est la lettre W suivie de 9 caractères (ex. W551000123)';
}

/**
 * The département a FINESS number starts with: 01 to 95 (2A and 2B for Corsica, never 20), and
 * 97 or 98 for the overseas départements and collectivités (9701… Guadeloupe, 9704… La Réunion,
 * 9805… Mayotte, 9806… Wallis-et-Futuna).
 */
const FINESS_DEPARTEMENT = /^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|9[78])/;

/**
 * Why a FINESS number is wrong, or null: 9 characters, the département (2 characters) then 6
 * digits and a key. The key is Luhn's over the 9 characters, Corsica's A and B read as 1 and 2
 * (2A → 21, 2B → 22): so are the numbers the ministry publishes, among them 2A0000154 (Clinique du
 * sud de la Corse), 2B0000038 (CH de Corte), 970408589 (CHU de La Réunion), 980600019 (Wallis).
 */
export function finessProblem(value: string): string | null {
  if (!/^([0-9]{2}|2[AB])[0-9]{7}$/.test(value)) return 'le numéro FINESS compte 9 caractères : le département (2 chiffres, 2A ou 2B) puis 7 chiffres';
  if (!FINESS_DEPARTEMENT.test(value)) return `le numéro FINESS commence par un département inconnu (« ${value.slice(0, 2)} »)`;
  return luhnValid(value.replace(/^2A/, '21').replace(/^2B/, '22')) ? null : 'la clé de contrôle du numéro FINESS est fausse : vérifiez les chiffres';
}

const PROBLEMS: Record<IdentifierField, (value: string) => string | null> = {
  siren: sirenProblem,
  siret: siretProblem,
  rna: rnaProblem,
  finess: finessProblem,
};

/** Why an identifier is wrong (in French, for the user), or null if it is right. */
export const identifierProblem = (field: IdentifierField, value: string): string | null => PROBLEMS[field](value);

export const isSiren = (value: unknown): boolean => typeof value === 'string' && sirenProblem(value) === null;
export const isSiret = (value: unknown): boolean => typeof value === 'string' && siretProblem(value) === null;
export const isRna = (value: unknown): boolean => typeof value === 'string' && rnaProblem(value) === null;
export const isFiness = (value: unknown): boolean => typeof value === 'string' && finessProblem(value) === null;

/** A SIRET is an establishment of its SIREN: when both are given, the SIRET starts with the SIREN. */
export function siretMatchesSiren(siren: string | null, siret: string | null): boolean {
  return !siren || !siret || siret.startsWith(siren);
}

/** The class-validator check of one identifier (null and absent pass: every identifier is optional), with the reason as its message. */
export const IsIdentifier = (field: IdentifierField, options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: `is${field[0].toUpperCase()}${field.slice(1)}`,
      validator: {
        validate: (value) => value === null || value === undefined || (typeof value === 'string' && identifierProblem(field, value) === null),
        defaultMessage: (args) => (typeof args?.value === 'string' ? identifierProblem(field, args.value) : null) ?? `${IDENTIFIER_LABELS[field]} invalide`,
      },
    },
    options,
  );
