/**
 * `fjord party ...`, `fjord contract ...` and `fjord cues ...`: the rights register (issue 14) from
 * the command line. Each change is one audited catalog write that a running `fjord serve` follows
 * within a second (tracker, web seed, feeds, pages). Times print in the configured time zone
 * (`timeZone`, default Europe/Oslo). The options and help are in commands/rights.ts.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  COMPENSATIONS,
  CONTRACT_STATUSES,
  KIND_LABEL,
  PARTY_KINDS,
  coverageLabel,
  episodeLabel,
  episodeState,
  type Catalog,
  type Compensation,
  type Contract,
  type ContractStatus,
  type CoverageInput,
  type Episode,
  type PartyKind,
} from '../catalog/index.js';
import { parseCueSheet } from '../catalog/cue-csv.js';
import { closest } from '../protocol/suggest.js';
import { PublishError } from '../publish/pipeline.js';
import {
  amount,
  issueStatement,
  listStatements,
  minuteIn,
  partyReport,
  type PartyReport,
} from '../reports/party-report.js';
import { reportCsv, reportHtml } from '../web/admin/rights-statement.js';
import {
  actor,
  findEpisode,
  findSeries,
  openCatalogFor,
  parseTime,
  publishSettings,
  type CommonFlags,
  type Io,
} from './publish.js';

interface RightsSettings {
  timeZone: string;
  currency: string;
}

async function withCatalog<T>(o: CommonFlags, fn: (c: Catalog, s: RightsSettings) => Promise<T>): Promise<T> {
  // The one settings loader (cli/settings.ts), validated as `fjord serve` validates them.
  const s = publishSettings(o);
  const catalog = await openCatalogFor(s);
  try {
    return await fn(catalog, s);
  } finally {
    await catalog.close();
  }
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const near = closest(value, allowed);
  throw new PublishError(
    `${flag} "${value}" is not one of ${allowed.join(', ')}${near.length > 0 ? ` (did you mean "${near[0]}"?)` : ''}`,
  );
}

// ---- parties ----

export interface PartyAddFlags extends CommonFlags {
  kind: string;
  contact?: string;
  reportingAddress?: string;
}

export function partyAdd(name: string, o: PartyAddFlags, io: Io): Promise<void> {
  const kind = oneOf<PartyKind>(o.kind, PARTY_KINDS, '--kind');
  return withCatalog(o, async (c) => {
    const p = await c.contracts.addParty(
      { name, kind, contact: o.contact, reportingAddress: o.reportingAddress },
      actor(),
    );
    io.out.write(`added party ${p.name} (${KIND_LABEL[p.kind]})\n`);
  });
}

export function partyList(o: CommonFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c) => {
    const parties = await c.contracts.listParties();
    const contracts = await c.contracts.listContracts();
    for (const p of parties) {
      const n = contracts.filter((k) => k.partyId === p.id).length;
      const extra = [p.contact, p.reportingAddress ? `reports to ${p.reportingAddress}` : null].filter(
        Boolean,
      );
      io.out.write(
        `${p.name}  ${KIND_LABEL[p.kind]}  ${n} contract${n === 1 ? '' : 's'}${extra.length ? `  ${extra.join(', ')}` : ''}\n`,
      );
    }
  });
}

// ---- contracts ----

export interface ContractAddFlags extends CommonFlags {
  party: string;
  covers: string[];
  status: string;
  from: string;
  until?: string;
  download: boolean;
  p2p: boolean;
  worldwide: boolean;
  compensation: string;
  amount?: string;
  currency?: string;
  reference?: string;
}

/** SERIES, SERIES/s01, SERIES/s01e02 or SERIES/s01e02/cue3. */
async function parseCovers(c: Catalog, text: string): Promise<CoverageInput> {
  const m = /^(.+?)(?:\/s(\d+)(?:e(\d+)(?:\/cue(\d+))?)?)?$/i.exec(text.trim());
  if (m === null)
    throw new PublishError(
      `--covers "${text}" is not SERIES, SERIES/s01, SERIES/s01e02 or SERIES/s01e02/cue3`,
    );
  const series = await findSeries(c, m[1]);
  const n = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  return { series: series.slug, season: n(m[2]), episode: n(m[3]), cue: n(m[4]) };
}

