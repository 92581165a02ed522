import { graphql } from './graphql.js';

/** The figures of one theme row of the diagnostic. */
const FIGURES = graphql(`
  fragment DiagnosticFigures on DiagnosticThemeFigures {
    theme { code label }
    localActorCount
    wideActorCount
    communeCount
    population
    localCommuneCount
    localPopulation
    gapCount
    gapPopulation
    wideOnlyCommuneCount
    wideOnlyPopulation
  }
`);

/** The territorial diagnostic of one territory, or of a list of communes (one of the two). */
export const TERRITORIAL_DIAGNOSTIC = graphql(
  `
    query TerritorialDiagnostic($territory: TerritoryRefInput, $communes: [String!], $fieldActorsOnly: Boolean) {
      territorialDiagnostic(perimeter: { territory: $territory, communes: $communes }, fieldActorsOnly: $fieldActorsOnly) {
        generatedAt
        perimeter {
          kind
          label
          communeCount
          population
          territory { level code name }
          communes { code name }
        }
        coverage {
          fieldActorsOnly
          overall { ...DiagnosticFigures }
          byTheme { ...DiagnosticFigures }
          source { label date }
        }
        network {
          actorCount
          linkCount
          componentCount
          largestComponentActorCount
          isolatedActorCount
          truncated
          coalitions {
            memberCount
            coalition { id name kind territoryLevel territoryCode territory { name } }
          }
          bridges { id name degree betweenness }
          source { label date }
        }
        freshness {
          months
          actorCount
          freshCount
          staleCount
          neverVerifiedCount
          staleOnlyCommuneCount
          staleOnlyPopulation
          toVerify { communeCount actor { id name verifiedAt } }
          source { label date }
        }
      }
    }
  `,
  [FIGURES],
);
