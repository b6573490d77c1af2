/**
 * Submitting community subtitles over real HTTP, against a `fjord serve` child with an episode
 * published by the real `fjord publish` (a WebM clip made by ffmpeg, so the catalog knows its
 * duration, with official Norwegian subtitles):
 *   - the episode page carries the form (licence shown, honeypot hidden, multipart);
 *   - every refusal reaches the submitter as its one-line reason, through the form and the JSON API:
 *     each of the subtitle library's codes, and the form's own (language, name, licence, file,
 *     honeypot, unknown episode);
 *   - the rate limit per address (accepted ones, and a flood of refused attempts), with Retry-After;
 *   - the size limit holds before the body is read: a declared 50 MiB body and an endless chunked
 *     one both get 413 long before they are sent;
 *   - two submissions of the same language keep both, under names the server makes (the upload's
 *     file name, even a path, is never used);
 *   - the JSON API (JSON with the file as text or base64, the raw file as the body) and the status
 *     link (page and JSON), with the credit escaped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { validateSubtitle, type SubtitleErrorCode } from '../../src/protocol/subtitles.js';
import { escapeText } from '../../src/web/html.js';
import { listFiles, randomFile } from '../publish/publish-helpers.js';
import { hasProgram, program, skipUnless } from '../helpers/programs.js';
import { makeWebm, publish, SRT_NB } from './site-helpers.js';
import {
  formFields,
  multipart,
  request,
  startSubtitleSite,
  submitForm,
  type Reply,
  type SubtitleSite,
} from '../subtitles/helpers.js';

const EPISODE = '/series/kystliv/s01e01';
const GOOD_VTT = 'WEBVTT\n\n00:00.500 --> 00:01.500\nHallo, Welt!\n\n00:02.000 --> 00:02.800\nTschüss.\n';
const KIB = 1024;
// Without ffmpeg the clip is random bytes with no duration, so only the past-end check cannot run.
const noFfmpeg = skipUnless(program('ffmpeg'));

let site: SubtitleSite;
let catalog: Catalog;
let durationMs: number | undefined;
let ipCounter = 0;
/** A fresh address for each case: rate limits are per address. */
const nextAddress = () => `192.0.2.${++ipCounter}`;

before(async () => {
  site = await startSubtitleSite('fjord-subsubmit-');
  const clip = join(site.work, hasProgram('ffmpeg') ? 'clip.webm' : 'clip.mkv');
  if (!hasProgram('ffmpeg') || !makeWebm(clip, 8)) randomFile(clip, 100_000);
  const nb = join(site.work, 'nb.srt');
  writeFileSync(nb, SRT_NB);
  await publish(site, {
    file: clip,
    series: 'Kystliv',
    season: 1,
    episode: 1,
    title: 'Testbilde',
    subtitles: [['nb', nb]],
  });
  catalog = await openCatalog({ dataDir: site.data });
  const e = await catalog.getEpisode('kystliv', 1, 1);
  durationMs = e?.durationSeconds == null ? undefined : e.durationSeconds * 1000;
  for (let i = 0; i < 100; i++) {
    if ((await request(site.ports.web, 'GET', EPISODE)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => {
  await catalog?.close();
  await site?.stop();
});

/** The refusal a page shows: its code (data-code) and its text. */
function refusalOf(r: Reply): { code: string; text: string } | null {
  const m = /<p class="notice" role="alert" id="refusal" data-code="([^"]+)">([^<]*)<\/p>/.exec(r.text);
  return m ? { code: m[1], text: m[2] } : null;
}

const formBody = multipart(formFields('de'), { data: GOOD_VTT });
const formHeaders = () => ({ 'content-type': formBody.type });

function apiJson(address: string, body: Record<string, unknown>): Promise<Reply> {
  return request(site.ports.web, 'POST', '/api/subtitles', {
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ series: 'kystliv', season: 1, episode: 1, ...body }),
  });
}

