import http from 'node:http';

/** One GraphQL answer as the load test sees it. */
export interface Answer<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
  /** Network failure (connection refused, reset…), no HTTP answer. */
  networkError?: string;
  ms: number;
  headers: http.IncomingHttpHeaders;
}

/** The error codes of an answer ('HTTP_<status>' or 'NETWORK' when there is no GraphQL error). */
export function problemOf(a: Answer): string | null {
  if (a.networkError) return 'NETWORK';
  if (a.errors?.length) return a.errors.map((e) => e.extensions?.code ?? 'UNKNOWN').join(',');
  if (a.status !== 200) return `HTTP_${a.status}`;
  if (a.data === undefined || a.data === null) return 'NO_DATA';
  return null;
}

/**
 * A simulated client: its own address (sent as X-Forwarded-For, the server runs with TRUST_PROXY so
 * the per-client rate limit sees one client per simulated user), its own session cookie, requests
 * sent as POST JSON over a keep-alive connection, as the browser client does.
 */
export class GqlClient {
  cookie: string | null = null;
  /** Requests sent so far (to compare with the per-client rate limit). */
  sent = 0;

  constructor(
    private readonly base: URL,
    readonly clientIp: string,
    private readonly agent: http.Agent,
  ) {}

  gql<T = any>(query: string, variables?: Record<string, unknown>, timeoutMs = 60_000, extraHeaders: Record<string, string> = {}): Promise<Answer<T>> {
    const body = Buffer.from(JSON.stringify({ query, variables }));
    const headers: http.OutgoingHttpHeaders = {
      ...extraHeaders,
      'content-type': 'application/json',
      'content-length': body.length,
      'x-forwarded-for': this.clientIp,
    };
    if (this.cookie) headers.cookie = this.cookie;
    const t0 = performance.now();
    this.sent++;
    return new Promise((resolve) => {
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, path: '/graphql', method: 'POST', headers, agent: this.agent, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const ms = performance.now() - t0;
            for (const line of res.headers['set-cookie'] ?? []) {
              const [pair] = line.split(';');
              if (pair.startsWith('session=')) this.cookie = /max-age=0/i.test(line) ? null : pair.trim();
            }
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { errors: [{ message: text.slice(0, 200), extensions: { code: `HTTP_${res.statusCode}_NOT_JSON` } }] };
            }
            resolve({ status: res.statusCode ?? 0, data: parsed.data, errors: parsed.errors, ms, headers: res.headers });
          });
          res.on('error', (err) => resolve({ status: 0, networkError: err.message, ms: performance.now() - t0, headers: {} }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ status: 0, networkError: err.message, ms: performance.now() - t0, headers: {} }));
      req.end(body);
    });
  }
}

export function makeAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 });
}
