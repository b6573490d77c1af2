/**
 * Abuse of the community subtitle form and of catalogue text, over real HTTP against a `fjord serve`
 * child (issue 19, item 11), with small pending caps so that they are reached quickly:
 *   - `Origin: null` (what the site's own form sends under its no-referrer policy, and what an
 *     attacker's sandboxed page sends) needs the form's token when Sec-Fetch-Site is absent; with
 *     Sec-Fetch-Site only same-origin is taken;
 *   - an SRT whose WebVTT would outgrow the upload limit (a file of `&`) is refused, nothing stored;
 *   - pending submissions are capped per address, per network (IPv4 /24, IPv6 /48) and per episode,
 *     with a 429 that says which, also when many arrive at once;
 *   - bidirectional override characters: refused by `fjord publish` and in credits, and never shown
 *     raw by a page even when the catalogue holds them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openCatalog } from '../../src/catalog/index.js';
import { fjord, randomFile } from '../publish/publish-helpers.js';
import { publish } from './site-helpers.js';
import {
  eventually,
  formFields,
  multipart,
  request,
  startSubtitleSite,
  submitForm,
  type Reply,
  type SubtitleSite,
} from '../subtitles/helpers.js';

const EP1 = '/series/kystliv/s01e01';
const EP2 = '/series/kystliv/s01e02';
const VTT = (text: string) => `WEBVTT\n\n00:00.500 --> 00:01.500\n${text}\n`;
const RLO = '\u202e';
const PER_ADDRESS = 3;
const PER_RANGE = 5;
const PER_EPISODE = 10;

let site: SubtitleSite;

before(async () => {
  site = await startSubtitleSite('fjord-subabuse-', {
    subtitleRateLimit: 1000,
    subtitlePendingPerAddress: PER_ADDRESS,
    subtitlePendingPerRange: PER_RANGE,
    subtitlePendingPerEpisode: PER_EPISODE,
  });
  for (const episode of [1, 2]) {
    const clip = join(site.work, `clip${episode}.mkv`);
    randomFile(clip, 50_000);
    await publish(site, { file: clip, series: 'Kystliv', season: 1, episode, title: `Del ${episode}` });
  }
  await eventually(async () => (await site.get(EP2)).status === 200, 15_000, 'the episode pages');
});
after(async () => {
  await site?.stop();
});

function refusalOf(r: Reply): { code: string; text: string } | null {
  const m = /<p class="notice" role="alert" id="refusal" data-code="([^"]+)">([^<]*)<\/p>/.exec(r.text);
  return m ? { code: m[1], text: m[2] } : null;
}

const tokenIn = (page: string): string => /name="token" value="([^"]+)"/.exec(page)?.[1] ?? '';

/** The episode page as `address` sees it, and its form's token. */
async function formToken(episodePath: string, address: string): Promise<string> {
  const r = await request(site.ports.web, 'GET', episodePath, { headers: { 'x-forwarded-for': address } });
  assert.equal(r.status, 200);
  const token = tokenIn(r.text);
  assert.match(token, /^\d+\.[A-Za-z0-9_-]{22}$/);
  return token;
}

/** Posts the form as a browser would: multipart, `headers` (Origin, Sec-Fetch-Site), from `address`. */
function postForm(
  episodePath: string,
  address: string,
  headers: Record<string, string>,
  fields: Record<string, string>,
  text = 'Hallo!',
): Promise<Reply> {
  const m = multipart(fields, { data: VTT(text), filename: 'de.vtt' });
  return request(site.ports.web, 'POST', `${episodePath}/subtitles`, {
    headers: { 'content-type': m.type, 'x-forwarded-for': address, ...headers },
    body: m.body,
  });
}

