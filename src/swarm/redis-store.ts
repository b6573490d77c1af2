/**
 * The shared peer store for several tracker nodes over Redis (or Valkey): a PeerStore whose hot
 * path never waits on the network. Each node answers from a local view, an in-memory SwarmStore
 * holding every node's peers; a background sync pushes this node's changes to Redis in batches
 * and pulls the other nodes' changes into the view.
 *
 * Keys (PREFIX is swarmStoreKeyPrefix; `{PREFIX}` is a Cluster hash tag, so that the one script
 * call per flush touches one slot):
 *
 *   {PREFIX}peers    hash: info hash (20) + compact peer (6 or 18) -> last seen (u32 s) + flags (u8:
 *                    1 seeder, 2 completed). Peers of the current generation.
 *   {PREFIX}peers:0  the previous generation: the script renames peers onto it once a peerTimeout
 *                    has passed, dropping the one before (peers silent for 1 to 2 timeouts vanish;
 *                    a node loading at start skips those silent for more than one).
 *   {PREFIX}gen      when the current generation began (Redis TIME, seconds).
 *   {PREFIX}done     hash: info hash -> completions counted (never expires).
 *   {PREFIX}log      stream: one entry per flush of one node (n: node id, b: its change records,
 *                    c: the completion counts they raised), trimmed to LOG_RETAIN_MS.
 *
 * A change record (this node's announces, in the order they happened):
 *   u8 op | v6 << 2 | seeder << 3 | completed << 4    op: 1 stored, 2 removed, 3 completion only
 *   info hash (20)  peer (6, or 18 when v6)
 * or, op 0 (resync after an outage): u8 0, info hash (20), u32 count (raise to at least).
 *
 * A completion counts once per peer across nodes: the script counts it only when the peer's
 * record in Redis does not carry the completed flag. Everything read back (stream entries, the
 * hashes at load) is checked for lengths, families and ranges before it reaches the view; what
 * fails is dropped and counted, never trusted.
 */
import { hostname } from 'node:os';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { SwarmStore, tickOf } from './store.js';
import {
  Announced,
  CompletedQueue,
  EVENT_NONE,
  EVENT_STOPPED,
  type KeepRule,
  type LimitCounts,
  type PeerStore,
  type PeerStoreOptions,
  type StoreStatus,
  type StoreTotals,
  type SwarmCounts,
  type PeerRun,
  type SwarmView,
} from './peer-store.js';
import { parseRedisUrl, redactRedisUrl, type RedisTarget } from './redis-url.js';
import type { SuspectTable } from './address-limits.js';

export const OP_RAISE = 0;
export const OP_STORED = 1;
export const OP_REMOVED = 2;
export const OP_COMPLETION = 3;
const F_V6 = 4;
const F_SEED = 8;
const F_COMPLETED = 16;

/** Stream entries older than this are trimmed; a node away longer reloads everything. */
export const LOG_RETAIN_MS = 60_000;
/** Most bytes of change records in one script call (a few thousand announces). */
const MAX_CALL_BYTES = 128 * 1024;

export interface RedisStoreOptions extends PeerStoreOptions {
  /** redis://, rediss://, redis+cluster:// (redis-url.ts). */
  url: string;
  keyPrefix: string;
  /** This node's name in the stream (its own entries are not applied twice). */
  nodeId: string;
  /** Seconds after which a silent peer is forgotten (config peerTimeout). */
  peerTimeout: number;
  /** Milliseconds between pushes of this node's changes. */
  flushMs: number;
  /** Bytes of change records kept while Redis is unreachable; more are dropped (and counted). */
  maxBufferedBytes: number;
  /** Milliseconds to connect at start before giving up. */
  connectTimeoutMs: number;
  log: (msg: string) => void;
}

export const DEFAULT_REDIS_OPTIONS = {
  keyPrefix: 'fjord:',
  peerTimeout: 2700,
  flushMs: 50,
  maxBufferedBytes: 16 << 20,
  connectTimeoutMs: 3000,
};

