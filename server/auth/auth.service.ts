import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { DataSource } from 'typeorm';
import { returnedRows } from '../db/rows.js';
import { AppError, badInput } from '../graphql/errors.js';
import { type AuthUser, type OpenMembership, User, UserRole } from './auth.types.js';

/** Sessions last 30 days from sign-in (fixed expiry); signing out deletes them at once. */
export const SESSION_DAYS = 30;

/**
 * argon2id (the library's default algorithm) with OWASP's second recommended setting:
 * 19 MiB of memory, 2 passes, 1 lane.
 */
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** After this many wrong passwords for one email within the window, logging in is refused for the rest of it. */
export const MAX_LOGIN_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

const normalizeEmail = (email: string) => email.trim().toLowerCase();

export const unauthenticated = () => new AppError('UNAUTHENTICATED', 'Connexion requise.');
export const forbidden = (message = 'Action non autorisée pour ce compte.') => new AppError('FORBIDDEN', message);

/**
 * Accounts and sessions. Passwords are hashed with argon2id (@node-rs/argon2); the session token
 * is 32 random bytes sent in an HttpOnly cookie, and only its SHA-256 is stored, so a leaked table
 * gives no usable session.
 */
export class AuthService {
  /** A hash to verify against when the email is unknown, so both failures take the same time. */
  private dummyHash: Promise<string> | undefined;
  /** Recent failed logins by email (this process only; the per-IP rate limit covers the rest). */
  private failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly ds: DataSource) {}

  hashPassword(password: string): Promise<string> {
    return hash(password, ARGON2);
  }

  async signUp(email: string, password: string, displayName: string): Promise<User> {
    const name = displayName.trim();
    if (!name) throw badInput('le nom affiché est requis', 'displayName');
    const passwordHash = await this.hashPassword(password);
    try {
      const [row] = await this.ds.query(
        `INSERT INTO user_account (email, password_hash, display_name, role) VALUES ($1, $2, $3, 'MEMBER')
         RETURNING id, email, display_name, role, region_code`,
        [normalizeEmail(email), passwordHash, name],
      );
      return AuthService.toUser(row, []);
    } catch (err: any) {
      if ((err?.code ?? err?.driverError?.code) === '23505') throw new AppError('CONFLICT', 'Un compte existe déjà avec ce courriel.', { field: 'email' });
      throw err;
    }
  }

  /** Checks the password and opens a session; the same error whether the email or the password is wrong. */
  async logIn(email: string, password: string): Promise<{ user: User; token: string; expiresAt: Date }> {
    const key = normalizeEmail(email);
    const now = Date.now();
    const failed = this.failures.get(key);
    if (failed && now - failed.since > FAILURE_WINDOW_MS) this.failures.delete(key);
    else if (failed && failed.count >= MAX_LOGIN_FAILURES) {
      const minutes = Math.ceil((failed.since + FAILURE_WINDOW_MS - now) / 60_000);
      throw new AppError('UNAUTHENTICATED', `Trop de tentatives de connexion pour ce compte : réessayez dans ${minutes} min.`, {
        retryAfterSeconds: minutes * 60,
      });
    }
    const [row] = await this.ds.query(
      `SELECT id, email, display_name, role, region_code, password_hash FROM user_account WHERE lower(email) = $1`,
      [normalizeEmail(email)],
    );
    const ok = row
      ? await verify(row.password_hash, password).catch(() => false)
      : await verify(await (this.dummyHash ??= this.hashPassword('mot de passe factice')), password).then(() => false);
    if (!row || !ok) {
      if (this.failures.size > 100_000) this.failures.clear();
      const f = this.failures.get(key) ?? { count: 0, since: now };
      this.failures.set(key, { count: f.count + 1, since: f.since });
      throw new AppError('UNAUTHENTICATED', 'Courriel ou mot de passe incorrect.');
    }
    this.failures.delete(key);
    const token = randomBytes(32).toString('base64url');
    const [session] = await this.ds.query(
      `INSERT INTO session (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(days => $3))
       RETURNING expires_at`,
      [sha256(token), row.id, SESSION_DAYS],
    );
    // Expired sessions of this user are cleared on the way.
    await this.ds.query(`DELETE FROM session WHERE user_id = $1 AND expires_at < now()`, [row.id]);
    return { user: AuthService.toUser(row, []), token, expiresAt: new Date(session.expires_at) };
  }

  async logOut(token: string | null): Promise<void> {
    if (token) await this.ds.query(`DELETE FROM session WHERE token_hash = $1`, [sha256(token)]);
  }

  /**
   * The user of a session token, with the actors it represents and their open memberships: one
   * query, and none at all for visitors.
   */
  async userFromToken(token: string | null): Promise<AuthUser | null> {
    if (!token || token.length > 200) return null;
    const [row] = await this.ds.query(
      `SELECT u.id, u.email, u.display_name, u.role, u.region_code,
         COALESCE((SELECT array_agg(ua.actor_id::text ORDER BY ua.actor_id) FROM user_actor ua WHERE ua.user_id = u.id), '{}') AS actor_ids,
         COALESCE((SELECT json_agg(json_build_object('coalitionId', m.coalition_id, 'actorId', m.actor_id, 'role', m.role, 'status', m.status))
                   FROM user_actor ua JOIN membership m ON m.actor_id = ua.actor_id AND m.status IN ('REQUESTED','INVITED','ACTIVE')
                   WHERE ua.user_id = u.id), '[]') AS memberships
       FROM session s JOIN user_account u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.expires_at > now()`,
      [sha256(token)],
    );
    if (!row) return null;
    const memberships: OpenMembership[] = typeof row.memberships === 'string' ? JSON.parse(row.memberships) : row.memberships;
    return {
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      role: row.role,
      regionCode: row.region_code,
      actorIds: row.actor_ids,
      memberships,
    };
  }

  /** Admin: sets the role (and région of an analyst) of an account named by its email. */
  async setRole(email: string, role: UserRole, regionCode: string | null): Promise<void> {
    if (role === UserRole.ANALYST && !regionCode) throw badInput('un analyste est rattaché à une région', 'regionCode');
    if (regionCode) {
      const [region] = await this.ds.query(`SELECT 1 FROM territory WHERE level = 'REGION' AND code = $1`, [regionCode]);
      if (!region) throw badInput(`région inconnue : ${regionCode}`, 'regionCode');
    }
    const rows = returnedRows(
      await this.ds.query(`UPDATE user_account SET role = $2, region_code = $3 WHERE lower(email) = $1 RETURNING id`, [
        normalizeEmail(email),
        role,
        role === UserRole.ANALYST ? regionCode : null,
      ]),
    );
    if (rows.length === 0) throw new AppError('NOT_FOUND', 'Aucun compte avec ce courriel.');
  }

  /** Admin: lets an account act for an actor. */
  async grantActor(email: string, actorId: string): Promise<void> {
    const [user] = await this.ds.query(`SELECT id FROM user_account WHERE lower(email) = $1`, [normalizeEmail(email)]);
    if (!user) throw new AppError('NOT_FOUND', 'Aucun compte avec ce courriel.');
    const [actor] = await this.ds.query(`SELECT id FROM actor WHERE id = $1`, [actorId]);
    if (!actor) throw new AppError('NOT_FOUND', 'Acteur introuvable.');
    await this.ds.query(`INSERT INTO user_actor (user_id, actor_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [user.id, actorId]);
  }

  static toUser(row: any, actorIds: string[]): User {
    return Object.assign(new User(), {
      id: row.id,
      email: row.email,
      displayName: row.display_name,
      role: row.role as UserRole,
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
