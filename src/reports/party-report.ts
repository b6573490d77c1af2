/**
 * A rights holder's monthly report (issue 14): per work the party's contracts cover, the completed
 * downloads, browser plays, bytes delivered and the amount owed under per-download or per-play
 * terms, for one calendar month in the configured time zone. One module that the CLI
 * (`fjord report`), the JSON API and the pages call, so the figures are computed in one place.
 *
 * Figures come from the recorded statistics (src/stats, hour rows, kept 730 days):
 *   completed downloads  the swarm rows' completions of the work's torrents (BitTorrent clients and
 *                        browsers together: the recorder counts them as one figure, so the two are
 *                        not reported apart; see docs/rights.md)
 *   browser plays        not recorded by fjord's statistics yet: reported as null, never as 0
 *   bytes delivered      completions x torrent size + bytes of downloads stopped part-way
 *                        (derived.ts deliveredBytesWithPartial), of which `webSeedBytes` came from the
 *                        web seed
 *   amount owed          per-download contracts: completions in hours inside the contract's signed
 *                        window x its amount; per-play: plays x amount (null while plays are not
 *                        recorded); flat fees are listed, not spread over months
 * Statements: `issueStatement` stores a report exactly as computed (rights_statements); an issued
 * statement is never changed, a correction is a new statement that names the one it corrects.
 */
import type { Catalog, Contract, Episode } from '../catalog/index.js';
import { CatalogError, auditEvent, episodeLabel, writeCatalog } from '../catalog/index.js';
import { deliveredBytesWithPartial } from '../stats/derived.js';
import { StatsStore } from '../stats/store.js';
import { formatLocal, startOfDay } from '../stats/time.js';

export interface WorkFigures {
  episodeId: number;
  /** fjordliv s01e02 */
  work: string;
  title: string;
  completedDownloads: number;
  /** Not recorded apart from completedDownloads (see the file comment): null. */
  bittorrentDownloads: number | null;
  browserDownloads: number | null;
  browserPlays: number | null;
  bytesDelivered: number;
  webSeedBytes: number;
  /** Millionths of the currency unit; null when it cannot be computed (per-play terms). */
  owedMicros: number | null;
}

