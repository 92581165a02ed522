import type { Client } from '@urql/core';
import { GROUP_MAP_CONTEXT, MAP_CONTEXT } from '../graphql/map-context';
import { asGeometry, territoryFeatures } from '../map/features';
import type { LabelCandidate } from '../map/labels';

/** The surroundings of a commune's map: neighbours' outlines, the département's boundary, the names to write. */
export interface MapContext {
  neighbours: GeoJSON.FeatureCollection;
  /** What `neighbours` are, for the legend: the communes around, or those of the EPCI or EPT asked for. */
  neighboursLabel: string;
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
 * With `group` (an EPCI or EPT, of an actor's page), the communes drawn and named are the group's.
 */
export async function loadMapContext(client: Client, place: Place, group?: { level: 'EPCI' | 'EPT'; code: string }): Promise<MapContext | null> {
  const departement = place.parents.find((p) => p.level === 'DEPARTEMENT')?.code;
  if (!departement || (place.level !== 'COMMUNE' && place.level !== 'ARRONDISSEMENT')) return null;
  // Around an EPCI or EPT (an actor's territory), its own communes; around a commune, its neighbours.
  const res = group
    ? await client.query(GROUP_MAP_CONTEXT, { code: group.code, level: group.level, departement }).toPromise()
    : await client.query(MAP_CONTEXT, { code: place.code, level: place.level, departement }).toPromise();
  const territory = res.data?.territory;
  const around = (territory && ('children' in territory ? territory.children : territory.neighbors)) ?? [];
  const dep = res.data?.departement;
  const labels: LabelCandidate[] = [];
  if (place.lon != null && place.lat != null) labels.push({ text: place.name, lon: place.lon, lat: place.lat, rank: Infinity, minZoom: 0, kind: 'focus' });
  for (const n of around) {
    if (n.code === place.code) continue;
    if (n.lon != null && n.lat != null) labels.push({ text: n.name, lon: n.lon, lat: n.lat, rank: n.population ?? 0, minZoom: 9, kind: 'commune' });
  }
  if (dep?.lon != null && dep.lat != null) labels.push({ text: dep.name, lon: dep.lon, lat: dep.lat, rank: -1, minZoom: 0, kind: 'departement' });
  return {
    neighbours: territoryFeatures(around.map(({ code, name, geometry }) => ({ code, name, geometry }))),
    neighboursLabel: group ? `Communes de l’${group.level}` : 'Communes voisines',
    departement: asGeometry(dep?.geometry),
    labels,
  };
}
