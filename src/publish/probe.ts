/**
 * A media file's duration, from ffprobe (Debian's ffmpeg package) when it is installed. The publish
 * pipeline needs it to refuse subtitles whose cues run past the end; without ffprobe, or for a file
 * ffprobe cannot read, the duration is unknown and that one check is skipped (and the user told so).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * ffprobe must not outlive `fjord publish` (issue 19): a `kill -9` runs no exit handler, so killing
 * the child from JavaScript cannot cover it. Linux can: PR_SET_PDEATHSIG makes the kernel send a
 * signal to a process when its parent dies. Node cannot set it on a child itself, but util-linux's
 * setpriv (in every Debian install) can: `setpriv --pdeathsig KILL -- ffprobe ...` sets it and execs
 * ffprobe, which keeps it (same process). Where setpriv is missing or refuses, ffprobe runs plainly
 * and the timeout is the only bound (ffprobe on a local file ends by itself in well under a second).
 * The parent is the thread that spawned the child, here Node's main thread, which lives as long as
 * the process.
 */
let wrapper: string | null | undefined;

function pdeathsigWrapper(): string | null {
  if (wrapper !== undefined) return wrapper;
  wrapper = null;
  for (const p of ['/usr/bin/setpriv', '/bin/setpriv']) {
    if (!existsSync(p)) continue;
    const r = spawnSync(p, ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5000 });
    if (r.status === 0) wrapper = p;
    break;
  }
  return wrapper;
}

/** setpriv's exit status when it could not run the program (not installed). */
const NOT_FOUND = 127;

export type Duration = { ms: number } | { unknown: string };

export function probeDuration(file: string, ffprobe = 'ffprobe', timeoutMs = 30_000): Promise<Duration> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let child;
    const setpriv = pdeathsigWrapper();
    try {
      child = spawn(
        setpriv ?? ffprobe,
        [
          ...(setpriv === null ? [] : ['--pdeathsig', 'KILL', '--', ffprobe]),
          '-v',
          'error',
          '-show_entries',
          'format=duration',
          '-of',
          'default=noprint_wrappers=1:nokey=1',
          file,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch {
      resolve({ unknown: 'ffprobe is not installed' });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ unknown: e.code === 'ENOENT' ? 'ffprobe is not installed' : `ffprobe failed: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (setpriv !== null && code === NOT_FOUND && /failed to execute/.test(err))
        return resolve({ unknown: 'ffprobe is not installed' });
      const seconds = Number(out.trim().split('\n')[0]);
      if (code === 0 && Number.isFinite(seconds) && seconds > 0) resolve({ ms: Math.round(seconds * 1000) });
      else {
        const why = err.trim().split('\n').pop() ?? '';
        resolve({ unknown: `ffprobe could not read a duration${why ? ` (${why.slice(0, 120)})` : ''}` });
      }
    });
  });
}
