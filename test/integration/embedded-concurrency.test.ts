import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieClient, errorCodes, type GraphQLResponse, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Found on the embedded PGlite: concurrent requestMembership for the same coalition and actor (the
 * partial unique index refuses the second INSERT inside its transaction) mixed up the answers of the
 * embedded server's connections: other requests got another query's result (« Acteur introuvable »,
 * null results) or TypeORM's QueryRunnerProviderAlreadyReleasedError (server/db/embedded.ts).
 * Every request must get its own answer, on both backends.
 */
const SOURCE = 'test:embedded-concurrency.test.ts';
const DOMAIN = '@test-embedded-concurrency.local';
const PASSWORD = 'mot de passe de test';
const ROUNDS = 4;
const PAIRS = 10;
const READS = 20;

const REQUEST = `mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id status actor { id } coalition { id } } }`;
const READ = `query ($id: ID!) { actor(id: $id) { id name } }`;

let server: TestServer;
let member: CookieClient;
const requesters: string[] = [];
const readable: { id: string; name: string }[] = [];
const coalitions: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const verdun = [{ level: 'COMMUNE', code: '55545' }];
  const base = { kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['sante-mentale'], territories: verdun, source: SOURCE };
  const pilot = (await server.createActor({ ...base, name: 'Concurrence pilote' })).id;
  for (let i = 0; i < PAIRS; i++) requesters.push((await server.createActor({ ...base, name: `Concurrence demandeur ${i}` })).id);
  for (let i = 0; i < READS; i++) {
    const name = `Concurrence lu ${i}`;
    readable.push({ id: (await server.createActor({ ...base, name })).id, name });
  }
  const coord = await server.signedIn({ email: `coord${DOMAIN}`, password: PASSWORD, role: 'COORDINATOR', actorIds: [pilot] });
  member = await server.signedIn({ email: `member${DOMAIN}`, password: PASSWORD, actorIds: requesters });
  for (let r = 0; r < ROUNDS; r++) {
    const res = await coord.gql(`mutation ($input: CreateCoalitionInput!) { createCoalition(input: $input) { id } }`, {
      input: { name: `Concurrence coalition ${r}`, kind: 'THEMATIQUE', themes: ['sante-mentale'], territory: { level: 'COMMUNE', code: '55545' }, pilotActorId: pilot },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    coalitions.push(res.data.createCoalition.id);
  }
});

afterAll(async () => {
  if (!server) return;
  await server.ds.query(`DELETE FROM coalition WHERE id = ANY($1::uuid[])`, [coalitions]);
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server.ds.query(`DELETE FROM user_account WHERE email LIKE $1`, [`%${DOMAIN}`]);
  await server.close();
});

describe('unique violations inside concurrent transactions', () => {
  it('should not give any request the answer of another while concurrent transactions hit a unique index', { timeout: 180_000 }, async () => {
    for (const coalitionId of coalitions) {
      // Two identical requests per actor (one INSERT wins, the other hits the unique index and
      // rolls back), interleaved with reads that each ask for a distinct actor.
      const writes: Promise<GraphQLResponse>[] = [];
      const reads: Promise<GraphQLResponse>[] = [];
      for (let i = 0; i < READS; i++) {
        if (i < PAIRS) writes.push(member.gql(REQUEST, { c: coalitionId, a: requesters[i] }));
        reads.push(server.gql(READ, { id: readable[i].id }));
        if (i < PAIRS) writes.push(member.gql(REQUEST, { c: coalitionId, a: requesters[i] }));
      }
      const [w, r] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
      for (let i = 0; i < READS; i++) {
        expect(r[i].errors, JSON.stringify(r[i].errors)).toBeUndefined();
        expect(r[i].data.actor).toEqual(readable[i]);
      }
      for (let i = 0; i < PAIRS; i++) {
        const pair = [w[2 * i], w[2 * i + 1]];
        expect(pair.flatMap(errorCodes), JSON.stringify(pair.map((p) => p.errors))).toEqual(['CONFLICT']);
        const ok = pair.find((p) => !p.errors)!;
        expect(ok.data.requestMembership).toMatchObject({ status: 'REQUESTED', actor: { id: requesters[i] }, coalition: { id: coalitionId } });
      }
      const rows = await server.ds.query(`SELECT actor_id FROM membership WHERE coalition_id = $1 AND status = 'REQUESTED' ORDER BY actor_id`, [coalitionId]);
      expect(rows.map((row: { actor_id: string }) => row.actor_id)).toEqual([...requesters].sort());
    }
  });
});
