import { registerEnumType } from 'type-graphql';

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

const isList = (values: Record<string, EnumText> | readonly string[]): values is readonly string[] => Array.isArray(values);

const labelsByEnum = new WeakMap<object, Readonly<Record<string, string>>>();

/**
 * Declares a closed list in one place: its values with their French labels (and descriptions),
 * registered as a GraphQL enum. The labels are read back with `enumLabels` (server messages,
 * exports, the `vocabulary` query), never written out a second time.
 *
 * ```ts
 * export const Sector = defineEnum('Sector', "Secteur d'activité", { SANTE: 'Santé', SOCIAL: 'Social' });
 * export type Sector = EnumValue<typeof Sector>;
 * ```
 */
export function defineEnum<const T extends Record<string, EnumText>>(name: string, description: string, values: T): EnumObject<keyof T & string>;
/** A closed list whose values the schema does not describe (nor label). */
export function defineEnum<const K extends string>(name: string, description: string, values: readonly K[]): EnumObject<K>;
export function defineEnum(name: string, description: string, values: Record<string, EnumText> | readonly string[]): EnumObject<string> {
  if (isList(values)) {
    const enumObject: EnumObject<string> = Object.freeze(Object.fromEntries(values.map((v) => [v, v])));
    registerEnumType(enumObject, { name, description });
    return enumObject;
  }
  const entries = Object.entries(values);
  const enumObject: EnumObject<string> = Object.freeze(Object.fromEntries(entries.map(([v]) => [v, v])));
  const text = (t: EnumText) => (typeof t === 'string' ? { label: t, description: t } : t);
  registerEnumType(enumObject, {
    name,
    description,
    valuesConfig: Object.fromEntries(entries.map(([v, t]) => [v, { description: text(t).description }])),
  });
  labelsByEnum.set(enumObject, Object.freeze(Object.fromEntries(entries.map(([v, t]) => [v, text(t).label]))));
  return enumObject;
}

/**
 * The states of a request that others decide (a proposed change of an actor, a claim to represent
 * one), with their labels (feminine, as « demande » and « proposition »): each workflow's enum
 * starts with them and adds its own.
 */
export const DECIDED_REQUEST_STATES = { PENDING: 'En attente', ACCEPTED: 'Acceptée', REJECTED: 'Refusée' } as const;

/** The French labels of an enum declared with `defineEnum`, by value, in declaration order. */
export function enumLabels<E extends EnumObject<string>>(enumObject: E): Readonly<Record<EnumValue<E>, string>> {
  const labels = labelsByEnum.get(enumObject);
  if (!labels) throw new Error('enumLabels: enum declared without labels');
  return labels;
}
