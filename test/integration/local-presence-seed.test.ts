import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSeeds } from '../../seeds/index.js';
import { STEERING_KINDS } from '../../server/actors/actor-enums.js';
import { presenceTruth } from '../helpers/presence-truth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TEST_DEPARTEMENTS } from '../setup/template-database.js';
import { MEUSE, VERDUN } from '../helpers/places.js';

/**
 * The directory as `npm start` seeds it on the embedded database (real organisations named in
 * public documents, student services, the demonstration actors and accounts), read as an ARS analyst reads the « Zones sans acteurs » page.
 * Before local presence, santé mentale had no gap over every commune of Grand Est: the national
 * bodies declared on the whole country covered them all.
 */
const GRAND_EST = { level: 'REGION', code: '44' };
const GAPS = `query ($filter: GapFilterInput) {
  gaps(filter: $filter, first: 5000) { totalCount territoryCount rows { territory { code } localActorCount wideActorCount presence } }
}`;
const COVERAGE = `query ($filter: GapFilterInput) { coverage(filter: $filter) { features summary { localActorCount wideActorCount gapCount } } }`;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await runSeeds(server.ds, { departements: TEST_DEPARTEMENTS, publicActors: true, demoActors: true, demoAccounts: true });
}, 600_000);

afterAll(() => server?.close());

const gaps = async (filter: object) => {
  const res = await server.gql(GAPS, { filter });
  expect(res.errors).toBeUndefined();
  return res.data.gaps as { totalCount: number; territoryCount: number; rows: { territory: { code: string }; presence: string; wideActorCount: number }[] };
};

describe('the seeded directory, read for local presence', () => {
  for (const fieldActorsOnly of [true, false]) {
    it(`shows santé mentale gaps over the communes of Grand Est, and not Verdun (fieldActorsOnly ${fieldActorsOnly})`, async () => {
      const local = await gaps({ scope: GRAND_EST, level: 'COMMUNE', themes: ['sante-mentale'], fieldActorsOnly });
      expect(local.totalCount).toBeGreaterThan(1000);
      expect(local.totalCount).toBeLessThan(local.territoryCount);
      expect(local.rows.map((r) => r.territory.code)).not.toContain(VERDUN);
      // Most of those gaps are covered from afar only: that is what the map's middle class shows.
      expect(local.rows.filter((r) => r.presence === 'WIDE_ONLY').length).toBeGreaterThan(1000);
      // The old reading (any coverage) found none: the national bodies cover every commune.
      const any = await gaps({ scope: GRAND_EST, level: 'COMMUNE', themes: ['sante-mentale'], fieldActorsOnly, presence: 'ANY' });
      expect(any.totalCount).toBe(0);
    });
  }

  it('finds gaps in the default view too (every theme, field actors only)', async () => {
    const local = await gaps({ scope: GRAND_EST, level: 'COMMUNE', fieldActorsOnly: true });
    expect(local.totalCount).toBeGreaterThan(0);
    expect(local.rows.map((r) => r.territory.code)).not.toContain(VERDUN);
  });

  it('counts in Verdun the demonstration associations that act there, as local presence', async () => {
    const res = await server.gql(COVERAGE, { filter: { scope: MEUSE, themes: ['sante-mentale'] } });
    expect(res.errors).toBeUndefined();
    const verdun = res.data.coverage.features.features.find((f: { id: string }) => f.id === VERDUN).properties;
    expect(verdun.presence).toBe('LOCAL');
    expect(verdun.localActorCount).toBeGreaterThanOrEqual(2);
    expect(verdun.wideActorCount).toBeGreaterThan(0);
  });

  it('gives every commune of Meurthe-et-Moselle the santé mentale gap status that the definition of local presence gives', async () => {
    const [{ codes }] = await server.ds.query(`SELECT array_agg(code) AS codes FROM theme WHERE code = 'sante-mentale' OR parent_code = 'sante-mentale'`);
    const truth = await presenceTruth(server.ds, { departement: '54', themes: codes, leaveOutKinds: STEERING_KINDS });
    const expected = [...truth].filter(([, t]) => t.local === 0).map(([code]) => code);
    const got = await gaps({ scope: { level: 'DEPARTEMENT', code: '54' }, level: 'COMMUNE', themes: ['sante-mentale'], fieldActorsOnly: true });
    expect(expected.length).toBeGreaterThan(100);
    expect(got.rows.map((r) => r.territory.code).sort()).toEqual(expected.sort());
  });
});
