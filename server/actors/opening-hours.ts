import OpeningHours from 'opening_hours';
import { Field } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';

/**
 * Opening hours as an OpenStreetMap `opening_hours` string (« Mo-Fr 09:00-12:00,14:00-17:00; PH off »),
 * read by the `opening_hours` library: checked on every write (form, mutations, import, accepted
 * proposals), shown in French on the actor page. Rendered here rather than in the browser: the
 * library and its i18n weigh more than the whole client outside MapLibre, and the server checks
 * the string anyway.
 */

/** Public holidays are French ones (country `fr`); school holidays (SH) would need a zone, so they are refused. */
const FRANCE = { lat: 46.6, lon: 2.4, address: { country_code: 'fr', state: '' } };
export const OPENING_HOURS_MAX = 500;
/** Time ranges (the mode of the `opening_hours` key), messages in French. */
const CONF = { tag_key: 'opening_hours', locale: 'fr', mode: undefined, map_value: undefined, warnings_severity: undefined };
const EXAMPLE = '« Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off »';

/** The library's reading of a string, French public holidays (throws on a string it refuses). */
export function parseOpeningHours(value: string, place?: { lat: number; lon: number } | null): OpeningHours {
  return new OpeningHours(value, place ? { ...FRANCE, ...place } : FRANCE, CONF);
}

/** The library's French message, without its pointer and links, kept short. */
function libraryReason(err: unknown): string {
  const text = String(err instanceof Error ? err.message : err)
    .replace(/\s*<---\s*/g, ' ← ')
    .replace(/Vous pouvez corriger cela.*?(?=SH |$)/s, '')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 240 ? `${text.slice(0, 239)}…` : text;
}

/**
 * Checks an opening hours string: either its normalised form (the library's prettified value,
 * « Mo-Fr 9-12 » → « Mo-Fr 09:00-12:00 ») or a French reason for the user.
 */
export function checkOpeningHours(value: string): { value: string } | { reason: string } {
  if (value.length > OPENING_HOURS_MAX) return { reason: `les horaires dépassent ${OPENING_HOURS_MAX} caractères` };
  if (/\bSH\b/.test(value)) return { reason: 'les vacances scolaires (SH) dépendent de la zone et ne sont pas prises en charge : indiquez les dates' };
  try {
    const hours = parseOpeningHours(value);
    hours.getState(new Date());
    const pretty = hours.prettifyValue();
    return pretty.length > OPENING_HOURS_MAX ? { reason: `les horaires dépassent ${OPENING_HOURS_MAX} caractères` } : { value: pretty };
  } catch (err) {
    return { reason: `horaires non reconnus (syntaxe OpenStreetMap, ex. ${EXAMPLE}) : ${libraryReason(err)}` };
  }
}

@ObjectType({ description: 'Un jour de la semaine et ses heures d’ouverture, en clair' })
export class OpeningDay {
  @Field(() => String, { description: 'Jour : « lundi »…' }) day: string;
  @Field(() => String, { description: 'Heures : « 9 h–12 h, 14 h–17 h », « fermé »' }) hours: string;
}

@ObjectType({ description: 'Horaires d’ouverture lus pour la semaine en cours (heure de Paris)' })
export class OpeningSchedule {
  @Field(() => [OpeningDay], { description: 'Du lundi au dimanche, la semaine en cours' }) week: OpeningDay[];

  @Field(() => Boolean, { nullable: true, description: 'Ouvert en ce moment (heure de Paris) ; null si les horaires ne le disent pas' })
  openNow: boolean | null;

  @Field(() => Boolean, { description: 'Faux si les horaires changent selon la période (jours fériés, mois…) : la semaine montrée vaut pour cette semaine' })
  sameEveryWeek: boolean;
}

const DAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'];

export const DAY_MS = 86_400_000;
export const midnight = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
export const addDays = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);

/** « 9 h », « 9 h 30 ». */
const clock = (d: Date) => `${d.getHours()} h${d.getMinutes() ? ` ${String(d.getMinutes()).padStart(2, '0')}` : ''}`;

/**
 * Now, in Paris: a Date whose local fields are the wall-clock time of Paris, as the library reads
 * dates by their local fields whatever the server's time zone.
 */
export function parisNow(now = new Date()): Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
      .formatToParts(now)
      .map((p) => [p.type, Number(p.value)]),
  );
  return new Date(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
}

/** The week of `now` (Paris time), Monday to Sunday, and whether it is open now; null for a string the library refuses. */
export function openingSchedule(value: string, place: { lat: number; lon: number } | null, now = parisNow()): OpeningSchedule | null {
  try {
    const hours = parseOpeningHours(value, place);
    const monday = addDays(midnight(now), -((now.getDay() + 6) % 7));
    const byDay: string[][] = DAYS.map(() => []);
    for (const [from, to, unknown, comment] of hours.getOpenIntervals(monday, addDays(monday, 7))) {
      // An interval of a day or less stays on its first day (« 22 h–2 h »); a longer one is cut at midnight.
      for (let start = from; start < to;) {
        const end = to.getTime() - start.getTime() <= DAY_MS ? to : addDays(midnight(start), 1);
        const whole = end.getTime() - start.getTime() >= DAY_MS - 60_000;
        // A mapper's comment (« "sur rendez-vous" ») is shown as given; the library's own note marks an open end (« 10:00+ »).
        const mapperComment = comment && value.includes(`"${comment}"`) ? comment : null;
        const range =
          unknown && !mapperComment
            ? `à partir de ${clock(start)}`
            : whole
              ? '24 h sur 24'
              : `${clock(start)}–${end.getHours() === 0 && end.getMinutes() === 0 ? '24 h' : clock(end)}`;
        byDay[Math.round((midnight(start).getTime() - monday.getTime()) / DAY_MS)]?.push(mapperComment ? `${range} (${mapperComment})` : range);
        start = end;
      }
    }
    return {
      week: DAYS.map((day, i) => ({ day, hours: byDay[i].length ? byDay[i].join(', ') : 'fermé' })),
      openNow: hours.getUnknown(now) ? null : hours.getState(now),
      sameEveryWeek: hours.isWeekStable(),
    };
  } catch {
    return null;
  }
}
