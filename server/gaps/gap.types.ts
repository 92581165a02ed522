import { Field, Float, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { GeoJSONScalar } from '../graphql/geojson.scalar.js';
import { Theme } from '../themes/theme.entity.js';
import { Territory } from '../territories/territory.entity.js';
import { CoverageMapClass, GapLevel, PresenceClass } from './gap.inputs.js';
import { PresenceCounts, WithWideOnlyCounts, type PresenceCountDescriptions } from './presence-counts.js';

/** How a coverage type words the figures it shares with the other: over one territory, or over a perimeter. */
interface CoverageFigureDescriptions extends PresenceCountDescriptions {
  population: string;
  actorCount: string;
  actorsPer10k: string;
  communeCount: string;
  coveredCommuneCount: string;
  coveredPopulation: string;
  coveredPopulationShare: string;
}

/**
 * The figures of a territory's coverage that a perimeter's summary gives too, each type describing them
 * its way: population, actors by reach, communes and population covered. An abstract base, like
 * `Analysis` below; its fields come first in each type.
 */
function CoverageFigures(descriptions: CoverageFigureDescriptions) {
  @ObjectType()
  abstract class CoverageFiguresBase extends PresenceCounts(descriptions) {
    @Field(() => Int, { description: descriptions.population }) population: number;
    @Field(() => Int, { description: descriptions.actorCount }) actorCount: number;
    @Field(() => Float, { nullable: true, description: descriptions.actorsPer10k }) actorsPer10k: number | null;
    @Field(() => Int, { description: descriptions.communeCount }) communeCount: number;
    @Field(() => Int, { description: descriptions.coveredCommuneCount }) coveredCommuneCount: number;
    @Field(() => Int, { description: descriptions.coveredPopulation }) coveredPopulation: number;
    @Field(() => Float, { nullable: true, description: descriptions.coveredPopulationShare }) coveredPopulationShare: number | null;
  }
  return CoverageFiguresBase;
}

/** The coverage figures of one territory for one set of themes. */
@ObjectType({
  description:
    'Couverture d’un territoire. Une commune est couverte si au moins un acteur retenu la couvre. Un EPCI ou un département ' +
    'est couvert (covered) dès qu’au moins une de ses communes l’est ; coveredPopulationShare donne en plus la part de sa ' +
    'population vivant dans une commune couverte',
})
export class TerritoryCoverage extends CoverageFigures({
  localActorCount: 'Acteurs présents localement (commune, arrondissement, EPCI, EPT, département, rayon d’au plus 50 km, ou adresse)',
  wideActorCount: 'Acteurs qui ne couvrent le territoire qu’à l’échelle d’une région ou de la France entière (ou d’un rayon de plus de 50 km)',
  population: 'Population municipale (somme de celle des communes membres pour un EPCI ou un département)',
  actorCount: 'Nombre d’acteurs distincts retenus couvrant le territoire : pour un EPCI ou un département, ceux qui couvrent au moins une de ses communes',
  actorsPer10k: 'Acteurs pour 10 000 habitants (null si population nulle)',
  communeCount: 'Nombre de communes (1 au niveau communal)',
  coveredCommuneCount: 'Communes couvertes par au moins un acteur',
  coveredPopulation: 'Population des communes couvertes',
  coveredPopulationShare: 'Part (0 à 1) de la population vivant dans une commune couverte ; null si population nulle',
}) {
  @Field(() => Territory) territory: Territory;

  @Field(() => PresenceClass, { description: 'Classe de la carte : présence locale, seulement des acteurs régionaux ou nationaux, ou aucun acteur' })
  presence: PresenceClass;

  @Field(() => Int, {
    description:
      'Parmi les acteurs présents localement, ceux dont la fiche a été confirmée il y a moins de `vocabulary.freshnessMonths` mois ' +
      '(les autres sont à vérifier) ; la carte distingue ainsi une présence locale vérifiée d’une présence locale à vérifier',
  })
  verifiedLocalActorCount: number;

  @Field(() => CoverageMapClass, {
    description: 'Classe de la carte : la présence, la présence locale distinguant les fiches confirmées récemment (verifiedLocalActorCount > 0)',
  })
  mapClass: CoverageMapClass;

  @Field(() => Boolean, { description: 'Vrai si au moins un acteur couvre le territoire (au moins une commune pour un EPCI ou un département)' })
  covered: boolean;

  @Field(() => Boolean, { description: 'Vrai si le territoire est sous le seuil demandé (minActors, minActorsPer10k)' }) isGap: boolean;
  @Field(() => Int, { description: 'Population des communes sans aucun acteur' }) uncoveredPopulation: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Distance en km du territoire (son contour, pas son centre : 0 si un acteur y est situé) au lieu de l’acteur retenu le plus proche ' +
      '(qu’il couvre ou non le territoire) ; null sans contour connu ou sans acteur localisé',
  })
  nearestActorKm: number | null;

  @Field(() => Int, { nullable: true, description: 'Rang parmi les lacunes, selon l’ordre demandé (1 = première) ; null si ce n’est pas une lacune' })
  rank: number | null;
}

