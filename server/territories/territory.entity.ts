import { Field, Float, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { Sql } from '../db/sql.js';
import { TerritoryLevel, TerritoryMatch } from './territory-level.js';

/**
 * A territory of the official geography: commune, arrondissement municipal, EPCI, EPT,
 * département or région. Boundaries stay out of default selects; `geometry` serves them.
 */
@ObjectType({ description: 'Territoire du découpage administratif officiel (COG 2026)' })
export class Territory {
  @Field(() => TerritoryLevel, { description: 'Niveau' }) level: TerritoryLevel;
  @Field(() => String, { description: 'Code officiel : INSEE pour communes, départements et régions ; SIREN pour EPCI et EPT' }) code: string;
  @Field(() => String, { description: 'Nom officiel' }) name: string;

  @Field(() => String, {
    nullable: true,
    description: 'Nature : CC, CA, CU, METRO ou EPT pour les intercommunalités ; metro, drom ou com pour les communes',
  })
  kind: string | null;

  @Field(() => Int, { nullable: true, description: 'Population municipale (recensement, millésime du COG 2026)' }) population: number | null;
  @Field(() => [String], { description: 'Codes postaux (communes et arrondissements)' }) postalCodes: string[];

  communeCode: string | null;

  epciCode: string | null;

  eptCode: string | null;

  departementCode: string | null;

  regionCode: string | null;

  @Field(() => Boolean, { description: 'Vrai si le territoire a un contour connu' }) hasGeometry: boolean;
  @Field(() => Float, { nullable: true, description: 'Longitude d’un point intérieur au territoire (pour centrer une carte)' }) lon: number | null;
  @Field(() => Float, { nullable: true, description: 'Latitude d’un point intérieur au territoire' }) lat: number | null;

  @Field(() => TerritoryMatch, { nullable: true, description: 'Dans une réponse de searchTerritories, ce qui l’a fait trouver ; null ailleurs' })
  matchedBy?: TerritoryMatch | null;
}

/** The columns every territory query selects, mapped by `toTerritory`. */
export const TERRITORY_COLUMNS = `t.level, t.code, t.name, t.kind, t.population, t.postal_codes,
  t.commune_code, t.epci_code, t.ept_code, t.departement_code, t.region_code, (t.geom IS NOT NULL) AS has_geometry,
  ST_X(t.label_point) AS lon, ST_Y(t.label_point) AS lat`;

/** TERRITORY_COLUMNS as a fragment of tagged SQL (a constant: trusted by construction). */
export const TERRITORY_SELECT: Sql = Sql.trusted(TERRITORY_COLUMNS);

/** The stored columns of a territory (boundaries aside), as the seed writes them. */
export interface TerritoryRecord {
  level: TerritoryLevel;
  code: string;
  name: string;
  kind: string | null;
  population: number | null;
  postal_codes: string[];
  commune_code: string | null;
  epci_code: string | null;
  ept_code: string | null;
  departement_code: string | null;
  region_code: string | null;
}

/** A territory as TERRITORY_COLUMNS reads it. */
export interface TerritoryRow extends TerritoryRecord {
  has_geometry: boolean;
  lon: number | null;
  lat: number | null;
}

export function toTerritory(row: TerritoryRow): Territory {
  const t = new Territory();
  t.level = row.level;
  t.code = row.code;
  t.name = row.name;
  t.kind = row.kind;
  t.population = row.population;
  t.postalCodes = row.postal_codes ?? [];
  t.communeCode = row.commune_code;
  t.epciCode = row.epci_code;
  t.eptCode = row.ept_code;
  t.departementCode = row.departement_code;
  t.regionCode = row.region_code;
  t.hasGeometry = row.has_geometry;
  t.lon = row.lon === null || row.lon === undefined ? null : Number(row.lon);
  t.lat = row.lat === null || row.lat === undefined ? null : Number(row.lat);
  return t;
}

/** Key of a territory in loaders and maps. */
export const territoryKey = (level: TerritoryLevel, code: string) => `${level}:${code}`;
