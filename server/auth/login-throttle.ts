import { createHash } from 'node:crypto';
import { ipKeyGenerator } from 'express-rate-limit';
import type { DataSource } from 'typeorm';
import { returnedRows } from '../db/rows.js';
import { AppError } from '../graphql/errors.js';

/** How many failures are free, then how long to wait before the next attempt (doubling, capped). */
export interface ThrottlePolicy {
  free: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  /** Failures are forgotten after this long without a new one. */
  forgetAfterSeconds: number;
}

/**
 * One account from one address: 5 wrong passwords, then 1 min before the next attempt, 2 min after
 * the next failure, 4, 8… up to 1 h; forgotten after 1 h without a failure.
 */
export const ACCOUNT_POLICY: ThrottlePolicy = { free: 5, firstDelaySeconds: 60, maxDelaySeconds: 3600, forgetAfterSeconds: 3600 };

/**
 * One address, whatever the account (wrong passwords, sign-ups on an existing email, wrong
 * current password when changing it): 50 failures, then the same doubling delays from 1 min to 1 h;
 * forgotten after 24 h without a failure.
 */
export const ADDRESS_POLICY: ThrottlePolicy = { free: 50, firstDelaySeconds: 60, maxDelaySeconds: 3600, forgetAfterSeconds: 24 * 3600 };

/** Seconds to wait after the `failures`-th failure before the next attempt. */
export function delaySeconds(policy: ThrottlePolicy, failures: number): number {
  if (failures < policy.free) return 0;
  return Math.min(policy.firstDelaySeconds * 2 ** Math.min(failures - policy.free, 30), policy.maxDelaySeconds);
}

/** The throttle key of a client address: an IPv4 address as is, an IPv6 one by its /64 (one subscriber). */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'inconnue';
  return ipKeyGenerator(ip, 64).slice(0, 100);
}

/** The throttle key of an account: a SHA-256 of the normalized email, so no stranger's email is stored. */
export function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

