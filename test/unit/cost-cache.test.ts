import 'reflect-metadata';
import { type GraphQLSchema, parse, print } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTORS } from '../../client/src/lib/graphql/queries.js';
import { analyzeOperation, cachedAnalyzer } from '../../server/graphql/cost.js';
import { createSchema } from '../../server/graphql/schema.js';

/**
 * The cost analysis is kept per operation and values of the variables its cost depends on
 * (cachedAnalyzer, server/graphql/cost.ts). Its rule: a request gets exactly the analysis it would
 * get computed anew, whatever the requests before it. The attacks are the ways a cheap request
 * could leave its analysis to an expensive one: a variable the first walk did not read (a field
 * behind `@include`, a cap checked only once no other was over), a variable left out against one
 * sent as null, another operation of the same document.
 */
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await createSchema();
});

const fresh = (doc: ReturnType<typeof parse>, variables: Record<string, unknown>, operationName?: string) =>
  analyzeOperation(schema, doc, variables, operationName);

describe('cost analysis kept per operation', () => {
  it('should give the directory search of every commune and theme the one analysis of its page size', () => {
    const analyze = cachedAnalyzer();
    const doc = parse(print(ACTORS));
    const first = analyze(schema, doc, { filter: { coversCommune: '55545', themesAny: ['addictions'] }, first: 20, orderBy: 'NAME' });
    const other = analyze(schema, doc, { filter: { coversCommune: '13055', themesAny: ['sante-mentale'] }, first: 20, orderBy: 'NAME' });
    expect(other).toBe(first); // the same object: not computed again
    expect(other).toEqual(fresh(doc, { filter: { coversCommune: '13055', themesAny: ['sante-mentale'] }, first: 20, orderBy: 'NAME' }));
    const longer = analyze(schema, doc, { filter: { coversCommune: '13055' }, first: 200 });
    expect(longer).not.toBe(first);
    expect(longer!.cost).toBeGreaterThan(first!.cost);
    expect(longer).toEqual(fresh(doc, { filter: { coversCommune: '13055' }, first: 200 }));
  });

  it('should not let a field let in by @include take the analysis of a request that left it out', () => {
    const analyze = cachedAnalyzer();
    const doc = parse(`query ($x: Boolean!, $n: Int, $m: Int) {
      themes { code }
      actors(first: $n) @include(if: $x) { edges { node { coveredCommunes(first: $m) { nodes { geometry } } } } }
    }`);
    const sequence = [
      { x: false, n: 200, m: 1000 },
      { x: true, n: 1, m: 1 },
      { x: true, n: 200, m: 1000 },
      { x: false, n: 1, m: 1 },
      { x: true, n: 200, m: 1000 },
    ];
    for (const variables of sequence) expect(analyze(schema, doc, variables)).toEqual(fresh(doc, variables));
    // The expensive one is refused for what it is (GRAPHQL_MAX_COST is 20,000 by default).
    expect(analyze(schema, doc, { x: true, n: 200, m: 1000 })!.cost).toBeGreaterThan(20_000);
  });

  it('should find the second cap over its limit once the first is within its own', () => {
    const analyze = cachedAnalyzer();
    const doc = parse(`query ($a: Int, $b: Int) { actors(first: $a) { totalCount } coalitions(first: $b) { totalCount } }`);
    const over = analyze(schema, doc, { a: 5000, b: 1 });
    expect(over!.capError?.message).toMatch(/« first » doit être compris entre 0 et 200/);
    for (const variables of [
      { a: 5000, b: 5000 },
      { a: 1, b: 5000 },
      { a: 1, b: 1 },
      { a: 1, b: 5000 },
    ])
      expect(analyze(schema, doc, variables)).toEqual(fresh(doc, variables));
    expect(analyze(schema, doc, { a: 1, b: 5000 })!.capError).not.toBeNull();
  });

  it('should tell a variable left out (its default) from one sent as null', () => {
    const analyze = cachedAnalyzer();
    // Left out: the default, one commune. Sent as null: no filter, the whole country.
    const doc = parse(`query ($f: GapFilterInput = { scope: { level: COMMUNE, code: "55545" } }) { gaps(filter: $f, first: 10) { totalCount } }`);
    const leftOut = analyze(schema, doc, {});
    const asNull = analyze(schema, doc, { f: null });
    expect(leftOut).toEqual(fresh(doc, {}));
    expect(asNull).toEqual(fresh(doc, { f: null }));
    expect(asNull!.cost).toBeGreaterThan(leftOut!.cost);
    expect(asNull!.analytical).toEqual(['Query.gaps']);
    expect(leftOut!.analytical).toEqual([]);
  });

  it('should keep the operations of one document apart', () => {
    const analyze = cachedAnalyzer();
    const doc = parse(
      `query Cheap { themes { code } } query Dear($n: Int) { actors(first: $n) { edges { node { coveredCommunes(first: 1000) { nodes { geometry } } } } } }`,
    );
    const cheap = analyze(schema, doc, { n: 200 }, 'Cheap');
    const dear = analyze(schema, doc, { n: 200 }, 'Dear');
    expect(cheap).toEqual(fresh(doc, { n: 200 }, 'Cheap'));
    expect(dear).toEqual(fresh(doc, { n: 200 }, 'Dear'));
    expect(dear!.cost).toBeGreaterThan(cheap!.cost);
  });

  it('should read the same variables in an argument built of several, in fragments, and in gap scopes', () => {
    const analyze = cachedAnalyzer();
    const doc = parse(`query ($level: TerritoryLevel!, $code: String!, $first: Int, $t: [String!]) {
      gaps(filter: { scope: { level: $level, code: $code }, themes: $t }, first: $first) { ...Rows }
    }
    fragment Rows on GapResult { totalCount rows { rank nearestActorKm } }`);
    const values = [
      { level: 'COMMUNE', code: '55545', first: 10, t: ['addictions'] },
      { level: 'REGION', code: '44', first: 10, t: ['addictions'] },
      { level: 'COMMUNE', code: '55545', first: 5000, t: ['addictions'] },
      { level: 'REGION', code: '44', first: 5000, t: ['addictions', 'vaccination'] },
      { level: 'DEPARTEMENT', code: '55', first: 10, t: null },
    ];
    // Twice over, so that the second round is answered from what the first kept.
    for (const variables of [...values, ...values]) expect(analyze(schema, doc, variables)).toEqual(fresh(doc, variables));
  });

  it('should leave variables that do not fit the operation to execution, keeping nothing', () => {
    const analyze = cachedAnalyzer();
    const doc = parse(`query ($n: Int!) { actors(first: $n) { totalCount } }`);
    expect(analyze(schema, doc, { n: 'vingt' })).toBeNull();
    expect(analyze(schema, doc, {})).toBeNull();
    expect(analyze(schema, doc, { n: 20 })).toEqual(fresh(doc, { n: 20 }));
  });
});
