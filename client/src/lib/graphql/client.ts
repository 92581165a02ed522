import { Client, cacheExchange, fetchExchange } from '@urql/core';

/**
 * One urql client for the app. POST only: Apollo Server's CSRF guard refuses the GET requests
 * urql would otherwise send for queries.
 */
export const client = new Client({
  url: '/graphql',
  preferGetMethod: false,
  exchanges: [cacheExchange, fetchExchange],
  fetchOptions: { credentials: 'same-origin' },
});

/** The message to show for a failed request: the server's French message, else a generic one. */
export function errorMessage(error: { graphQLErrors?: { message: string }[]; networkError?: Error } | undefined | null): string | null {
  if (!error) return null;
  if (error.graphQLErrors?.length) return error.graphQLErrors.map((e) => e.message).join(' ; ');
  if (error.networkError) return 'Le serveur ne répond pas. Vérifiez votre connexion puis réessayez.';
  return 'Une erreur est survenue.';
}
