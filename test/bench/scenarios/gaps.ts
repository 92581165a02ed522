/**
 * Gap and coverage scenarios of `npm run bench` (issue « Gaps and coverage »), on the national
 * bench dataset over native PostgreSQL. One client at a time; each GraphQL query has beside it
 * the raw-SQL floor of the same answer over the same maintained aggregates (coverage_theme_count,
 * actor_theme_point). Themes rotate over the top-level themes so that common and rare ones alternate.
 * Every request counts local presence (`presence: LOCAL`, the default: migration 1764000000018), so
 * the floors read the `local:` keys; a map or list gives local and wide-scope actors side by side.
 */

import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import type { BenchScenario } from '../scenario.js';

const THEMES = [
  'addictions',
  'sante-sexuelle',
  'sante-mentale',
  'nutrition-activite-physique',
  'sante-environnement',
  'perinatalite-enfants-jeunes-femmes',
  'vaccination',
  'populations-vulnerables',
  'maladies-chroniques',
  'gestes-qui-sauvent',
  'produits-de-sante-antibioresistance',
  'parentalite',
  'violences-faites-aux-femmes',
  'logement-habitat',
];
const theme = (i: number) => THEMES[i % THEMES.length];

/** Large départements first (Pas-de-Calais has the most communes, 890). */
const DEPARTEMENTS = ['62', '02', '59', '76', '80', '55', '57', '31'];

const GAPS = `query Gaps($filter: GapFilterInput) {
  gaps(filter: $filter, first: 100) {
    totalCount territoryCount gapPopulation
    rows { rank territory { code name } population actorCount actorsPer10k coveredPopulationShare uncoveredPopulation nearestActorKm }
  }
}`;

/**
 * The nearest actor of the theme from the boundary of `t`: planar KNN in the local projection
 * (migration 1764000000012), geodesic distance to the actor found; on the sphere when the zone has none.
 */
const nearest = (theme: string) => `coalesce(
  (SELECT CASE WHEN p.zone = t.zone THEN ST_Distance(p.geog, t.geom::geography) END FROM actor_theme_point p
   WHERE p.theme = ${theme} AND p.proj IS NOT NULL AND t.geom_proj IS NOT NULL ORDER BY p.proj <-> t.geom_proj LIMIT 1),
  (SELECT ST_Distance(p.geog, t.geom::geography) FROM actor_theme_point p
   WHERE p.theme = ${theme} ORDER BY p.geog <-> t.geom::geography LIMIT 1))`;

/** Floor: communes where no actor of the theme is present locally, the 100 largest, with the nearest actor from their boundary. */
const gapsFloor = (scoped: boolean) => `
  WITH g AS (
    SELECT c.code, c.population FROM territory c
    WHERE c.level = 'COMMUNE' ${scoped ? 'AND c.region_code = $2' : ''}
      AND NOT EXISTS (SELECT 1 FROM coverage_theme_count k
                      WHERE k.level = 'COMMUNE' AND k.code = c.code AND k.theme = 'local:' || $1 AND k.actor_count > 0))
  SELECT (SELECT count(*) FROM g) AS total,
    (SELECT json_agg(x) FROM (
       SELECT t.code, t.name, g.population,
         ${nearest('$1')} AS nearest_m
       FROM (SELECT * FROM g ORDER BY population DESC, code LIMIT 100) g
       JOIN territory t ON t.level = 'COMMUNE' AND t.code = g.code) x) AS rows`;

/** The 4 tiles (zoom 6, 512 px) of the Grand Est commune map, as the gaps page asks for them. */
const GRAND_EST_TILES = [
  [32, 21],
  [33, 21],
  [32, 22],
  [33, 22],
];
const tilePath = (i: number) => {
  const [x, y] = GRAND_EST_TILES[i % GRAND_EST_TILES.length];
  const filter = { scope: { level: 'REGION', code: '44' }, level: 'COMMUNE', themes: [theme(Math.floor(i / GRAND_EST_TILES.length))], fieldActorsOnly: true };
  return `/tiles/coverage/6/${x}/${y}.mvt?zoom=7&filter=${encodeURIComponent(JSON.stringify(filter))}`;
};

