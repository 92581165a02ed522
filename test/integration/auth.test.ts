import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFrom } from '../helpers/address-client.js';
import { errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/** Every account of this file uses this domain, so afterAll removes exactly them. */
const DOMAIN = '@test-auth.local';
/** Wrong passwords are sent from these loopback addresses (see address-client.ts), whose throttle rows afterAll removes. */
const ADDRESSES = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];
let server: TestServer;

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { id email displayName role } }`;
const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { id email role } }`;
const ME = `{ me { id email displayName role actors { id } memberships { id } } }`;

beforeAll(async () => {
  server = await startTestServer();
  await server.ds.query(`DELETE FROM auth_throttle WHERE address = ANY($1)`, [ADDRESSES]);
});

afterAll(() => server?.close());

describe('accounts and sessions', () => {
  it('signs up, sets an HttpOnly SameSite session cookie and knows the user', async () => {
    const browser = server.client();
    const res = await browser.gql(SIGN_UP, { input: { email: `Alice${DOMAIN}`, password: 'correct horse battery', displayName: 'Alice' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.signUp).toMatchObject({ email: `alice${DOMAIN}`, displayName: 'Alice', role: 'MEMBER' });
    const cookie = browser.lastSetCookie.find((c) => c.startsWith('session='))!;
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//);
    expect(cookie).toMatch(/Max-Age=259\d{4}/); // 30 days
    expect(cookie).not.toMatch(/Secure/); // plain http here; Secure behind https
    const me = await browser.gql(ME);
    expect(me.data.me).toMatchObject({ email: `alice${DOMAIN}`, role: 'MEMBER', actors: [], memberships: [] });
  });

  it('marks the cookie Secure when COOKIE_SECURE=true (served over HTTPS)', async () => {
    process.env.COOKIE_SECURE = 'true';
    try {
      const browser = server.client();
      await browser.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' });
      expect(browser.lastSetCookie[0]).toMatch(/;\s*Secure/);
      expect(browser.lastSetCookie[0]).toMatch(/;\s*HttpOnly/);
    } finally {
      delete process.env.COOKIE_SECURE;
    }
  });

  it('stores an argon2id hash, never the password, and only a hash of the session token', async () => {
    const [row] = await server.ds.query(`SELECT password_hash, id FROM user_account WHERE email = $1`, [`alice${DOMAIN}`]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain('correct horse');
    const browser = server.client();
    await browser.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' });
    const token = browser.cookies.get('session')!;
    const stored = await server.ds.query(`SELECT token_hash FROM session WHERE user_id = $1`, [row.id]);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.map((s: any) => s.token_hash)).not.toContain(token);
  });

  it('should refuse a second account with the same email, whatever its case', async () => {
    const res = await clientFrom(server.url, ADDRESSES[0]).gql(SIGN_UP, {
      input: { email: `ALICE${DOMAIN}`, password: 'another password', displayName: 'Alice 2' },
    });
    expect(errorCodes(res)).toEqual(['CONFLICT']);
  });

  it('should refuse a short password and an invalid email', async () => {
    const short = await server.gql(SIGN_UP, { input: { email: `bob${DOMAIN}`, password: 'short', displayName: 'Bob' } });
    expect(errorCodes(short)).toEqual(['BAD_USER_INPUT']);
    const bad = await server.gql(SIGN_UP, { input: { email: 'not-an-email', password: 'long enough password', displayName: 'Bob' } });
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  it('logs in with the right password and refuses a wrong one or an unknown email with the same message', async () => {
    const ok = server.client();
    const res = await ok.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' });
    expect(res.data.logIn.email).toBe(`alice${DOMAIN}`);
    expect(ok.cookies.get('session')).toBeTruthy();

    const wrong = clientFrom(server.url, ADDRESSES[0]);
    const bad = await wrong.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'wrong horse battery' });
    expect(errorCodes(bad)).toEqual(['UNAUTHENTICATED']);
    expect(wrong.lastSetCookie).toEqual([]);
    const unknown = await wrong.gql(LOG_IN, { email: `nobody${DOMAIN}`, password: 'wrong horse battery' });
    expect(errorCodes(unknown)).toEqual(['UNAUTHENTICATED']);
    expect(unknown.errors![0].message).toBe(bad.errors![0].message);
  });

  it('should refuse even the right password from an address after 5 wrong ones for the same email, and not from another address', async () => {
    await server.gql(SIGN_UP, { input: { email: `target${DOMAIN}`, password: 'the real password', displayName: 'Cible' } });
    const attacker = clientFrom(server.url, ADDRESSES[1]);
    for (let i = 0; i < 5; i++) {
      const res = await attacker.gql(LOG_IN, { email: `target${DOMAIN}`, password: `guess number ${i}` });
      expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
    }
    const locked = await attacker.gql(LOG_IN, { email: `TARGET${DOMAIN}`, password: 'the real password' });
    expect(errorCodes(locked)).toEqual(['TOO_MANY_ATTEMPTS']);
    expect(locked.errors![0].message).toMatch(/^Trop de tentatives depuis votre adresse : réessayez dans (1 min|\d{1,2} s)\.$/);
    expect(locked.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);
    expect(attacker.lastSetCookie).toEqual([]);
    // Other accounts from that address, and the same account from elsewhere, are unaffected.
    expect((await attacker.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' })).errors).toBeUndefined();
    expect((await clientFrom(server.url, ADDRESSES[2]).gql(LOG_IN, { email: `target${DOMAIN}`, password: 'the real password' })).errors).toBeUndefined();
  });

  it('logs out: the cookie is cleared and the old token no longer opens the session', async () => {
    const browser = server.client();
    await browser.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' });
    const token = browser.cookies.get('session')!;
    expect((await browser.gql(ME)).data.me).not.toBeNull();
    const out = await browser.gql(`mutation { logOut }`);
    expect(out.data.logOut).toBe(true);
    expect(browser.lastSetCookie[0]).toMatch(/^session=;.*Max-Age=0/);
    expect((await browser.gql(ME)).data.me).toBeNull();
    // Replaying the old cookie by hand gets nothing either.
    const replay = server.client();
    replay.cookies.set('session', token);
    expect((await replay.gql(ME)).data.me).toBeNull();
  });

  it('should treat a forged or expired session token as a visitor', async () => {
    const forged = server.client();
    forged.cookies.set('session', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await forged.gql(ME)).data.me).toBeNull();

    const expired = server.client();
    await expired.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' });
    await server.ds.query(`UPDATE session SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM user_account WHERE email = $1)`, [
      `alice${DOMAIN}`,
    ]);
    expect((await expired.gql(ME)).data.me).toBeNull();
  });

  it('should refuse cross-site simple requests (CSRF prevention stays on)', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: 'mutation { logOut }' }),
    });
    expect(res.status).toBe(400);
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`);
    expect(get.status).toBe(400);
  });

  it('should keep admin mutations away from visitors and members', async () => {
    const anonymous = await server.gql(`mutation { setUserRole(input: { email: "alice${DOMAIN}", role: ADMIN }) }`);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    const alice = server.client();
    await alice.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' });
    const self = await alice.gql(`mutation { setUserRole(input: { email: "alice${DOMAIN}", role: ADMIN }) }`);
    expect(errorCodes(self)).toEqual(['FORBIDDEN']);
    const grant = await alice.gql(`mutation { grantActorToUser(email: "alice${DOMAIN}", actorId: "00000000-0000-4000-8000-000000000000") }`);
    expect(errorCodes(grant)).toEqual(['FORBIDDEN']);
    expect((await alice.gql(ME)).data.me.role).toBe('MEMBER');
  });

  it('lets an admin set a role and refuses an analyst without a région', async () => {
    await server.gql(SIGN_UP, { input: { email: `root${DOMAIN}`, password: 'root password 123', displayName: 'Root' } });
    await server.ds.query(`UPDATE user_account SET role = 'ADMIN' WHERE email = $1`, [`root${DOMAIN}`]);
    const admin = server.client();
    await admin.gql(LOG_IN, { email: `root${DOMAIN}`, password: 'root password 123' });
    const noRegion = await admin.gql(`mutation { setUserRole(input: { email: "alice${DOMAIN}", role: ANALYST }) }`);
    expect(errorCodes(noRegion)).toEqual(['BAD_USER_INPUT']);
    const ok = await admin.gql(`mutation { setUserRole(input: { email: "alice${DOMAIN}", role: ANALYST, regionCode: "44" }) }`);
    expect(ok.errors).toBeUndefined();
    const alice = server.client();
    await alice.gql(LOG_IN, { email: `alice${DOMAIN}`, password: 'correct horse battery' });
    expect((await alice.gql(`{ me { role regionCode } }`)).data.me).toEqual({ role: 'ANALYST', regionCode: '44' });
  });
});