/** 0.05, 1200, 12.5: to millionths of the currency unit. */
function parseAmount(text: string): number {
  const m = /^(\d{1,12})(?:[.,](\d{1,6}))?$/.exec(text.trim());
  if (m === null) throw new PublishError(`--amount "${text}" is not an amount such as 0.05 or 1200`);
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

function terms(k: Contract): string {
  if (k.compensation === 'none') return 'no compensation';
  const sum = `${k.currency ?? ''} ${amount(k.amountMicros ?? 0)}`.trim();
  return k.compensation === 'flat-fee'
    ? `flat fee ${sum}`
    : `${sum} per ${k.compensation === 'per-download' ? 'completed download' : 'browser play'}`;
}

function contractLine(k: Contract, fmt: (d: Date) => string): string {
  const allows = [
    !k.allows.download && 'no download',
    !k.allows.p2p && 'no peer-to-peer',
    !k.allows.worldwide && 'not worldwide',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    `contract ${k.id}  ${k.partyName} (${KIND_LABEL[k.partyKind]})  ${k.status}  ` +
    `${fmt(k.validFrom)} to ${k.validUntil === null ? 'open' : fmt(k.validUntil)}  ` +
    `covers ${k.coverage.map(coverageLabel).join(', ')}  ${terms(k)}${allows ? `  ${allows}` : ''}` +
    `${k.reference ? `  ref. ${k.reference}` : ''}`
  );
}

export function contractAdd(o: ContractAddFlags, io: Io): Promise<void> {
  const status = oneOf<ContractStatus>(o.status, CONTRACT_STATUSES, '--status');
  const compensation = oneOf<Compensation>(o.compensation, COMPENSATIONS, '--compensation');
  const from = parseTime(o.from, '--from');
  const until = o.until === undefined ? null : parseTime(o.until, '--until');
  if (compensation !== 'none' && o.amount === undefined)
    throw new PublishError(`--compensation ${compensation} needs --amount`);
  if (compensation === 'none' && o.amount !== undefined)
    throw new PublishError('--amount needs --compensation flat-fee, per-download or per-play');
  const amountMicros = o.amount === undefined ? null : parseAmount(o.amount);
  if (o.covers.length === 0) throw new PublishError('give --covers at least once');
  return withCatalog(o, async (c, s) => {
    const coverage = [];
    for (const text of o.covers) coverage.push(await parseCovers(c, text));
    const k = await c.contracts.addContract(
      {
        party: o.party,
        status,
        allows: { download: o.download, p2p: o.p2p, worldwide: o.worldwide },
        validFrom: from,
        validUntil: until,
        coverage,
        compensation,
        amountMicros,
        currency: compensation === 'none' ? null : (o.currency ?? s.currency),
        reference: o.reference,
      },
      actor(),
    );
    io.out.write(`added ${contractLine(k, minuteIn(s.timeZone))}\n`);
    await printSwitched(c, k, s, io);
  });
}

/** The episodes a contract speaks for, with their state and what blocks them. */
async function printSwitched(c: Catalog, k: Contract, s: RightsSettings, io: Io): Promise<void> {
  const fmt = minuteIn(s.timeZone);
  const now = new Date();
  const episodes = (await c.listEpisodes()).filter((e) =>
    k.coverage.some(
      (x) =>
        x.seriesId === e.seriesId &&
        (x.season === null || x.season === e.season) &&
        (x.episode === null || x.episode === e.episode),
    ),
  );
  for (const e of episodes) io.out.write(`  ${await episodeStatus(c, e, now, fmt)}\n`);
}

/** One line: the episode, its state, and what blocks it or when it ends. */
export async function episodeStatus(
  c: Catalog,
  e: Episode,
  now: Date,
  fmt: (d: Date) => string,
): Promise<string> {
  const x = await c.contracts.explain(e, now, fmt);
  const name = `${episodeLabel(e.seriesSlug, e.season, e.episode)} "${e.title}"`;
  const state = episodeState(e, now);
  if (x.distributable)
    return `${name}: ${state}${x.ends ? `; ends ${fmt(x.ends.at)} ${x.ends.because}` : ''}`;
  const opens = x.opensAt ? `; opens ${fmt(x.opensAt)}` : '';
  return `${name}: ${state}${opens}; blocked by: ${x.blockers.join('; ')}`;
}

export interface ContractShowFlags extends CommonFlags {
  party?: string;
}

export function contractShow(id: string | undefined, o: ContractShowFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c, s) => {
    const fmt = minuteIn(s.timeZone);
    if (id !== undefined) {
      const k = await c.contracts.getContract(contractId(id));
      if (k === null) throw new PublishError(`no contract ${id}; fjord contract show lists them`);
      io.out.write(`${contractLine(k, fmt)}\n`);
      await printSwitched(c, k, s, io);
      return;
    }
    const party = o.party === undefined ? undefined : await c.contracts.requireParty(o.party);
    const list = await c.contracts.listContracts(party === undefined ? {} : { partyId: party.id });
    io.out.write(list.map((k) => `${contractLine(k, fmt)}\n`).join('') || 'no contracts\n');
  });
}

