#!/usr/bin/env node
// The fjord command as users and scripts run it: whole processes, timed from spawn to exit.
//
//   npm run build && node bench/cli.js [--quick] [--fjord=PATH/bin/fjord.js] [FILE]
//
// Where bench/hash.js times createTorrent inside a running process (its workers already started),
// this times what a user waits for: node starting, the modules loading, the hashing threads
// starting, the hashing, the .torrent written, the process gone. On one file in the page cache
// (1 GiB of random bytes, 256 MiB with --quick, or FILE), in rounds of a different order each:
//   fjord torrent create FILE --v1     --piece-length 1048576 --threads 2
//   fjord torrent create FILE --hybrid --piece-length 1048576 --threads 2
//   mktorrent -t 2 -l 20 FILE
//   fjord --help, and `node -e 0` (node's own start, the floor for any node program)
// Best and median of each; the best is the run least disturbed by other work on the machine.
// Targets (issue 17): v1 <= 1.0 x mktorrent, hybrid <= 2.4 x fjord v1, --help <= 0.1 s.
// Exports runCliBench({ quick, file, fjord, log }) for bench/run.js (fjord: the bin/fjord.js to run).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { NODE_FLAGS } from '../bin/node-flags.js';
import { hasMktorrent, median, warm, writeRandomFile } from './hash.js';

const PIECE_LENGTH = 1024 * 1024;
const THREADS = 2;

function timed(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return s;
}

export async function runCliBench({
  quick = false,
  file,
  fjord = fileURLToPath(new URL('../bin/fjord.js', import.meta.url)),
  log = () => {},
} = {}) {
  if (!hasMktorrent()) throw new Error('mktorrent is not installed (apt-get install mktorrent)');
  if (!existsSync(join(fjord, '../../dist/cli/main.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'fjord-bench-cli-'));
  const size = quick ? 256 * 1024 * 1024 : 1024 * 1024 * 1024;
  const rounds = quick ? 3 : 7;
  const path = file ?? join(dir, 'data.bin');
  const out = join(dir, 'out.torrent');
  try {
    if (!file) {
      log(`writing ${size / 2 ** 20} MiB of random data to ${path}`);
      writeRandomFile(path, size);
    }
    warm(path);
    const bytes = statSync(path).size;
    const loadBefore = loadavg()[0];
    const node = (...args) => timed(process.execPath, [...NODE_FLAGS, ...args]);
    const create = (mode) =>
      node(
        fjord,
        'torrent',
        'create',
        path,
        '-o',
        out,
        `--${mode}`,
        '--piece-length',
        '1M',
        '--threads',
        '2',
        '-q',
      );
    const tools = {
      v1: () => create('v1'),
      hybrid: () => create('hybrid'),
      mktorrent: () => {
        rmSync(out, { force: true });
        return timed('mktorrent', [
          '-t',
          String(THREADS),
          '-l',
          String(Math.log2(PIECE_LENGTH)),
          '-o',
          out,
          path,
        ]);
      },
      help: () => node(fjord, '--help'),
      node: () => node('-e', '0'),
    };
    const times = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
    for (let i = 0; i < rounds; i++) {
      const order = Object.keys(tools);
      for (let k = 0; k < i % order.length; k++) order.push(order.shift());
      for (const name of order) times[name].push(tools[name]());
      log(
        `round ${i + 1}/${rounds}: ` +
          Object.keys(tools)
            .map((k) => `${k} ${times[k][i].toFixed(3)} s`)
            .join(', '),
      );
    }
    const best = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.min(...v)]));
    const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const ratios = (t) => ({ v1VsMktorrent: t.v1 / t.mktorrent, hybridVsV1: t.hybrid / t.v1 });
    return {
      bytes,
      pieceLength: PIECE_LENGTH,
      threads: THREADS,
      rounds,
      best,
      median: med,
      ratios: { best: ratios(best), median: ratios(med) },
      targets: { v1VsMktorrent: 1.0, hybridVsV1: 2.4, helpSeconds: 0.1 },
      runs: times,
      loadAverage: { before: loadBefore, after: loadavg()[0] },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report's section: whole-process figures, next to bench/hash.js's in-process ones when given. */
export function cliMarkdown(r, inProcess) {
  const f3 = (x) => x.toFixed(3);
  const out = [
    `${(r.bytes / 2 ** 20).toFixed(0)} MiB in the page cache, piece length ${r.pieceLength / 2 ** 20} MiB, ${r.threads} threads; whole processes timed from spawn to exit, best and median of ${r.rounds} (load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after).`,
    '',
    '| command | best s | median s | in-process s (bench/hash.js, median) |',
    '| --- | ---: | ---: | ---: |',
  ];
  const ip = inProcess?.seconds;
  const row = (name, k, ipk) =>
    `| ${name} | ${f3(r.best[k])} | ${f3(r.median[k])} | ${ip && ipk ? f3(ip[ipk]) : ''} |`;
  out.push(
    row('fjord torrent create --v1', 'v1', 'fjordV1'),
    row('fjord torrent create --hybrid', 'hybrid', 'fjordHybrid'),
    row(`mktorrent -t ${r.threads}`, 'mktorrent', 'mktorrent'),
    row('fjord --help', 'help'),
    row('node -e 0', 'node'),
  );
  const ok = (v, t) => (v <= t ? 'met' : '**not met**');
  const t = r.targets;
  out.push(
    '',
    `fjord v1 / mktorrent: best ${r.ratios.best.v1VsMktorrent.toFixed(2)}, median ${r.ratios.median.v1VsMktorrent.toFixed(2)} (target <= ${t.v1VsMktorrent}: ${ok(r.ratios.best.v1VsMktorrent, t.v1VsMktorrent)}); ` +
      `hybrid / v1: best ${r.ratios.best.hybridVsV1.toFixed(2)}, median ${r.ratios.median.hybridVsV1.toFixed(2)} (target <= ${t.hybridVsV1}: ${ok(r.ratios.best.hybridVsV1, t.hybridVsV1)}); ` +
      `fjord --help: best ${f3(r.best.help)} s (target <= ${t.helpSeconds} s: ${ok(r.best.help, t.helpSeconds)}; node alone ${f3(r.best.node)} s).`,
  );
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  try {
    const r = await runCliBench({
      quick: args.includes('--quick'),
      file: args.find((a) => !a.startsWith('--')),
      fjord: args.find((a) => a.startsWith('--fjord='))?.slice(8),
      log: (s) => console.error(s),
    });
    console.log(cliMarkdown(r));
  } catch (err) {
    console.error(`bench/cli.js: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
