/**
 * A media file's duration, from ffprobe (Debian's ffmpeg package) when it is installed. The publish
 * pipeline needs it to refuse subtitles whose cues run past the end; without ffprobe, or for a file
 * ffprobe cannot read, the duration is unknown and that one check is skipped (and the user told so).
 */
import { spawn } from 'node:child_process';

export type Duration = { ms: number } | { unknown: string };

export function probeDuration(file: string, ffprobe = 'ffprobe', timeoutMs = 30_000): Promise<Duration> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let child;
    try {
      child = spawn(
        ffprobe,
        [
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
      const seconds = Number(out.trim().split('\n')[0]);
      if (code === 0 && Number.isFinite(seconds) && seconds > 0) resolve({ ms: Math.round(seconds * 1000) });
      else {
        const why = err.trim().split('\n').pop() ?? '';
        resolve({ unknown: `ffprobe could not read a duration${why ? ` (${why.slice(0, 120)})` : ''}` });
      }
    });
  });
}