describe('the form on the episode page', () => {
  test('has the fields, the licence with its link, and a hidden honeypot', async () => {
    const r = await request(site.ports.web, 'GET', EPISODE);
    assert.equal(r.status, 200);
    assert.match(
      r.text,
      /<form method="post" action="\/series\/kystliv\/s01e01\/subtitles" enctype="multipart\/form-data">/,
    );
    for (const name of ['language', 'file', 'name', 'licence', 'website'])
      assert.match(r.text, new RegExp(`name="${name}"`), name);
    assert.match(r.text, /<p hidden>\s*<label for="sub-website">/);
    assert.match(r.text, /href="https:\/\/creativecommons.org\/licenses\/by\/4.0\/" rel="license"/);
    assert.match(r.text, /CC BY 4\.0/);
  });
});

describe('refusals', () => {
  const file = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
  const libraryCases: Array<{ code: SubtitleErrorCode; data: Buffer; status: number }> = [
    { code: 'too-large', data: Buffer.alloc(512 * KIB + 1, 0x61), status: 413 },
    {
      code: 'not-utf8',
      data: Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nK\xe5re venner\n', 'latin1'),
      status: 422,
    },
    { code: 'unparsable', data: file('1\n00:00:01,000 -> 00:00:02,000\nNo arrow\n'), status: 422 },
    {
      code: 'bad-markup',
      data: file('WEBVTT\n\n00:01.000 --> 00:02.000\n<script>alert(1)</script>\n'),
      status: 422,
    },
    { code: 'no-cues', data: file('WEBVTT\n\nNOTE only a comment\n'), status: 422 },
    { code: 'bad-timing', data: file('1\n00:00:02,000 --> 00:00:01,000\nBackwards\n'), status: 422 },
    {
      code: 'overlapping',
      data: file('1\n00:00:03,000 --> 00:00:04,000\nSecond\n\n2\n00:00:01,000 --> 00:00:02,000\nFirst\n'),
      status: 422,
    },
    {
      code: 'duplicate-official',
      // The official Norwegian text, re-timed and as WebVTT: still not a new translation.
      data: file(
        'WEBVTT\n\n00:00.700 --> 00:01.600\nHei, <i>verden</i>!\n\n00:02.100 --> 00:02.900\nHa det.\n',
      ),
      status: 422,
    },
  ];

  for (const c of libraryCases) {
    test(`${c.code}: the library's one-line reason, through the form and the API`, async () => {
      const expected = validateSubtitle(c.data, {
        ...(durationMs === undefined ? {} : { durationMs }),
        officialText: [Buffer.from(SRT_NB)],
      });
      assert.ok(
        !expected.ok && expected.code === c.code,
        `the sample is a ${c.code}: ${JSON.stringify(expected)}`,
      );
      assert.ok(!expected.reason.includes('\n'), 'one line');
      const form = await submitForm(site.ports.web, EPISODE, nextAddress(), formFields('de'), {
        data: c.data,
      });
      assert.equal(form.status, c.status);
      const shown = refusalOf(form);
      assert.deepEqual(shown, { code: c.code, text: `The reason: ${escapeText(expected.reason)}` });
      // The form comes back for another try.
      assert.match(form.text, /enctype="multipart\/form-data"/);
      const api = await apiJson(nextAddress(), {
        language: 'de',
        name: 'Kari',
        licence: 'accept',
        contentBase64: c.data.toString('base64'),
      });
      assert.equal(api.status, c.status);
      assert.deepEqual(JSON.parse(api.text), { error: c.code, message: expected.reason });
    });
  }

  test('past-end: a cue after the episode ends (the catalog duration)', { skip: noFfmpeg }, async () => {
    assert.ok(durationMs !== undefined, 'ffprobe gave the clip a duration');
    const data = Buffer.from(
      'WEBVTT\n\n00:01.000 --> 00:02.000\nEarly\n\n00:30.000 --> 00:31.000\nToo late\n',
    );
    const expected = validateSubtitle(data, { durationMs });
    assert.ok(!expected.ok && expected.code === 'past-end');
    const r = await submitForm(site.ports.web, EPISODE, nextAddress(), formFields('de'), { data });
    assert.equal(r.status, 422);
    assert.deepEqual(refusalOf(r), { code: 'past-end', text: `The reason: ${escapeText(expected.reason)}` });
  });

  test('too large for the form itself: 413 with a one-line reason', async () => {
    const r = await submitForm(site.ports.web, EPISODE, nextAddress(), formFields('de'), {
      data: Buffer.alloc(700 * KIB, 0x61),
    });
    assert.equal(r.status, 413);
    assert.deepEqual(refusalOf(r), {
      code: 'too-large',
      text: 'The reason: the file is larger than the limit of 512 KiB',
    });
  });

  const formCases: Array<{
    what: string;
    fields: Record<string, string>;
    withFile: boolean;
    code: string;
    status: number;
    reason: RegExp;
  }> = [
    {
      what: 'not a language tag',
      fields: formFields('not a tag!'),
      withFile: true,
      code: 'bad-language',
      status: 422,
      reason: /is not a BCP 47 language tag/,
    },
    {
      what: 'no language',
      fields: formFields(''),
      withFile: true,
      code: 'bad-language',
      status: 422,
      reason: /choose the language/,
    },
    {
      what: 'no name',
      fields: formFields('de', '  \t '),
      withFile: true,
      code: 'bad-name',
      status: 422,
      reason: /give the name to credit/,
    },
    {
      what: 'a name too long',
      fields: formFields('de', 'x'.repeat(101)),
      withFile: true,
      code: 'bad-name',
      status: 422,
      reason: /longer than 100 characters/,
    },
    {
      what: 'the licence not accepted',
      fields: { ...formFields('de'), licence: '' },
      withFile: true,
      code: 'licence-not-accepted',
      status: 422,
      reason: /Creative Commons Attribution 4.0/,
    },
    {
      what: 'no file',
      fields: formFields('de'),
      withFile: false,
      code: 'no-file',
      status: 422,
      reason: /choose a subtitle file/,
    },
    {
      what: 'the honeypot filled',
      fields: { ...formFields('de'), website: 'http://spam.example/' },
      withFile: true,
      code: 'honeypot',
      status: 400,
      reason: /filled in by a program/,
    },
  ];
  for (const c of formCases) {
    test(`${c.what}: ${c.code}`, async () => {
      const r = await submitForm(
        site.ports.web,
        EPISODE,
        nextAddress(),
        c.fields,
        c.withFile ? { data: GOOD_VTT } : undefined,
      );
      assert.equal(r.status, c.status);
      const shown = refusalOf(r);
      assert.equal(shown?.code, c.code);
      assert.match(shown?.text ?? '', c.reason);
    });
  }

  test('an episode that does not exist: 404, through the form and the API', async () => {
    const r = await submitForm(site.ports.web, '/series/kystliv/s09e09', nextAddress(), formFields('de'), {
      data: GOOD_VTT,
    });
    assert.equal(r.status, 404);
    const api = await apiJson(nextAddress(), {
      episode: 9,
      language: 'de',
      name: 'K',
      licence: 'accept',
      content: GOOD_VTT,
    });
    assert.equal(api.status, 404);
    assert.equal((JSON.parse(api.text) as { error: string }).error, 'not-found');
  });

  test('nothing refused was stored', async () => {
    const files = listFiles(site.data).filter((f) => f.startsWith('community-subtitles/'));
    const rows = await catalog.listEvents({ limit: 1000 });
    const submitted = rows.filter((e) => e.action === 'subtitle.submit').length;
    assert.equal(files.length, submitted * 2, 'two files per accepted submission, none for refusals');
  });
});

