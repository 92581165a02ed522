import { describe, expect, it } from 'vitest';
import { halfPixelDegrees } from '../../server/territories/map-geometry.js';
import { errorCodes, useTestServer } from '../helpers/server.js';

const server = useTestServer();

/**
 * Pairs of neighbouring communes (or arrondissements) of a département in the full boundaries:
 * those whose outlines run side by side (within 20 m) for more than 300 m. For each, and for each
 * simplified boundary asked for (the i-th SQL expression of `simplified`, as `s<i>`), the length of
 * the border the two simplified boundaries share, the area they overlap, and the length of the
 * first's outline lying within 5 m of the second's without being shared (a sliver; around the ends
 * of a shared border, where the outlines part, a few metres are normal). The neighbours are found
 * once for all the simplifications: on the full boundaries, that search is most of the cost.
 */
const PAIRS = (simplified: string[]) => `
  WITH c AS (SELECT code, geom, ${simplified.map((e, i) => `${e} AS s${i}`).join(', ')} FROM territory
             WHERE level IN ('COMMUNE', 'ARRONDISSEMENT') AND departement_code = $1 AND geom IS NOT NULL
               AND NOT (level = 'COMMUNE' AND code IN ('75056', '69123', '13055'))),
  near AS (SELECT a.code AS a, b.code AS b, ${simplified.map((_, i) => `a.s${i} AS sa${i}, b.s${i} AS sb${i}`).join(', ')}
           FROM c a JOIN c b ON a.code < b.code AND ST_DWithin(a.geom, b.geom, 0.0002)
           WHERE ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Buffer(b.geom, 0.0002))::geography) > 300)
  SELECT a, b, ${simplified
    .map(
      (_, i) => `
         ST_Length(ST_CollectionExtract(ST_Intersection(sa${i}, sb${i}), 2)::geography) AS shared_m_${i},
         ST_Area(ST_Intersection(sa${i}, sb${i})::geography) AS overlap_m2_${i},
         ST_Length(ST_Difference(ST_Intersection(ST_Boundary(sa${i}), ST_Buffer(ST_Boundary(sb${i}), 0.00005)),
                                 ST_Buffer(ST_CollectionExtract(ST_Intersection(sa${i}, sb${i}), 2), 0.00001))::geography) AS apart_m_${i}`,
    )
    .join(',')}
  FROM near ORDER BY a, b`;

interface Pair {
  a: string;
  b: string;
  shared_m: number;
  overlap_m2: number;
  apart_m: number;
}

/** A pair that shares no border, overlaps, or runs side by side without sharing its outlines. */
const isBroken = (p: Pair) => !(p.shared_m > 0) || p.overlap_m2 > 1 || p.apart_m > 50 + 0.1 * p.shared_m;

/** Boundaries simplified one by one, each on its own: what the shared borders avoid. */
const ONE_BY_ONE = `ST_SimplifyPreserveTopology(geom, ${halfPixelDegrees(7)})`;

/** The simplifications each département's pairs are measured for. */
const SIMPLIFIED: Record<string, string[]> = { '55': ['geom_z7', 'geom_z9', ONE_BY_ONE], '93': ['geom_z9'], '75': ['geom_z9'] };

const measured = new Map<string, Promise<Record<string, Pair[]>>>();

/** The pairs of a département with the measures of one of its simplifications (computed once per département). */
async function pairs(departement: string, simplified: string): Promise<Pair[]> {
  const columns = SIMPLIFIED[departement];
  if (!measured.has(departement)) {
    measured.set(
      departement,
      server()
        .ds.query(PAIRS(columns), [departement])
        .then((rows: Record<string, unknown>[]) =>
          Object.fromEntries(
            columns.map((column, i) => [
              column,
              rows.map((r) => ({
                a: r.a as string,
                b: r.b as string,
                shared_m: Number(r[`shared_m_${i}`]),
                overlap_m2: Number(r[`overlap_m2_${i}`]),
                apart_m: Number(r[`apart_m_${i}`]),
              })),
            ]),
          ),
        ),
    );
  }
  const found = (await measured.get(departement)!)[simplified];
  if (!found) throw new Error(`${simplified} : simplification non mesurée pour ${departement} (SIMPLIFIED)`);
  return found;
}

