import { print } from 'graphql';
import { ACTORS } from '../../../client/src/lib/graphql/queries.js';
import { THEMES } from '../../../server/themes/taxonomy.js';
import type { BenchDb, BenchScenario } from '../scenario.js';

/**
 * "Actors covering commune X with theme T, first 20 by name, with the total and the facets": the
 * directory's main request, the client's own document (client/src/lib/graphql/queries.ts
 * ACTORS), next to the same answer computed by one hand-written SQL statement.
 *
 * Inputs rotate over 8,600 (commune, theme) pairs: 200 communes (Paris, Marseille, Lyon and 197
 * drawn by a hash of their code among all communes with a boundary) × the 43 themes and sub-themes.
 */
const QUERY = print(ACTORS);

/** A theme and its sub-themes (the GraphQL filter includes sub-themes). */
const THEME_CODES: { code: string; expanded: string[] }[] = THEMES.flatMap((t) => [
  { code: t.code, expanded: [t.code, ...(t.children ?? []).map((c) => c.code)] },
  ...(t.children ?? []).map((c) => ({ code: c.code, expanded: [c.code] })),
]);

let communes: string[] = [];

const pair = (i: number) => {
  if (communes.length === 0) throw new Error('directory: setup() not run');
  return { commune: communes[i % communes.length], theme: THEME_CODES[(i * 13) % THEME_CODES.length] };
};

/** The GraphQL filter of input `i`: the actors covering its commune with its theme (or a sub-theme). */
const filterOf = (i: number) => {
  const { commune, theme } = pair(i);
  return { coversCommune: commune, themesAny: [theme.code] };
};

/** The SQL parameters of input `i`: its commune ($1) and its theme with its sub-themes ($2). */
const sqlValues = (i: number) => {
  const { commune, theme } = pair(i);
  return [commune, theme.expanded];
};

/** What both scenarios share: the connections, the floor targets and the communes drawn. */
const COMMON = { connections: [1, 16], floorTargets: { rps: 0.75, p50: 1.3, appCpuMs: 1 }, setup: pickCommunes } satisfies Partial<BenchScenario>;

/**
 * The floor: the same page (20 + 1 to know if there is a next page, by name then id), the total and
 * the theme, kind, audience and presence facets, in one statement. Theme facets count an actor under each of
 * its themes and under their parent theme, as the service does, over the commune's actors whatever
 * their theme (disjunctive facets: the theme ticked does not narrow its own group's counts).
 */
const SQL = `
WITH m0 AS MATERIALIZED (
  SELECT a.id, a.search_name, a.kind, a.themes, a.audiences, cc.local, a.themes && $2::text[] AS g_themes
  FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id
  WHERE cc.commune_code = $1 AND a.status = 'ACTIVE'
), m AS MATERIALIZED (
  SELECT * FROM m0 WHERE g_themes
), p AS (
  SELECT id, search_name FROM m ORDER BY search_name, id LIMIT 21
)
SELECT
  (SELECT json_agg(json_build_object('id', a.id, 'name', a.name, 'kind', a.kind, 'sector', a.sector, 'is_demo', a.is_demo,
          'lon', ST_X(a.location), 'lat', ST_Y(a.location), 'address', a.address, 'website', a.website,
          'themes', a.themes, 'audiences', a.audiences, 'commune', c.name) ORDER BY p.search_name, p.id)
     FROM p JOIN actor a ON a.id = p.id
     LEFT JOIN territory c ON c.level = 'COMMUNE' AND c.code = a.commune_code) AS page,
  (SELECT count(*) FROM m) AS total,
  (SELECT json_object_agg(k, n) FROM (SELECT k, count(DISTINCT m0.id) AS n FROM m0, unnest(m0.themes) t
     JOIN theme th ON th.code = t, unnest(ARRAY[th.code, th.parent_code]) k WHERE k IS NOT NULL GROUP BY k) f) AS theme_facets,
  (SELECT json_object_agg(kind, n) FROM (SELECT kind, count(*) AS n FROM m GROUP BY kind) f) AS kind_facets,
  (SELECT json_object_agg(au, n) FROM (SELECT au, count(*) AS n FROM m, unnest(m.audiences) au GROUP BY au) f) AS audience_facets,
  (SELECT count(*) FILTER (WHERE local) FROM m) AS local_count`;

const facetMap = (list: { value: string; count: number }[]) => Object.fromEntries(list.map((f) => [f.value, f.count]));
const sameMap = (a: Record<string, number>, b: Record<string, number> | null) => {
  const bb = b ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(bb)]);
  return [...keys].every((k) => Number(a[k] ?? 0) === Number(bb[k] ?? 0));
};

