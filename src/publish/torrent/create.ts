/**
 * createTorrent: a file or a folder in, .torrent bytes and info hashes out.
 *
 * Reproducible: the info dictionary holds only what the content determines (names, lengths, hashes,
 * piece length, mode, and the private flag when asked for), in a fixed file order, with no creation
 * date and no tool name. `created by: fjord` sits outside it, and there is no creation date at all,
 * so the same content and options give byte-identical .torrent files.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { bencode, type BDict } from '../../protocol/bencode.js';
import { magnetLink } from '../../protocol/magnet.js';
import { aria2InfoHash, BLOCK_SIZE, merkleRoot, padHash, v1TwinInfoHash } from '../../protocol/metainfo.js';
import type { UnitResult } from './hasher.js';
import { checkPieceLength, choosePieceLength, planTorrent, type Plan, type TorrentMode } from './layout.js';
import { runInline, runOnWorkers } from './pool.js';
import { compareComponentwise, compareWholePath, scanSource } from './source.js';

export interface CreateTorrentOptions {
  /** 'hybrid' (default): v1 and v2 in one torrent; 'v1' for old clients; 'v2' for v2 clients only. */
  mode?: TorrentMode;
  /** Tracker URLs: the first is `announce`; each gets its own tier in `announce-list`. */
  announce?: string[];
  /** Web seed URLs (BEP 19 `url-list`). */
  webSeeds?: string[];
  /** Bytes; a power of two of at least 16 KiB. Default: chosen from the total size. */
  pieceLength?: number;
  /** The torrent's name. Default: the file's or folder's own name. */
  name?: string;
  /** Sets the private flag (BEP 27), which is inside the info dictionary. Default off. */
  private?: boolean;
  /** Worker threads. Default: os.availableParallelism(). */
  threads?: number;
  /** Hash on the calling thread instead of workers. Default: only when under 4 MiB in all. */
  inline?: boolean;
  /**
   * The calling thread hashes too, as one of `threads`, starting at once while the workers start
   * (see runOnWorkers). For a command-line process with nothing else to do; default false, as it
   * keeps the event loop busy.
   */
  callingThread?: boolean;
  /** Called as data is hashed, with file bytes done so far and in all. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export interface CreatedFile {
  path: string[];
  length: number;
  padding: boolean;
}

export interface CreatedTorrent {
  torrent: Buffer;
  name: string;
  mode: TorrentMode;
  pieceLength: number;
  /** Hex SHA-1 of the info dictionary (v1 and hybrid). */
  infoHashV1?: string;
  /** Hex SHA-256 of the info dictionary (v2 and hybrid). */
  infoHashV2?: string;
  /** Hybrid: the hash aria2 announces instead of the v1 hash (src/protocol/metainfo.ts aria2InfoHash). */
  infoHashAria2?: string;
  /** Hybrid: the v1 hash of its v1 twin (src/protocol/metainfo.ts v1Twin). */
  infoHashV1Twin?: string;
  /** In the v1 list's order, padding files included (v2: in the file tree's order). */
  files: CreatedFile[];
  totalSize: number;
  magnet: string;
}

const INLINE_BELOW = 4 * 1024 * 1024;

/** A file tree key: the UTF-8 bytes of a path component, as the latin1 string bencode writes as is. */
const treeKey = (component: string): string => Buffer.from(component, 'utf8').toString('latin1');

