import { graphql } from './graphql.js';

export const SEARCH_TERRITORIES = graphql(`
  query SearchTerritories($text: String!, $levels: [TerritoryLevel!], $first: Int) {
    searchTerritories(text: $text, levels: $levels, first: $first) {
      code
      level
      name
      postalCodes
      population
      matchLabel
      parents { level code name }
    }
  }
`);

/** A commune page's territory: a commune, or an arrondissement of Paris, Lyon or Marseille (/communes/75118). */
export const COMMUNE = graphql(`
  query Commune($code: String!, $level: TerritoryLevel!) {
    territory(code: $code, level: $level) {
      code
      name
      level
      population
      postalCodes
      lon
      lat
      parents { level code name }
      geometry
    }
  }
`);

/** The taxonomy of the filters: themes (with their parents) and audiences. */
export const THEMES_AND_AUDIENCES = graphql(`
  query ThemesAndAudiences {
    themes { code label parentCode }
    audiences { code label }
  }
`);

export const ACTORS = graphql(`
  query Actors($filter: ActorFilter, $first: Int, $after: String, $orderBy: ActorOrder) {
    actors(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      facets {
        themes { value label count }
        kinds { value label count }
        audiences { value label count }
        presence { value count }
      }
      edges {
        cursor
        distanceKm
        node {
          id
          name
          kind
          kindLabel
          sectorLabel
          isDemo
          reviewStatus
          lon
          lat
          radiusKm
          address
          website
          themes { code label }
          audiences { code label }
          commune { code name }
        }
      }
    }
  }
`);

export const ACTOR = graphql(`
  query Actor($id: ID!) {
    actor(id: $id) {
      id
      name
      kind
      kindLabel
      sector
      sectorLabel
      siren
      siret
      rna
      finess
      address
      postalCode
      communeCode
      lon
      lat
      description
      email
      phone
      website
      openingHours
      openingSchedule { week { day hours } openNow sameEveryWeek }
      radiusKm
      isDemo
      reviewStatus
      source
      sourceLabel
      status
      version
      updatedAt
      verifiedAt
      isStale
      themes { code label }
      audiences { code label }
      commune { code name level lon lat population parents { level code } }
      territories { level code name geometry(simplify: 0.002) }
      coveredCommunes(first: 20) { totalCount nodes { code name } }
    }
  }
`);

export const DEPARTEMENTS_BASE = graphql(`
  query DepartementsBase {
    territory(code: "FR", level: PAYS) {
      children(level: DEPARTEMENT, first: 200) { code name population lon lat geometry(simplify: 0.01) }
    }
  }
`);

export const REGIONS = graphql(`
  query Regions {
    territory(code: "FR", level: PAYS) { children(level: REGION, first: 50) { code name } }
  }
`);

export const DEPARTEMENTS_OF = graphql(`
  query DepartementsOf($code: String!) {
    territory(code: $code, level: REGION) { children(level: DEPARTEMENT, first: 50) { code name } }
  }
`);

export const GAPS_PAGE = graphql(`
  query GapsPage($filter: GapFilterInput, $zoom: Int) {
    coverage(filter: $filter, zoom: $zoom, withDistance: false, compact: true) {
      scope { code name level }
      summary {
        population coveredPopulation coveredPopulationShare communeCount coveredCommuneCount territoryCount uncoveredTerritoryCount gapCount actorCount
        localActorCount wideActorCount wideOnlyCommuneCount wideOnlyPopulation verifiedLocalActorCount staleOnlyCommuneCount staleOnlyPopulation
      }
      bbox
    }
    gaps(filter: $filter, first: 100) {
      totalCount
      territoryCount
      gapPopulation
      rows {
        rank population actorCount localActorCount wideActorCount actorsPer10k uncoveredPopulation coveredPopulationShare nearestActorKm
        territory { code name level }
      }
    }
  }
`);

/** The coverage map with the distance to the nearest actor of every territory, for the GeoJSON export. */
export const COVERAGE_EXPORT = graphql(`
  query CoverageExport($filter: GapFilterInput, $zoom: Int) {
    coverage(filter: $filter, zoom: $zoom, withDistance: true) { features }
  }
`);

export const THEME_MATRIX = graphql(`
  query ThemeMatrixPage($filter: GapFilterInput) {
    themeMatrix(filter: $filter) {
      themes { code label }
      rows { territory { code name } population counts missingThemes }
    }
  }
`);

/** The same indicators for 2 to 4 territories side by side, all themes together and per theme (gaps page, « Comparer »). */
export const COMPARE_COVERAGE = graphql(`
  query CompareCoverage($scopes: [TerritoryRefInput!]!, $filter: GapFilterInput) {
    compareCoverage(scopes: $scopes, filter: $filter) {
      themes { code label }
      scopes {
        scope { level code name }
        summary {
          population coveredPopulationShare communeCount coveredCommuneCount territoryCount uncoveredTerritoryCount gapCount actorCount actorsPer10k
          localActorCount wideActorCount wideOnlyCommuneCount verifiedLocalActorCount staleOnlyCommuneCount
        }
        byTheme { theme { code label } summary { coveredPopulationShare territoryCount gapCount actorCount actorsPer10k } }
      }
    }
  }
`);

/** The French labels of the API's closed lists: loaded once (lib/state/vocabulary.svelte.ts). */
export const VOCABULARY = graphql(`
  query Vocabulary {
    vocabulary {
      actorKinds { code label }
      sectors { code label }
      userRoles { code label }
      coalitionKinds { code label }
      coalitionVisibilities { code label }
      joinPolicies { code label }
      membershipRoles { code label }
      territoryLevels { code label }
      reviewStatuses { code label }
      membershipStatuses { code label }
      partnershipKinds { code label }
      partnershipStatuses { code label }
      notificationKinds { code label }
      freshnessMonths
      presenceClasses { code label }
      coverageMapClasses { code label }
      duplicateReasons { code label }
    }
  }
`);