export interface PartyReport {
  party: { id: number; name: string; kind: string; reportingAddress: string | null };
  /** YYYY-MM */
  month: string;
  timeZone: string;
  from: Date;
  until: Date;
  currency: string | null;
  works: WorkFigures[];
  totals: Omit<WorkFigures, 'episodeId' | 'work' | 'title'>;
  /** The contracts the report applies, one line each. */
  contracts: Array<{ id: number; status: string; terms: string }>;
  notes: string[];
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** [start, end) of a month in the zone, UTC ms. */
export function monthSpan(month: string, timeZone: string): { start: number; end: number } {
  const m = MONTH.exec(month);
  if (m === null) throw new CatalogError('invalid-input', `month "${month}" is not YYYY-MM (2026-11)`);
  const first = `${month}-01`;
  const next =
    Number(m[2]) === 12
      ? `${Number(m[1]) + 1}-01-01`
      : `${m[1]}-${String(Number(m[2]) + 1).padStart(2, '0')}-01`;
  return { start: startOfDay(first, timeZone), end: startOfDay(next, timeZone) };
}

function coversWork(k: Contract, e: Episode): boolean {
  return k.coverage.some(
    (c) =>
      c.seriesId === e.seriesId &&
      (c.season === null || c.season === e.season) &&
      (c.episode === null || c.episode === e.episode),
  );
}

function termsLine(k: Contract): string {
  const amount = k.amountMicros === null ? '' : ` ${k.currency ?? ''} ${k.amountMicros / 1e6}`;
  return `${k.compensation}${amount}`.trim();
}

/** The report of `partyName` for `month` (YYYY-MM) in `timeZone`. */
export async function partyReport(
  catalog: Catalog,
  partyName: string,
  month: string,
  timeZone: string,
): Promise<PartyReport> {
  const party = await catalog.contracts.requireParty(partyName);
  const { start, end } = monthSpan(month, timeZone);
  const contracts = await catalog.contracts.listContracts({ partyId: party.id });
  const episodes = (await catalog.listEpisodes()).filter((e) => contracts.some((k) => coversWork(k, e)));
  const stats = new StatsStore(catalog.backend);
  const works: WorkFigures[] = [];
  const notes: string[] = [];
  const currencies = new Set(contracts.map((k) => k.currency).filter((c): c is string => c !== null));
  if (currencies.size > 1)
    notes.push(`contracts in several currencies (${[...currencies].join(', ')}): amounts added as given`);
  if (contracts.some((k) => k.compensation === 'per-play'))
    notes.push('browser plays are not recorded by fjord yet: per-play amounts are not computed');
  for (const k of contracts.filter((x) => x.compensation === 'flat-fee'))
    notes.push(`contract ${k.id}: flat fee ${termsLine(k)}, not spread over months`);

  for (const e of episodes) {
    const ids = e.torrents.map((t) => t.id);
    const rows = await stats.swarm('hour', ids, start, end);
    // The payload: the media files the torrent carries (torrents.size_bytes is the .torrent file's).
    const sizeBytes = e.media.reduce((n, m) => n + m.sizeBytes, 0);
    const completions = rows.reduce((n, r) => n + r.completions, 0);
    const partial = rows.reduce((n, r) => n + r.partial_bytes, 0);
    const webSeedBytes = (
      await stats.webSeed(
        'hour',
        start,
        end,
        e.media.map((m) => m.path),
      )
    ).reduce((n, r) => n + r.bytes, 0);
    let owed: number | null = 0;
    for (const k of contracts) {
      if (!coversWork(k, e) || k.status !== 'signed') continue;
      if (k.compensation === 'per-download') {
        const from = k.validFrom.getTime();
        const until = k.validUntil?.getTime() ?? Infinity;
        // An hour row counts when its hour starts inside the contract's window.
        const n = rows
          .filter((r) => r.bucket >= from && r.bucket < until)
          .reduce((s, r) => s + r.completions, 0);
        if (owed !== null) owed += n * (k.amountMicros ?? 0);
      } else if (k.compensation === 'per-play') owed = null;
    }
    works.push({
      episodeId: e.id,
      work: episodeLabel(e.seriesSlug, e.season, e.episode),
      title: e.title,
      completedDownloads: completions,
      bittorrentDownloads: null,
      browserDownloads: null,
      browserPlays: null,
      bytesDelivered: deliveredBytesWithPartial({
        completions,
        sizeBytes,
        webSeedBytes,
        partialBytes: partial,
      }),
      webSeedBytes,
      owedMicros: owed,
    });
  }
  const sum = (f: (w: WorkFigures) => number | null): number | null =>
    works.some((w) => f(w) === null) ? null : works.reduce((n, w) => n + (f(w) ?? 0), 0);
  return {
    party: { id: party.id, name: party.name, kind: party.kind, reportingAddress: party.reportingAddress },
    month,
    timeZone,
    from: new Date(start),
    until: new Date(end),
    currency: currencies.size === 1 ? [...currencies][0] : null,
    works,
    totals: {
      completedDownloads: sum((w) => w.completedDownloads) ?? 0,
      bittorrentDownloads: null,
      browserDownloads: null,
      browserPlays: null,
      bytesDelivered: sum((w) => w.bytesDelivered) ?? 0,
      webSeedBytes: sum((w) => w.webSeedBytes) ?? 0,
      owedMicros: sum((w) => w.owedMicros),
    },
    contracts: contracts.map((k) => ({ id: k.id, status: k.status, terms: termsLine(k) })),
    notes,
  };
}

export interface Statement {
  id: number;
  partyId: number;
  month: string;
  report: PartyReport;
  corrects: number | null;
  issuedAt: Date;
  issuedBy: string;
}

/**
 * Issues the report as a statement: stored as computed, never changed. A second statement for the
 * same party and month must say which one it corrects (`corrects`), so nothing is silently replaced.
 */
export async function issueStatement(
  catalog: Catalog,
  report: PartyReport,
  actor: string,
  corrects: number | null,
  now: Date = new Date(),
): Promise<Statement> {
  const id = await writeCatalog(catalog.backend, async (trx) => {
    const earlier = await trx
      .selectFrom('rights_statements')
      .select('id')
      .where('party_id', '=', report.party.id)
      .where('month', '=', report.month)
      .orderBy('id')
      .execute();
    const ids = earlier.map((r) => Number(r.id));
    if (ids.length > 0 && (corrects === null || !ids.includes(corrects)))
      throw new CatalogError(
        'invalid-input',
        `${report.party.name} already has statement ${ids.join(', ')} for ${report.month}: issue a correction with --corrects ${ids[ids.length - 1]}`,
      );
    if (ids.length === 0 && corrects !== null)
      throw new CatalogError(
        'not-found',
        `no statement ${corrects} for ${report.party.name} in ${report.month}`,
      );
    const row = await trx
      .insertInto('rights_statements')
      .values({
        party_id: report.party.id,
        month: report.month,
        time_zone: report.timeZone,
        body: JSON.stringify(report),
        corrects,
        issued_at: now.getTime(),
        issued_by: actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await auditEvent(trx, {
      at: now.getTime(),
      actor,
      action: 'statement.issue',
      subject: `statement:${Number(row.id)}`,
      details: { party: report.party.name, month: report.month, corrects },
    });
    return Number(row.id);
  });
  return (await listStatements(catalog, report.party.id)).find((s) => s.id === id) as Statement;
}

export async function listStatements(catalog: Catalog, partyId: number): Promise<Statement[]> {
  const rows = await catalog.backend.db
    .selectFrom('rights_statements')
    .selectAll()
    .where('party_id', '=', partyId)
    .orderBy('id')
    .execute();
  return rows.map((r) => {
    const report = JSON.parse(r.body) as PartyReport;
    report.from = new Date(report.from);
    report.until = new Date(report.until);
    return {
      id: Number(r.id),
      partyId: Number(r.party_id),
      month: r.month,
      report,
      corrects: r.corrects === null ? null : Number(r.corrects),
      issuedAt: new Date(Number(r.issued_at)),
      issuedBy: r.issued_by,
    };
  });
}

/** "2027-01-31 12:00" in the time zone (seconds only when there are any). */
export function minuteIn(timeZone: string): (d: Date) => string {
  return (d) => {
    const s = formatLocal(d.getTime(), timeZone);
    return `${s.slice(0, 10)} ${s.slice(11, s.slice(17, 19) === '00' ? 16 : 19)}`;
  };
}

/** Millionths → "12.345" with at least two decimals; null → "". */
export function amount(micros: number | null): string {
  if (micros === null) return '';
  const whole = Math.floor(micros / 1_000_000);
  const frac = String(micros % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${whole}.${frac}`;
}