export async function createTorrent(
  path: string,
  options: CreateTorrentOptions = {},
): Promise<CreatedTorrent> {
  const mode = options.mode ?? 'hybrid';
  if (mode !== 'v1' && mode !== 'v2' && mode !== 'hybrid')
    throw new Error(`unknown torrent mode ${String(mode)}`);
  const source = await scanSource(path);
  const name = options.name ?? source.baseName;
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
    throw new Error(`the name ${JSON.stringify(name)} cannot be a file or folder name`);
  const files = source.single
    ? [{ ...source.files[0], path: [name] }]
    : [...source.files].sort((a, b) =>
        mode === 'v1' ? compareWholePath(a.path, b.path) : compareComponentwise(a.path, b.path),
      );
  const contentBytes = files.reduce((s, f) => s + f.length, 0);
  if (contentBytes === 0) throw new Error(`${path} holds only empty files: nothing to share`);
  const pieceLength = options.pieceLength ?? choosePieceLength(contentBytes);
  checkPieceLength(pieceLength);
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const plan = planTorrent(files, mode, pieceLength, threads);

  let done = 0;
  const onBytes = (n: number): void => {
    done += n;
    options.onProgress?.(done, contentBytes);
  };
  options.onProgress?.(0, contentBytes);
  const inline = options.inline ?? contentBytes < INLINE_BELOW;
  const results = inline
    ? runInline(plan.jobs, onBytes)
    : await runOnWorkers(plan.jobs, threads, onBytes, options.callingThread === true);

  const { info, pieceLayers } = buildInfo(plan, name, source.single, results, options.private === true);
  const top: BDict = { 'created by': 'fjord', info };
  const announce = options.announce ?? [];
  if (announce.length > 0) top.announce = announce[0];
  // One tier per URL, in the order given (as mktorrent's repeated -a): clients use the first tracker
  // and move to the next only when it fails, so each viewer is counted once, by one tracker.
  if (announce.length > 1) top['announce-list'] = announce.map((u) => [u]);
  if (options.webSeeds && options.webSeeds.length > 0) top['url-list'] = options.webSeeds;
  if (pieceLayers) top['piece layers'] = pieceLayers;
  const infoBytes = bencode(info);
  const torrent = bencode(top);

  const created: CreatedTorrent = {
    torrent,
    name,
    mode,
    pieceLength,
    files: listFiles(plan),
    totalSize: contentBytes,
    magnet: '',
  };
  if (mode !== 'v2') created.infoHashV1 = createHash('sha1').update(infoBytes).digest('hex');
  if (mode !== 'v1') created.infoHashV2 = createHash('sha256').update(infoBytes).digest('hex');
  if (mode === 'hybrid') {
    created.infoHashAria2 = aria2InfoHash(infoBytes);
    created.infoHashV1Twin = v1TwinInfoHash(infoBytes);
  }
  created.magnet = magnetLink({
    v1: created.infoHashV1,
    v2: created.infoHashV2,
    name,
    trackers: announce,
    webSeeds: options.webSeeds ?? [],
  });
  return created;
}

function listFiles(plan: Plan): CreatedFile[] {
  if (plan.mode === 'v2') return plan.files.map((f) => ({ path: f.path, length: f.length, padding: false }));
  return plan.v1.map((e) =>
    'pad' in e
      ? { path: ['.pad', String(e.length)], length: e.length, padding: true }
      : { path: plan.files[e.file].path, length: e.length, padding: false },
  );
}

function buildInfo(
  plan: Plan,
  name: string,
  single: boolean,
  results: UnitResult[][],
  isPrivate: boolean,
): { info: BDict; pieceLayers?: BDict } {
  const pl = plan.pieceLength;
  const info: BDict = { name: Buffer.from(name, 'utf8'), 'piece length': pl };
  if (isPrivate) info.private = 1;

  // v1: the SHA-1s of each unit go to its place in the one `pieces` string.
  if (plan.mode !== 'v2') {
    const pieces = Buffer.alloc(plan.v1Pieces * 20);
    // A padding-only piece cannot occur (padding is shorter than a piece and follows file data), so
    // every piece is covered by exactly one unit.
    results.forEach((job, j) =>
      job.forEach((r, u) => {
        if (r.sha1) pieces.set(r.sha1, plan.targets[j][u].v1Piece * 20);
      }),
    );
    info.pieces = pieces;
    if (single) info.length = plan.files[0].length;
    else
      info.files = plan.v1.map((e): BDict =>
        'pad' in e
          ? { attr: 'p', length: e.length, path: ['.pad', String(e.length)] }
          : { length: e.length, path: plan.files[e.file].path.map((c) => Buffer.from(c, 'utf8')) },
      );
  }
  if (plan.mode === 'v1') return { info };

  // v2: per file, the piece-level hashes in order; their merkle root is the file's pieces root.
  const layers = plan.files.map((f) => Buffer.alloc(Math.ceil(f.length / pl) * 32));
  results.forEach((job, j) =>
    job.forEach((r, u) => {
      const t = plan.targets[j][u];
      if (r.v2) layers[t.file].set(r.v2, t.filePiece * 32);
    }),
  );
  const tree: BDict = {};
  const pieceLayers: BDict = {};
  const pad = padHash(pl / BLOCK_SIZE);
  plan.files.forEach((f, i) => {
    const leaf: BDict = { length: f.length };
    if (f.length > 0) {
      // A file of one piece or less: the worker already returned its root (its tree is narrower).
      const root = f.length <= pl ? layers[i] : merkleRoot(layers[i], pad);
      leaf['pieces root'] = root;
      if (f.length > pl) pieceLayers[root.toString('latin1')] = layers[i];
    }
    let node = tree;
    const path = single ? [name] : f.path;
    for (const c of path.slice(0, -1)) node = (node[treeKey(c)] ??= {}) as BDict;
    node[treeKey(path[path.length - 1])] = { '': leaf };
  });
  info['meta version'] = 2;
  info['file tree'] = tree;
  return { info, pieceLayers };
}
