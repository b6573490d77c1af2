import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cuePlainText,
  isValidLanguageTag,
  parseSubtitle,
  toSrt,
  toWebVtt,
  validateSubtitle,
  type ParsedSubtitle,
  type SubtitleErrorCode,
  type SubtitleResult,
} from '../../src/protocol/subtitles.js';
import { checkLanguage } from '../../src/catalog/validate.js';
import { NAMED_REFERENCES } from '../../src/protocol/subtitles/cue-text.js';

const b = (s: string) => Buffer.from(s, 'utf8');

function ok(r: SubtitleResult): ParsedSubtitle {
  if (!r.ok) assert.fail(`expected a valid subtitle, got ${r.code}: ${r.reason}`);
  return r.parsed;
}

/** Asserts the refusal's code, a one-line reason matching `reason`, and the line when given. */
function refused(r: SubtitleResult, code: SubtitleErrorCode, reason?: RegExp, line?: number): void {
  if (r.ok) assert.fail(`expected ${code}, but the file was accepted`);
  assert.equal(r.code, code, r.reason);
  assert.doesNotMatch(r.reason, /[\r\n]/);
  if (reason !== undefined) assert.match(r.reason, reason);
  if (line !== undefined) {
    assert.equal(r.line, line, r.reason);
    assert.ok(r.reason.startsWith(`line ${line}: `), r.reason);
  }
}

const times = (p: ParsedSubtitle) => p.cues.map((c) => [c.startMs, c.endMs]);
const texts = (p: ParsedSubtitle) => p.cues.map((c) => c.text);

function srtOf(...cues: Array<[string, string, string]>): string {
  return cues.map(([from, to, text], i) => `${i + 1}\n${from} --> ${to}\n${text}\n`).join('\n');
}
function vttOf(...cues: Array<[string, string, string]>): string {
  return 'WEBVTT\n\n' + cues.map(([from, to, text]) => `${from} --> ${to}\n${text}\n`).join('\n');
}

// ---------------------------------------------------------------- good files

test('SRT: BOM, CRLF, multi-line cues, markup and literal & < >', () => {
  const file =
    '\uFEFF1\r\n00:00:01,000 --> 00:00:04,200\r\n<I>Hei på deg,</I>\r\nsa Åse & Øystein.\r\n\r\n' +
    '2\r\n00:00:05,000 --> 00:00:06,000\r\n2 < 3 > 1 &amp; <b>ÆØÅ</b> <font color="#ffff00">gul</font>\r\n\r\n';
  const p = ok(validateSubtitle(b(file)));
  assert.equal(p.format, 'srt');
  assert.deepEqual(times(p), [
    [1000, 4200],
    [5000, 6000],
  ]);
  assert.deepEqual(texts(p), [
    '<i>Hei på deg,</i>\nsa Åse &amp; Øystein.',
    '2 &lt; 3 &gt; 1 &amp;amp; <b>ÆØÅ</b> gul', // "&" is literal in SRT; <font> is removed
  ]);
  assert.deepEqual(
    p.cues.map((c) => c.id),
    ['1', '2'],
  );
  assert.equal(cuePlainText(p.cues[1].text), '2 < 3 > 1 &amp; ÆØÅ gul');
});

test('SRT: lone CR line endings, no cue numbers, "." for ",", a display rectangle, hours past 99', () => {
  const file =
    '00:00:01.000 --> 00:00:02.000\rfirst\r\r' +
    '00:00:03,000 --> 00:00:04,000 X1:100 X2:600 Y1:20 Y2:80\rsecond\r\r' +
    '123:59:59,999 --> 124:00:00,000\rlate\r';
  const p = ok(parseSubtitle(b(file)));
  assert.deepEqual(times(p), [
    [1000, 2000],
    [3000, 4000],
    [((123 * 60 + 59) * 60 + 59) * 1000 + 999, 124 * 3600 * 1000],
  ]);
  assert.deepEqual(texts(p), ['first', 'second', 'late']);
  assert.equal(p.cues[0].id, undefined);
  assert.match(toSrt(p), /^3\n123:59:59,999 --> 124:00:00,000\nlate$/m);
});

test('SRT: {\\an8} override codes are removed, whitespace-only lines separate cues', () => {
  const p = ok(
    parseSubtitle(
      '1\n00:00:01,000 --> 00:00:02,000\n{\\an8}Oppe\n \t \n2\n00:00:03,000 --> 00:00:04,000\nNede\n',
    ),
  );
  assert.deepEqual(texts(p), ['Oppe', 'Nede']);
});

