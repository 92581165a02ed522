import { UndirectedGraph } from 'graphology';
import { connectedComponents } from 'graphology-components';
import { betweenness as betweennessCentrality } from 'graphology-metrics/centrality/index.js';
import type { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth.types.js';
import { join, one, run, type Sql, sql } from '../db/sql.js';
import { badInput, notFound } from '../graphql/errors.js';
import { checkUuid } from '../graphql/ids.js';
import type { ThemeService } from '../themes/theme.service.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { CURRENT_COALITION, relatedThemes, type TerritoryRef } from './coalition-area.js';
import { GraphEdgeKind, GraphNodeKind, type MembershipRole, type PartnershipKind, type PartnershipStatus } from './coalition-enums.js';
import { type Graph, GraphComponent, GraphEdge, GraphNode } from './coalition-graph.types.js';
import { PartnershipRules, Permissions } from './coalition.permissions.js';
import type { CoalitionService } from './coalition.service.js';

/** Beyond this many nodes a graph is cut (and says so): it would not be readable anyway. */
export const MAX_GRAPH_ACTORS = 5_000;
export const MAX_NETWORK_NODES = 1_500;

interface NodeData {
  kind: GraphNodeKind;
  label: string;
  sector: string | null;
  coalitionKind: string | null;
  depth: number | null;
}

interface EdgeData {
  kind: GraphEdgeKind;
  role: string | null;
  partnershipKind: string | null;
  partnershipStatus: string | null;
}

interface PartnershipRow {
  actor_a: string;
  actor_b: string;
  kind: string;
  status: string;
}

/**
 * SQL condition on partnership alias `p` keeping the links a graph draws for the user: the ones
 * it may see (`PartnershipRules.visibleSql`) that are pending or active (current ones only unless
 * `includeEnded`), plus the confirmed ones that ended if `includeEnded`; never declined or
 * withdrawn ones.
 */
function partnershipLinkSql(user: AuthUser | null, includeEnded: boolean): Sql {
  const links = includeEnded
    ? sql`(p.status IN ('PENDING','ACTIVE') OR (p.status = 'ENDED' AND p.confirmed_at IS NOT NULL))`
    : sql`(p.status IN ('PENDING','ACTIVE') AND (p.end_date IS NULL OR p.end_date >= current_date))`;
  return sql`${PartnershipRules.visibleSql(user)} AND ${links}`;
}

/** Adds partnership edges; where a pair has several, an active one gives the edge its status. */
function addPartnerships(g: G, rows: PartnershipRow[]): void {
  for (const p of rows) {
    const a = actorKey(p.actor_a);
    const b = actorKey(p.actor_b);
    if (g.hasEdge(a, b) && g.getEdgeAttribute(a, b, 'partnershipStatus') === 'ACTIVE') continue;
    g.mergeEdge(a, b, { kind: GraphEdgeKind.PARTNERSHIP, role: null, partnershipKind: p.kind, partnershipStatus: p.status });
  }
}

type G = UndirectedGraph<NodeData, EdgeData>;

const actorKey = (id: string) => `a:${id}`;
const coalitionKey = (id: string) => `c:${id}`;

/**
 * The network questions: who is reachable from an actor, and the actor–coalition graph of a
 * territory with degree, betweenness centrality and connected components computed by graphology
 * (Brandes' algorithm for betweenness), so that bridging and isolated actors stand out.
 */
export class CoalitionGraphService {
  constructor(
    private readonly ds: DataSource,
    private readonly themes: ThemeService,
    private readonly coalitions: CoalitionService,
  ) {}

  /**
   * The graph of a territory: its actors (those covering it, optionally on some themes), its
   * coalitions (inside it or containing it, visible to the user, current unless asked), the
   * active memberships between them and the partnerships among those actors.
   */
  async coalitionGraph(user: AuthUser | null, scope: TerritoryRef, themeCodes: string[] | undefined, includeEnded: boolean): Promise<Graph> {
    const code = scope.code.trim().toUpperCase();
    const where = [await this.coalitions.area.scopeSql({ level: scope.level, code })];
    let related: string[] | null = null;
    if (themeCodes?.length) {
      const taxonomy = await this.themes.taxonomy();
      taxonomy.checkThemes(themeCodes, 'themes');
      related = relatedThemes(taxonomy, themeCodes);
      where.push(sql`c.themes && ${related}::text[]`);
    }
    const coverage =
      scope.level === TerritoryLevel.COMMUNE
        ? sql`SELECT actor_id FROM coverage_commune WHERE commune_code = ${code}`
        : sql`SELECT actor_id FROM coverage_area WHERE level = ${scope.level} AND code = ${code}`;
    return this.graphOf(user, { coalitions: where, coverage, actorThemes: related, includeEnded });
  }

  /**
   * The graph of any perimeter: the actors of `coverage` (a statement giving `actor_id`, distinct;
   * active and validated ones only, optionally on `actorThemes`), the coalitions meeting
   * `coalitions` (conditions on alias `c`) that the user may see, the active memberships between
   * them and the partnerships among those actors. Visibility is added here, whatever the caller.
   */
  async graphOf(user: AuthUser | null, perimeter: { coalitions: Sql[]; coverage: Sql; actorThemes: string[] | null; includeEnded: boolean }): Promise<Graph> {
    const { coverage, actorThemes: related, includeEnded } = perimeter;
    const where = [Permissions.visibleSql(user), ...perimeter.coalitions];
    if (!includeEnded) where.push(CURRENT_COALITION);
    const actorThemes = related ? sql`AND a.themes && ${related}::text[]` : sql``;
    // Linked actors first, counting only the coalitions the user may see: the order of the nodes
    // must not tell that an actor belongs to a members-only coalition.
    const linked = Permissions.visibleSql(user, 'mc');
    const [coalitionRows, actorRows] = await Promise.all([
      run<{ id: string; name: string; kind: string }>(this.ds, sql`SELECT c.id, c.name, c.kind FROM coalition c WHERE ${join(where, sql` AND `)}`),
      run<{ id: string; name: string; sector: string }>(
        this.ds,
        // One indexed lookup per actor of the perimeter (LIMIT 1 keeps it a nested loop): as an
        // EXISTS, PostgreSQL hashed every active membership of the country at each request.
        sql`SELECT a.id, a.name, a.sector FROM (${coverage}) cv JOIN actor a ON a.id = cv.actor_id
            LEFT JOIN LATERAL (SELECT true AS linked FROM membership m JOIN coalition mc ON mc.id = m.coalition_id
                               WHERE m.actor_id = a.id AND m.status = 'ACTIVE' AND ${linked} LIMIT 1) l ON true
            WHERE a.status = 'ACTIVE' AND a.review_status = 'VALIDATED' ${actorThemes}
            ORDER BY l.linked IS NOT NULL DESC, a.name, a.id
            LIMIT ${MAX_GRAPH_ACTORS + 1}`,
      ),
    ]);
    const truncated = actorRows.length > MAX_GRAPH_ACTORS;
    const actors = actorRows.slice(0, MAX_GRAPH_ACTORS);
    const actorIds = actors.map((a) => a.id);
    const coalitionIds = coalitionRows.map((c) => c.id);
    const [memberRows, partnerRows] = await Promise.all([
      coalitionIds.length && actorIds.length
        ? run<{ coalition_id: string; actor_id: string; role: string }>(
            this.ds,
            sql`SELECT m.coalition_id, m.actor_id, m.role FROM membership m
                WHERE m.status = 'ACTIVE' AND m.coalition_id = ANY(${coalitionIds}::uuid[]) AND m.actor_id = ANY(${actorIds}::uuid[])`,
          )
        : [],
      actorIds.length ? this.partnershipsAmong(user, actorIds, includeEnded) : [],
    ]);

    const g: G = new UndirectedGraph();
    for (const a of actors) g.addNode(actorKey(a.id), { kind: GraphNodeKind.ACTOR, label: a.name, sector: a.sector, coalitionKind: null, depth: null });
    for (const c of coalitionRows) {
      g.addNode(coalitionKey(c.id), { kind: GraphNodeKind.COALITION, label: c.name, sector: null, coalitionKind: c.kind, depth: null });
    }
    for (const m of memberRows) {
      g.mergeEdge(actorKey(m.actor_id), coalitionKey(m.coalition_id), {
        kind: GraphEdgeKind.MEMBERSHIP,
        role: m.role,
        partnershipKind: null,
        partnershipStatus: null,
      });
    }
    addPartnerships(g, partnerRows);
    return CoalitionGraphService.describe(g, { metrics: true, truncated });
  }

  /**
   * The actors reachable from one actor through shared coalitions and partnerships, up to
   * `depth` hops (an actor → coalition → actor step, or a partnership, is one hop).
   */
  async actorNetwork(user: AuthUser | null, actorId: string, depth: number, includeEnded: boolean): Promise<Graph> {
    checkUuid(actorId, 'actorId', 'd’acteur');
    if (!Number.isInteger(depth) || depth < 1 || depth > 3) throw badInput('« depth » doit être compris entre 1 et 3', 'depth');
    const start = await one<{ id: string; name: string; sector: string }>(this.ds, sql`SELECT id, name, sector FROM actor WHERE id = ${actorId}`);
    if (!start) throw notFound('Acteur introuvable');
    const g: G = new UndirectedGraph();
    g.addNode(actorKey(start.id), { kind: GraphNodeKind.ACTOR, label: start.name, sector: start.sector, coalitionKind: null, depth: 0 });
    const seenCoalitions = new Set<string>();
    let frontier = [start.id];
    let truncated = false;
    for (let d = 1; d <= depth && frontier.length > 0 && !truncated; d++) {
      const ended = includeEnded ? sql`` : sql`AND ${CURRENT_COALITION}`;
      const reached = await run<{ id: string; name: string; kind: string }>(
        this.ds,
        sql`SELECT DISTINCT c.id, c.name, c.kind FROM membership m JOIN coalition c ON c.id = m.coalition_id
            WHERE m.actor_id = ANY(${frontier}::uuid[]) AND m.status = 'ACTIVE' AND ${Permissions.visibleSql(user)} ${ended}
              AND NOT (c.id = ANY(${[...seenCoalitions]}::uuid[]))`,
      );
      for (const c of reached) {
        seenCoalitions.add(c.id);
        g.addNode(coalitionKey(c.id), { kind: GraphNodeKind.COALITION, label: c.name, sector: null, coalitionKind: c.kind, depth: d });
      }
      const [members, partners] = await Promise.all([
        reached.length
          ? run<{ coalition_id: string; role: string; id: string; name: string; sector: string }>(
              this.ds,
              sql`SELECT m.coalition_id, m.role, a.id, a.name, a.sector FROM membership m JOIN actor a ON a.id = m.actor_id
                  WHERE m.coalition_id = ANY(${reached.map((c) => c.id)}::uuid[]) AND m.status = 'ACTIVE' ORDER BY a.name, a.id`,
            )
          : [],
        run<PartnershipRow & { id: string; name: string; sector: string }>(
          this.ds,
          sql`SELECT p.actor_a, p.actor_b, p.kind, p.status, a.id, a.name, a.sector FROM partnership p
              JOIN actor a ON a.id = CASE WHEN p.actor_a = ANY(${frontier}::uuid[]) THEN p.actor_b ELSE p.actor_a END
              WHERE (p.actor_a = ANY(${frontier}::uuid[]) OR p.actor_b = ANY(${frontier}::uuid[])) AND ${partnershipLinkSql(user, includeEnded)}
              ORDER BY a.name, a.id`,
        ),
      ]);
      const next: string[] = [];
      const reach = (a: { id: string; name: string; sector: string }) => {
        if (g.hasNode(actorKey(a.id))) return true;
        if (g.order >= MAX_NETWORK_NODES) {
          truncated = true;
          return false;
        }
        g.addNode(actorKey(a.id), { kind: GraphNodeKind.ACTOR, label: a.name, sector: a.sector, coalitionKind: null, depth: d });
        next.push(a.id);
        return true;
      };
      for (const m of members) {
        if (reach(m)) {
          g.mergeEdge(actorKey(m.id), coalitionKey(m.coalition_id), {
            kind: GraphEdgeKind.MEMBERSHIP,
            role: m.role,
            partnershipKind: null,
            partnershipStatus: null,
          });
        }
      }
      addPartnerships(
        g,
        partners.filter((p) => reach(p)),
      );
      frontier = next;
    }
    // Partnerships between actors of the last ring, so the drawing shows every link among its nodes.
    const ids = g.filterNodes((_, a) => a.kind === GraphNodeKind.ACTOR).map((k) => k.slice(2));
    addPartnerships(g, await this.partnershipsAmong(user, ids, includeEnded));
    return CoalitionGraphService.describe(g, { metrics: false, truncated });
  }

  private partnershipsAmong(user: AuthUser | null, actorIds: string[], includeEnded: boolean): Promise<PartnershipRow[]> {
    return run<PartnershipRow>(
      this.ds,
      sql`SELECT p.actor_a, p.actor_b, p.kind, p.status FROM partnership p
          WHERE p.actor_a = ANY(${actorIds}::uuid[]) AND p.actor_b = ANY(${actorIds}::uuid[]) AND ${partnershipLinkSql(user, includeEnded)}`,
    );
  }

  /**
   * Normalised betweenness centrality, as graphology's `normalized: true` gives it on the whole
   * graph, but computed one connected component at a time (`components`, as connectedComponents
   * gives them; computed here when not given). No shortest path leaves a component, so each node's
   * value is the same; but graphology's Brandes resets its per-node state for every node of the
   * graph it is given, at each of its sources: on a whole département (hundreds of isolated actors,
   * dozens of small components) that reset, one array per node per source, was most of the work and
   * of the garbage collection. A component of one or two nodes has no node between two others.
   */
  static betweenness(g: G, components: string[][] = connectedComponents(g)): Record<string, number> {
    const n = g.order;
    if (g.size === 0 || n <= 2) return {};
    // Unnormalised undirected values count each pair once; graphology's normalisation divides the
    // ordered-pair count by (n - 1)(n - 2) with n the order of the whole graph. Links have no
    // weight: breadth-first Brandes (`getEdgeWeight: null`), not graphology's default Dijkstra over
    // a `weight` attribute that every link lacks (same paths, a heap operation per visit).
    const scale = 2 / ((n - 1) * (n - 2));
    const out: Record<string, number> = {};
    for (const nodes of components) {
      if (nodes.length < 3) continue;
      const part = new UndirectedGraph();
      for (const key of nodes) part.addNode(key);
      for (const key of nodes) {
        g.forEachEdge(key, (edge, _attributes, source, target) => {
          if (source === key) part.addEdgeWithKey(edge, source, target);
        });
      }
      const raw = betweennessCentrality(part, { normalized: false, getEdgeWeight: null });
      for (const key in raw) out[key] = raw[key] * scale;
    }
    return out;
  }

  /** Nodes, edges and components of a graphology graph, with degree and (if asked) betweenness. */
  static describe(g: G, options: { metrics: boolean; truncated: boolean }): Graph {
    // A node without links is its own component: those are flagged on the node (isolated) and
    // counted, not listed, so the list stays short on a département of a thousand actors.
    const components = connectedComponents(g)
      .filter((list) => list.length > 1)
      .sort((a, b) => b.length - a.length);
    const betweenness = options.metrics ? CoalitionGraphService.betweenness(g, components) : null;
    const componentOf = new Map<string, number>();
    components.forEach((nodes, i) => nodes.forEach((n) => componentOf.set(n, i)));
    const nodes = g.mapNodes((key, a) => {
      const degree = g.degree(key);
      return Object.assign(new GraphNode(), {
        id: key.slice(2),
        kind: a.kind,
        label: a.label,
        sector: a.sector,
        coalitionKind: a.coalitionKind,
        depth: a.depth,
        degree,
        betweenness: options.metrics ? Math.round((betweenness?.[key] ?? 0) * 1e6) / 1e6 : null,
        component: componentOf.get(key) ?? null,
        isolated: a.kind === GraphNodeKind.ACTOR && degree === 0,
      });
    });
    const edges = g.mapEdges((_, e, source, target) =>
      Object.assign(new GraphEdge(), {
        source: source.slice(2),
        target: target.slice(2),
        kind: e.kind,
        role: e.role as MembershipRole | null,
        partnershipKind: e.partnershipKind as PartnershipKind | null,
        partnershipStatus: e.partnershipStatus as PartnershipStatus | null,
      }),
    );
    return {
      nodes,
      edges,
      components: components.map((list, index) =>
        Object.assign(new GraphComponent(), {
          index,
          actorCount: list.filter((k) => k.startsWith('a:')).length,
          coalitionCount: list.filter((k) => k.startsWith('c:')).length,
        }),
      ),
      isolatedActorCount: nodes.filter((n) => n.isolated).length,
      truncated: options.truncated,
    };
  }
}
