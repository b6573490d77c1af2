/**
 * Per-torrent completion counts, kept across restarts and crashes in the data directory:
 *
 *   downloaded.bin  the snapshot: every torrent's count, rewritten on the periodic save (saveInterval)
 *                   and at shutdown, atomically (temporary file, fsync, rename, fsync of the folder).
 *   downloaded.log  the journal: one record per completion counted since that snapshot, appended
 *                   within JOURNAL_FLUSH_MS of the announce (write, then fdatasync), so a `kill -9`
 *                   or a power cut loses at most that much; replayed at start, then folded into a
 *                   new snapshot and started afresh.
 *
 * Snapshot, version 2 (big-endian):
 *   0 "FJDL"  4 u32 version (2)  8 u32 count  12 u32 journal sequence it includes  16 u32 CRC-32 of 0..15
 *   20 + 28 i: info hash (20)  u32 downloaded  u32 CRC-32 of those 24 bytes
 * Version 1 (read, never written): "FJDL" u32 1 u32 count, then count x (info hash, u32 downloaded).
 *
 * Journal: 0 "FJCL"  4 u32 version (1)  8 u32 sequence  12 u32 CRC-32 of 0..11;
 *   16 + 24 i: info hash (20)  u32 CRC-32 of the hash.
 * A new journal gets the next sequence number; one whose sequence the snapshot already includes is
 * not replayed (a crash between writing the snapshot and starting the new journal).
 *
 * Damage never keeps the tracker down: every record that checks out is used, the damaged file is
 * renamed to <name>.damaged-<UTC time> for inspection, and the log says so loudly. A journal's torn
 * last record (a crash in mid-append) is expected and ignored quietly.
 */
