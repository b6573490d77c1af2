/**
 * The tracker: one swarm store, one access list and one set of counters, shared by every
 * listener (UDP, HTTP, and later WebSocket), plus the timers that keep them tidy.
 */
import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { formatEndpoint, type Config, type Endpoint } from '../config.js';
import { clock, startClock } from '../swarm/clock.js';
import { SwarmStore, tickOf } from '../swarm/store.js';
import { RedisPeerStore, defaultNodeId } from '../swarm/redis-store.js';
import { KEEP_NONE, type KeepRule, type PeerStore } from '../swarm/peer-store.js';
import { AccessList } from './access-list.js';
import { TrackerCore } from './core.js';
import { ConnectionIds } from './connection-id.js';
import { Counters } from './request-counters.js';
import { UdpTrackerServer } from './udp-server.js';
import { HttpTrackerServer } from './http-server.js';
import { WsTrackerServer } from './ws-server.js';
import { statsPage, type StatsResponse } from './stats-page.js';
import { createMetrics } from './metrics.js';
import { CompletionState, JOURNAL_FLUSH_MS } from './persistence.js';
import { SwarmSnapshot } from './swarm-snapshot.js';
import { MemoryTrim } from './memory-trim.js';
import { AnnounceStats, SWARM_STATS_SLOTS } from '../stats/announce-stats.js';

/** What a Tracker can be given instead of what it makes itself. */
export interface TrackerOptions {
  /** The peer store; default: the one config.swarmStore names (makePeerStore). */
  store?: PeerStore;
}

/**
 * The peer store config.swarmStore names: 'memory', the in-process SwarmStore; a Redis URL, the
 * shared RedisPeerStore (it connects and loads in Tracker.start, before anything listens).
 */
export function makePeerStore(config: Config, log: (msg: string) => void = () => {}): PeerStore {
  const options = {
    peersPerAddress: config.peersPerAddress,
    completionsPerAddress: config.completionsPerAddress,
    counterSlots: SWARM_STATS_SLOTS,
  };
  if (config.swarmStore === 'memory') return new SwarmStore(options);
  return new RedisPeerStore({
    ...options,
    url: config.swarmStore,
    keyPrefix: config.swarmStoreKeyPrefix,
    nodeId: config.nodeId ?? defaultNodeId(),
    peerTimeout: config.peerTimeout,
    log,
  });
}

export interface Listening {
  protocol: 'udp' | 'http' | 'ws';
  endpoint: Endpoint;
}

export class Tracker {
  readonly store: PeerStore;
  readonly counters = new Counters();
  /** Per-torrent statistics counters and the client sampler (src/stats). */
  readonly announceStats = new AnnounceStats();
  readonly connectionIds = new ConnectionIds();
  readonly access: AccessList;
  /** Access, store, statistics and counters for an announce or scrape: what every frontend calls. */
  readonly core: TrackerCore;
  readonly udp: UdpTrackerServer[] = [];
  readonly http: HttpTrackerServer[] = [];
  /** The WebSocket tracker (one for every --ws endpoint), when any is configured. */
  ws: WsTrackerServer | null = null;
  /**
   * The sweep's rule for swarms with no peers and no completions: forgotten (KEEP_NONE), or kept
   * while their statistics counters hold unread announces (set by the statistics recorder).
   */
  keepSwarm: KeepRule = KEEP_NONE;
  /** Browser (WebSocket) peer counts, provided by the WebSocket tracker when it runs. */
  wsPeers: () => { seeders: number; leechers: number } = () => ({ seeders: 0, leechers: 0 });
  private metrics: Registry | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** The completion counts on disk (snapshot and journal). */
  readonly state: CompletionState;
  private dirty = 0;
  /** Returns the allocator's free pages after the peer lists' old buffers are freed. */
  readonly memoryTrim = new MemoryTrim();
  /** The memory store's swarms on disk (DATA/swarms.bin), null when swarmSaveInterval is 0. */
  readonly swarms: SwarmSnapshot | null;

  constructor(
    readonly config: Config,
    readonly log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
    options: TrackerOptions = {},
  ) {
    this.store = options.store ?? makePeerStore(config, log);
    mkdirSync(config.dataDir, { recursive: true });
    this.state = new CompletionState(config.dataDir, this.store, log);
    this.swarms =
      config.swarmStore === 'memory' && config.swarmSaveInterval > 0
        ? new SwarmSnapshot(config.dataDir, this.store, log)
        : null;
    this.access = new AccessList(
      config.mode,
      config.listFile,
      join(config.dataDir, 'access-admin.json'),
      log,
    );
    this.core = new TrackerCore(config, this.store, this.access, this.counters, this.announceStats);
  }

  /** The current time in the store's ticks (from the cached clock). */
  tick(): number {
    return tickOf(clock.seconds);
  }

