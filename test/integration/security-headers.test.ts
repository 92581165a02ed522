import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCspOrigins, parseTrustProxy } from '../../server/config/env.js';
import { startApp } from '../helpers/app.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Every actor of this file carries this source: afterAll removes exactly them. */
const SOURCE = 'test:security-headers.test.ts';
const THEME = 'sante-mentale';
const MEUSE = { scope: { level: 'DEPARTEMENT', code: '55' }, level: 'COMMUNE', themes: [THEME] };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await server.createActor({
    name: 'En-têtes CPTS de Verdun',
    kind: 'CPTS',
    sector: 'SANTE',
    themes: [THEME],
    communeCode: '55545',
    source: SOURCE,
    territories: [{ level: 'COMMUNE', code: '55545' }],
  });
});
afterAll(() => server?.close());

const graphql = (base: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ themes { code } }' }),
  });

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: string | null): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name, values);
  }
  return map;
}

/** What every answer of the app must carry, whatever its route and status. */
function expectSecurityHeaders(res: Response, label: string) {
  const csp = directives(res.headers.get('content-security-policy'));
  expect(csp.get('default-src'), label).toEqual(["'self'"]);
  expect(csp.get('script-src'), label).toEqual(["'self'"]);
  expect(csp.get('style-src'), label).toEqual(["'self'"]);
  expect(csp.get('connect-src'), label).toEqual(["'self'"]);
  expect(csp.get('img-src'), label).toEqual(["'self'", 'data:', 'blob:']);
  expect(csp.get('worker-src'), label).toEqual(["'self'", 'blob:']);
  expect(csp.get('child-src'), label).toEqual(["'self'", 'blob:']);
  expect(csp.get('object-src'), label).toEqual(["'none'"]);
  expect(csp.get('frame-ancestors'), label).toEqual(["'none'"]);
  expect(csp.get('base-uri'), label).toEqual(["'self'"]);
  // No remote origin, no inline script or style, no eval, anywhere in the policy.
  const all = [...csp.values()].flat();
  expect(
    all.filter((v) => /^(https?:|\*|'unsafe-|wss?:)/.test(v)),
    label,
  ).toEqual([]);
  expect(res.headers.get('x-content-type-options'), label).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), label).toBe('strict-origin-when-cross-origin');
  expect(res.headers.get('cross-origin-opener-policy'), label).toBe('same-origin');
  expect(res.headers.get('x-frame-options'), label).toBe('DENY');
  expect(res.headers.get('x-powered-by'), label).toBeNull();
  // Plain http://: HSTS would lock the browser out of a local server.
  expect(res.headers.get('strict-transport-security'), label).toBeNull();
}

describe('security headers', () => {
  it('should send the policy and the other security headers on pages, API, exports and tiles, errors included', async () => {
    const get = (path: string) => fetch(`${server.url}${path}`);
    const answers: [string, Response, number][] = [
      ['the home page', await get('/'), 200],
      ['a client route', await get('/communes/55545'), 200],
      ['a GraphQL query', await graphql(server.url), 200],
      ['a GraphQL error', await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' }), 400],
      ['a CSV export', await get(`/export/acteurs.csv?filter=${encodeURIComponent(JSON.stringify({ coversCommune: '55545' }))}`), 200],
      ['a refused export', await get('/export/acteurs.csv?filter=%7Bpas-du-json'), 400],
      ['a coverage tile', await get(`/tiles/coverage/9/263/175.mvt?zoom=9&filter=${encodeURIComponent(JSON.stringify(MEUSE))}`), 200],
      ['a refused tile', await get('/tiles/coverage/4/8/5.mvt?filter=%7Bscope'), 400],
      ['liveness', await get('/healthz'), 200],
    ];
    for (const [label, res, status] of answers) {
      expect(res.status, label).toBe(status);
      expectSecurityHeaders(res, label);
      await res.arrayBuffer();
    }
    // The export really was the file (not an error page with the headers).
    expect(answers[4][1].headers.get('content-type')).toMatch(/^text\/csv/);
    expect(answers[6][1].headers.get('content-type')).not.toMatch(/json/);
    // A GraphQL answer is POSTed, never cached: no ETag hashed from its body (app.ts).
    expect(answers[2][1].headers.get('etag')).toBeNull();
  });

  it('should not send HSTS for a forged X-Forwarded-Proto when no proxy is trusted', async () => {
    const res = await graphql(server.url, { 'x-forwarded-proto': 'https' });
    expect(res.status).toBe(200);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('should send HSTS only for a request that came over HTTPS through the trusted proxy (TRUST_PROXY=1)', async () => {
    // The string of the environment, read as Express must get it (the string "1" would trust 0.0.0.1).
    expect(parseTrustProxy('1')).toBe(1);
    const proxied = await startApp({ trustProxy: parseTrustProxy('1') });
    try {
      const https = await graphql(proxied.url, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' });
      expect(https.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      const page = await fetch(`${proxied.url}/`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      const plain = await graphql(proxied.url, { 'x-forwarded-proto': 'http' });
      expect(plain.headers.get('strict-transport-security')).toBeNull();
      expect((await graphql(proxied.url)).headers.get('strict-transport-security')).toBeNull();
    } finally {
      await proxied.close();
    }
  });

  it('should allow the raster background’s origin to images and connections only', async () => {
    const origins = parseCspOrigins(undefined, 'https://tuiles.example.org/osm/{z}/{x}/{y}.png');
    expect(origins).toEqual(['https://tuiles.example.org']);
    const raster = await startApp({ cspExtraOrigins: origins });
    try {
      const csp = directives((await fetch(`${raster.url}/`)).headers.get('content-security-policy'));
      expect(csp.get('img-src')).toEqual(["'self'", 'data:', 'blob:', 'https://tuiles.example.org']);
      expect(csp.get('connect-src')).toEqual(["'self'", 'https://tuiles.example.org']);
      for (const d of ['default-src', 'script-src', 'style-src', 'worker-src', 'frame-ancestors'])
        expect(csp.get(d)!.join(' '), d).not.toContain('example.org');
    } finally {
      await raster.close();
    }
  });

  it('should refuse extra origins that are not plain http(s) origins (no keyword, wildcard or directive can slip in)', () => {
    expect(parseCspOrigins('https://a.example.org, http://127.0.0.1:8080/x', undefined)).toEqual(['https://a.example.org', 'http://127.0.0.1:8080']);
    for (const bad of ['*', "'unsafe-inline'", 'https://x.example.org;script-src', 'javascript:alert(1)', 'data:', 'tuiles.example.org']) {
      expect(() => parseCspOrigins(bad, undefined), bad).toThrow(/CSP_EXTRA_ORIGINS/);
    }
    expect(() => parseCspOrigins(undefined, 'https://*.example.org/{z}/{x}/{y}.png')).toThrow(/VITE_RASTER_TILES_URL/);
  });
});
