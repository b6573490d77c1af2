/**
 * Torrent metainfo (.torrent files): BEP 3 (v1), BEP 52 (v2 and hybrid), BEP 47 (padding files),
 * BEP 12 (announce-list) and BEP 19 (url-list). Pure: bytes in, typed values out.
 *
 * Top level (a bencoded dictionary):
 *   announce       string                      first tracker
 *   announce-list  list of tiers (lists) of URL strings
 *   url-list       string or list of strings   web seeds
 *   info           dictionary                  everything the info hashes cover (below)
 *   piece layers   dict pieces root (32 bytes) -> concatenated 32-byte piece-level merkle hashes (v2)
 *
 * info, v1 part:
 *   name, piece length, pieces (20-byte SHA-1 per piece, concatenated), private (0/1), and either
 *   length (one file) or files: list of { length, path: list of components, attr?: "p" for padding }
 * info, v2 part:
 *   meta version 2, file tree: nested dictionaries keyed by path component; a file is
 *   { "": { length, pieces root? } }, where pieces root is absent for empty files.
 * A hybrid torrent carries both parts, describing the same files in the same order.
 *
 * v1 info hash = SHA-1 of the info dictionary's exact bytes; v2 info hash = SHA-256 of the same bytes.
 * aria2 alias (hybrid only) = SHA-1 of the info dictionary as aria2 re-encodes it: see aria2InfoHash().
 * v1 twin (hybrid only) = the hybrid torrent without its v2 part, for clients that cannot read BEP 52
 * at all (Transmission 3): see v1Twin(); its info hash is a fourth name of the same files.
 */
import { createHash } from 'node:crypto';
import {
  bdecode,
  bdecodeWithSpan,
  bencode,
  BencodeError,
  type BDict,
  type BValue,
  type Decoded,
} from './bencode.js';

export type TorrentVersion = 'v1' | 'v2' | 'hybrid';

/** The BEP 52 merkle leaf size: every v2 file is hashed in 16 KiB blocks. */
export const BLOCK_SIZE = 16 * 1024;

export interface TorrentFile {
  /** Path components below the torrent's name (for a single-file torrent: just the name). */
  path: string[];
  length: number;
  /** Byte offset in the v1 stream (v1/hybrid), or in the files laid out piece-aligned (v2 only). */
  offset: number;
  /** A BEP 47 padding file: zeros that only exist to align the next file to a piece boundary. */
  padding: boolean;
  /** v2: merkle root of the file's 16 KiB blocks; absent for empty files and v1-only torrents. */
  piecesRoot?: Buffer;
}

export interface Metainfo {
  name: string;
  version: TorrentVersion;
  pieceLength: number;
  /** v1 and hybrid: the v1 `files` order, padding files included; v2: the file tree's order. */
  files: TorrentFile[];
  /** Sum of the real (non-padding) file lengths. */
  totalSize: number;
  /** True when the info dictionary has `length` (v1) or a file tree holding one file at its root. */
  singleFile: boolean;
  /** Hex SHA-1 of the info bytes (v1 and hybrid). */
  infoHashV1?: string;
  /** Hex SHA-256 of the info bytes (v2 and hybrid). */
  infoHashV2?: string;
  /** Hybrid: the v1-sized hash aria2 announces instead of infoHashV1 (aria2InfoHash()). */
  infoHashAria2?: string;
  /** Hybrid: the v1 hash of its v1 twin (v1TwinInfoHash()), a v1-only torrent of the same pieces. */
  infoHashV1Twin?: string;
  /** v1: the concatenated 20-byte piece hashes. */
  pieces?: Buffer;
  /** v2: pieces root (hex) -> concatenated piece-level hashes, for files longer than one piece. */
  pieceLayers: Map<string, Buffer>;
  announce?: string;
  announceList: string[][];
  urlList: string[];
  private: boolean;
  comment?: string;
  createdBy?: string;
  creationDate?: number;
  /** The exact bytes of the info dictionary. */
  info: Buffer;
}

export class MetainfoError extends Error {
  constructor(message: string) {
    super(`malformed torrent: ${message}`);
    this.name = 'MetainfoError';
  }
}

type Dict = { [key: string]: Decoded };

