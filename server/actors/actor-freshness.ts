import { type Queryable, one, run, sql } from '../db/sql.js';

/**
 * When a record is stale: its information was last confirmed by someone responsible
 * (Actor.verifiedAt) more than `months` calendar months ago (FRESHNESS_MONTHS, 18 by default), or
 * never. One definition for every reader: Actor.isStale, the « à vérifier » list (its SQL takes
 * `staleBefore()` as a parameter) and the `vocabulary { freshnessMonths }` the client shows.
 */
export class FreshnessPolicy {
  constructor(readonly months: number) {}

  /**
   * Records confirmed before this instant are stale: `now` minus `months` calendar months, the day
   * kept within the month (31 August − 6 months = 28 or 29 February), as PostgreSQL counts an interval.
   */
  staleBefore(now: Date = new Date()): Date {
    const target = new Date(now);
    target.setUTCDate(1);
    target.setUTCMonth(target.getUTCMonth() - this.months);
    const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    target.setUTCDate(Math.min(now.getUTCDate(), lastDay));
    return target;
  }

  isStale(verifiedAt: Date | null, now: Date = new Date()): boolean {
    return !verifiedAt || verifiedAt.getTime() < this.staleBefore(now).getTime();
  }
}

/** How often the stored flags (`actor.verified_recently`) are brought up to the clock. */
export const FRESHNESS_SWEEP_MS = 60 * 60 * 1000;

/**
 * Writes the policy into the database and flips the `actor.verified_recently` flags that the clock
 * or a new policy changed (migration 1764000000020): the maintained gap counts of verified local
 * presence follow through the actor trigger. Returns how many records changed state.
 */
export async function applyFreshnessPolicy(db: Queryable, policy: FreshnessPolicy): Promise<number> {
  await run(db, sql`UPDATE freshness_policy SET months = ${policy.months} WHERE months <> ${policy.months}`);
  // Only when a flag is due: even an UPDATE of no row counts as a write of the directory (its
  // statement trigger bumps `data_version`, migration 1764000000025), which would empty the tile
  // cache every hour and make every restart refresh the statistics.
  // The cut-off as an init plan, computed once (migration 1764000000037): called per row, it took
  // 575–806 ms on 100,000 actors, against 31–37 ms.
  const due = await one<{ due: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM actor WHERE verified_recently IS DISTINCT FROM coalesce(verified_at >= (SELECT actor_fresh_since()), false)) AS due`,
  );
  if (!due?.due) return 0;
  const row = await one<{ moved: number }>(db, sql`SELECT actor_freshness_expire() AS moved`);
  return row?.moved ?? 0;
}

/** Applies the policy now, then every FRESHNESS_SWEEP_MS; the timer does not keep the process alive. */
export async function maintainFreshness(db: Queryable, policy: FreshnessPolicy, onError: (err: unknown) => void): Promise<() => void> {
  await applyFreshnessPolicy(db, policy);
  const timer = setInterval(() => void applyFreshnessPolicy(db, policy).catch(onError), FRESHNESS_SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