@ObjectType({ description: 'Indicateurs d’un périmètre (population et communes du périmètre ; territoires au niveau demandé)' })
export class CoverageSummary extends WithWideOnlyCounts(
  CoverageFigures({
    localActorCount: 'Acteurs distincts présents localement dans au moins une commune du périmètre',
    wideActorCount: 'Acteurs distincts couvrant le périmètre sans y être présents localement (échelle régionale ou nationale)',
    population: 'Population du périmètre',
    actorCount: 'Acteurs distincts retenus couvrant au moins une commune du périmètre (présents localement sous presence LOCAL)',
    actorsPer10k: 'Acteurs pour 10 000 habitants du périmètre',
    communeCount: 'Communes du périmètre',
    coveredCommuneCount: 'Communes du périmètre couvertes',
    coveredPopulation: 'Population des communes du périmètre couvertes par au moins un acteur',
    coveredPopulationShare: 'Part (0 à 1) de la population couverte',
  }),
  {
    wideOnlyCommuneCount: 'Communes du périmètre couvertes seulement par des acteurs régionaux ou nationaux',
    wideOnlyPopulation: 'Population de ces communes',
  },
) {
  @Field(() => Int, { description: 'Territoires au niveau demandé' }) territoryCount: number;
  @Field(() => Int, { description: 'Territoires sans aucun acteur (aucune commune couverte pour un EPCI ou un département)' }) uncoveredTerritoryCount: number;
  @Field(() => Int, { description: 'Territoires sous le seuil demandé (lacunes)' }) gapCount: number;

  @Field(() => Int, {
    description: 'Acteurs distincts présents localement dans le périmètre dont la fiche a été confirmée il y a moins de `vocabulary.freshnessMonths` mois',
  })
  verifiedLocalActorCount: number;

  @Field(() => Int, {
    description: 'Communes du périmètre où la présence locale ne repose que sur des fiches à vérifier (aucune confirmée récemment)',
  })
  staleOnlyCommuneCount: number;

  @Field(() => Int, { description: 'Population de ces communes' }) staleOnlyPopulation: number;
}

@ObjectType({ description: 'Indicateurs d’un périmètre pour un thème' })
export class ThemeCoverage {
  @Field(() => Theme) theme: Theme;
  @Field(() => CoverageSummary) summary: CoverageSummary;
}

const CHOSEN_THEMES = 'Thèmes retenus (vide : tout thème)';

/**
 * What an analysis answers for: its scope, level and themes, each result describing them its way.
 * An abstract base: no field returns it, so it never reaches the schema; its fields come first in
 * each result's type, as they were written there.
 */
