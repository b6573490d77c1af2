/**
 * Music cue sheets from CSV, the shape broadcast cue-sheet exports use (docs/rights.md, "Cue sheet
 * CSV"): a header row naming the columns, then one cue per row. Pure: bytes in, cues out, or one
 * CatalogError naming the line (and column) of the first problem, so an import changes nothing
 * unless the whole file is good.
 *
 *   - UTF-8 only (a BOM is allowed); UTF-16 or bytes that are not UTF-8 are refused with the line.
 *   - Comma or semicolon separated (the header decides), RFC 4180 quoting, CRLF or LF.
 *   - Columns in any order, names in any case, with the usual aliases (cue/#, label, usage, ...);
 *     columns fjord does not know (ISRC, notes) are ignored.
 *   - Durations as m:ss, h:mm:ss or whole seconds.
 */
import type { CueInput } from './contracts.js';
import { CatalogError } from './errors.js';

type Field = keyof Omit<CueInput, 'durationSeconds'> | 'duration';

const ALIASES: Record<string, Field> = {
  number: 'number',
  cue: 'number',
  'cue no': 'number',
  'cue number': 'number',
  no: 'number',
  '#': 'number',
  title: 'title',
  composer: 'composer',
  composers: 'composer',
  performer: 'performer',
  artist: 'performer',
  publisher: 'publisher',
  label: 'publisher',
  'publisher/label': 'publisher',
  duration: 'duration',
  length: 'duration',
  timing: 'duration',
  use: 'use',
  usage: 'use',
  party: 'party',
  licence: 'licence',
  license: 'licence',
  library: 'library',
};

const REQUIRED: Field[] = ['title', 'duration', 'use'];

const fail = (message: string): never => {
  throw new CatalogError('invalid-input', message);
};

/** The text of a UTF-8 file, or a refusal naming the first line that is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, name: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    fail(`${name} is UTF-16: save it as UTF-8`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // Find the line: decode line by line (a line break is never part of a multi-byte sequence).
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
      } catch {
        return fail(`${name} line ${line}: not UTF-8 (Latin-1 or Windows-1252?); save the file as UTF-8`);
      }
      line++;
      start = i + 1;
    }
    return fail(`${name} is not UTF-8: save it as UTF-8`);
  }
}

/** RFC 4180 records, each with the line it starts on. */
function records(text: string, sep: string, name: string): Array<{ line: number; fields: string[] }> {
  const out: Array<{ line: number; fields: string[] }> = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let done = false;
    while (!done) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) fail(`${name} line ${startLine}: a quoted field is never closed`);
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (text[i] === '\n') line++;
          field += text[i++];
        }
        if (i < text.length && text[i] !== sep && text[i] !== '\n' && text[i] !== '\r')
          fail(`${name} line ${line}: text after a closing quote`);
      }
      while (i < text.length && text[i] !== sep && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      if (text[i] === sep) {
        fields.push(field);
        field = '';
        i++;
        continue;
      }
      fields.push(field);
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      done = true;
    }
    if (!(fields.length === 1 && fields[0].trim() === '')) out.push({ line: startLine, fields });
  }
  return out;
}

/** m:ss, h:mm:ss or whole seconds. */
function seconds(text: string): number | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{2})$/.exec(t);
  if (m === null || Number(m[3]) > 59 || (m[1] !== undefined && Number(m[2]) > 59)) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** The cues of a cue-sheet CSV file, with the line each came from; refuses the first bad row. */
export function parseCueSheet(bytes: Uint8Array, name: string): Array<CueInput & { line: number }> {
  const text = decodeUtf8(bytes, name).replace(/^\ufeff/, '');
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const sep = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const rows = records(text, sep, name);
  if (rows.length === 0) fail(`${name} is empty: it needs a header row and one row per cue`);
  const header = rows[0];
  const columns = header.fields.map((h) => ALIASES[h.trim().toLowerCase()] ?? null);
  for (const f of REQUIRED) {
    if (!columns.includes(f))
      fail(`${name} line ${header.line}: no "${f}" column (the header must name title, duration and use)`);
  }
  const twice = columns.find((c, i) => c !== null && columns.indexOf(c) !== i);
  if (twice) fail(`${name} line ${header.line}: the "${twice}" column is given twice`);

  const out: Array<CueInput & { line: number }> = [];
  const numbers = new Map<number, number>();
  for (const row of rows.slice(1)) {
    const at = `${name} line ${row.line}`;
    if (row.fields.length !== header.fields.length)
      fail(`${at}: ${row.fields.length} fields, the header has ${header.fields.length}`);
    const v: Partial<Record<Field, string>> = {};
    columns.forEach((c, i) => {
      const s = row.fields[i].trim();
      if (c !== null && s !== '') v[c] = s;
    });
    for (const f of REQUIRED) if (v[f] === undefined) fail(`${at}, column ${f}: empty`);
    const number = v.number === undefined ? out.length + 1 : Number(v.number);
    if (!Number.isSafeInteger(number) || number < 1 || (v.number !== undefined && !/^\d+$/.test(v.number)))
      fail(`${at}, column number: "${v.number}" is not a cue number (1, 2, ...)`);
    const seen = numbers.get(number);
    if (seen !== undefined) fail(`${at}, column number: cue ${number} is already on line ${seen}`);
    numbers.set(number, row.line);
    const duration = seconds(v.duration as string);
    if (duration === null)
      fail(`${at}, column duration: "${v.duration}" is not m:ss, h:mm:ss or whole seconds`);
    for (const [f, s] of Object.entries(v)) {
      if (/[\p{Cc}]/u.test(s)) fail(`${at}, column ${f}: control characters or a line break`);
    }
    out.push({
      line: row.line,
      number,
      title: v.title as string,
      composer: v.composer,
      performer: v.performer,
      publisher: v.publisher,
      durationSeconds: duration as number,
      use: v.use as string,
      party: v.party,
      licence: v.licence,
      library: v.library,
    });
  }
  if (out.length === 0) fail(`${name} has a header but no cues`);
  return out;
}