test('WebVTT: header, NOTE/STYLE/REGION blocks skipped, ids, settings, short timestamps, references', () => {
  const file = [
    'WEBVTT - NRK Super',
    'Kind: captions',
    'Language: nb',
    '',
    'REGION',
    'id:fred width:40%',
    '',
    'STYLE',
    '::cue { color: yellow; background: url(https://evil.example/x) }',
    '',
    'NOTE Oversatt av frivillige',
    'over flere linjer',
    '',
    'intro',
    '00:01.000 --> 00:04.000 align:start line:0 region:fred size:120% bogus vertical:rl',
    '<v.loud Kari>Hei &amp; velkommen&nbsp;&#8212; &aring;&aelig;&oslash;</v>',
    '<c.yellow>andre linje</c> <00:02.500><i.whisper>stille</i>',
    '',
    'NOTE between cues',
    '',
    '100:00:00.000 --> 100:00:01.500',
    '<lang en-GB>Hello</lang> <ruby>漢<rt>kan</rt></ruby> &lt;3',
    '',
  ].join('\n');
  const p = ok(validateSubtitle(b(file)));
  assert.equal(p.format, 'vtt');
  assert.deepEqual(times(p), [
    [1000, 4000],
    [360_000_000, 360_001_500],
  ]);
  assert.deepEqual(p.cues[0], {
    startMs: 1000,
    endMs: 4000,
    id: 'intro',
    settings: 'align:start line:0 vertical:rl', // region gone with the regions; bad ones dropped
    text: '<v.loud Kari>Hei &amp; velkommen\u00a0— åæø</v>\n<c.yellow>andre linje</c> <00:02.500><i.whisper>stille</i>',
  });
  assert.equal(p.cues[1].text, '<lang en-GB>Hello</lang> <ruby>漢<rt>kan</rt></ruby> &lt;3');
  assert.equal(cuePlainText(p.cues[1].text), 'Hello 漢kan <3');
  // Nothing from STYLE or REGION is written back out.
  const out = toWebVtt(p);
  assert.doesNotMatch(out, /STYLE|REGION|url\(|NOTE/);
  assert.match(out, /^100:00:00\.000 --> 100:00:01\.500$/m);
});

test('WebVTT: a cue right after the header line, BOM and CRLF', () => {
  const p = ok(validateSubtitle(b('\uFEFFWEBVTT\r\n00:00.000 --> 00:01.000\r\nFørst\r\n')));
  assert.deepEqual(texts(p), ['Først']);
});

test('WebVTT: empty cues are kept but do not count as cues with text', () => {
  const p = ok(validateSubtitle(b('WEBVTT\n\n00:00.000 --> 00:01.000\n\n00:01.000 --> 00:02.000\nHei\n')));
  assert.deepEqual(texts(p), ['', 'Hei']);
});

// ---------------------------------------------------------------- refusals

test('too-large: over 512 KiB by default (before decoding), or the given limit', () => {
  const big = Buffer.alloc(512 * 1024 + 1, 0xff);
  refused(validateSubtitle(big), 'too-large', /513 KiB; the limit is 512 KiB/);
  const small = b(srtOf(['00:00:01,000', '00:00:02,000', 'x'.repeat(100)]));
  refused(validateSubtitle(small, { maxBytes: 100 }), 'too-large', /the limit is 100 bytes/);
  ok(validateSubtitle(small, { maxBytes: small.length }));
});

test('not-utf8: UTF-16 with and without a BOM, Latin-1 and Windows-1252 with the line', () => {
  const text = srtOf(['00:00:01,000', '00:00:02,000', 'blåbær']);
  refused(
    validateSubtitle(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])),
    'not-utf8',
    /UTF-16/,
  );
  const be = Buffer.from(text, 'utf16le').swap16();
  refused(validateSubtitle(Buffer.concat([Buffer.from([0xfe, 0xff]), be])), 'not-utf8', /UTF-16/);
  refused(validateSubtitle(Buffer.from(text, 'utf16le')), 'not-utf8', /NUL bytes .*UTF-16/, 1);
  refused(validateSubtitle(Buffer.from(text, 'latin1')), 'not-utf8', /byte 0xE5 .*Latin-1/, 3);
  const cp1252 = Buffer.concat([
    b('1\r\n00:00:01,000 --> 00:00:02,000\r\nline\r\nand '),
    Buffer.from([0x96]),
    b(' dash\r\n'),
  ]);
  refused(validateSubtitle(cp1252), 'not-utf8', /byte 0x96/, 4);
  // Encoded surrogates, overlong forms and a sequence cut off at the end are refused too.
  for (const bytes of [
    [0xed, 0xa0, 0x80],
    [0xc0, 0xaf],
    [0xe2, 0x82],
  ]) {
    refused(
      validateSubtitle(Buffer.concat([b('1\n00:00:01,000 --> 00:00:02,000\n'), Buffer.from(bytes)])),
      'not-utf8',
      undefined,
      3,
    );
  }
});

