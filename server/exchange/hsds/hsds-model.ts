import { ACTOR_KIND_LABELS, SECTOR_LABELS } from '../../actors/actor-enums.js';
import type { ExportRow } from '../../actors/actor-export.js';
import { LEVEL_LABELS, type TerritoryLevel } from '../../territories/territory-level.js';
import type { Taxonomy } from '../../themes/theme.service.js';
import { organizationAttributes, serviceAttributes } from './hsds-attributes.js';
import { hsdsId } from './hsds-ids.js';
import { hsdsSchedules, type ScheduleFields } from './hsds-schedule.js';

/**
 * The HSDS 3.0 objects an actor gives (Open Referral, Human Services Data Specification): the
 * organization (its id is the actor's), one service (its offer: themes, publics, territory), its
 * place as a location with its address, the service at that location, a service area per declared
 * territory (and one for a radius), its SIREN, SIRET, RNA and FINESS as organization identifiers,
 * its phone, and its opening hours as schedules. Every id is the actor's or derived from it (hsds-ids.ts).
 */

/** What the export reads beside the record (hsds-export.ts). */
export interface ActorExtras {
  verifiedAt: Date | null;
  updatedAt: Date;
  communeName: string | null;
  departementName: string | null;
  regionName: string | null;
  /** Whether the actor's point is its own (coordinates given), not the centre its commune lends it. */
  ownPlace: boolean;
  /** The radius around the actor's place as a GeoJSON polygon, when it declares one. */
  radiusExtent: string | null;
}

/** A declared territory: its name and its outline as GeoJSON (null when it has none: the country, collectivités d'outre-mer). */
export interface TerritoryExtent {
  name: string;
  extent: string | null;
}

/** An HSDS object: its id, its fields (left out when empty) and its nested objects. */
export type HsdsObject = { id: string; [field: string]: unknown };
export type HsdsLocationFull = HsdsObject & { addresses: HsdsObject[]; schedules: HsdsObject[] };
export type HsdsServiceFull = HsdsObject & {
  attributes: HsdsObject[];
  schedules: HsdsObject[];
  service_areas: HsdsObject[];
  service_at_locations: (HsdsObject & { location: HsdsLocationFull })[];
};
/** An organization with its objects, the shape of HSDS's compiled `organization` schema. */
export type HsdsOrganizationFull = HsdsObject & {
  phones: HsdsObject[];
  locations: HsdsLocationFull[];
  organization_identifiers: HsdsObject[];
  services: HsdsServiceFull[];
  attributes: HsdsObject[];
};

/** Properties of no value are left out (HSDS fields are optional unless required). */
function defined(o: HsdsObject): HsdsObject {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== '')) as HsdsObject;
}

/** An http(s) address as an absolute URI (`format: uri`), a bare domain read as https; null otherwise. */
export function webAddress(value: string | null): string | null {
  const v = value?.trim();
  if (!v) return null;
  for (const candidate of [v, `https://${v}`]) {
    try {
      const url = new URL(candidate);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.')) return url.href;
    } catch {
      // not a URL as written: try with https://
    }
  }
  return null;
}

/** The `email` format of JSON Schema as ajv-formats checks it; an address it would refuse is left out. */
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
export const emailAddress = (value: string | null): string | null => (value && EMAIL.test(value.trim()) ? value.trim() : null);

/** A persistent identifier of a territory from its official code, in the API Découpage administratif (geo.api.gouv.fr). */
const TERRITORY_URIS: Partial<Record<TerritoryLevel, (code: string) => string>> = {
  COMMUNE: (c) => `https://geo.api.gouv.fr/communes/${c}`,
  ARRONDISSEMENT: (c) => `https://geo.api.gouv.fr/communes/${c}?type=arrondissement-municipal`,
  EPCI: (c) => `https://geo.api.gouv.fr/epcis/${c}`,
  DEPARTEMENT: (c) => `https://geo.api.gouv.fr/departements/${c}`,
  REGION: (c) => `https://geo.api.gouv.fr/regions/${c}`,
};

export const territoryKey = (t: { level: TerritoryLevel; code: string }) => `${t.level}:${t.code}`;

const date = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);
const labels = (codes: readonly string[], byCode: ReadonlyMap<string, { label: string }>) => codes.map((c) => byCode.get(c)?.label ?? c).join(', ');

