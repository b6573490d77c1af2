/**
 * Which torrents this tracker serves.
 *
 * Sources, combined into one lookup table that is rebuilt off the hot path and swapped in one
 * assignment (requests in flight keep the table they started with; none is dropped):
 *   - the list file (one hex info hash a line, `#` comments), reloaded on SIGHUP and on change;
 *   - hashes added or removed through the admin API (kept in DATA/access-admin.json);
 *   - the catalog (published, cleared episodes inside their rights window, and those withdrawn).
 * In whitelist mode a torrent must be listed; in blacklist mode a listed torrent is refused; in open
 * mode all are served. A withdrawn programme is refused in every mode, with its own message.
 */
import { existsSync, readFileSync, renameSync, writeFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InfoHashTable } from '../swarm/info-hash-table.js';
import type { AccessMode } from '../config.js';

export const ALLOWED = 0;
export const NOT_ALLOWED = 1;
export const WITHDRAWN = 2;

export const MESSAGE_NOT_ALLOWED = 'torrent not allowed on this tracker';
export const MESSAGE_WITHDRAWN = 'this programme is no longer available';

const LISTED = 1;
const GONE = 2;

export interface ListProblem {
  line: number;
  text: string;
  reason: string;
}

export interface FileLoadResult {
  count: number;
  problems: ListProblem[];
}

/** Parses list file text: hex hashes (40 digits) one a line; `#` starts a comment. */
export function parseListText(text: string): { hashes: string[]; problems: ListProblem[] } {
  const hashes: string[] = [];
  const problems: ListProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const hash = raw.replace(/#.*/, '').trim();
    if (hash === '') continue;
    if (!/^[0-9a-fA-F]{40}$/.test(hash)) {
      problems.push({ line: i + 1, text: raw.slice(0, 80), reason: 'not a 40-digit hex info hash' });
      continue;
    }
    hashes.push(hash.toLowerCase());
  }
  return { hashes, problems };
}

export class AccessList {
  private table = new InfoHashTable<number>(64);
  private fileHashes = new Set<string>();
  private adminAdded = new Set<string>();
  private adminRemoved = new Set<string>();
  private catalogAllowed = new Set<string>();
  private catalogWithdrawn = new Set<string>();
  private watcher: FSWatcher | null = null;
  private watchTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly mode: AccessMode,
    readonly file: string | null,
    private readonly adminFile: string | null,
    private readonly log: (msg: string) => void = () => {},
  ) {
    if (adminFile && existsSync(adminFile)) {
      try {
        const saved = JSON.parse(readFileSync(adminFile, 'utf8')) as { added?: string[]; removed?: string[] };
        for (const h of saved.added ?? []) if (/^[0-9a-f]{40}$/.test(h)) this.adminAdded.add(h);
        for (const h of saved.removed ?? []) if (/^[0-9a-f]{40}$/.test(h)) this.adminRemoved.add(h);
      } catch (e) {
        this.log(`access: ignoring unreadable ${adminFile}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.rebuild();
  }

  /** ALLOWED, NOT_ALLOWED or WITHDRAWN for the 20-byte hash at buf[off]. */
  check(buf: Uint8Array, off: number): number {
    const v = this.table.get(buf, off);
    if (v === GONE) return WITHDRAWN;
    if (this.mode === 'whitelist') return v === LISTED ? ALLOWED : NOT_ALLOWED;
    if (this.mode === 'blacklist') return v === LISTED ? NOT_ALLOWED : ALLOWED;
    return ALLOWED;
  }

  checkHex(hex: string): number {
    return this.check(Buffer.from(hex, 'hex'), 0);
  }

  /** Listed hashes (for stats and the admin API). */
  listed(): string[] {
    return [...this.combined().listed].sort();
  }

  private combined(): { listed: Set<string>; gone: Set<string> } {
    const listed = new Set<string>();
    for (const h of this.fileHashes) if (!this.adminRemoved.has(h)) listed.add(h);
    for (const h of this.adminAdded) listed.add(h);
    // In blacklist mode the catalog's torrents are the broadcaster's own: never on the block list.
    if (this.mode === 'whitelist') for (const h of this.catalogAllowed) listed.add(h);
    const gone = new Set<string>();
    for (const h of this.catalogWithdrawn) if (!this.catalogAllowed.has(h)) gone.add(h);
    return { listed, gone };
  }

  private rebuild(): void {
    const { listed, gone } = this.combined();
    const t = new InfoHashTable<number>(listed.size + gone.size + 16);
    for (const h of listed) t.set(Buffer.from(h, 'hex'), 0, LISTED);
    for (const h of gone) t.set(Buffer.from(h, 'hex'), 0, GONE);
    this.table = t; // the swap: one assignment
  }

  /**
   * (Re)reads the list file. A file that cannot be read leaves the current list in place; bad
   * lines are reported and skipped, never emptying the list.
   */
  loadFile(): FileLoadResult {
    if (!this.file) return { count: 0, problems: [] };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read list ${this.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const { hashes, problems } = parseListText(text);
    for (const p of problems) this.log(`access: ${this.file}:${p.line}: ${p.reason}: "${p.text}" (skipped)`);
    this.fileHashes = new Set(hashes);
    this.rebuild();
    return { count: this.fileHashes.size, problems };
  }

  /** Reloads the file whenever it changes (its folder is watched, so editors that replace it work). */
  watchFile(): void {
    if (!this.file || this.watcher) return;
    const name = basename(this.file);
    try {
      this.watcher = watch(dirname(this.file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        if (this.watchTimer) clearTimeout(this.watchTimer);
        // Debounce: editors write in several steps.
        this.watchTimer = setTimeout(() => {
          this.watchTimer = null;
          try {
            const r = this.loadFile();
            this.log(`access: reloaded ${this.file} after a change: ${r.count} hashes`);
          } catch (e) {
            this.log(`access: ${e instanceof Error ? e.message : String(e)}; keeping the previous list`);
          }
        }, 100);
      });
      this.watcher.unref();
    } catch (e) {
      this.log(
        `access: cannot watch ${this.file}: ${e instanceof Error ? e.message : String(e)}; SIGHUP still reloads`,
      );
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.watchTimer) clearTimeout(this.watchTimer);
  }

  /** Admin API: list a hash (whitelist: allow it; blacklist: block it). */
  add(hex: string): void {
    const h = hex.toLowerCase();
    this.adminRemoved.delete(h);
    this.adminAdded.add(h);
    this.saveAdmin();
    this.rebuild();
  }

  /** Admin API: unlist a hash, also overriding the file until it is added again. */
  remove(hex: string): boolean {
    const h = hex.toLowerCase();
    const was = this.adminAdded.delete(h) || this.fileHashes.has(h);
    this.adminRemoved.add(h);
    this.saveAdmin();
    this.rebuild();
    return was;
  }

  /** The catalog's view: programmes cleared for distribution now, and those withdrawn. */
  setCatalog(allowed: Iterable<string>, withdrawn: Iterable<string>): void {
    this.catalogAllowed = new Set([...allowed].map((h) => h.toLowerCase()));
    this.catalogWithdrawn = new Set([...withdrawn].map((h) => h.toLowerCase()));
    this.rebuild();
  }

  private saveAdmin(): void {
    if (!this.adminFile) return;
    const tmp = join(dirname(this.adminFile), `.${basename(this.adminFile)}.tmp`);
    writeFileSync(
      tmp,
      JSON.stringify({ added: [...this.adminAdded].sort(), removed: [...this.adminRemoved].sort() }),
    );
    renameSync(tmp, this.adminFile);
  }
}
