import { Field, Float, ID, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { Actor } from '../actors/actor.entity.js';
import { Coalition } from '../coalitions/coalition.entity.js';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { Theme } from '../themes/theme.entity.js';
import { Territory } from '../territories/territory.entity.js';
import { PresenceCounts, WithWideOnlyCounts } from '../gaps/presence-counts.js';

/** How the perimeter was given. */
export const PerimeterKind = defineEnum('PerimeterKind');
export type PerimeterKind = EnumValue<typeof PerimeterKind>;

/** Where the figures of one table come from, and when they were read. */
@ObjectType({ description: 'Source d’un tableau du diagnostic et date de lecture des données' })
export class DiagnosticSource {
  @Field(() => String, { description: 'Source, en une phrase' }) label: string;
  @Field(() => Date, { description: 'Date et heure de lecture des données' }) date: Date;
}

@ObjectType({ description: 'Périmètre d’un diagnostic territorial' })
export class DiagnosticPerimeter {
  @Field(() => PerimeterKind) kind: PerimeterKind;
  @Field(() => String, { description: 'Libellé : nom et code du territoire, ou nombre de communes de la liste' }) label: string;
  @Field(() => Territory, { nullable: true, description: 'Le territoire (périmètre TERRITORY)' }) territory: Territory | null;
  @Field(() => [Territory], { nullable: true, description: 'Les communes de la liste, par nom (périmètre COMMUNES)' }) communes: Territory[] | null;
  @Field(() => Int) communeCount: number;
  @Field(() => Int, { description: 'Population municipale des communes du périmètre' }) population: number;
}

/** The figures of one theme (or of all themes together) over the perimeter's communes. */
@ObjectType({
  description:
    'Chiffres d’un thème sur le périmètre. Présence locale : l’acteur intervient sur la commune, l’arrondissement, l’EPCI ou ' +
    'l’EPT, le département, dans un rayon d’au plus 50 km, ou y a son adresse ; une région ou la France entière n’est qu’une ' +
    'couverture large. Une lacune est une commune sans présence locale',
})
export class DiagnosticThemeFigures extends WithWideOnlyCounts(
  PresenceCounts({
    localActorCount: 'Acteurs présents localement dans au moins une commune du périmètre',
    wideActorCount: 'Acteurs qui couvrent le périmètre sans y être présents localement (régionaux, nationaux)',
  }),
  { wideOnlyCommuneCount: 'Parmi les lacunes, communes couvertes seulement par des acteurs régionaux ou nationaux' },
) {
  @Field(() => Theme, { nullable: true, description: 'Le thème ; null pour l’ensemble des thèmes' }) theme: Theme | null;
  @Field(() => Int) communeCount: number;
  @Field(() => Int) population: number;
  @Field(() => Int, { description: 'Communes avec au moins un acteur présent localement' }) localCommuneCount: number;
  @Field(() => Int, { description: 'Population de ces communes' }) localPopulation: number;
  @Field(() => Int, { description: 'Lacunes : communes sans aucun acteur présent localement' }) gapCount: number;
  @Field(() => Int, { description: 'Population des lacunes' }) gapPopulation: number;
}

@ObjectType({ description: 'Acteurs et lacunes du périmètre, thème par thème' })
export class DiagnosticCoverage {
  @Field(() => DiagnosticThemeFigures, { description: 'Tous thèmes de prévention ensemble' }) overall: DiagnosticThemeFigures;
  @Field(() => [DiagnosticThemeFigures], { description: 'Chaque thème de premier niveau, dans l’ordre de la taxonomie' }) byTheme: DiagnosticThemeFigures[];
  @Field(() => Boolean, { description: 'Vrai si seuls les acteurs de terrain comptent (sans services de l’État ni instances)' }) fieldActorsOnly: boolean;
  @Field(() => DiagnosticSource) source: DiagnosticSource;
}

@ObjectType({ description: 'Une coalition du périmètre dans le graphe' })
export class DiagnosticCoalition {
  @Field(() => Coalition) coalition: Coalition;
  @Field(() => Int, { description: 'Membres actifs parmi les acteurs du périmètre' }) memberCount: number;
  @Field(() => Int, { nullable: true, description: 'Composante connexe (index dans le graphe), null si isolée' }) component: number | null;
}

@ObjectType({ description: 'Un acteur « pont » : il relie des coalitions ou des acteurs qui sans lui seraient loin' })
export class DiagnosticBridge {
  @Field(() => ID) id: string;
  @Field(() => String) name: string;
  @Field(() => Int, { description: 'Liens : adhésions et partenariats' }) degree: number;
  @Field(() => Float, { description: 'Centralité d’intermédiarité normalisée (0 à 1)' }) betweenness: number;
}

@ObjectType({ description: 'Coalitions du périmètre et résumé de leur graphe (acteurs du périmètre, adhésions, partenariats)' })
export class DiagnosticNetwork {
  @Field(() => [DiagnosticCoalition], { description: 'Coalitions visibles situées dans le périmètre ou le contenant, en cours' })
  coalitions: DiagnosticCoalition[];

  @Field(() => Int, { description: 'Acteurs du graphe (ceux qui couvrent le périmètre)' }) actorCount: number;
  @Field(() => Int, { description: 'Liens : adhésions actives et partenariats' }) linkCount: number;
  @Field(() => Int, { description: 'Composantes connexes de plus d’un nœud' }) componentCount: number;
  @Field(() => Int, { description: 'Acteurs de la plus grande composante' }) largestComponentActorCount: number;
  @Field(() => Int, { description: 'Acteurs sans aucun lien' }) isolatedActorCount: number;

  @Field(() => [DiagnosticBridge], { description: 'Les dix acteurs les plus centraux (intermédiarité positive), du plus central au moins' })
  bridges: DiagnosticBridge[];

  @Field(() => Boolean, { description: 'Vrai si le graphe a été coupé (trop d’acteurs)' }) truncated: boolean;
  @Field(() => DiagnosticSource) source: DiagnosticSource;
}

@ObjectType({ description: 'Une fiche à vérifier : seule présence locale, périmée, d’au moins une commune du périmètre' })
export class DiagnosticRecordToVerify {
  @Field(() => Actor) actor: Actor;
  @Field(() => Int, { description: 'Communes du périmètre dont elle est, avec d’autres fiches périmées, la seule présence locale' }) communeCount: number;
}

@ObjectType({ description: 'Fraîcheur des fiches des acteurs présents localement dans le périmètre' })
export class DiagnosticFreshness {
  @Field(() => Int, { description: 'Mois au-delà desquels une fiche non confirmée est à vérifier' }) months: number;
  @Field(() => Int, { description: 'Acteurs présents localement' }) actorCount: number;
  @Field(() => Int, { description: 'Fiches confirmées depuis moins de « months » mois' }) freshCount: number;
  @Field(() => Int, { description: 'Fiches confirmées il y a plus de « months » mois' }) staleCount: number;
  @Field(() => Int, { description: 'Fiches jamais confirmées' }) neverVerifiedCount: number;
  @Field(() => Int, { description: 'Communes dont toute la présence locale repose sur des fiches à vérifier' }) staleOnlyCommuneCount: number;
  @Field(() => Int) staleOnlyPopulation: number;
  @Field(() => [DiagnosticRecordToVerify], { description: 'Les vingt fiches à vérifier en priorité' }) toVerify: DiagnosticRecordToVerify[];
  @Field(() => DiagnosticSource) source: DiagnosticSource;
}

@ObjectType({ description: 'Diagnostic territorial : acteurs, lacunes, coalitions et fraîcheur des fiches d’un périmètre' })
export class TerritorialDiagnostic {
  @Field(() => DiagnosticPerimeter) perimeter: DiagnosticPerimeter;
  @Field(() => Date, { description: 'Date et heure du diagnostic' }) generatedAt: Date;
  @Field(() => DiagnosticCoverage) coverage: DiagnosticCoverage;
  @Field(() => DiagnosticNetwork) network: DiagnosticNetwork;
  @Field(() => DiagnosticFreshness) freshness: DiagnosticFreshness;
}
