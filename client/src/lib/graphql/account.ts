import { graphql } from './graphql.js';

/** The account page: open sessions, ending them, changing the password. */

export const MY_SESSIONS = graphql(`
  query MySessions { mySessions { id createdAt lastSeenAt userAgent current } }
`);

export const END_SESSION = graphql(`
  mutation EndSession($id: ID!) { endSession(id: $id) }
`);

export const LOG_OUT_EVERYWHERE = graphql(`
  mutation LogOutEverywhere { logOutEverywhere }
`);

export const CHANGE_PASSWORD = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`);
