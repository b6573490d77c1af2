/**
 * Bytes to text. Subtitle files must be UTF-8: that is what WebVTT requires and what browsers assume,
 * and a Latin-1 or UTF-16 file would show as mojibake in the player. A UTF-8 byte-order mark is
 * allowed (many Windows editors write one) and removed. Decoding is strict (TextDecoder with
 * fatal: true), and a refusal says where the first bad byte is and what the file probably is.
 */
import { refuse, type SubtitleError } from './types.js';

export type Decoded = { ok: true; text: string } | SubtitleError;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeSubtitle(input: Uint8Array | string): Decoded {
  if (typeof input === 'string') {
    const nul = input.indexOf('\0');
    if (nul >= 0) return nulError(lineOfString(input, nul));
    return { ok: true, text: input.startsWith('\uFEFF') ? input.slice(1) : input };
  }
  if (
    input.length >= 2 &&
    ((input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff))
  ) {
    return refuse(
      'not-utf8',
      'the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8',
    );
  }
  // NUL is valid UTF-8 but never belongs in a subtitle; it is the mark of UTF-16 without a BOM.
  const nul = input.indexOf(0);
  if (nul >= 0) return nulError(lineOfBytes(input, nul));
  let text: string;
  try {
    text = UTF8.decode(input); // removes one leading UTF-8 BOM (ignoreBOM is false)
  } catch {
    const at = firstInvalidUtf8(input);
    if (at < 0) return refuse('not-utf8', 'the file is not valid UTF-8; save it as UTF-8');
    const byte = input[at].toString(16).toUpperCase().padStart(2, '0');
    return refuse(
      'not-utf8',
      `byte 0x${byte} is not valid UTF-8 (is the file Latin-1 or Windows-1252?); save it as UTF-8`,
      lineOfBytes(input, at),
    );
  }
  return { ok: true, text };
}

function nulError(line: number): SubtitleError {
  return refuse(
    'not-utf8',
    'the file contains NUL bytes (UTF-16 without a byte-order mark?); save it as UTF-8',
    line,
  );
}

/**
 * Offset of the first byte that starts an invalid UTF-8 sequence, or -1. Only used to word a refusal
 * after TextDecoder has already said no, so it follows the same rules: no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** 1-based line of a byte offset; CRLF, LF and lone CR all end a line. */
function lineOfBytes(b: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (b[i] === 0x0a || (b[i] === 0x0d && b[i + 1] !== 0x0a)) line++;
  }
  return line;
}

function lineOfString(s: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && s.charCodeAt(i + 1) !== 0x0a)) line++;
  }
  return line;
}
