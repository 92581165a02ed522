import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { logger } from '../logger.js';
import { AppError } from './errors.js';

/** Codes Apollo itself gives to errors caused by the request, safe to show as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The refusals of graphql-armor ("Syntax Error: Query depth limit of 10 exceeded, found 14.") and
 * of graphql-js's token limit, in French. The cost limit is ours (costError in cost.ts), in French.
 */
const LIMITS: [RegExp, string, (limit: string, found: string) => string][] = [
  [/depth limit of (\d+) exceeded, found (\d+)/i, 'depth', (l, f) => `Requête trop imbriquée : ${f} niveaux pour ${l} au plus.`],
  [/aliases limit of (\d+) exceeded, found (\d+)/i, 'aliases', (l, f) => `Trop d’alias : ${f} pour ${l} au plus.`],
  [/directives limit of (\d+) exceeded, found (\d+)/i, 'directives', (l, f) => `Trop de directives : ${f} pour ${l} au plus.`],
  // graphql-js's own token limit (Apollo's parseOptions.maxTokens).
  [/Document contains more that (\d+) tokens()/i, 'tokens', (l) => `Requête trop longue : plus de ${l} éléments.`],
];

function limitError(message: string): { kind: string; message: string } | null {
  for (const [pattern, kind, text] of LIMITS) {
    const m = message.match(pattern);
    if (m) return { kind, message: text(m[1], m[2]) };
  }
  return null;
}

/** PostgreSQL's query_canceled: here, a statement stopped by statement_timeout. */
const QUERY_CANCELED = '57014';

/** True if `err` (or an error it wraps) is a statement cancelled by PostgreSQL's statement_timeout. */
export function isStatementTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, driverError, originalError } = e as { code?: unknown; driverError?: { code?: unknown }; originalError?: unknown };
    if (code === QUERY_CANCELED || driverError?.code === QUERY_CANCELED) return true;
    e = originalError;
  }
  return false;
}

/** The answer to a statement stopped by the statement timeout: TIMEOUT, never an internal error. */
export const timeoutError = () =>
  new AppError('TIMEOUT', 'Délai dépassé : le calcul a été interrompu car il prenait trop de temps. Réduisez le périmètre ou réessayez plus tard.');

/**
 * graphql-js's hints ("Did you mean "name"?", "Did you mean the enum value "COMMUNE"?") reveal
 * the schema to someone probing it with typos: they are cut in production.
 */
export const withoutSuggestions = (message: string) => message.replace(/\s*Did you mean\b[\s\S]*$/, '');

/** Extensions that describe a refused request (which limit, the figures) and are safe to show. */
const LIMIT_DETAILS = ['limit', 'cost', 'maxCost'] as const;

/**
 * Shows users what they can act on and nothing else: application errors and request errors
 * keep their message and code; a statement stopped by the statement timeout is TIMEOUT; anything
 * unexpected is logged and masked. `extensions.http` (status and headers Apollo applies to the
 * answer) is never sent. In production, graphql-js's suggestions are cut from every message.
 */
export function createFormatError(options: { production: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const out = format(formatted, error);
    return options.production ? { ...out, message: withoutSuggestions(out.message) } : out;
  };
}

/** The development formatter (suggestions kept, for the schema explorer). */
export const formatError = createFormatError({ production: false });

function format(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    const extensions = { ...original.extensions };
    delete extensions.http;
    return { message: formatted.message, path: formatted.path, locations: formatted.locations, extensions };
  }
  if (isStatementTimeout(original)) {
    const timeout = timeoutError();
    return { message: timeout.message, path: formatted.path, extensions: { code: timeout.code } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = original.extensions.validationErrors.map((e) => ({
      field: e.property,
      reasons: Object.values(e.constraints ?? {}),
    }));
    return {
      message: `Données invalides : ${fields.map((f) => `${f.field} (${f.reasons.join(', ')})`).join(' ; ')}`,
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT', fields },
    };
  }
  const limit = limitError(formatted.message);
  if (limit) return { message: limit.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: limit.kind } };
  // graphql-js's own errors (argument coercion, variables) carry no original error: they are the request's fault.
  let root: unknown = original;
  while (root instanceof GraphQLError && root.originalError) root = root.originalError;
  const given = formatted.extensions?.code;
  if (root instanceof GraphQLError && !(root instanceof AppError) && (!given || given === 'INTERNAL_SERVER_ERROR')) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_USER_INPUT' } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
    const details = Object.fromEntries(LIMIT_DETAILS.filter((k) => formatted.extensions?.[k] !== undefined).map((k) => [k, formatted.extensions![k]]));
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code, ...details } };
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL request');
  return { message: 'Erreur interne du serveur', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
