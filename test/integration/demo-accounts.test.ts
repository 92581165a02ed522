import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, seedDemoAccounts } from '../../seeds/accounts.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

/** What the demonstration seed writes: removed first, so that the seed starts from nothing. */
async function removeDemoAccounts() {
  await server.ds.query(`DELETE FROM coalition WHERE source = 'demo:accounts'`);
  await server.ds.query(`DELETE FROM actor WHERE source = 'demo:accounts'`);
  await server.ds.query(`DELETE FROM user_account WHERE email LIKE '%@demo.local'`);
}

beforeAll(async () => {
  server = await startTestServer();
  // This file's database is its own copy of the seeded template: no other file sees these accounts.
  await removeDemoAccounts();
  await seedDemoAccounts(server.ds, () => {});
});

afterAll(async () => {
  await server?.close();
});

describe('demonstration accounts', () => {
  it('creates one account per role once, prints the credentials, and does nothing the second time', async () => {
    await removeDemoAccounts();
    const lines: string[] = [];
    const first = await seedDemoAccounts(server.ds, (l) => lines.push(l));
    expect(first.created).toBe(4);
    for (const a of DEMO_ACCOUNTS) expect(lines.join('\n')).toContain(`${a.email.padEnd(26)} mot de passe : ${a.password}`);
    const again = await seedDemoAccounts(server.ds, () => {});
    expect(again.created).toBe(0);
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM coalition WHERE source = 'demo:accounts'`);
    expect(n).toBe(2);
  });

  it('lets the demonstration member ask to join and the coordinator accept at once', async () => {
    const login = async (email: string, password: string) => {
      const c = server.client();
      const res = await c.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { role } }`, { e: email, p: password });
      expect(res.errors).toBeUndefined();
      return { client: c, role: res.data.logIn.role };
    };
    const sessions = await Promise.all(DEMO_ACCOUNTS.map((a) => login(a.email, a.password)));
    expect(sessions.map((s) => s.role)).toEqual(['MEMBER', 'COORDINATOR', 'ANALYST', 'ADMIN']);
    const [member, coordinator] = sessions.map((s) => s.client);

    const me = await member.gql(`{ me { actors { id isDemo } } }`);
    const actorId = me.data.me.actors[0].id;
    expect(me.data.me.actors[0].isDemo).toBe(true);
    const list = await member.gql(
      `{ coalitions(filter: { territory: { level: DEPARTEMENT, code: "55" } }, first: 200) { edges { node { id name isDemo joinPolicy } } } }`,
    );
    const demo = list.data.coalitions.edges.map((e: any) => e.node).find((c: any) => c.isDemo && c.joinPolicy === 'APPROVAL');
    expect(demo).toBeDefined();
    const request = await member.gql(`mutation ($c: ID!, $a: ID!) { requestMembership(coalitionId: $c, actorId: $a) { id status } }`, {
      c: demo.id,
      a: actorId,
    });
    expect(request.data.requestMembership.status).toBe('REQUESTED');
    const accepted = await coordinator.gql(`mutation ($id: ID!) { acceptMembership(membershipId: $id) { status } }`, { id: request.data.requestMembership.id });
    expect(accepted.data.acceptMembership.status).toBe('ACTIVE');
  });
});
