/**
 * Child processes for the interoperability tests: fjord itself, started as a user starts it, and
 * the real BitTorrent clients (libtorrent through lt_peer.py, aria2, Transmission, Deluge).
 *
 * Every process is started under coreutils `timeout`, so a test runner that dies without running
 * its `after` hooks cannot leave a seeder or a tracker running for more than a few minutes.
 * `timeout --foreground` passes a SIGTERM or SIGINT on to the program exactly once (without
 * --foreground it signals the program and then its whole group, and a second SIGTERM makes aria2
 * quit without announcing stopped). The spawn is detached, so `timeout` leads a process group of
 * its own that a final SIGKILL can take down whole.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LT_PEER = fileURLToPath(new URL('./lt_peer.py', import.meta.url));
/** Debian's python3-libtorrent imports only under the system Python, not the `python3` on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
/** Hard cap on any child's life, in seconds: longer than any test file, short enough to not linger. */
const LIFETIME_CAP = 180;

/** A child process whose output is kept line by line (on \n and \r: Transmission redraws with \r). */
export class Child {
  readonly lines: string[] = [];
  readonly proc: ChildProcessWithoutNullStreams;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  private exited = false;
  private readonly exitWaiters: Array<() => void> = [];
  private readonly lineWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.proc = spawn('timeout', ['--foreground', '--kill-after=5', String(LIFETIME_CAP), cmd, ...args], {
      cwd: opts.cwd ?? REPO,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const reader = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const parts = (partial + chunk.toString('utf8')).split(/[\r\n]+/);
        partial = parts.pop() ?? '';
        for (const p of parts) if (p.trim() !== '') this.onLine(p);
      };
    };
    this.proc.stdout.on('data', reader());
    this.proc.stderr.on('data', reader());
    // A closed stdin pipe must not throw when the child has already gone.
    this.proc.stdin.on('error', () => {});
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      for (const w of this.exitWaiters.splice(0)) w();
      for (const w of this.lineWaiters.splice(0)) w();
    });
  }

  protected onLine(line: string): void {
    this.lines.push(line);
    for (const w of this.lineWaiters.splice(0)) w();
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The first line (already seen or still to come) that `match` accepts. */
  waitForLine(match: (line: string) => boolean, ms: number, what: string): Promise<string> {
    return waitFor(
      () => this.lines.find(match),
      (wake) => this.lineWaiters.push(wake),
      ms,
      () => `${this.name}: ${what}${this.exited ? ` (exited with ${this.exitCode ?? this.exitSignal})` : ''}`,
      () => this.exited,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- last output of ${this.name} ---\n${this.tail()}`);
    });
  }

  waitForExit(ms: number): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Asks the program to stop with `signal`; kills it if it has not gone after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 8000): Promise<void> {
    if (this.exited) return;
    if (signal !== 'SIGKILL') {
      this.proc.kill(signal);
      if (await this.waitForExit(graceMs)) return;
    }
    this.killGroup();
    await this.waitForExit(2000);
  }

  /**
   * `timeout` leads its own process group (detached: the pgid is its pid): killing the group
   * reaches the program too, where a SIGKILL to `timeout` alone would orphan it.
   */
  private killGroup(): void {
    const pid = this.proc.pid;
    try {
      if (pid === undefined || pid <= 0) throw new Error('no pid');
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.proc.kill('SIGKILL');
    }
  }

  tail(n = 25): string {
    return this.lines.slice(-n).join('\n');
  }
}

/**
 * Polls `check` whenever `subscribe` wakes it (and every 100 ms as a fallback) until it returns a
 * value, `ms` pass, or `gone` says waiting is pointless.
 */
function waitFor<T>(
  check: () => T | undefined,
  subscribe: (wake: () => void) => void,
  ms: number,
  describe: () => string,
  gone: () => boolean,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    let timer: NodeJS.Timeout | undefined;
    const attempt = () => {
      if (timer) clearTimeout(timer);
      const v = check();
      if (v !== undefined) return resolve(v);
      if (gone()) return reject(new Error(`gave up waiting for ${describe()}`));
      if (Date.now() >= deadline)
        return reject(new Error(`timed out after ${ms} ms waiting for ${describe()}`));
      subscribe(attempt);
      timer = setTimeout(attempt, 100);
    };
    attempt();
  });
}

/** Polls an async condition every `everyMs` until it yields a value or `ms` pass. */
export async function until<T>(
  ms: number,
  what: string,
  check: () => Promise<T | undefined>,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------
// fjord

export interface FjordProcess {
  child: Child;
  httpPort: number;
  udpPort: number;
  announceUrl(protocol: 'http' | 'udp'): string;
}

/**
 * Runs `fjord serve` as a user would. interval 10 is the lowest fjord accepts; a short interval
 * makes the HTTP clients re-announce during the test. peerTimeout is long on purpose: libtorrent
 * waits at least 60 s between UDP announces whatever the tracker says (BEP 15 replies carry no
 * min interval and libtorrent assumes 60), so with fjord's default of interval x 1.5 a UDP seeder
 * would be forgotten mid-test. Expiry has its own unit tests.
 */
export async function startFjord(opts: { whitelist: string; dataDir: string }): Promise<FjordProcess> {
  const child = new Child('fjord', process.execPath, [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--http',
    '127.0.0.1:0',
    '--udp',
    '127.0.0.1:0',
    '--admin',
    'off',
    '--whitelist',
    opts.whitelist,
    '--data',
    opts.dataDir,
    '--interval',
    '10',
    '--peer-timeout',
    '120',
  ]);
  const port = async (proto: string) => {
    const line = await child.waitForLine(
      (l) => l.startsWith(`listening ${proto} 127.0.0.1:`),
      20_000,
      `"listening ${proto}"`,
    );
    return Number(line.slice(line.lastIndexOf(':') + 1));
  };
  let httpPort: number, udpPort: number;
  try {
    [httpPort, udpPort] = [await port('http'), await port('udp')];
  } catch (e) {
    await child.stop('SIGKILL');
    throw e;
  }
  return {
    child,
    httpPort,
    udpPort,
    announceUrl: (p) => `${p}://127.0.0.1:${p === 'http' ? httpPort : udpPort}/announce`,
  };
}

// ---------------------------------------------------------------------------------------------
// libtorrent (lt_peer.py)

export interface LtEvent {
  event: string;
  t: number;
  [k: string]: unknown;
}

export class LtPeer extends Child {
  readonly events: LtEvent[] = [];

  constructor(name: string, args: string[]) {
    super(name, SYSTEM_PYTHON, ['-u', LT_PEER, 'run', ...args]);
  }

  protected override onLine(line: string): void {
    if (line.startsWith('{')) {
      try {
        this.events.push(JSON.parse(line) as LtEvent);
      } catch {
        // A line that is not JSON is kept for diagnostics only.
      }
    }
    super.onLine(line);
  }

  waitForEvent(event: string, ms: number, match: (e: LtEvent) => boolean = () => true): Promise<LtEvent> {
    return this.waitForLine(
      (l) => l.includes(`"event": "${event}"`) && this.events.some((e) => e.event === event && match(e)),
      ms,
      `lt_peer event "${event}"`,
    ).then(() => this.events.find((e) => e.event === event && match(e)) as LtEvent);
  }

  /** Stops by closing stdin, which lt_peer.py takes as "announce stopped and exit". */
  async quit(ms = 8000): Promise<void> {
    this.proc.stdin.end();
    if (!(await this.waitForExit(ms))) await this.stop('SIGTERM', 2000);
  }
}

export function ltPeer(
  name: string,
  o: {
    torrent: string;
    save: string;
    mode: 'seed' | 'leech';
    timeout?: number;
    reannounce?: number;
    linger?: boolean;
    noUtp?: boolean;
  },
): LtPeer {
  const args = ['--torrent', o.torrent, '--save', o.save, '--mode', o.mode];
  args.push('--timeout', String(o.timeout ?? 55));
  if (o.reannounce) args.push('--reannounce', String(o.reannounce));
  if (o.linger) args.push('--linger');
  if (o.noUtp) args.push('--no-utp');
  return new LtPeer(name, args);
}

/** Writes a v1 single-file torrent for `file` with lt_peer.py; returns its hex info hash. */
export async function createTorrent(file: string, out: string, trackers: string[]): Promise<string> {
  const args = ['--file', file, '--out', out, '--piece-size', String(64 * 1024)];
  for (const t of trackers) args.push('--tracker', t);
  const c = new Child('lt_peer create', SYSTEM_PYTHON, ['-u', LT_PEER, 'create', ...args]);
  const line = await c.waitForLine((l) => l.includes('"event": "created"'), 20_000, 'torrent created');
  await c.waitForExit(5000);
  const hash = (JSON.parse(line) as { info_hash: string }).info_hash;
  if (!/^[0-9a-f]{40}$/.test(hash)) throw new Error(`lt_peer create: bad info hash ${hash}`);
  return hash;
}

// ---------------------------------------------------------------------------------------------
// aria2

/**
 * aria2c on loopback only, with PEX and LPD off and no user configuration file.
 * aria2 only speaks to UDP trackers through its DHT socket ("udp is not supported yet" otherwise),
 * so `udpTracker` turns its DHT on, but isolated: an empty routing table in a fresh file, no
 * entry point, and every other peer in the test has DHT off, so nobody in the DHT knows anybody.
 * aria2 stops on its own when the test process is gone (--stop-with-process).
 * Stop it with SIGINT: that announces stopped; SIGTERM is aria2's emergency shutdown, which does not.
 */
export function aria2(
  name: string,
  o: { torrent: string; dir: string; port: number; dhtPort: number; udpTracker: boolean; seed: boolean },
): Child {
  const args = [
    '--no-conf=true',
    '--interface=127.0.0.1',
    '--disable-ipv6=true',
    `--listen-port=${o.port}`,
    '--enable-peer-exchange=false',
    '--bt-enable-lpd=false',
    '--enable-dht6=false',
    `--stop-with-process=${process.pid}`,
    `--dir=${o.dir}`,
    // Seed until the test stops it: 0.0 means "whatever the ratio", the time is in minutes.
    '--seed-ratio=0.0',
    '--seed-time=30',
    '--summary-interval=1',
    '--console-log-level=notice',
    '--file-allocation=none',
    '--auto-save-interval=0',
    '--bt-save-metadata=false',
  ];
  if (o.udpTracker)
    args.push(
      '--enable-dht=true',
      `--dht-listen-port=${o.dhtPort}`,
      `--dht-file-path=${join(o.dir, '..', `${name.replace(/\W/g, '_')}-dht.dat`)}`,
    );
  else args.push('--enable-dht=false');
  // A seeder hash-checks its file before it announces as complete.
  if (o.seed) args.push('--check-integrity=true');
  args.push(o.torrent);
  return new Child(name, 'aria2c', args);
}

/** The info hash aria2 itself computes for a torrent (and so announces): what `aria2c -S` prints. */
export function aria2InfoHashOf(torrent: string): string {
  const r = spawnSync('aria2c', ['-S', torrent], { encoding: 'utf8', timeout: 30_000 });
  const m = /^Info Hash: ([0-9a-f]{40})$/m.exec(r.stdout);
  if (m === null) throw new Error(`aria2c -S printed no info hash:\n${r.stdout}${r.stderr}`);
  return m[1];
}

// ---------------------------------------------------------------------------------------------
// Transmission

/**
 * transmission-cli with DHT, LPD, PEX, uTP and port forwarding off, bound to 127.0.0.1.
 * Stop it with SIGINT: SIGTERM kills it outright. Even on SIGINT, transmission-cli 3.00 exits
 * without announcing event=stopped, so the tracker keeps it until the peer timeout.
 */
export function transmission(
  name: string,
  o: { torrent: string; dir: string; configDir: string; port: number },
): Child {
  mkdirSync(o.configDir, { recursive: true });
  const settings = {
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    'port-forwarding-enabled': false,
    'bind-address-ipv4': '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': o.port,
    'peer-port-random-on-start': false,
    'download-dir': o.dir,
    'incomplete-dir-enabled': false,
    'rpc-enabled': false,
    'blocklist-enabled': false,
    'speed-limit-down-enabled': false,
    'speed-limit-up-enabled': false,
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'start-added-torrents': true,
    'message-level': 2,
  };
  writeFileSync(join(o.configDir, 'settings.json'), JSON.stringify(settings, null, 2));
  return new Child(name, 'transmission-cli', [
    '-g',
    o.configDir,
    '-w',
    o.dir,
    '-p',
    String(o.port),
    o.torrent,
  ]);
}

/**
 * Deluge 2 (Debian's deluged, on libtorrent 2): the daemon with settings written before it starts
 * (DHT, LSD, UPnP, NAT-PMP and PEX off, BitTorrent and UI on 127.0.0.1), and `deluge-console`
 * commands run against it (`console('info -v')`). Deluge's config files are a JSON header followed
 * by the JSON settings; `auth` holds the console's login.
 */
export class Deluge extends Child {
  constructor(
    name: string,
    private readonly o: { configDir: string; dir: string; port: number; uiPort: number },
  ) {
    mkdirSync(o.configDir, { recursive: true });
    mkdirSync(o.dir, { recursive: true });
    writeFileSync(join(o.configDir, 'auth'), 'fjord:fjord:10\n', { mode: 0o600 });
    const core = {
      listen_ports: [o.port, o.port],
      random_port: false,
      listen_interface: '127.0.0.1',
      dht: false,
      lsd: false,
      upnp: false,
      natpmp: false,
      utpex: false,
      new_release_check: false,
      download_location: o.dir,
      move_completed: false,
      enabled_plugins: [],
      allow_remote: false,
      stop_seed_at_ratio: false,
    };
    writeFileSync(join(o.configDir, 'core.conf'), `{"file": 1, "format": 1}${JSON.stringify(core, null, 2)}`);
    super(name, 'deluged', [
      ...['-c', o.configDir, '-d', '-p', String(o.uiPort), '-u', '127.0.0.1', '-i', '127.0.0.1'],
      ...['-L', 'warning'],
    ]);
  }

  /** Runs console commands (`;`-separated) after connecting; resolves with their output. */
  console(commands: string, ms = 20_000): Promise<string> {
    return new Promise((resolve) => {
      const c = spawn(
        'timeout',
        [
          String(ms / 1000),
          'deluge-console',
          '-c',
          this.o.configDir,
          `connect 127.0.0.1:${this.o.uiPort} fjord fjord; ${commands}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      c.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      c.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
      c.on('close', () => resolve(out));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Files and ports

export interface Workspace {
  dir: string;
  /** The generated content, in `${dir}/seed/${name}`. */
  file: string;
  name: string;
  sha256: string;
  size: number;
  remove(): void;
}

/** A temp dir holding `size` random bytes in seed/, and an empty leech/. */
export function workspace(prefix: string, size = 3 * 1024 * 1024): Workspace {
  const dir = mkdtempSync(join(tmpdir(), `fjord-interop-${prefix}-`));
  mkdirSync(join(dir, 'seed'));
  mkdirSync(join(dir, 'leech'));
  mkdirSync(join(dir, 'data'));
  const name = `episode-${prefix}.bin`;
  const file = join(dir, 'seed', name);
  const bytes = randomBytes(size);
  writeFileSync(file, bytes);
  return {
    dir,
    file,
    name,
    sha256: sha256(bytes),
    size,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export function sha256File(path: string): string {
  return sha256(readFileSync(path));
}

/** A TCP port free right now on 127.0.0.1 (for clients that cannot be told to pick one). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
