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
