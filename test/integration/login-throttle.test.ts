import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_POLICY, ADDRESS_POLICY, addressKey, delaySeconds } from '../../server/auth/login-throttle.js';
import { startApp } from '../helpers/app.js';
import { clientFrom } from '../helpers/address-client.js';
import { type CookieClient, errorCodes, type GraphQLResponse, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The login throttle attacked as an attacker would: many guesses at once, from one address, on one
 * account or sprayed over many, through logIn and signUp, across a restart of the app.
 *
 * Client addresses: each attacker and victim connects from its own loopback address (127.0.2.x,
 * see address-client.ts), so the server reads it from the socket through Express's `req.ip`, the
 * path of a deployment without a proxy, where nothing in the request can choose it. One test runs
 * the app with TRUST_PROXY as behind a load balancer, the client's address then coming from
 * X-Forwarded-For, and another checks that without TRUST_PROXY that header changes nothing.
 */
const DOMAIN = '@test-login-throttle.local';
const PASSWORD = 'le vrai mot de passe';
/** The loopback addresses of this file (their throttle rows are removed before and after). */
const NET = '127.0.2.';
const from = (n: number) => clientFrom(server.url, `${NET}${n}`);
let server: TestServer;

const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { id } }`;
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`;
const INCORRECT = 'Courriel ou mot de passe incorrect.';

const cleanUp = async () => {
  await server.ds.query(`DELETE FROM auth_throttle WHERE address LIKE $1 OR address LIKE '203.0.113.%'`, [`${NET}%`]);
};

beforeAll(async () => {
  server = await startTestServer();
  await cleanUp();
});

afterAll(async () => {
  await cleanUp();
  await server?.close();
});

async function account(name: string, role = 'MEMBER'): Promise<string> {
  const email = `${name}${DOMAIN}`;
  const res = await server.gql(SIGN_UP, { input: { email, password: PASSWORD, displayName: name } });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  await server.ds.query(`UPDATE user_account SET role = $2 WHERE email = $1`, [email, role]);
  return email;
}

/** How the answers split: passwords checked and wrong, logged in, refused by the throttle. */
function tally(answers: GraphQLResponse[]) {
  const t = { incorrect: 0, loggedIn: 0, refused: 0, other: [] as unknown[] };
  for (const a of answers) {
    if (a.data?.logIn || a.data?.signUp) t.loggedIn++;
    else if (a.errors?.[0]?.message === INCORRECT) t.incorrect++;
    else if (errorCodes(a)[0] === 'TOO_MANY_ATTEMPTS') t.refused++;
    else t.other.push(a.errors);
  }
  return t;
}

