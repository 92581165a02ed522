/** The GeoJSON the maps draw, built from the API's territories and actors. */

/** A territory with its outline, as `geometry(simplify:)` returns it (null without one). */
interface TerritoryShape {
  code: string;
  name?: string;
  geometry?: GeoJSON.GeoJSON | null;
}

/** An actor placed on the map (its coordinates may be unknown). */
interface PlacedActor {
  id: string;
  name: string;
  isDemo: boolean;
  lon?: number | null;
  lat?: number | null;
}

const isGeometry = (g: GeoJSON.GeoJSON | null | undefined): g is GeoJSON.Geometry => !!g && g.type !== 'Feature' && g.type !== 'FeatureCollection';

/** A geometry from the API's GeoJSON scalar (a territory's outline), or null. */
export const asGeometry = (g: GeoJSON.GeoJSON | null | undefined): GeoJSON.Geometry | null => (isGeometry(g) ? g : null);

/** The outlines of territories, each a feature with its code (and name); those without an outline are left out. */
export function territoryFeatures(territories: readonly TerritoryShape[]): GeoJSON.FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: territories.flatMap((t) =>
      isGeometry(t.geometry)
        ? [{ type: 'Feature' as const, properties: t.name === undefined ? { code: t.code } : { code: t.code, name: t.name }, geometry: t.geometry }]
        : [],
    ),
  };
}

/** Actors as points (id, name, isDemo); those without coordinates are left out. */
export function actorPoints(actors: readonly PlacedActor[]): GeoJSON.FeatureCollection<GeoJSON.Point> {
  return {
    type: 'FeatureCollection',
    features: actors.flatMap((a) =>
      a.lon != null && a.lat != null
        ? [
            {
              type: 'Feature' as const,
              properties: { id: a.id, name: a.name, isDemo: a.isDemo },
              geometry: { type: 'Point' as const, coordinates: [a.lon, a.lat] },
            },
          ]
        : [],
    ),
  };
}

/** A feature collection from the API's GeoJSON scalar, or an empty one for anything else. */
export function asFeatureCollection(g: GeoJSON.GeoJSON | null | undefined): GeoJSON.FeatureCollection {
  return g?.type === 'FeatureCollection' ? g : { type: 'FeatureCollection', features: [] };
}
