/**
 * What changed between two versions of a translation, for the moderator: a diff of the cues' plain
 * texts (tags dropped, whitespace folded), cue by cue, ignoring timings, so a re-timed file shows as
 * unchanged and a vandalised line stands out.
 *
 * A longest-common-subsequence diff after trimming the common start and end. The table is
 * (n + 1) x (m + 1) small integers for what remains between them; when that would exceed MAX_CELLS
 * (two unrelated files of thousands of cues) the diff gives up and reports everything as replaced,
 * which a moderator reads as "entirely different" anyway, rather than holding tens of megabytes.
 */
import { cuePlainText, type ParsedSubtitle } from '../protocol/subtitles.js';

export type DiffOp = { op: 'same' | 'removed' | 'added'; text: string };

export interface CueDiff {
  ops: DiffOp[];
  added: number;
  removed: number;
  /** True when the files were too different for a cue-by-cue comparison (all old removed, all new added). */
  gaveUp: boolean;
}

export const MAX_CELLS = 4_000_000;

/** Each cue's text as a viewer reads it, on one line (line breaks shown as " / "). */
export function cueTexts(parsed: ParsedSubtitle): string[] {
  return parsed.cues
    .map((c) =>
      cuePlainText(c.text)
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ').trim())
        .filter((l) => l !== '')
        .join(' / '),
    )
    .filter((t) => t !== '');
}

export function diffLines(
  before: readonly string[],
  after: readonly string[],
  maxCells = MAX_CELLS,
): CueDiff {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--;
    endA--;
  }
  const ops: DiffOp[] = before.slice(0, start).map((text) => ({ op: 'same', text }));
  const a = before.slice(start, endB);
  const b = after.slice(start, endA);
  let gaveUp = false;
  if ((a.length + 1) * (b.length + 1) > maxCells) {
    gaveUp = true;
    for (const text of a) ops.push({ op: 'removed', text });
    for (const text of b) ops.push({ op: 'added', text });
  } else ops.push(...lcs(a, b));
  for (const text of before.slice(endB)) ops.push({ op: 'same', text });
  return {
    ops,
    added: ops.filter((o) => o.op === 'added').length,
    removed: ops.filter((o) => o.op === 'removed').length,
    gaveUp,
  };
}

/** The classic dynamic programme: suffix LCS lengths, then a walk from the start. */
function lcs(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  // Lengths are at most min(n, m); Uint16 holds them when both sides are short enough.
  const table = Math.min(n, m) < 0xffff ? new Uint16Array((n + 1) * w) : new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * w + j] =
        a[i] === b[j]
          ? table[(i + 1) * w + j + 1] + 1
          : Math.max(table[(i + 1) * w + j], table[i * w + j + 1]);
    }
  }
  const out: DiffOp[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i] });
      i++;
      j++;
    } else if (table[(i + 1) * w + j] >= table[i * w + j + 1]) {
      out.push({ op: 'removed', text: a[i++] });
    } else {
      out.push({ op: 'added', text: b[j++] });
    }
  }
  while (i < n) out.push({ op: 'removed', text: a[i++] });
  while (j < m) out.push({ op: 'added', text: b[j++] });
  return out;
}

/**
 * The ops to show: every change with `context` unchanged cues around it; longer unchanged runs
 * become one `{skipped: N}` entry.
 */
export function withContext(ops: readonly DiffOp[], context = 2): Array<DiffOp | { skipped: number }> {
  const near = new Array<boolean>(ops.length).fill(false);
  ops.forEach((o, i) => {
    if (o.op === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(ops.length - 1, i + context); k++) near[k] = true;
  });
  const out: Array<DiffOp | { skipped: number }> = [];
  let skipped = 0;
  ops.forEach((o, i) => {
    if (near[i]) {
      if (skipped > 0) out.push({ skipped });
      skipped = 0;
      out.push(o);
    } else skipped++;
  });
  if (skipped > 0) out.push({ skipped });
  return out;
}
