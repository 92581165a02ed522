import { describe, expect, it } from 'vitest';
import { FreshnessPolicy } from '../../server/actors/actor-freshness.js';

/** Calendar months, the day kept within the month, as PostgreSQL's `timestamptz - interval 'N months'` gives them. */
describe('FreshnessPolicy', () => {
  const cases: [string, number, string][] = [
    ['2026-12-03T10:00:00.000Z', 18, '2025-06-03T10:00:00.000Z'],
    ['2026-08-31T12:00:00.000Z', 6, '2026-02-28T12:00:00.000Z'],
    ['2028-08-31T12:00:00.000Z', 6, '2028-02-29T12:00:00.000Z'],
    ['2026-03-31T00:00:00.000Z', 1, '2026-02-28T00:00:00.000Z'],
    ['2026-01-15T08:30:00.000Z', 13, '2024-12-15T08:30:00.000Z'],
  ];
  it.each(cases)('should count %s minus %i months as %s', (now, months, expected) => {
    expect(new FreshnessPolicy(months).staleBefore(new Date(now)).toISOString()).toBe(expected);
  });

  it('should call stale a record never confirmed, or confirmed before the threshold, and not one confirmed at it', () => {
    const policy = new FreshnessPolicy(18);
    const now = new Date('2026-12-03T10:00:00.000Z');
    expect(policy.isStale(null, now)).toBe(true);
    expect(policy.isStale(new Date('2025-06-03T09:59:59.999Z'), now)).toBe(true);
    expect(policy.isStale(new Date('2025-06-03T10:00:00.000Z'), now)).toBe(false);
    expect(policy.isStale(new Date('2026-12-01T00:00:00.000Z'), now)).toBe(false);
  });
});
