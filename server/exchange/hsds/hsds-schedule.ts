import type OpeningHours from 'opening_hours';
import { addDays, DAY_MS, midnight, parisNow, parseOpeningHours } from '../../actors/opening-hours.js';

/** The fields of an HSDS 3.0 `schedule` that opening hours give (ids and links are the caller's). */
export interface ScheduleFields {
  freq?: 'WEEKLY';
  wkst?: 'MO';
  /** Days of the week, iCal codes: `MO,TU,WE`. */
  byday?: string;
  /** `HH:MM:SS`, Paris time. */
  opens_at?: string;
  /** `HH:MM:SS`, Paris time; at or before `opens_at`: the next day (`22:00`–`02:00`). Absent: open end (« 10:00+ »). */
  closes_at?: string;
  /** The one week these hours hold for (`YYYY-MM-DD`), when they change from week to week. */
  valid_from?: string;
  valid_to?: string;
  description: string;
  /** A mapper's comment in the string (« "sur rendez-vous" »). */
  notes?: string;
}

const DAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/** What every schedule's description starts with, before the opening_hours string. */
const OSM_PREFIX = 'Horaires au format OpenStreetMap opening_hours, heure de Paris : ';

/**
 * Weeks of 2026 without a French public holiday, spread over the year: hours that give the same
 * rules in each are « regular » (a weekly schedule, no dates); exceptions such as « PH off » stay
 * in the description, which always carries the string.
 */
const REFERENCE_MONDAYS = [2, 13, 8, 3, 14, 23].map((day, i) => new Date(2026, [1, 3, 5, 7, 8, 10][i], day));

/** `HH:MM:SS`: the `time` of the Tabular Data Package's field types (Frictionless), as upstream's examples write it. */
const clockTime = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:00`;
const isoDate = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

interface Rule {
  days: number[];
  opens: string;
  closes: string | null;
  note: string | null;
}

/**
 * The rules of the week starting on `monday`: each opening (an interval of a day or less stays on
 * the day it starts, « 22:00–02:00 »; a longer one is cut at midnight), grouped by hours and note,
 * in order of their first day then opening time.
 */
function weekRules(hours: OpeningHours, value: string, monday: Date): Rule[] {
  const end = addDays(monday, 7);
  const byKey = new Map<string, Rule>();
  const add = (start: Date, stop: Date, openEnd: boolean, note: string | null) => {
    if (start < monday || start >= end) return;
    const closes = openEnd ? null : clockTime(stop);
    const key = `${clockTime(start)}|${closes}|${note}`;
    const rule = byKey.get(key) ?? { days: [], opens: clockTime(start), closes, note };
    const day = Math.round((midnight(start).getTime() - monday.getTime()) / DAY_MS);
    if (!rule.days.includes(day)) rule.days.push(day);
    byKey.set(key, rule);
  };
  // A day on either side: an interval crossing into the week (Sunday 22:00–Monday 02:00) is read whole.
  for (const [from, to, unknown, comment] of hours.getOpenIntervals(addDays(monday, -1), addDays(monday, 8))) {
    // A mapper's comment is kept as a note; the library's own note only marks an open end (« 10:00+ »).
    const note = comment && value.includes(`"${comment}"`) ? comment : null;
    const openEnd = unknown && !note;
    if (to.getTime() - from.getTime() <= DAY_MS) add(from, to, openEnd, note);
    else
      for (let start = from; start < to;) {
        const stop = to.getTime() - start.getTime() <= DAY_MS ? to : addDays(midnight(start), 1);
        add(start, stop, openEnd && stop === to, note);
        start = stop;
      }
  }
  return [...byKey.values()].sort((a, b) => a.days[0] - b.days[0] || a.opens.localeCompare(b.opens));
}

const sameRules = (a: Rule[], b: Rule[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * An OpenStreetMap `opening_hours` string as HSDS 3.0 schedules: one per set of hours shared by
 * some days (`freq` WEEKLY, `byday`, `opens_at`, `closes_at`, Paris time). Hours that are the same
 * every ordinary week give undated schedules; hours that change with the season give those of the
 * current week with `valid_from`/`valid_to`. The string itself is in every description (public
 * holidays and other exceptions); hours with no opening in the week, or a string the library
 * refuses, give a single schedule with only the description.
 */
export function hsdsSchedules(value: string, now = parisNow()): ScheduleFields[] {
  const description = `${OSM_PREFIX}${value}`;
  let rules: Rule[];
  let week: { from: string; to: string } | null = null;
  try {
    // Read once: the library's set-up (public holidays…) costs far more than a week's intervals.
    const hours = parseOpeningHours(value);
    const reference = REFERENCE_MONDAYS.map((monday) => weekRules(hours, value, monday));
    if (reference.every((r) => sameRules(r, reference[0]))) rules = reference[0];
    else {
      const monday = addDays(midnight(now), -((now.getDay() + 6) % 7));
      rules = weekRules(hours, value, monday);
      week = { from: isoDate(monday), to: isoDate(addDays(monday, 6)) };
    }
  } catch {
    return [{ description }];
  }
  if (rules.length === 0) return [{ description, ...(week ? { valid_from: week.from, valid_to: week.to } : {}) }];
  return rules.map((r) => ({
    freq: 'WEEKLY',
    wkst: 'MO',
    byday: r.days.map((d) => DAY_CODES[d]).join(','),
    opens_at: r.opens,
    ...(r.closes !== null ? { closes_at: r.closes } : {}),
    ...(week ? { valid_from: week.from, valid_to: week.to } : {}),
    description,
    ...(r.note ? { notes: r.note } : {}),
  }));
}

const hhmm = (t: unknown) => (typeof t === 'string' && /^\d{2}:\d{2}/.test(t) ? t.slice(0, 5) : null);

/**
 * Opening hours back from HSDS schedules: the string this directory's export keeps in their
 * description, or else one OpenStreetMap rule per set of days of weekly schedules
 * (`MO,TU 09:00-12:00` → `Mo,Tu 09:00-12:00`; the write checks it like any other). Null: none.
 */
export function openingHoursOf(schedules: readonly Record<string, unknown>[]): string | null {
  for (const s of schedules) if (typeof s.description === 'string' && s.description.startsWith(OSM_PREFIX)) return s.description.slice(OSM_PREFIX.length);
  const byDays = new Map<string, string[]>();
  for (const s of schedules) {
    const days =
      typeof s.byday === 'string'
        ? s.byday
            .toUpperCase()
            .split(',')
            .map((d) => d.trim())
        : [];
    const opens = hhmm(s.opens_at);
    if (s.freq !== 'WEEKLY' || !opens || !days.length || !days.every((d) => DAY_CODES.includes(d))) continue;
    const key = days.map((d) => d[0] + d[1].toLowerCase()).join(',');
    const closes = hhmm(s.closes_at);
    byDays.set(key, [...(byDays.get(key) ?? []), closes ? `${opens}-${closes}` : `${opens}+`]);
  }
  return byDays.size ? [...byDays].map(([days, ranges]) => `${days} ${ranges.join(',')}`).join('; ') : null;
}