describe('map boundaries: shared borders simplified once', () => {
  for (const [departement, column] of [
    ['55', 'geom_z7'],
    ['55', 'geom_z9'],
    ['93', 'geom_z9'],
    ['75', 'geom_z9'],
  ] as const) {
    it(`should keep neighbouring communes of ${departement} touching along a shared border, with neither sliver nor overlap (${column})`, async () => {
      const found = await pairs(departement, column);
      expect(found.length).toBeGreaterThan(departement === '55' ? 1000 : 30);
      const broken = found.filter(isBroken);
      expect(broken).toEqual([]);
    });
  }

  it('should catch the slivers of boundaries simplified one by one (what the test above guards against)', async () => {
    const found = await pairs('55', ONE_BY_ONE);
    const broken = found.filter(isBroken);
    expect(broken.length).toBeGreaterThan(found.length / 2);
  });

  it('should merge the wider territories from the same borders: Meuse and its EPCI share their outer border with their communes', async () => {
    const [row] = await server().ds.query(
      `SELECT (SELECT count(*) FROM territory WHERE level = 'EPCI' AND departement_code = '55'
                 AND (geom_z9 IS NULL OR ST_IsEmpty(geom_z9))) AS empty_epci,
              ST_Area(ST_SymDifference(d.geom_z9, (SELECT ST_Collect(geom_z9) FROM territory WHERE level = 'COMMUNE' AND departement_code = '55'))::geography) AS diff_m2,
              ST_Area(d.geom_z9::geography) AS area_m2
       FROM territory d WHERE d.level = 'DEPARTEMENT' AND d.code = '55'`,
    );
    expect(Number(row.empty_epci)).toBe(0);
    expect(Number(row.diff_m2)).toBeLessThan(Number(row.area_m2) * 1e-6);
  });

  it('should draw the coverage map at zoom 9 with the shared borders: two neighbours of the GraphQL features touch along a line', async () => {
    const res = await server().gql(`{ coverage(filter: { scope: { level: DEPARTEMENT, code: "55" } }, zoom: 9, compact: true) { features } }`);
    expect(res.errors).toBeUndefined();
    const byCode = new Map(res.data.coverage.features.features.map((f: { properties: { code: string }; geometry: object }) => [f.properties.code, f.geometry]));
    // Verdun and Belleville-sur-Meuse, as the browser receives them.
    const [row] = await server().ds.query(
      `SELECT ST_Length(ST_CollectionExtract(ST_Intersection(ST_GeomFromGeoJSON($1), ST_GeomFromGeoJSON($2)), 2)::geography) AS shared_m`,
      [JSON.stringify(byCode.get('55545')), JSON.stringify(byCode.get('55043'))],
    );
    expect(Number(row.shared_m)).toBeGreaterThan(500);
  });
});

describe('Territory.neighbors', () => {
  const NEIGHBORS = `query ($code: String!, $level: TerritoryLevel, $first: Int!) {
    territory(code: $code, level: $level) { neighbors(first: $first) { code name level lon lat } }
  }`;

  it('should list the communes around Verdun, the most populous first, Verdun itself not among them', async () => {
    const res = await server().gql(NEIGHBORS, { code: '55545', first: 40 });
    expect(res.errors).toBeUndefined();
    const list: { code: string; level: string; lon: number }[] = res.data.territory.neighbors;
    expect(list.map((n) => n.code)).toContain('55043');
    expect(list.map((n) => n.code)).not.toContain('55545');
    expect(list.every((n) => n.level === 'COMMUNE' && typeof n.lon === 'number')).toBe(true);
    expect(list.length).toBeGreaterThan(5);
  });

  it('should give an arrondissement the other arrondissements and the communes around its city, never its own city', async () => {
    const res = await server().gql(NEIGHBORS, { code: '75118', level: 'ARRONDISSEMENT', first: 40 });
    const codes: string[] = res.data.territory.neighbors.map((n: { code: string }) => n.code);
    expect(codes).toEqual(expect.arrayContaining(['75117', '75119', '75109', '93066']));
    expect(codes).not.toContain('75056');
    const paris = await server().gql(NEIGHBORS, { code: '75056', first: 40 });
    expect(paris.data.territory.neighbors.map((n: { code: string }) => n.code)).not.toContain('75118');
  });

  it('should answer an empty list above the commune level, and refuse a `first` out of bounds, even in a list of territories', async () => {
    const dep = await server().gql(NEIGHBORS, { code: '55', level: 'DEPARTEMENT', first: 10 });
    expect(dep.data.territory.neighbors).toEqual([]);
    for (const first of [0, 101]) {
      const res = await server().gql(`query ($first: Int!) { searchTerritories(text: "Verdun", first: 5) { neighbors(first: $first) { code } } }`, { first });
      expect(errorCodes(res)).toContain('BAD_USER_INPUT');
    }
  });

  it('should cap each territory at `first`, and answer the same for many territories at once', async () => {
    const one = await server().gql(NEIGHBORS, { code: '55545', first: 3 });
    expect(one.data.territory.neighbors).toHaveLength(3);
    const many = await server().gql(`{ searchTerritories(text: "55", levels: [COMMUNE], first: 10) { code neighbors(first: 3) { code } } }`);
    expect(many.errors).toBeUndefined();
    for (const t of many.data.searchTerritories) expect(t.neighbors.length).toBeLessThanOrEqual(3);
  });
});
