// Lint configuration: typescript-eslint's recommended rules, no `any`, Node's globals.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test-artifacts/**',
      'bench/.build/**',
      'src/web/assets/vendor/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A `/* global fetch */` comment restating a built-in is harmless.
      'no-redeclare': ['error', { builtinGlobals: false }],
    },
  },
  // Scripts served to browsers (the player, WebTorrent glue).
  {
    files: ['src/web/assets/**/*.js', 'test/browser/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
