#!/usr/bin/env node
/**
 * Builds fjord's native I/O addon (native/io: recvmmsg/sendmmsg for the UDP tracker, an epoll
 * accept/read/write loop for the HTTP tracker) with node-gyp. `npm install` and `npm ci` run it (the package's install script).
 *
 * It never fails the install: the tracker falls back to node:dgram and node:net without the addon, so when the
 * build cannot be done (not Linux, no compiler, no Node headers) it prints a one-line note and
 * exits 0. Under CI a broken build still shows: test/tracker/udp-batch.test.ts and http-native.test.ts
 * fail when CI is set and the addon did not load.
 *
 * Offline: node-gyp is the one bundled with npm (npm names it in npm_config_node_gyp for install
 * scripts; else it is looked for next to npm), never fetched; Node's headers are taken from npm's
 * `nodedir` setting, else from this Node's own install prefix (include/node) when they are there,
 * so node-gyp downloads nothing.
 *
 *   node scripts/build-native.js            # build (quiet unless it fails)
 *   node scripts/build-native.js --verbose  # show node-gyp's output
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DIR = join(ROOT, 'native/io');
const OUT = join(DIR, 'build/Release/fjord_io.node');
const verbose = process.argv.includes('--verbose');

function note(text) {
  process.stdout.write(`fjord: ${text}\n`);
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath)
    candidates.push(join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'));
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed in the project: fine, npm's own is used
  }
  return candidates.find((p) => existsSync(p)) ?? null;
}

function main() {
  if (process.platform !== 'linux') {
    note(`native I/O addon not built (Linux only; ${process.platform} uses node:dgram and node:net)`);
    return;
  }
  const gyp = findNodeGyp();
  if (!gyp) {
    note('native I/O addon not built: node-gyp not found (npm bundles it); using node:dgram and node:net');
    return;
  }
  const args = [gyp, 'rebuild'];
  if (!process.env.npm_config_nodedir) {
    const prefix = dirname(dirname(process.execPath));
    if (existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
  }
  const r = spawnSync(process.execPath, args, {
    cwd: DIR,
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    timeout: 300_000,
  });
  if (r.status === 0 && existsSync(OUT)) {
    note(`built the native I/O addon (${OUT.slice(ROOT.length + 1)})`);
    return;
  }
  const why = r.error ? r.error.message : `node-gyp exited with ${r.status ?? r.signal}`;
  if (!verbose) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    if (tail) process.stdout.write(`${tail}\n`);
  }
  note(
    `native I/O addon not built (${why}); the UDP tracker uses node:dgram. ` +
      'Retry with: node scripts/build-native.js --verbose',
  );
}

try {
  main();
} catch (e) {
  note(
    `native I/O addon not built (${e instanceof Error ? e.message : String(e)}); using node:dgram and node:net`,
  );
}
process.exit(0);