test('unparsable: each with its line number', () => {
  const cases: Array<[string, RegExp, number]> = [
    ['Hello there\n', /expected a cue number or a timing line, found "Hello there"/, 1],
    ['1\n', /cue number 1 has no timing line/, 1],
    ['1\n00:00:01 --> 00:00:02\nx\n', /bad timing line .*HH:MM:SS,mmm/, 2],
    ['1\n00:00:01,000 --> 00:60:02,000\nx\n', /up to 59/, 2],
    ['1\n1000:00:01,000 --> 1000:00:02,000\nx\n', /bad timing line/, 2],
    ['00:01.000 --> 00:02.000\nx\n', /bad timing line/, 1], // WebVTT times without the header
    // A missing blank line: the next cue's timing line ends up inside the text.
    [
      '1\n00:00:01,000 --> 00:00:02,000\nx\n2\n00:00:03,000 --> 00:00:04,000\ny\n',
      /"-->" inside cue text/,
      5,
    ],
    ['WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n', /starts with a line "WEBVTT"/, 1],
    ['WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\njust text\n', /expected a cue .*"just text"/, 6],
    ['WEBVTT\n\nid\nnot a timing\n', /expected a cue/, 4],
    ['WEBVTT\n\n00:01,000 --> 00:02,000\nx\n', /bad timing line .*\[HH:\]MM:SS\.mmm/, 3],
    ['WEBVTT\n\n00:01.000 --> 00:02.000x\nx\n', /bad timing line/, 3],
    ['WEBVTT\n\nNOTE hi\n00:01.000 --> 00:02.000\nx\n', /a NOTE block cannot contain "-->"/, 4],
  ];
  for (const [file, reason, line] of cases) refused(validateSubtitle(b(file)), 'unparsable', reason, line);
});

test('no-cues: empty, blank, header only, comments only, only empty cues', () => {
  for (const file of [
    '',
    '\uFEFF',
    ' \n\r\n\t\n',
    'WEBVTT\n',
    'WEBVTT\n\nNOTE nothing here\n',
    'WEBVTT\n\n00:01.000 --> 00:02.000\n',
  ]) {
    refused(validateSubtitle(b(file)), 'no-cues', /no subtitle cues/);
  }
});

test('bad-timing: a cue must end after it starts', () => {
  refused(
    validateSubtitle(b(srtOf(['00:00:01,000', '00:00:02,000', 'a'], ['00:00:03,000', '00:00:03,000', 'b']))),
    'bad-timing',
    /cue 2 ends at 00:00:03,000, not after it starts/,
    6,
  );
  refused(validateSubtitle(b(vttOf(['00:05.000', '00:04.000', 'a']))), 'bad-timing', /00:00:04\.000/, 3);
});

