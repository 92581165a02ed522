import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_POLICY } from '../../server/auth/login-throttle.js';
import { clientFrom } from '../helpers/address-client.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Sessions a person sees and ends (mySessions, endSession, logOutEverywhere) and the change of
 * password, attacked as another account, a visitor or a guesser would.
 */
const DOMAIN = '@test-sessions.local';
const PASSWORD = 'mot de passe de session';
/** Loopback addresses of this file's clients (their throttle rows are removed before and after). */
const NET = '127.0.3.';
let server: TestServer;

const LOG_IN = `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { id } }`;
const SESSIONS = `{ mySessions { id createdAt lastSeenAt userAgent current } }`;
const END = `mutation ($id: ID!) { endSession(id: $id) }`;
const CHANGE = `mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
const ME = `{ me { id } }`;

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1';

beforeAll(async () => {
  server = await startTestServer();
  await server.ds.query(`DELETE FROM auth_throttle WHERE address LIKE $1`, [`${NET}%`]);
});

afterAll(() => server?.close());

let seq = 0;
async function newAccount(name: string): Promise<string> {
  const email = `${name}-${++seq}${DOMAIN}`;
  const c = server.client();
  const res = await c.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, { input: { email, password: PASSWORD, displayName: name } });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  // Signing up opens a session: closed here, so each test counts only the sessions it opens.
  await c.gql(`mutation { logOut }`);
  return email;
}

/** A browser signed in as `email`, from a loopback address, with a user agent. */
async function browser(email: string, userAgent: string, n = 1, password = PASSWORD): Promise<CookieClient> {
  const c = clientFrom(server.url, `${NET}${n}`, { 'user-agent': userAgent });
  const res = await c.gql(LOG_IN, { email, password });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return c;
}

const sessionsOf = async (c: CookieClient) => {
  const res = await c.gql(SESSIONS);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.mySessions as { id: string; createdAt: string; lastSeenAt: string; userAgent: string | null; current: boolean }[];
};

describe('mySessions', () => {
  it('lists every open session of the account, with its browser and dates, the current one marked; a new logIn leaves the older open', async () => {
    const email = await newAccount('liste');
    const laptop = await browser(email, FIREFOX);
    const phone = await browser(email, SAFARI);
    const list = await sessionsOf(laptop);
    expect(list).toHaveLength(2);
    expect(list.map((s) => [s.current, s.userAgent])).toEqual([
      [true, FIREFOX],
      [false, SAFARI],
    ]);
    expect(list.map((s) => s.userAgent).sort()).toEqual([FIREFOX, SAFARI].sort());
    for (const s of list) {
      expect(Date.parse(s.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
      expect(Date.parse(s.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    }
    // Same list seen from the other browser, its own session marked this time.
    const fromPhone = await sessionsOf(phone);
    expect(fromPhone.map((s) => s.id).sort()).toEqual(list.map((s) => s.id).sort());
    expect(fromPhone.find((s) => s.current)!.userAgent).toBe(SAFARI);
    // Nothing of another account, and no token hash anywhere.
    const stranger = await browser(await newAccount('autre'), FIREFOX);
    expect((await sessionsOf(stranger)).map((s) => s.id)).not.toContain(list[0].id);
    const [row] = await server.ds.query(`SELECT token_hash FROM session WHERE id = $1`, [list[0].id]);
    expect(JSON.stringify(list)).not.toContain(row.token_hash);
  });

  it('stores the user agent trimmed to 300 characters', async () => {
    const email = await newAccount('agent');
    const c = await browser(email, `  ${'A'.repeat(400)}  `);
    const [s] = await sessionsOf(c);
    expect(s.userAgent).toBe('A'.repeat(300));
  });

  it('should write the last use at most every 5 minutes, not on every request', async () => {
    const email = await newAccount('activite');
    const c = await browser(email, FIREFOX);
    const [s] = await sessionsOf(c);
    const stored = async () => (await server.ds.query(`SELECT last_seen_at FROM session WHERE id = $1`, [s.id]))[0].last_seen_at.getTime();
    const first = await stored();
    await c.gql(ME);
    expect(await stored()).toBe(first);
    // Four minutes later: still not written.
    await server.ds.query(`UPDATE session SET last_seen_at = last_seen_at - interval '4 minutes' WHERE id = $1`, [s.id]);
    const fourAgo = await stored();
    await c.gql(ME);
    expect(await stored()).toBe(fourAgo);
    // Six minutes later: written once, then left alone again.
    await server.ds.query(`UPDATE session SET last_seen_at = last_seen_at - interval '2 minutes' WHERE id = $1`, [s.id]);
    const sixAgo = await stored();
    await c.gql(ME);
    const touched = await stored();
    expect(touched).toBeGreaterThan(sixAgo + 5 * 60_000);
    await c.gql(ME);
    expect(await stored()).toBe(touched);
  });

  it('should refuse visitors', async () => {
    expect(errorCodes(await server.gql(SESSIONS))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await server.gql(END, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await server.gql(`mutation { logOutEverywhere }`))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await server.gql(CHANGE, { c: PASSWORD, n: 'un nouveau mot de passe' }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('endSession', () => {
  it('ends another session of the account: that browser is signed out on its next request and its cookie cleared', async () => {
    const email = await newAccount('fin');
    const first = await browser(email, FIREFOX);
    const second = await browser(email, SAFARI);
    const other = (await sessionsOf(first)).find((s) => !s.current)!;
    const res = await first.gql(END, { id: other.id });
    expect(res).toMatchObject({ data: { endSession: true } });
    expect((await second.gql(ME)).data.me).toBeNull();
    expect(second.lastSetCookie[0]).toMatch(/^session=;.*Max-Age=0/);
    expect(second.cookies.has('session')).toBe(false);
    expect(errorCodes(await second.gql(SESSIONS))).toEqual(['UNAUTHENTICATED']);
    // The first one goes on.
    expect((await first.gql(ME)).data.me).not.toBeNull();
    expect((await sessionsOf(first)).map((s) => s.current)).toEqual([true]);
  });

  it('should answer NOT_FOUND for a session of another account, through variables or a literal, and leave it open', async () => {
    const victim = await browser(await newAccount('victime'), FIREFOX);
    const attacker = await browser(await newAccount('attaquant'), SAFARI);
    const [target] = await sessionsOf(victim);
    const viaVariables = await attacker.gql(END, { id: target.id });
    expect(errorCodes(viaVariables)).toEqual(['NOT_FOUND']);
    const literal = await attacker.gql(`mutation { endSession(id: "${target.id}") }`);
    expect(errorCodes(literal)).toEqual(['NOT_FOUND']);
    expect(literal.errors![0].message).toBe('Session introuvable.');
    // Ending everything of one's own does not reach it either.
    expect((await attacker.gql(`mutation { logOutEverywhere }`)).errors).toBeUndefined();
    expect((await victim.gql(ME)).data.me).not.toBeNull();
    expect((await sessionsOf(victim)).map((s) => s.id)).toEqual([target.id]);
  });

  it('should answer NOT_FOUND for a session already ended and BAD_USER_INPUT for a malformed id', async () => {
    const email = await newAccount('deja');
    const a = await browser(email, FIREFOX);
    const b = await browser(email, SAFARI);
    const other = (await sessionsOf(a)).find((s) => !s.current)!;
    expect((await a.gql(END, { id: other.id })).errors).toBeUndefined();
    expect(errorCodes(await a.gql(END, { id: other.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await a.gql(END, { id: "' OR 1=1 --" }))).toEqual(['BAD_USER_INPUT']);
    expect((await b.gql(ME)).data.me).toBeNull();
  });

  it('ends the current session when asked, clearing its cookie', async () => {
    const a = await browser(await newAccount('courante'), FIREFOX);
    const [mine] = await sessionsOf(a);
    expect((await a.gql(END, { id: mine.id })).errors).toBeUndefined();
    expect(a.cookies.has('session')).toBe(false);
    expect((await a.gql(ME)).data.me).toBeNull();
  });
});

describe('logOutEverywhere', () => {
  it('ends every session of the account, the current one included, and clears the cookie', async () => {
    const email = await newAccount('partout');
    const browsers = [await browser(email, FIREFOX), await browser(email, SAFARI), await browser(email, FIREFOX)];
    const res = await browsers[0].gql(`mutation { logOutEverywhere }`);
    expect(res.data.logOutEverywhere).toBe(3);
    expect(browsers[0].lastSetCookie[0]).toMatch(/^session=;.*Max-Age=0/);
    for (const b of browsers) expect((await b.gql(ME)).data.me).toBeNull();
    const [{ n }] = await server.ds.query(`SELECT count(*)::int AS n FROM session s JOIN user_account u ON u.id = s.user_id WHERE u.email = $1`, [email]);
    expect(n).toBe(0);
  });
});

describe('changePassword', () => {
  it('changes the password, ends every other session and keeps the current one', async () => {
    const email = await newAccount('change');
    const here = await browser(email, FIREFOX);
    const elsewhere = await browser(email, SAFARI);
    const res = await here.gql(CHANGE, { c: PASSWORD, n: 'un tout nouveau mot de passe' });
    expect(res).toMatchObject({ data: { changePassword: true } });
    expect((await here.gql(ME)).data.me).not.toBeNull();
    expect((await elsewhere.gql(ME)).data.me).toBeNull();
    expect((await sessionsOf(here)).map((s) => s.current)).toEqual([true]);
    expect(errorCodes(await clientFrom(server.url, `${NET}2`).gql(LOG_IN, { email, password: PASSWORD }))).toEqual(['UNAUTHENTICATED']);
    expect((await clientFrom(server.url, `${NET}2`).gql(LOG_IN, { email, password: 'un tout nouveau mot de passe' })).errors).toBeUndefined();
    const [row] = await server.ds.query(`SELECT password_hash FROM user_account WHERE email = $1`, [email]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('should refuse a wrong current password or a new one too short or too long, and change nothing', async () => {
    const email = await newAccount('refus');
    const here = await browser(email, FIREFOX, 4);
    const elsewhere = await browser(email, SAFARI, 4);
    const wrong = await here.gql(CHANGE, { c: 'pas le bon mot de passe', n: 'un tout nouveau mot de passe' });
    expect(errorCodes(wrong)).toEqual(['BAD_USER_INPUT']);
    expect(wrong.errors![0]).toMatchObject({ message: 'Mot de passe actuel incorrect.', extensions: { field: 'currentPassword' } });
    expect(errorCodes(await here.gql(CHANGE, { c: PASSWORD, n: 'court' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await here.gql(CHANGE, { c: PASSWORD, n: 'x'.repeat(201) }))).toEqual(['BAD_USER_INPUT']);
    expect((await elsewhere.gql(ME)).data.me).not.toBeNull();
    expect((await clientFrom(server.url, `${NET}4`).gql(LOG_IN, { email, password: PASSWORD })).errors).toBeUndefined();
  });

  it('should check the current password with the login throttle: 5 wrong ones from an address, then refused even when right, whatever arrives at once', async () => {
    const email = await newAccount('devine');
    const thief = await browser(email, FIREFOX, 5);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => thief.gql(CHANGE, { c: `essai ${i}`, n: 'mot de passe du voleur' })));
    const codes = answers.map((a) => errorCodes(a)[0]);
    expect(codes.filter((c) => c === 'BAD_USER_INPUT')).toHaveLength(ACCOUNT_POLICY.free);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(20 - ACCOUNT_POLICY.free);
    expect(errorCodes(await thief.gql(CHANGE, { c: PASSWORD, n: 'mot de passe du voleur' }))).toEqual(['TOO_MANY_ATTEMPTS']);
    // The same account's log-in from that address is held back too; the owner elsewhere is not.
    expect(errorCodes(await clientFrom(server.url, `${NET}5`).gql(LOG_IN, { email, password: PASSWORD }))).toEqual(['TOO_MANY_ATTEMPTS']);
    const owner = await browser(email, SAFARI, 6);
    expect((await owner.gql(CHANGE, { c: PASSWORD, n: 'mot de passe du titulaire' })).errors).toBeUndefined();
    expect((await thief.gql(ME)).data.me).toBeNull();
  });
});
