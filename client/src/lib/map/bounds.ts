// No MapLibre here: the build's scope-bounds plugin (client/scope-bounds.plugin.ts) uses it in Node too.

/** A lon/lat box: [west, south, east, north]. */
export type Box = [number, number, number, number];

/** Bounds of any GeoJSON, as [[west, south], [east, north]]. */
export function boundsOf(geojson: GeoJSON.GeoJSON): [[number, number], [number, number]] | null {
  let w = Infinity,
    s = Infinity,
    e = -Infinity,
    n = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = c as number[];
      if (x < w) w = x;
      if (x > e) e = x;
      if (y < s) s = y;
      if (y > n) n = y;
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  const walk = (g: GeoJSON.GeoJSON | null): void => {
    if (!g) return;
    if (g.type === 'FeatureCollection') g.features.forEach(walk);
    else if (g.type === 'Feature') walk(g.geometry);
    else if (g.type === 'GeometryCollection') g.geometries.forEach(walk);
    else visit(g.coordinates);
  };
  walk(geojson);
  return Number.isFinite(w)
    ? [
        [w, s],
        [e, n],
      ]
    : null;
}
