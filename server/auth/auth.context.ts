import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionCookie } from '../graphql/context.js';
import type { AuthService } from './auth.service.js';
import type { AuthUser } from './auth.types.js';
import { SESSION_COOKIE, readCookie, sessionCookie } from './cookies.js';

/**
 * The user and session cookie of a GraphQL request. The cookie is Secure when COOKIE_SECURE=true
 * or when the request came over HTTPS (directly, or through a proxy trusted by TRUST_PROXY).
 */
export async function authContext(
  auth: AuthService,
  req: IncomingMessage & { secure?: boolean },
  res: ServerResponse,
): Promise<{ user: AuthUser | null; session: SessionCookie }> {
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  const secure = process.env.COOKIE_SECURE === 'true' || req.secure === true;
  const user = await auth.userFromToken(token);
  return {
    user,
    session: {
      token,
      set(value, expiresAt) {
        res.appendHeader('Set-Cookie', sessionCookie(value, (expiresAt.getTime() - Date.now()) / 1000, secure));
      },
      clear() {
        res.appendHeader('Set-Cookie', sessionCookie('', 0, secure));
      },
    },
  };
}