/** The default node id: host name and process id. */
export const defaultNodeId = (): string => `${hostname()}-${process.pid}`;

/**
 * KEYS: peers, peers:0, gen, done, log.  ARGV: node id, records, peer timeout (s), stream
 * retention (ms). Returns the number of torrents whose completion counts changed.
 */
const APPLY = `
local cur, prev, gen, done, log = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local batch = ARGV[2]
local timeout = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1])
local g = tonumber(redis.call('GET', gen) or '0') or 0
if now - g >= timeout then
  if redis.call('EXISTS', cur) == 1 then redis.call('RENAME', cur, prev) else redis.call('DEL', prev) end
  redis.call('SET', gen, now)
end
local counts = {}
local i, n = 1, #batch
while i <= n do
  local b = string.byte(batch, i)
  local op = b % 4
  if op == 0 then
    local h = string.sub(batch, i + 1, i + 20)
    local want = struct.unpack('>I4', batch, i + 21)
    local have = tonumber(redis.call('HGET', done, h) or '0') or 0
    if want > have then
      redis.call('HSET', done, h, want)
      counts[h] = want
    end
    i = i + 25
  else
    local len = 26
    if math.floor(b / 4) % 2 == 1 then len = 38 end
    local field = string.sub(batch, i + 1, i + len)
    i = i + 1 + len
    local old = redis.call('HGET', cur, field)
    if not old then
      old = redis.call('HGET', prev, field)
      if old then redis.call('HDEL', prev, field) end
    end
    local was = false
    if old and #old == 5 then was = math.floor(string.byte(old, 5) / 2) % 2 == 1 end
    local comp = math.floor(b / 16) % 2 == 1
    if comp and not was then
      local h = string.sub(field, 1, 20)
      counts[h] = redis.call('HINCRBY', done, h, 1)
      was = true
    end
    if op == 1 then
      local flags = math.floor(b / 8) % 2
      if was then flags = flags + 2 end
      redis.call('HSET', cur, field, struct.pack('>I4B', now, flags))
    elseif op == 2 then
      redis.call('HDEL', cur, field)
    end
  end
end
local c = {}
for h, v in pairs(counts) do c[#c + 1] = h .. struct.pack('>I4', v) end
local minid = (now * 1000 + math.floor(tonumber(t[2]) / 1000)) - tonumber(ARGV[4])
redis.call('XADD', log, 'MINID', '~', minid, '*', 'n', ARGV[1], 'b', batch, 'c', table.concat(c))
return #c
`;

type Client = Redis | Cluster;
interface ApplyClient {
  fjordApply(
    k1: string,
    k2: string,
    k3: string,
    k4: string,
    k5: string,
    ...argv: Array<string | Buffer | number>
  ): Promise<number>;
}

/** What a sync has done, for /metrics and the tests. */
export interface SyncCounters {
  /** Script calls (one per flush that had changes). */
  flushes: number;
  /** Change records pushed to Redis. */
  recordsPushed: number;
  /** Change records dropped because the outgoing buffer was full (Redis away). */
  recordsDropped: number;
  /** Stream entries of other nodes applied to the local view. */
  entriesApplied: number;
  /** Records or entries read back from Redis that failed validation. */
  rejected: number;
  /** Full reloads of the local view from Redis (start, and after each outage). */
  reloads: number;
}

export class RedisPeerStore implements PeerStore {
  /** The local view: every node's peers, answered from synchronously. */
  readonly local: SwarmStore;
  readonly completed = new CompletedQueue();
  readonly options: RedisStoreOptions;
  readonly target: RedisTarget;
  readonly sync: SyncCounters = {
    flushes: 0,
    recordsPushed: 0,
    recordsDropped: 0,
    entriesApplied: 0,
    rejected: 0,
    reloads: 0,
  };
  /** Other nodes seen in the stream, and when (ms since the epoch) each was last heard of. */
  readonly nodes = new Map<string, number>();
  /** Whether the last exchange with Redis worked. */
  up = false;
  /** When (ms since the epoch) changes were last pushed and pulled. */
  lastPush = 0;
  lastPull = 0;

