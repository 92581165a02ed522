import { createHash } from 'node:crypto';

/**
 * The namespace of this directory's HSDS ids (a UUID drawn once for the project): every object
 * but the organization gets a UUID version 5 (RFC 9562 §5.5, SHA-1 of namespace and name) from its
 * actor's id and its kind, so two exports give the same object the same id, and an integrator who
 * syncs by id never sees a record change identity.
 */
export const HSDS_NAMESPACE = '862f4bb0-2277-4317-be9f-236b1185ce69';

/** UUID version 5 of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`uuidV5: namespace is not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The kinds of HSDS object derived from an actor. */
export type HsdsKind =
  'service' | 'location' | 'address' | 'service_at_location' | 'phone' | 'organization_identifier' | 'service_area' | 'schedule' | 'attribute';

/**
 * The id of an object of `kind` made from the actor `actorId`; `key` tells apart several of a kind
 * (an identifier's type, a territory `LEVEL:CODE`, a schedule's rank).
 */
export const hsdsId = (actorId: string, kind: HsdsKind, key = ''): string => uuidV5(`${actorId.toLowerCase()}/${kind}${key ? `/${key}` : ''}`, HSDS_NAMESPACE);
