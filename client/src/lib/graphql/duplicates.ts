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

/** « Pas un doublon »: the pair leaves the list for everyone; a pair already set aside answers the first decision. */
export const DISMISS_DUPLICATE = graphql(`
  mutation DismissDuplicate($a: ID!, $b: ID!, $reason: String) {
    dismissDuplicate(a: $a, b: $b, reason: $reason) { id }
  }
`);

/** « Rétablir » (administrators): the pair set aside comes back to the list. */
export const RESTORE_DUPLICATE = graphql(`
  mutation RestoreDuplicate($a: ID!, $b: ID!) {
    restoreDuplicate(a: $a, b: $b) { id restoredAt }
  }
`);

export const DISMISSED_DUPLICATES = graphql(`
  query DismissedDuplicates($region: String, $first: Int, $after: String) {
    dismissedDuplicates(region: $region, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node { id reason byName at viewerCanRestore a { id name } b { id name } }
      }
    }
  }
`);
