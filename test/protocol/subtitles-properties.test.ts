import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_TIMESTAMP_MS,
  cuePlainText,
  parseSubtitle,
  toSrt,
  toWebVtt,
  validateSubtitle,
  type ParsedSubtitle,
  type SubtitleCue,
  type SubtitleResult,
} from '../../src/protocol/subtitles.js';
import { SUBTITLE_CODES as CODES } from '../../fuzz/codecs.js';

/** What every result must look like, whatever the input. */
function wellFormedResult(r: SubtitleResult): void {
  if (!r.ok) {
    assert.ok(CODES.has(r.code), r.code);
    assert.equal(typeof r.reason, 'string');
    assert.ok(r.reason.length > 0 && r.reason.length < 400, r.reason);
    assert.doesNotMatch(r.reason, /[\r\n\u2028\u2029]/);
    if (r.line !== undefined) assert.ok(Number.isSafeInteger(r.line) && r.line >= 1);
    return;
  }
  assert.ok(r.parsed.format === 'srt' || r.parsed.format === 'vtt');
  for (const c of r.parsed.cues) {
    assert.ok(Number.isSafeInteger(c.startMs) && c.startMs >= 0 && c.startMs <= MAX_TIMESTAMP_MS);
    assert.ok(Number.isSafeInteger(c.endMs) && c.endMs >= 0 && c.endMs <= MAX_TIMESTAMP_MS);
    // Parsed text never holds anything that would break either format when written out.
    for (const line of c.text === '' ? [] : c.text.split('\n')) {
      assert.notEqual(line.trim(), '');
      assert.ok(!line.includes('-->'));
    }
  }
}

// ------------------------------------------------------------------ generators

/** A test-side timestamp writer, independent of the library's. */
function stamp(ms: number, sep: ',' | '.'): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  const h = Math.floor(ms / 3_600_000);
  return `${pad(h, 2)}:${pad(Math.floor(ms / 60_000) % 60, 2)}:${pad(Math.floor(ms / 1000) % 60, 2)}${sep}${pad(ms % 1000, 3)}`;
}

const timing = fc
  .tuple(fc.integer({ min: 0, max: MAX_TIMESTAMP_MS - 1 }), fc.integer({ min: 1, max: 20_000_000 }))
  .map(([start, len]) => ({ startMs: start, endMs: Math.min(MAX_TIMESTAMP_MS, start + len) }));

/** A piece of an SRT text line: what is written, and what a viewer reads. */
interface Piece {
  raw: string;
  plain: string;
}
const CHARS = [
  ...'abcxyz ABC 0189 æøå ÆØÅ éüß',
  ...'.,!?;:-\'"#%=/()[]{}\\\t',
  '&',
  '>',
  '漢',
  '字',
  '😀',
  '👩‍👩‍👧',
  '\u0301', // combining acute
  '\u00a0',
  '\u200b',
  '\u2028',
  '\u202e', // right-to-left override
];
const piece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...CHARS).map((c) => ({ raw: c, plain: c })) },
  // "<" is literal in SRT when it cannot start a tag.
  { weight: 2, arbitrary: fc.constantFrom('< ', '<3', '<=', '<-').map((c) => ({ raw: c, plain: c })) },
  // SRT has no character references: these are literal text.
  { weight: 1, arbitrary: fc.constantFrom('&amp;', '&lt;b&gt;', '&#65;').map((c) => ({ raw: c, plain: c })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('<i>', '</i>', '<b>', '</b>', '<u>', '</u>')
      .map((t) => ({ raw: t, plain: '' })),
  },
);
const srtLine = fc.array(piece, { minLength: 1, maxLength: 12 }).filter((ps) => {
  const raw = ps.map((p) => p.raw).join('');
  return raw.trim() !== '' && !raw.includes('-->') && !raw.includes('{\\');
});
/** A cue for an SRT file: its timing and text lines as written, and the plain text expected back. */
const srtCue = fc.record({ t: timing, lines: fc.array(srtLine, { maxLength: 4 }) }).map(({ t, lines }) => ({
  ...t,
  raw: lines.map((ps) => ps.map((p) => p.raw).join('')),
  plain: lines.map((ps) => ps.map((p) => p.plain).join('')).join('\n'),
}));
type SrtCue = typeof srtCue extends fc.Arbitrary<infer T> ? T : never;

function writeSrt(cues: SrtCue[]): string {
  return cues
    .map(
      (c, i) =>
        [String(i + 1), `${stamp(c.startMs, ',')} --> ${stamp(c.endMs, ',')}`, ...c.raw].join('\n') + '\n',
    )
    .join('\n');
}

