// ESLint with type information (typescript-eslint recommendedTypeChecked) for the server, the tests and
// the Svelte client. Formatting is Prettier's job (prettier.config.js), not ESLint's.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'client/dist/',
      '.data/',
      'bench-results/',
      'test-output/',
      'seeds/data/',
      // Generated from schema.graphql by gql.tada.
      'client/src/lib/graphql/graphql-env.d.ts',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  svelte.configs.recommended,
  svelte.configs.prettier,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parserOptions: {
        // Each file is checked against its nearest tsconfig.json (root, client/, test/bench/).
        projectService: { allowDefaultProject: ['client/vite.config.ts', 'scripts/*.mjs', 'scripts/no-better-sqlite3/*.js'] },
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
      globals: { ...globals.node },
    },
  },
  {
    files: ['client/src/**/*.svelte', 'client/src/**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
    // TypeScript (svelte-check) resolves names, global types included (GeoJSON.*); typescript-eslint turns
    // no-undef off for .ts files for that reason, but not for .svelte ones.
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['client/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // Apollo Server plugin hooks are typed to return promises; `async` without await is how Apollo writes them.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Output types are declared with the app's ObjectType (server/graphql/object-type.ts: fields read as plain properties).
    files: ['server/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'type-graphql', importNames: ['ObjectType'], message: 'Use ObjectType from server/graphql/object-type.ts.' }] },
      ],
    },
  },
  {
    // Tests read GraphQL answers as JSON (`data: any`) and check their shape with expect(): typing each
    // answer would restate the schema in every test, and expect() already fails on a wrong shape.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Unit files share their worker's modules (vitest.config.ts, isolate: false): none may mock,
    // stub or fake what the next file would then see.
    files: ['test/unit/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['mock', 'doMock', 'spyOn', 'stubGlobal', 'stubEnv', 'useFakeTimers'].map((property) => ({
          object: 'vi',
          property,
          message: 'Unit files share their modules (isolate: false): test pure functions, without mocks or stubs.',
        })),
      ],
    },
  },
  {
    // The config files themselves: plain JavaScript, no type information needed.
    files: ['*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
