import { graphql } from './graphql.js';

/** The moderation queue page (/moderation), the header's pending count and the freshness of a record. */

export const REVIEW_QUEUE = graphql(`
  query ReviewQueue($region: String, $first: Int, $after: String) {
    reviewQueue(region: $region, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        pendingSince
        pendingReason
        submittedBy
        node {
          id
          name
          kindLabel
          version
          isDemo
          lon
          lat
          radiusKm
          commune { code name }
          territories { level code name geometry(simplify: 0.005) }
          reviewHistory { fromStatus toStatus reason byName at }
        }
      }
    }
  }
`);

/** How many actors wait for the account's decision (the header's link). */
export const REVIEW_COUNT = graphql(`
  query ReviewCount { reviewQueue(first: 0) { totalCount } actorChangeProposals(first: 0) { totalCount } }
`);

export const VALIDATE_ACTOR = graphql(`
  mutation ValidateActor($id: ID!, $reason: String, $version: Int) {
    validateActor(id: $id, reason: $reason, version: $version) { id reviewStatus verifiedAt }
  }
`);

export const REJECT_ACTOR = graphql(`
  mutation RejectActor($id: ID!, $reason: String!, $version: Int) {
    rejectActor(id: $id, reason: $reason, version: $version) { id reviewStatus }
  }
`);

export const ACTOR_FRESHNESS = graphql(`
  query ActorFreshness($id: ID!) { actor(id: $id) { id version verifiedAt isStale viewerCanConfirm } }
`);

export const CONFIRM_UP_TO_DATE = graphql(`
  mutation ConfirmActorUpToDate($id: ID!, $version: Int!) {
    confirmActorUpToDate(id: $id, version: $version) { id version verifiedAt isStale viewerCanConfirm }
  }
`);

/** « À vérifier »: stale records that are the only local presence of a theme somewhere. */
export const ACTORS_TO_VERIFY = graphql(`
  query ActorsToVerify($region: String, $first: Int, $after: String) {
    actorsToVerify(region: $region, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        soleCommuneCount
        solePopulation
        soleThemeCodes
        soleCommuneNames
        node { id name kindLabel verifiedAt }
      }
    }
  }
`);
