import { type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { fieldsIn, selectedUnder, selects, selectsPath } from '../../server/graphql/selection.js';

/** The resolve info of the query's root field, as graphql-js gives it (field nodes and fragments). */
function infoOf(query: string): GraphQLResolveInfo {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  return { fieldNodes: op.selectionSet.selections as FieldNode[], fragments } as unknown as GraphQLResolveInfo;
}

describe('selection walker', () => {
  it('should see a field asked through a fragment spread or an inline fragment, at any depth of the path', () => {
    const info = infoOf(`{ gaps { totalCount ...R } } fragment R on GapResult { rows { ... on TerritoryCoverage { nearestActorKm } } }`);
    expect(selects(info, 'totalCount')).toBe(true);
    expect(selects(info, 'rows')).toBe(true);
    expect(selectsPath(info, ['rows', 'nearestActorKm'])).toBe(true);
    expect(selectsPath(info, ['rows', 'rank'])).toBe(false);
    expect(selects(info, 'nearestActorKm')).toBe(false);
  });

  it('should not see a field of the same name elsewhere in the tree', () => {
    const info = infoOf(`{ gaps { scope { features: code } rows { territory { nearestActorKm: code } } } }`);
    expect(selects(info, 'features')).toBe(false);
    expect(selectsPath(info, ['rows', 'nearestActorKm'])).toBe(false);
  });

  it('should list the names under a child, from every alias and fragment, and count a repeated spread once', () => {
    const info = infoOf(
      `{ actors { facets { kinds ...F ... { sectors } } f2: facets { themes } } } fragment F on Facets { themes ...F2 } fragment F2 on Facets { kinds }`,
    );
    expect([...selectedUnder(info, 'facets')].sort()).toEqual(['kinds', 'sectors', 'themes']);
    const twice = infoOf(`{ gaps { ...R ...R } } fragment R on GapResult { rows { rank } }`);
    expect(fieldsIn(twice.fieldNodes[0].selectionSet, 'rows', twice.fragments)).toHaveLength(1);
  });
});
