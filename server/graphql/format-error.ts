import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { logger } from '../logger.js';
import { AppError } from './errors.js';
import { invalidDataMessage } from './field-labels.js';

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

/**
 * graphql-js refuses a variable's value in English (an address edited by hand: « ?nature=QQ »); said
 * here in French, naming where the value was: « Valeur invalide pour filter.kinds[0] : la valeur
 * « QQ » n’existe pas. » Messages of any other form are left as they are.
 */
const COERCION = /^Variable "\$(\w+)" got invalid value [\s\S]*?(?: at "([^"]+)")?; ([\s\S]*)$/;
const MISSING = /^Variable "\$(\w+)" of (?:required|non-null) type "[^"]+" (?:was not provided|must not be null)\.$/;
const DETAILS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Value "(.*)" does not exist in "\w+" enum\./, (m) => `la valeur « ${m[1]} » n’existe pas`],
  [/^Int cannot represent/, () => 'un nombre entier est attendu'],
  [/^Float cannot represent/, () => 'un nombre est attendu'],
  [/^String cannot represent/, () => 'un texte est attendu'],
  [/^Boolean cannot represent/, () => 'vrai ou faux est attendu'],
  [/^ID cannot represent/, () => 'un identifiant est attendu'],
  [/^Field "(\w+)" is not defined by type "\w+"\./, (m) => `le champ ${m[1]} n’existe pas`],
  [/^Field "(\w+)" of required type "[^"]+" was not provided\./, (m) => `le champ ${m[1]} est obligatoire`],
  [/^Expected non-nullable type "[^"]+" not to be null\./, () => 'une valeur est obligatoire'],
  [/^Expected type "\w+" to be an object\./, () => 'un objet est attendu'],
];

export function frenchCoercionMessage(message: string): string | null {
  const missing = MISSING.exec(message);
  if (missing) return `Valeur manquante pour $${missing[1]}.`;
  const m = COERCION.exec(message);
  if (!m) return null;
  const detail = DETAILS.map(([re, say]) => {
    const d = re.exec(m[3]);
    return d && say(d);
  }).find(Boolean);
  return `Valeur invalide pour ${m[2] ?? `$${m[1]}`}${detail ? ` : ${detail}` : ''}.`;
}

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
    const formattedOut = format(formatted, error);
    const out = { ...formattedOut, message: frenchCoercionMessage(formattedOut.message) ?? formattedOut.message };
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
    const fields = validationFields(original.extensions.validationErrors);
    return {
      message: invalidDataMessage(fields),
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

/**
 * class-validator's errors as one entry per field that failed, by its path: a nested input's own
 * fields (`near.radiusKm`, `territories.0.code`) rather than the input holding them with no reason.
 */
function validationFields(errors: ValidationError[], prefix = ''): { field: string; reasons: string[] }[] {
  return errors.flatMap((e) => {
    const field = `${prefix}${e.property}`;
    const reasons = Object.values(e.constraints ?? {});
    return [...(reasons.length ? [{ field, reasons }] : []), ...validationFields(e.children ?? [], `${field}.`)];
  });
}