function Analysis(descriptions: { scope?: string; themes: string }) {
  @ObjectType()
  abstract class AnalysisBase {
    @Field(() => Territory, { description: descriptions.scope }) scope: Territory;
    @Field(() => GapLevel) level: GapLevel;
    @Field(() => [Theme], { description: descriptions.themes }) themes: Theme[];
  }
  return AnalysisBase;
}

@ObjectType({ description: 'Lacunes : les territoires du périmètre sous le seuil, classés' })
export class GapResult extends Analysis({ scope: 'Périmètre (la France entière : niveau PAYS, code FR)', themes: CHOSEN_THEMES }) {
  @Field(() => Int, { description: 'Nombre de lacunes' }) totalCount: number;
  @Field(() => Int, { description: 'Territoires examinés au niveau demandé' }) territoryCount: number;
  @Field(() => Int, { description: 'Population totale des lacunes' }) gapPopulation: number;
  @Field(() => [TerritoryCoverage], { description: 'Une page de lacunes, dans l’ordre demandé' }) rows: TerritoryCoverage[];
}

@ObjectType({ description: 'Couverture de tous les territoires d’un périmètre, prête pour une carte choroplèthe' })
export class CoverageResult extends Analysis({ themes: CHOSEN_THEMES }) {
  @Field(() => CoverageSummary, { description: 'Indicateurs pour l’ensemble des thèmes retenus' }) summary: CoverageSummary;

  @Field(() => [ThemeCoverage], {
    description: 'Les mêmes indicateurs thème par thème (les thèmes demandés, ou sinon chaque thème de premier niveau)',
  })
  byTheme: ThemeCoverage[];

  @Field(() => GeoJSONScalar, {
    description:
      'FeatureCollection GeoJSON : un Feature par territoire (id = code), contour simplifié pour le zoom (5 décimales), ' +
      'propriétés code, name, level, population, actorCount, actorsPer10k, covered, isGap, communeCount, coveredCommuneCount, ' +
      'coveredPopulation, coveredPopulationShare, uncoveredPopulation, nearestActorKm, rank',
  })
  features: unknown;

  @Field(() => [Float], {
    nullable: true,
    description: 'Emprise des territoires du périmètre [ouest, sud, est, nord] en degrés (WGS 84) ; absente sans contours',
  })
  bbox: [number, number, number, number] | null;
}

@ObjectType({ description: 'Une ligne de la matrice : un territoire et ses effectifs d’acteurs par thème' })
export class ThemeMatrixRow {
  @Field(() => Territory) territory: Territory;
  @Field(() => Int) population: number;
  @Field(() => [Int], { description: 'Acteurs couvrant le territoire, par thème, dans l’ordre de « themes »' }) counts: number[];
  @Field(() => [String], { description: 'Codes des thèmes sans aucun acteur sur ce territoire' }) missingThemes: string[];
}

@ObjectType({ description: 'Matrice territoires × thèmes' })
export class ThemeMatrix extends Analysis({ themes: 'Colonnes' }) {
  @Field(() => [ThemeMatrixRow], { description: 'Lignes, par population décroissante' }) rows: ThemeMatrixRow[];
  @Field(() => [ThemeCoverage], { description: 'Indicateurs du périmètre par thème (même ordre que les colonnes)' }) totals: ThemeCoverage[];
}

@ObjectType({ description: 'Un périmètre de la comparaison' })
export class ScopeCoverage {
  @Field(() => Territory) scope: Territory;
  @Field(() => CoverageSummary) summary: CoverageSummary;
  @Field(() => [ThemeCoverage]) byTheme: ThemeCoverage[];
}

@ObjectType({ description: 'Comparaison de périmètres avec les mêmes indicateurs' })
export class CoverageComparison {
  @Field(() => GapLevel) level: GapLevel;
  @Field(() => [Theme]) themes: Theme[];
  @Field(() => [ScopeCoverage], { description: 'Dans l’ordre demandé' }) scopes: ScopeCoverage[];
}
