const DATE = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });

/** « depuis le 1er janvier 2025 », « du … au … », or « période non précisée ». */
export function period(start: string | null, end: string | null): string {
  const d = (s: string) => DATE.format(new Date(`${s}T12:00:00Z`));
  if (start && end) return `du ${d(start)} au ${d(end)}`;
  if (start) return `depuis le ${d(start)}`;
  if (end) return `jusqu’au ${d(end)}`;
  return 'période non précisée';
}