describe('limits', () => {
  test('5 accepted submissions per address an hour, then 429 with Retry-After; other addresses go on', async () => {
    const address = '198.51.100.7';
    for (let i = 0; i < 5; i++) {
      const r = await submitForm(site.ports.web, EPISODE, address, formFields('fr'), { data: GOOD_VTT });
      assert.equal(r.status, 303, `submission ${i + 1}: ${refusalOf(r)?.text ?? r.status}`);
    }
    const sixth = await submitForm(site.ports.web, EPISODE, address, formFields('fr'), { data: GOOD_VTT });
    assert.equal(sixth.status, 429);
    assert.equal(refusalOf(sixth)?.code, 'rate-limited');
    assert.match(
      refusalOf(sixth)?.text ?? '',
      /too many submissions from your address; try again in \d+ minutes?/,
    );
    assert.ok(Number(sixth.headers['retry-after']) > 3000, `Retry-After ${sixth.headers['retry-after']}`);
    const api = await apiJson(address, { language: 'fr', name: 'K', licence: 'accept', content: GOOD_VTT });
    assert.equal(api.status, 429);
    const other = await submitForm(site.ports.web, EPISODE, '198.51.100.8', formFields('fr'), {
      data: GOOD_VTT,
    });
    assert.equal(other.status, 303);
  });

  test('a flood of refused attempts from one address is cut off too', async () => {
    const address = '198.51.100.9';
    for (let i = 0; i < 20; i++) {
      const r = await submitForm(site.ports.web, EPISODE, address, formFields('not a tag!'), {
        data: GOOD_VTT,
      });
      assert.equal(r.status, 422);
    }
    const r = await submitForm(site.ports.web, EPISODE, address, formFields('fr'), { data: GOOD_VTT });
    assert.equal(r.status, 429);
  });

  test('IPv6 addresses count by their /64', async () => {
    for (let i = 1; i <= 5; i++) {
      const r = await submitForm(site.ports.web, EPISODE, `2001:db8:5:6::${i}`, formFields('it'), {
        data: GOOD_VTT,
      });
      assert.equal(r.status, 303);
    }
    const r = await submitForm(site.ports.web, EPISODE, '2001:db8:5:6:ffff::1', formFields('it'), {
      data: GOOD_VTT,
    });
    assert.equal(r.status, 429);
    assert.equal(
      (await submitForm(site.ports.web, EPISODE, '2001:db8:5:7::1', formFields('it'), { data: GOOD_VTT }))
        .status,
      303,
    );
  });

  /** Writes a request head, then body bytes until an answer arrives or `max` bytes are sent. */
  function sendUntilAnswered(head: string, max: number): Promise<{ answer: string; sent: number }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(site.ports.web, '127.0.0.1');
      let answer = '';
      let sent = 0;
      let answered = false;
      const chunk = Buffer.alloc(64 * KIB, 0x61);
      const chunked = head.toLowerCase().includes('transfer-encoding: chunked');
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer after ${sent} bytes: ${answer}`));
      }, 15_000);
      socket.on('data', (d: Buffer) => {
        answer += d.toString('latin1');
        if (!answered && answer.includes('\r\n\r\n')) {
          answered = true;
          clearTimeout(timer);
          socket.destroy();
          resolve({ answer, sent });
        }
      });
      // The server may close the connection once it has answered and read enough: the answer is
      // what counts, and it may still be in flight when a write fails.
      let failed: Error | null = null;
      socket.on('error', (e) => {
        failed = e;
      });
      socket.on('close', () => {
        if (answered) return;
        clearTimeout(timer);
        reject(failed ?? new Error(`closed without an answer after ${sent} bytes`));
      });
      // Paced (a chunk every few milliseconds, after the last one drained): otherwise the kernel's
      // socket buffers take megabytes before the server reads its first chunk, and `sent` would
      // say nothing about when the server answered.
      const pump = (): void => {
        if (answered || failed !== null || sent >= max) return;
        const piece = chunked
          ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
          : chunk;
        sent += chunk.length;
        if (socket.write(piece)) setTimeout(pump, 3);
        else socket.once('drain', () => setTimeout(pump, 3));
      };
      socket.write(head, () => setTimeout(pump, 20));
    });
  }

  test('a declared body over the limit gets 413 before it is sent', async () => {
    const m = '----fjordBoundary';
    const head =
      `POST ${EPISODE}/subtitles HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.50\r\n` +
      `Content-Type: multipart/form-data; boundary=${m}\r\nContent-Length: ${50 * 1024 * KIB}\r\n\r\n`;
    const { answer, sent } = await sendUntilAnswered(head, 16 * 1024 * KIB);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.ok(sent < 1024 * KIB, `answered after ${sent} bytes of 50 MiB`);
  });

  test('a chunked body is cut off once it passes the limit', async () => {
    const head =
      `POST /api/subtitles?series=kystliv&season=1&episode=1&language=de&name=K&licence=accept HTTP/1.1\r\n` +
      `Host: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.51\r\nContent-Type: text/vtt\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const { answer, sent } = await sendUntilAnswered(head, 16 * 1024 * KIB);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.ok(sent < 2 * 1024 * KIB, `answered after ${sent} bytes`);
    // The server is fine afterwards.
    assert.equal((await request(site.ports.web, 'GET', EPISODE)).status, 200);
  });
});

