import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { DataSource } from 'typeorm';
import { one, onePrepared, run, sql } from '../db/sql.js';
import { AppError, badInput } from '../graphql/errors.js';
import { type AuthUser, type ClientInfo, type OpenMembership, User, UserRole, UserSession } from './auth.types.js';
import { accountKey, LoginThrottle } from './login-throttle.js';

/** Sessions last 30 days from sign-in (fixed expiry); signing out deletes them at once. */
export const SESSION_DAYS = 30;

/**
 * argon2id (the library's default algorithm) with OWASP's second recommended setting:
 * 19 MiB of memory, 2 passes, 1 lane.
 */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** `last_seen_at` of a session is written at most this often, not on every request. */
export const LAST_SEEN_EVERY_MINUTES = 5;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

const normalizeEmail = (email: string) => email.trim().toLowerCase();

export const unauthenticated = () => new AppError('UNAUTHENTICATED', 'Connexion requise.');
export const forbidden = (message = 'Action non autorisée pour ce compte.') => new AppError('FORBIDDEN', message);

/** A signed-in user, or UNAUTHENTICATED: every action that needs an account starts here. */
export function requireUser(user: AuthUser | null | undefined): AuthUser {
  if (!user) throw unauthenticated();
  return user;
}

/** A signed-in administrator, or UNAUTHENTICATED (no session) or FORBIDDEN (another role). */
export function requireAdmin(user: AuthUser | null | undefined): AuthUser {
  const admin = requireUser(user);
  if (admin.role !== UserRole.ADMIN) throw forbidden('Réservé aux administrateurs.');
  return admin;
}

/** A user_account row as read here (columns by their SQL names). */
interface AccountRow {
  id: string;
  email: string;
  display_name: string;
  role: UserRole;
  region_code: string | null;
}

/** A unique index refused the row (PostgreSQL 23505), through TypeORM or pg. */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return (e?.code ?? e?.driverError?.code) === '23505';
}

const emailTaken = () => new AppError('CONFLICT', 'Un compte existe déjà avec ce courriel.', { field: 'email' });

/** A User-Agent header as stored: control characters out, spaces collapsed, 300 characters at most. */
export function trimUserAgent(header: string | string[] | undefined): string | null {
  const raw = Array.isArray(header) ? header[0] : header;
  const clean = raw
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
    ?.replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
  return clean || null;
}

/**
 * Accounts and sessions. Passwords are hashed with argon2id (@node-rs/argon2); the session token
 * is 32 random bytes sent in an HttpOnly cookie, and only its SHA-256 is stored, so a leaked table
 * gives no usable session. Every password check (log in, change of password) and every sign-up
 * goes through the login throttle first (login-throttle.ts).
 */
export class AuthService {
  /** A hash to verify against when the email is unknown, so both failures take the same time. */
  private dummyHash: Promise<string> | undefined;
  readonly throttle: LoginThrottle;

  constructor(private readonly ds: DataSource) {
    this.throttle = new LoginThrottle(ds);
  }

  hashPassword(password: string): Promise<string> {
    return hash(password, ARGON2);
  }

  /**
   * Creates a member account and opens its session. An existing email answers CONFLICT (a directory
   * of identified professionals needs to say so); each such answer counts as a failure of the
   * client's address, so the answer cannot be used to enumerate accounts in bulk.
   */
  async signUp(email: string, password: string, displayName: string, client: ClientInfo): Promise<{ user: User; token: string; expiresAt: Date }> {
    const name = displayName.trim();
    if (!name) throw badInput('le nom affiché est requis', 'displayName');
    await this.throttle.reserve(client.address, null);
    const existing = await one(this.ds, sql`SELECT 1 FROM user_account WHERE lower(email) = ${normalizeEmail(email)}`);
    if (existing) throw emailTaken();
    const passwordHash = await this.hashPassword(password);
    let row: AccountRow;
    try {
      [row] = await run<AccountRow>(
        this.ds,
        sql`INSERT INTO user_account (email, password_hash, display_name, role) VALUES (${normalizeEmail(email)}, ${passwordHash}, ${name}, 'MEMBER')
         RETURNING id, email, display_name, role, region_code`,
      );
    } catch (err) {
      // Two sign-ups with the same email at once: the unique index decides.
      if (isUniqueViolation(err)) throw emailTaken();
      await this.throttle.succeeded(client.address, null);
      throw err;
    }
    await this.throttle.succeeded(client.address, null);
    return { user: AuthService.toUser(row, []), ...(await this.openSession(row.id, client.userAgent)) };
  }

