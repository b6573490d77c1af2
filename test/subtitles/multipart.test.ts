/**
 * The bounded body reader and the multipart/form-data parser the contribute form is read with:
 * what browsers send (fields, a file whose content holds line breaks and boundary-like text, names
 * with percent-encoded quotes, UTF-8 file names), every malformed shape refused with a reason, the
 * limits, and properties: no input makes it throw, and a body built from any fields and file parses
 * back to them. readBounded refuses a declared length over the limit without reading a byte.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { multipartBoundary, parseMultipart, readBounded } from '../../src/subtitles/multipart.js';
import { multipart } from './helpers.js';

const CT = 'multipart/form-data; boundary=XyZ';
const body = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8');

describe('multipartBoundary', () => {
  test('reads plain and quoted boundaries of multipart/form-data only', () => {
    assert.equal(multipartBoundary(CT), 'XyZ');
    assert.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b:c"'), 'a b:c');
    assert.equal(
      multipartBoundary('multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW'),
      '----WebKitFormBoundary7MA4YWxkTrZu0gW',
    );
    assert.equal(multipartBoundary('multipart/mixed; boundary=x'), null);
    assert.equal(multipartBoundary('multipart/form-data'), null);
    assert.equal(multipartBoundary('multipart/form-data; boundary='), null);
    assert.equal(multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`), null);
    assert.equal(multipartBoundary('multipart/form-data; boundary="ends with space "'), null);
    assert.equal(multipartBoundary(undefined), null);
  });
});

describe('parseMultipart', () => {
  test('fields and a file as a browser sends them', () => {
    const r = parseMultipart(
      body(
        '--XyZ\n' +
          'Content-Disposition: form-data; name="language"\n\n' +
          'nb\n' +
          '--XyZ\n' +
          'Content-Disposition: form-data; name="na%22me"\n\n' +
          'Kari "K" Nordmann\n' +
          '--XyZ\n' +
          'Content-Disposition: form-data; name="file"; filename="C:\\Users\\k\\Ærlig talt.srt"\n' +
          'Content-Type: application/x-subrip\n\n' +
          '1\n00:00:01,000 --> 00:00:02,000\nnot a --XyZ boundary: mid-line\n\n' +
          '--XyZ--\n',
      ),
      'XyZ',
    );
    assert.ok(r.ok, !r.ok ? r.reason : '');
    assert.deepEqual(
      r.parts.map((p) => [p.name, p.filename, p.contentType, p.data.toString('utf8')]),
      [
        ['language', null, null, 'nb'],
        ['na"me', null, null, 'Kari "K" Nordmann'],
        [
          'file',
          'C:\\Users\\k\\Ærlig talt.srt',
          'application/x-subrip',
          '1\r\n00:00:01,000 --> 00:00:02,000\r\nnot a --XyZ boundary: mid-line\r\n',
        ],
      ],
    );
  });

  test('a preamble before the first boundary and an empty file part', () => {
    const r = parseMultipart(
      body('ignored preamble\n--XyZ\nContent-Disposition: form-data; name="file"; filename=""\n\n\n--XyZ--'),
      'XyZ',
    );
    assert.ok(r.ok);
    assert.equal(r.parts[0].filename, '');
    assert.equal(r.parts[0].data.length, 0);
  });

  const bad: Array<[string, string]> = [
    ['no boundary', 'just some text'],
    ['a part without Content-Disposition', '--XyZ\nContent-Type: text/plain\n\nx\n--XyZ--'],
    ['a part without a name', '--XyZ\nContent-Disposition: form-data; filename="a"\n\nx\n--XyZ--'],
    ['a part that is not form-data', '--XyZ\nContent-Disposition: attachment; name="a"\n\nx\n--XyZ--'],
    ['the last part is not closed', '--XyZ\nContent-Disposition: form-data; name="a"\n\nx'],
    [
      'a boundary is not followed by a line break',
      '--XyZjunk\nContent-Disposition: form-data; name="a"\n\nx\n--XyZ--',
    ],
    ['headers unfinished', '--XyZ\nContent-Disposition: form-data; name="a"'],
    ['a header without a name', '--XyZ\n: value\n\nx\n--XyZ--'],
  ];
  for (const [what, text] of bad) {
    test(`refuses ${what}`, () => {
      const r = parseMultipart(body(text), 'XyZ');
      assert.ok(!r.ok);
      assert.match(r.reason, /^malformed form data: /);
      assert.ok(!r.reason.includes('\n'));
    });
  }

  test('limits the number of parts and the size of a part’s headers', () => {
    const many =
      Array.from({ length: 17 }, (_, i) => `--XyZ\nContent-Disposition: form-data; name="f${i}"\n\nx\n`).join(
        '',
      ) + '--XyZ--';
    const r = parseMultipart(body(many), 'XyZ');
    assert.ok(!r.ok && /more than 16 parts/.test(r.reason));
    const long = `--XyZ\nContent-Disposition: form-data; name="a"\nX-Long: ${'y'.repeat(3000)}\n\nx\n--XyZ--`;
    const l = parseMultipart(body(long), 'XyZ');
    assert.ok(!l.ok && /headers too long/.test(l.reason));
  });

  test('property: never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc
            .array(
              fc.constantFrom(
                '--XyZ',
                '\r\n',
                'Content-Disposition: form-data; name="a"',
                '; filename="f"',
                '--',
                'x',
                '"',
                ':',
              ),
              { maxLength: 30 },
            )
            .map((xs) => new TextEncoder().encode(xs.join(''))),
        ),
        (bytes) => {
          const r = parseMultipart(Buffer.from(bytes), 'XyZ');
          assert.ok(r.ok || typeof r.reason === 'string');
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('property: any fields and file parse back as sent', () => {
    const name = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\r\n"%]/.test(s));
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.string({ maxLength: 50 }), { maxKeys: 6 }).filter((d) => !('file' in d)),
        fc.uint8Array({ maxLength: 300 }),
        (fields, data) => {
          const m = multipart(fields, { data: Buffer.from(data), filename: 'x.vtt' });
          const boundary = multipartBoundary(m.type);
          assert.ok(boundary !== null);
          // A browser picks a boundary that is not in the data; so does the helper (random).
          fc.pre(!Buffer.from(data).includes(`--${boundary}`));
          const r = parseMultipart(m.body, boundary);
          assert.ok(r.ok, !r.ok ? r.reason : '');
          const got = r.parts
            .filter((p) => p.filename === null)
            .map((p) => [p.name, p.data.toString('utf8')]);
          assert.deepEqual(got, Object.entries(fields));
          const file = r.parts.find((p) => p.name === 'file');
          assert.deepEqual(file?.data, Buffer.from(data));
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** A request stand-in: a stream with headers; `onRead` sees every read of the body. */
function fakeRequest(
  chunks: Buffer[],
  headers: Record<string, string>,
  onRead: () => void = () => {},
): IncomingMessage {
  let i = 0;
  const r = new Readable({
    read() {
      onRead();
      this.push(i < chunks.length ? chunks[i++] : null);
    },
  });
  return Object.assign(r, { headers, complete: false }) as unknown as IncomingMessage;
}