describe('throttle by (account, address): concurrent guesses', () => {
  it('should check no more than 5 passwords when 100 guesses arrive at once, and refuse the right one sent last', async () => {
    const email = await account('burst');
    const attacker = from(1);
    const answers = await Promise.all([
      ...Array.from({ length: 99 }, (_, i) => attacker.gql(LOG_IN, { email, password: `essai ${i}` })),
      attacker.gql(LOG_IN, { email, password: PASSWORD }),
    ]);
    const t = tally(answers);
    expect(t.other).toEqual([]);
    expect(t.incorrect).toBe(ACCOUNT_POLICY.free);
    expect(t.loggedIn).toBe(0);
    expect(t.refused).toBe(100 - ACCOUNT_POLICY.free);
    expect(errorCodes(answers[99])).toEqual(['TOO_MANY_ATTEMPTS']);
    expect(attacker.cookies.size).toBe(0);
    // The refusal says nothing of the password: the right one and a wrong one get the same answer.
    const right = await attacker.gql(LOG_IN, { email, password: PASSWORD });
    const wrong = await attacker.gql(LOG_IN, { email, password: 'encore un essai' });
    expect(errorCodes(right)).toEqual(['TOO_MANY_ATTEMPTS']);
    // Same text; only the remaining delay may differ, by the second that passed between the two answers.
    const masked = (m: string) => m.replace(/\d+ s\./, 'N s.');
    expect(masked(right.errors![0].message)).toBe(masked(wrong.errors![0].message));
    expect(
      Math.abs((right.errors![0].extensions!.retryAfterSeconds as number) - (wrong.errors![0].extensions!.retryAfterSeconds as number)),
    ).toBeLessThanOrEqual(1);
    const retry = right.errors![0].extensions!.retryAfterSeconds as number;
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(delaySeconds(ACCOUNT_POLICY, ACCOUNT_POLICY.free));
    expect(right.errors![0].message).toBe(`Trop de tentatives depuis votre adresse : réessayez dans ${retry < 60 ? `${retry} s` : '1 min'}.`);
  });

  it('should check no more than 5 wrong passwords among 100 concurrent guesses with the right one placed at random', async () => {
    const email = await account('random');
    const attacker = from(2);
    const rightAt = randomInt(100);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => attacker.gql(LOG_IN, { email, password: i === rightAt ? PASSWORD : `essai ${i}` })),
    );
    const t = tally(answers);
    expect(t.other).toEqual([]);
    expect(t.incorrect).toBeLessThanOrEqual(ACCOUNT_POLICY.free);
    expect(t.loggedIn).toBeLessThanOrEqual(1);
    // The right password got in only if it was checked, never refused and then let in.
    if (t.loggedIn === 0) expect(errorCodes(answers[rightAt])).toEqual(['TOO_MANY_ATTEMPTS']);
    else expect(answers[rightAt].data.logIn.id).toBeTruthy();
    expect(t.incorrect + t.loggedIn + t.refused).toBe(100);
  });

  it('should keep refusing after a restart of the app: the count lives in the database', async () => {
    const email = await account('restart');
    const attacker = from(3);
    for (let i = 0; i < ACCOUNT_POLICY.free; i++) expect((await attacker.gql(LOG_IN, { email, password: `essai ${i}` })).errors![0].message).toBe(INCORRECT);
    const restarted = await startTestServer();
    try {
      const res = await clientFrom(restarted.url, `${NET}3`).gql(LOG_IN, { email, password: PASSWORD });
      expect(errorCodes(res)).toEqual(['TOO_MANY_ATTEMPTS']);
    } finally {
      await restarted.close();
    }
  });

  it('should let the owner, an administrator, in at once from another address after an attacker’s 50 wrong attempts', async () => {
    const email = await account('victime', 'ADMIN');
    const attacker = from(4);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => attacker.gql(LOG_IN, { email, password: `essai ${i}` })));
    expect(tally(answers)).toMatchObject({ incorrect: ACCOUNT_POLICY.free, refused: 50 - ACCOUNT_POLICY.free });
    const victim = from(5);
    const res = await victim.gql(LOG_IN, { email, password: PASSWORD });
    expect(res.errors).toBeUndefined();
    expect((await victim.gql(`{ me { role } }`)).data.me.role).toBe('ADMIN');
    // The attacker is still held back, even with the right password.
    expect(errorCodes(await attacker.gql(LOG_IN, { email, password: PASSWORD }))).toEqual(['TOO_MANY_ATTEMPTS']);
  });

  it('should make the attacker wait longer after each failure (1 min, then 2, then 4), and let the right password in once the wait is over', async () => {
    const email = await account('delais');
    const attacker = from(6);
    const key = [`${NET}6`];
    /** As if `seconds` had passed since the last failure. */
    const wait = (seconds: number) =>
      server.ds.query(`UPDATE auth_throttle SET last_failure_at = last_failure_at - make_interval(secs => $2) WHERE address = ANY($1)`, [key, seconds]);
    for (let i = 0; i < ACCOUNT_POLICY.free; i++) await attacker.gql(LOG_IN, { email, password: `essai ${i}` });
    const retries: number[] = [];
    for (let round = 0; round < 3; round++) {
      const refused = await attacker.gql(LOG_IN, { email, password: 'encore un essai' });
      expect(errorCodes(refused)).toEqual(['TOO_MANY_ATTEMPTS']);
      retries.push(refused.errors![0].extensions!.retryAfterSeconds as number);
      await wait(retries[round] - 5);
      expect(errorCodes(await attacker.gql(LOG_IN, { email, password: PASSWORD }))).toEqual(['TOO_MANY_ATTEMPTS']);
      await wait(6);
      expect((await attacker.gql(LOG_IN, { email, password: `essai tardif ${round}` })).errors![0].message).toBe(INCORRECT);
    }
    expect(retries.map((s) => Math.round(s / 60))).toEqual([1, 2, 4]);
    await wait(8 * 60 + 1);
    const ok = await attacker.gql(LOG_IN, { email, password: PASSWORD });
    expect(ok.errors).toBeUndefined();
    // Whoever gave the right password gets the next attempt at once.
    expect((await attacker.gql(LOG_IN, { email, password: 'faute de frappe' })).errors![0].message).toBe(INCORRECT);
  });
});

