// Lint configuration: typescript-eslint's recommended rules, no `any`, Node's globals.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Import patterns for sibling folders of src/<part>/, from any depth below it. */
function above(names) {
  return names.flatMap((n) => [`../${n}`, `../${n}/*`, `../../${n}`, `../../${n}/*`, `../../../${n}/*`]);
}

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
  // Import boundaries (docs/architecture.md, "Import rules"): each folder may import only what is
  // below it. A pattern names the folders a file there must not reach (`../x/...` and `../../x/...`).
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                ...above([
                  'swarm',
                  'tracker',
                  'stats',
                  'web',
                  'catalog',
                  'publish',
                  'subtitles',
                  'auth',
                  'cli',
                  'config.js',
                ]),
              ],
              message: 'src/protocol is pure: bytes in, values out; it imports nothing else of fjord.',
            },
            {
              group: [
                'node:net',
                'node:dgram',
                'node:fs',
                'node:fs/*',
                'node:http',
                'node:https',
                'node:child_process',
              ],
              message: 'src/protocol does no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/swarm/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                ...above([
                  'tracker',
                  'stats',
                  'web',
                  'catalog',
                  'publish',
                  'subtitles',
                  'auth',
                  'cli',
                  'config.js',
                ]),
              ],
              message:
                'src/swarm imports only src/protocol: what stands above it passes hooks in (peer-store.ts).',
            },
            {
              group: ['node:net', 'node:dgram', 'node:fs', 'node:fs/*', 'node:http'],
              message: 'src/swarm does no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/catalog/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...above(['web', 'tracker', 'publish', 'subtitles', 'cli'])],
              message: 'src/catalog knows nothing of the web site, the tracker or the parts that use it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/tracker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...above(['web', 'publish', 'subtitles', 'auth', 'cli', 'catalog'])],
              message:
                'The tracker runs without the web app: it imports protocol, swarm, stats counters and config only.',
            },
          ],
        },
      ],
    },
  },
  // Scripts served to browsers (the player, WebTorrent glue).
  {
    files: ['src/web/assets/**/*.js', 'test/browser/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
