/**
 * What a record's `source` says, in words a reader understands. The column keeps a short code (the
 * seeds' and the imports' own), which the pages used to show as it is (« demo:repertoire »,
 * « sante-mentale-etudiant »); an import's source (a file or a directory's name) is shown as given.
 */
const LABELS: Readonly<Record<string, string>> = {
  'documents-publics': 'Documents publics (rapports, annuaires et sites officiels)',
  'sante-mentale-etudiant': 'Annuaire « Santé mentale étudiante » (beta.gouv.fr)',
  'demo:repertoire': 'Données de démonstration (fictives)',
  'demo:accounts': 'Données de démonstration (fictives)',
};

/**
 * A seeded coalition keeps its own id after its source's code (`documents-publics:alliance-logement-idf`,
 * seeds/coalitions.ts): its label is the source's.
 */
export function sourceLabel(source: string | null): string | null {
  if (source === null || source.trim() === '') return null;
  const known = LABELS[source] ?? (source.includes(':') ? LABELS[source.slice(0, source.indexOf(':'))] : undefined);
  return known ?? source;
}
