/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the top functions by self time, and the
 * time by kind of code (fjord's own, Node's internals, dependencies, GC, native/VM, idle).
 *
 *   node bench/profile-summary.js FILE.cpuprofile [--top N] [--json] [--from US --to US]
 *
 * Self time per sample is the interval to the next sample (timeDeltas[i + 1]), as Chrome DevTools
 * counts it. Functions are merged by name and source position, since a function that was
 * recompiled appears as several nodes of the tree. Percentages are of the whole profile and of the
 * busy time (all but "(idle)": the event loop waiting for packets).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where a function lives, relative to the repo when it is ours. */
function place(url, line) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const dist = u.indexOf('/dist/');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) u = u.slice(nm + 1);
  else if (dist >= 0) u = u.slice(dist + 1);
  return line >= 0 ? `${u}:${line + 1}` : u;
}

function kindOf(name, url) {
  if (name === '(idle)') return 'idle (waiting for I/O)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(program)') return 'native / VM (not attributed to JS)';
  if (name === '(root)') return 'native / VM (not attributed to JS)';
  if (!url) return 'native functions called from JS';
  if (url.startsWith('node:')) return 'Node internals (node:*)';
  if (url.includes('/node_modules/')) return 'dependencies (node_modules)';
  if (url.includes('/dist/')) return 'fjord (dist/)';
  return 'other JS';
}

/**
 * `from`/`to` (optional, µs on the monotonic clock that both V8's profile timestamps and
 * process.hrtime() use) keep only the samples of that window, e.g. the measured load, so startup
 * and warm-up do not count.
 */
export function summarise(profile, { top = 20, from = -Infinity, to = Infinity } = {}) {
  const byId = new Map();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  let total = 0;
  const mean = samples.length > 1 ? (profile.endTime - profile.startTime) / samples.length : 1000;
  let at = profile.startTime;
  let kept = 0;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (at < from || at >= to) continue;
    kept++;
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : mean;
    const us = dt > 0 ? dt : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + us);
    total += us;
  }
  const fns = new Map();
  const kinds = new Map();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const key = `${name}\u0000${cf.url}\u0000${cf.lineNumber}\u0000${cf.columnNumber}`;
    const f = fns.get(key) ?? {
      name,
      where: place(cf.url, cf.lineNumber),
      kind: kindOf(name, cf.url),
      us: 0,
    };
    f.us += us;
    fns.set(key, f);
    kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + us);
    if (name === '(idle)') idle += us;
  }
  const busy = total - idle;
  const pct = (us) => (total > 0 ? (100 * us) / total : 0);
  const pctBusy = (us) => (busy > 0 ? (100 * us) / busy : 0);
  const rows = [...fns.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((f) => ({
      ...f,
      ms: f.us / 1000,
      pct: pct(f.us),
      pctBusy: f.name === '(idle)' ? null : pctBusy(f.us),
    }));
  const kindRows = [...kinds.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, us]) => ({
      kind,
      ms: us / 1000,
      pct: pct(us),
      pctBusy: kind.startsWith('idle') ? null : pctBusy(us),
    }));
  return { totalMs: total / 1000, busyMs: busy / 1000, samples: kept, rows, kinds: kindRows };
}

const f1 = (x) => (x === null ? '' : x.toFixed(1));

/** The summary as markdown tables. */
export function formatSummary(s, title = 'profile') {
  const out = [];
  out.push(
    `${title}: ${(s.totalMs / 1000).toFixed(1)} s sampled (${s.samples} samples), busy ${(s.busyMs / 1000).toFixed(1)} s`,
    '',
  );
  out.push('| kind of code | self % of busy | self % of all |', '| --- | ---: | ---: |');
  for (const k of s.kinds) out.push(`| ${k.kind} | ${f1(k.pctBusy)} | ${f1(k.pct)} |`);
  out.push('');
  out.push('| # | function | where | self % of busy | self ms |', '| ---: | --- | --- | ---: | ---: |');
  s.rows.forEach((r, i) => {
    out.push(
      `| ${i + 1} | \`${r.name}\` | ${r.where ? `\`${r.where}\`` : ''} | ${f1(r.pctBusy)} | ${r.ms.toFixed(0)} |`,
    );
  });
  return out.join('\n');
}

export function summariseFile(file, opts) {
  return summarise(JSON.parse(readFileSync(file, 'utf8')), opts);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^[\d.]+$/.test(a));
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args[ti + 1]) : 20;
  const num = (flag, dflt) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : dflt);
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.js FILE.cpuprofile [--top N] [--json]\n');
    process.exit(2);
  }
  const s = summariseFile(file, { top, from: num('--from', -Infinity), to: num('--to', Infinity) });
  process.stdout.write(
    args.includes('--json') ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s, file) + '\n',
  );
}
