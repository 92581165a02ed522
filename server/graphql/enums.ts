import { registerEnumType } from 'type-graphql';
import closedLists from './closed-lists.fr.json' with { type: 'json' };

/**
 * The French text of one value of a closed list: its label, which also describes it in the schema,
 * or a label and a longer description when the schema says more than the interface shows.
 */
export type EnumText = string | { label: string; description: string };

/**
 * A string enum as an object (`ActorKind.ASSOCIATION === 'ASSOCIATION'`), each member typed as its
 * own value so that a `switch` over the enum is exhaustive; an array of members is a narrow union
 * (`const from: MembershipStatus[] = [MembershipStatus.ACTIVE]` widens it).
 */
export type EnumObject<K extends string> = { readonly [V in K]: V };

/** The union of an enum object's values: `type ActorKind = EnumValue<typeof ActorKind>`. */
export type EnumValue<E> = E[keyof E];

const labelsByEnum = new WeakMap<object, Readonly<Record<string, string>>>();

/** The closed lists whose values carry French labels, by GraphQL name (closed-lists.fr.json). */
type Catalogue = typeof closedLists;
export type ClosedListName = keyof Catalogue;
type ValuesOf<N extends ClosedListName> = Catalogue[N]['values'];

/**
 * Declares a closed list: its values, French labels and descriptions are read from the catalogue
 * `closed-lists.fr.json` (one file for the whole vocabulary of the API, reviewed as text, never as
 * code), registered as a GraphQL enum. The labels are read back with `enumLabels` (server messages,
 * exports, the `vocabulary` query), never written out a second time.
 *
 * ```ts
 * export const Sector = defineEnum('Sector'); // "Sector": { "description": …, "values": { "SANTE": "Santé", … } }
 * export type Sector = EnumValue<typeof Sector>;
 * ```
 */
export function defineEnum<const N extends ClosedListName>(name: N): EnumObject<keyof ValuesOf<N> & string>;
/** A closed list whose values the schema does not describe (nor label), declared in the code. */
export function defineEnum<const K extends string>(name: string, description: string, values: readonly K[]): EnumObject<K>;
export function defineEnum(name: string, description?: string, list?: readonly string[]): EnumObject<string> {
  if (list) {
    const enumObject: EnumObject<string> = Object.freeze(Object.fromEntries(list.map((v) => [v, v])));
    registerEnumType(enumObject, { name, description });
    return enumObject;
  }
  const entry: { description: string; values: Record<string, EnumText> } = closedLists[name as ClosedListName];
  const entries = Object.entries(entry.values);
  const enumObject: EnumObject<string> = Object.freeze(Object.fromEntries(entries.map(([v]) => [v, v])));
  const text = (t: EnumText) => (typeof t === 'string' ? { label: t, description: t } : t);
  registerEnumType(enumObject, {
    name,
    description: entry.description,
    valuesConfig: Object.fromEntries(entries.map(([v, t]) => [v, { description: text(t).description }])),
  });
  labelsByEnum.set(enumObject, Object.freeze(Object.fromEntries(entries.map(([v, t]) => [v, text(t).label]))));
  return enumObject;
}

/** The French labels of an enum declared with `defineEnum`, by value, in declaration order. */
export function enumLabels<E extends EnumObject<string>>(enumObject: E): Readonly<Record<EnumValue<E>, string>> {
  const labels = labelsByEnum.get(enumObject);
  if (!labels) throw new Error('enumLabels: enum declared without labels');
  return labels;
}