  statsPage(query: URLSearchParams): StatsResponse {
    return statsPage(this.store, this.counters, query, this.wsPeers());
  }

  metricsText(): Promise<string> {
    this.metrics ??= createMetrics(this.store, this.counters, () => this.wsPeers());
    return this.metrics.metrics();
  }

  /** Loads state, binds every listener; resolves with the bound addresses. */
  async start(): Promise<Listening[]> {
    startClock();
    const loaded = this.state.load();
    this.dirty = this.store.totals().completedSinceStart;
    if (loaded.torrents > 0) this.log(`state: loaded completion counts of ${loaded.torrents} torrents`);
    const restored = this.swarms?.load(clock.seconds, this.config.peerTimeout);
    if (restored)
      this.log(
        `state: loaded ${restored.peers} peers of ${restored.swarms} swarms` +
          (restored.expired > 0 ? ` (${restored.expired} past the peer timeout left out)` : ''),
      );
    // A shared store loads every node's swarms before the first announce can arrive.
    await this.store.open?.();
    if (this.config.listFile) {
      const r = this.access.loadFile();
      this.log(
        `access: ${this.config.mode} ${this.config.listFile}: ${r.count} hashes${r.problems.length ? `, ${r.problems.length} bad lines skipped` : ''}`,
      );
      this.access.watchFile();
    }
    const out: Listening[] = [];
    try {
      for (const e of this.config.udp) {
        const s = new UdpTrackerServer(this, e);
        this.udp.push(s);
        out.push({ protocol: 'udp', endpoint: await s.listen() });
      }
      for (const e of this.config.http) {
        const s = new HttpTrackerServer(this, e);
        this.http.push(s);
        out.push({ protocol: 'http', endpoint: await s.listen() });
      }
      if (this.config.ws.length > 0) {
        const ws = (this.ws = new WsTrackerServer(this));
        this.wsPeers = () => ws.peerCounts();
        for (const e of this.config.ws) {
          // The same HOST:PORT as an HTTP listener: that listener hands WebSocket upgrades over.
          const i = this.config.http.findIndex((h) => e.port !== 0 && h.port === e.port && h.host === e.host);
          if (i >= 0) {
            this.http[i].upgrade = (socket, buf, end) => ws.upgrade(socket, buf, end);
            out.push({ protocol: 'ws', endpoint: e });
          } else out.push({ protocol: 'ws', endpoint: await ws.listen(e) });
        }
      }
    } catch (e) {
      await this.stop();
      const err = e as NodeJS.ErrnoException;
      const which = [...this.config.udp, ...this.config.http, ...this.config.ws]
        .map(formatEndpoint)
        .join(', ');
      if (err.code === 'EADDRINUSE') throw new Error(`address already in use (${which})`);
      if (err.code === 'EADDRNOTAVAIL') throw new Error(`address not available on this machine (${which})`);
      if (err.code === 'EACCES') throw new Error(`permission denied to listen (${which})`);
      throw e;
    }
    const sweepEvery = Math.min(60, Math.max(1, Math.floor(this.config.peerTimeout / 4))) * 1000;
    this.timers.push(
      setInterval(() => this.store.sweep(clock.seconds, this.config.peerTimeout, this.keepSwarm), sweepEvery),
      setInterval(() => this.save(), this.config.saveInterval * 1000),
      setInterval(() => this.state.flush(), JOURNAL_FLUSH_MS),
      setInterval(() => this.memoryTrim.check(), 1000),
    );
    const swarms = this.swarms;
    if (swarms !== null)
      this.timers.push(
        setInterval(() => void swarms.save(() => clock.seconds), this.config.swarmSaveInterval * 1000),
      );
    for (const t of this.timers) t.unref();
    return out;
  }

  /**
   * Folds the journal into a new snapshot if counts changed since the last save (completions reach
   * the journal within JOURNAL_FLUSH_MS in between: src/tracker/persistence.ts).
   */
  save(): void {
    const mark = this.store.totals().completedSinceStart;
    if (mark === this.dirty) return;
    try {
      this.state.compact();
      this.dirty = mark;
    } catch (e) {
      this.log(
        `state: cannot save ${this.state.snapshotPath}: ${e instanceof Error ? e.message : String(e)}`,
      );
      this.state.flush();
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.access.close();
    await Promise.all([
      ...this.udp.map((s) => s.close()),
      ...this.http.map((s) => s.close()),
      ...(this.ws ? [this.ws.close()] : []),
    ]);
    this.save();
    this.state.close();
    await this.swarms?.saveNow(() => Math.floor(Date.now() / 1000));
    await this.store.close?.();
  }
}

/** The admin token: from the config, else DATA/admin-token, created on first use (mode 0600). */
export function adminToken(config: Config): string {
  if (config.adminToken) return config.adminToken;
  const path = join(config.dataDir, 'admin-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  return token;
}
