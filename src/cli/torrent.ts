/**
 * `fjord torrent create PATH -o FILE.torrent [...]` and `fjord torrent show FILE.torrent`.
 * Errors are thrown as one-line messages; main.ts prints them as `fjord: <message>` and exits 1.
 * The options and help are in commands/torrent.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { magnetLink } from '../protocol/magnet.js';
import { parseTorrent, type Metainfo } from '../protocol/metainfo.js';
import { checkPieceLength, createTorrent, progressBar, type TorrentMode } from '../publish/torrent/index.js';

export interface CreateFlags {
  output: string;
  announce: string[];
  webseed: string[];
  v1?: boolean;
  v2?: boolean;
  hybrid?: boolean;
  pieceLength?: string;
  name?: string;
  threads?: string;
  private?: boolean;
  quiet?: boolean;
}

/** "262144", "256K", "256k", "256KiB", "1M", "1MiB", "4m" -> bytes (K = 1024). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+)\s*(?:([kmg])(?:i?b)?)?\s*$/i.exec(text);
  if (!m) throw new Error(`piece length "${text}" is not a size (examples: 262144, 256K, 1M)`);
  const unit = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[(m[2] ?? '').toLowerCase()] ?? 1;
  const n = Number(m[1]) * unit;
  if (!Number.isSafeInteger(n)) throw new Error(`piece length "${text}" is too large`);
  return n;
}

/** Bytes for a terminal: 1.5 MiB, 16 KiB, 900 B (also used by `fjord publish`). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  // A reader (a web seed, a feed) sees the old file or the whole new one, never half of one.
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such folder' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new Error(`cannot write ${path}: ${why}`);
  }
}

export async function create(path: string, flags: CreateFlags): Promise<void> {
  const modes = (['v1', 'v2', 'hybrid'] as const).filter((m) => flags[m]);
  if (modes.length > 1)
    throw new Error(`choose one of --v1, --v2, --hybrid (got ${modes.map((m) => `--${m}`).join(', ')})`);
  const mode: TorrentMode = modes[0] ?? 'hybrid';
  let pieceLength: number | undefined;
  if (flags.pieceLength !== undefined) {
    pieceLength = parseSize(flags.pieceLength);
    checkPieceLength(pieceLength);
  }
  let threads: number | undefined;
  if (flags.threads !== undefined) {
    threads = Number(flags.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a whole number >= 1`);
  }
  for (const u of [...flags.announce, ...flags.webseed]) {
    try {
      new URL(u);
    } catch {
      throw new Error(`"${u}" is not a URL`);
    }
  }
  // Checked before hashing, which may take minutes, rather than after.
  const outDir = dirname(flags.output);
  if (
    !(await stat(outDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new Error(`cannot write ${flags.output}: no such folder ${outDir}`);
  const bar = flags.quiet ? undefined : progressBar(process.stderr);
  let made;
  try {
    made = await createTorrent(path, {
      mode,
      announce: flags.announce,
      webSeeds: flags.webseed,
      pieceLength,
      name: flags.name,
      threads,
      private: flags.private,
      // This process has nothing else to do: its own thread hashes too, while the workers start.
      callingThread: true,
      onProgress: bar ? (d, t) => bar.update(d, t) : undefined,
    });
  } finally {
    bar?.finish();
  }
  await writeAtomically(flags.output, made.torrent);
  const lines = [
    `wrote ${flags.output} (${made.mode}, ${made.files.filter((f) => !f.padding).length} files, ${formatBytes(made.totalSize)}, pieces of ${formatBytes(made.pieceLength)})`,
  ];
  if (made.infoHashV1) lines.push(`info hash v1: ${made.infoHashV1}`);
  if (made.infoHashV2) lines.push(`info hash v2: ${made.infoHashV2}`);
  lines.push(`magnet: ${made.magnet}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function describeTorrent(m: Metainfo): string {
  const lines = [`name:         ${m.name}`, `mode:         ${m.version}`];
  if (m.infoHashV1) lines.push(`info hash v1: ${m.infoHashV1}`);
  if (m.infoHashV2) lines.push(`info hash v2: ${m.infoHashV2}`);
  lines.push(`piece length: ${formatBytes(m.pieceLength)} (${m.pieceLength})`);
  lines.push(`total size:   ${formatBytes(m.totalSize)} (${m.totalSize})`);
  if (m.private) lines.push('private:      yes');
  const tiers = m.announceList.length > 0 ? m.announceList : m.announce ? [[m.announce]] : [];
  lines.push(`trackers:${tiers.length === 0 ? '     none' : ''}`);
  tiers.forEach((tier, i) => tier.forEach((u) => lines.push(`  tier ${i + 1}: ${u}`)));
  lines.push(`web seeds:${m.urlList.length === 0 ? '    none' : ''}`);
  for (const u of m.urlList) lines.push(`  ${u}`);
  lines.push(`files:`);
  for (const f of m.files) {
    const p = m.singleFile ? f.path[f.path.length - 1] : f.path.join('/');
    lines.push(`  ${String(f.length).padStart(14)}  ${p}${f.padding ? '  (padding)' : ''}`);
  }
  lines.push(
    `magnet: ${magnetLink({ v1: m.infoHashV1, v2: m.infoHashV2, name: m.name, trackers: tiers.flat(), webSeeds: m.urlList })}`,
  );
  return lines.join('\n') + '\n';
}

export async function show(file: string): Promise<void> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err)}`,
    );
  }
  let m: Metainfo;
  try {
    m = parseTorrent(buf);
  } catch (err) {
    throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.stdout.write(describeTorrent(m));
}
