/** Lower case, without accents, « œ » written « oe »: "Œuvre Sœurs" → "oeuvre soeurs". */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/œ/g, 'oe');
}

/** Lower case, no accents, words joined by single hyphens: "Personnes âgées" → "personnes-agees". */
export function normalizeKey(text: string): string {
  return foldText(text)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
