/**
 * Bencoding (BEP 3), the serialisation of .torrent files and HTTP tracker replies.
 *
 *   integer     i<decimal>e          i42e, i-3e (no leading zeros, no -0)
 *   byte string <length>:<bytes>     4:spam
 *   list        l<items>e            l4:spami42ee
 *   dictionary  d<key><value>...e    keys are byte strings, sorted as raw bytes, no duplicates
 *
 * Decoded byte strings stay Buffers (info hashes and piece hashes are binary); dictionaries decode
 * to plain objects keyed by the latin1 reading of the key, so every byte value of a key survives.
 */

export type BValue = number | bigint | Buffer | string | BValue[] | BDict;
export interface BDict {
  [key: string]: BValue | undefined;
}
export type Decoded = number | bigint | Buffer | Decoded[] | { [key: string]: Decoded };

export class BencodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'BencodeError';
  }
}

/** Encodes a value. Strings are written as UTF-8; dictionary keys are sorted by their bytes. */
export function bencode(value: BValue): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function write(v: BValue, out: Buffer[]): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`bencode: ${v} is not a safe integer`);
    out.push(Buffer.from(`i${v}e`, 'latin1'));
  } else if (typeof v === 'bigint') {
    out.push(Buffer.from(`i${v}e`, 'latin1'));
  } else if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    out.push(Buffer.from(`${b.length}:`, 'latin1'), b);
  } else if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    out.push(Buffer.from(`${v.length}:`, 'latin1'), Buffer.from(v.buffer, v.byteOffset, v.length));
  } else if (Array.isArray(v)) {
    out.push(Buffer.from('l'));
    for (const item of v) write(item, out);
    out.push(Buffer.from('e'));
  } else {
    out.push(Buffer.from('d'));
    // Keys are JS strings holding latin1 bytes when they came from decode(), or ordinary text written
    // by our code; both become the same bytes for the ASCII keys the protocols use. Sort by bytes.
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .map((k) => ({ k, b: keyBytes(k) }))
      .sort((a, b) => Buffer.compare(a.b, b.b));
    for (const { k, b } of keys) {
      out.push(Buffer.from(`${b.length}:`, 'latin1'), b);
      write(v[k] as BValue, out);
    }
    out.push(Buffer.from('e'));
  }
}

function keyBytes(k: string): Buffer {
  // A key with characters above 0xff cannot be latin1 bytes, so it is text: write it as UTF-8.
  for (let i = 0; i < k.length; i++) if (k.charCodeAt(i) > 0xff) return Buffer.from(k, 'utf8');
  return Buffer.from(k, 'latin1');
}

export interface DecodeOptions {
  /** Deepest nesting accepted (a defence against stack exhaustion). Default 64. */
  maxDepth?: number;
}

/** Decodes exactly one value spanning the whole buffer; throws BencodeError on anything malformed. */
export function bdecode(buf: Buffer, options: DecodeOptions = {}): Decoded {
  const d = new Decoder(buf, options.maxDepth ?? 64);
  const v = d.value(0);
  if (d.pos !== buf.length) throw new BencodeError('trailing data after the value', d.pos);
  return v;
}

/**
 * Decodes one value and also returns the byte span of the named top-level dictionary key's value
 * (for the info dictionary, whose exact bytes give the info hash).
 */
export function bdecodeWithSpan(buf: Buffer, key: string): { value: Decoded; span?: [number, number] } {
  const d = new Decoder(buf, 64);
  d.spanKey = key;
  const value = d.value(0);
  if (d.pos !== buf.length) throw new BencodeError('trailing data after the value', d.pos);
  return { value, span: d.span };
}

class Decoder {
  pos = 0;
  spanKey: string | undefined;
  span: [number, number] | undefined;
  constructor(
    private readonly buf: Buffer,
    private readonly maxDepth: number,
  ) {}

  value(depth: number): Decoded {
    if (depth > this.maxDepth) throw new BencodeError('nesting too deep', this.pos);
    const c = this.buf[this.pos];
    if (c === undefined) throw new BencodeError('unexpected end of data', this.pos);
    if (c === 0x69) return this.integer();
    if (c >= 0x30 && c <= 0x39) return this.bytes();
    if (c === 0x6c) {
      this.pos++;
      const list: Decoded[] = [];
      while (this.buf[this.pos] !== 0x65) {
        if (this.pos >= this.buf.length) throw new BencodeError('unterminated list', this.pos);
        list.push(this.value(depth + 1));
      }
      this.pos++;
      return list;
    }
    if (c === 0x64) {
      this.pos++;
      const dict: { [key: string]: Decoded } = Object.create(null);
      let prev: Buffer | undefined;
      while (this.buf[this.pos] !== 0x65) {
        if (this.pos >= this.buf.length) throw new BencodeError('unterminated dictionary', this.pos);
        const at = this.pos;
        const key = this.bytes();
        if (prev && Buffer.compare(prev, key) >= 0)
          throw new BencodeError('dictionary keys not sorted or duplicated', at);
        prev = key;
        const k = key.toString('latin1');
        const start = this.pos;
        dict[k] = this.value(depth + 1);
        if (depth === 0 && k === this.spanKey) this.span = [start, this.pos];
      }
      this.pos++;
      return dict;
    }
    throw new BencodeError(`unexpected byte 0x${c.toString(16)}`, this.pos);
  }

  integer(): number | bigint {
    const start = ++this.pos;
    const end = this.buf.indexOf(0x65, start);
    if (end < 0) throw new BencodeError('unterminated integer', start);
    const s = this.buf.toString('latin1', start, end);
    if (!/^(0|-?[1-9][0-9]*)$/.test(s))
      throw new BencodeError(`malformed integer "${s.slice(0, 24)}"`, start);
    this.pos = end + 1;
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : BigInt(s);
  }

  bytes(): Buffer {
    const start = this.pos;
    const colon = this.buf.indexOf(0x3a, start);
    if (colon < 0 || colon - start > 12) throw new BencodeError('malformed string length', start);
    const s = this.buf.toString('latin1', start, colon);
    if (!/^(0|[1-9][0-9]*)$/.test(s)) throw new BencodeError('malformed string length', start);
    const len = Number(s);
    const end = colon + 1 + len;
    if (end > this.buf.length) throw new BencodeError('string runs past the end of data', start);
    this.pos = end;
    return this.buf.subarray(colon + 1, end);
  }
}
