import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScopeBounds } from '../../client/scope-bounds.plugin.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The client frames the gaps map on boxes computed at build time from seeds/data/geo: they must be
 * the boxes of the boundaries the database holds, or the map would be framed elsewhere and then
 * moved (and its tiles made twice).
 */
describe('scope boxes shipped with the client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('match the stored boundaries of every région and département', async () => {
    const { bounds } = readScopeBounds(path.resolve('seeds/data/geo'));
    const rows: { level: 'REGION' | 'DEPARTEMENT'; code: string; box: [number, number, number, number] }[] = await server.ds.query(
      `SELECT level, code, json_build_array(ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)) AS box
       FROM territory WHERE level IN ('REGION', 'DEPARTEMENT') AND geom IS NOT NULL ORDER BY level, code`,
    );
    // Every région and département of metropolitan France and the DROM has a boundary (18 + 101).
    expect(rows.filter((r) => r.level === 'REGION')).toHaveLength(18);
    expect(rows.filter((r) => r.level === 'DEPARTEMENT')).toHaveLength(101);
    const off: string[] = [];
    for (const r of rows) {
      const box = bounds[r.level][r.code];
      if (!box) off.push(`${r.level} ${r.code}: absent`);
      // Rounded outwards to 0.001°: never inside the stored box, never more than 0.001° out.
      else if (!box.every((v, i) => Math.abs(v - Number(r.box[i])) <= 0.0011)) off.push(`${r.level} ${r.code}: ${box.join(',')} ≠ ${r.box.join(',')}`);
    }
    expect(off).toEqual([]);
    expect(Object.keys(bounds.REGION)).toHaveLength(18);
    expect(Object.keys(bounds.DEPARTEMENT)).toHaveLength(101);
  });

  it('frame a département as its coverage query does', async () => {
    const res = await server.gql(`{ coverage(filter: { scope: { level: DEPARTEMENT, code: "55" }, level: COMMUNE }, zoom: 9) { bbox } }`);
    const coverage: number[] = res.data.coverage.bbox;
    const box = readScopeBounds(path.resolve('seeds/data/geo')).bounds.DEPARTEMENT['55'];
    // The client keeps its frame when the coverage's box is within 3 % of its span (CoverageMap).
    const span = Math.max(box[2] - box[0], box[3] - box[1]);
    coverage.forEach((v, i) => expect(Math.abs(v - box[i])).toBeLessThanOrEqual(span * 0.03));
  });
});
