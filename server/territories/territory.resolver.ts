import { Arg, Ctx, FieldResolver, Float, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { badInput } from '../graphql/errors.js';
import { GeoJSONScalar } from '../graphql/geojson.scalar.js';
import { matchLabel, TerritoryLevel } from './territory-level.js';
import { Territory } from './territory.entity.js';

@Resolver(() => Territory)
export class TerritoryResolver {
  @Query(() => Territory, { description: 'Un territoire par son code officiel ; sans niveau, la forme du code le détermine' })
  territory(
    @Arg('code', () => String) code: string,
    @Arg('level', () => TerritoryLevel, { nullable: true }) level: TerritoryLevel | null,
    @Ctx() { services }: Context,
  ): Promise<Territory> {
    return services.territories.get(code, level);
  }

  @Query(() => [Territory], {
    description:
      'Recherche par nom (sans tenir compte des accents, de la casse ni des fautes de frappe), code postal ou code officiel. ' +
      'Cinq chiffres donnent la commune de ce code INSEE et celles de ce code postal, les plus peuplées d’abord (`matchedBy` dit lequel)',
  })
  searchTerritories(
    @Arg('text', () => String) text: string,
    @Arg('levels', () => [TerritoryLevel], { nullable: true }) levels: TerritoryLevel[] | null,
    @Arg('first', () => Int, { defaultValue: 10 }) first: number,
    @Ctx() { services }: Context,
  ): Promise<Territory[]> {
    checkArgs('Query.searchTerritories', { first, levels });
    return services.territories.search(text, levels, first);
  }

  @Query(() => Territory, {
    nullable: true,
    description: 'Le territoire qui contient un point (longitude, latitude WGS84) ; null en mer ou hors de France',
  })
  territoryAt(
    @Arg('lon', () => Float) lon: number,
    @Arg('lat', () => Float) lat: number,
    @Arg('level', () => TerritoryLevel, { defaultValue: TerritoryLevel.COMMUNE }) level: TerritoryLevel,
    @Ctx() { services }: Context,
  ): Promise<Territory | null> {
    return services.territories.at(lon, lat, level);
  }

  @FieldResolver(() => [Territory], {
    description: 'Territoires englobants, du plus proche au plus large : commune, EPT, EPCI, département, région',
  })
  async parents(@Root() t: Territory, @Ctx() { services, loaders }: Context): Promise<Territory[]> {
    const found = await loaders.territory.loadMany(services.territories.parentRefs(t));
    return found.filter((x): x is Territory => x instanceof Object && !(x instanceof Error));
  }

  @FieldResolver(() => Territory, { nullable: true, description: 'Territoire englobant le plus proche' })
  async parent(@Root() t: Territory, @Ctx() { services, loaders }: Context): Promise<Territory | null> {
    const ref = services.territories.parentRefs(t)[0];
    return ref ? loaders.territory.load(ref) : null;
  }

  @FieldResolver(() => [Territory], {
    description:
      "Territoires contenus, les plus peuplés d'abord. Par défaut le niveau juste en dessous : région → départements, département → EPCI, EPCI ou EPT → communes, commune → arrondissements",
  })
  children(
    @Root() t: Territory,
    @Arg('level', () => TerritoryLevel, { nullable: true }) level: TerritoryLevel | null,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Ctx() { services }: Context,
  ): Promise<Territory[]> {
    checkArgs('Territory.children', { first });
    return services.territories.children(t, level, first);
  }

  @FieldResolver(() => [Territory], {
    description:
      'Communes voisines d’une commune ou d’un arrondissement (pour un arrondissement : les autres arrondissements et les communes autour de sa ville), ' +
      'les plus peuplées d’abord ; vide aux autres niveaux',
  })
  neighbors(@Root() t: Territory, @Arg('first', () => Int, { defaultValue: 40 }) first: number, @Ctx() { loaders }: Context): Promise<Territory[]> {
    checkArgs('Territory.neighbors', { first });
    return loaders.neighbors.load({ level: t.level, code: t.code, first });
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Dans une réponse de searchTerritories, ce qui l’a fait trouver en mots : « code INSEE », « code SIREN », « code postal » ou « nom »',
  })
  matchLabel(@Root() t: Territory): string | null {
    return t.matchedBy ? matchLabel(t.level, t.matchedBy) : null;
  }

  @FieldResolver(() => GeoJSONScalar, {
    nullable: true,
    description: 'Contour en GeoJSON (MultiPolygon), simplifié si une tolérance en degrés est donnée (0.001 ≈ 100 m)',
  })
  geometry(
    @Root() t: Territory,
    @Arg('simplify', () => Float, { nullable: true }) simplify: number | null,
    @Ctx() { loaders }: Context,
  ): Promise<object | null> {
    if (simplify !== null && simplify !== undefined && !(simplify >= 0 && simplify <= 1)) {
      throw badInput('« simplify » doit être compris entre 0 et 1 degré', 'simplify');
    }
    if (!t.hasGeometry) return Promise.resolve(null);
    return loaders.geometry.load({ level: t.level, code: t.code, simplify: simplify || null });
  }
}
