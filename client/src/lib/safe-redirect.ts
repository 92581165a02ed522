/**
 * Where to go back after logging in (`/connexion?retour=…`): only a path of this site. Anything
 * else (another origin, `//host`, `/\host` which browsers read as `//host`, `javascript:`, control
 * characters or spaces that the URL parser strips, an encoded `/` or `\` that turns into one once
 * decoded, dot segments that resolve to `//host`) goes to `/`. Without a value, `fallback`.
 */
export function safeReturnPath(value: string | null | undefined, origin: string, fallback = '/'): string {
  if (value === null || value === undefined || value === '') return fallback;
  if (!isLocalPath(value)) return '/';
  if (!isLocalPath(safeDecode(value))) return '/';
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return '/';
  }
  if (url.origin !== new URL(origin).origin) return '/';
  // The parser resolves dot segments: `/.//host` becomes the path `//host`, which would leave the site.
  const path = url.pathname + url.search + url.hash;
  return isLocalPath(path) && isLocalPath(safeDecode(path)) ? path : '/';
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return '//';
  }
};

/**
 * A single leading `/`, not followed by `/` or `\`, and no control character or whitespace in the
 * path (the query may hold spaces: `?communeNom=Bar le Duc`).
 */
function isLocalPath(s: string): boolean {
  const path = s.split(/[?#]/, 1)[0];
  return (
    path.startsWith('/') &&
    path[1] !== '/' &&
    path[1] !== '\\' &&
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
    !/[\u0000-\u0020\u007f-\u009f\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]/.test(path)
  );
}