function writeVtt(cues: SrtCue[], extras: boolean[]): string {
  const blocks = cues.map((c, i) => {
    const head = extras[i] ? [`cue-${i}`] : [];
    const settings = extras[i] ? ' align:start line:10%' : '';
    // SRT text is literal; in WebVTT & < > must be escaped, tags are the same.
    const text = c.raw.map((l) =>
      l
        .replace(/&/g, '&amp;')
        .replace(/<(?![/]?[biu]>)/g, '&lt;')
        .replace(/(?<!<\/?[biu])>/g, '&gt;'),
    );
    const note = extras[(i + 1) % extras.length] ? 'NOTE a comment\n\n' : '';
    return (
      note +
      [...head, `${stamp(c.startMs, '.')} --> ${stamp(c.endMs, '.')}${settings}`, ...text].join('\n') +
      '\n'
    );
  });
  return ['WEBVTT\n', ...blocks].join('\n');
}

const times = (p: ParsedSubtitle) => p.cues.map((c) => [c.startMs, c.endMs, c.text]);

function parsed(r: SubtitleResult): ParsedSubtitle {
  if (!r.ok) assert.fail(`${r.code}: ${r.reason}`);
  return r.parsed;
}

// ------------------------------------------------------------------ properties

test('property: no byte string makes the parser or validator throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (u) => {
      wellFormedResult(parseSubtitle(u));
      wellFormedResult(validateSubtitle(u, { durationMs: 60_000, officialText: [u] }));
    }),
    { numRuns: 2000 },
  );
});

test('property: no string makes the parser throw (as a string and as UTF-8 bytes)', () => {
  const prefixes = fc.constantFrom(
    '',
    'WEBVTT\n\n',
    '\uFEFF',
    '1\n00:00:01,000 --> 00:00:02,000\n',
    'WEBVTT\n00:01.000 --> 00:02.000\n',
  );
  fc.assert(
    fc.property(prefixes, fc.string({ unit: 'binary', maxLength: 300 }), (prefix, s) => {
      wellFormedResult(parseSubtitle(prefix + s));
      wellFormedResult(validateSubtitle(Buffer.from(prefix + s, 'utf8')));
    }),
    { numRuns: 2000 },
  );
});

/** Edits that turn a valid file into an almost valid one. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    s: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.constantFrom(
        '\n',
        '\r\n',
        '\r',
        '-->',
        '<',
        '>',
        '&',
        '&#',
        '<i',
        '<v ',
        ':',
        ',',
        '.',
        '\n\n',
        'NOTE',
        '99',
        '\uFEFF',
      ),
    ),
  }),
  fc.record({ op: fc.constant('dupLine' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dropLine' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swapLines' as const), a: fc.nat(), b: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(s: string, m: Mutation): string {
  const lines = s.split('\n');
  switch (m.op) {
    case 'delete': {
      const at = m.at % (s.length + 1);
      return s.slice(0, at) + s.slice(at + m.n);
    }
    case 'insert': {
      const at = m.at % (s.length + 1);
      return s.slice(0, at) + m.s + s.slice(at);
    }
    case 'dupLine':
      lines.splice(m.at % lines.length, 0, lines[m.at % lines.length]);
      return lines.join('\n');
    case 'dropLine':
      lines.splice(m.at % lines.length, 1);
      return lines.join('\n');
    case 'swapLines': {
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
  }
}

/** Cues one after another, as in a real file, so most unmutated files are valid. */
const sequentialCues = fc
  .array(fc.tuple(srtCue, fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 6000 })), {
    maxLength: 6,
  })
  .map((xs) => {
    let at = 0;
    return xs.map(([c, gap, len]) => {
      const startMs = at + gap;
      at = startMs + len;
      return { ...c, startMs, endMs: at };
    });
  });

test('property: almost valid SRT and WebVTT files never make the parser throw', () => {
  fc.assert(
    fc.property(
      sequentialCues,
      fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      fc.array(mutation, { maxLength: 3 }),
      fc.option(fc.nat(), { freq: 4 }),
      (cues, extras, vtt, mutations, cut) => {
        let file = vtt ? writeVtt(cues, extras) : writeSrt(cues);
        for (const m of mutations) file = mutate(file, m);
        let bytes = Buffer.from(file, 'utf8');
        // Cutting the bytes anywhere, even inside a character.
        if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
        wellFormedResult(parseSubtitle(bytes));
        wellFormedResult(validateSubtitle(bytes, { durationMs: 3_600_000 }));
      },
    ),
    { numRuns: 1500 },
  );
});

