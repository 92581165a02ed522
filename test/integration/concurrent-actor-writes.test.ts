import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieClient, startTestServer, type TestServer } from '../helpers/server.js';
import { countsBeforeAndAfterRebuild } from '../helpers/gap-drift.js';

/**
 * Found by `npm run loadtest`: concurrent creations and updates of actors sharing themes and
 * territories failed with INTERNAL_SERVER_ERROR ("deadlock detected") on native PostgreSQL. Each
 * write's statement triggers upsert the gap aggregates (coverage_theme_count rows per theme and
 * commune, EPCI, département, région, pays) in whatever order each statement produces them, so two
 * transactions could each hold a row the other wanted. On the embedded PGlite the same writes
 * failed differently ("portal does not exist", answers of another connection): its socket
 * multiplexer interleaved the protocol messages of concurrent queries (server/db/embedded.ts).
 * Every such write must succeed, on both backends.
 */
const SOURCE = 'test:concurrent-actor-writes.test.ts';
const THEMES = ['sante-mentale', 'addictions', 'vaccination', 'nutrition-activite-physique'];

let server: TestServer;
/** An administrator of this file (writing the directory needs an account). */
let admin: CookieClient;
const ADMIN_EMAIL = 'admin@test-concurrent-actor-writes.local';
let communes: { code: string; epci: string }[] = [];

const CREATE = `mutation ($input: CreateActorInput!) { createActor(input: $input) { id version } }`;
const UPDATE = `mutation ($id: ID!, $v: Int!, $input: UpdateActorInput!) { updateActor(id: $id, version: $v, input: $input) { id version } }`;

beforeAll(async () => {
  server = await startTestServer();
  admin = server.client();
  const up = await admin.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
    input: { email: ADMIN_EMAIL, password: 'mot de passe de test', displayName: 'Administration du test' },
  });
  expect(up.errors, JSON.stringify(up.errors)).toBeUndefined();
  await server.ds.query(`UPDATE user_account SET role = 'ADMIN' WHERE email = $1`, [ADMIN_EMAIL]);
  const login = await admin.gql(`mutation { logIn(email: "${ADMIN_EMAIL}", password: "mot de passe de test") { id } }`);
  expect(login.errors, JSON.stringify(login.errors)).toBeUndefined();
  communes = (
    await server.ds.query(
      `SELECT code, epci_code AS epci FROM territory WHERE level = 'COMMUNE' AND departement_code = '55' AND epci_code IS NOT NULL
       ORDER BY population DESC NULLS LAST LIMIT 12`,
    )
  ).map((r: { code: string; epci: string }) => r);
});

afterAll(() => server?.close());

/** Themes in a different order and subset for each writer, all overlapping. */
const themesOf = (i: number) => [...THEMES.slice(i % THEMES.length), ...THEMES.slice(0, i % THEMES.length)].slice(0, 2 + (i % 3));

describe('concurrent actor writes', () => {
  it('creates and updates actors sharing themes and territories concurrently without any error', { timeout: 180_000 }, async () => {
    const actors: { id: string; version: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const c = communes[i % communes.length];
      const res = await admin.gql(CREATE, {
        input: {
          name: `Écriture concurrente ${i}`,
          kind: 'ASSOCIATION',
          sector: 'SOCIAL',
          communeCode: c.code,
          themes: themesOf(i),
          territories: [{ level: 'COMMUNE', code: c.code }],
          source: SOURCE,
        },
      });
      expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
      actors.push(res.data.createActor);
    }
    const errors: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      const writes = [
        // Each actor moves to an EPCI or another commune, with its themes reordered…
        ...actors.map((a, i) => async () => {
          const c = communes[(i + round + 1) % communes.length];
          const territories = [[{ level: 'EPCI', code: c.epci }], [{ level: 'COMMUNE', code: c.code }]][(i + round) % 2];
          const res = await admin.gql(UPDATE, { id: a.id, v: a.version, input: { communeCode: c.code, territories, themes: themesOf(i + round + 1) } });
          if (res.errors) errors.push(res.errors);
          else a.version = res.data.updateActor.version;
        }),
        // …while new actors covering the same places and themes are created.
        ...Array.from({ length: 8 }, (_, i) => async () => {
          const c = communes[(i * 5 + round) % communes.length];
          const territories = i % 2 ? [{ level: 'EPCI', code: c.epci }] : [{ level: 'COMMUNE', code: c.code }];
          const res = await admin.gql(CREATE, {
            input: {
              name: `Écriture concurrente ${round}-${i}`,
              kind: 'CPTS',
              sector: 'SANTE',
              communeCode: c.code,
              themes: themesOf(i + round),
              territories,
              source: SOURCE,
            },
          });
          if (res.errors) errors.push(res.errors);
        }),
      ];
      await Promise.all(writes.map((w) => w()));
    }
    expect(errors, JSON.stringify(errors).slice(0, 2000)).toEqual([]);

    // The aggregates the triggers maintained are those a full recomputation gives.
    const { maintained, rebuilt } = await countsBeforeAndAfterRebuild(server.ds);
    expect(rebuilt).toBe(maintained);
  });
});
