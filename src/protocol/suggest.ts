/**
 * "Did you mean ...?": the closest names to a mistyped one, by edit distance (Levenshtein: one
 * insertion, deletion or substitution each costs 1). Used for unknown series, languages and flags.
 */

/** Edit distance between a and b, stopping early once it must exceed `max` (then returns max + 1). */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidates closest to `name` (case-insensitive), nearest first: those within a third of the
 * name's length (at least 1, at most 4 edits), so "skjargardsliv" finds "skjaergardsliv" but "x"
 * does not find everything.
 */
export function closest(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const n = name.toLowerCase();
  const max = Math.min(4, Math.max(1, Math.floor(n.length / 3)));
  const scored: Array<[string, number]> = [];
  for (const c of new Set(candidates)) {
    const d = editDistance(n, c.toLowerCase(), max);
    if (d <= max) scored.push([c, d]);
  }
  return scored
    .sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]))
    .slice(0, limit)
    .map(([c]) => c);
}