test('overlapping: order, hand-overs, simultaneous cues, crowding', () => {
  // Out of order.
  refused(
    validateSubtitle(b(srtOf(['00:00:05,000', '00:00:06,000', 'a'], ['00:00:01,000', '00:00:02,000', 'b']))),
    'overlapping',
    /cue 2 starts at 00:00:01,000, before cue 1 .*time order/,
    6,
  );
  // A hand-over of up to 0.5 s is fine; more, without starting together, is not.
  ok(
    validateSubtitle(b(srtOf(['00:00:01,000', '00:00:03,500', 'a'], ['00:00:03,000', '00:00:05,000', 'b']))),
  );
  refused(
    validateSubtitle(b(srtOf(['00:00:01,000', '00:00:03,501', 'a'], ['00:00:03,000', '00:00:05,000', 'b']))),
    'overlapping',
    /cue 2 starts at 00:00:03,000 while cue 1 is showing until 00:00:03,501/,
    6,
  );
  // Two speakers at once (same or nearly the same start, different ends) are deliberate.
  ok(
    validateSubtitle(
      b(
        vttOf(
          ['00:01.000', '00:04.000', '<v Kari>Hei!'],
          ['00:01.000', '00:02.000', '<v Ola>Hallo!'],
          ['00:01.400', '00:03.000', '<v Per>Heisann!'],
          ['00:04.000', '00:05.000', 'Neste'],
        ),
      ),
    ),
  );
  // A fourth cue on screen at once is too many.
  refused(
    validateSubtitle(
      b(
        vttOf(
          ['00:01.000', '00:04.000', 'a'],
          ['00:01.000', '00:04.000', 'b'],
          ['00:01.000', '00:04.000', 'c'],
          ['00:01.000', '00:04.000', 'd'],
        ),
      ),
    ),
    'overlapping',
    /cue 4 would make 4 cues on screen at once .*at most 3/,
    12,
  );
  // An end time typed an hour too late is caught at the next cue.
  refused(
    validateSubtitle(
      b(
        srtOf(
          ['00:00:01,000', '01:00:02,000', 'a'],
          ['00:00:03,000', '00:00:04,000', 'b'],
          ['00:00:05,000', '00:00:06,000', 'c'],
        ),
      ),
    ),
    'overlapping',
    /cue 2 .*cue 1 is showing until 01:00:02,000/,
  );
});

test('past-end: cues must end by the programme end, with 2 s of slack', () => {
  const file = b(srtOf(['00:00:01,000', '00:00:02,000', 'a'], ['00:44:58,000', '00:45:01,000', 'slutt']));
  ok(validateSubtitle(file));
  ok(validateSubtitle(file, { durationMs: 45 * 60_000 }));
  ok(validateSubtitle(file, { durationMs: 45 * 60_000 - 1000 }));
  refused(
    validateSubtitle(file, { durationMs: 44 * 60_000 + 58_999 }),
    'past-end',
    /cue 2 ends at 00:45:01,000, after the programme ends \(00:44:58,999\)/,
    6,
  );
  assert.throws(() => validateSubtitle(file, { durationMs: -1 }), RangeError);
});

