import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../helpers/database.js';
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
      input: {
        name: `Concurrence coalition ${r}`,
        kind: 'THEMATIQUE',
        themes: ['sante-mentale'],
        territory: { level: 'COMMUNE', code: '55545' },
        pilotActorId: pilot,
      },
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    coalitions.push(res.data.createCoalition.id);
  }
});

afterAll(async () => {
  if (!server) return;
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

/** A protocol message: type byte, int32 length, body. */
function message(type: string, ...parts: (string | number[])[]): Buffer {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(`${p}\0`) : Buffer.from(p))));
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

/** Opens a raw protocol connection to the test database and waits for its first ReadyForQuery. */
async function rawConnection(): Promise<{ send(until: string, ...m: Buffer[]): Promise<string>; destroy(): void }> {
  const url = new URL(testDatabaseUrl());
  const socket = net.connect(Number(url.port || 5432), url.hostname);
  let received = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  socket.on('data', (d) => {
    received = Buffer.concat([received, d]);
    waiting?.();
  });
  /** Waits for a message of type `until` and returns the types of the messages received until then. */
  const receive = (until: string) =>
    new Promise<string>((resolve, reject) => {
      socket.once('error', reject);
      const check = () => {
        const types: string[] = [];
        for (let i = 0; i + 5 <= received.length;) {
          const len = received.readInt32BE(i + 1);
          if (i + 1 + len > received.length) break;
          types.push(String.fromCharCode(received[i]));
          i += 1 + len;
          if (types.at(-1) === until) {
            received = received.subarray(i);
            waiting = null;
            return resolve(types.join(''));
          }
        }
        waiting = check;
      };
      check();
    });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const params = Buffer.from(`user\0${decodeURIComponent(url.username)}\0database\0${url.pathname.slice(1)}\0\0`);
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4);
  socket.write(Buffer.concat([startup, params]));
  const auth = await receive('Z');
  if (!auth.startsWith('R')) throw new Error(`startup answered ${auth}`);
  return {
    send: (until, ...m) => {
      socket.write(Buffer.concat(m));
      return receive(until);
    },
    destroy: () => socket.destroy(),
  };
}

describe('a connection gone while it holds the backend', () => {
  it('should not leave its failed sequence or its transaction to the next connection', async () => {
    const raw = await rawConnection();
    expect(await raw.send('Z', message('Q', 'BEGIN'))).toBe('CZ');
    const renamed = await raw.send('Z', message('Q', `UPDATE actor SET name = 'Renommée par une connexion perdue' WHERE id = '${readable[0].id}'`));
    expect(renamed).toBe('CZ');
    // An extended-protocol query that fails (at Bind on PostgreSQL, which folds 1 / 0 while planning;
    // at Execute on PGlite; Flush asks for the error at once), and the
    // connection drops before its Sync: the backend is in an aborted transaction and skips every
    // message until a Sync.
    const failed = [message('P', '', 'SELECT 1 / 0', [0, 0]), message('B', '', '', [0, 0, 0, 0, 0, 0]), message('E', '', [0, 0, 0, 0]), message('H')];
    expect(await raw.send('E', ...failed)).toMatch(/^1(2)?E$/);
    raw.destroy();
    const reads = await Promise.all(readable.map((a) => server.gql(READ, { id: a.id })));
    reads.forEach((r, i) => {
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      expect(r.data.actor).toEqual(readable[i]);
    });
    const [row] = await server.ds.query(`SELECT name FROM actor WHERE id = $1`, [readable[0].id]);
    expect(row.name).toBe(readable[0].name);
  });
});
