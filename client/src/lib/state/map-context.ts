import type { Client } from '@urql/core';
import { MAP_CONTEXT } from '../graphql/map-context';
import { asGeometry, territoryFeatures } from '../map/features';
import type { LabelCandidate } from '../map/labels';

/** The surroundings of a commune's map: neighbours' outlines, the département's boundary, the names to write. */
export interface MapContext {
  neighbours: GeoJSON.FeatureCollection;
  departement: GeoJSON.Geometry | null;
  labels: LabelCandidate[];
}

interface Place {
  code: string;
  name: string;
  level: string;
  lon?: number | null;
  lat?: number | null;
  population?: number | null;
  parents: readonly { level: string; code: string }[];
}

/**
 * Reads the context of a commune (or arrondissement) page's map. Its name is always written; its
 * neighbours' from zoom 9 (the most populous first where they crowd); the département's at low zooms.
 */
export async function loadMapContext(client: Client, place: Place): Promise<MapContext | null> {
  const departement = place.parents.find((p) => p.level === 'DEPARTEMENT')?.code;
  if (!departement || (place.level !== 'COMMUNE' && place.level !== 'ARRONDISSEMENT')) return null;
  const res = await client.query(MAP_CONTEXT, { code: place.code, level: place.level, departement }).toPromise();
  const around = res.data?.territory?.neighbors ?? [];
  const dep = res.data?.departement;
  const labels: LabelCandidate[] = [];
  if (place.lon != null && place.lat != null) labels.push({ text: place.name, lon: place.lon, lat: place.lat, rank: Infinity, minZoom: 0, kind: 'focus' });
  for (const n of around) {
    if (n.lon != null && n.lat != null) labels.push({ text: n.name, lon: n.lon, lat: n.lat, rank: n.population ?? 0, minZoom: 9, kind: 'commune' });
  }
  if (dep?.lon != null && dep.lat != null) labels.push({ text: dep.name, lon: dep.lon, lat: dep.lat, rank: -1, minZoom: 0, kind: 'departement' });
  return {
    neighbours: territoryFeatures(around.map(({ code, name, geometry }) => ({ code, name, geometry }))),
    departement: asGeometry(dep?.geometry),
    labels,
  };
}
