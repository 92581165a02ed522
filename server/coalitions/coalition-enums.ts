import { defineEnum, enumLabels, type EnumValue } from '../graphql/enums.js';

export const CoalitionKind = defineEnum('CoalitionKind');
export type CoalitionKind = EnumValue<typeof CoalitionKind>;

export const COALITION_KIND_LABELS = enumLabels(CoalitionKind);

export const CoalitionVisibility = defineEnum('CoalitionVisibility');
export type CoalitionVisibility = EnumValue<typeof CoalitionVisibility>;

export const JoinPolicy = defineEnum('JoinPolicy');
export type JoinPolicy = EnumValue<typeof JoinPolicy>;

export const MembershipRole = defineEnum('MembershipRole');
export type MembershipRole = EnumValue<typeof MembershipRole>;

export const MEMBERSHIP_ROLE_LABELS = enumLabels(MembershipRole);

export const MembershipStatus = defineEnum('MembershipStatus');
export type MembershipStatus = EnumValue<typeof MembershipStatus>;

/** Life of a direct partnership: declared by one side, confirmed (or declined) by the other, ended by either. */
export const PartnershipStatus = defineEnum('PartnershipStatus');
export type PartnershipStatus = EnumValue<typeof PartnershipStatus>;

export const PartnershipKind = defineEnum('PartnershipKind');
export type PartnershipKind = EnumValue<typeof PartnershipKind>;

/**
 * The sectors whose presence makes a coalition intersectoral. They are read from an actor's
 * sector and kind: an association of the social sector counts for both SOCIAL and ASSOCIATIONS.
 */
export const SectorCategory = defineEnum('SectorCategory');
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

export const GraphEdgeKind = defineEnum('GraphEdgeKind');
export type GraphEdgeKind = EnumValue<typeof GraphEdgeKind>;

export const SuggestionReasonKind = defineEnum('SuggestionReasonKind');
export type SuggestionReasonKind = EnumValue<typeof SuggestionReasonKind>;
