/**
 * The still image of an episode, made from its video at publication (issue 16): a frame from early
 * in the programme that is not black (nor a flat fade, nor white), so cards and the player's poster
 * show the programme rather than the black of its opening.
 *
 *   const t = await chooseStillTime(file, durationMs);   // seconds into the video, or null
 *   const jpeg = await grabFrame(file, t);                // the frame as JPEG (full size)
 *
 * ffmpeg measures the frames: it samples the start (a third of the programme, at least 30 s, at most
 * MAX_WINDOW_S) at 2 frames a second, scaled down, through its `signalstats` filter, which prints
 * each frame's mean, minimum and maximum luma. The first sample at least MIN_OFFSET_S in whose mean
 * luma is within [MIN_MEAN, MAX_MEAN] and whose luma spans at least MIN_SPREAD is chosen; if none
 * is, the brightest sample that is not white. The tests make a video that opens black with ffmpeg.
 */
import { spawn } from 'node:child_process';

export const MAX_WINDOW_S = 120;
export const MIN_OFFSET_S = 1;
const MIN_MEAN = 40;
const MAX_MEAN = 215;
const MIN_SPREAD = 48;

export interface FrameLuma {
  /** Seconds into the video. */
  t: number;
  mean: number;
  min: number;
  max: number;
}

function run(
  ffmpeg: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, out: Buffer.alloc(0), err: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: Buffer.concat(out), err });
    });
  });
}

/** Mean, minimum and maximum luma of frames sampled from the start of the video (see above). */
export async function measureFrames(
  file: string,
  durationMs: number | null,
  ffmpeg = 'ffmpeg',
): Promise<FrameLuma[]> {
  const total = durationMs === null ? MAX_WINDOW_S : durationMs / 1000;
  const window = Math.min(total, MAX_WINDOW_S, Math.max(total / 3, 30));
  const r = await run(
    ffmpeg,
    [
      ...['-v', 'error', '-nostdin', '-t', window.toFixed(3), '-i', file, '-an', '-sn'],
      ...['-vf', 'fps=2,scale=160:-2,signalstats,metadata=print:file=-'],
      ...['-f', 'null', '-'],
    ],
    60_000,
  );
  if (r.code !== 0)
    throw new Error(`ffmpeg could not read the video: ${r.err.trim().split('\n').pop() ?? ''}`);
  const frames: FrameLuma[] = [];
  let cur: Partial<FrameLuma> | null = null;
  for (const line of r.out.toString('utf8').split('\n')) {
    const head = /pts_time:([\d.]+)/.exec(line);
    if (head) {
      if (cur?.mean !== undefined) frames.push(cur as FrameLuma);
      cur = { t: Number(head[1]) };
      continue;
    }
    const kv = /^lavfi\.signalstats\.(YAVG|YMIN|YMAX)=([\d.]+)/.exec(line);
    if (kv && cur) {
      const v = Number(kv[2]);
      if (kv[1] === 'YAVG') cur.mean = v;
      else if (kv[1] === 'YMIN') cur.min = v;
      else cur.max = v;
    }
  }
  if (cur?.mean !== undefined) frames.push(cur as FrameLuma);
  return frames.filter((f) => f.min !== undefined && f.max !== undefined);
}

/** The frame to use among measured ones (pure: the rule above). Null when there are none. */
export function pickFrame(frames: FrameLuma[]): number | null {
  const good = frames.find(
    (f) => f.t >= MIN_OFFSET_S && f.mean >= MIN_MEAN && f.mean <= MAX_MEAN && f.max - f.min >= MIN_SPREAD,
  );
  if (good) return good.t;
  const notWhite = frames.filter((f) => f.mean <= MAX_MEAN);
  if (notWhite.length === 0) return frames.length > 0 ? frames[0].t : null;
  return notWhite.reduce((a, b) => (b.mean > a.mean ? b : a)).t;
}

export async function chooseStillTime(
  file: string,
  durationMs: number | null,
  ffmpeg = 'ffmpeg',
): Promise<number | null> {
  return pickFrame(await measureFrames(file, durationMs, ffmpeg));
}

/** The frame at `t` seconds as a JPEG at the video's own size (square pixels). */
export async function grabFrame(file: string, t: number, ffmpeg = 'ffmpeg'): Promise<Buffer> {
  const r = await run(
    ffmpeg,
    [
      ...['-v', 'error', '-nostdin', '-ss', t.toFixed(3), '-i', file, '-an', '-sn'],
      ...['-frames:v', '1', '-vf', 'scale=trunc(iw*sar/2)*2:ih,setsar=1', '-q:v', '2'],
      ...['-f', 'image2', '-c:v', 'mjpeg', '-'],
    ],
    60_000,
  );
  if (r.code !== 0 || r.out.length === 0)
    throw new Error(`ffmpeg could not take a frame: ${r.err.trim().split('\n').pop() ?? 'no output'}`);
  return r.out;
}
