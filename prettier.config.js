// Matches the code as it was written before Prettier came in: single quotes, semicolons, trailing
// commas, and long lines (160 is the 99th percentile of the existing lines; 140 rewrapped twice as many).
/** @type {import('prettier').Config} */
export default {
  singleQuote: true,
  printWidth: 160,
  trailingComma: 'all',
  plugins: ['prettier-plugin-svelte'],
  // SQL and GraphQL in template literals stay as written (Prettier would put every field on its own line).
  embeddedLanguageFormatting: 'off',
  // prettier-plugin-svelte prints <script> and <style> through embedded formatting and fails without it.
  overrides: [{ files: '*.svelte', options: { embeddedLanguageFormatting: 'auto' } }],
};
