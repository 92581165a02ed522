import type { BenchDb, BenchScenario } from '../scenario.js';

/**
 * "The coalition network of a département": coalitionGraph as a visitor sees it (public,
 * current coalitions), over the national bench actors and the 2,000 bench coalitions of
 * coalitions-dataset.ts. Nodes with degree and betweenness, edges and components: what the
 * client draws. Inputs rotate over the metropolitan départements.
 */
const QUERY = `query CoalitionGraph($scope: TerritoryRefInput!, $themes: [String!]) {
  coalitionGraph(scope: $scope, themes: $themes) {
    truncated
    isolatedActorCount
    components { index actorCount coalitionCount }
    nodes { id kind label sector coalitionKind degree betweenness component isolated }
    edges { source target kind role partnershipKind partnershipStatus }
  }
}`;

let departements: string[] = [];

const departement = (i: number) => {
  if (departements.length === 0) throw new Error('coalitions: setup() not run');
  return departements[(i * 7) % departements.length];
};

export const scenarios: BenchScenario[] = [
  {
    name: 'coalition-graph-departement',
    description: 'coalitionGraph d’un département (acteurs, coalitions, adhésions, partenariats ; degré, intermédiarité, composantes)',
    graphql: { query: QUERY, variables: (i) => ({ scope: { level: 'DEPARTEMENT', code: departement(i) } }) },
    // The floor: every row the service reads (actors covering the département, its visible current
    // coalitions, their memberships among those actors, the confirmed partnerships among those actors: a visitor sees no pending one) in
    // one statement, without the graph computations.
    sql: {
      text: `WITH ac AS (SELECT a.id, a.name, a.sector FROM coverage_area ca JOIN actor a ON a.id = ca.actor_id
                          WHERE ca.level = 'DEPARTEMENT' AND ca.code = $1 AND a.status = 'ACTIVE'),
                  co AS (SELECT c.id, c.name, c.kind FROM coalition c JOIN territory t ON t.level = 'DEPARTEMENT' AND t.code = $1
                          WHERE c.visibility = 'PUBLIC' AND (c.end_date IS NULL OR c.end_date >= current_date)
                            AND (c.area_keys @> ARRAY['DEPARTEMENT:' || $1]
                                 OR (c.territory_level || ':' || c.territory_code) = ANY(ARRAY['PAYS:FR', 'REGION:' || t.region_code]))),
                  me AS (SELECT m.coalition_id, m.actor_id, m.role FROM membership m
                          WHERE m.status = 'ACTIVE' AND m.coalition_id IN (SELECT id FROM co) AND m.actor_id IN (SELECT id FROM ac)),
                  pa AS (SELECT p.actor_a, p.actor_b, p.kind FROM partnership p
                          WHERE p.actor_a IN (SELECT id FROM ac) AND p.actor_b IN (SELECT id FROM ac)
                            AND p.status = 'ACTIVE' AND (p.end_date IS NULL OR p.end_date >= current_date))
             SELECT (SELECT json_agg(ac) FROM ac) AS actors, (SELECT json_agg(co) FROM co) AS coalitions,
                    (SELECT json_agg(me) FROM me) AS memberships, (SELECT json_agg(pa) FROM pa) AS partnerships`,
      values: (i) => [departement(i)],
    },
    connections: [1, 4],
    targets: { p50Ms: 250, p99Ms: 500 },
    async setup(db: BenchDb) {
      const { rows } = await db.query<{ code: string }>(
        `SELECT t.code FROM territory t WHERE t.level = 'DEPARTEMENT' AND t.code !~ '^97'
           AND EXISTS (SELECT 1 FROM coalition c WHERE c.area_keys @> ARRAY['DEPARTEMENT:' || t.code] AND c.source = 'bench:coalitions')
         ORDER BY t.code`,
      );
      departements = rows.map((r) => r.code);
      if (departements.length === 0) throw new Error('coalitions: aucune coalition de banc (lancer ensureCoalitionDataset)');
    },
    verify(_i, data, rows) {
      const g = data.coalitionGraph;
      const [r] = rows;
      const count = (kind: string, list: unknown[] | null) => {
        const n = g[kind === 'ACTOR' || kind === 'COALITION' ? 'nodes' : 'edges'].filter((x: any) => x.kind === kind).length;
        if (n !== (list ?? []).length && !g.truncated) throw new Error(`coalitionGraph : ${n} ${kind}, SQL ${(list ?? []).length}`);
      };
      count('ACTOR', r.actors);
      count('COALITION', r.coalitions);
      count('MEMBERSHIP', r.memberships);
      // Two conventions between the same pair are one edge in the drawing.
      const pairs = new Set((r.partnerships ?? []).map((p: any) => [p.actor_a, p.actor_b].sort().join(':')));
      const drawn = g.edges.filter((e: any) => e.kind === 'PARTNERSHIP').length;
      if (drawn !== pairs.size) throw new Error(`coalitionGraph : ${drawn} partenariats, SQL ${pairs.size}`);
    },
  },
];
