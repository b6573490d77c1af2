/**
 * Finds the files a torrent is made of, and their order.
 *
 * What goes in (the same as mktorrent, so its v1 info hashes can be reproduced):
 *   - every regular file below the folder, hidden ones (".name") included, empty ones included;
 *   - symbolic links are followed, to files and to folders (a media store may link its files);
 *     a link back to a folder already being walked is an error rather than an endless walk;
 *   - other kinds (sockets, FIFOs, devices) and empty folders are left out: a torrent cannot hold them.
 * Names must be valid UTF-8, since torrents store UTF-8 and a lossy name would not open again.
 */
import { readdir, stat, access, constants } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

export interface SourceFile {
  /** Absolute path on disk. */
  abs: string;
  /** Path components inside the torrent (for a single file: just the torrent's name). */
  path: string[];
  length: number;
}

export interface Source {
  /** True when PATH is a file rather than a folder. */
  single: boolean;
  baseName: string;
  files: SourceFile[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a folder';
  return err instanceof Error ? err.message : String(err);
}

export async function scanSource(path: string): Promise<Source> {
  const root = resolve(path);
  let st;
  try {
    st = await stat(root);
  } catch (err) {
    throw new Error(`cannot read ${path}: ${describe(err)}`);
  }
  const baseName = basename(root);
  if (st.isFile()) {
    await readable(root, path);
    return { single: true, baseName, files: [{ abs: root, path: [baseName], length: st.size }] };
  }
  if (!st.isDirectory()) throw new Error(`${path} is neither a file nor a folder`);
  const files: SourceFile[] = [];
  await walk(root, [], files, new Set([`${st.dev}:${st.ino}`]));
  if (files.length === 0) throw new Error(`${path} holds no files`);
  return { single: false, baseName, files };
}

async function readable(abs: string, shown: string): Promise<void> {
  try {
    await access(abs, constants.R_OK);
  } catch (err) {
    throw new Error(`cannot read ${shown}: ${describe(err)}`);
  }
}

async function walk(dir: string, prefix: string[], out: SourceFile[], active: Set<string>): Promise<void> {
  let names: Buffer[];
  try {
    names = await readdir(dir, { encoding: 'buffer' });
  } catch (err) {
    throw new Error(`cannot read ${dir}: ${describe(err)}`);
  }
  for (const raw of names) {
    let name: string;
    try {
      name = utf8.decode(raw);
    } catch {
      throw new Error(`${join(dir, raw.toString('latin1'))}: file name is not valid UTF-8`);
    }
    const abs = join(dir, name);
    let st;
    try {
      st = await stat(abs);
    } catch (err) {
      // A dangling symbolic link names nothing to share.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`cannot read ${abs}: ${describe(err)}`);
    }
    if (st.isFile()) {
      await readable(abs, abs);
      out.push({ abs, path: [...prefix, name], length: st.size });
    } else if (st.isDirectory()) {
      const id = `${st.dev}:${st.ino}`;
      if (active.has(id)) throw new Error(`${abs} links back to a folder that contains it`);
      active.add(id);
      await walk(abs, [...prefix, name], out, active);
      active.delete(id);
    }
  }
}

const bytesOf = (s: string): Buffer => Buffer.from(s, 'utf8');

/**
 * BEP 52 order: path components compared one by one as UTF-8 bytes, so a folder's files stay together
 * ("a/x" before "a-b"). This is the order of a bencoded file tree, which a hybrid torrent's v1 file
 * list must repeat.
 */
export function compareComponentwise(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(bytesOf(a[i]), bytesOf(b[i]));
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * mktorrent's order: the whole relative path "a/b/c" compared as bytes (strcmp), so "a-b" comes
 * before "a/x" because '-' < '/'. Used for v1-only torrents, whose file order BEP 3 leaves free,
 * so that fjord --v1 and mktorrent give the same info hash for the same folder.
 */
export function compareWholePath(a: string[], b: string[]): number {
  return Buffer.compare(bytesOf(a.join('/')), bytesOf(b.join('/')));
}
