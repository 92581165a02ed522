const DATE = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });

/** « 3 décembre 2026 »: the day of an instant from the API (DateTimeISO). */
export const longDate = (instant: string): string => DATE.format(new Date(instant));

/** « depuis le 1er janvier 2025 », « du … au … », or « période non précisée ». */
export function period(start: string | null, end: string | null): string {
  const d = (s: string) => DATE.format(new Date(`${s}T12:00:00Z`));
  if (start && end) return `du ${d(start)} au ${d(end)}`;
  if (start) return `depuis le ${d(start)}`;
  if (end) return `jusqu’au ${d(end)}`;
  return 'période non précisée';
}

/** « de » before a name, elided before a vowel or a mute h as French writes it: « d’Association… », « de Verdun ». */
export const de = (name: string) => (/^[aeiouyàâäéèêëîïôöùûüœh]/i.test(name) ? `d’${name}` : `de ${name}`);