describe('storage', () => {
  test('two submissions of one language keep both, under names the server makes', async () => {
    const before = new Set(listFiles(site.data));
    const a = await submitForm(site.ports.web, EPISODE, '203.0.113.60', formFields('sv', 'A'), {
      data: 'WEBVTT\n\n00:01.000 --> 00:02.000\nFörsta versionen\n',
      filename: '../../media/kystliv/kystliv-s01e01/kystliv-s01e01.webm',
    });
    const b = await submitForm(site.ports.web, EPISODE, '203.0.113.61', formFields('sv', 'B'), {
      data: '1\n00:00:01,000 --> 00:00:02,000\nAndra versionen\n',
      filename: '/etc/passwd',
    });
    assert.equal(a.status, 303);
    assert.equal(b.status, 303);
    const added = listFiles(site.data).filter((f) => !before.has(f));
    assert.equal(added.length, 4, added.join(', '));
    const dir = 'community-subtitles/kystliv/kystliv-s01e01';
    for (const f of added)
      assert.match(f, new RegExp(`^${dir}/kystliv-s01e01\\.sv\\.[0-9a-f]{16}\\.(vtt|srt)$`));
    const vtts = added.filter((f) => f.endsWith('.vtt')).map((f) => readFileSync(join(site.data, f), 'utf8'));
    assert.deepEqual(vtts.map((t) => t.split('\n').find((l) => l.endsWith('versionen'))).sort(), [
      'Andra versionen',
      'Första versionen',
    ]);
    // Nothing outside the community folder: not the torrent's folder, not the paths the uploads named.
    assert.deepEqual(
      readdirSync(join(site.data, 'media/kystliv/kystliv-s01e01'))
        .filter((f) => !f.startsWith('kystliv-s01e01.webm') && !f.startsWith('kystliv-s01e01.mkv'))
        .sort(),
      ['kystliv-s01e01.nb.srt'],
    );
  });
});

