import { IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { ActorKind } from '../actors/actor-enums.js';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { OptionalList } from '../graphql/fields.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';

/** Levels at which gaps and coverage are computed. */
export const GapLevel = defineEnum('GapLevel');
export type GapLevel = EnumValue<typeof GapLevel>;

/** Orders of the gap list. */
export const GapOrder = defineEnum('GapOrder');
export type GapOrder = EnumValue<typeof GapOrder>;

/** Which coverage counts (migration 1764000000018). */
export const Presence = defineEnum('Presence');
export type Presence = EnumValue<typeof Presence>;

/** How a territory is covered, from the most to the least (the three classes of the map). */
export const PresenceClass = defineEnum('PresenceClass');
export type PresenceClass = EnumValue<typeof PresenceClass>;

/**
 * The four classes of the coverage map: the presence class (NONE and WIDE_ONLY are PresenceClass's
 * own, labels included), local presence split by the freshness of the records
 * (TerritoryCoverage.verifiedLocalActorCount > 0: at least one confirmed within
 * `vocabulary.freshnessMonths`). Its labels are the map legend's.
 */
export const CoverageMapClass = defineEnum('CoverageMapClass');
export type CoverageMapClass = EnumValue<typeof CoverageMapClass>;

/** The map class of a territory's figures. */
export const mapClassOf = (presence: PresenceClass, verifiedLocalActorCount: number): CoverageMapClass =>
  presence === PresenceClass.LOCAL ? (verifiedLocalActorCount > 0 ? CoverageMapClass.LOCAL_VERIFIED : CoverageMapClass.LOCAL_STALE) : presence;

/**
 * What to measure: a scope, a level, themes and the actors that count. Shared by gaps, coverage,
 * the theme matrix and the comparison.
 */
@InputType({
  description:
    'Périmètre, niveau, thèmes et acteurs pris en compte. Seuls les acteurs actifs et validés (reviewStatus VALIDATED) comptent ; un acteur couvre une commune ' +
    'si son territoire d’intervention (déclaré ou par rayon) la contient',
})
export class GapFilterInput {
  @Field(() => TerritoryRefInput, {
    nullable: true,
    description: 'Périmètre : région, département, EPCI ou EPT ; absent, toute la France (COG 2026)',
  })
  @IsOptional()
  @ValidateNested()
  scope?: TerritoryRefInput | null;

  @Field(() => GapLevel, { nullable: true, description: 'Niveau des territoires analysés ; COMMUNE par défaut' }) level?: GapLevel | null;

  @OptionalList(String, 60, {
    description:
      'Codes de thèmes : un acteur compte s’il travaille sur au moins l’un d’eux (un thème inclut ses sous-thèmes). ' +
      'Absent ou vide : tout thème de prévention (tout acteur)',
  })
  themes?: string[] | null;

  @Field(() => Presence, {
    nullable: true,
    description:
      'LOCAL par défaut : un acteur ne compte que là où il est présent localement (commune, arrondissement, EPCI, EPT, département, ' +
      'rayon d’au plus 50 km, ou adresse) ; ANY : toute couverture, régions et France entière comprises',
  })
  presence?: Presence | null;

  @OptionalList(ActorKind, 30, { description: 'Seulement les acteurs de ces natures' }) kinds?: ActorKind[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Vrai : seulement les acteurs de terrain (associations, CPTS, collectivités, établissements, dispositifs), sans les ' +
      'services et agences de l’État (DGS, ARS, préfectures, DRDFE, PJJ, rectorats, CPAM, DDT/DREAL/DRIEAT, DRIHL, ' +
      'DREETS/DRIETS…) ni les instances de démocratie en santé (CRSA, CTS), qui couvrent tout un département, une région ' +
      'ou le pays. Se combine avec kinds',
  })
  @IsOptional()
  fieldActorsOnly?: boolean | null;

  @OptionalList(String, 20, { description: 'Seulement les acteurs visant au moins un de ces publics (codes)' }) audiences?: string[] | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Lacune : moins de N acteurs. Par défaut 1 (aucun acteur) si minActorsPer10k est absent. Avec les deux seuils, ' +
      'un territoire est une lacune s’il manque l’un ou l’autre',
  })
  @IsOptional()
  @Min(1, { message: 'le seuil minActors est d’au moins 1' })
  @Max(100_000, { message: 'le seuil minActors est d’au plus 100 000' })
  minActors?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Lacune : moins de N acteurs pour 10 000 habitants. Un territoire sans population n’est une lacune à ce titre que s’il n’a aucun acteur',
  })
  @IsOptional()
  @Min(0.0001, { message: 'le seuil minActorsPer10k est positif' })
  @Max(100_000, { message: 'le seuil minActorsPer10k est d’au plus 100 000' })
  minActorsPer10k?: number | null;
}