  /**
   * Checks the password and opens a session; the same error whether the email or the password is
   * wrong. The attempt is reserved in the throttle before argon2 runs (TOO_MANY_ATTEMPTS otherwise).
   */
  async logIn(email: string, password: string, client: ClientInfo): Promise<{ user: User; token: string; expiresAt: Date }> {
    const account = accountKey(email);
    await this.throttle.reserve(client.address, account);
    const row = await one<AccountRow & { password_hash: string }>(
      this.ds,
      sql`SELECT id, email, display_name, role, region_code, password_hash FROM user_account WHERE lower(email) = ${normalizeEmail(email)}`,
    );
    // `!row` after the check only narrows the type: without a row the check already failed (on the dummy hash).
    if (!(await this.passwordMatches(row?.password_hash, password)) || !row) throw new AppError('UNAUTHENTICATED', 'Courriel ou mot de passe incorrect.');
    await this.throttle.succeeded(client.address, account);
    return { user: AuthService.toUser(row, []), ...(await this.openSession(row.id, client.userAgent)) };
  }

  /** argon2 verification, against a dummy hash when there is no account (same time either way). */
  private async passwordMatches(passwordHash: string | undefined, password: string): Promise<boolean> {
    if (passwordHash) return verify(passwordHash, password).catch(() => false);
    await verify(await (this.dummyHash ??= this.hashPassword('mot de passe factice')), password).catch(() => false);
    return false;
  }

