import { type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * The one walker of selection sets: the fields named `name` (every field when `name` is null)
 * directly in `set`, through inline fragments and fragment spreads (each spread visited once).
 * Resolvers use it to skip work nobody asked for; the cost analysis, to price what is asked.
 */
export function fieldsIn(set: SelectionSetNode | undefined, name: string | null, fragments: Readonly<Record<string, FragmentDefinitionNode>>): FieldNode[] {
  const found: FieldNode[] = [];
  const seen = new Set<string>();
  const visit = (s: SelectionSetNode | undefined) => {
    for (const node of s?.selections ?? []) {
      if (node.kind === Kind.FIELD) {
        if (name === null || node.name.value === name) found.push(node);
      } else if (node.kind === Kind.INLINE_FRAGMENT) visit(node.selectionSet);
      else if (!seen.has(node.name.value)) {
        seen.add(node.name.value);
        visit(fragments[node.name.value]?.selectionSet);
      }
    }
  };
  visit(set);
  return found;
}

/** The fields reached from the current field by `path` (names nested in order), fragments included. */
function fieldsAt(info: GraphQLResolveInfo, path: readonly string[]): FieldNode[] {
  return path.reduce<readonly FieldNode[]>(
    (nodes, name) => nodes.flatMap((n) => fieldsIn(n.selectionSet, name, info.fragments)),
    info.fieldNodes,
  ) as FieldNode[];
}

/** True if the current field's selection asks for `name` directly (fragments included). */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  return fieldsAt(info, [name]).length > 0;
}

/** True if the selection reaches `path` (fields nested in order, e.g. `['rows', 'nearestActorKm']`). */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  return fieldsAt(info, path).length > 0;
}

/**
 * The names selected under the current field's descendant at `path` (fragments included), e.g.
 * which facets are asked (`'facets'`), which fields of the actors of a page (`'edges', 'node'`).
 * `@include`/`@skip` are not evaluated: a field they may leave out is counted as asked.
 */
export function selectedUnder(info: GraphQLResolveInfo, ...path: [string, ...string[]]): Set<string> {
  return new Set(fieldsAt(info, path).flatMap((n) => fieldsIn(n.selectionSet, null, info.fragments).map((f) => f.name.value)));
}
