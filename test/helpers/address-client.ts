import http from 'node:http';
import type { CookieClient, GraphQLResponse } from './server.js';

/**
 * A client that connects from a chosen loopback address (127.0.0.2, 127.0.0.3…: all of
 * 127.0.0.0/8 is this machine), keeping the cookies the server sets. The server then sees that
 * address as the socket's peer, exactly as it sees a client's on a deployment without a proxy:
 * nothing in the request claims it, so the test goes through the same `req.ip` a real client does.
 * `headers` adds request headers (a User-Agent, or X-Forwarded-For for a server behind TRUST_PROXY).
 */
export function clientFrom(baseUrl: string, localAddress: string, headers: Record<string, string> = {}): CookieClient {
  const url = new URL('/graphql', baseUrl);
  const cookies = new Map<string, string>();
  const jar: CookieClient = {
    cookies,
    lastSetCookie: [],
    gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
      const body = JSON.stringify({ query, variables });
      const sent: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers };
      if (cookies.size) sent.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      return new Promise((resolve, reject) => {
        const req = http.request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, headers: sent, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const setCookie = res.headers['set-cookie'] ?? [];
              jar.lastSetCookie = setCookie;
              for (const line of setCookie) {
                const [pair, ...attrs] = line.split(';');
                const eq = pair.indexOf('=');
                const name = pair.slice(0, eq).trim();
                if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) cookies.delete(name);
                else cookies.set(name, pair.slice(eq + 1).trim());
              }
              try {
                resolve({ ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphQLResponse<T>), status: res.statusCode ?? 0 });
              } catch (err) {
                reject(err instanceof Error ? err : new Error(String(err)));
              }
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
  };
  return jar;
}
