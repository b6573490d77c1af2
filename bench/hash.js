#!/usr/bin/env node
// Torrent hashing benchmark: fjord v1 and hybrid against mktorrent, side by side on one file in the
// page cache, all with the same piece length and two hashing threads.
//
//   npm run build && node bench/hash.js [--quick] [FILE]
//
// Without FILE it writes 1 GiB (256 MiB with --quick) of random bytes to a temporary folder. It reads
// the file once to warm the page cache, then runs fjord v1, fjord hybrid and `mktorrent -t 2` in turn,
// several rounds, and prints the median of each and the ratios the issue sets as targets:
//   fjord v1 / mktorrent      <= 1.0
//   fjord hybrid / fjord v1   <= 2.4
// fjord runs in this process, like the publish pipeline: its hashing workers start on the first call
// and are reused (the cold first call is printed as well); mktorrent runs as a process per call.
// Exports runHashBench({ quick, file }) for a benchmark runner.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const PIECE_LENGTH = 1024 * 1024;
const THREADS = 2;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function hasMktorrent() {
  return spawnSync('sh', ['-c', 'command -v mktorrent'], { stdio: 'ignore' }).status === 0;
}

export function writeRandomFile(path, bytes) {
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
    }
  } finally {
    closeSync(fd);
  }
}

export function warm(path) {
  const buf = Buffer.allocUnsafe(16 * 1024 * 1024);
  const fd = openSync(path, 'r');
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs the benchmark. Returns seconds (medians) and ratios; throws if mktorrent is missing or the
 * compiled fjord (dist/) is.
 */
export async function runHashBench({ quick = false, file, log = () => {} } = {}) {
  if (!hasMktorrent()) throw new Error('mktorrent is not installed (apt-get install mktorrent)');
  const dist = fileURLToPath(new URL('../dist/publish/torrent/index.js', import.meta.url));
  if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first');
  const { createTorrent } = await import(pathToFileURL(dist).href);
  const { closeIdleWorkers } = await import(pathToFileURL(dist.replace(/index\.js$/, 'pool.js')).href);

  const dir = mkdtempSync(join(tmpdir(), 'fjord-bench-hash-'));
  const size = quick ? 256 * 1024 * 1024 : 1024 * 1024 * 1024;
  const rounds = quick ? 3 : 7;
  const path = file ?? join(dir, 'data.bin');
  try {
    if (!file) {
      log(`writing ${size / 2 ** 20} MiB of random data to ${path}`);
      writeRandomFile(path, size);
    }
    warm(path);
    const bytes = (await import('node:fs')).statSync(path).size;
    const loadBefore = loadavg()[0];

    const fjord = async (mode) => {
      const t0 = performance.now();
      const r = await createTorrent(path, {
        mode,
        pieceLength: PIECE_LENGTH,
        threads: THREADS,
        inline: false,
      });
      const s = (performance.now() - t0) / 1000;
      return { s, hash: r.infoHashV1 };
    };
    const mktorrent = () => {
      const out = join(dir, `mk-${Math.random().toString(36).slice(2)}.torrent`);
      const t0 = performance.now();
      const r = spawnSync(
        'mktorrent',
        ['-t', String(THREADS), '-l', String(Math.log2(PIECE_LENGTH)), '-o', out, path],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      const s = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`mktorrent failed: ${r.stderr}`);
      rmSync(out, { force: true });
      return s;
    };

    // The first call starts the workers: timed on its own, then left out of the medians.
    const cold = (await fjord('v1')).s;
    log(`fjord v1, first call (starts the workers): ${cold.toFixed(3)} s`);
    const times = { v1: [], hybrid: [], mktorrent: [] };
    for (let i = 0; i < rounds; i++) {
      // A different order each round, so that no tool always runs right after the same one.
      const order = [
        ['v1', () => fjord('v1').then((r) => r.s)],
        ['hybrid', () => fjord('hybrid').then((r) => r.s)],
        ['mktorrent', async () => mktorrent()],
      ];
      for (let k = 0; k < i % 3; k++) order.push(order.shift());
      for (const [name, run] of order) times[name].push(await run());
      log(
        `round ${i + 1}/${rounds}: v1 ${times.v1[i].toFixed(3)} s, hybrid ${times.hybrid[i].toFixed(3)} s, ` +
          `mktorrent ${times.mktorrent[i].toFixed(3)} s`,
      );
    }
    await closeIdleWorkers();
    const v1 = median(times.v1);
    const hybrid = median(times.hybrid);
    const mk = median(times.mktorrent);
    return {
      bytes,
      pieceLength: PIECE_LENGTH,
      threads: THREADS,
      rounds,
      seconds: { fjordV1: v1, fjordHybrid: hybrid, mktorrent: mk, fjordV1Cold: cold },
      mbPerSecond: {
        fjordV1: bytes / v1 / 1e6,
        fjordHybrid: bytes / hybrid / 1e6,
        mktorrent: bytes / mk / 1e6,
      },
      ratios: { v1VsMktorrent: v1 / mk, hybridVsV1: hybrid / v1 },
      targets: { v1VsMktorrent: 1.0, hybridVsV1: 2.4 },
      runs: times,
      // The machine may be shared: a load average well above zero means the figures are noisy.
      loadAverage: { before: loadBefore, after: loadavg()[0] },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const file = args.find((a) => !a.startsWith('--'));
  if (!hasMktorrent()) {
    console.error('bench/hash.js: mktorrent is not installed; install it with: apt-get install mktorrent');
    process.exit(1);
  }
  try {
    const r = await runHashBench({ quick, file, log: (s) => console.error(s) });
    const f = (s) => `${s.toFixed(3)} s`;
    const mb = (x) => `${x.toFixed(0)} MB/s`;
    console.log(
      `hashing ${(r.bytes / 2 ** 20).toFixed(0)} MiB in the page cache, piece length ${r.pieceLength / 2 ** 20} MiB, ${r.threads} threads, median of ${r.rounds}`,
    );
    const load = r.loadAverage;
    console.log(
      `  load average ${load.before.toFixed(2)} before, ${load.after.toFixed(2)} after (0 = idle machine)`,
    );
    console.log(
      `  fjord v1       ${f(r.seconds.fjordV1)}  ${mb(r.mbPerSecond.fjordV1)}   (first call ${f(r.seconds.fjordV1Cold)})`,
    );
    console.log(`  fjord hybrid   ${f(r.seconds.fjordHybrid)}  ${mb(r.mbPerSecond.fjordHybrid)}`);
    console.log(`  mktorrent -t 2 ${f(r.seconds.mktorrent)}  ${mb(r.mbPerSecond.mktorrent)}`);
    const ok = (v, t) => (v <= t ? 'ok' : 'MISSED');
    console.log(
      `  fjord v1 / mktorrent     ${r.ratios.v1VsMktorrent.toFixed(2)}  (target <= ${r.targets.v1VsMktorrent}, ${ok(r.ratios.v1VsMktorrent, r.targets.v1VsMktorrent)})`,
    );
    console.log(
      `  fjord hybrid / fjord v1  ${r.ratios.hybridVsV1.toFixed(2)}  (target <= ${r.targets.hybridVsV1}, ${ok(r.ratios.hybridVsV1, r.targets.hybridVsV1)})`,
    );
  } catch (err) {
    console.error(`bench/hash.js: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
