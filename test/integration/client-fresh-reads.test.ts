import 'reflect-metadata';
import { Client, fetchExchange, cacheExchange, gql } from '@urql/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryFresh } from '../../client/src/lib/graphql/client.js';
import { VERDUN_CPTS } from '../helpers/factories.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The client's reads that must see the last write (a coalition after a join request, a list after
 * a decision): `queryFresh` answers with its own request's result, even when the same query, sent
 * a moment earlier, is answered later. The app's own urql client, against the real server; only the
 * order in which the two answers reach the client is set by the test.
 */
const NAME = gql<{ actor: { name: string } }, { id: string }>`
  query ($id: ID!) {
    actor(id: $id) {
      name
    }
  }
`;

let s: TestServer;
let actorId: string;

beforeAll(async () => {
  s = await startTestServer();
  actorId = (await s.createActor({ ...VERDUN_CPTS, name: 'Avant', source: 'test:client-fresh-reads.test.ts' })).id;
});
afterAll(() => s?.close());

/**
 * A urql client like the app's whose first request is answered by the server at once but handed
 * to urql only when `deliverFirst()` is called; later requests reach urql only after it.
 */
function clientWithASlowFirstAnswer() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let firstRead!: () => void;
  const read = new Promise<void>((resolve) => (firstRead = resolve));
  let calls = 0;
  const urql = new Client({
    url: `${s.url}/graphql`,
    preferGetMethod: false,
    exchanges: [cacheExchange, fetchExchange],
    fetch: async (input, init) => {
      const first = ++calls === 1;
      const response = await fetch(input, init);
      const body = await response.text();
      if (first) firstRead();
      await released;
      if (!first) await new Promise((resolve) => setTimeout(resolve, 20));
      return new Response(body, { status: response.status, headers: response.headers });
    },
  });
  return { urql, firstAnswered: read, deliverFirst: release };
}

type Read = (urql: Client) => Promise<{ data?: { actor: { name: string } } }>;

/**
 * The actor named « Avant » is read once; once the server answered (the answer held back), it is
 * renamed « Après » and read `later` times more; then the first answer reaches urql. The names read.
 */
async function readAroundARename(read: Read, later: number): Promise<{ first?: string; then: (string | undefined)[] }> {
  await s.ds.query(`UPDATE actor SET name = 'Avant' WHERE id = $1`, [actorId]);
  const { urql, firstAnswered, deliverFirst } = clientWithASlowFirstAnswer();
  const first = read(urql);
  await firstAnswered;
  await s.ds.query(`UPDATE actor SET name = 'Après' WHERE id = $1`, [actorId]);
  const then = Array.from({ length: later }, () => read(urql));
  deliverFirst();
  return { first: (await first).data?.actor.name, then: (await Promise.all(then)).map((r) => r.data?.actor.name) };
}

const fresh: Read = (urql) => queryFresh(urql, NAME, { id: actorId });
const urqlAlone: Read = (urql) => urql.query(NAME, { id: actorId }, { requestPolicy: 'network-only' }).toPromise();

describe('a read sent again while the same read is in flight', () => {
  it('answers queryFresh with the server’s answer to this request, given after the write in between', async () => {
    expect(await readAroundARename(fresh, 1)).toEqual({ first: 'Avant', then: ['Après'] });
  });

  it('answers two reads sent while the first is in flight each with an answer given after the write', async () => {
    expect(await readAroundARename(fresh, 2)).toEqual({ first: 'Avant', then: ['Après', 'Après'] });
  });

  // If urql stops sharing the answer, this fails: queryFresh may then give way to urql's own call.
  it('answers urql’s own network-only query with the earlier request’s answer: why queryFresh exists', async () => {
    expect(await readAroundARename(urqlAlone, 1)).toEqual({ first: 'Avant', then: ['Avant'] });
  });
});
