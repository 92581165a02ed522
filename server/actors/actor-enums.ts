import { defineEnum, enumLabels, type EnumValue } from '../graphql/enums.js';

/** What an actor is. Grouped into families for display and facets. */
export const ActorKind = defineEnum('ActorKind', "Nature de l'acteur", {
  ASSOCIATION: 'Association',
  CPTS: 'Communauté professionnelle territoriale de santé (CPTS)',
  COLLECTIVITE: 'Collectivité territoriale',
  ARS: 'Agence régionale de santé (ARS)',
  AGENCE_ETAT: "Agence de l'État",
  DGS: 'Direction générale de la santé (DGS)',
  PREFECTURE: 'Préfecture',
  DRDFE: 'Délégation régionale aux droits des femmes et à l’égalité (DRDFE)',
  PJJ: 'Protection judiciaire de la jeunesse (PJJ)',
  EDUCATION_NATIONALE: 'Éducation nationale (rectorat, DSDEN)',
  CPAM: "Caisse primaire d'assurance maladie (CPAM)",
  DDT_DRIEATE: 'DDT, DREAL ou DRIEAT(E)',
  DRIHL: "Direction régionale et interdépartementale de l'hébergement et du logement (DRIHL)",
  DRIETS: "Direction régionale de l'économie, de l'emploi, du travail et des solidarités (DREETS, DRIETS)",
  SERVICE_ETAT: "Autre service de l'État",
  INSTANCE_DEMOCRATIE_SANTE: 'Instance de démocratie en santé (CRSA, CTS)',
  ETABLISSEMENT_SANTE: 'Établissement de santé',
  ETABLISSEMENT_MEDICO_SOCIAL: 'Établissement ou service médico-social',
  SERVICE_SANTE_ETUDIANTE: 'Service de santé étudiante',
  CLSM: 'Conseil local de santé mentale (CLSM)',
  ASV: 'Atelier santé ville (ASV)',
  PTSM: 'Projet territorial de santé mentale (PTSM)',
  DAC: "Dispositif d'appui à la coordination (DAC)",
  MAISON_DES_ADOLESCENTS: 'Maison des adolescents',
  DISPOSITIF: 'Autre dispositif de coordination',
  AUTRE: 'Autre',
});
export type ActorKind = EnumValue<typeof ActorKind>;

export const ACTOR_KIND_LABELS = enumLabels(ActorKind);

/**
 * The State's services and agencies (the « services de l'État » of the directory: DGS, ARS,
 * préfectures, DRDFE, PJJ, rectorats, CPAM, DDT/DRIEAT, DRIHL, DRIETS…) and the health democracy
 * bodies: they steer, fund or represent prevention over a whole département, région or the whole
 * country, so gap analysis can leave them out (`fieldActorsOnly`) to find where no field actor
 * (association, CPTS, collectivité, établissement, dispositif) works.
 */
export const STEERING_KINDS: readonly ActorKind[] = [
  ActorKind.DGS,
  ActorKind.ARS,
  ActorKind.AGENCE_ETAT,
  ActorKind.SERVICE_ETAT,
  ActorKind.PREFECTURE,
  ActorKind.DRDFE,
  ActorKind.DRIHL,
  ActorKind.DRIETS,
  ActorKind.DDT_DRIEATE,
  ActorKind.PJJ,
  ActorKind.EDUCATION_NATIONALE,
  ActorKind.CPAM,
  ActorKind.INSTANCE_DEMOCRATIE_SANTE,
];

/** Theme keys of the gap aggregates that count field actors only (migration 1764000000011). */
export const FIELD_KEY_PREFIX = 'terrain:';

/** Sector of activity, used for the intersectorality of coalitions. */
export const Sector = defineEnum('Sector', "Secteur d'activité", {
  SANTE: 'Santé',
  SOCIAL: 'Social',
  MEDICO_SOCIAL: 'Médico-social',
  EDUCATION: 'Éducation',
  LOGEMENT: 'Logement',
  JUSTICE: 'Justice',
  COLLECTIVITE: 'Collectivité',
  ETAT: 'État',
  RECHERCHE: 'Recherche',
  USAGERS: 'Usagers et citoyens',
});
export type Sector = EnumValue<typeof Sector>;

export const SECTOR_LABELS = enumLabels(Sector);

export const ActorStatus = defineEnum('ActorStatus', 'Actif, ou archivé (masqué des recherches par défaut)', ['ACTIVE', 'ARCHIVED']);
export type ActorStatus = EnumValue<typeof ActorStatus>;

/**
 * Moderation of an actor (server/actors/actor-review.ts). Only validated actors count in the gap
 * figures; pending and rejected ones stay searchable.
 */
export const ReviewStatus = defineEnum('ActorReviewStatus', 'Modération d’un acteur : seuls les acteurs validés comptent dans les lacunes et la couverture', {
  VALIDATED: { label: 'Validé', description: 'Validé : compte dans les lacunes et la couverture' },
  PENDING_REVIEW: {
    label: 'En attente de validation',
    description: 'En attente de validation par un analyste ARS ou un administrateur : cherchable, mais compté dans aucun chiffre',
  },
  REJECTED: { label: 'Refusé', description: 'Refusé : cherchable, mais compté dans aucun chiffre' },
});
export type ReviewStatus = EnumValue<typeof ReviewStatus>;

export const REVIEW_STATUS_LABELS = enumLabels(ReviewStatus);

/**
 * Whether `value` is one of the values of a string enum. Never `value in Enum` or `Enum[value]`:
 * those accept the names of Object.prototype (`toString`, `constructor`, `__proto__`…).
 */
export const isEnumValue = <T extends Record<string, string>>(enumObject: T, value: unknown): value is T[keyof T] =>
  typeof value === 'string' && Object.values(enumObject).includes(value);

export const ActorOrder = defineEnum('ActorOrder', 'Ordre des résultats', {
  PROXIMITY: {
    label: 'Acteurs de proximité d’abord',
    description:
      'Avec coversCommune (l’ordre par défaut alors) : le plus petit territoire d’intervention qui couvre la commune d’abord (commune, ' +
      'arrondissement, adresse ou rayon d’au plus 50 km ; puis EPCI ou EPT ; département ; région ou rayon plus large ; France entière), ' +
      'puis la distance au centre de la commune, puis le nom',
  },
  NAME: 'Par nom',
  DISTANCE: 'Du plus proche au plus lointain (avec le filtre « near »)',
  UPDATED_AT: 'Les plus récemment modifiés d’abord',
});
export type ActorOrder = EnumValue<typeof ActorOrder>;
