import { gql } from '@urql/core';

/** The account page: open sessions, ending them, changing the password. */

export const MY_SESSIONS = gql`
  query MySessions { mySessions { id createdAt lastSeenAt userAgent current } }
`;

export const END_SESSION = gql`
  mutation EndSession($id: ID!) { endSession(id: $id) }
`;

export const LOG_OUT_EVERYWHERE = gql`
  mutation LogOutEverywhere { logOutEverywhere }
`;

export const CHANGE_PASSWORD = gql`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`;
