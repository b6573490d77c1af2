/**
 * End to end with real clients and no peer at all: `fjord serve --web` runs, an episode (video and
 * subtitles, so the hybrid torrent holds a BEP 47 padding file) is published with `fjord publish`,
 * and aria2 and libtorrent each download it from the web seed alone, through its .torrent. The bytes
 * must match the original.
 *
 * aria2 1.36 computes a wrong v1 info hash for hybrid torrents (docs: /work/shared/docs/clients.md),
 * so the tracker refuses its announces: the web seed is all it has. It also asks the web seed for the
 * padding file (`<name>/.pad/<N>`), which fjord answers with zeros. libtorrent announces both hashes
 * (allowed), gets no peers, and downloads from the web seed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { serveFjord, type Served } from '../helpers/cli.js';
import { httpGet, tempDir } from '../helpers/tracker.js';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { fjord, randomFile, sha256, sha256File } from '../publish/publish-helpers.js';

const WORK = tempDir('fjord-webseed-clients-');
const DATA = join(WORK, 'data');
const VIDEO = join(WORK, 'source.mkv');
const SRT = join(WORK, 'nb.srt');
const NAME = 'interop-s01e01';
const LT_PEER = fileURLToPath(new URL('./lt_peer.py', import.meta.url));
let videoHash: string;
let srtInStore: Buffer;
let torrentPath: string;
let served: Served;

before(async () => {
  videoHash = sha256(randomFile(VIDEO, 3 * 1024 * 1024 + 12345));
  writeFileSync(SRT, '1\n00:00:00,500 --> 00:00:01,500\nHei!\n');
  served = await serveFjord(
    [
      '--data',
      DATA,
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      '--web',
      '127.0.0.1:0',
      '--admin',
      'off',
    ],
    ['udp', 'http', 'web'],
  );
  const r = await fjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    DATA,
    '--series',
    'Interop',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'Over the wire',
    '--subtitle',
    `nb:${SRT}`,
    '--cleared',
    '-q',
    '--tracker',
    `http://127.0.0.1:${served.ports.http}/announce`,
    '--web-url',
    `http://127.0.0.1:${served.ports.web}`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  torrentPath = join(DATA, 'torrents', `${NAME}.torrent`);
  srtInStore = readFileSync(join(DATA, 'media/interop', NAME, `${NAME}.nb.srt`));
  const t = parseTorrent(readFileSync(torrentPath));
  assert.ok(
    t.files.some((f) => f.padding),
    'the torrent holds a padding file, which aria2 will ask for',
  );
  // Wait until the web seed serves it (the catalog sync polls every second).
  for (let i = 0; i < 50; i++) {
    if (
      (
        await httpGet(served.ports.web, `/media/interop/${NAME}/${NAME}.mkv`, {
          headers: { Range: 'bytes=0-0' },
        })
      ).status === 206
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the web seed never served the episode');
});
after(() => served?.stop());

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // stdin stays open while it runs: lt_peer.py stops when its stdin closes (a dead parent never leaves it running).
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      p.stdin.destroy();
      resolve({ code, out });
    });
  });
}

function checkDownload(dir: string): void {
  const video = join(dir, NAME, `${NAME}.mkv`);
  assert.ok(existsSync(video), `downloaded ${video}`);
  assert.equal(sha256File(video), videoHash, 'video bytes match the original');
  assert.ok(readFileSync(join(dir, NAME, `${NAME}.nb.srt`)).equals(srtInStore), 'subtitle bytes match');
}

test(
  'aria2 downloads a published episode from the web seed alone',
  { skip: skipUnless(program('aria2c')), timeout: 120_000 },
  async () => {
    const out = join(WORK, 'aria2');
    const started = Date.now();
    const r = await run(
      'aria2c',
      [
        `--dir=${out}`,
        '--seed-time=0',
        '--interface=127.0.0.1',
        '--enable-dht=false',
        '--enable-dht6=false',
        '--enable-peer-exchange=false',
        '--bt-enable-lpd=false',
        '--listen-port=47000-47999',
        '--file-allocation=none',
        '--summary-interval=0',
        '--console-log-level=warn',
        '--bt-tracker-connect-timeout=3',
        '--bt-tracker-timeout=3',
        '--check-certificate=false',
        torrentPath,
      ],
      90_000,
    );
    assert.equal(r.code, 0, r.out);
    checkDownload(out);
    // aria2 does not know BEP 47: it fetched the padding file from the web seed and wrote it out.
    const pads = readdirSync(join(out, NAME, '.pad'));
    assert.ok(
      pads.length > 0 && pads.every((n) => readFileSync(join(out, NAME, '.pad', n)).every((b) => b === 0)),
    );
    process.stdout.write(`# aria2: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  },
);

test(
  'libtorrent downloads a published episode from the web seed alone',
  { skip: skipUnless(pythonModule('libtorrent')), timeout: 120_000 },
  async () => {
    const out = join(WORK, 'libtorrent');
    const started = Date.now();
    const r = await run(
      '/usr/bin/python3',
      [
        LT_PEER,
        'run',
        '--torrent',
        torrentPath,
        '--save',
        out,
        '--mode',
        'leech',
        '--timeout',
        '60',
        '--no-utp',
      ],
      90_000,
    );
    const events = r.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(
        (l) =>
          JSON.parse(l) as { event: string; ok?: boolean; message?: string; port?: number; peers?: number },
      );
    assert.ok(
      events.some((e) => e.event === 'finished'),
      r.out,
    );
    // Its only connection was the web seed; the tracker had no peers to give.
    const connections = events.filter((e) => e.event === 'peer_connect');
    assert.ok(connections.length > 0 && connections.every((e) => e.port === served.ports.web), r.out);
    assert.ok(
      events.filter((e) => e.event === 'tracker_reply').every((e) => !e.peers),
      r.out,
    );
    assert.equal(events.find((e) => e.event === 'exit')?.ok, true, r.out);
    // The tracker knew the torrent (both hashes allowed): no "not allowed" error on the way.
    assert.ok(!events.some((e) => e.event === 'tracker_error' && /not allowed/.test(e.message ?? '')), r.out);
    checkDownload(out);
    process.stdout.write(`# libtorrent: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  },
);