describe('Origin: null and the form token', () => {
  test('a post with Origin: null needs the token of a form drawn for that episode and network', async () => {
    const me = '198.51.100.7';
    const token = await formToken(EP2, me);
    const nul = { origin: 'null' };
    // No token, as from an attacker's sandboxed page in a browser without Sec-Fetch-*.
    let r = await postForm(EP2, me, nul, formFields('de'));
    assert.equal(r.status, 403);
    assert.equal(refusalOf(r)?.code, 'form-expired');
    // A token the attacker fetched for itself (another network), or one of another episode.
    const theirs = await formToken(EP2, '203.0.113.9');
    r = await postForm(EP2, me, nul, { ...formFields('de'), token: theirs });
    assert.equal(r.status, 403, 'a token drawn for another network');
    const otherEpisode = await formToken(EP1, me);
    r = await postForm(EP2, me, nul, { ...formFields('de'), token: otherEpisode });
    assert.equal(r.status, 403, 'a token of another episode');
    r = await postForm(EP2, me, nul, {
      ...formFields('de'),
      token: `${token.split('.')[0]}.${'A'.repeat(22)}`,
    });
    assert.equal(r.status, 403, 'a forged token');
    // Sec-Fetch-Site, when sent, must say same-origin, token or not.
    for (const site of ['cross-site', 'same-site', 'none']) {
      r = await postForm(EP2, me, { ...nul, 'sec-fetch-site': site }, { ...formFields('de'), token });
      assert.equal(r.status, 403, site);
      assert.equal(refusalOf(r)?.code, 'cross-site', site);
    }
    // The real form, fetched from the page with its token: accepted.
    r = await postForm(EP2, me, nul, { ...formFields('de'), token });
    assert.equal(r.status, 303, r.text);
    assert.match(String(r.headers.location), /^\/subtitle-status\//);
  });

  test('the refusal draws the form again with a fresh token that works', async () => {
    const me = '198.51.100.8';
    const r = await postForm(EP2, me, { origin: 'null' }, formFields('fr'));
    assert.equal(r.status, 403);
    const fresh = tokenIn(r.text);
    assert.notEqual(fresh, '', 'the form is shown again');
    const again = await postForm(EP2, me, { origin: 'null' }, { ...formFields('fr'), token: fresh });
    assert.equal(again.status, 303, again.text);
  });

  test('the JSON API: Origin: null without Sec-Fetch-Site needs the token too', async () => {
    const me = '198.51.100.9';
    const path = '/api/subtitles?series=kystliv&season=1&episode=2&language=es&name=Ana&licence=accept';
    const post = (extra: string, headers: Record<string, string>) =>
      request(site.ports.web, 'POST', path + extra, {
        headers: { 'content-type': 'text/plain', 'x-forwarded-for': me, ...headers },
        body: VTT('Hola'),
      });
    const refused = await post('', { origin: 'null' });
    assert.equal(refused.status, 403);
    assert.equal((JSON.parse(refused.text) as { error: string }).error, 'form-expired');
    const token = await formToken(EP2, me);
    const ok = await post(`&token=${encodeURIComponent(token)}`, { origin: 'null' });
    assert.equal(ok.status, 201, ok.text);
  });
});

describe('stored size', () => {
  test('an SRT whose WebVTT would be larger than the upload limit is refused and nothing is stored', async () => {
    const line = '&'.repeat(99);
    const cue = Array.from({ length: 5140 }, () => line).join('\n');
    const srt = Buffer.from(`1\n00:00:01,000 --> 00:00:02,000\n${cue}\n`);
    assert.ok(srt.length > 500 * 1024 && srt.length <= 512 * 1024, `${srt.length} bytes`);
    const dir = join(site.data, 'community-subtitles');
    const files = () => {
      try {
        return readdirSync(dir, { recursive: true }).length;
      } catch {
        return 0;
      }
    };
    const before = files();
    const r = await submitForm(site.ports.web, EP2, '198.51.100.10', formFields('it'), {
      data: srt,
      filename: 'it.srt',
    });
    assert.equal(r.status, 413, r.text);
    const refusal = refusalOf(r);
    assert.equal(refusal?.code, 'too-large');
    assert.match(refusal?.text ?? '', /WebVTT.*512 KiB/);
    assert.equal(files(), before, 'no file written');
  });
});

describe('pending caps', () => {
  const send = (path: string, address: string, language = 'de') =>
    submitForm(site.ports.web, path, address, formFields(language), { data: VTT(`Hei fra ${address}`) });

  test('per address, per network (also when many arrive at once) and per episode', async () => {
    for (let i = 0; i < PER_ADDRESS; i++) assert.equal((await send(EP1, '192.0.2.1')).status, 303);
    let r = await send(EP1, '192.0.2.1');
    assert.equal(r.status, 429);
    assert.deepEqual(refusalOf(r), {
      code: 'too-many-pending',
      text: `The reason: ${PER_ADDRESS} submissions from your address are already waiting for moderation; try again once moderators have reviewed them`,
    });
    // Twenty addresses of the same /24 at once: only the network's remaining slots are taken.
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => send(EP1, `192.0.2.${10 + i}`)));
    const accepted = burst.filter((x) => x.status === 303).length;
    assert.equal(accepted, PER_RANGE - PER_ADDRESS, burst.map((x) => x.status).join(' '));
    for (const x of burst.filter((y) => y.status !== 303)) {
      assert.equal(x.status, 429);
      assert.match(refusalOf(x)?.text ?? '', /from your network \(192\.0\.2\.0\/24\) are already waiting/);
    }
    // Other networks fill the episode; then it is full for everyone.
    for (let i = 0; i < PER_EPISODE - PER_RANGE; i++)
      assert.equal((await send(EP1, `203.0.${i}.1`)).status, 303, `network ${i}`);
    r = await send(EP1, '100.64.0.1');
    assert.equal(r.status, 429);
    assert.match(
      refusalOf(r)?.text ?? '',
      new RegExp(`${PER_EPISODE} submissions for this episode are already waiting`),
    );
    // Another episode still takes them from there.
    assert.equal((await send(EP2, '100.64.0.1')).status, 303);
  });

  test('IPv6: the addresses of one /48 count together', async () => {
    for (let i = 1; i <= PER_RANGE; i++)
      assert.equal((await send(EP2, `2001:db8:77:${i}::1`, 'sv')).status, 303, `/64 number ${i}`);
    const r = await send(EP2, '2001:db8:77:ff::1', 'sv');
    assert.equal(r.status, 429);
    assert.match(refusalOf(r)?.text ?? '', /from your network \(2001:db8:77::\/48\)/);
    assert.equal((await send(EP2, '2001:db8:78:1::1', 'sv')).status, 303, 'the next /48');
  });
});