const directory: BenchScenario = {
  name: 'directory',
  description: 'acteurs couvrant la commune X avec le thème T : 20 premiers par nom, total et facettes (requête ACTORS du client)',
  graphql: { query: QUERY, variables: (i) => ({ filter: filterOf(i), first: 20, orderBy: 'NAME' }) },
  sql: { text: SQL, values: sqlValues },
  ...COMMON,
  targets: { p50Ms: 5, p99Ms: 25, rps: 800 },
  peer: true,
  verify(i, data, sqlRows) {
    const got = data.actors;
    const want = sqlRows[0];
    const page: any[] = want.page ?? [];
    const problems: string[] = [];
    if (got.totalCount !== Number(want.total)) problems.push(`total ${got.totalCount} ≠ ${want.total}`);
    const gotIds = got.edges.map((e: any) => e.node.id).join(',');
    const wantIds = page
      .slice(0, 20)
      .map((r) => r.id)
      .join(',');
    if (gotIds !== wantIds) problems.push('page ids differ');
    if (got.pageInfo.hasNextPage !== page.length > 20) problems.push('hasNextPage differs');
    // An actor without a commune (a national agency) has none on either side: null in SQL, no object in GraphQL.
    if (got.edges.some((e: any, k: number) => (e.node.commune?.name ?? null) !== (page[k]?.commune ?? null))) problems.push('commune names differ');
    if (!sameMap(facetMap(got.facets.themes), want.theme_facets)) problems.push('theme facets differ');
    if (!sameMap(facetMap(got.facets.kinds), want.kind_facets)) problems.push('kind facets differ');
    if (!sameMap(facetMap(got.facets.audiences), want.audience_facets)) problems.push('audience facets differ');
    if (Number(got.facets.presence[0]?.count ?? 0) !== Number(want.local_count)) problems.push('presence facet differs');
    if (problems.length) throw new Error(`directory #${i} (${JSON.stringify(pair(i))}): ${problems.join('; ')}`);
  },
};

/** 197 communes drawn by a hash of their code among all communes with a boundary, after Paris, Marseille and Lyon. */
async function pickCommunes(db: BenchDb) {
  const { rows } = await db.query<{ code: string }>(
    `SELECT code FROM (
           SELECT code, 0 AS o FROM territory WHERE level = 'COMMUNE' AND code IN ('75056', '13055', '69123')
           UNION ALL
           (SELECT code, 1 FROM territory WHERE level = 'COMMUNE' AND geom IS NOT NULL AND code NOT IN ('75056', '13055', '69123')
            ORDER BY md5('bench-commune:' || code) LIMIT 197)) s
         ORDER BY o, md5('bench-commune:' || code)`,
  );
  communes = rows.map((r) => r.code);
  if (communes.length < 100) throw new Error('directory: communes missing (seed the territories first)');
}

/** The floor of the page alone: the first 20 by name then id, and the total, in one statement. */
const PAGE_SQL = `
WITH m AS MATERIALIZED (
  SELECT a.id, a.search_name FROM coverage_commune cc JOIN actor a ON a.id = cc.actor_id
  WHERE cc.commune_code = $1 AND a.status = 'ACTIVE' AND a.themes && $2::text[]
)
SELECT
  (SELECT json_agg(json_build_object('id', a.id, 'name', a.name, 'kind', a.kind) ORDER BY p.search_name, p.id)
     FROM (SELECT id, search_name FROM m ORDER BY search_name, id LIMIT 20) p JOIN actor a ON a.id = p.id) AS page,
  (SELECT count(*) FROM m) AS total`;

export const scenarios: BenchScenario[] = [
  directory,
  {
    name: 'directory page',
    description: 'acteurs couvrant la commune X avec le thème T : 20 premiers par nom et total (sans facettes)',
    graphql: {
      query: `query Page($filter: ActorFilter, $first: Int!) {
        actors(filter: $filter, first: $first, orderBy: NAME) { totalCount edges { node { id name kind } } }
      }`,
      variables: (i) => ({ filter: filterOf(i), first: 20 }),
    },
    sql: { text: PAGE_SQL, values: sqlValues },
    ...COMMON,
    verify(i, data, sqlRows) {
      const got = data.actors;
      const want = sqlRows[0];
      const ids = (want.page ?? []).map((r: { id: string }) => r.id).join(',');
      if (got.totalCount !== Number(want.total)) throw new Error(`directory page #${i}: total ${got.totalCount} ≠ ${want.total}`);
      if (got.edges.map((e: { node: { id: string } }) => e.node.id).join(',') !== ids) throw new Error(`directory page #${i}: page ids differ`);
    },
  },
  {
    // What the app spends on a request before any answer: HTTP, Express and its guards (rate limit,
    // body limits, security headers, log), Apollo's pipeline. The part of the two requests above
    // that no query work can remove; printed beside them to read their « CPU app / req ».
    name: 'directory stack alone',
    description: '{ __typename } : une requête GraphQL qui ne lit rien, ce que coûtent HTTP, Express, ses gardes et Apollo seuls',
    graphql: { query: '{ __typename }', variables: () => ({}) },
    connections: [16],
  },
];
