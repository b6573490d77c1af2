// Lint configuration: typescript-eslint's recommended rules, no `any`, Node's globals.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Modules that do I/O, which pure folders may not import. */
const IO_MODULES = [
  'node:net',
  'node:dgram',
  'node:fs',
  'node:fs/*',
  'node:http',
  'node:https',
  'node:child_process',
];

/** A lint block: files under `folder` may not import `groups` (nor, if given, the `io` modules). */
function boundary(folder, groups, message, io = []) {
  const patterns = [{ group: groups, message }];
  if (io.length > 0) patterns.push({ group: io, message: `${folder} does no I/O.` });
  return { files: [`${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

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
  boundary(
    'src/protocol',
    above([
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
    'src/protocol is pure: bytes in, values out; it imports nothing else of fjord.',
    IO_MODULES,
  ),
  boundary(
    'src/swarm',
    above(['tracker', 'stats', 'web', 'catalog', 'publish', 'subtitles', 'auth', 'cli', 'config.js']),
    'src/swarm imports only src/protocol: what stands above it passes hooks in (peer-store.ts).',
    IO_MODULES,
  ),
  boundary(
    'src/storage',
    above([
      'protocol',
      'swarm',
      'tracker',
      'stats',
      'web',
      'catalog',
      'publish',
      'subtitles',
      'auth',
      'cli',
      'server',
      'config.js',
    ]),
    'src/storage keeps crash-safe files for the parts above it; it imports nothing else of fjord.',
  ),
  boundary(
    'src/catalog',
    above(['web', 'tracker', 'publish', 'subtitles', 'auth', 'stats', 'cli', 'server']),
    'src/catalog knows nothing of the web site, the tracker or the parts that use it.',
  ),
  // The services between the catalog and the web: each takes what it needs by injection, and only
  // the composition root (src/server) builds and wires them.
  boundary(
    'src/publish',
    above(['web', 'tracker', 'subtitles', 'auth', 'stats', 'cli', 'server']),
    'src/publish uses the catalog and protocol; src/server wires it to the tracker and web.',
  ),
  boundary(
    'src/subtitles',
    above(['web', 'tracker', 'publish', 'auth', 'stats', 'cli', 'server']),
    'src/subtitles uses the catalog and protocol; src/server wires it to the web.',
  ),
  boundary(
    'src/auth',
    above(['web', 'tracker', 'publish', 'subtitles', 'stats', 'cli', 'server']),
    'src/auth uses the catalog and protocol; its pages live in src/web/admin.',
  ),
  boundary(
    'src/stats',
    above(['web', 'tracker', 'publish', 'subtitles', 'auth', 'cli', 'server']),
    'src/stats reads the tracker through the RecordedTracker interface, never its module.',
  ),
  boundary(
    'src/web',
    above(['cli', 'server']),
    'src/web is built by the composition root (src/server), never the other way round.',
  ),
  boundary(
    'src/tracker',
    above(['web', 'publish', 'subtitles', 'auth', 'cli', 'catalog', 'server']),
    'The tracker runs without the web app: it imports protocol, swarm, stats announce-stats and config only.',
  ),
  // Scripts served to browsers (the player, WebTorrent glue).
  {
    files: ['src/web/assets/**/*.js', 'test/browser/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