function contractId(text: string): number {
  const t = text.trim().replace(/^contract\s*/i, '');
  if (!/^\d+$/.test(t))
    throw new PublishError(`"${text}" is not a contract number (fjord contract show lists them)`);
  return Number(t);
}

export function contractEnd(id: string, o: CommonFlags & { at?: string }, io: Io): Promise<void> {
  const at = o.at === undefined ? undefined : parseTime(o.at, '--at');
  return withCatalog(o, async (c, s) => {
    const k = await c.contracts.endContract(contractId(id), at, actor());
    io.out.write(`ended ${contractLine(k, minuteIn(s.timeZone))}\n`);
    await printSwitched(c, k, s, io);
  });
}

export function contractStatus(id: string, status: string, o: CommonFlags, io: Io): Promise<void> {
  const st = oneOf<ContractStatus>(status, CONTRACT_STATUSES, 'status');
  return withCatalog(o, async (c, s) => {
    const k = await c.contracts.setContractStatus(contractId(id), st, actor());
    io.out.write(`${contractLine(k, minuteIn(s.timeZone))}\n`);
    await printSwitched(c, k, s, io);
  });
}

export function contractCalendar(o: CommonFlags & { days: string }, io: Io): Promise<void> {
  const days = Number(o.days);
  if (!Number.isSafeInteger(days) || days < 1 || days > 3660)
    throw new PublishError(`--days must be a whole number from 1 to 3660 (got "${o.days}")`);
  return withCatalog(o, async (c, s) => {
    const fmt = minuteIn(s.timeZone);
    const now = new Date();
    const entries = await c.contracts.calendar(
      await c.listEpisodes(),
      now,
      new Date(now.getTime() + days * 86_400_000),
    );
    for (const x of entries) {
      const k = x.contract;
      const what = [
        x.switchesOn.length ? `switches on ${x.switchesOn.join(', ')}` : '',
        x.switchesOff.length ? `switches off ${x.switchesOff.join(', ')}` : '',
      ].filter(Boolean);
      io.out.write(
        `${fmt(x.at)}  contract ${k.id} of ${k.partyName} (${KIND_LABEL[k.partyKind]}, ${k.status}) ${x.change}` +
          `: ${what.length ? what.join('; ') : 'switches nothing on its own'}\n`,
      );
    }
    if (entries.length === 0) io.out.write(`no contract starts or ends in the next ${days} days\n`);
  });
}

// ---- cue sheets ----

/** SERIES/s01e02 (the series by title or slug). */
async function episodeArg(c: Catalog, text: string): Promise<{ episode: Episode; label: string }> {
  const m = /^(.+)\/s(\d+)e(\d+)$/i.exec(text.trim());
  if (m === null) throw new PublishError(`episode "${text}" is not SERIES/s01e02`);
  return findEpisode(c, { series: m[1], season: m[2], episode: m[3] });
}

export function cuesImport(episode: string, file: string, o: CommonFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c, s) => {
    const { episode: e, label } = await episodeArg(c, episode);
    const name = basename(file);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      throw new PublishError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const cues = parseCueSheet(bytes, name);
    await c.contracts.replaceCues(e.id, cues, actor(), (i) => `${name} line ${cues[i].line}`);
    io.out.write(`imported ${cues.length} music cue${cues.length === 1 ? '' : 's'} for ${label}\n`);
    const after = await c.getEpisodeById(e.id);
    if (after) io.out.write(`${await episodeStatus(c, after, new Date(), minuteIn(s.timeZone))}\n`);
  });
}

