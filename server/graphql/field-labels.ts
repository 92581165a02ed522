/**
 * The French name of each input field a « Données invalides » message can name: people read the
 * message (« Site web (…) ; Téléphone (…) »), the client reads `extensions.fields[].field`, the
 * field's name in the schema. test/unit/field-labels.test.ts checks that every field class-validator
 * checks, and every field an actor's record checks, has one.
 */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Nom',
  kind: 'Nature',
  sector: 'Secteur',
  siren: 'SIREN',
  siret: 'SIRET',
  rna: 'RNA',
  finess: 'FINESS',
  address: 'Adresse',
  postalCode: 'Code postal',
  communeCode: 'Commune (code INSEE)',
  lon: 'Longitude',
  lat: 'Latitude',
  radiusKm: 'Rayon',
  description: 'Description',
  email: 'Courriel',
  phone: 'Téléphone',
  website: 'Site web',
  openingHours: 'Horaires d’ouverture',
  themes: 'Thèmes',
  audiences: 'Publics',
  territories: 'Territoires d’intervention',
  source: 'Source',
  // Searches
  coversCommune: 'Commune',
  territory: 'Territoire',
  themesAny: 'Thèmes',
  themesAll: 'Thèmes (tous)',
  kinds: 'Natures',
  sectors: 'Secteurs',
  text: 'Texte recherché',
  near: 'Autour d’un point',
  reviewStatuses: 'Statuts de validation',
  // Gaps and diagnostics
  scope: 'Périmètre',
  code: 'Code du territoire',
  fieldActorsOnly: 'Acteurs de terrain seulement',
  minActors: 'Nombre minimal d’acteurs',
  minActorsPer10k: 'Acteurs pour 10 000 habitants',
  communes: 'Communes',
  // Accounts
  password: 'Mot de passe',
  displayName: 'Nom affiché',
  currentPassword: 'Mot de passe actuel',
  newPassword: 'Nouveau mot de passe',
  regionCode: 'Région',
  // Coalitions and partnerships
  title: 'Intitulé',
  startDate: 'Date de début',
  endDate: 'Date de fin',
};

/**
 * The label of a field given by its path (`near.radiusKm`, `territories.0.code`): its last named
 * part; the path itself when it has none.
 */
export function fieldLabel(path: string): string {
  const name = path
    .split('.')
    .filter((part) => !/^\d+$/.test(part))
    .pop();
  return (name && FIELD_LABELS[name]) ?? path;
}

/** « Données invalides : Site web (…) ; Téléphone (…) », each field named in French. */
export function invalidDataMessage(fields: { field: string; reasons: string[] }[]): string {
  return `Données invalides : ${fields.map((f) => `${fieldLabel(f.field)} (${f.reasons.join(', ')})`).join(' ; ')}`;
}
