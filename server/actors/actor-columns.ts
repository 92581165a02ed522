import { foldText, normalizeKey } from '../text.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { ACTOR_KIND_LABELS, ActorKind, SECTOR_LABELS, Sector } from './actor-enums.js';

/**
 * The French columns of actor files (import and export share them), each with the spellings a
 * coordinator might use. Headers are compared without case, accents or punctuation.
 */
export const COLUMNS = [
  { key: 'id', name: 'identifiant', aliases: ['id', 'uuid'] },
  { key: 'name', name: 'nom', aliases: ['name', 'raison sociale', 'denomination', 'nom de la structure', 'structure'] },
  { key: 'kind', name: 'type', aliases: ['nature', 'kind', 'type de structure', 'type d acteur', 'categorie'] },
  { key: 'sector', name: 'secteur', aliases: ['sector', 'secteur d activite'] },
  { key: 'siren', name: 'siren', aliases: ['numero siren'] },
  { key: 'siret', name: 'siret', aliases: ['numero siret'] },
  { key: 'rna', name: 'rna', aliases: ['numero rna'] },
  { key: 'finess', name: 'finess', aliases: ['numero finess'] },
  { key: 'address', name: 'adresse', aliases: ['address', 'adresse postale'] },
  { key: 'postalCode', name: 'code_postal', aliases: ['cp', 'codepostal', 'postal code', 'postal_code'] },
  { key: 'communeCode', name: 'commune', aliases: ['code commune', 'code insee', 'insee', 'commune code', 'code insee commune', 'commune_code'] },
  { key: 'lat', name: 'latitude', aliases: ['lat', 'y'] },
  { key: 'lon', name: 'longitude', aliases: ['lon', 'lng', 'long', 'x'] },
  { key: 'description', name: 'description', aliases: [] },
  { key: 'email', name: 'email', aliases: ['courriel', 'mail', 'e-mail', 'adresse electronique'] },
  { key: 'phone', name: 'telephone', aliases: ['tel', 'phone', 'numero de telephone'] },
  { key: 'website', name: 'site_web', aliases: ['site', 'siteweb', 'site internet', 'url', 'website'] },
  { key: 'openingHours', name: 'horaires', aliases: ['opening hours', 'opening_hours', 'horaires d ouverture', 'heures d ouverture'] },
  { key: 'themes', name: 'thematiques', aliases: ['thematique', 'themes', 'theme'] },
  { key: 'audiences', name: 'publics', aliases: ['public', 'audiences', 'public cible', 'publics cibles'] },
  { key: 'territories', name: 'territoires', aliases: ['territoire', 'territories', 'zone d intervention', 'territoire d intervention'] },
  { key: 'radiusKm', name: 'rayon_km', aliases: ['rayon', 'radius km', 'radiuskm'] },
  { key: 'source', name: 'source', aliases: [] },
  { key: 'isDemo', name: 'demonstration', aliases: ['demo', 'is demo', 'isdemo', 'fictif'] },
] as const;

export type ColumnKey = (typeof COLUMNS)[number]['key'];

const byAlias = new Map<string, ColumnKey>();
for (const c of COLUMNS) for (const a of [c.name, c.key, ...c.aliases]) byAlias.set(normalizeKey(a), c.key);

/** The field a header designates, or undefined. */
export const columnFor = (header: string): ColumnKey | undefined => byAlias.get(normalizeKey(header));

/** The French column name of a field (used in every report). */
export const COLUMN_NAME: Record<ColumnKey, string> = Object.fromEntries(COLUMNS.map((c) => [c.key, c.name])) as Record<ColumnKey, string>;

/** Lower-case level names used in the `territoires` column: `departement:55`. */
export const LEVEL_KEYS: Record<TerritoryLevel, string> = {
  PAYS: 'pays',
  COMMUNE: 'commune',
  ARRONDISSEMENT: 'arrondissement',
  EPCI: 'epci',
  EPT: 'ept',
  DEPARTEMENT: 'departement',
  REGION: 'region',
};

const LEVEL_ALIASES = new Map<string, TerritoryLevel>([
  ...Object.entries(LEVEL_KEYS).map(([level, key]) => [key, level as TerritoryLevel] as const),
  ...Object.keys(LEVEL_KEYS).map((level) => [normalizeKey(level), level as TerritoryLevel] as const),
  ['france', TerritoryLevel.PAYS],
  ['dep', TerritoryLevel.DEPARTEMENT],
  ['dept', TerritoryLevel.DEPARTEMENT],
  ['reg', TerritoryLevel.REGION],
  ['arr', TerritoryLevel.ARRONDISSEMENT],
  ['intercommunalite', TerritoryLevel.EPCI],
]);

export const levelFor = (text: string): TerritoryLevel | undefined => LEVEL_ALIASES.get(normalizeKey(text));

/** data·inclusion structure types (`value` column) and the kind of actor each one is. */
export const DATA_INCLUSION_TYPOLOGIES: readonly (readonly [string, ActorKind])[] = [
  ['ASSO', ActorKind.ASSOCIATION],
  ['CSAPA', ActorKind.ETABLISSEMENT_MEDICO_SOCIAL],
  ['CAARUD', ActorKind.ETABLISSEMENT_MEDICO_SOCIAL],
  ['CMP', ActorKind.ETABLISSEMENT_SANTE],
  ['CMS', ActorKind.ETABLISSEMENT_SANTE],
  ['CCAS', ActorKind.COLLECTIVITE],
  ['CIAS', ActorKind.COLLECTIVITE],
  ['MUNI', ActorKind.COLLECTIVITE],
  ['EPCI', ActorKind.COLLECTIVITE],
  ['CD', ActorKind.COLLECTIVITE],
  ['DEPT', ActorKind.COLLECTIVITE],
  ['REG', ActorKind.COLLECTIVITE],
  ['CPAM', ActorKind.CPAM],
  ['PJJ', ActorKind.PJJ],
  ['SPIP', ActorKind.SERVICE_ETAT],
  ['DEETS', ActorKind.DRIETS],
];