export function cuesShow(episode: string, o: CommonFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c) => {
    const { episode: e, label } = await episodeArg(c, episode);
    const cues = await c.contracts.listCues(e.id);
    if (cues.length === 0) io.out.write(`${label} has no cue sheet\n`);
    const dur = (n: number) => `${Math.floor(n / 60)}:${String(n % 60).padStart(2, '0')}`;
    for (const q of cues) {
      const by = q.licence ? `licence ${q.licence}` : q.library ? `library ${q.library}` : 'contract';
      io.out.write(
        `${q.number}  '${q.title}'  ${dur(q.durationSeconds)}  ${q.use}` +
          `${q.composer ? `  composer ${q.composer}` : ''}${q.performer ? `  performer ${q.performer}` : ''}` +
          `${q.publisher ? `  label ${q.publisher}` : ''}  covered by ${by}\n`,
      );
    }
  });
}

export function rightsStatus(o: CommonFlags & { series?: string }, io: Io): Promise<void> {
  return withCatalog(o, async (c, s) => {
    const slug = o.series === undefined ? undefined : (await findSeries(c, o.series)).slug;
    const now = new Date();
    const fmt = minuteIn(s.timeZone);
    const list = await c.listEpisodes(slug === undefined ? {} : { seriesSlug: slug });
    for (const e of list) io.out.write(`${await episodeStatus(c, e, now, fmt)}\n`);
    if (list.length === 0) io.out.write('no episodes\n');
  });
}

// ---- reports ----

export interface ReportFlags extends CommonFlags {
  party: string;
  month: string;
  format: string;
  issue?: boolean;
  corrects?: string;
  statement?: string;
}

function printReport(
  r: PartyReport,
  format: string,
  io: Io,
  statement?: { id: number; issuedAt: string; corrects: number | null },
): void {
  if (format === 'csv') io.out.write(reportCsv(r));
  else if (format === 'html') io.out.write(reportHtml(r, statement));
  else if (format === 'json')
    io.out.write(`${JSON.stringify(statement ? { statement, report: r } : r, null, 2)}\n`);
  else {
    const cur = r.currency ?? '';
    io.out.write(
      `${r.party.name}, ${r.month} (${r.timeZone})${statement ? `, statement ${statement.id}` : ''}\n`,
    );
    for (const w of [...r.works, { ...r.totals, work: 'total', title: '' }]) {
      io.out.write(
        `${w.work}${w.title ? ` "${w.title}"` : ''}: ${w.completedDownloads} completed downloads, ` +
          `${w.bytesDelivered} bytes delivered (${w.webSeedBytes} from the web seed), browser plays not recorded, ` +
          `owed ${w.owedMicros === null ? 'not computable' : `${cur} ${amount(w.owedMicros)}`.trim()}\n`,
      );
    }
    for (const n of r.notes) io.out.write(`note: ${n}\n`);
  }
}

export function report(o: ReportFlags, io: Io): Promise<void> {
  const format = oneOf(o.format, ['text', 'csv', 'html', 'json'] as const, '--format');
  return withCatalog(o, async (c, s) => {
    const fmt = minuteIn(s.timeZone);
    if (o.statement !== undefined) {
      const party = await c.contracts.requireParty(o.party);
      const st = (await listStatements(c, party.id)).find((x) => String(x.id) === o.statement?.trim());
      if (st === undefined) throw new PublishError(`no statement ${o.statement} for ${party.name}`);
      printReport(st.report, format, io, { id: st.id, issuedAt: fmt(st.issuedAt), corrects: st.corrects });
      return;
    }
    const r = await partyReport(c, o.party, o.month, s.timeZone);
    if (!o.issue) {
      if (o.corrects !== undefined) throw new PublishError('--corrects needs --issue');
      printReport(r, format, io);
      return;
    }
    const corrects = o.corrects === undefined ? null : Number(o.corrects);
    if (corrects !== null && !Number.isSafeInteger(corrects))
      throw new PublishError(`--corrects "${o.corrects}" is not a statement number`);
    const st = await issueStatement(c, r, actor(), corrects);
    printReport(st.report, format, io, { id: st.id, issuedAt: fmt(st.issuedAt), corrects: st.corrects });
  });
}
