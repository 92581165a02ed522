import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { GraphQLError, Kind, OperationTypeNode, parse } from 'graphql';
import { ActorPermissions } from '../actors/actor.permissions.js';
import type { AuthService } from '../auth/auth.service.js';
import { readCookie, SESSION_COOKIE } from '../auth/cookies.js';
import { logger } from '../logger.js';

/** Body size of an ordinary GraphQL request, and of an import of actors (its file travels in the body). */
export const GRAPHQL_BODY_LIMIT = 1024 * 1024;
export const IMPORT_BODY_LIMIT = 12 * 1024 * 1024;
/**
 * Largest file content `importActors` takes, in characters: 5 MB of text, which JSON-escaped
 * (accents, quotes) still fits in the import's body limit.
 */
export const IMPORT_CONTENT_LIMIT = 5 * 1024 * 1024;

/**
 * The header by which a request declares, before its body is read, that it is an import of
 * actors. Apollo's CSRF prevention already accepts it as a preflight-forcing header.
 */
export const IMPORT_OPERATION_HEADER = 'X-Apollo-Operation-Name';
export const IMPORT_OPERATION_NAME = 'ImportActors';
const IMPORT_OPERATION_NAMES = new Set([IMPORT_OPERATION_NAME, 'importActors']);

const TOO_LARGE = 'Requête trop volumineuse : 1 Mo au plus (12 Mo pour un import d’acteurs, par un administrateur ou un analyste ARS connecté).';

/** Whether a GraphQL document only runs the importActors mutation (the one request allowed a large body). */
export function isImportOnly(query: unknown): boolean {
  if (typeof query !== 'string' || query.length > 20_000) return false;
  try {
    const doc = parse(query, { maxTokens: 2000 });
    const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    return (
      ops.length > 0 &&
      doc.definitions.length === ops.length &&
      ops.every(
        (op) =>
          op.operation === OperationTypeNode.MUTATION &&
          op.selectionSet.selections.length > 0 &&
          op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value === 'importActors'),
      )
    );
  } catch {
    return false;
  }
}

function sendTooLarge(res: express.Response): void {
  res.status(413).json({ errors: [{ message: TOO_LARGE, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
}

/**
 * The JSON body of a GraphQL request, parsed only within its limit. Every request gets 1 MB: a
 * larger body is refused (413, PAYLOAD_TOO_LARGE) unparsed: at once, nothing of it read, when its
 * Content-Length says so; a body of undeclared size (chunked) is kept up to 1 MB, and the rest is
 * read off and dropped before the answer (body-parser keeps the connection usable). Only a request that declares the import
 * (`X-Apollo-Operation-Name: ImportActors`) and whose session cookie belongs to an account
 * allowed to import (administrators, ARS analysts: checked before anything of the body is read)
 * gets 12 MB; once parsed, a body over 1 MB must then be the importActors mutation alone.
 */
export function graphqlBody(auth: AuthService): RequestHandler {
  const ordinary = express.json({ limit: GRAPHQL_BODY_LIMIT });
  const large = express.json({ limit: IMPORT_BODY_LIMIT, verify: (req, _res, buf) => ((req as BodySize).bodyBytes = buf.length) });
  return async (req, res, next) => {
    // A declared size over the limit is refused at once: nothing of the body is read (the JSON
    // parser would refuse it too, but only after reading it all, to keep the connection usable).
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!declaresImport(req)) return declared > GRAPHQL_BODY_LIMIT ? sendTooLarge(res) : ordinary(req, res, next);
    let allowed = false;
    try {
      const user = await auth.userFromToken(readCookie(req.headers.cookie, SESSION_COOKIE));
      // The import rule of ActorPermissions, called here for its refusal only.
      ActorPermissions.assertCanImport(user);
      allowed = true;
    } catch (err) {
      // A visitor or an account that may not import is an ordinary request (the resolver then
      // refuses the import itself); a failure of the database is the server's.
      if (!(err instanceof GraphQLError)) return next(err);
    }
    if (declared > (allowed ? IMPORT_BODY_LIMIT : GRAPHQL_BODY_LIMIT)) return sendTooLarge(res);
    if (!allowed) return ordinary(req, res, next);
    large(req, res, (err?: unknown) => {
      if (err) return next(err);
      const size = (req as BodySize).bodyBytes ?? 0;
      if (size > GRAPHQL_BODY_LIMIT && !isImportOnly((req.body as { query?: unknown } | undefined)?.query)) return sendTooLarge(res);
      next();
    });
  };
}

type BodySize = Request & { bodyBytes?: number };

function declaresImport(req: Request): boolean {
  const name = req.headers[IMPORT_OPERATION_HEADER.toLowerCase()];
  return typeof name === 'string' && IMPORT_OPERATION_NAMES.has(name.trim());
}

/**
 * A body refused by the JSON parser gets a GraphQL-shaped error, never Express's HTML page:
 * 413 PAYLOAD_TOO_LARGE over the limit, 400 BAD_REQUEST for anything it cannot read.
 */
export const bodyErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (!err) return next();
  if (res.headersSent) return next(err);
  const parserError = typeof (err as { type?: unknown }).type === 'string';
  if (parserError && (err as { type: string }).type === 'entity.too.large') return sendTooLarge(res);
  if (!parserError) logger.error({ err }, 'requête GraphQL en échec avant Apollo');
  res.status(parserError ? 400 : 500).json({
    errors: [
      parserError
        ? { message: 'Corps de requête JSON invalide.', extensions: { code: 'BAD_REQUEST' } }
        : { message: 'Erreur interne : la requête n’a pas pu être traitée.', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ],
  });
};
