/**
 * Redis for the shared swarm store's tests: the machine's Redis at 127.0.0.1:6379 (used only under
 * a key prefix of the test's own, deleted afterwards), private redis-server processes on free ports
 * (to stop and restart), and a 3-master Redis Cluster started from scratch.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { hasProgram, runs, skipUnless } from './programs.js';
import { serveFjord, sleep, type Served } from './cli.js';
import { httpGet, percent, tempDir } from './tracker.js';
import { bdecode } from '../../src/protocol/bencode.js';

export const MACHINE_REDIS = process.env.FJORD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const machineUp = (): boolean => {
  const u = new URL(MACHINE_REDIS);
  return runs('redis-cli', ['-h', u.hostname, '-p', u.port || '6379', 'ping']);
};

export const redisSkip = skipUnless({
  ok: hasProgram('redis-cli') && machineUp(),
  what: `Redis at ${MACHINE_REDIS}`,
});
export const redisServerSkip = skipUnless({ ok: hasProgram('redis-server'), what: 'redis-server' });

let seq = 0;
/** A key prefix no other test (or installation) uses. */
export const uniquePrefix = (what = 't'): string =>
  `fjordtest:${what}:${process.pid}:${Date.now().toString(36)}:${seq++}:`;

/** Deletes the keys of these prefixes (the store's keys are all under `{PREFIX}`). */
export async function deletePrefixes(url: string, prefixes: string[], cluster = false): Promise<void> {
  if (prefixes.length === 0) return;
  const { Cluster } = await import('ioredis');
  const u = new URL(url.replace('+cluster', '').split(',')[0]);
  const r = cluster
    ? new Cluster([{ host: u.hostname, port: Number(u.port) }])
    : new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    for (const p of prefixes) {
      const t = `{${p}}`;
      for (const k of [`${t}peers`, `${t}peers:0`, `${t}gen`, `${t}done`, `${t}log`]) await r.del(k);
    }
  } finally {
    r.disconnect();
  }
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A private redis-server (no persistence) on a free port, to stop and restart at will. */
export class OwnRedis {
  child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly extra: string[],
  ) {}

  static async start(extra: string[] = []): Promise<OwnRedis> {
    const r = new OwnRedis(await freePort(), extra);
    await r.restart();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extra],
      { stdio: 'ignore' },
    );
    this.child = child;
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      if (
        spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8' }).stdout?.trim() ===
        'PONG'
      )
        return;
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited ${child.exitCode}`);
      await sleep(50);
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c === null || c.exitCode !== null) return;
    await new Promise<void>((res) => {
      c.once('exit', () => res());
      c.kill('SIGKILL');
    });
    this.child = null;
  }

  /** INFO section as key/value pairs. */
  info(section: string): Map<string, string> {
    const r = spawnSync('redis-cli', ['-p', String(this.port), 'info', section], { encoding: 'utf8' });
    const m = new Map<string, string>();
    for (const line of r.stdout.split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
    }
    return m;
  }
}

/** A 3-master Redis Cluster of private redis-servers; `url` is a redis+cluster:// seed list. */
export class OwnCluster {
  private constructor(
    readonly nodes: OwnRedis[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<OwnCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'fjord-cluster-'));
    const nodes: OwnRedis[] = [];
    try {
      for (let i = 0; i < 3; i++)
        nodes.push(
          await OwnRedis.start([
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${i}.conf`),
            '--dir',
            dir,
          ]),
        );
      const r = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (r.status !== 0) throw new Error(`redis-cli --cluster create: ${r.stdout} ${r.stderr}`);
      const end = Date.now() + 20_000;
      for (;;) {
        const ok = nodes.every((n) => clusterOk(n.port));
        if (ok) break;
        if (Date.now() > end) throw new Error('cluster did not reach state ok');
        await sleep(100);
      }
    } catch (e) {
      for (const n of nodes) await n.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return new OwnCluster(nodes, dir);
  }

  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function clusterOk(port: number): boolean {
  const r = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
  return /cluster_state:ok/.test(r.stdout) && /cluster_slots_assigned:16384/.test(r.stdout);
}

/** Starts a node on the machine's Redis under `prefix`; fresh data directory each time. */
export function serveNode(
  prefix: string,
  id: string,
  extra: string[] = [],
  url = MACHINE_REDIS,
): Promise<Served> {
  return serveFjord(
    [
      '--open',
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      '--admin',
      'off',
      '--data',
      tempDir(),
      '--swarm-store',
      url,
      '--swarm-store-key-prefix',
      prefix,
      '--node-id',
      id,
      ...extra,
    ],
    ['http', 'udp'],
  );
}

/** A torrent's scrape on a node's HTTP port, as {complete, downloaded, incomplete}. */
export async function scrapeOf(s: Served, h: Buffer): Promise<Record<string, unknown>> {
  const r = await httpGet(s.ports.http, `/scrape?info_hash=${percent(h)}`);
  const files = (bdecode(r.body) as Record<string, unknown>).files as Record<string, Record<string, unknown>>;
  return { ...(files[h.toString('latin1')] ?? {}) };
}