describe('the JSON API and the status link', () => {
  test('JSON with the file as text: 201, a status link, pending', async () => {
    const r = await apiJson('203.0.113.70', {
      language: 'es',
      name: 'Ana',
      licence: 'accept',
      content: GOOD_VTT,
    });
    assert.equal(r.status, 201, r.text);
    const body = JSON.parse(r.text) as { id: number; status: string; statusUrl: string; statusApi: string };
    assert.equal(body.status, 'pending');
    assert.equal(r.headers.location, body.statusUrl);
    assert.match(body.statusUrl, new RegExp(`^${site.base}/subtitle-status/[A-Za-z0-9_-]{43}$`));
    const s = await request(site.ports.web, 'GET', new URL(body.statusApi).pathname);
    assert.equal(s.status, 200);
    const status = JSON.parse(s.text) as Record<string, unknown>;
    assert.equal(status.status, 'pending');
    assert.equal(status.language, 'es');
    assert.equal(status.credit, 'Ana');
    assert.deepEqual(status.episode, {
      seriesSlug: 'kystliv',
      seriesTitle: 'Kystliv',
      season: 1,
      episode: 1,
      title: 'Testbilde',
    });
  });

  test('the raw file as the body, fields in the query string', async () => {
    const r = await request(
      site.ports.web,
      'POST',
      '/api/subtitles?series=kystliv&season=1&episode=1&language=pt-br&name=Jo%C3%A3o&licence=accept',
      {
        headers: { 'content-type': 'application/x-subrip', 'x-forwarded-for': '203.0.113.71' },
        body: '1\n00:00:01,000 --> 00:00:02,000\nOlá\n',
      },
    );
    assert.equal(r.status, 201, r.text);
    const s = await request(
      site.ports.web,
      'GET',
      new URL((JSON.parse(r.text) as { statusApi: string }).statusApi).pathname,
    );
    assert.equal((JSON.parse(s.text) as { language: string }).language, 'pt-BR');
  });

  test('a submission from another site (Sec-Fetch-Site, Origin) is refused; this site’s own is not', async () => {
    const other: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const h of other) {
      const form = await request(site.ports.web, 'POST', `${EPISODE}/subtitles`, {
        headers: { ...formHeaders(), ...h, 'x-forwarded-for': '203.0.113.80' },
        body: formBody.body,
      });
      assert.equal(form.status, 403, JSON.stringify(h));
      assert.deepEqual(refusalOf(form), {
        code: 'cross-site',
        text: 'The reason: submissions from other sites are not accepted',
      });
      const api = await request(
        site.ports.web,
        'POST',
        '/api/subtitles?series=kystliv&season=1&episode=1&language=de&name=K&licence=accept',
        {
          headers: { 'content-type': 'text/plain', ...h, 'x-forwarded-for': '203.0.113.80' },
          body: GOOD_VTT,
        },
      );
      assert.equal(api.status, 403);
      assert.equal((JSON.parse(api.text) as { error: string }).error, 'cross-site');
    }
    // The page's own form: Origin is "null" (the pages' no-referrer policy), Sec-Fetch-Site same-origin.
    const own: Array<Record<string, string>> = [
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
      { origin: site.base },
      {},
    ];
    for (const [i, h] of own.entries()) {
      const r = await request(site.ports.web, 'POST', `${EPISODE}/subtitles`, {
        headers: { ...formHeaders(), ...h, 'x-forwarded-for': `203.0.113.${90 + i}` },
        body: formBody.body,
      });
      assert.equal(r.status, 303, JSON.stringify(h));
    }
  });

  test('another content type is a bad request; an unknown token is 404', async () => {
    const r = await request(site.ports.web, 'POST', '/api/subtitles', {
      headers: { 'content-type': 'image/png', 'x-forwarded-for': '203.0.113.72' },
      body: 'x',
    });
    assert.equal(r.status, 400);
    assert.equal((JSON.parse(r.text) as { error: string }).error, 'bad-request');
    assert.equal((await request(site.ports.web, 'GET', `/api/subtitles/${'A'.repeat(43)}`)).status, 404);
    assert.equal((await request(site.ports.web, 'GET', `/subtitle-status/${'A'.repeat(43)}`)).status, 404);
  });

  test('the form leads to the status page, which escapes the credit and is not cached', async () => {
    const evil = '<script>alert("credit")</script>';
    const r = await submitForm(site.ports.web, EPISODE, '203.0.113.73', formFields('nl', evil), {
      data: GOOD_VTT,
    });
    assert.equal(r.status, 303);
    const location = String(r.headers.location);
    assert.match(location, /^\/subtitle-status\/[A-Za-z0-9_-]{43}\?new=1$/);
    const page = await request(site.ports.web, 'GET', location);
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.text, /<meta name="robots" content="noindex" \/>/);
    assert.match(page.text, /data-status="pending"/);
    assert.match(page.text, /Thank you! The translation has been sent for moderation\./);
    assert.ok(!page.text.includes(evil));
    assert.ok(page.text.includes(escapeText(evil)));
  });
});
