// eslint-disable-next-line no-restricted-imports -- the one place type-graphql's ObjectType is used
import { ObjectType as TypeGraphQLObjectType, type ObjectTypeOptions } from 'type-graphql';

/**
 * type-graphql's `@ObjectType`, its fields read as plain properties: every output type of the API
 * is declared with this one (ESLint refuses the other).
 *
 * type-graphql gives each field without a `@FieldResolver` a resolver of its own, to run the
 * field's middlewares and auth checks (`createBasicFieldResolver`). This API has neither (rights are
 * checked in the services, by each domain's permissions), so that resolver only read the property,
 * for every field of every object of every answer: a function call, an argument object and a
 * promise check each, and for graphql-jit a resolve-info object built each time where it would
 * otherwise read the property inline. `simpleResolvers` leaves those fields to the executor's
 * default (the property of the same name); fields with a `@FieldResolver` are untouched.
 */
export function ObjectType(nameOrOptions?: string | ObjectTypeOptions, maybeOptions?: ObjectTypeOptions): ClassDecorator {
  const name = typeof nameOrOptions === 'string' ? nameOrOptions : undefined;
  const options: ObjectTypeOptions = { ...(typeof nameOrOptions === 'string' ? maybeOptions : nameOrOptions), simpleResolvers: true };
  return name === undefined ? TypeGraphQLObjectType(options) : TypeGraphQLObjectType(name, options);
}
