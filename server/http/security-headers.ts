import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * The security headers of every answer (client pages, /graphql, exports, tiles), from helmet:
 *
 * - Content-Security-Policy: only the app's own origin. The app needs no network beyond its
 *   server: its map styles, fonts and tiles are its own. MapLibre starts its worker from its
 *   own script or from a `blob:` URL (worker-src, child-src), draws with WebGL on a canvas and
 *   reads image data from `data:`/`blob:` URLs; sigma draws on canvases. No inline script, no
 *   eval; styles only from the app's stylesheets (Svelte 5 and MapLibre set inline styles through
 *   the CSSOM, `element.style`, which CSP does not restrict). `extraOrigins` (the optional raster
 *   background, see `Env.cspExtraOrigins`) are added to img-src and connect-src only.
 * - frame-ancestors 'none' (and X-Frame-Options: DENY for older browsers): no page of the app in
 *   anyone's frame.
 * - X-Content-Type-Options: nosniff; Referrer-Policy: strict-origin-when-cross-origin (a link or
 *   a tile server elsewhere sees the origin at most, never a path with its filters; a tile server
 *   such as OpenStreetMap's asks for a Referer); Cross-Origin-Opener-Policy: same-origin;
 *   Cross-Origin-Resource-Policy: same-origin; no X-Powered-By.
 * - Strict-Transport-Security only on a request that came over HTTPS (`req.secure`: directly, or
 *   through a proxy trusted by TRUST_PROXY): sent over plain http://localhost it would make the
 *   browser refuse the local development server.
 */
export function securityHeaders(extraOrigins: readonly string[] = []): RequestHandler {
  const base = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'blob:', ...extraOrigins],
        'font-src': ["'self'"],
        'connect-src': ["'self'", ...extraOrigins],
        'worker-src': ["'self'", 'blob:'],
        'child-src': ["'self'", 'blob:'],
        'frame-src': ["'none'"],
        'object-src': ["'none'"],
        'manifest-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        // No upgrade-insecure-requests: on plain http://localhost (development, tests) it would
        // send the page's own requests to an https:// that does not exist.
      },
    },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  });
  const hsts = helmet.strictTransportSecurity({ maxAge: 365 * 24 * 3600, includeSubDomains: true });
  // Every header above is a constant (no nonce, no function of the request): helmet computes them
  // once here, for a plain and for a secure request, and each answer gets the same list. Running
  // helmet's fourteen middlewares on every request cost the directory's search 0.4 to 0.5 ms of
  // CPU (a third of what the app spends on it, npm run bench).
  const plain = headersOf(base, false);
  const secure = [...plain, ...headersOf(hsts, true)];
  return (req, res, next) => {
    for (const [name, value] of req.secure ? secure : plain) res.setHeader(name, value);
    next();
  };
}

/** The headers `middleware` sets on an answer to a request (`secure` or not): a list of [name, value]. */
function headersOf(middleware: RequestHandler, secure: boolean): [string, string][] {
  const headers = new Map<string, string>();
  let done = false;
  const res = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  middleware({ secure } as Request, res as unknown as Response, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('security headers: helmet refused its own options');
    done = true;
  });
  // helmet answers synchronously; a version that did not would leave its headers off every answer.
  if (!done) throw new Error('security headers: helmet did not answer synchronously');
  return [...headers];
}
