import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Info, Int, Query, Resolver } from 'type-graphql';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { selectsPath } from '../graphql/selection.js';
import { GapFilterInput, GapOrder } from './gap.inputs.js';
import { CoverageComparison, CoverageResult, GapResult, ThemeMatrix } from './gap.types.js';

@Resolver()
export class GapResolver {
  @Query(() => GapResult, {
    description:
      'Lacunes : territoires du périmètre sans acteur (ou sous le seuil minActors / minActorsPer10k) pour les thèmes, natures et ' +
      'publics donnés, classés (par défaut, les plus grandes populations sans aucun acteur d’abord). La distance à l’acteur le plus ' +
      'proche n’est calculée que si nearestActorKm est demandé',
  })
  async gaps(
    @Arg('filter', () => GapFilterInput, { nullable: true }) filter: GapFilterInput | null,
    @Arg('orderBy', () => GapOrder, { defaultValue: GapOrder.UNCOVERED_POPULATION }) orderBy: GapOrder,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Taille de page (0 à 5 000)' }) first: number,
    @Arg('offset', () => Int, { defaultValue: 0, description: 'Lacunes à sauter (pagination)' }) offset: number,
    @Ctx() { services }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<GapResult> {
    checkArgs('Query.gaps', { first, offset });
    const result = await services.gaps.gaps(filter ?? {}, orderBy, first, offset, selectsPath(info, ['rows', 'nearestActorKm']));
    return {
      scope: result.spec.scope,
      level: result.spec.level,
      themes: result.spec.themes,
      totalCount: result.totalCount,
      territoryCount: result.territoryCount,
      gapPopulation: result.gapPopulation,
      rows: result.rows,
    };
  }

  @Query(() => CoverageResult, {
    description:
      'Couverture de chaque territoire du périmètre, en FeatureCollection GeoJSON prête pour une carte choroplèthe, avec les ' +
      'indicateurs du périmètre (ensemble et par thème)',
  })
  async coverage(
    @Arg('filter', () => GapFilterInput, { nullable: true }) filter: GapFilterInput | null,
    @Arg('zoom', () => Int, {
      nullable: true,
      description: 'Niveau de zoom de la carte (0 à 18) : simplifie les contours à un demi-pixel ; absent, contours d’affichage enregistrés',
    })
    zoom: number | null,
    @Arg('withDistance', () => Boolean, {
      defaultValue: true,
      description: 'Calculer nearestActorKm pour chaque territoire',
    })
    withDistance: boolean,
    @Arg('compact', () => Boolean, {
      defaultValue: false,
      description:
        'Vrai : propriétés réduites à ce qu’une carte dessine (code, name, population, actorCount, isGap, covered), ' +
        'pour alléger les grandes cartes ; faux : tous les indicateurs de chaque territoire',
    })
    compact: boolean,
    @Ctx() { services }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<CoverageResult> {
    const result = await services.gaps.coverage(filter ?? {}, zoom ?? null, withDistance && !compact, compact, selectsPath(info, ['features']));
    return {
      scope: result.spec.scope,
      level: result.spec.level,
      themes: result.spec.themes,
      summary: result.summary,
      byTheme: result.byTheme,
      features: result.features,
      bbox: result.bbox,
    };
  }

  @Query(() => ThemeMatrix, {
    description: 'Matrice territoires × thèmes du périmètre : nombre d’acteurs par thème (les thèmes demandés, ou chaque thème de premier niveau)',
  })
  async themeMatrix(
    @Arg('filter', () => GapFilterInput, { nullable: true }) filter: GapFilterInput | null,
    @Ctx() { services }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ThemeMatrix> {
    const result = await services.gaps.matrix(filter ?? {}, selectsPath(info, ['totals']));
    return { scope: result.spec.scope, level: result.spec.level, themes: result.themes, rows: result.rows, totals: result.totals };
  }

  @Query(() => CoverageComparison, {
    description:
      'Comparaison de 2 à 6 périmètres (deux départements, un département et sa région…) avec les mêmes indicateurs, ' +
      'pour l’ensemble des thèmes retenus et thème par thème',
  })
  async compareCoverage(
    @Arg('scopes', () => [TerritoryRefInput]) scopes: TerritoryRefInput[],
    @Arg('filter', () => GapFilterInput, { nullable: true, description: 'Sans « scope »' }) filter: GapFilterInput | null,
    @Ctx() { services }: Context,
  ): Promise<CoverageComparison> {
    checkArgs('Query.compareCoverage', { scopes });
    const result = await services.gaps.compare(scopes, filter);
    return { level: result.spec.level, themes: result.spec.themes, scopes: result.scopes };
  }
}
