import { Ctx, Field, Int, Query, Resolver } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { DuplicateReason } from '../actors/actor-duplicates.js';
import { ActorKind, ReviewStatus, Sector } from '../actors/actor-enums.js';
import { UserRole } from '../auth/auth.types.js';
import {
  CoalitionKind,
  CoalitionVisibility,
  JoinPolicy,
  MembershipRole,
  MembershipStatus,
  PartnershipKind,
  PartnershipStatus,
  SectorCategory,
} from '../coalitions/coalition-enums.js';
import type { Context } from '../graphql/context.js';
import { enumLabels, type EnumObject } from '../graphql/enums.js';
import { CoverageMapClass, PresenceClass } from '../gaps/gap.inputs.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { NotificationKind } from '../notifications/notify.js';

@ObjectType({ description: 'Une valeur d’une liste fermée (le nom de la valeur de l’enum GraphQL) et son libellé français' })
export class VocabularyEntry {
  @Field(() => String, { description: 'La valeur, telle que l’enum GraphQL la nomme' }) code: string;
  @Field(() => String) label: string;
}

const entries = (enumObject: EnumObject<string>): VocabularyEntry[] => Object.entries(enumLabels(enumObject)).map(([code, label]) => ({ code, label }));

/**
 * The French labels of the API's closed lists, read from the labels their enums are declared with
 * (server/graphql/enums.ts): the client shows these and keeps no copy. Themes and audiences have
 * their own queries (`themes`, `audiences`).
 */
@ObjectType({ description: 'Les libellés français des listes fermées de l’API, dans l’ordre de leurs enums' })
export class Vocabulary {
  @Field(() => [VocabularyEntry], { description: 'Natures d’acteurs (enum ActorKind)' })
  actorKinds = entries(ActorKind);

  @Field(() => [VocabularyEntry], { description: 'Secteurs d’activité (enum Sector)' })
  sectors = entries(Sector);

  @Field(() => [VocabularyEntry], { description: 'États de modération d’un acteur (enum ActorReviewStatus)' })
  reviewStatuses = entries(ReviewStatus);

  @Field(() => [VocabularyEntry], { description: 'Rôles des comptes (enum UserRole)' })
  userRoles = entries(UserRole);

  @Field(() => [VocabularyEntry], { description: 'Natures de coalition (enum CoalitionKind)' })
  coalitionKinds = entries(CoalitionKind);

  @Field(() => [VocabularyEntry], { description: 'Visibilités d’une coalition (enum CoalitionVisibility)' })
  coalitionVisibilities = entries(CoalitionVisibility);

  @Field(() => [VocabularyEntry], { description: 'Façons de rejoindre une coalition (enum JoinPolicy)' })
  joinPolicies = entries(JoinPolicy);

  @Field(() => [VocabularyEntry], { description: 'Rôles dans une coalition (enum MembershipRole)' })
  membershipRoles = entries(MembershipRole);

  @Field(() => [VocabularyEntry], { description: 'États d’une adhésion (enum MembershipStatus)' })
  membershipStatuses = entries(MembershipStatus);

  @Field(() => [VocabularyEntry], { description: 'Natures de partenariat direct (enum PartnershipKind)' })
  partnershipKinds = entries(PartnershipKind);

  @Field(() => [VocabularyEntry], { description: 'États d’un partenariat direct (enum PartnershipStatus)' })
  partnershipStatuses = entries(PartnershipStatus);

  @Field(() => [VocabularyEntry], { description: 'Secteurs comptés pour l’intersectorialité (enum SectorCategory)' })
  sectorCategories = entries(SectorCategory);

  @Field(() => [VocabularyEntry], { description: 'Niveaux du découpage administratif, en minuscules (enum TerritoryLevel)' })
  territoryLevels = entries(TerritoryLevel);

  @Field(() => [VocabularyEntry], { description: 'Classes de couverture d’un territoire, légende des cartes (enum PresenceClass)' })
  presenceClasses = entries(PresenceClass);

  @Field(() => [VocabularyEntry], {
    description:
      'Classes de la carte de couverture : les classes de présence, la présence locale distinguant les fiches confirmées depuis moins de ' +
      'freshnessMonths mois (verifiedLocalActorCount > 0) de celles à vérifier',
  })
  coverageMapClasses = entries(CoverageMapClass);

  @Field(() => [VocabularyEntry], { description: 'Ce dont une notification informe (enum NotificationKind)' })
  notificationKinds = entries(NotificationKind);

  @Field(() => [VocabularyEntry], { description: 'Raisons d’une paire de doublons possibles (enum DuplicateReason)' })
  duplicateReasons = entries(DuplicateReason);

  @Field(() => Int, {
    description: 'Mois après lesquels une fiche non confirmée est à vérifier (Actor.isStale ; FRESHNESS_MONTHS du serveur, 18 par défaut)',
  })
  freshnessMonths: number;
}

const VOCABULARY = new Vocabulary();

@Resolver()
export class VocabularyResolver {
  @Query(() => Vocabulary, {
    description: 'Les libellés français des listes fermées (natures, secteurs, rôles, états, niveaux…) et le seuil de fraîcheur des fiches, publics',
  })
  vocabulary(@Ctx() { services }: Context): Vocabulary {
    return { ...VOCABULARY, freshnessMonths: services.freshness.months };
  }
}
