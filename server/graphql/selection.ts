import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/** True if the current field's selection asks for `name` directly (fragments included). */
export function selects(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((s) => {
      if (s.kind === 'Field') return s.name.value === name;
      if (s.kind === 'InlineFragment') return visit(s.selectionSet);
      const fragment = info.fragments[s.name.value];
      return fragment ? visit(fragment.selectionSet) : false;
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

/** The names selected under the current field's child `name` (fragments included), e.g. which facets are asked. */
export function selectedUnder(info: GraphQLResolveInfo, name: string): Set<string> {
  const out = new Set<string>();
  const collect = (set: SelectionSetNode | undefined, into: (s: SelectionSetNode | undefined) => void) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === 'Field') {
        if (s.name.value === name) into(s.selectionSet);
      } else if (s.kind === 'InlineFragment') collect(s.selectionSet, into);
      else {
        const fragment = info.fragments[s.name.value];
        if (fragment) collect(fragment.selectionSet, into);
      }
    }
  };
  const names = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === 'Field') out.add(s.name.value);
      else if (s.kind === 'InlineFragment') names(s.selectionSet);
      else {
        const fragment = info.fragments[s.name.value];
        if (fragment) names(fragment.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) collect(node.selectionSet, names);
  return out;
}