import { closeSync, existsSync, fdatasync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { PeerStore } from '../swarm/peer-store.js';
import { encodeCounts, readCounts, setAside, writeAtomic } from '../storage/counts-file.js';

const JOURNAL_MAGIC = 'FJCL';
const JOURNAL_HEAD = 16;
const RECORD = 24;
/** Completions reach the journal (written and fdatasync'ed) within this many milliseconds. */
export const JOURNAL_FLUSH_MS = 250;

export type Log = (msg: string) => void;

/** The completion counts on disk: the snapshot and the journal of one tracker's store. */
export class CompletionState {
  readonly snapshotPath: string;
  readonly journalPath: string;
  private seq = 0;
  private fd = -1;
  private syncing = false;
  private again = false;
  /** Descriptors of replaced journals, closed once the fdatasync in flight on them is done. */
  private retired: number[] = [];
  private writeFailed = false;

  constructor(
    dataDir: string,
    private readonly store: PeerStore,
    private readonly log: Log,
  ) {
    this.snapshotPath = join(dataDir, 'downloaded.bin');
    this.journalPath = join(dataDir, 'downloaded.log');
    store.completed.on = true;
  }

  /**
   * Loads the snapshot and replays the journal into the store, sets damaged files aside, then writes
   * a fresh snapshot and journal. Returns the torrents with counts and the completions replayed.
   */
  load(): { torrents: number; replayed: number } {
    const snap = readCounts(this.snapshotPath);
    let torrents = 0;
    if (snap !== null) {
      for (const [key, n] of snap.entries) {
        this.store.raiseCompletions(key, 0, n);
      }
      torrents = snap.entries.length;
      this.seq = snap.seq;
      if (snap.problem !== null) {
        const aside = setAside(this.snapshotPath);
        this.log(
          `state: DAMAGED ${this.snapshotPath}: ${snap.problem}; kept the ${torrents} readable records, ` +
            `the damaged file is now ${basename(aside)}`,
        );
      }
    }
    const replayed = this.replay(snap?.seq ?? 0);
    try {
      this.compact();
    } catch (e) {
      this.log(
        `state: CANNOT WRITE ${this.snapshotPath} (${message(e)}): completions are not kept until it can`,
      );
    }
    return { torrents, replayed };
  }

  private replay(included: number): number {
    const path = this.journalPath;
    if (!existsSync(path)) return 0;
    const buf = readFileSync(path);
    if (
      buf.length < JOURNAL_HEAD ||
      buf.toString('latin1', 0, 4) !== JOURNAL_MAGIC ||
      buf.readUInt32BE(4) !== 1 ||
      buf.readUInt32BE(12) !== crc32(buf.subarray(0, 12))
    ) {
      if (buf.length === 0) return 0;
      const aside = setAside(path);
      this.log(
        `state: DAMAGED ${path}: bad header; no completions replayed, the file is now ${basename(aside)}`,
      );
      return 0;
    }
    const seq = buf.readUInt32BE(8);
    if (seq <= included && included !== 0) return 0;
    this.seq = Math.max(this.seq, seq);
    const whole = Math.floor((buf.length - JOURNAL_HEAD) / RECORD);
    let replayed = 0;
    let bad = 0;
    for (let i = 0; i < whole; i++) {
      const o = JOURNAL_HEAD + i * RECORD;
      if (buf.readUInt32BE(o + 20) !== crc32(buf.subarray(o, o + 20))) {
        // A wrong last record is a torn append, like a short tail; one before it is damage.
        if (i < whole - 1 || JOURNAL_HEAD + whole * RECORD < buf.length) bad++;
        continue;
      }
      this.store.addCompletion(buf, o);
      replayed++;
    }
    const torn = (buf.length - JOURNAL_HEAD) % RECORD !== 0;
    if (bad > 0) {
      const aside = setAside(path, true);
      this.log(
        `state: DAMAGED ${path}: ${bad} records with a wrong checksum skipped, ${replayed} replayed; ` +
          `a copy is kept as ${basename(aside)}`,
      );
    } else if (torn) this.log(`state: ${path}: ignored a torn last record (a crash while appending)`);
    if (replayed > 0) this.log(`state: replayed ${replayed} completions from ${basename(path)}`);
    return replayed;
  }

  /** Appends the completions counted since the last call; then fdatasync (asynchronously). */
  flush(): void {
    const q = this.store.completed;
    if (q.count === 0 || this.fd < 0) return;
    const buf = Buffer.alloc(q.count * RECORD);
    for (let i = 0; i < q.count; i++) {
      const o = i * RECORD;
      q.bytes.copy(buf, o, i * 20, i * 20 + 20);
      buf.writeUInt32BE(crc32(buf.subarray(o, o + 20)), o + 20);
    }
    try {
      writeSync(this.fd, buf);
      q.count = 0;
      this.writeFailed = false;
    } catch (e) {
      // Kept in the queue (and in memory): the next flush or the next snapshot writes them.
      if (!this.writeFailed) this.log(`state: cannot append to ${this.journalPath}: ${message(e)}`);
      this.writeFailed = true;
      return;
    }
    this.sync();
  }

  /** One fdatasync at a time; appends made while one runs get another after it. */
  private sync(): void {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    fdatasync(this.fd, () => {
      this.syncing = false;
      for (const fd of this.retired.splice(0)) closeSync(fd);
      if (this.again && this.fd >= 0) {
        this.again = false;
        this.sync();
      }
    });
  }

  /**
   * Writes every count into a new snapshot that includes the current journal, then starts the next
   * journal (empty). Synchronous: no completion can slip in between.
   */
  compact(): void {
    const entries: Array<[Uint8Array, number]> = [];
    this.store.forEach((key, off, swarm) => {
      if (swarm.downloaded > 0) entries.push([key.slice(off, off + 20), swarm.downloaded]);
    });
    writeAtomic(this.snapshotPath, encodeCounts(entries, this.seq));
    this.store.completed.count = 0;
    this.seq++;
    const head = Buffer.alloc(JOURNAL_HEAD);
    head.write(JOURNAL_MAGIC, 0, 'latin1');
    head.writeUInt32BE(1, 4);
    head.writeUInt32BE(this.seq >>> 0, 8);
    head.writeUInt32BE(crc32(head.subarray(0, 12)), 12);
    // Appends to the old journal would not be replayed now (the snapshot includes its sequence): if
    // the new one cannot be made, completions wait in the queue for the next snapshot.
    this.retire();
    writeAtomic(this.journalPath, head);
    this.fd = openSync(this.journalPath, 'a', 0o600);
  }

  private retire(): void {
    if (this.fd < 0) return;
    if (this.syncing) this.retired.push(this.fd);
    else closeSync(this.fd);
    this.fd = -1;
  }

  close(): void {
    this.retire();
  }
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
