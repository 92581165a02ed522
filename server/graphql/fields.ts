import { ArrayMaxSize, IsOptional, Length, MaxLength } from 'class-validator';
import { Arg, Field, Int } from 'type-graphql';
import { ObjectType } from './object-type.js';
import type { EnumObject } from './enums.js';

/**
 * Fields that mean the same thing on every type that has them, declared once so that their
 * description (part of the committed schema) cannot drift from one type to the next.
 */

/** Several property decorators applied as one (type-graphql's field and its class-validator checks). */
export const decorators =
  (...list: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const decorate of list) decorate(target, key);
  };

/** The version of a record edited with optimistic concurrency (actor, coalition): an update sends it back, CONFLICT if it moved on. */
export const VersionField = (): PropertyDecorator => Field(() => Int, { description: 'Version, à renvoyer lors d’une modification (concurrence optimiste)' });

/** Who made a change of a workflow's history, by display name: never an email. */
export const ChangedByField = (): PropertyDecorator =>
  Field(() => String, { nullable: true, description: 'Nom affiché de la personne qui a fait le changement (jamais son courriel)' });

/** The reason given with a decision of a workflow (decline, end, decide a claim): optional, 1,000 characters at most. */
export const ReasonArg = () => Arg('reason', () => String, { nullable: true, description: 'Motif (1 000 caractères au plus)' });

/** The comment a moderator may give with an acceptance (an actor validated, a proposed change accepted): optional, 1,000 characters at most. */
export const CommentArg = () => Arg('reason', () => String, { nullable: true, description: 'Commentaire (1 000 caractères au plus)' });

/** The reason a moderator must give with a refusal (an actor, a proposed change): 1,000 characters at most. */
export const RefusalArg = () => Arg('reason', () => String, { description: 'Raison du refus (1 000 caractères au plus)' });

/** The version of the actor a moderator examined before deciding: CONFLICT if it changed since (optional). */
export const ReviewedVersionArg = () => Arg('version', () => Int, { nullable: true, description: 'Version examinée : CONFLICT si l’acteur a changé depuis' });

/** The name of an actor or a coalition in an input: 1 to 300 characters, as the tables check it. */
export const NameInput = (): PropertyDecorator =>
  decorators(
    Field(() => String, { nullable: true }),
    IsOptional(),
    Length(1, 300, { message: 'le nom doit compter de 1 à 300 caractères' }),
  );

/** The free description of an actor or a coalition in an input: 5,000 characters at most. */
export const DescriptionInput = (): PropertyDecorator =>
  decorators(
    Field(() => String, { nullable: true }),
    IsOptional(),
    MaxLength(5000, { message: 'la description dépasse 5 000 caractères' }),
  );

/**
 * An optional list in an input (codes of themes or publics, natures, sectors…) of `of` (String, an
 * enum or an input type): at most `max` values, refused before any SQL (with `message`, else
 * « N valeurs au plus »).
 */
export const OptionalList = (of: object, max: number, { description, message }: { description?: string; message?: string } = {}): PropertyDecorator =>
  decorators(
    Field(() => [of], { nullable: true, description }),
    IsOptional(),
    ArrayMaxSize(max, { message: message ?? `${max.toLocaleString('fr-FR')} valeurs au plus` }),
  );

/**
 * One change of a workflow's status as its history shows it (actor review, membership,
 * partnership): from which status (none for the first), to which, who (`ChangedByField`) and when.
 * An abstract base (type-graphql « Extending types »): no field returns it, so it never reaches the
 * schema; its fields come first in each history's type, which adds what its changes also carry.
 */
export function StatusChange<S extends string>(status: EnumObject<S>, descriptions: { fromStatus: string; toStatus?: string }) {
  @ObjectType()
  abstract class StatusChangeBase {
    @Field(() => status, { nullable: true, description: descriptions.fromStatus }) fromStatus: S | null;
    @Field(() => status, { description: descriptions.toStatus }) toStatus: S;

    @ChangedByField()
    byName: string | null;

    @Field(() => Date) at: Date;
  }
  return StatusChangeBase;
}

/**
 * `f` of a value that may still be on its way: called at once, without a promise, when the value
 * is already there. A field resolved for each object of a list then stays synchronous when it can,
 * and graphql-js completes the list without a promise per object.
 */
export function withValue<T, R>(value: T | Promise<T>, f: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
