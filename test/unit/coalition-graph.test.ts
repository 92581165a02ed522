import 'reflect-metadata';
import { UndirectedGraph } from 'graphology';
import { betweenness } from 'graphology-metrics/centrality/index.js';
import { describe, expect, it } from 'vitest';
import { CoalitionGraphService } from '../../server/coalitions/coalition-graph.service.js';
import { GraphEdgeKind, GraphNodeKind } from '../../server/coalitions/coalition-enums.js';

const node = (kind: GraphNodeKind) => ({ kind, label: '', sector: null, coalitionKind: null, depth: null });
const edge = { kind: GraphEdgeKind.MEMBERSHIP, role: null, partnershipKind: null, partnershipStatus: null };

/** Y1, Y2 – G1 – X – G2 – Z1 – P, plus isolated actors I1, I2. */
function fixture() {
  const g = new UndirectedGraph<any, any>();
  for (const k of ['a:Y1', 'a:Y2', 'a:X', 'a:Z1', 'a:P', 'a:I1', 'a:I2']) g.addNode(k, node(GraphNodeKind.ACTOR));
  for (const k of ['c:G1', 'c:G2']) g.addNode(k, node(GraphNodeKind.COALITION));
  for (const [s, t] of [
    ['a:Y1', 'c:G1'],
    ['a:Y2', 'c:G1'],
    ['a:X', 'c:G1'],
    ['a:X', 'c:G2'],
    ['a:Z1', 'c:G2'],
    ['a:Z1', 'a:P'],
  ])
    g.addEdge(s, t, edge);
  return g;
}

describe('coalition graph metrics', () => {
  it('gives the same normalised betweenness as graphology on the whole graph, isolated nodes included', () => {
    const g = fixture();
    const expected = betweenness(g, { normalized: true });
    const got = CoalitionGraphService.betweenness(g);
    for (const key of g.nodes()) expect(got[key] ?? 0, key).toBeCloseTo(expected[key], 12);
  });

  it('gives the same values computed component by component, on a graph of several components', () => {
    const g = fixture();
    // A second component (Q1 – G3 – Q2 – Q3, Q2 also with Q4) and a linked pair (R1 – R2).
    for (const k of ['a:Q1', 'a:Q2', 'a:Q3', 'a:Q4', 'a:R1', 'a:R2']) g.addNode(k, node(GraphNodeKind.ACTOR));
    g.addNode('c:G3', node(GraphNodeKind.COALITION));
    for (const [s, t] of [
      ['a:Q1', 'c:G3'],
      ['a:Q2', 'c:G3'],
      ['a:Q2', 'a:Q3'],
      ['a:Q2', 'a:Q4'],
      ['a:R1', 'a:R2'],
    ])
      g.addEdge(s, t, edge);
    const expected = betweenness(g, { normalized: true });
    const got = CoalitionGraphService.betweenness(g);
    expect(expected['a:Q2']).toBeGreaterThan(0);
    for (const key of g.nodes()) expect(got[key] ?? 0, key).toBeCloseTo(expected[key], 12);
  });

  it('makes the bridging actor stand out and lists only linked components', () => {
    const graph = CoalitionGraphService.describe(fixture(), { metrics: true, truncated: false });
    const by = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
    const actors = graph.nodes.filter((n) => n.kind === GraphNodeKind.ACTOR);
    expect(actors.sort((a, b) => b.betweenness! - a.betweenness!)[0].id).toBe('X');
    expect(by.Z1.betweenness! / by.X.betweenness!).toBeCloseTo(5 / 9, 4);
    expect(by.I1).toMatchObject({ isolated: true, degree: 0, component: null, betweenness: 0 });
    expect(graph.components).toEqual([{ index: 0, actorCount: 5, coalitionCount: 2 }]);
    expect(graph.isolatedActorCount).toBe(2);
  });
});
