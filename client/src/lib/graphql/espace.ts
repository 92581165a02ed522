import { graphql } from './graphql.js';

/** « Mon espace » (/mon-espace) and the header's notifications. */

/** What the header polls: one small request for both counts, and whether the session still holds. */
export const HEADER_COUNTS = graphql(`
  query HeaderCounts { me { id } unreadNotificationCount pendingRequestsToDecideCount }
`);

export const MY_NOTIFICATIONS = graphql(`
  query MyNotifications($first: Int) {
    myNotifications(first: $first) { unreadCount edges { node { id kind text path createdAt readAt } } }
  }
`);

export const MARK_NOTIFICATIONS_READ = graphql(`
  mutation MarkNotificationsRead($ids: [ID!]!) { markNotificationsRead(ids: $ids) }
`);

export const MARK_ALL_NOTIFICATIONS_READ = graphql(`
  mutation MarkAllNotificationsRead { markAllNotificationsRead }
`);

export const MON_ESPACE = graphql(`
  query MonEspace {
    me {
      id
      actors { id name kindLabel version reviewStatus representatives }
      memberships { id status role roleLabel lastPilot requestedAt decidedAt coalitionId actor { id name } coalition { id name ended } }
    }
    pendingRequestsToDecide(first: 200) {
      id
      roleLabel
      requestedByName
      requestedAt
      actor { id name kindLabel sectorLabel reviewStatus }
      coalition { id name }
    }
    partnershipsToConfirm { id kind title actorA { id name } actorB { id name } }
  }
`);

export const ANSWER_INVITATION = {
  accept: graphql(`
    mutation AcceptInvitation($id: ID!) { acceptInvitation(membershipId: $id) { id status } }
  `),
  decline: graphql(`
    mutation DeclineInvitation($id: ID!) { declineInvitation(membershipId: $id) { id status } }
  `),
};

export const LEAVE_COALITION = graphql(`
  mutation LeaveCoalition($id: ID!) { leaveCoalition(membershipId: $id) { id status } }
`);
