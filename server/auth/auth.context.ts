import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionCookie } from '../graphql/context.js';
import type { AuthService } from './auth.service.js';
import { trimUserAgent } from './auth.service.js';
import type { AuthUser, ClientInfo } from './auth.types.js';
import { SESSION_COOKIE, readCookie, sessionCookie } from './cookies.js';
import { addressKey } from './login-throttle.js';

/**
 * The user, session cookie and client of a GraphQL request. The cookie is Secure when
 * COOKIE_SECURE=true or when the request came over HTTPS (directly, or through a proxy trusted by
 * TRUST_PROXY). The client's address is Express's `req.ip`: the socket's peer, or with TRUST_PROXY
 * the address the trusted proxy put in X-Forwarded-For (a client cannot choose it otherwise).
 * A cookie whose session has ended (signed out elsewhere, password changed) is cleared.
 */
export async function authContext(
  auth: AuthService,
  req: IncomingMessage & { secure?: boolean; ip?: string },
  res: ServerResponse,
): Promise<{ user: AuthUser | null; session: SessionCookie; client: ClientInfo }> {
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  const secure = process.env.COOKIE_SECURE === 'true' || req.secure === true;
  const user = await auth.userFromToken(token);
  const session: SessionCookie = {
    token,
    set(value, expiresAt) {
      res.appendHeader('Set-Cookie', sessionCookie(value, (expiresAt.getTime() - Date.now()) / 1000, secure));
    },
    clear() {
      res.appendHeader('Set-Cookie', sessionCookie('', 0, secure));
    },
  };
  if (token && !user) session.clear();
  return {
    user,
    session,
    client: { address: addressKey(req.ip ?? req.socket.remoteAddress), userAgent: trimUserAgent(req.headers['user-agent']) },
  };
}
