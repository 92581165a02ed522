import type { RequestHandler } from 'express';
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
  return (req, res, next) => {
    base(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (req.secure) hsts(req, res, next);
      else next();
    });
  };
}
