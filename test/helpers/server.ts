import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll } from 'vitest';
import { createDataSource } from '../../server/db/data-source.js';
import { createApp } from '../../server/http/app.js';
import type { Env } from '../../server/config/env.js';
import { TEST_REPLICA_MAX_LAG_MS, testDatabaseUrl, testReplicaUrls } from './database.js';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface TestServer {
  url: string;
  ds: DataSource;
  /** SQL statements sent by the server since the last reset (to catch per-row queries). */
  queries: string[];
  /** Sends a GraphQL request over HTTP, as a client would. */
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
  /** A client that keeps the cookies the server sets (a browser with a session). */
  client(): CookieClient;
  /**
   * A client signed in as an administrator of the test run: writing the directory needs an
   * account (visitors only read), so fixtures are written through it.
   */
  admin: CookieClient;
  /**
   * Signs up an account through the API, gives it a role, a région and the actors it represents
   * (as an administrator would), and returns a client signed in as it.
   */
  signedIn(account: TestAccount): Promise<CookieClient & { userId: string }>;
  /** Creates an actor as the administrator; fails the test on any error. */
  createActor(input: Record<string, unknown>): Promise<{ id: string; version: number }>;
}

export interface TestAccount {
  email: string;
  password: string;
  role?: 'MEMBER' | 'COORDINATOR' | 'ANALYST' | 'ADMIN';
  regionCode?: string | null;
  actorIds?: string[];
  displayName?: string;
}

export interface CookieClient {
  /** Cookies held, by name. */
  cookies: Map<string, string>;
  /** The raw Set-Cookie headers of the last response. */
  lastSetCookie: string[];
  /** `headers`: more request headers (e.g. the import's X-Apollo-Operation-Name). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
}

/** The real app on a loopback port, over the test database: requests go through HTTP like a client's. */
export async function startTestServer(overrides: Partial<Env> = {}): Promise<TestServer> {
  const queries: string[] = [];
  const ds = createDataSource({
    url: testDatabaseUrl(),
    poolSize: 4,
    onQuery: (sql) => queries.push(sql),
    replicaUrls: testReplicaUrls(),
    replicaMaxLagMs: TEST_REPLICA_MAX_LAG_MS,
  });
  await ds.initialize();
  const server = http.createServer();
  const { app, apollo } = await createApp(ds, server, overrides);
  server.on('request', app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const adminEmail = `admin-${randomUUID()}@test-helper.local`;
  const self: TestServer = {
    url,
    ds,
    queries,
    async gql(query, variables) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GraphQLResponse;
      return { ...body, status: res.status };
    },
    client() {
      const cookies = new Map<string, string>();
      const jar: CookieClient = {
        cookies,
        lastSetCookie: [],
        async gql(query, variables, extraHeaders = {}) {
          const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
          if (cookies.size) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
          const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
          jar.lastSetCookie = res.headers.getSetCookie();
          for (const line of jar.lastSetCookie) {
            const [pair, ...attrs] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq).trim();
            const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
            if (expired) cookies.delete(name);
            else cookies.set(name, pair.slice(eq + 1).trim());
          }
          const body = (await res.json()) as GraphQLResponse;
          return { ...body, status: res.status };
        },
      };
      return jar;
    },
    admin: undefined as unknown as CookieClient,
    async createActor(input) {
      const res = await self.admin.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id version } }`, { input });
      if (res.errors) throw new Error(`createActor failed: ${JSON.stringify(res.errors)}`);
      return res.data.createActor;
    },
    async signedIn({ email, password, role = 'MEMBER', regionCode = null, actorIds = [], displayName }) {
      const signUp = await self.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
        input: { email, password, displayName: displayName ?? `Personne ${email.split('@')[0]}` },
      });
      if (signUp.errors) throw new Error(`sign-up of ${email} failed: ${JSON.stringify(signUp.errors)}`);
      const userId: string = signUp.data.signUp.id;
      await ds.query(`UPDATE user_account SET role = $2, region_code = $3 WHERE id = $1`, [userId, role, regionCode]);
      for (const actorId of actorIds) await ds.query(`INSERT INTO user_actor (user_id, actor_id) VALUES ($1, $2)`, [userId, actorId]);
      const client = self.client();
      const login = await client.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { id } }`, { e: email, p: password });
      if (login.errors) throw new Error(`log-in of ${email} failed: ${JSON.stringify(login.errors)}`);
      return Object.assign(client, { userId });
    },
    async close() {
      await ds.query(`DELETE FROM user_account WHERE email = $1`, [adminEmail]);
      await apollo.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ds.destroy();
    },
  };
  self.admin = await self.signedIn({ email: adminEmail, password: randomUUID(), role: 'ADMIN', displayName: 'Administration des tests' });
  return self;
}

/** The codes of the errors in a response, for assertions. */
export const errorCodes = (res: GraphQLResponse) => (res.errors ?? []).map((e) => e.extensions?.code);

/**
 * The file's app for a file that needs nothing else before its tests: started before them, closed
 * after them. Returns a getter (the server exists once the tests run).
 */
export function useTestServer(): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());
  return () => server!;
}