describe('throttle by address, across accounts', () => {
  it('should stop an address that sprays one password over many accounts after 50 failures, even for an account it knows', async () => {
    const real = await account('pulverisee');
    const sprayer = from(7);
    const emails = Array.from({ length: 70 }, (_, i) => (i === 0 ? real : `inconnu-${i}${DOMAIN}`));
    const answers = await Promise.all(emails.map((email) => sprayer.gql(LOG_IN, { email, password: 'Printemps2026!' })));
    const t = tally(answers);
    expect(t.other).toEqual([]);
    expect(t.incorrect).toBe(ADDRESS_POLICY.free);
    expect(t.refused).toBe(70 - ADDRESS_POLICY.free);
    const refused = await sprayer.gql(LOG_IN, { email: real, password: PASSWORD });
    expect(errorCodes(refused)).toEqual(['TOO_MANY_ATTEMPTS']);
    expect(refused.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
    // Its accounts are not locked for anyone else.
    expect((await from(8).gql(LOG_IN, { email: real, password: PASSWORD })).errors).toBeUndefined();
  });

  it('should not let signUp enumerate accounts in bulk: 50 « compte existant » answers per address, then refusals that tell nothing', async () => {
    const existing = await account('existant');
    const prober = from(9);
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => prober.gql(SIGN_UP, { input: { email: existing, password: 'mot de passe quelconque', displayName: 'Sonde' } })),
    );
    const codes = answers.map((a) => errorCodes(a)[0]);
    expect(answers.filter((a) => !['CONFLICT', 'TOO_MANY_ATTEMPTS'].includes(errorCodes(a)[0]!)).map((a) => a.errors ?? a.data)).toEqual([]);
    expect(codes.filter((c) => c === 'CONFLICT')).toHaveLength(ADDRESS_POLICY.free);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(60 - ADDRESS_POLICY.free);
    // A new address and an existing one now get the same refusal, and nothing is created.
    const fresh = await prober.gql(SIGN_UP, { input: { email: `nouveau${DOMAIN}`, password: 'mot de passe quelconque', displayName: 'Sonde' } });
    const known = await prober.gql(SIGN_UP, { input: { email: existing, password: 'mot de passe quelconque', displayName: 'Sonde' } });
    expect(errorCodes(fresh)).toEqual(['TOO_MANY_ATTEMPTS']);
    expect(fresh.errors![0].message).toBe(known.errors![0].message);
    expect(await server.ds.query(`SELECT 1 FROM user_account WHERE email = $1`, [`nouveau${DOMAIN}`])).toEqual([]);
    // Signing up from another address still works.
    expect(
      (await from(10).gql(SIGN_UP, { input: { email: `nouveau${DOMAIN}`, password: 'mot de passe quelconque', displayName: 'Nouveau' } })).errors,
    ).toBeUndefined();
  });

  it('should not count successes: 60 sign-ups and log-ins from one address all go through', async () => {
    const office = from(11);
    const emails = Array.from({ length: 60 }, (_, i) => `bureau-${i}${DOMAIN}`);
    // In groups of 20: attempts in progress count against the budget until they succeed.
    for (let i = 0; i < emails.length; i += 20) {
      const group = emails.slice(i, i + 20);
      const ups = await Promise.all(group.map((email) => office.gql(SIGN_UP, { input: { email, password: PASSWORD, displayName: 'Bureau' } })));
      expect(ups.filter((a) => a.errors)).toEqual([]);
      const logins = await Promise.all(group.map((email) => office.gql(LOG_IN, { email, password: PASSWORD })));
      expect(logins.filter((a) => a.errors)).toEqual([]);
    }
  });

  it('should not give an address more guesses for logging into its own account in between', async () => {
    const own = await account('propre');
    const other = await account('autre');
    const attacker = from(12);
    for (let i = 0; i < 45; i++) await attacker.gql(LOG_IN, { email: `absent-${i}${DOMAIN}`, password: 'essai' });
    for (let i = 0; i < 10; i++) expect((await attacker.gql(LOG_IN, { email: own, password: PASSWORD })).errors).toBeUndefined();
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => attacker.gql(LOG_IN, { email: other, password: `essai ${i}` })));
    const more = await Promise.all(Array.from({ length: 4 }, (_, i) => attacker.gql(LOG_IN, { email: `absent-bis-${i}${DOMAIN}`, password: 'essai' })));
    expect(tally([...answers, ...more]).incorrect).toBe(ADDRESS_POLICY.free - 45);
  });
});