describe('bidirectional controls', () => {
  test('fjord publish refuses a rights holder with U+202E, with a clear error', async () => {
    const clip = join(site.work, 'clip3.mkv');
    randomFile(clip, 20_000);
    const r = await fjord([
      'publish',
      clip,
      ...['--data', site.data, '--series', 'Kystliv', '--season', '1', '--episode', '3', '--title', 'Del 3'],
      ...['--licence', 'CC-BY-4.0', '--rights-holder', `NRK${RLO}gnp.exe`, '--cleared', '-q'],
    ]);
    assert.notEqual(r.status, 0, r.stdout);
    assert.match(r.stderr, /rights holder 1 contains the bidirectional control character U\+202E/);
  });

  test('a credit name with U+202E is refused', async () => {
    const r = await submitForm(site.ports.web, EP2, '198.51.100.11', formFields('nl', `Kari${RLO}nnamdroN`), {
      data: VTT('Hallo'),
    });
    assert.equal(r.status, 422);
    assert.equal(refusalOf(r)?.code, 'bad-name');
  });

  test('text already in the catalogue is shown without the override', async () => {
    // As an older fjord would have let it in: straight into the catalogue, then a new version.
    const catalog = await openCatalog({ dataDir: site.data });
    try {
      const e = await catalog.getEpisode('kystliv', 1, 1);
      assert.ok(e);
      await catalog.backend.write(async (db) => {
        await db
          .updateTable('rights_holders')
          .set({ name: `Rettigheter${RLO}gnp.exe` })
          .where('episode_id', '=', e.id)
          .execute();
        await db
          .updateTable('episodes')
          .set({ title: `Del 1 ${RLO}\u2066isolert\u2069` })
          .where('id', '=', e.id)
          .execute();
        await db
          .updateTable('catalog_state')
          .set((eb) => ({ version: eb('version', '+', 1) }))
          .where('id', '=', 1)
          .execute();
      });
    } finally {
      await catalog.close();
    }
    let page = '';
    await eventually(
      async () => {
        page = (await site.get(EP1)).text;
        return page.includes('Rettighetergnp.exe');
      },
      15_000,
      'the page shows the new rights holder',
    );
    assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(page), 'no bidirectional control on the page');
    assert.match(page, /<bdi>Rettighetergnp\.exe<\/bdi>/);
    assert.ok(page.includes('Del 1 isolert'));
    const feed = await site.get('/feeds/kystliv.rss');
    assert.equal(feed.status, 200);
    assert.ok(!/[\u202a-\u202e\u2066-\u2069]/.test(feed.text), 'nor in the feed');
  });
});
