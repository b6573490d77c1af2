/**
 * What a media file holds, from ffprobe (Debian's ffmpeg package): its duration and the codecs of its
 * video and audio streams. The publish pipeline refuses a file ffprobe cannot read or that has no
 * video (or, for an audio extension, no audio) stream, records the codecs, and refuses subtitles
 * whose cues run past the end. Without ffprobe, publishing stops unless asked to skip the probe.
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

export interface MediaProbe {
  /** Null when the container gives none (a live stream dump, a broken index). */
  durationMs: number | null;
  /** ffprobe's codec names, in stream order: "h264", "vp9", "mpeg4"; "aac", "opus", "mp3". */
  video: string[];
  audio: string[];
}

export type ProbeResult =
  | { ok: true; media: MediaProbe }
  /** `missing`: ffprobe is not installed (as opposed to: it ran and could not read the file). */
  | { ok: false; missing: boolean; reason: string };

export function probeMedia(file: string, ffprobe = 'ffprobe', timeoutMs = 30_000): Promise<ProbeResult> {
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
          'format=duration:stream=codec_type,codec_name',
          '-of',
          'json',
          file,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch {
      resolve(notInstalled);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(
        e.code === 'ENOENT'
          ? notInstalled
          : { ok: false, missing: false, reason: `ffprobe failed: ${e.message}` },
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (setpriv !== null && code === NOT_FOUND && /failed to execute/.test(err))
        return resolve(notInstalled);
      resolve(readProbe(code, out, err.split(`${file}: `).join('')));
    });
  });
}

const notInstalled: ProbeResult = { ok: false, missing: true, reason: 'ffprobe is not installed' };

/** ffprobe's JSON (`-of json`) as a probe result; anything unexpected is "could not read". */
export function readProbe(code: number | null, stdout: string, stderr: string): ProbeResult {
  const why = stderr.trim().split('\n').pop() ?? '';
  const cannot: ProbeResult = {
    ok: false,
    missing: false,
    reason: `ffprobe cannot read it as media${why ? ` (${why.slice(0, 160)})` : ''}`,
  };
  if (code !== 0) return cannot;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return cannot;
  }
  if (typeof parsed !== 'object' || parsed === null) return cannot;
  const p = parsed as { streams?: unknown; format?: { duration?: unknown } };
  const video: string[] = [];
  const audio: string[] = [];
  for (const s of Array.isArray(p.streams) ? (p.streams as unknown[]) : []) {
    if (typeof s !== 'object' || s === null) continue;
    const { codec_type: type, codec_name: name } = s as { codec_type?: unknown; codec_name?: unknown };
    const codec = typeof name === 'string' && name !== '' ? name : 'unknown';
    if (type === 'video') video.push(codec);
    else if (type === 'audio') audio.push(codec);
  }
  const seconds = Number(p.format?.duration);
  return {
    ok: true,
    media: {
      durationMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null,
      video,
      audio,
    },
  };
}

// What current browsers play in a <video> element on every major engine (Chromium, Firefox, Safari
// 17+): anything else is published (desktop players read far more) but the web player offers the
// download instead, and the publisher is warned.
const BROWSER_VIDEO = new Set(['h264', 'vp8', 'vp9', 'av1']);
const BROWSER_AUDIO = new Set(['aac', 'mp3', 'opus', 'vorbis', 'flac']);

/** The probed codecs browsers cannot play, as "video mpeg4", "audio ac3"; empty when all play. */
export function unplayableInBrowsers(m: Pick<MediaProbe, 'video' | 'audio'>): string[] {
  return [
    ...m.video.filter((c) => !BROWSER_VIDEO.has(c)).map((c) => `video ${c}`),
    ...m.audio.filter((c) => !BROWSER_AUDIO.has(c)).map((c) => `audio ${c}`),
  ];
}
