/** How the gaps page and its comparison write their figures. */

/** A 0–1 share as a French percentage (« 42,5 % »), « – » when unknown. */
export const pct = (x: number | null | undefined): string => (x == null ? '–' : `${(x * 100).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} %`);

/** A number the French way (« 12 345 »), « – » when unknown. */
export const n = (x: number | null | undefined): string => (x == null ? '–' : x.toLocaleString('fr-FR'));

/** A ratio to one decimal (« 1,3 »), « – » when unknown. */
export const ratio = (x: number | null | undefined): string => (x == null ? '–' : x.toLocaleString('fr-FR', { maximumFractionDigits: 1 }));

/** The territories of each level of analysis, as the sentences say them. */
export const LEVEL_WORDS: Record<string, string> = { COMMUNE: 'communes', EPCI: 'EPCI', DEPARTEMENT: 'départements' };

/** « les 60 communes les plus peuplées », « les 60 EPCI les plus peuplés »: the adjective agrees with the level. */
export const mostPopulous = (count: number, level: string) => `les ${count} ${LEVEL_WORDS[level]} les plus ${level === 'COMMUNE' ? 'peuplées' : 'peuplés'}`;

/**
 * Fetches a file from one of the server's export routes and saves it under the name the server
 * gives (Content-Disposition). Returns the server's French message when it refuses, else null.
 */
export async function downloadExport(url: string): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch {
    return 'Le serveur ne répond pas. Vérifiez votre connexion puis réessayez.';
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { errors?: { message: string }[] } | null;
    return body?.errors?.[0]?.message ?? `L’export n’a pas pu être produit (erreur ${res.status}).`;
  }
  const name = res.headers.get('content-disposition')?.match(/filename="([^"]+)"/)?.[1] ?? 'export';
  // The bytes as sent: the CSV's BOM stays.
  const href = URL.createObjectURL(await res.blob());
  Object.assign(document.createElement('a'), { href, download: name }).click();
  URL.revokeObjectURL(href);
  return null;
}
