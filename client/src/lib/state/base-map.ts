import type { Client } from '@urql/core';
import { DEPARTEMENTS_BASE } from '../graphql/queries';

let cached: Promise<GeoJSON.FeatureCollection> | undefined;

/** Outlines of the départements, fetched once per page load: the offline base map. */
export function departementsBase(client: Client): Promise<GeoJSON.FeatureCollection> {
  cached ??= client
    .query(DEPARTEMENTS_BASE, {})
    .toPromise()
    .then((res) => ({
      type: 'FeatureCollection' as const,
      features: (res.data?.territory?.children ?? [])
        .filter((d: any) => d.geometry)
        .map((d: any) => ({ type: 'Feature' as const, properties: { code: d.code, name: d.name }, geometry: d.geometry })),
    }));
  return cached;
}
