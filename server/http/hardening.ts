import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Env } from '../config/env.js';
import { operationLimits } from '../graphql/cost.js';
import type { AnalyticsGate } from './gate.js';

/**
 * Limits on what one GraphQL request may ask, all checked before any SQL:
 * - depth, aliases and directives of the document, from graphql-armor (GRAPHQL_VALIDATION_FAILED);
 * - its length in tokens, by graphql-js's parser (`parseOptions`; 400, GRAPHQL_VALIDATION_FAILED);
 * - its cost computed with the request's variables, every capped argument (page sizes…) checked
 *   on its value, and the analytics gate (operationLimits in ../graphql/cost.ts);
 * - field suggestions hidden in production, so the schema cannot be guessed from error messages
 *   (the other "Did you mean" hints are cut by the error formatter).
 * graphql-armor's own cost limit (literal arguments only) and token limit (HTTP 500) are not used.
 */
export function armor<C extends object>(env: Pick<Env, 'production' | 'limits'>, analytics: { gate: AnalyticsGate; admit: (context: C) => void }) {
  const { limits } = env;
  const armored = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true },
    costLimit: { enabled: false },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: 20 },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: env.production },
  }).protect();
  return {
    validationRules: armored.validationRules,
    plugins: [
      ...(armored.plugins as ApolloServerPlugin<C>[]),
      operationLimits<C>({ maxCost: limits.maxCost, ...analytics }),
      // Apollo's cache-control plugin wraps every field resolver (a third of the time of a région's
      // theme matrix, on the one thread every request shares); no answer is cacheable anyway.
      ApolloServerPluginCacheControlDisabled(),
      noStore,
    ],
    parseOptions: { maxTokens: limits.maxTokens },
  };
}

/** Every GraphQL answer is `Cache-Control: no-store` (what Apollo's cache-control plugin sent). */
const noStore: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

/**
 * A per-client request budget (by IP address) on the API and the exports. Over it, the client gets
 * HTTP 429 with a GraphQL-shaped error coded RATE_LIMITED and a Retry-After header.
 */
export function rateLimiter(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res, _next, options) => {
      res.status(options.statusCode).json({
        errors: [
          {
            message: 'Trop de requêtes : réessayez dans une minute.',
            extensions: { code: 'RATE_LIMITED' },
          },
        ],
      });
    },
  });
}

/** A string PostgreSQL cannot store: a NUL character, or UTF-16 with a lone surrogate. */
const unstorable = (s: string) => s.includes('\u0000') || !s.isWellFormed();

function hasUnstorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return unstorable(value);
  if (depth > 20 || value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some((v) => hasUnstorable(v, depth + 1));
}

/**
 * PostgreSQL text cannot hold the NUL character nor invalid Unicode: a request carrying them (in
 * its variables or as escapes in the document) is refused up front with BAD_USER_INPUT rather
 * than failing in SQL.
 */
export const refuseUnstorableText: RequestHandler = (req, res, next) => {
  const body = req.body as { query?: unknown; variables?: unknown } | undefined;
  const inQuery = typeof body?.query === 'string' && (unstorable(body.query) || /\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i.test(body.query));
  if (inQuery || hasUnstorable(body?.variables)) {
    res.status(400).json({
      errors: [
        {
          message: 'Texte invalide : le caractère nul (U+0000) et l’Unicode mal formé ne sont pas acceptés.',
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ],
    });
    return;
  }
  next();
};