const humanDelay = (seconds: number) => (seconds < 60 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`);

/** The refusal: the same whether the password would have been right or not (it was never checked). */
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new AppError('TOO_MANY_ATTEMPTS', `Trop de tentatives depuis votre adresse : réessayez dans ${humanDelay(retryAfterSeconds)}.`, {
    retryAfterSeconds,
  });

/** The rows a reservation needs, created when missing (no failure yet: the budget is whole). */
const ENSURE_ROWS = `
  INSERT INTO auth_throttle (address, account, failures, last_failure_at)
  SELECT $1, account, 0, now() FROM unnest($2::text[]) AS account
  ON CONFLICT (address, account) DO NOTHING`;

/**
 * Reserves one attempt on every row of a request, or on none, in one statement: the rows are
 * locked in a fixed order (the address's, '' first, then the account's, so two reservations never
 * wait for each other in a cycle), each is checked against its policy, and only if all allow an
 * attempt now are all counted. A row allows one while under its free budget, once its delay since
 * the last failure (doubling from the first delay, capped) has passed, or once it is forgotten.
 * Concurrent reservations wait for the row locks and see the counts they left.
 */
const RESERVE = `
  WITH p AS (
    SELECT * FROM unnest($2::text[], $3::int[], $4::float8[], $5::float8[], $6::float8[]) AS p(account, free, first_delay, max_delay, forget)
  ), locked AS (
    SELECT t.account, t.failures, t.last_failure_at FROM auth_throttle t
    WHERE t.address = $1 AND t.account = ANY($2::text[]) ORDER BY t.account FOR UPDATE
  ), verdict AS (
    SELECT count(*) = cardinality($2::text[]) AND coalesce(bool_and(
        l.last_failure_at < clock_timestamp() - make_interval(secs => p.forget)
        OR l.failures < p.free
        OR l.last_failure_at + make_interval(secs => least(p.first_delay * power(2::float8, least(l.failures - p.free, 30)), p.max_delay)) <= clock_timestamp()
      ), false) AS allowed
    FROM locked l JOIN p USING (account)
  )
  UPDATE auth_throttle t SET
    failures = CASE WHEN t.last_failure_at < clock_timestamp() - make_interval(secs => p.forget) THEN 1 ELSE t.failures + 1 END,
    last_failure_at = clock_timestamp()
  FROM p, verdict
  WHERE verdict.allowed AND t.address = $1 AND t.account = p.account
  RETURNING t.account, t.failures`;

/**
 * Login throttle stored in the database (table `auth_throttle`), so it holds across restarts and
 * is shared by every replica. An attempt is reserved BEFORE the password is checked, on the row of
 * the address and on the row of (address, account), in one statement: either both allow it and
 * both count it, or neither counts and the attempt is refused (TOO_MANY_ATTEMPTS, retryAfterSeconds).
 * A wrong password keeps its reservation as a failure; a right one gives its own back. So however
 * many guesses arrive at once, no more wrong passwords are checked than the budget; and since a
 * success frees only its own place, logging into one's own account never buys more guesses.
 * Throttling by address means an attacker slows himself: the owner, from another address, gets in.
 */
export class LoginThrottle {
  private lastCleanup = 0;

  constructor(private readonly ds: DataSource) {}

  /** Counts one attempt from `address` (on `account` too when given), or throws TOO_MANY_ATTEMPTS. */
  async reserve(address: string, account: string | null): Promise<void> {
    const rows: [string, ThrottlePolicy][] = [['', ADDRESS_POLICY]];
    if (account) rows.push([account, ACCOUNT_POLICY]);
    await this.reserveRows(address, rows);
  }

  /**
   * Counts one use of something other than a password (a change proposal) from `address` under
   * `policy`, on its own row `key` (never the address's log-in budget), or throws TOO_MANY_ATTEMPTS.
   * A use is never given back. `policy.forgetAfterSeconds` is at most ACCOUNT_POLICY's (the cleanup).
   */
  async reserveUse(address: string, key: string, policy: ThrottlePolicy): Promise<void> {
    await this.reserveRows(address, [[key, policy]]);
  }

  private async reserveRows(address: string, rows: [string, ThrottlePolicy][]): Promise<void> {
    await this.cleanupNow();
    const keys = rows.map(([key]) => key);
    await this.ds.query(ENSURE_ROWS, [address, keys]);
    const counted = returnedRows(
      await this.ds.query(RESERVE, [
        address,
        keys,
        rows.map(([, p]) => p.free),
        rows.map(([, p]) => p.firstDelaySeconds),
        rows.map(([, p]) => p.maxDelaySeconds),
        rows.map(([, p]) => p.forgetAfterSeconds),
      ]),
    );
    if (counted.length !== rows.length) throw tooManyAttempts(await this.retryAfter(address, new Map(rows)));
  }

  /**
   * The attempt succeeded: it gives its reservation back. On the (address, account) row, whoever
   * gave the right password also gets the next attempt at once (the count goes back under the free
   * budget, not to zero); the address row keeps its failures.
   */
  async succeeded(address: string, account: string | null): Promise<void> {
    await this.ds.query(
      `UPDATE auth_throttle SET failures = CASE WHEN account = '' THEN failures - 1 ELSE least(failures - 1, $3::int) END
       WHERE address = $1 AND account IN ('', $2) AND failures > 0`,
      [address, account ?? '', ACCOUNT_POLICY.free - 1],
    );
  }

  /** Seconds until the rows that refused the attempt allow one again (at least 1). */
  private async retryAfter(address: string, policies: Map<string, ThrottlePolicy>): Promise<number> {
    const rows: { account: string; failures: number; ago: number }[] = await this.ds.query(
      `SELECT account, failures, extract(epoch FROM now() - last_failure_at)::float8 AS ago
       FROM auth_throttle WHERE address = $1 AND account = ANY($2::text[])`,
      [address, [...policies.keys()]],
    );
    let wait = 1;
    for (const r of rows) {
      const policy = policies.get(r.account)!;
      if (r.ago >= policy.forgetAfterSeconds) continue;
      wait = Math.max(wait, Math.ceil(delaySeconds(policy, r.failures) - r.ago));
    }
    return wait;
  }

  /** Forgotten rows are deleted now and then (at most every 10 minutes per process). */
  private async cleanupNow(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < 10 * 60_000) return;
    this.lastCleanup = now;
    await this.ds.query(`DELETE FROM auth_throttle WHERE last_failure_at < now() - make_interval(secs => CASE WHEN account = '' THEN $1 ELSE $2 END::float8)`, [
      ADDRESS_POLICY.forgetAfterSeconds,
      ACCOUNT_POLICY.forgetAfterSeconds,
    ]);
  }
}
