import { graphql, type ResultOf } from './graphql.js';

/** Accounts, coalitions and actor edition: the documents of the logged-in parts of the app. */

const USER_FIELDS = graphql(`
  fragment UserFields on User { id email displayName role regionCode actors { id name } }
`);

export const ME = graphql(
  `
  query Me { me { ...UserFields } }
`,
  [USER_FIELDS],
);

export const LOG_IN = graphql(
  `
  mutation LogIn($email: String!, $password: String!) { logIn(email: $email, password: $password) { ...UserFields } }
`,
  [USER_FIELDS],
);

export const SIGN_UP = graphql(
  `
  mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ...UserFields } }
`,
  [USER_FIELDS],
);

export const LOG_OUT = graphql(`
  mutation LogOut { logOut }
`);

export const COALITIONS = graphql(`
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
`);

export const COALITION_THEMES = graphql(`
  query CoalitionThemes { themes { code label parentCode } }
`);

const MEMBER_ACTOR = graphql(`
  fragment MemberActor on Actor { id name kind kindLabel sector sectorLabel isDemo }
`);

export const COALITION = graphql(
  `
  query Coalition($id: ID!) {
    coalition(id: $id) {
      id name kind kindLabel description startDate endDate ended visibility joinPolicy isDemo source sourceLabel memberCount viewerCanManage version
      territoryLevel territoryCode
      territory { level code name }
      themes { code label }
      membersByRole { role label members { id lastPilot actor { ...MemberActor } } }
      membersBySector { sector label actors { id name } }
      intersectorality { ratio present { category label count } missing { category label } }
      members {
        id role roleLabel
        actor {
          ...MemberActor
          coalitionMemberships { id coalition { id name } }
          partnerships { id status ended actorA { id name sector } actorB { id name sector } }
        }
      }
      pending: members(statuses: [REQUESTED]) {
        id role roleLabel status requestedAt requestedByName actor { ...MemberActor reviewStatus }
      }
      invited: members(statuses: [INVITED]) { id roleLabel requestedAt actor { id name } }
    }
  }
`,
  [MEMBER_ACTOR],
);

export const SUGGESTED_PARTNERS = graphql(`
  query SuggestedPartners($id: ID!) {
    suggestedPartners(coalitionId: $id, first: 8) {
      score
      actor { id name kindLabel sectorLabel isDemo }
      reasons { kind label }
    }
  }
`);

export const CREATE_COALITION = graphql(`
  mutation CreateCoalition($input: CreateCoalitionInput!) { createCoalition(input: $input) { id name } }
`);

export const UPDATE_COALITION = graphql(`
  mutation UpdateCoalition($id: ID!, $version: Int!, $input: UpdateCoalitionInput!) {
    updateCoalition(id: $id, version: $version, input: $input) { id version }
  }
`);

export const INVITE_ACTOR = graphql(`
  mutation InviteActor($coalitionId: ID!, $actorId: ID!, $role: MembershipRole) {
    inviteActor(coalitionId: $coalitionId, actorId: $actorId, role: $role) { id status role }
  }
`);

export const REQUEST_MEMBERSHIP = graphql(`
  mutation RequestMembership($coalitionId: ID!, $actorId: ID!, $role: MembershipRole) {
    requestMembership(coalitionId: $coalitionId, actorId: $actorId, role: $role) { id status role }
  }
`);

export const ACCEPT_MEMBERSHIP = graphql(`
  mutation AcceptMembership($id: ID!) { acceptMembership(membershipId: $id) { id status } }
`);

export const REJECT_MEMBERSHIP = graphql(`
  mutation RejectMembership($id: ID!) { rejectMembership(membershipId: $id) { id status } }
`);

/** A partnership as the actor page lists it, with what the viewer may do about it. */
const PARTNERSHIP_FIELDS = graphql(`
  fragment PartnershipFields on Partnership {
    id kind status title startDate endDate ended viewerCanDecide viewerCanEnd actorA { id name } actorB { id name }
  }
`);

export const ACTOR_COALITIONS = graphql(
  `
  query ActorCoalitions($id: ID!) {
    actor(id: $id) {
      id
      viewerCanEdit
      coalitionMemberships { id role roleLabel coalition { id name kindLabel ended territory { name } } }
      pending: coalitionMemberships(statuses: [REQUESTED, INVITED]) { id status roleLabel coalition { id name } }
      partnerships { ...PartnershipFields }
    }
  }
`,
  [PARTNERSHIP_FIELDS],
);

export const CONFIRM_PARTNERSHIP = graphql(
  `
  mutation ConfirmPartnership($id: ID!) { confirmPartnership(id: $id) { ...PartnershipFields } }
`,
  [PARTNERSHIP_FIELDS],
);

export const DECLINE_PARTNERSHIP = graphql(
  `
  mutation DeclinePartnership($id: ID!, $reason: String) { declinePartnership(id: $id, reason: $reason) { ...PartnershipFields } }
`,
  [PARTNERSHIP_FIELDS],
);

export const CREATE_PARTNERSHIP = graphql(
  `
  mutation CreatePartnership($input: CreatePartnershipInput!) { createPartnership(input: $input) { ...PartnershipFields } }
`,
  [PARTNERSHIP_FIELDS],
);

export const END_PARTNERSHIP = graphql(
  `
  mutation EndPartnership($id: ID!, $reason: String) { endPartnership(id: $id, reason: $reason) { ...PartnershipFields } }
`,
  [PARTNERSHIP_FIELDS],
);

export const UPDATE_ACTOR = graphql(`
  mutation UpdateActor($id: ID!, $version: Int!, $input: UpdateActorInput!) {
    updateActor(id: $id, version: $version, input: $input) { id version name description address phone email website openingHours updatedAt }
  }
`);

/** A coalition as its page shows it. */
export type CoalitionDetail = NonNullable<ResultOf<typeof COALITION>['coalition']>;

/** What a section of the coalition's page that changes it takes: the coalition read, and what reads it again once changed. */
export interface CoalitionSectionProps {
  coalition: CoalitionDetail;
  /** Called once the section changed the coalition (saved, a request or an invitation sent): the page reads it again. */
  onChange: () => Promise<void>;
}
