import { gql } from '@urql/core';

/** Accounts, coalitions and actor edition: the documents of the logged-in parts of the app. */

const USER_FIELDS = `id email displayName role regionCode actors { id name }`;

export const ME = gql`
  query Me { me { ${USER_FIELDS} } }
`;

export const LOG_IN = gql`
  mutation LogIn($email: String!, $password: String!) { logIn(email: $email, password: $password) { ${USER_FIELDS} } }
`;

export const SIGN_UP = gql`
  mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ${USER_FIELDS} } }
`;

export const LOG_OUT = gql`
  mutation LogOut { logOut }
`;

export const COALITIONS = gql`
  query Coalitions($filter: CoalitionFilter, $first: Int, $after: String) {
    coalitions(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name kind kindLabel startDate endDate ended isDemo memberCount visibility joinPolicy
          territory { level code name }
          themes { code label }
        }
      }
    }
  }
`;

export const COALITION_THEMES = gql`
  query CoalitionThemes { themes { code label parentCode } }
`;

const MEMBER_ACTOR = `id name kind kindLabel sector sectorLabel isDemo`;

export const COALITION = gql`
  query Coalition($id: ID!) {
    coalition(id: $id) {
      id name kind kindLabel description startDate endDate ended visibility joinPolicy isDemo source memberCount viewerCanManage
      territoryLevel territoryCode
      territory { level code name }
      themes { code label }
      membersByRole { role label members { id actor { ${MEMBER_ACTOR} } } }
      membersBySector { sector label actors { id name } }
      intersectorality { ratio present { category label count } missing { category label } }
      members {
        id role roleLabel
        actor {
          ${MEMBER_ACTOR}
          coalitionMemberships { id coalition { id name } }
          partnerships { id status ended actorA { id name sector } actorB { id name sector } }
        }
      }
      pending: members(statuses: [REQUESTED]) {
        id role roleLabel status requestedAt requestedByName actor { ${MEMBER_ACTOR} }
      }
    }
  }
`;

export const SUGGESTED_PARTNERS = gql`
  query SuggestedPartners($id: ID!) {
    suggestedPartners(coalitionId: $id, first: 8) {
      score
      actor { id name kindLabel sectorLabel isDemo }
      reasons { kind label }
    }
  }
`;

export const REQUEST_MEMBERSHIP = gql`
  mutation RequestMembership($coalitionId: ID!, $actorId: ID!, $role: MembershipRole) {
    requestMembership(coalitionId: $coalitionId, actorId: $actorId, role: $role) { id status role }
  }
`;

export const ACCEPT_MEMBERSHIP = gql`
  mutation AcceptMembership($id: ID!) { acceptMembership(membershipId: $id) { id status } }
`;

export const REJECT_MEMBERSHIP = gql`
  mutation RejectMembership($id: ID!) { rejectMembership(membershipId: $id) { id status } }
`;

/** A partnership as the actor page lists it, with what the viewer may do about it. */
const PARTNERSHIP_FIELDS = `id kind status title startDate endDate ended viewerCanDecide viewerCanEnd actorA { id name } actorB { id name }`;

export const ACTOR_COALITIONS = gql`
  query ActorCoalitions($id: ID!) {
    actor(id: $id) {
      id
      viewerCanEdit
      coalitionMemberships { id role roleLabel coalition { id name kindLabel ended territory { name } } }
      pending: coalitionMemberships(statuses: [REQUESTED, INVITED]) { id status roleLabel coalition { id name } }
      partnerships { ${PARTNERSHIP_FIELDS} }
    }
  }
`;

export const CONFIRM_PARTNERSHIP = gql`
  mutation ConfirmPartnership($id: ID!) { confirmPartnership(id: $id) { ${PARTNERSHIP_FIELDS} } }
`;

export const DECLINE_PARTNERSHIP = gql`
  mutation DeclinePartnership($id: ID!, $reason: String) { declinePartnership(id: $id, reason: $reason) { ${PARTNERSHIP_FIELDS} } }
`;

export const END_PARTNERSHIP = gql`
  mutation EndPartnership($id: ID!, $reason: String) { endPartnership(id: $id, reason: $reason) { ${PARTNERSHIP_FIELDS} } }
`;

export const UPDATE_ACTOR = gql`
  mutation UpdateActor($id: ID!, $version: Int!, $input: UpdateActorInput!) {
    updateActor(id: $id, version: $version, input: $input) { id version name description address phone email website updatedAt }
  }
`;