describe('client address', () => {
  it('should ignore X-Forwarded-For without TRUST_PROXY: a client cannot dodge the throttle by changing it', async () => {
    const email = await account('entete');
    const answers: GraphQLResponse[] = [];
    for (let i = 0; i < 8; i++) {
      answers.push(await clientFrom(server.url, `${NET}13`, { 'x-forwarded-for': `203.0.113.${i + 1}` }).gql(LOG_IN, { email, password: `essai ${i}` }));
    }
    expect(tally(answers)).toMatchObject({ incorrect: ACCOUNT_POLICY.free, refused: 8 - ACCOUNT_POLICY.free });
  });

  it('should read the client’s address from X-Forwarded-For behind a trusted proxy (TRUST_PROXY)', async () => {
    const email = await account('proxy');
    // As README's TRUST_PROXY=loopback: the proxy runs on the same machine as the app.
    const proxied = await startApp({ trustProxy: 'loopback' });
    const { url, ds } = proxied;
    try {
      const behind = (ip: string): CookieClient => clientFrom(url, `${NET}14`, { 'x-forwarded-for': ip });
      const attacker = behind('203.0.113.7');
      for (let i = 0; i < ACCOUNT_POLICY.free; i++) expect((await attacker.gql(LOG_IN, { email, password: `essai ${i}` })).errors![0].message).toBe(INCORRECT);
      expect(errorCodes(await attacker.gql(LOG_IN, { email, password: PASSWORD }))).toEqual(['TOO_MANY_ATTEMPTS']);
      // Same proxy, another client behind it: not held back by the first one's failures.
      expect((await behind('203.0.113.8').gql(LOG_IN, { email, password: PASSWORD })).errors).toBeUndefined();
      const [row] = await ds.query(`SELECT failures FROM auth_throttle WHERE address = '203.0.113.7' AND account = ''`);
      expect(row.failures).toBe(ACCOUNT_POLICY.free);
    } finally {
      await proxied.close();
    }
  });

  it('should count an IPv6 client by its /64, so rotating addresses inside it gains nothing', () => {
    expect(addressKey('2001:db8:1:2::1')).toBe(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:127.0.2.1')).toBe('127.0.2.1');
  });
});
