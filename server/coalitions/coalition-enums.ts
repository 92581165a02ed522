import { registerEnumType } from 'type-graphql';
import { described } from '../actors/actor-enums.js';

export enum CoalitionKind {
  THEMATIQUE = 'THEMATIQUE',
  CLS = 'CLS',
  CLSM = 'CLSM',
  ASV = 'ASV',
  COOPERATIVE = 'COOPERATIVE',
  CONVENTION = 'CONVENTION',
  ALLIANCE_REGIONALE = 'ALLIANCE_REGIONALE',
}

export const COALITION_KIND_LABELS: Record<CoalitionKind, string> = {
  THEMATIQUE: 'Coalition thématique',
  CLS: 'Contrat local de santé (CLS)',
  CLSM: 'Conseil local de santé mentale (CLSM)',
  ASV: 'Atelier santé ville (ASV)',
  COOPERATIVE: 'Coopérative d’acteurs',
  CONVENTION: 'Convention de partenariat',
  ALLIANCE_REGIONALE: 'Alliance régionale',
};

export enum CoalitionVisibility {
  PUBLIC = 'PUBLIC',
  MEMBERS = 'MEMBERS',
}

export enum JoinPolicy {
  OPEN = 'OPEN',
  APPROVAL = 'APPROVAL',
  INVITATION = 'INVITATION',
}

export enum MembershipRole {
  PILOTE = 'PILOTE',
  SIGNATAIRE = 'SIGNATAIRE',
  PARTENAIRE = 'PARTENAIRE',
  MEMBRE = 'MEMBRE',
}

export const MEMBERSHIP_ROLE_LABELS: Record<MembershipRole, string> = {
  PILOTE: 'Pilote',
  SIGNATAIRE: 'Signataire',
  PARTENAIRE: 'Partenaire',
  MEMBRE: 'Membre',
};

export enum MembershipStatus {
  REQUESTED = 'REQUESTED',
  INVITED = 'INVITED',
  ACTIVE = 'ACTIVE',
  REJECTED = 'REJECTED',
  LEFT = 'LEFT',
}

/** Life of a direct partnership: declared by one side, confirmed (or declined) by the other, ended by either. */
export enum PartnershipStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  DECLINED = 'DECLINED',
  ENDED = 'ENDED',
}

export enum PartnershipKind {
  CONVENTION = 'CONVENTION',
  ACCORD_CADRE = 'ACCORD_CADRE',
  COFINANCEMENT = 'COFINANCEMENT',
  AUTRE = 'AUTRE',
}

/**
 * The sectors whose presence makes a coalition intersectoral. They are read from an actor's
 * sector and kind: an association of the social sector counts for both SOCIAL and ASSOCIATIONS.
 */
export enum SectorCategory {
  SANTE = 'SANTE',
  SOCIAL = 'SOCIAL',
  EDUCATION = 'EDUCATION',
  LOGEMENT = 'LOGEMENT',
  COLLECTIVITES = 'COLLECTIVITES',
  ETAT = 'ETAT',
  ASSOCIATIONS = 'ASSOCIATIONS',
  USAGERS = 'USAGERS',
}

export const SECTOR_CATEGORY_LABELS: Record<SectorCategory, string> = {
  SANTE: 'Santé',
  SOCIAL: 'Social et médico-social',
  EDUCATION: 'Éducation',
  LOGEMENT: 'Logement',
  COLLECTIVITES: 'Collectivités',
  ETAT: 'État',
  ASSOCIATIONS: 'Associations',
  USAGERS: 'Usagers',
};

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

export enum GraphNodeKind {
  ACTOR = 'ACTOR',
  COALITION = 'COALITION',
}

export enum GraphEdgeKind {
  MEMBERSHIP = 'MEMBERSHIP',
  PARTNERSHIP = 'PARTNERSHIP',
}

export enum SuggestionReasonKind {
  SAME_THEME = 'SAME_THEME',
  COVERS_COMMUNES = 'COVERS_COMMUNES',
  MISSING_SECTOR = 'MISSING_SECTOR',
}


registerEnumType(CoalitionKind, { name: 'CoalitionKind', description: 'Nature de la coalition', valuesConfig: described(COALITION_KIND_LABELS) });
registerEnumType(CoalitionVisibility, {
  name: 'CoalitionVisibility',
  description: 'Qui voit la coalition',
  valuesConfig: { PUBLIC: { description: 'Tout le monde' }, MEMBERS: { description: 'Ses membres seulement (et les analystes ARS)' } },
});
registerEnumType(JoinPolicy, {
  name: 'JoinPolicy',
  description: 'Comment on rejoint la coalition',
  valuesConfig: {
    OPEN: { description: 'Libre : la demande vaut adhésion' },
    APPROVAL: { description: 'Sur demande, acceptée par un coordinateur' },
    INVITATION: { description: 'Sur invitation d’un coordinateur seulement' },
  },
});
registerEnumType(MembershipRole, { name: 'MembershipRole', description: 'Rôle d’un acteur dans une coalition', valuesConfig: described(MEMBERSHIP_ROLE_LABELS) });
registerEnumType(MembershipStatus, {
  name: 'MembershipStatus',
  description: 'État d’une adhésion',
  valuesConfig: {
    REQUESTED: { description: 'Demandée, en attente d’un coordinateur' },
    INVITED: { description: 'Invitation en attente de réponse' },
    ACTIVE: { description: 'Membre' },
    REJECTED: { description: 'Refusée (demande rejetée ou invitation déclinée)' },
    LEFT: { description: 'A quitté la coalition' },
  },
});
registerEnumType(PartnershipKind, {
  name: 'PartnershipKind',
  description: 'Nature d’un partenariat direct entre deux acteurs',
  valuesConfig: {
    CONVENTION: { description: 'Convention signée' },
    ACCORD_CADRE: { description: 'Accord-cadre' },
    COFINANCEMENT: { description: 'Cofinancement' },
    AUTRE: { description: 'Autre' },
  },
});
registerEnumType(PartnershipStatus, {
  name: 'PartnershipStatus',
  description: 'État d’un partenariat direct',
  valuesConfig: {
    PENDING: { description: 'Déclaré, en attente de confirmation par l’autre acteur' },
    ACTIVE: { description: 'Confirmé par l’autre acteur' },
    DECLINED: { description: 'Refusé par l’autre acteur' },
    ENDED: { description: 'Terminé (ou déclaration retirée avant confirmation)' },
  },
});
registerEnumType(SectorCategory, { name: 'SectorCategory', description: 'Secteur compté pour l’intersectorialité', valuesConfig: described(SECTOR_CATEGORY_LABELS) });
registerEnumType(GraphNodeKind, { name: 'GraphNodeKind', description: 'Nature d’un nœud du graphe' });
registerEnumType(GraphEdgeKind, {
  name: 'GraphEdgeKind',
  description: 'Nature d’un lien du graphe',
  valuesConfig: { MEMBERSHIP: { description: 'Acteur membre d’une coalition' }, PARTNERSHIP: { description: 'Partenariat direct entre deux acteurs' } },
});
registerEnumType(SuggestionReasonKind, {
  name: 'SuggestionReasonKind',
  description: 'Raison d’une suggestion de partenaire',
  valuesConfig: {
    SAME_THEME: { description: 'Même thème' },
    COVERS_COMMUNES: { description: 'Couvre des communes du territoire' },
    MISSING_SECTOR: { description: 'Apporte un secteur absent' },
  },
});
