import { Field, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';

/** A class a type-graphql mixin may extend (type-graphql « Extending types », examples/mixin-classes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mixin constructor signature TypeScript requires
export type Constructor<T = object> = abstract new (...args: any[]) => T;

/** How a type words its presence counts: over one territory, over a perimeter, for one theme. */
export interface PresenceCountDescriptions {
  localActorCount: string;
  wideActorCount: string;
}

/**
 * Actors counted by reach: present locally (commune, arrondissement, EPCI, EPT, département, radius of
 * at most 50 km, or address) or covering only from a region, France or a wider radius. The same two
 * counts in a territory's coverage, a perimeter's summary and a diagnostic's figures: a new split of
 * local presence is added here once. An abstract base: no field returns it, so it never reaches the
 * schema; its fields come first in each type that extends it.
 */
export function PresenceCounts(descriptions: PresenceCountDescriptions) {
  @ObjectType()
  abstract class PresenceCountsBase {
    @Field(() => Int, { description: descriptions.localActorCount }) localActorCount: number;
    @Field(() => Int, { description: descriptions.wideActorCount }) wideActorCount: number;
  }
  return PresenceCountsBase;
}

/**
 * The communes covered only from afar (regional or national actors, no local presence) and their
 * population, after the fields of `Base`: in a perimeter's summary and a diagnostic's figures.
 */
export function WithWideOnlyCounts<TBase extends Constructor>(Base: TBase, descriptions: { wideOnlyCommuneCount: string; wideOnlyPopulation?: string }) {
  @ObjectType()
  abstract class WideOnlyCounts extends Base {
    @Field(() => Int, { description: descriptions.wideOnlyCommuneCount }) wideOnlyCommuneCount: number;
    @Field(() => Int, { description: descriptions.wideOnlyPopulation }) wideOnlyPopulation: number;
  }
  return WideOnlyCounts;
}
