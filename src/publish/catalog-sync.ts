/**
 * Keeps a running `fjord serve` in step with the catalog, which other processes write (`fjord
 * publish`, `fjord unpublish`, later the admin area), with no restart and no signal.
 *
 * Every `pollMs` (1 s) it reads catalogVersion(), one small indexed query whose value changes on any
 * write and whenever a rights window opens or closes. When it changes, when the next window edge
 * (nextRightsChange) arrives (a timer aimed at that instant, so a window closing at 18:00:00 takes
 * effect then and not up to a poll later), and at least every `refreshMs` (60 s) whatever happens,
 * it reads the distributable episodes and hands a snapshot to its listeners: the tracker's access
 * list and the web seed. A failed read (a PostgreSQL restart) keeps the previous snapshot, is logged
 * once, and is retried at the next poll; a window edge that passes meanwhile is decided from the
 * episodes and rights last read, so it still takes effect on time.
 *
 * Changes between snapshots are logged as events: an episode distributed, withdrawn, or whose window
 * closed.
 */
import {
  isDistributable,
  nextRightsChange,
  truncateV2,
  type Catalog,
  type DistributableHashes,
  type Episode,
} from '../catalog/index.js';

export interface CatalogSnapshot extends DistributableHashes {
  at: Date;
  version: string;
  /** The episodes distributable at `at`. */
  episodes: Episode[];
  /** When the distributable set changes next by the clock alone, or null. */
  nextChange: Date | null;
}

export interface CatalogSyncOptions {
  pollMs?: number;
  refreshMs?: number;
  log?: (msg: string) => void;
  now?: () => Date;
}

/** setTimeout's largest delay; edges further away are reached by the periodic refresh first anyway. */
const MAX_DELAY = 2 ** 31 - 1;

export class CatalogSync {
  private readonly pollMs: number;
  private readonly refreshMs: number;
  private readonly log: (msg: string) => void;
  private readonly now: () => Date;
  private readonly listeners: Array<(s: CatalogSnapshot) => void> = [];
  private snapshot: CatalogSnapshot | null = null;
  private lastRead = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastError: string | null = null;
  private running: Promise<void> | null = null;
  /** Every episode as last read (distributable or not): what a window edge is decided on offline. */
  private all: Episode[] = [];

  constructor(
    private readonly catalog: Catalog,
    options: CatalogSyncOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.refreshMs = options.refreshMs ?? 60_000;
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  /** The last snapshot read (null before start). */
  get current(): CatalogSnapshot | null {
    return this.snapshot;
  }

  /** Calls fn with every new snapshot (and at once with the current one, if any). */
  onChange(fn: (s: CatalogSnapshot) => void): void {
    this.listeners.push(fn);
    if (this.snapshot) fn(this.snapshot);
  }

  /** Reads the catalog once (a failure here is thrown: serve should not start blind), then polls. */
  async start(): Promise<CatalogSnapshot> {
    const now = this.now();
    const s = await this.read(now, await this.catalog.catalogVersion(now));
    this.schedule();
    return s;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Waits for a read in progress (tests, shutdown). */
  async settled(): Promise<void> {
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    let delay = this.pollMs;
    const edge = this.snapshot?.nextChange;
    if (edge) delay = Math.min(delay, Math.max(0, edge.getTime() - this.now().getTime()));
    this.timer = setTimeout(
      () => {
        this.running = this.tick().finally(() => {
          this.running = null;
          this.schedule();
        });
      },
      Math.min(delay, MAX_DELAY),
    );
    // Never the reason a process stays alive: the listeners are.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const now = this.now();
    try {
      const version = await this.catalog.catalogVersion(now);
      const edge = this.snapshot?.nextChange;
      const due =
        version !== this.snapshot?.version ||
        (edge !== null && edge !== undefined && now.getTime() >= edge.getTime()) ||
        now.getTime() - this.lastRead >= this.refreshMs;
      if (due) await this.read(now, version);
      if (this.lastError !== null) this.log('catalog: reading again');
      this.lastError = null;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError)
        this.log(`catalog: cannot read (${message}); keeping the previous lists, retrying`);
      this.lastError = message;
      // A window that opens or closes while the database is down still does so on time: the rights
      // were read with the episodes.
      const edge = this.snapshot?.nextChange;
      if (edge && now.getTime() >= edge.getTime()) this.decideOffline(now);
    }
  }

  /** A snapshot from the episodes last read and the clock alone (the catalog cannot be read). */
  private decideOffline(now: Date): void {
    const previous = this.snapshot;
    if (previous === null) return;
    const episodes = this.all.filter((e) => isDistributable(e.rights, e.withdrawnAt, now));
    const allowed = [...new Set(episodes.flatMap(trackerHashes))];
    const still = new Set(allowed);
    // What was allowed and no longer is joins the "no longer available" list, as the catalog does.
    const withdrawn = [...new Set([...previous.withdrawn, ...previous.allowed])].filter((h) => !still.has(h));
    const snapshot: CatalogSnapshot = {
      allowed,
      withdrawn,
      at: now,
      version: previous.version,
      episodes,
      nextChange: nextRightsChange(this.all, now),
    };
    this.snapshot = snapshot;
    this.logChanges(previous, snapshot, this.all, now);
    this.publish(snapshot);
  }

  private publish(snapshot: CatalogSnapshot): void {
    for (const fn of this.listeners) {
      try {
        fn(snapshot);
      } catch (err) {
        this.log(`catalog: a listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async read(now: Date, version: string): Promise<CatalogSnapshot> {
    const hashes = await this.catalog.distributableInfoHashes(now);
    const all = await this.catalog.listEpisodes();
    const nextChange = await this.catalog.nextRightsChange(now);
    const episodes = all.filter((e) => isDistributable(e.rights, e.withdrawnAt, now));
    const previous = this.snapshot;
    const snapshot: CatalogSnapshot = { ...hashes, at: now, version, episodes, nextChange };
    this.snapshot = snapshot;
    this.all = all;
    this.lastRead = now.getTime();
    this.logChanges(previous, snapshot, all, now);
    this.publish(snapshot);
    return snapshot;
  }

  private logChanges(
    previous: CatalogSnapshot | null,
    next: CatalogSnapshot,
    all: Episode[],
    now: Date,
  ): void {
    // The first read is summed up by whoever started the sync (serve, once its listeners are up).
    if (previous === null) return;
    const label = (e: Episode): string =>
      `${e.seriesSlug} s${String(e.season).padStart(2, '0')}e${String(e.episode).padStart(2, '0')} "${e.title}"`;
    const before = new Set(previous.episodes.map((e) => e.id));
    const after = new Set(next.episodes.map((e) => e.id));
    for (const e of next.episodes) if (!before.has(e.id)) this.log(`catalog: distributing ${label(e)}`);
    for (const e of all) {
      if (!before.has(e.id) || after.has(e.id)) continue;
      const why =
        e.withdrawnAt !== null && e.withdrawnAt.getTime() <= now.getTime()
          ? 'withdrawn'
          : e.rights.availableUntil !== null && e.rights.availableUntil.getTime() <= now.getTime()
            ? 'window closed'
            : 'rights changed';
      this.log(`catalog: no longer distributing ${label(e)} (${why})`);
    }
  }
}

/** The 20-byte names clients announce an episode's torrents under (as distributableInfoHashes). */
function trackerHashes(e: Episode): string[] {
  return e.torrents.flatMap((t) =>
    [t.infoHashV1, t.infoHashV2 === null ? null : truncateV2(t.infoHashV2), t.infoHashAria2].filter(
      (h): h is string => h !== null,
    ),
  );
}
