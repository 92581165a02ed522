/** The GeoJSON the maps draw, built from the API's territories and actors. */
import circle from '@turf/circle';

/** A territory with its outline, as `geometry(simplify:)` returns it (null without one). */
interface TerritoryShape {
  code: string;
  name?: string;
  geometry?: GeoJSON.GeoJSON | null;
  /** Where its name goes (label point), and its population (which names come first). */
  lon?: number | null;
  lat?: number | null;
  population?: number | null;
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
        ? [
            {
              type: 'Feature' as const,
              properties: Object.fromEntries(
                Object.entries({ code: t.code, name: t.name, lon: t.lon, lat: t.lat, population: t.population }).filter(([, v]) => v !== undefined),
              ),
              geometry: t.geometry,
            },
          ]
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

/** An actor's radius of action around its address, if it has one. */
interface RadiusActor {
  lon?: number | null;
  lat?: number | null;
  radiusKm?: number | null;
}

/**
 * The area of an actor that acts within a radius of its address: a geodesic circle (64 sides,
 * @turf/circle), not a dot. Null without coordinates or radius.
 */
export function radiusArea(a: RadiusActor): GeoJSON.Feature<GeoJSON.Polygon> | null {
  if (a.lon == null || a.lat == null || !a.radiusKm || a.radiusKm <= 0) return null;
  return circle([a.lon, a.lat], a.radiusKm, { steps: 64, units: 'kilometers', properties: { radiusKm: a.radiusKm } });
}

/** An actor's intervention territory: its territories' outlines and the circle of its radius. */
export function actorArea(a: RadiusActor & { territories: readonly TerritoryShape[] }): GeoJSON.FeatureCollection {
  const fc = territoryFeatures(a.territories);
  const c = radiusArea(a);
  return c ? { type: 'FeatureCollection', features: [...fc.features, c] } : fc;
}
