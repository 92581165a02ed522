import { graphql } from './graphql.js';

/** « Proposer une modification » from an actor's page: anyone, signed in or not. */
export const PROPOSE_ACTOR_CHANGE = graphql(`
  mutation ProposeActorChange($actorId: ID!, $changes: ActorChangeInput!, $message: String, $contactEmail: String) {
    proposeActorChange(actorId: $actorId, changes: $changes, message: $message, contactEmail: $contactEmail) { id status }
  }
`);

/** The pending proposals the account may decide (its région, or all for an administrator). */
export const ACTOR_CHANGE_PROPOSALS = graphql(`
  query ActorChangeProposals($region: String, $first: Int!, $after: String) {
    actorChangeProposals(region: $region, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id
          createdAt
          message
          contactEmail
          submittedBy
          actor { id name version }
          changes { field label current proposed }
        }
      }
    }
  }
`);

export const ACCEPT_ACTOR_CHANGE = graphql(`
  mutation AcceptActorChange($id: ID!, $version: Int) {
    acceptActorChangeProposal(id: $id, version: $version) { id status actor { id version } }
  }
`);

export const REJECT_ACTOR_CHANGE = graphql(`
  mutation RejectActorChange($id: ID!, $reason: String!) {
    rejectActorChangeProposal(id: $id, reason: $reason) { id status }
  }
`);
