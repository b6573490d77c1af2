/**
 * CSV for the admin API's tables (`?format=csv`): RFC 4180 (CRLF, quotes doubled), a header row from
 * the first row's keys, UTF-8 with a BOM so spreadsheet programs read æøå right. Text cells that a
 * spreadsheet would run as a formula (starting with = + - @, tab or CR) get a leading apostrophe:
 * titles come from editors and must not become formulas on someone's desktop.
 */
export type Cell = string | number | boolean | null | undefined;
export type TableRow = Record<string, Cell>;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly TableRow[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  const lines = [cols.map((c) => cell(c)).join(',')];
  for (const r of rows) lines.push(cols.map((c) => cell(r[c])).join(','));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}
