import { ACTOR_KIND_LABELS } from '../actors/actor-enums.js';
import { defineEnum, enumLabels, type EnumValue } from '../graphql/enums.js';

export const CoalitionKind = defineEnum('CoalitionKind', 'Nature de la coalition', {
  THEMATIQUE: 'Coalition thématique',
  CLS: 'Contrat local de santé (CLS)',
  CLSM: ACTOR_KIND_LABELS.CLSM,
  ASV: ACTOR_KIND_LABELS.ASV,
  COOPERATIVE: 'Coopérative d’acteurs',
  CONVENTION: 'Convention de partenariat',
  ALLIANCE_REGIONALE: 'Alliance régionale',
});
export type CoalitionKind = EnumValue<typeof CoalitionKind>;

export const COALITION_KIND_LABELS = enumLabels(CoalitionKind);

export const CoalitionVisibility = defineEnum('CoalitionVisibility', 'Qui voit la coalition', {
  PUBLIC: { label: 'Publique : visible de tous', description: 'Tout le monde' },
  MEMBERS: { label: 'Réservée à ses membres', description: 'Ses membres seulement (et les analystes ARS)' },
});
export type CoalitionVisibility = EnumValue<typeof CoalitionVisibility>;

export const JoinPolicy = defineEnum('JoinPolicy', 'Comment on rejoint la coalition', {
  OPEN: 'Libre : la demande vaut adhésion',
  APPROVAL: 'Sur demande, acceptée par un coordinateur',
  INVITATION: 'Sur invitation d’un coordinateur seulement',
});
export type JoinPolicy = EnumValue<typeof JoinPolicy>;

export const MembershipRole = defineEnum('MembershipRole', 'Rôle d’un acteur dans une coalition', {
  PILOTE: 'Pilote',
  SIGNATAIRE: 'Signataire',
  PARTENAIRE: 'Partenaire',
  MEMBRE: 'Membre',
});
export type MembershipRole = EnumValue<typeof MembershipRole>;

export const MEMBERSHIP_ROLE_LABELS = enumLabels(MembershipRole);

export const MembershipStatus = defineEnum('MembershipStatus', 'État d’une adhésion', {
  REQUESTED: 'Demandée, en attente d’un coordinateur',
  INVITED: 'Invitation en attente de réponse',
  ACTIVE: 'Membre',
  REJECTED: 'Refusée (demande rejetée ou invitation déclinée)',
  LEFT: 'A quitté la coalition',
});
export type MembershipStatus = EnumValue<typeof MembershipStatus>;

/** Life of a direct partnership: declared by one side, confirmed (or declined) by the other, ended by either. */
export const PartnershipStatus = defineEnum('PartnershipStatus', 'État d’un partenariat direct', {
  PENDING: 'Déclaré, en attente de confirmation par l’autre acteur',
  ACTIVE: 'Confirmé par l’autre acteur',
  DECLINED: 'Refusé par l’autre acteur',
  ENDED: 'Terminé (ou déclaration retirée avant confirmation)',
});
export type PartnershipStatus = EnumValue<typeof PartnershipStatus>;

export const PartnershipKind = defineEnum('PartnershipKind', 'Nature d’un partenariat direct entre deux acteurs', {
  CONVENTION: 'Convention signée',
  ACCORD_CADRE: 'Accord-cadre',
  COFINANCEMENT: 'Cofinancement',
  AUTRE: 'Autre',
});
export type PartnershipKind = EnumValue<typeof PartnershipKind>;

/**
 * The sectors whose presence makes a coalition intersectoral. They are read from an actor's
 * sector and kind: an association of the social sector counts for both SOCIAL and ASSOCIATIONS.
 */
export const SectorCategory = defineEnum('SectorCategory', 'Secteur compté pour l’intersectorialité', {
  SANTE: 'Santé',
  SOCIAL: 'Social et médico-social',
  EDUCATION: 'Éducation',
  LOGEMENT: 'Logement',
  COLLECTIVITES: 'Collectivités',
  ETAT: 'État',
  ASSOCIATIONS: 'Associations',
  USAGERS: 'Usagers',
});
export type SectorCategory = EnumValue<typeof SectorCategory>;

export const SECTOR_CATEGORY_LABELS = enumLabels(SectorCategory);

/** The categories an actor counts for, from its sector and kind. */
export function sectorCategories(sector: string, kind: string): SectorCategory[] {
  const out = new Set<SectorCategory>();
  const bySector: Record<string, SectorCategory | undefined> = {
    SANTE: SectorCategory.SANTE,
    SOCIAL: SectorCategory.SOCIAL,
    MEDICO_SOCIAL: SectorCategory.SOCIAL,
    EDUCATION: SectorCategory.EDUCATION,
    LOGEMENT: SectorCategory.LOGEMENT,
    COLLECTIVITE: SectorCategory.COLLECTIVITES,
    ETAT: SectorCategory.ETAT,
    JUSTICE: SectorCategory.ETAT,
    USAGERS: SectorCategory.USAGERS,
  };
  const s = bySector[sector];
  if (s) out.add(s);
  if (kind === 'ASSOCIATION') out.add(SectorCategory.ASSOCIATIONS);
  if (kind === 'INSTANCE_DEMOCRATIE_SANTE') out.add(SectorCategory.USAGERS);
  if (kind === 'COLLECTIVITE') out.add(SectorCategory.COLLECTIVITES);
  if (kind === 'ETABLISSEMENT_SANTE' || kind === 'CPTS') out.add(SectorCategory.SANTE);
  if (kind === 'EDUCATION_NATIONALE') out.add(SectorCategory.EDUCATION);
  return [...out];
}

export const GraphNodeKind = defineEnum('GraphNodeKind', 'Nature d’un nœud du graphe', ['ACTOR', 'COALITION']);
export type GraphNodeKind = EnumValue<typeof GraphNodeKind>;

export const GraphEdgeKind = defineEnum('GraphEdgeKind', 'Nature d’un lien du graphe', {
  MEMBERSHIP: 'Acteur membre d’une coalition',
  PARTNERSHIP: 'Partenariat direct entre deux acteurs',
});
export type GraphEdgeKind = EnumValue<typeof GraphEdgeKind>;

export const SuggestionReasonKind = defineEnum('SuggestionReasonKind', 'Raison d’une suggestion de partenaire', {
  SAME_THEME: 'Même thème',
  COVERS_COMMUNES: 'Couvre des communes du territoire',
  MISSING_SECTOR: 'Apporte un secteur absent',
});
export type SuggestionReasonKind = EnumValue<typeof SuggestionReasonKind>;