const kindKeys = new Map<string, ActorKind>();
for (const [kind, label] of Object.entries(ACTOR_KIND_LABELS) as [ActorKind, string][]) {
  kindKeys.set(normalizeKey(kind), kind);
  kindKeys.set(normalizeKey(label), kind);
  // "Agence régionale de santé (ARS)": the part before the brackets and the acronym work too.
  const m = /^(.*?)\s*\(([^)]+)\)\s*$/.exec(label);
  if (m) {
    kindKeys.set(normalizeKey(m[1]), kind);
    for (const acronym of m[2].split(/,\s*/)) kindKeys.set(normalizeKey(acronym), kind);
  }
}
for (const [alias, kind] of [
  ['asso', ActorKind.ASSOCIATION],
  ['collectivite', ActorKind.COLLECTIVITE],
  ['commune', ActorKind.COLLECTIVITE],
  ['mairie', ActorKind.COLLECTIVITE],
  ['conseil departemental', ActorKind.COLLECTIVITE],
  ['conseil regional', ActorKind.COLLECTIVITE],
  ['intercommunalite', ActorKind.COLLECTIVITE],
  ['service de l etat', ActorKind.SERVICE_ETAT],
  ['etat', ActorKind.SERVICE_ETAT],
  ['agence de l etat', ActorKind.AGENCE_ETAT],
  ['agence nationale', ActorKind.AGENCE_ETAT],
  ['hopital', ActorKind.ETABLISSEMENT_SANTE],
  ['centre hospitalier', ActorKind.ETABLISSEMENT_SANTE],
  ['etablissement medico social', ActorKind.ETABLISSEMENT_MEDICO_SOCIAL],
  ['medico social', ActorKind.ETABLISSEMENT_MEDICO_SOCIAL],
  ['rectorat', ActorKind.EDUCATION_NATIONALE],
  ['dsden', ActorKind.EDUCATION_NATIONALE],
  ['dreets', ActorKind.DRIETS],
  ['dreal', ActorKind.DDT_DRIEATE],
  ['ddt', ActorKind.DDT_DRIEATE],
  ['mda', ActorKind.MAISON_DES_ADOLESCENTS],
  ['crsa', ActorKind.INSTANCE_DEMOCRATIE_SANTE],
  ['cts', ActorKind.INSTANCE_DEMOCRATIE_SANTE],
  ['dispositif de coordination', ActorKind.DISPOSITIF],
  // Structure types of the national data·inclusion vocabulary (seeds/data/referentiels/data-inclusion/
  // typologies_de_structures.csv). Its MDA (maison départementale de l'autonomie) is left out: here
  // « MDA » means a maison des adolescents.
  ...DATA_INCLUSION_TYPOLOGIES,
] as const) {
  kindKeys.set(normalizeKey(alias), kind);
}

export const kindFor = (text: string): ActorKind | undefined => kindKeys.get(normalizeKey(text));

const sectorKeys = new Map<string, Sector>();
for (const [sector, label] of Object.entries(SECTOR_LABELS) as [Sector, string][]) {
  sectorKeys.set(normalizeKey(sector), sector);
  sectorKeys.set(normalizeKey(label), sector);
}
sectorKeys.set('usagers', Sector.USAGERS);
sectorKeys.set('sanitaire', Sector.SANTE);

export const sectorFor = (text: string): Sector | undefined => sectorKeys.get(normalizeKey(text));

/** The sector implied by a kind, when the file gives none. */
export const DEFAULT_SECTOR: Partial<Record<ActorKind, Sector>> = {
  CPTS: Sector.SANTE,
  COLLECTIVITE: Sector.COLLECTIVITE,
  ARS: Sector.ETAT,
  AGENCE_ETAT: Sector.ETAT,
  DGS: Sector.ETAT,
  PREFECTURE: Sector.ETAT,
  DRDFE: Sector.ETAT,
  PJJ: Sector.JUSTICE,
  EDUCATION_NATIONALE: Sector.EDUCATION,
  CPAM: Sector.SANTE,
  DDT_DRIEATE: Sector.ETAT,
  DRIHL: Sector.LOGEMENT,
  DRIETS: Sector.ETAT,
  SERVICE_ETAT: Sector.ETAT,
  INSTANCE_DEMOCRATIE_SANTE: Sector.USAGERS,
  ETABLISSEMENT_SANTE: Sector.SANTE,
  ETABLISSEMENT_MEDICO_SOCIAL: Sector.MEDICO_SOCIAL,
  SERVICE_SANTE_ETUDIANTE: Sector.SANTE,
  CLSM: Sector.SANTE,
  ASV: Sector.SANTE,
  PTSM: Sector.SANTE,
  DAC: Sector.SANTE,
  MAISON_DES_ADOLESCENTS: Sector.SANTE,
};

/** The same normalisation as SQL `public.f_norm` (the stored `search_name`), for matching names. */
export function normName(name: string): string {
  return foldText(name)
    .replace(/æ/g, 'ae')
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/\bsainte\b/g, 'ste')
    .replace(/\bsaint\b/g, 'st')
    .trim();
}
