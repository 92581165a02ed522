import { graphql } from './graphql.js';

/** The « Doublons possibles » page (/doublons): pairs of actors that may be one structure, and their merge. */

export const DUPLICATE_ACTORS = graphql(`
  query DuplicateActors($region: String, $first: Int, $after: String) {
    duplicateActors(region: $region, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          reasons
          nameSimilarity
          viewerCanMerge
          a { id name kindLabel siren siret rna finess website email address reviewStatus commune { code name } }
          b { id name kindLabel siren siret rna finess website email address reviewStatus commune { code name } }
        }
      }
    }
  }
`);

export const MERGE_ACTORS = graphql(`
  mutation MergeActors($keep: ID!, $remove: ID!) {
    mergeActors(keep: $keep, remove: $remove) { id name version }
  }
`);