function isDict(v: Decoded | undefined): v is Dict {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function fail(message: string): never {
  throw new MetainfoError(message);
}

function int(v: Decoded | undefined, what: string, min = 0): number {
  if (typeof v === 'bigint') fail(`${what} is too large`);
  if (typeof v !== 'number' || v < min) fail(`${what} must be an integer >= ${min}`);
  return v;
}

function bytes(v: Decoded | undefined, what: string): Buffer {
  if (!Buffer.isBuffer(v)) fail(`${what} must be a byte string`);
  return v;
}

function text(v: Decoded | undefined, what: string): string {
  return bytes(v, what).toString('utf8');
}

/** A path component must name something inside the torrent's folder, never beside or above it. */
function component(b: Buffer, what: string): string {
  const s = b.toString('utf8');
  if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\0'))
    fail(`${what} has an unsafe path component ${JSON.stringify(s)}`);
  return s;
}

export const isPowerOfTwo = (n: number): boolean => Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** Parses a .torrent file. Throws MetainfoError (or BencodeError) naming what is wrong. */
export function parseTorrent(buf: Buffer): Metainfo {
  let top: Decoded;
  let span: [number, number] | undefined;
  try {
    ({ value: top, span } = bdecodeWithSpan(buf, 'info'));
  } catch (err) {
    if (err instanceof BencodeError) fail(`not bencoded (${err.message})`);
    throw err;
  }
  if (!isDict(top)) fail('the top level is not a dictionary');
  const info = top.info;
  if (!isDict(info) || !span) fail('no info dictionary');
  const infoBytes = buf.subarray(span[0], span[1]);

  const name = component(bytes(info.name, 'name'), 'name');
  const pieceLength = int(info['piece length'], 'piece length', 1);
  const metaVersion = info['meta version'] === undefined ? 1 : int(info['meta version'], 'meta version');
  if (metaVersion !== 1 && metaVersion !== 2) fail(`meta version ${metaVersion} is not supported`);
  const hasV2 = metaVersion === 2;
  const hasV1 = info.pieces !== undefined;
  if (!hasV1 && !hasV2) fail('no pieces (v1) and no meta version 2 (v2)');
  const version: TorrentVersion = hasV1 && hasV2 ? 'hybrid' : hasV2 ? 'v2' : 'v1';

  let v1Files: TorrentFile[] | undefined;
  let pieces: Buffer | undefined;
  let singleFile = false;
  if (hasV1) {
    pieces = bytes(info.pieces, 'pieces');
    if (pieces.length % 20 !== 0) fail('pieces is not a multiple of 20 bytes');
    if (info.length !== undefined && info.files !== undefined) fail('both length and files are present');
    if (info.length !== undefined) {
      singleFile = true;
      v1Files = [{ path: [name], length: int(info.length, 'length'), offset: 0, padding: false }];
    } else {
      if (!Array.isArray(info.files) || info.files.length === 0) fail('neither length nor a files list');
      let offset = 0;
      v1Files = info.files.map((f, i) => {
        if (!isDict(f)) fail(`files[${i}] is not a dictionary`);
        const length = int(f.length, `files[${i}].length`);
        if (!Array.isArray(f.path) || f.path.length === 0) fail(`files[${i}].path is not a non-empty list`);
        const path = f.path.map((c) => component(bytes(c, `files[${i}].path`), `files[${i}].path`));
        const attr = f.attr === undefined ? '' : text(f.attr, `files[${i}].attr`);
        const file: TorrentFile = { path, length, offset, padding: attr.includes('p') };
        offset += length;
        return file;
      });
    }
    const total = v1Files.reduce((s, f) => s + f.length, 0);
    if (pieces.length / 20 !== Math.ceil(total / pieceLength))
      fail(`${pieces.length / 20} piece hashes for ${Math.ceil(total / pieceLength)} pieces`);
  }

  let v2Files: TorrentFile[] | undefined;
  const pieceLayers = new Map<string, Buffer>();
  if (hasV2) {
    if (pieceLength < BLOCK_SIZE || !isPowerOfTwo(pieceLength))
      fail('v2 piece length must be a power of two of at least 16 KiB');
    const tree = info['file tree'];
    if (!isDict(tree)) fail('no file tree');
    v2Files = [];
    walkTree(tree, [], v2Files, pieceLength);
    if (v2Files.length === 0) fail('the file tree holds no file');
    singleFile = v2Files.length === 1 && v2Files[0].path.length === 1 && v2Files[0].path[0] === name;
    const layers = top['piece layers'];
    if (layers !== undefined && !isDict(layers)) fail('piece layers is not a dictionary');
    for (const f of v2Files) {
      if (f.length <= pieceLength || !f.piecesRoot) continue;
      const key = f.piecesRoot.toString('latin1');
      const layer = layers?.[key];
      if (layer === undefined) fail(`no piece layer for ${f.path.join('/')}`);
      const hashes = bytes(layer, 'piece layer');
      if (hashes.length !== Math.ceil(f.length / pieceLength) * 32)
        fail(`piece layer of ${f.path.join('/')} has the wrong length`);
      if (!merkleRoot(hashes, padHash(pieceLength / BLOCK_SIZE)).equals(f.piecesRoot))
        fail(`piece layer of ${f.path.join('/')} does not match its pieces root`);
      pieceLayers.set(f.piecesRoot.toString('hex'), hashes);
    }
  }

  if (v1Files && v2Files) {
    const real = v1Files.filter((f) => !f.padding);
    const same =
      real.length === v2Files.length &&
      real.every((f, i) => {
        const g = v2Files[i];
        const p = singleFile ? [name] : f.path;
        return f.length === g.length && p.join('/') === g.path.join('/');
      });
    if (!same) fail("the hybrid torrent's v1 files and v2 file tree differ");
    for (let i = 0; i < real.length; i++) real[i].piecesRoot = v2Files[i].piecesRoot;
    for (const f of real)
      if (f.length > 0 && f.offset % pieceLength !== 0)
        fail(`${f.path.join('/')} does not start on a piece boundary in the hybrid v1 layout`);
  }
  const files = v1Files ?? v2Files ?? [];

  const urlList =
    top['url-list'] === undefined
      ? []
      : Buffer.isBuffer(top['url-list'])
        ? [text(top['url-list'], 'url-list')]
        : Array.isArray(top['url-list'])
          ? top['url-list'].map((u) => text(u, 'url-list entry'))
          : fail('url-list is neither a string nor a list');
  const announceList: string[][] = [];
  if (top['announce-list'] !== undefined) {
    if (!Array.isArray(top['announce-list'])) fail('announce-list is not a list');
    for (const tier of top['announce-list']) {
      if (!Array.isArray(tier)) fail('an announce-list tier is not a list');
      announceList.push(tier.map((u) => text(u, 'announce-list entry')));
    }
  }

  const result: Metainfo = {
    name,
    version,
    pieceLength,
    files,
    totalSize: files.filter((f) => !f.padding).reduce((s, f) => s + f.length, 0),
    singleFile,
    pieceLayers,
    announceList,
    urlList,
    private: info.private === 1,
    info: infoBytes,
  };
  if (hasV1) {
    result.infoHashV1 = createHash('sha1').update(infoBytes).digest('hex');
    result.pieces = pieces;
  }
  if (hasV2) result.infoHashV2 = createHash('sha256').update(infoBytes).digest('hex');
  if (hasV1 && hasV2) {
    result.infoHashAria2 = aria2InfoHash(infoBytes);
    result.infoHashV1Twin = v1TwinInfoHash(infoBytes);
  }
  if (top.announce !== undefined) result.announce = text(top.announce, 'announce');
  if (top.comment !== undefined) result.comment = text(top.comment, 'comment');
  if (top['created by'] !== undefined) result.createdBy = text(top['created by'], 'created by');
  if (typeof top['creation date'] === 'number') result.creationDate = top['creation date'];
  return result;
}

/**
 * The info hash aria2 (checked with 1.36.0) computes, and so announces and puts in its handshakes.
 * aria2 does not hash the info dictionary's bytes: it decodes the torrent, drops every dictionary
 * entry whose key is the empty string while decoding (at any depth), and takes the SHA-1 of the
 * re-encoded info dictionary. A v1 torrent has no such key, so for a canonical one this is its v1
 * hash; a hybrid torrent's file tree leaves are `{"": {length, pieces root}}`, so aria2 announces a
 * third name, the "aria2 alias": neither the v1 hash nor the truncated v2 hash. A file's entry is
 * left as an empty dictionary, which is kept (`d7:ep.mp4dee`). Only aria2 peers use that name (their
 * handshakes carry it), so on the tracker it is a swarm of its own; fjord allows and counts it as the
 * torrent's. `info` is the exact bytes of the info dictionary.
 */
export function aria2InfoHash(info: Buffer): string {
  return createHash('sha1')
    .update(bencode(withoutEmptyKeys(bdecode(info))))
    .digest('hex');
}

/**
 * The v1 twin of a hybrid torrent: the same torrent without `meta version`, `file tree` and
 * `piece layers`. What is left is a complete v1 torrent of the same files, pieces, padding files,
 * trackers and web seeds, which clients that refuse BEP 52 torrents can read: Transmission 3.00 fails
 * on any dictionary key that is the empty string, and every file tree has them (`{"": {length, ...}}`).
 * Its info dictionary differs from the hybrid's, so its info hash does too (v1TwinInfoHash()): a swarm
 * of its own on the tracker, which fjord allows and counts as the torrent's (like the aria2 alias).
 * Derived, never hashed again: the hybrid's v1 piece hashes are the twin's. `torrent` is a hybrid
 * .torrent file; throws MetainfoError for anything else.
 */
export function v1Twin(torrent: Buffer): Buffer {
  const top = bdecode(torrent);
  if (!isDict(top) || !isDict(top.info)) fail('no info dictionary');
  const { 'piece layers': _layers, info, ...rest } = top;
  return bencode({ ...rest, info: v1TwinDict(info) });
}

/** The v1 info hash of the v1 twin (v1Twin()) of the hybrid torrent whose info dictionary is `info`. */
export function v1TwinInfoHash(info: Buffer): string {
  const d = bdecode(info);
  if (!isDict(d)) fail('the info dictionary is not a dictionary');
  return createHash('sha1')
    .update(bencode(v1TwinDict(d)))
    .digest('hex');
}

function v1TwinDict(info: Dict): BDict {
  const { 'meta version': version, 'file tree': _tree, ...v1 } = info;
  if (version !== 2 || info.pieces === undefined) fail('only a hybrid torrent has a v1 twin');
  return v1;
}

function withoutEmptyKeys(v: Decoded): BValue {
  if (Array.isArray(v)) return v.map(withoutEmptyKeys);
  if (!isDict(v)) return v;
  const out: { [key: string]: BValue } = {};
  for (const key of Object.keys(v)) if (key !== '') out[key] = withoutEmptyKeys(v[key]);
  return out;
}

/**
 * Depth-first walk of a v2 file tree in key byte order (the bencoded order, which is also the order a
 * hybrid torrent's v1 list must follow). Keys are decoded as latin1 strings; their bytes are UTF-8.
 * Files are laid out one after another, each starting on a piece boundary.
 */
function walkTree(node: Dict, prefix: string[], out: TorrentFile[], pieceLength: number): void {
  const keys = Object.keys(node).sort((a, b) =>
    Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')),
  );
  for (const key of keys) {
    const child = node[key];
    if (!isDict(child)) fail(`file tree entry ${[...prefix, key].join('/')} is not a dictionary`);
    const name = component(Buffer.from(key, 'latin1'), 'file tree');
    const path = [...prefix, name];
    const leaf = child[''];
    if (leaf !== undefined) {
      if (!isDict(leaf) || Object.keys(child).length !== 1)
        fail(`file tree entry ${path.join('/')} mixes a file and other entries`);
      const length = int(leaf.length, `${path.join('/')} length`);
      const last = out[out.length - 1];
      const offset = last ? Math.ceil((last.offset + last.length) / pieceLength) * pieceLength : 0;
      const file: TorrentFile = { path, length, offset, padding: false };
      if (length > 0) {
        const root = bytes(leaf['pieces root'], `${path.join('/')} pieces root`);
        if (root.length !== 32) fail(`${path.join('/')} pieces root is not 32 bytes`);
        file.piecesRoot = root;
      }
      out.push(file);
    } else {
      walkTree(child, path, out, pieceLength);
    }
  }
}

const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

const padHashes: Buffer[] = [Buffer.alloc(32)];
/**
 * The root of a merkle subtree whose `leaves` 16 KiB-block leaves all lie past the end of a file:
 * BEP 52 sets those leaves to 32 zero bytes, so each level up is SHA-256(pad || pad).
 */
export function padHash(leaves: number): Buffer {
  if (!isPowerOfTwo(leaves)) throw new RangeError('padHash needs a power of two');
  const level = Math.log2(leaves);
  while (padHashes.length <= level) {
    const p = padHashes[padHashes.length - 1];
    padHashes.push(sha256(Buffer.concat([p, p])));
  }
  return padHashes[level];
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Merkle root of a layer of 32-byte hashes, widened to the next power of two with `pad` (the hash of
 * an all-padding subtree at this layer's height). Internal nodes are SHA-256(left || right).
 */
export function merkleRoot(layer: Buffer, pad: Buffer): Buffer {
  let count = layer.length / 32;
  if (count < 1 || !Number.isInteger(count)) throw new RangeError('merkleRoot needs whole 32-byte hashes');
  let level = Buffer.from(layer);
  let p = pad;
  while (count > 1) {
    const next = Buffer.alloc(Math.ceil(count / 2) * 32);
    for (let i = 0; i < count; i += 2) {
      const right = i + 1 < count ? level.subarray((i + 1) * 32, (i + 2) * 32) : p;
      createHash('sha256')
        .update(level.subarray(i * 32, (i + 1) * 32))
        .update(right)
        .digest()
        .copy(next, (i / 2) * 32);
    }
    level = next;
    count = next.length / 32;
    p = sha256(Buffer.concat([p, p]));
  }
  return level.subarray(0, 32);
}
