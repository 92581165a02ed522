import { graphql, type ResultOf } from './graphql.js';

/** Claims to represent a structure, and the declaration of a new one: the documents of components/claims/. */

const CLAIM_FIELDS = graphql(`
  fragment ClaimFields on ActorClaim {
    id status statusLabel message claimantName decisionReason decidedByName createdAt decidedAt viewerCanDecide viewerCanWithdraw
    actor { id name kindLabel reviewStatus commune { name } }
  }
`);

export const CLAIMABLE_ACTORS = graphql(`
  query ClaimableActors($query: String!) {
    claimableActors(query: $query, first: 20) { id name kindLabel sectorLabel reviewStatus isDemo commune { name } territories { name } }
  }
`);

export const CLAIM_ACTOR = graphql(
  `
  mutation ClaimActor($actorId: ID!, $message: String) { claimActor(actorId: $actorId, message: $message) { ...ClaimFields } }
`,
  [CLAIM_FIELDS],
);

export const DECIDE_ACTOR_CLAIM = graphql(
  `
  mutation DecideActorClaim($id: ID!, $accept: Boolean!, $reason: String) {
    decideActorClaim(id: $id, accept: $accept, reason: $reason) { ...ClaimFields }
  }
`,
  [CLAIM_FIELDS],
);

export const WITHDRAW_ACTOR_CLAIM = graphql(
  `
  mutation WithdrawActorClaim($id: ID!) { withdrawActorClaim(id: $id) { ...ClaimFields } }
`,
  [CLAIM_FIELDS],
);

export const MY_ACTOR_CLAIMS = graphql(
  `
  query MyActorClaims { myActorClaims { ...ClaimFields } }
`,
  [CLAIM_FIELDS],
);

export const ACTOR_CLAIMS_TO_DECIDE = graphql(
  `
  query ActorClaimsToDecide { actorClaimsToDecide { ...ClaimFields } }
`,
  [CLAIM_FIELDS],
);

/** A new structure, declared by the account that represents it (createActor: pending validation for a member). */
export const DECLARE_STRUCTURE = graphql(`
  mutation DeclareStructure($input: CreateActorInput!) { createActor(input: $input) { id name reviewStatus } }
`);

export type Claim = ResultOf<typeof MY_ACTOR_CLAIMS>['myActorClaims'][number];
export type ClaimableActor = ResultOf<typeof CLAIMABLE_ACTORS>['claimableActors'][number];