  private readonly keys: [string, string, string, string, string];
  private out: Buffer = Buffer.alloc(64 * 1024);
  private outLen = 0;
  /** Changes being sent (a view of sendingBuf), from sendAt; kept when a call fails. */
  private sending: Buffer | null = null;
  private sendingBuf: Buffer | null = null;
  private sendAt = 0;
  /** The buffer that last held sent changes, reused for the next ones. */
  private spare: Buffer | null = null;
  private flushing = false;
  private writer: Client | null = null;
  private reader: Client | null = null;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private pulling: Promise<void> | null = null;
  private lastId = '0-0';
  private needReload = false;
  private remoteRefused = 0;
  private readonly scratch = new Announced();
  private loggedDown = false;
  private loggedReject = false;
  private readonly nodeIdBuf: Buffer;
  private opening: Promise<void> | null = null;

  constructor(options: Partial<RedisStoreOptions> & { url: string }) {
    this.options = {
      peersPerAddress: 8,
      completionsPerAddress: 8,
      counterSlots: 0,
      nodeId: defaultNodeId(),
      log: (m) => process.stderr.write(`${m}\n`),
      ...DEFAULT_REDIS_OPTIONS,
      ...options,
    };
    this.target = parseRedisUrl(options.url);
    this.local = new SwarmStore(this.options);
    this.local.completed.on = true;
    this.nodeIdBuf = Buffer.from(this.options.nodeId);
    const p = `{${this.options.keyPrefix}}`;
    this.keys = [`${p}peers`, `${p}peers:0`, `${p}gen`, `${p}done`, `${p}log`];
  }

  get suspects(): SuspectTable {
    return this.local.suspects;
  }

  /** The Redis keys this store uses (for the tests' cleanup and for operators). */
  get redisKeys(): readonly string[] {
    return this.keys;
  }

  // ---- the hot path: the local view, and one change record appended per announce ----

  announce(
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    peerOff: number,
    v6: boolean,
    seed: boolean,
    event: number,
    tick: number,
    downloadedSome: boolean,
    into: Announced,
  ): void {
    const q = this.local.completed;
    q.count = 0;
    this.local.announce(hash, hashOff, peer, peerOff, v6, seed, event, tick, downloadedSome, into);
    const done = q.count > 0;
    if (done) this.completed.push(hash, hashOff);
    let op: number;
    if (event === EVENT_STOPPED) op = OP_REMOVED;
    else if (into.position >= 0) op = OP_STORED;
    else if (done) op = OP_COMPLETION;
    else return;
    const len = v6 ? 18 : 6;
    const need = 21 + len;
    if (this.outLen + need > this.out.length && !this.grow(need)) {
      this.sync.recordsDropped++;
      return;
    }
    const o = this.out;
    let at = this.outLen;
    o[at++] = op | (v6 ? F_V6 : 0) | (seed ? F_SEED : 0) | (done ? F_COMPLETED : 0);
    for (let i = 0; i < 20; i++) o[at++] = hash[hashOff + i];
    for (let i = 0; i < len; i++) o[at++] = peer[peerOff + i];
    this.outLen = at;
  }

  /** Doubles the outgoing buffer within maxBufferedBytes; false when full. */
  private grow(need: number): boolean {
    if (this.outLen + this.pendingBytes + need > this.options.maxBufferedBytes) return false;
    const size = Math.min(this.options.maxBufferedBytes, Math.max(this.out.length * 2, this.outLen + need));
    if (size < this.outLen + need) return false;
    const next = Buffer.alloc(size);
    this.out.copy(next, 0, 0, this.outLen);
    this.out = next;
    return true;
  }

