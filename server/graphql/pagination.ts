import { type ClassType, Field, Int } from 'type-graphql';
import { ObjectType } from './object-type.js';
import { badInput } from './errors.js';
import { isUuid } from './ids.js';

/** Forward-only page information, as the coalition list has always given it (its GraphQL name). */
@ObjectType('CoalitionPageInfo')
export class ForwardPageInfo {
  @Field(() => Boolean) hasNextPage: boolean;
  @Field(() => String, { nullable: true }) endCursor: string | null;
}

/** Relay page information: the forward one and its way back. */
@ObjectType()
export class PageInfo extends ForwardPageInfo {
  @Field(() => Boolean) hasPreviousPage: boolean;
  @Field(() => String, { nullable: true }) startCursor: string | null;
}

/** The fields of a Relay edge of `node`'s type: the cursor to resume after it, and the node. */
export function EdgeOf<T extends object>(node: ClassType<T>) {
  @ObjectType()
  abstract class Edge {
    @Field(() => String) cursor: string;
    @Field(() => node) node: T;
  }
  return Edge;
}

/**
 * The fields of a page of `edge`s and where it stops, `pageInfo` of type `pageInfo` (type-graphql's
 * generic types, examples/generic-types). Fields a page also gives (a count, facets) come after these.
 */
export function PageOf<E extends object, P extends ForwardPageInfo = PageInfo>(edge: ClassType<E>, pageInfo?: ClassType<P>) {
  @ObjectType()
  abstract class Page {
    @Field(() => [edge]) edges: E[];
    @Field(() => pageInfo ?? PageInfo) pageInfo: P;
  }
  return Page;
}

/** A Relay connection: a page of `edge`s and the total, whose description says what is counted. */
export function ConnectionOf<E extends object, P extends ForwardPageInfo = PageInfo>(
  edge: ClassType<E>,
  totalCountDescription?: string,
  pageInfo?: ClassType<P>,
) {
  @ObjectType()
  abstract class Connection extends PageOf(edge, pageInfo) {
    @Field(() => Int, { description: totalCountDescription }) totalCount: number;
  }
  return Connection;
}

/**
 * A keyset cursor: the sort value of the last row and its id, [value, id] in JSON, base64url. It
 * is read back only through `decodeCursor`, which checks both, so that a forged cursor is a
 * BAD_USER_INPUT and never reaches SQL.
 */
export function encodeCursor(value: unknown, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

/** A sort value that is text PostgreSQL takes (no NUL), of a sane length. */
export const isCursorText = (v: unknown): v is string => typeof v === 'string' && v.length <= 1000 && !v.includes('\u0000');

/**
 * An instant as a cursor keeps it, to the microsecond (a Date keeps milliseconds only), written by
 * `to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`: checked before it reaches SQL.
 */
export const isInstantKey = (v: unknown): v is string => {
  if (!isCursorText(v) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(v)) return false;
  const ms = Date.parse(`${v.slice(0, 23)}Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(v.slice(0, 23));
};

const invalidCursor = () => badInput('Curseur de pagination invalide : reprenez la recherche depuis la première page', 'after');

/** Reads a cursor written by `encodeCursor`: [value, id], the value checked by `isValue`. */
export function decodeCursor<V>(cursor: string, isValue: (v: unknown) => v is V): [V, string] {
  let parsed: unknown = null;
  try {
    if (cursor.length <= 2000) parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (Array.isArray(parsed) && parsed.length === 2 && isUuid(parsed[1]) && isValue(parsed[0])) return [parsed[0], parsed[1]];
  throw invalidCursor();
}

/** A forward page cut from `first + 1` rows read in keyset order: its edges and page information. */
export function forwardPage<T>(rows: readonly T[], first: number, cursorOf: (node: T) => string, after?: string | null) {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  const pageInfo: PageInfo = {
    hasNextPage: rows.length > first,
    hasPreviousPage: !!after,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges.at(-1)?.cursor ?? null,
  };
  return { edges, pageInfo };
}
