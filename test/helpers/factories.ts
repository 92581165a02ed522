import { expect } from 'vitest';
import type { CookieClient, GraphQLResponse, TestAccount, TestServer } from './server.js';

/**
 * Fixture factories: the actors, accounts and coalitions a test file needs, written through the
 * API as a client would, and kept by key so that the tests name them (`actor.pilot`,
 * `users.coord`, `coalition.c1`). Each file has its own database (test/helpers/database.ts): what
 * they create is gone with it.
 */
export interface Fixtures {
  readonly actor: Record<string, string>;
  readonly users: Record<string, SignedIn>;
  readonly coalition: Record<string, string>;
  /** The e-mail of the account of `key`. */
  email: (key: string) => string;
  /** Creates an actor as the administrator, stored as `actor[key]`. */
  createActor: (key: string, input: Record<string, unknown>) => Promise<string>;
  /** Creates the actors of a table, one after the other, each stored under its key. */
  createActors: (inputs: Record<string, Record<string, unknown>>) => Promise<void>;
  /**
   * Signs up the account `key` (e-mail `key@<domain>`, shown as « Personne key »), gives it a role,
   * a région and the actors of `actorKeys` it represents, and stores a client signed in as it.
   */
  createUser: (key: string, role: TestAccount['role'], actorKeys?: string[], regionCode?: string | null) => Promise<SignedIn>;
  /** The ARS analysts of the two régions the tests' actors sit in: `users.analyst44` (Grand Est) and `users.analyst11` (Île-de-France). */
  createRegionalAnalysts: () => Promise<void>;
  /** Creates a coalition as `as` (piloted by one of its actors), stored as `coalition[key]`; fails the test on any error. */
  createCoalition: (key: string, as: CookieClient, input: Record<string, unknown>) => Promise<CoalitionCreated>;
  /** A new client signed in as the account `key` (a second browser of the same person). */
  logIn: (key: string) => Promise<CookieClient>;
}

export type SignedIn = CookieClient & { userId: string };

export interface CoalitionCreated {
  id: string;
  version: number;
  name: string;
  visibility: string;
  joinPolicy: string;
}

export interface FixtureOptions {
  /** The `source` of every actor created (to find them again). */
  source: string;
  /** The domain of every account, with its « @ » (`@test-coalitions.local`). */
  domain: string;
  password?: string;
}

export const TEST_PASSWORD = 'mot de passe de test';

/**
 * The ARS analysts of the two régions the tests' actors sit in, accounts `analyste44` and
 * `analyste11` of `domain`: Grand Est (44, the Meuse) and Île-de-France (11, Seine-Saint-Denis).
 */
export async function regionalAnalysts(server: TestServer, domain: string): Promise<{ analyst44: SignedIn; analyst11: SignedIn }> {
  const analyst = (regionCode: '44' | '11', displayName: string) =>
    server.signedIn({ email: `analyste${regionCode}${domain}`, password: TEST_PASSWORD, role: 'ANALYST', regionCode, displayName });
  return { analyst44: await analyst('44', 'Analyste Grand Est'), analyst11: await analyst('11', 'Analyste Île-de-France') };
}

/** A CPTS located in Verdun and covering the Meuse (55): the pilot most browser tests start from. */
export const VERDUN_CPTS = {
  kind: 'CPTS',
  sector: 'SANTE',
  themes: ['sante-mentale'],
  lon: 5.39,
  lat: 49.16,
  communeCode: '55545',
  territories: [{ level: 'DEPARTEMENT', code: '55' }],
};

/** A conseil local de santé mentale over the Meuse, started in 2025 (give it a name and a pilot). */
export const MEUSE_CLSM = { kind: 'CLSM', themes: ['sante-mentale'], territory: { level: 'DEPARTEMENT', code: '55' }, startDate: '2025-01-01' };

/** What `createVerdunClsm` created. */
export interface VerdunClsm {
  actorId: string;
  coordinator: SignedIn;
  coalitionId: string;
}

/**
 * The actor and the coalition the browser tests of every page open: the CPTS « <prefix> CPTS du
 * Verdunois » (key `cpts`, `VERDUN_CPTS` with the fields of `cpts`), its coordinator (key
 * `coordination`, who also represents the actors of `alsoRepresents`, created before), and the
 * CLSM of the Meuse it pilots, « <prefix> Coalition santé mentale en Meuse » (key `clsm`).
 */
export async function createVerdunClsm(
  f: Pick<Fixtures, 'createActor' | 'createUser' | 'createCoalition'>,
  prefix: string,
  { cpts = {}, alsoRepresents = [] }: { cpts?: Record<string, unknown>; alsoRepresents?: string[] } = {},
): Promise<VerdunClsm> {
  const actorId = await f.createActor('cpts', { ...VERDUN_CPTS, name: `${prefix} CPTS du Verdunois`, ...cpts });
  const coordinator = await f.createUser('coordination', 'COORDINATOR', ['cpts', ...alsoRepresents]);
  const coalition = await f.createCoalition('clsm', coordinator, { ...MEUSE_CLSM, name: `${prefix} Coalition santé mentale en Meuse`, pilotActorId: actorId });
  return { actorId, coordinator, coalitionId: coalition.id };
}

export const CREATE_COALITION = `mutation ($input: CreateCoalitionInput!) { createCoalition(input: $input) { id version name visibility joinPolicy } }`;

export function fixtures(server: () => TestServer, { source, domain, password = TEST_PASSWORD }: FixtureOptions): Fixtures {
  const actor: Record<string, string> = {};
  const users: Record<string, SignedIn> = {};
  const coalition: Record<string, string> = {};
  const email = (key: string) => `${key}${domain}`;
  const createActor = async (key: string, input: Record<string, unknown>) => {
    actor[key] = (await server().createActor({ source, ...input })).id;
    return actor[key];
  };
  const createUser: Fixtures['createUser'] = async (key, role, actorKeys = [], regionCode = null) => {
    users[key] = await server().signedIn({
      email: email(key),
      password,
      role,
      regionCode,
      actorIds: actorKeys.map((k) => actor[k]),
      displayName: `Personne ${key}`,
    });
    return users[key];
  };
  return {
    actor,
    users,
    coalition,
    email,
    createActor,
    createActors: async (inputs) => {
      for (const [key, input] of Object.entries(inputs)) await createActor(key, input);
    },
    createUser,
    createRegionalAnalysts: async () => {
      await createUser('analyst44', 'ANALYST', [], '44');
      await createUser('analyst11', 'ANALYST', [], '11');
    },
    createCoalition: async (key, as, input) => {
      const created = await ok<{ createCoalition: CoalitionCreated }>(as.gql(CREATE_COALITION, { input }));
      coalition[key] = created.createCoalition.id;
      return created.createCoalition;
    },
    logIn: async (key) => {
      const client = server().client();
      await ok(client.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { id } }`, { e: email(key), p: password }));
      return client;
    },
  };
}

/** The data of a response that must succeed; fails the test with the errors otherwise. */
export async function ok<T = any>(response: Promise<GraphQLResponse<T>> | GraphQLResponse<T>): Promise<T> {
  const res = await response;
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

/** The EPCI that Verdun (55545) belongs to, as the API tells it. */
export async function epciOf(server: TestServer, commune: string): Promise<string> {
  const res = await server.gql<{ territory: { parents: { level: string; code: string }[] } }>(
    `query ($c: String!) { territory(code: $c) { parents { level code } } }`,
    { c: commune },
  );
  return res.data!.territory.parents.find((p) => p.level === 'EPCI')!.code;
}