  selectPeers(from: Announced, v6: boolean, seed: boolean, max: number, out: Buffer, off: number): number {
    return this.local.selectPeers(from, v6, seed, max, out, off);
  }

  scrape(hash: Uint8Array, off: number, into: SwarmCounts): boolean {
    return this.local.scrape(hash, off, into);
  }

  unionCounts(a: Uint8Array, aOff: number, b: Uint8Array | null, bOff: number): SwarmCounts {
    return this.local.unionCounts(a, aOff, b, bOff);
  }

  forEach(each: (hash: Uint8Array, off: number, swarm: SwarmView) => void): void {
    this.local.forEach(each);
  }
  /** The local view's peers (every node's, as last synced). */
  peersOf(hash: Uint8Array, off: number, v6: boolean): PeerRun | null {
    return this.local.peersOf(hash, off, v6);
  }

  /**
   * Into the local view only: the shared store's peers come back from Redis at start (open()), so
   * the memory store's snapshot is never used with this store (src/tracker/tracker.ts).
   */
  restorePeer(
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    peerOff: number,
    v6: boolean,
    seed: boolean,
    completed: boolean,
    tick: number,
  ): boolean {
    return this.local.restorePeer(hash, hashOff, peer, peerOff, v6, seed, completed, tick);
  }

  sweep(nowSeconds: number, timeoutSeconds: number, keep: KeepRule) {
    return this.local.sweep(nowSeconds, timeoutSeconds, keep);
  }

  totals(): StoreTotals {
    return this.local.totals();
  }

  limitCounts(): LimitCounts {
    const c = this.local.limitCounts();
    return { peersRefused: c.peersRefused - this.remoteRefused, completionsIgnored: c.completionsIgnored };
  }

  raiseCompletions(hash: Uint8Array, off: number, n: number): void {
    this.local.raiseCompletions(hash, off, n);
  }

  addCompletion(hash: Uint8Array, off: number): void {
    this.local.addCompletion(hash, off);
  }

  status(): StoreStatus {
    return {
      kind: 'redis',
      up: this.up,
      buffered: this.outLen + this.pendingBytes,
      dropped: this.sync.recordsDropped,
      rejected: this.sync.rejected,
      lastPush: this.lastPush,
      lastPull: this.lastPull,
      nodes: [...this.nodes].map(([id, seen]) => ({ id, seen })),
    };
  }

  // ---- applying other nodes' peers to the local view ----

  /** Another node's stored peer: in the view as it says, without counting anything here. */
  private putRemote(
    buf: Buffer,
    hashOff: number,
    peerOff: number,
    v6: boolean,
    seed: boolean,
    tick: number,
  ): void {
    const a = this.scratch;
    // A leecher turned seeder would count a completion here: remove it first (not a completion).
    if (seed) this.local.announce(buf, hashOff, buf, peerOff, v6, false, EVENT_STOPPED, tick, false, a);
    this.local.announce(buf, hashOff, buf, peerOff, v6, seed, EVENT_NONE, tick, false, a);
    if (a.position < 0) this.remoteRefused++;
  }

  private dropRemote(buf: Buffer, hashOff: number, peerOff: number, v6: boolean, tick: number): void {
    this.local.announce(buf, hashOff, buf, peerOff, v6, false, EVENT_STOPPED, tick, false, this.scratch);
  }

  /** Checks a stream entry's records whole; false (nothing applied) when any is malformed. */
  static validRecords(b: Buffer): boolean {
    let i = 0;
    while (i < b.length) {
      const x = b[i];
      if (x >= 32) return false;
      const op = x & 3;
      if (op === OP_RAISE) {
        if (x !== 0) return false;
        i += 25;
      } else i += 21 + (x & F_V6 ? 18 : 6);
    }
    return i === b.length;
  }