describe('readBounded', () => {
  test('a declared length over the limit is refused without reading a byte', async () => {
    let reads = 0;
    const req = fakeRequest([Buffer.alloc(10)], { 'content-length': '1000001' }, () => reads++);
    assert.deepEqual(await readBounded(req, 1_000_000), { ok: false, tooLarge: true });
    assert.equal(reads, 0);
  });

  test('a body that grows past the limit stops being read', async () => {
    let reads = 0;
    const chunks = Array.from({ length: 1000 }, () => Buffer.alloc(1000, 1));
    const req = fakeRequest(chunks, {}, () => reads++);
    assert.deepEqual(await readBounded(req, 5000), { ok: false, tooLarge: true });
    // Paused at the limit: what is read beyond it is the stream's own read-ahead (16 KiB), not the rest.
    assert.ok(reads < 40, `${reads} reads of 1000`);
  });

  test('a body within the limit arrives whole; a bad Content-Length is refused', async () => {
    const r = await readBounded(fakeRequest([Buffer.from('ab'), Buffer.from('cd')], {}), 4);
    assert.ok(r.ok);
    assert.equal(r.body.toString(), 'abcd');
    assert.deepEqual(await readBounded(fakeRequest([], { 'content-length': 'x' }), 4), {
      ok: false,
      tooLarge: false,
    });
  });
});
