import { Client, cacheExchange, createRequest, fetchExchange, type AnyVariables, type DocumentInput, type OperationResult } from '@urql/core';

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

/**
 * The reason the server gave for each field it refused (`extensions.fields`, BAD_USER_INPUT), by the
 * field's name in the schema: a form shows each one under its input.
 */
export function fieldProblems(
  error: { graphQLErrors?: { message: string; extensions?: Record<string, unknown> }[] } | undefined | null,
): Record<string, string> {
  const problems: Record<string, string> = {};
  const first = error?.graphQLErrors?.[0];
  const ext = first?.extensions as { field?: string; fields?: { field: string; reason?: string; reasons?: string[] }[] } | undefined;
  for (const p of ext?.fields ?? []) problems[p.field] = p.reason ?? p.reasons?.join(', ') ?? '';
  if (ext?.field && !problems[ext.field]) problems[ext.field] = first?.message ?? '';
  return problems;
}

let asked = 0;

/**
 * Asks the server again, never the cache, and answers with the server's answer to this very
 * request.
 *
 * urql keeps one stream of results per document and variables, and does not send a query while the
 * same one is in flight: a second `client.query(…, { requestPolicy: 'network-only' }).toPromise()`
 * resolves with the first's answer, read by the server before whatever happened in between. A
 * coalition read again just after a join request came back without it (a browser test, once, in
 * CI): the page had asked for the coalition a moment before, on the session's refresh.
 *
 * Each call marks its operation. An answer to another operation of the same key (not stale) means
 * this one was not sent: it is sent again, and the call waits for the answer that carries its mark.
 */
export function queryFresh<Data, Variables extends AnyVariables>(
  urql: Client,
  query: DocumentInput<Data, Variables>,
  variables: Variables,
): Promise<OperationResult<Data, Variables>> {
  const mark = ++asked;
  const operation = urql.createRequestOperation<Data, Variables>('query', createRequest(query, variables), { requestPolicy: 'network-only', asked: mark });
  return new Promise((resolve) => {
    let answered = false;
    const subscription = urql.executeRequestOperation(operation).subscribe((result) => {
      if (answered || result.stale) return;
      if (result.operation.context.asked !== mark) {
        urql.reexecuteOperation(operation);
        return;
      }
      answered = true;
      resolve(result);
      queueMicrotask(() => subscription.unsubscribe());
    });
  });
}