  /** Applies one validated stream entry of another node. */
  private applyEntry(b: Buffer, c: Buffer): void {
    const tick = tickOf(Date.now() / 1000);
    let i = 0;
    while (i < b.length) {
      const x = b[i];
      const op = x & 3;
      if (op === OP_RAISE) {
        i += 25;
        continue;
      }
      const v6 = (x & F_V6) !== 0;
      if (op === OP_STORED) this.putRemote(b, i + 1, i + 21, v6, (x & F_SEED) !== 0, tick);
      else if (op === OP_REMOVED) this.dropRemote(b, i + 1, i + 21, v6, tick);
      i += 21 + (v6 ? 18 : 6);
    }
    this.applyCounts(c);
  }

  /**
   * Completion counts as Redis has them after an entry (its own node's included): the view takes
   * them as they are, so a completion this node counted but Redis did not (the peer had completed
   * on another node) is taken back.
   */
  private applyCounts(c: Buffer): void {
    for (let o = 0; o + 24 <= c.length; o += 24) {
      const n = c.readUInt32BE(o + 20);
      const swarm = this.local.torrents.get(c, o);
      if (swarm === undefined) this.local.raiseCompletions(c, o, n);
      else swarm.downloaded = n;
    }
  }

  private reject(what: string): void {
    this.sync.rejected++;
    if (!this.loggedReject) this.options.log(`swarm store: dropped malformed data read from Redis (${what})`);
    this.loggedReject = true;
  }

  // ---- connection, load at start, push and pull ----

  private client(name: string): Client {
    const t = this.target;
    const base: RedisOptions = {
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      username: t.username,
      password: t.password,
      connectionName: `fjord-${name}`,
      ...(t.tls ? { tls: {} } : {}),
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
    };
    if (t.cluster)
      return new Cluster(t.nodes, {
        lazyConnect: true,
        // Its own slot discovery needs the queue; the nodes' connections fail fast without one.
        redisOptions: { ...base, lazyConnect: false },
        clusterRetryStrategy: (times: number) => Math.min(times * 100, 2000),
      });
    return new Redis({ ...base, host: t.nodes[0].host, port: t.nodes[0].port, db: t.db });
  }

  /**
   * Connects, loads every peer and completion count from Redis into the view, then starts the
   * sync. Throws a one-line error naming the URL when Redis cannot be reached in connectTimeoutMs.
   */
  open(): Promise<void> {
    this.opening ??= this.connectAndLoad();
    return this.opening;
  }

