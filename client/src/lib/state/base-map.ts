import type { Client } from '@urql/core';
import { DEPARTEMENTS_BASE } from '../graphql/queries';
import { territoryFeatures } from '../map/features';

let cached: Promise<GeoJSON.FeatureCollection> | undefined;

/** Outlines of the départements, fetched once per page load: the offline base map. */
export function departementsBase(client: Client): Promise<GeoJSON.FeatureCollection> {
  cached ??= client
    .query(DEPARTEMENTS_BASE, {})
    .toPromise()
    .then((res) => territoryFeatures(res.data?.territory?.children ?? []));
  return cached;
}