test('bad-markup: script, event handlers and other tags are refused', () => {
  const srt = (t: string) => b(srtOf(['00:00:01,000', '00:00:02,000', t]));
  const vtt = (t: string) => b(vttOf(['00:01.000', '00:02.000', t]));
  // The text is on line 3 of srt(...) and line 4 of vtt(...).
  const bad: Array<[Buffer, RegExp]> = [
    [srt('<script>alert(1)</script>'), /markup "<script>" is not allowed \(SRT allows/],
    [vtt('<script>alert(1)</script>'), /markup "<script>" is not allowed \(allowed: <b>/],
    [srt('<img src=x onerror=alert(1)>'), /"<img src=x onerror=alert\(1\)>"/],
    [vtt('hei <img src=x onerror="alert(1)">'), /"<img src=x onerror=/],
    [srt('<b onclick="alert(1)">x</b>'), /<b onclick/],
    [vtt('<b onclick="alert(1)">x</b>'), /takes no attributes/],
    [srt('<font face="Arial">x</font>'), /<font face/],
    [srt('<a href="javascript:alert(1)">x</a>'), /<a href/],
    [srt('<!DOCTYPE html>'), /<!DOCTYPE/],
    [srt('<?xml version="1.0"?>'), /<\?xml/],
    [srt('a<br>b'), /<br>/],
    [srt('<iframe'), /unclosed tag/],
    [vtt('<I>stor I</I>'), /"<I>"/], // WebVTT tag names are lower case
    [vtt('<font color="red">x</font>'), /<font/],
    [vtt('1 < 2'), /unclosed tag .*&lt;/],
    [vtt('<svg/onload=alert(1)>'), /<svg/],
    [vtt('<v>nobody</v>'), /speaker name/],
    [vtt('<v a&b>x</v>'), /speaker name/],
    [vtt('<lang not a tag>x</lang>'), /BCP 47/],
    [vtt('<c.a"b>x</c>'), /not allowed/],
    [vtt('<00:01.0000>x'), /bad timestamp tag/],
    [vtt('</script>'), /<\/script>/],
    [vtt('&hearts;'), /unknown character reference "&hearts;"/],
    [vtt('a&#10;&#10;b'), /character reference "&#10;"/],
    [vtt('&#xD800;'), /character reference/],
  ];
  for (const [file, reason] of bad) {
    refused(validateSubtitle(file), 'bad-markup', reason, file.toString().startsWith('WEBVTT') ? 4 : 3);
  }
  // What is allowed, for contrast.
  ok(validateSubtitle(srt('<I>kursiv</I> <u>under</u> <font color=red>rød</font> AT&T <3')));
  ok(validateSubtitle(vtt('AT&T &amp; &#x1F600; <c.a-b_c>x</c> <v Kari Nordmann>hei</v>')));
  // The markup refusal points at the right line of a multi-line cue.
  refused(
    validateSubtitle(b('1\n00:00:01,000 --> 00:00:02,000\nfine\n<script>\n')),
    'bad-markup',
    /script/,
    4,
  );
  // A long piece of junk is quoted short.
  const r = validateSubtitle(vtt(`<x${'y'.repeat(500)}>`));
  refused(r, 'bad-markup');
  assert.ok(!r.ok && r.reason.length < 200, r.ok ? '' : r.reason);
});

test('duplicate-official: the official text again, in either format, re-timed or re-cased', () => {
  const official = b(
    srtOf(
      ['00:00:01,000', '00:00:02,000', '<i>Hei.</i>'],
      ['00:00:03,000', '00:00:04,000', 'Hvordan\ngår det?'],
    ),
  );
  const copy = b(vttOf(['00:01.200', '00:02.200', 'hei.'], ['00:03.200', '00:04.200', 'Hvordan  går\ndet?']));
  refused(
    validateSubtitle(copy, { officialText: [b('not a subtitle'), official] }),
    'duplicate-official',
    /official subtitle again/,
  );
  refused(validateSubtitle(official, { officialText: [official] }), 'duplicate-official');
  const translation = b(
    vttOf(['00:01.000', '00:02.000', 'Hello.'], ['00:03.000', '00:04.000', 'Hvordan\ngår det?']),
  );
  ok(validateSubtitle(translation, { officialText: [official] }));
  ok(validateSubtitle(copy, { officialText: [] }));
});

// ---------------------------------------------------------------- writing

const sample: ParsedSubtitle = {
  format: 'vtt',
  cues: [
    {
      startMs: 1000,
      endMs: 4200,
      id: 'a',
      text: '<i.x>Hei</i> &amp; <v Kari>hallo</v>\nÆøå &lt;3',
      settings: 'line:0',
    },
    { startMs: 3_600_000, endMs: 3_601_000, text: '<b>to</b>' },
  ],
};

test('toWebVtt and toSrt write the expected files', () => {
  assert.equal(
    toWebVtt(sample),
    'WEBVTT\n\na\n00:00:01.000 --> 00:00:04.200 line:0\n<i.x>Hei</i> &amp; <v Kari>hallo</v>\nÆøå &lt;3\n\n' +
      '01:00:00.000 --> 01:00:01.000\n<b>to</b>\n',
  );
  assert.equal(
    toSrt(sample),
    '1\n00:00:01,000 --> 00:00:04,200\n<i>Hei</i> & hallo\nÆøå <3\n\n2\n01:00:00,000 --> 01:00:01,000\n<b>to</b>\n',
  );
});

test('writers cannot be made to break the format by the cue text, id or settings', () => {
  const nasty: ParsedSubtitle = {
    format: 'srt',
    cues: [
      {
        startMs: 1000,
        endMs: 2000,
        id: 'NOTE this would hide the cue',
        text: 'one\n\n00:00:05,000 --> 00:00:06,000\r\n \ninjected\rline\u0000<script>x</script>',
        settings: 'align:start\n\nSTYLE',
      },
      {
        startMs: 3000,
        endMs: 4000,
        id: 'x --> y',
        text: '&lt;b&gt;not bold&lt;/b&gt; {\\an8} a --&gt; b <c.z-->',
      },
      { startMs: -5, endMs: Number.NaN, text: '' },
    ],
  };
  const vtt = toWebVtt(nasty);
  const srt = toSrt(nasty);
  for (const out of [vtt, srt]) {
    const p = ok(parseSubtitle(out));
    assert.equal(p.cues.length, 3);
    assert.deepEqual(times(p), [
      [1000, 2000],
      [3000, 4000],
      [0, 0],
    ]);
  }
  assert.doesNotMatch(vtt, /NOTE|STYLE|x --> y|<script>|\0/);
  assert.match(vtt, /00:00:05,000 --&gt; 00:00:06,000/);
  assert.match(vtt, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.match(vtt, /^00:00:01\.000 --> 00:00:02\.000 align:start$/m);
  // SRT cannot escape, so literal text that would read as markup gets a zero-width space.
  assert.match(srt, /<\u200Bb>not bold<\u200B\/b> \{\u200B\\an8\} a --\u200B> b <\u200Bc\.z--\u200B>/);
  const p = ok(parseSubtitle(srt));
  assert.equal(
    cuePlainText(p.cues[1].text).replace(/\u200B/g, ''),
    '<b>not bold</b> {\\an8} a --> b <c.z-->',
  );
});

// ---------------------------------------------------------------- helpers

test('isValidLanguageTag is the catalog check, giving the canonical form', () => {
  assert.equal(isValidLanguageTag('nb-no'), 'nb-NO');
  assert.equal(isValidLanguageTag('se'), 'se');
  assert.equal(isValidLanguageTag('en-gb'), 'en-GB');
  assert.equal(isValidLanguageTag('zh-hant-tw'), 'zh-Hant-TW');
  for (const bad of ['', 'not a tag', 'nb_NO!', 'x', '<script>'])
    assert.equal(isValidLanguageTag(bad), null, bad);
  // The same registry check as the catalog's: what one refuses, the other refuses.
  for (const tag of ['nb-no', 'norsk', 'xx', 'iw', 'se', 'i-klingon']) {
    let catalog: string | null;
    try {
      catalog = checkLanguage(tag);
    } catch {
      catalog = null;
    }
    assert.equal(isValidLanguageTag(tag), catalog, tag);
  }
});

test('named references: the Latin-1 table lines up', () => {
  assert.equal(NAMED_REFERENCES.get('nbsp'), '\u00a0');
  assert.equal(NAMED_REFERENCES.get('yuml'), 'ÿ');
  assert.deepEqual(
    ['aelig', 'oslash', 'aring', 'AElig', 'Oslash', 'Aring'].map((n) => NAMED_REFERENCES.get(n)),
    ['æ', 'ø', 'å', 'Æ', 'Ø', 'Å'],
  );
  assert.equal(NAMED_REFERENCES.get('constructor'), undefined);
});

test('large and hostile inputs stay linear', () => {
  // A valid file near the size limit: 6000 cues.
  const cues: Array<[string, string, string]> = [];
  for (let i = 0; i < 6000; i++) {
    const t = (ms: number) => new Date(ms).toISOString().slice(11, 23).replace('.', ',');
    cues.push([t(i * 2000), t(i * 2000 + 1500), `Replikk nummer ${i}, <i>med</i> litt tekst & mer`]);
  }
  const file = b(srtOf(...cues));
  assert.ok(file.length < 512 * 1024);
  const started = Date.now();
  const p = ok(validateSubtitle(file, { durationMs: 4 * 3600_000, officialText: [file.subarray(0, 1000)] }));
  assert.equal(p.cues.length, 6000);
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  // Long single lines of things that start markup: about 0.1 s each when linear, minutes if quadratic.
  const n = 200_000;
  for (const junk of [
    '<'.repeat(n),
    '&'.repeat(n),
    '&a'.repeat(n / 2),
    '{\\'.repeat(n / 2),
    '<b'.repeat(n / 2),
    '<b'.repeat(n / 2) + '>',
    '<v '.repeat(n / 3) + '>',
    '<c.' + 'a'.repeat(n) + '>',
  ]) {
    const t0 = Date.now();
    parseSubtitle(`WEBVTT\n\n00:01.000 --> 00:02.000\n${junk}\n`);
    parseSubtitle(`1\n00:00:01,000 --> 00:00:02,000\n${junk}\n`);
    const doc = { format: 'vtt' as const, cues: [{ startMs: 0, endMs: 1, text: junk }] };
    assert.equal(ok(parseSubtitle(toWebVtt(doc))).cues.length, 1);
    assert.equal(ok(parseSubtitle(toSrt(doc))).cues.length, 1);
    assert.ok(Date.now() - t0 < 3000, `${junk.slice(0, 4)}: took ${Date.now() - t0} ms`);
  }
});