test('property: generated SRT and WebVTT files parse to the cues they were made from', () => {
  fc.assert(
    fc.property(
      fc.array(srtCue, { maxLength: 6 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
      (cues, extras) => {
        const fromSrt = parsed(parseSubtitle(Buffer.from(writeSrt(cues), 'utf8')));
        const fromVtt = parsed(parseSubtitle(Buffer.from(writeVtt(cues, extras), 'utf8')));
        for (const p of [fromSrt, fromVtt]) {
          assert.deepEqual(
            p.cues.map((c) => [c.startMs, c.endMs, cuePlainText(c.text)]),
            cues.map((c) => [c.startMs, c.endMs, c.plain]),
          );
        }
        // Both formats give the same canonical cue text.
        assert.deepEqual(
          fromSrt.cues.map((c) => c.text),
          fromVtt.cues.map((c) => c.text),
        );
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: SRT → WebVTT → SRT keeps the cues, and the SRT file itself', () => {
  fc.assert(
    fc.property(fc.array(srtCue, { maxLength: 8 }), fc.boolean(), (cues, crlf) => {
      const srt = writeSrt(cues);
      const input = crlf ? '\uFEFF' + srt.replace(/\n/g, '\r\n') : srt;
      const first = parsed(parseSubtitle(Buffer.from(input, 'utf8')));
      const vtt = toWebVtt(first);
      const second = parsed(parseSubtitle(Buffer.from(vtt, 'utf8')));
      assert.equal(second.format, 'vtt');
      assert.deepEqual(times(second), times(first));
      const back = toSrt(second);
      assert.equal(back, srt);
      const third = parsed(parseSubtitle(Buffer.from(back, 'utf8')));
      assert.deepEqual(times(third), times(first));
      assert.deepEqual(
        third.cues.map((c) => cuePlainText(c.text)),
        cues.map((c) => c.plain),
      );
    }),
    { numRuns: 1000 },
  );
});

/** Cue text assembled from fragments that are hard to write safely. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '<b>',
          '</b>',
          '<i.x>',
          '<v Kari>',
          '</v>',
          '<c.a-->',
          '<lang nb>',
          '<00:01.000>',
          '<script>',
          '<img onerror=x>',
          '<',
          '>',
          '&',
          '&amp;',
          '&lt;',
          '&#10;',
          '&hearts;',
          '-->',
          '--',
          '\n',
          '\n\n',
          '\r',
          '\r\n',
          ' ',
          '\0',
          '{\\an8}',
          '{',
          '\\',
          '\ud800',
          'NOTE',
          '00:00:01,000 --> 00:00:02,000',
          'æøå',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 12 },
    )
    .map((xs) => xs.join('')),
);
const anyCue: fc.Arbitrary<SubtitleCue> = fc.record(
  {
    startMs: fc.oneof(fc.integer({ min: -10, max: MAX_TIMESTAMP_MS + 10 }), fc.double()),
    endMs: fc.oneof(fc.integer({ min: -10, max: MAX_TIMESTAMP_MS + 10 }), fc.double()),
    text: hostileText,
    id: fc.oneof(hostileText, fc.constantFrom('NOTE', 'STYLE x', 'REGION', '1', 'intro')),
    settings: fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('align:start', 'line:0 position:50%,center', 'size:101%'),
    ),
  },
  { requiredKeys: ['startMs', 'endMs', 'text'] },
);
const clamp = (ms: number) =>
  Number.isFinite(ms) ? Math.min(MAX_TIMESTAMP_MS, Math.max(0, Math.round(ms))) : 0;
/** Plain text as shown, ignoring the zero-width spaces SRT output needs and lines with nothing to show. */
const shown = (text: string) =>
  cuePlainText(text)
    .replace(/\u200b/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join('\n');

test('property: whatever the cues hold, toWebVtt and toSrt write files that read back with the same cues', () => {
  fc.assert(
    fc.property(fc.array(anyCue, { maxLength: 5 }), (cues) => {
      const doc: ParsedSubtitle = { format: 'vtt', cues };
      const vtt = parsed(parseSubtitle(Buffer.from(toWebVtt(doc), 'utf8')));
      const srt = parsed(parseSubtitle(Buffer.from(toSrt(doc), 'utf8')));
      for (const p of [vtt, srt]) {
        wellFormedResult({ ok: true, parsed: p });
        assert.deepEqual(
          p.cues.map((c) => [c.startMs, c.endMs]),
          cues.map((c) => [clamp(c.startMs), clamp(c.endMs)]),
        );
      }
      assert.deepEqual(
        srt.cues.map((c) => shown(c.text)),
        vtt.cues.map((c) => shown(c.text)),
      );
      // Writing what was read gives the same file again.
      assert.equal(toWebVtt(vtt), toWebVtt(doc));
    }),
    { numRuns: 1500 },
  );
});