/** The HSDS objects of one actor, nested as HSDS's compiled `organization` schema shows them. */
export function hsdsOrganization(
  r: ExportRow,
  x: ActorExtras,
  territories: ReadonlyMap<string, TerritoryExtent>,
  taxonomy: Pick<Taxonomy, 'themeByCode' | 'audienceByCode'>,
  schedulesOf: (openingHours: string) => ScheduleFields[] = (v) => hsdsSchedules(v),
): HsdsOrganizationFull {
  const kind = ACTOR_KIND_LABELS[r.kind] ?? r.kind;
  const sector = r.sector ? (SECTOR_LABELS[r.sector] ?? r.sector) : null;
  const themes = labels(r.themeCodes, taxonomy.themeByCode);
  const audiences = labels(r.audienceCodes, taxonomy.audienceByCode);
  const summary = [kind, sector, themes && `thèmes : ${themes}`].filter(Boolean).join(' · ');
  const serviceId = hsdsId(r.id, 'service');
  const email = emailAddress(r.email);
  const website = webAddress(r.website);

  let location: HsdsLocationFull | null = null;
  const point = x.ownPlace && r.lat !== null && r.lon !== null ? { latitude: r.lat, longitude: r.lon } : {};
  if (r.address || 'latitude' in point) {
    const id = hsdsId(r.id, 'location');
    const addresses: HsdsObject[] =
      r.address && x.communeName && x.departementName
        ? [
            defined({
              id: hsdsId(r.id, 'address'),
              location_id: id,
              address_1: r.address,
              city: x.communeName,
              region: x.regionName,
              state_province: x.departementName,
              postal_code: r.postalCode ?? '',
              country: 'FR',
              address_type: 'physical',
            }),
          ]
        : [];
    // HSDS requires a postal code in an address: an address without one stays in the location's description.
    if (addresses.length && !addresses[0].postal_code) addresses.pop();
    location = {
      ...defined({
        id,
        location_type: 'physical',
        organization_id: r.id,
        name: r.name,
        // An address HSDS cannot hold (no postal code or commune) is the location's description, as stored.
        description: r.address && !addresses.length ? r.address : null,
        ...point,
      }),
      addresses,
      schedules: [],
    };
  }

  const schedules: HsdsObject[] = r.openingHours
    ? schedulesOf(r.openingHours).map((s, i) => ({
        id: hsdsId(r.id, 'schedule', String(i)),
        // Opening hours are the place's when the actor has one, else its service's.
        ...(location ? { location_id: location.id } : { service_id: serviceId }),
        ...s,
      }))
    : [];
  if (location) location.schedules = schedules;

  const areas: HsdsObject[] = r.territories.map((t) => {
    const key = territoryKey(t);
    const known = territories.get(key);
    const name = known?.name ?? (t.level === 'PAYS' ? 'France' : t.code);
    return defined({
      id: hsdsId(r.id, 'service_area', key),
      service_id: serviceId,
      name,
      description: `${LEVEL_LABELS[t.level]} ${name} (code ${t.code}, code officiel géographique 2026)`,
      extent: known?.extent ?? null,
      extent_type: known?.extent ? 'geojson' : null,
      uri: TERRITORY_URIS[t.level]?.(t.code) ?? null,
    });
  });
  if (r.radiusKm !== null) {
    areas.push(
      defined({
        id: hsdsId(r.id, 'service_area', 'radius'),
        service_id: serviceId,
        name: `Rayon de ${String(r.radiusKm).replace('.', ',')} km`,
        description: `Rayon de ${String(r.radiusKm).replace('.', ',')} km autour du lieu de l’acteur${x.communeName ? ` (${x.communeName})` : ''}`,
        extent: x.radiusExtent,
        extent_type: x.radiusExtent ? 'geojson' : null,
      }),
    );
  }

  const description = r.description?.trim() ? r.description : summary;
  const service: HsdsServiceFull = {
    ...defined({
      id: serviceId,
      organization_id: r.id,
      name: r.name,
      description,
      url: website,
      email,
      status: r.status === 'ACTIVE' ? 'active' : 'inactive',
      eligibility_description: audiences ? `Publics : ${audiences}` : null,
      assured_date: date(x.verifiedAt),
      last_modified: x.updatedAt.toISOString(),
    }),
    attributes: serviceAttributes(r, serviceId, taxonomy),
    schedules: location ? [] : schedules,
    service_areas: areas,
    service_at_locations: location ? [{ id: hsdsId(r.id, 'service_at_location'), service_id: serviceId, location_id: location.id, location }] : [],
  };

  const identifiers: HsdsObject[] = (
    [
      ['SIREN', r.siren],
      ['SIRET', r.siret],
      ['RNA', r.rna],
      ['FINESS', r.finess],
    ] as const
  )
    .filter((e): e is readonly [(typeof e)[0], string] => !!e[1])
    .map(([type, value]) => ({ id: hsdsId(r.id, 'organization_identifier', type), organization_id: r.id, identifier_type: type, identifier: value }));

  return {
    ...defined({
      id: r.id,
      name: r.name,
      description,
      email,
      website,
      legal_status: kind,
    }),
    phones: r.phone ? [{ id: hsdsId(r.id, 'phone'), organization_id: r.id, number: r.phone, type: 'voice' }] : [],
    locations: location ? [location] : [],
    organization_identifiers: identifiers,
    services: [service],
    attributes: organizationAttributes(r, { description, email, website }),
  };
}

/** The flat objects of an organization by HSDS object name (the tables of the Tabular Data Package). */
export function hsdsTables(o: HsdsOrganizationFull): Record<string, HsdsObject[]> {
  const { phones, locations, organization_identifiers, services } = o;
  const flat = (x: HsdsObject, ...nested: string[]) => Object.fromEntries(Object.entries(x).filter(([k]) => !nested.includes(k))) as HsdsObject;
  const attributes = [...o.attributes, ...services.flatMap((s) => s.attributes)];
  return {
    organization: [flat(o, 'phones', 'locations', 'organization_identifiers', 'services', 'attributes')],
    service: services.map((s) => flat(s, 'schedules', 'service_areas', 'service_at_locations', 'attributes')),
    location: locations.map((l) => flat(l, 'addresses', 'schedules')),
    address: locations.flatMap((l) => l.addresses),
    service_at_location: services.flatMap((s) => s.service_at_locations.map((sal) => flat(sal, 'location'))),
    phone: phones,
    schedule: [...locations.flatMap((l) => l.schedules), ...services.flatMap((s) => s.schedules)],
    service_area: services.flatMap((s) => s.service_areas),
    organization_identifier: organization_identifiers,
    attribute: attributes.map((a) => flat(a, 'taxonomy_term')),
    // The same term for many actors: the zip writes each once (writeHsdsZip).
    taxonomy_term: attributes.map((a) => a.taxonomy_term as HsdsObject),
  };
}