  private async connectAndLoad(): Promise<void> {
    const shown = redactRedisUrl(this.options.url);
    const writer = (this.writer = this.client('writer'));
    const reader = (this.reader = this.client('reader'));
    let lastError = '';
    for (const c of [writer, reader]) c.on('error', (e: Error) => (lastError = e.message));
    writer.defineCommand('fjordApply', { numberOfKeys: 5, lua: APPLY });
    const deadline = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error('timed out')), this.options.connectTimeoutMs);
      t.unref();
    });
    try {
      await Promise.race([Promise.all([writer.connect(), reader.connect()]), deadline]);
      await Promise.race([writer.ping(), deadline]);
    } catch (e) {
      writer.disconnect();
      reader.disconnect();
      const why = lastError || (e instanceof Error ? e.message : String(e));
      throw new Error(`swarm store ${shown}: cannot connect (${why})`);
    }
    for (const c of [writer, reader]) {
      c.removeAllListeners('error');
      c.on('error', (e: Error) => this.down(e));
    }
    writer.on('ready', () => (this.needReload = true));
    await this.reload();
    this.up = true;
    this.running = true;
    this.timer = setInterval(() => void this.flush(), this.options.flushMs);
    this.timer.unref();
    this.pulling = this.pull();
    this.options.log(
      `swarm store: ${shown} as node ${this.options.nodeId}, keys {${this.options.keyPrefix}}*: ` +
        `${this.local.totals().seeders + this.local.totals().leechers} peers of ${this.local.totals().torrents} torrents loaded`,
    );
  }

  /** The writer or the reader failed: said once, until both work again. */
  private down(e: Error): void {
    this.up = false;
    this.needReload = true;
    if (this.loggedDown) return;
    this.loggedDown = true;
    this.options.log(
      `swarm store: Redis ${redactRedisUrl(this.options.url)} unreachable (${e.message}); answering from the local view, changes buffered`,
    );
  }

  /** An exchange worked; `up` again once the other side works too (after a reload). */
  private back(): void {
    if (this.needReload) return;
    this.up = true;
    if (!this.loggedDown) return;
    this.loggedDown = false;
    this.options.log(`swarm store: Redis ${redactRedisUrl(this.options.url)} is back; resynchronised`);
  }

  /** Loads every live peer and every completion count from Redis into the view. */
  private async reload(): Promise<void> {
    const r = this.reader!;
    const [cur, prev, , done, log] = this.keys;
    const last = (await r.xrevrange(log, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    const time = await r.time();
    const now = Number(time[0]);
    const timeout = this.options.peerTimeout;
    const tick = tickOf(Date.now() / 1000);
    for (const key of [prev, cur]) {
      let cursor = '0';
      do {
        const [next, items] = await r.hscanBuffer(key, cursor, 'COUNT', 1000);
        cursor = next.toString();
        for (let i = 0; i + 1 < items.length; i += 2) {
          const f = items[i];
          const v = items[i + 1];
          if ((f.length !== 26 && f.length !== 38) || v.length !== 5 || v[4] > 3) {
            this.reject(`peer record of ${f.length} and ${v.length} bytes in ${key}`);
            continue;
          }
          const seen = v.readUInt32BE(0);
          if (now - seen > timeout) continue;
          this.putRemote(f, 0, 20, f.length === 38, (v[4] & 1) !== 0, tick);
        }
      } while (cursor !== '0');
    }
    let cursor = '0';
    do {
      const [next, items] = await r.hscanBuffer(done, cursor, 'COUNT', 1000);
      cursor = next.toString();
      for (let i = 0; i + 1 < items.length; i += 2) {
        const n = Number(items[i + 1].toString());
        if (items[i].length !== 20 || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
          this.reject(`completion count ${items[i + 1].toString().slice(0, 20)} in ${done}`);
          continue;
        }
        this.local.raiseCompletions(items[i], 0, n);
      }
    } while (cursor !== '0');
    if (last.length > 0) this.lastId = last[0][0];
    this.sync.reloads++;
    this.lastPull = Date.now();
  }

  /** Pushes this node's changes since the last flush (one script call per MAX_CALL_BYTES). */
  async flush(): Promise<void> {
    if (this.flushing || this.writer === null) return;
    this.flushing = true;
    try {
      for (;;) {
        if (this.sending === null) {
          if (this.outLen === 0) break;
          // Double buffering: what is pending is sent from where it is, announces fill the other.
          this.sending = this.out.subarray(0, this.outLen);
          this.sendingBuf = this.out;
          this.sendAt = 0;
          this.out = this.spare ?? Buffer.alloc(64 * 1024);
          this.spare = null;
          this.outLen = 0;
        }
        const w = this.writer as unknown as ApplyClient;
        while (this.sendAt < this.sending.length) {
          const n = cut(this.sending, this.sendAt, MAX_CALL_BYTES);
          const batch = this.sending.subarray(this.sendAt, this.sendAt + n);
          await w.fjordApply(...this.keys, this.nodeIdBuf, batch, this.options.peerTimeout, LOG_RETAIN_MS);
          this.sendAt += n;
          this.sync.flushes++;
          this.sync.recordsPushed += countRecords(batch);
          this.lastPush = Date.now();
          this.back();
        }
        this.spare = this.sendingBuf;
        this.sending = this.sendingBuf = null;
      }
    } catch (e) {
      // The batch in flight stays in `sending` and is tried again first.
      this.down(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.flushing = false;
    }
  }

  /** Bytes of changes taken for sending and not yet accepted by Redis. */
  private get pendingBytes(): number {
    return this.sending === null ? 0 : this.sending.length - this.sendAt;
  }

  /**
   * After an outage, Redis may have lost what it held (a restart without persistence): every
   * completion count this node knows is sent again as "at least this many".
   */
  private queueResync(): void {
    this.local.forEach((hash, off, swarm) => {
      if (swarm.downloaded === 0) return;
      if (this.outLen + 25 > this.out.length && !this.grow(25)) {
        this.sync.recordsDropped++;
        return;
      }
      const o = this.out;
      o[this.outLen] = OP_RAISE;
      o.set(hash.subarray(off, off + 20), this.outLen + 1);
      o.writeUInt32BE(Math.min(swarm.downloaded, 0xffffffff), this.outLen + 21);
      this.outLen += 25;
    });
  }

  /** Reads other nodes' entries from the stream and applies them, until close(). */
  private async pull(): Promise<void> {
    const r = this.reader!;
    const log = this.keys[4];
    while (this.running) {
      try {
        if (this.needReload) {
          this.needReload = false;
          await this.reload();
          this.queueResync();
        }
        const res = (await r.xreadBuffer('COUNT', 256, 'BLOCK', 500, 'STREAMS', log, this.lastId)) as Array<
          [Buffer, Array<[Buffer, Buffer[]]>]
        > | null;
        this.lastPull = Date.now();
        this.back();
        if (res === null) continue;
        for (const [, entries] of res)
          for (const [id, fields] of entries) {
            this.lastId = id.toString();
            this.entry(fields);
          }
      } catch (e) {
        if (!this.running) break;
        this.down(e instanceof Error ? e : new Error(String(e)));
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  }

  private entry(fields: Buffer[]): void {
    let node: Buffer | null = null;
    let b: Buffer | null = null;
    let c: Buffer | null = null;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const k = fields[i].toString();
      if (k === 'n') node = fields[i + 1];
      else if (k === 'b') b = fields[i + 1];
      else if (k === 'c') c = fields[i + 1];
    }
    if (node === null || b === null || c === null || node.length === 0 || node.length > 200)
      return this.reject('stream entry without node, records or counts');
    if (c.length % 24 !== 0)
      return this.reject(`stream entry of node ${node.toString().slice(0, 64)}: bad count lengths`);
    // This node's own entry: its records are in the view already; only the counts are news.
    if (node.equals(this.nodeIdBuf)) return this.applyCounts(c);
    if (!RedisPeerStore.validRecords(b))
      return this.reject(`stream entry of node ${node.toString().slice(0, 64)}: bad record lengths`);
    this.nodes.set(node.toString(), Date.now());
    this.applyEntry(b, c);
    this.sync.entriesApplied++;
  }

  /** Pushes what is left, stops the sync and disconnects. */
  async close(): Promise<void> {
    await this.opening?.catch(() => {});
    if (this.writer === null) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.running = false;
    if (this.up) {
      while (this.flushing) await new Promise((r) => setTimeout(r, 5));
      await this.flush();
    }
    this.reader?.disconnect();
    await this.pulling;
    this.writer.disconnect();
    this.writer = this.reader = null;
  }
}

/** The length of the whole records from `at` within `max` bytes (one record at least). */
function cut(b: Buffer, at: number, max: number): number {
  let i = at;
  for (;;) {
    const len = (b[i] & 3) === OP_RAISE ? 25 : 21 + (b[i] & F_V6 ? 18 : 6);
    if (i + len - at > max) return i === at ? len : i - at;
    i += len;
    if (i >= b.length) return i - at;
  }
}

function countRecords(b: Buffer): number {
  let n = 0;
  for (let i = 0; i < b.length; n++) i += (b[i] & 3) === OP_RAISE ? 25 : 21 + (b[i] & F_V6 ? 18 : 6);
  return n;
}