  /** A new session of 30 days for a user; expired sessions of that user are cleared on the way. */
  private async openSession(userId: string, userAgent: string | null): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const [session] = await run<{ expires_at: Date | string }>(
      this.ds,
      sql`INSERT INTO session (token_hash, user_id, expires_at, user_agent) VALUES (${sha256(token)}, ${userId}, now() + make_interval(days => ${SESSION_DAYS}), ${userAgent})
       RETURNING expires_at`,
    );
    await run(this.ds, sql`DELETE FROM session WHERE user_id = ${userId} AND expires_at < now()`);
    return { token, expiresAt: new Date(session.expires_at) };
  }

  /**
   * Changes the password of the signed-in account: the current one is checked with the same
   * throttle as a log-in; every other session of the account ends, the current one stays.
   */
  async changePassword(user: AuthUser, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    const account = accountKey(user.email);
    await this.throttle.reserve(client.address, account);
    const row = await one<{ password_hash: string }>(this.ds, sql`SELECT password_hash FROM user_account WHERE id = ${user.id}`);
    if (!(await this.passwordMatches(row?.password_hash, currentPassword))) {
      throw new AppError('BAD_USER_INPUT', 'Mot de passe actuel incorrect.', { field: 'currentPassword' });
    }
    await this.throttle.succeeded(client.address, account);
    const passwordHash = await this.hashPassword(newPassword);
    await this.ds.transaction(async (m) => {
      await run(m, sql`UPDATE user_account SET password_hash = ${passwordHash} WHERE id = ${user.id}`);
      await run(m, sql`DELETE FROM session WHERE user_id = ${user.id} AND id <> ${user.sessionId}`);
    });
  }

  /** The open sessions of a user: the current one, then the most recently used first. */
  async sessions(user: AuthUser): Promise<UserSession[]> {
    const rows = await run<{ id: string; created_at: Date | string; last_seen_at: Date | string; user_agent: string | null }>(
      this.ds,
      sql`SELECT id, created_at, last_seen_at, user_agent FROM session WHERE user_id = ${user.id} AND expires_at > now()
       ORDER BY id = ${user.sessionId} DESC, last_seen_at DESC, created_at DESC`,
    );
    return rows.map((r) =>
      Object.assign(new UserSession(), {
        id: r.id,
        createdAt: new Date(r.created_at),
        lastSeenAt: new Date(r.last_seen_at),
        userAgent: r.user_agent,
        current: r.id === user.sessionId,
      }),
    );
  }

  /** Ends one session of the user; another user's session, or one already ended, is NOT_FOUND. */
  async endSession(user: AuthUser, sessionId: string): Promise<void> {
    const ended = await run(this.ds, sql`DELETE FROM session WHERE id = ${sessionId} AND user_id = ${user.id} RETURNING id`);
    if (ended.length === 0) throw new AppError('NOT_FOUND', 'Session introuvable.');
  }

  /** Ends every session of the user, the current one included; returns how many ended. */
  async endAllSessions(user: AuthUser): Promise<number> {
    return (await run(this.ds, sql`DELETE FROM session WHERE user_id = ${user.id} RETURNING id`)).length;
  }

  async logOut(token: string | null): Promise<void> {
    if (token) await run(this.ds, sql`DELETE FROM session WHERE token_hash = ${sha256(token)}`);
  }

  /**
   * The user of a session token, with the actors it represents and their open memberships: one
   * query, and none at all for visitors.
   */
  async userFromToken(token: string | null): Promise<AuthUser | null> {
    if (!token || token.length > 200) return null;
    const row = await onePrepared<AccountRow & { session_id: string; stale: boolean; actor_ids: string[]; memberships: OpenMembership[] | string }>(
      this.ds,
      sql`SELECT u.id, u.email, u.display_name, u.role, u.region_code, s.id AS session_id,
         s.last_seen_at < now() - make_interval(mins => ${LAST_SEEN_EVERY_MINUTES}) AS stale,
         COALESCE((SELECT array_agg(ua.actor_id::text ORDER BY ua.actor_id) FROM user_actor ua WHERE ua.user_id = u.id), '{}') AS actor_ids,
         COALESCE((SELECT json_agg(json_build_object('coalitionId', m.coalition_id, 'actorId', m.actor_id, 'role', m.role, 'status', m.status))
                   FROM user_actor ua JOIN membership m ON m.actor_id = ua.actor_id AND m.status IN ('REQUESTED','INVITED','ACTIVE')
                   WHERE ua.user_id = u.id), '[]') AS memberships
       FROM session s JOIN user_account u ON u.id = s.user_id
       WHERE s.token_hash = ${sha256(token)} AND s.expires_at > now()`,
    );
    if (!row) return null;
    // Written at most every few minutes: a request does not become a write for this.
    if (row.stale) await run(this.ds, sql`UPDATE session SET last_seen_at = now() WHERE id = ${row.session_id}`);
    const memberships = typeof row.memberships === 'string' ? (JSON.parse(row.memberships) as OpenMembership[]) : row.memberships;
    return {
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      role: row.role,
      regionCode: row.region_code,
      actorIds: row.actor_ids,
      memberships,
      sessionId: row.session_id,
    };
  }

  /** Admin: sets the role (and région of an analyst) of an account named by its email. */
  async setRole(email: string, role: UserRole, regionCode: string | null): Promise<void> {
    if (role === UserRole.ANALYST && !regionCode) throw badInput('un analyste est rattaché à une région', 'regionCode');
    if (regionCode) {
      const region = await one(this.ds, sql`SELECT 1 FROM territory WHERE level = 'REGION' AND code = ${regionCode}`);
      if (!region) throw badInput(`région inconnue : ${regionCode}`, 'regionCode');
    }
    const rows = await run(
      this.ds,
      sql`UPDATE user_account SET role = ${role}, region_code = ${role === UserRole.ANALYST ? regionCode : null} WHERE lower(email) = ${normalizeEmail(email)} RETURNING id`,
    );
    if (rows.length === 0) throw new AppError('NOT_FOUND', 'Aucun compte avec ce courriel.');
  }

  /** Admin: lets an account act for an actor. */
  async grantActor(email: string, actorId: string): Promise<void> {
    const user = await one<{ id: string }>(this.ds, sql`SELECT id FROM user_account WHERE lower(email) = ${normalizeEmail(email)}`);
    if (!user) throw new AppError('NOT_FOUND', 'Aucun compte avec ce courriel.');
    const actor = await one(this.ds, sql`SELECT id FROM actor WHERE id = ${actorId}`);
    if (!actor) throw new AppError('NOT_FOUND', 'Acteur introuvable.');
    await run(this.ds, sql`INSERT INTO user_actor (user_id, actor_id) VALUES (${user.id}, ${actorId}) ON CONFLICT DO NOTHING`);
  }

  static toUser(row: AccountRow, actorIds: string[]): User {
    return Object.assign(new User(), {
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      role: row.role,
      regionCode: row.region_code,
      actorIds,
    });
  }

  static fromAuth(user: AuthUser): User {
    return Object.assign(new User(), {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      regionCode: user.regionCode,
      actorIds: user.actorIds,
    });
  }
}