export const scenarios: BenchScenario[] = [
  {
    name: 'coverage tiles: the 4 vector tiles of the Grand Est commune map, one theme',
    description: 'GET /tiles/coverage/6/{x}/{y}.mvt, each tile counting its own communes (as the gaps page asks for them)',
    get: {
      path: tilePath,
      check: (i, body) => {
        const layer = new VectorTile(new PbfReader(body)).layers.coverage;
        if (!layer || layer.length < 100) throw new Error(`tuile ${tilePath(i)} : ${layer?.length ?? 0} communes`);
        const p = layer.feature(0).properties;
        if (typeof p.code !== 'string' || typeof p.actorCount !== 'number' || !['LOCAL', 'WIDE_ONLY', 'NONE'].includes(String(p.presence)))
          throw new Error(`tuile ${tilePath(i)} : propriétés ${JSON.stringify(p)}`);
      },
    },
    connections: [1, 4],
    // Issue 17: each tile ≤ 20 ms when warm (the same tile, filter and data computed once).
    targets: { p50Ms: 20 },
  },
  {
    name: 'gaps: communes of Grand Est without actor for a theme (first 100, with distances)',
    graphql: { query: GAPS, variables: (i) => ({ filter: { scope: { level: 'REGION', code: '44' }, themes: [theme(i)] } }) },
    sql: { text: gapsFloor(true), values: (i) => [theme(i), '44'] },
    connections: [1],
    targets: { p50Ms: 150 },
  },
  {
    name: 'gaps: communes of all France without actor for a theme (first 100, with distances)',
    graphql: { query: GAPS, variables: (i) => ({ filter: { themes: [theme(i)] } }) },
    sql: { text: gapsFloor(false), values: (i) => [theme(i)] },
    connections: [1],
    targets: { p50Ms: 2_000 },
  },
  {
    name: 'coverage: FeatureCollection of a département at commune level',
    graphql: {
      query: `query Coverage($filter: GapFilterInput) {
        coverage(filter: $filter) { summary { population coveredPopulationShare uncoveredTerritoryCount gapCount actorCount } features }
      }`,
      variables: (i) => ({ filter: { scope: { level: 'DEPARTEMENT', code: DEPARTEMENTS[i % DEPARTEMENTS.length] }, themes: [theme(i)] } }),
    },
    sql: {
      text: `
        SELECT json_build_object('type', 'FeatureCollection', 'features', json_agg(json_build_object(
          'type', 'Feature', 'id', t.code, 'geometry', ST_AsGeoJSON(t.geom_display, 5)::json,
          'properties', json_build_object('name', t.name, 'population', t.population, 'localActorCount', coalesce(kl.actor_count, 0),
            'wideActorCount', coalesce(k.actor_count, 0) - coalesce(kl.actor_count, 0), 'nearestActorKm', ${nearest('$2')} / 1000))))
        FROM territory t
        LEFT JOIN coverage_theme_count k ON k.level = 'COMMUNE' AND k.code = t.code AND k.theme = $2
        LEFT JOIN coverage_theme_count kl ON kl.level = 'COMMUNE' AND kl.code = t.code AND kl.theme = 'local:' || $2
        WHERE t.level = 'COMMUNE' AND t.departement_code = $1`,
      values: (i) => [DEPARTEMENTS[i % DEPARTEMENTS.length], theme(i)],
    },
    connections: [1],
    targets: { p50Ms: 300, maxBytes: 2_000_000 },
  },
  {
    name: 'theme matrix: communes of Grand Est × top-level themes',
    graphql: {
      query: `query Matrix($filter: GapFilterInput) {
        themeMatrix(filter: $filter) { themes { code } rows { territory { code name } population counts missingThemes } }
      }`,
      variables: () => ({ filter: { scope: { level: 'REGION', code: '44' } } }),
    },
    sql: {
      text: `
        SELECT json_agg(x) FROM (
          SELECT t.code, t.name, t.population, array_agg(coalesce((k.n ->> th.code)::int, 0) ORDER BY th.ord) AS counts
          FROM territory t
          LEFT JOIN LATERAL (SELECT jsonb_object_agg(k.theme, k.actor_count) AS n FROM coverage_theme_count k
                             WHERE k.level = 'COMMUNE' AND k.code = t.code AND k.theme = ANY($2::text[])) k ON true
          CROSS JOIN unnest($2::text[]) WITH ORDINALITY AS th(code, ord)
          WHERE t.level = 'COMMUNE' AND t.region_code = $1
          GROUP BY t.code, t.name, t.population) x`,
      values: () => ['44', THEMES.map((t) => `local:${t}`)],
    },
    connections: [1],
    targets: { p50Ms: 500 },
  },
];
