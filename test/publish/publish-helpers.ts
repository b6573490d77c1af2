/**
 * Shared by the publish tests: the publish and unpublish commands run in-process (as main.ts would
 * run them, output captured), and a snapshot of a data directory (catalog and files) to prove that
 * a refused publication changed nothing.
 */
import { Command, CommanderError } from 'commander';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openCatalog } from '../../src/catalog/index.js';
import { registerPublish } from '../../src/cli/commands/publish.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `fjord ARGS` for publish/unpublish in this process: exit status and output as main.ts gives them. */
export async function fjord(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const program = new Command();
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerPublish(program, {
    out: { write: (s: string) => ((stdout += s), true) },
    err: { write: (s: string) => ((stderr += s), true), isTTY: false },
  });
  try {
    await program.parseAsync(['node', 'fjord', ...args]);
    return { status: 0, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { status: err.exitCode, stdout, stderr };
    stderr += `fjord: ${err instanceof Error ? err.message : String(err)}\n`;
    return { status: 1, stdout, stderr };
  }
}

/** Every file below dir (relative, sorted), the catalog's own files left out. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.filter((f) => !f.startsWith('catalog.sqlite')).sort();
}

/** Every folder below dir (relative, sorted). */
export function listDirs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out.push(relative(dir, p));
        walk(p);
      }
    }
  };
  walk(dir);
  return out.sort();
}

export interface Snapshot {
  version: string;
  episodes: string;
  series: string;
  events: number;
  files: string[];
  dirs: string[];
}

export async function snapshot(dataDir: string): Promise<Snapshot> {
  const c = await openCatalog({ dataDir });
  try {
    return {
      version: await c.catalogVersion(new Date(0)),
      episodes: JSON.stringify(await c.listEpisodes()),
      series: JSON.stringify(await c.listSeries()),
      events: (await c.listEvents({ limit: 100000 })).length,
      files: listFiles(dataDir),
      dirs: listDirs(dataDir),
    };
  } finally {
    await c.close();
  }
}

export function randomFile(path: string, size: number): Buffer {
  const b = randomBytes(size);
  writeFileSync(path, b);
  return b;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const sha256File = (path: string): string => sha256(readFileSync(path));

/** A 3-second video made by ffmpeg (null when ffmpeg is missing), so ffprobe has a duration to read. */
export function tinyVideo(path: string): boolean {
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=3:size=64x48:rate=5', '-c:v', 'mpeg4', path],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return r.status === 0;
}

export const SRT_NB =
  '1\n00:00:00,500 --> 00:00:01,500\nHei, <i>verden</i>!\n\n2\n00:00:02,000 --> 00:00:02,800\nHa det.\n';
export const VTT_EN = 'WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nHello, world!\n';
