/**
 * Moderating community subtitles over real HTTP, against a `fjord serve` child with an episode
 * published by the real `fjord publish`, accounts made in the same catalog:
 *   - every moderation route (pages, the candidate file, every form) refuses anonymous users (to the
 *     login page), an editor (403: the role matrix gives subtitles to moderators and admins only) and
 *     a moderator who has not changed the one-time password (to the password page), and changes
 *     nothing;
 *   - a form post without the session's CSRF token, or with another session's, is refused (403) and
 *     changes nothing;
 *   - moderators and admins see the queue and the review: the episode's video with the candidate as
 *     a <track> loaded from the moderator-only URL under the page's CSP;
 *   - approving publishes the translation on the episode page (with credit), as .srt and .vtt
 *     downloads, as a <track>, and in the feeds as media:subTitle; the torrent (and so its info
 *     hashes) and its folder are unchanged; the audit log has each action;
 *   - subtitle text and credits never become markup in the pages, the feed, the VTT or SRT served,
 *     nor in the moderator's diff;
 *   - a newer approved version replaces the older in listings, the older stays in the history;
 *     rejecting needs a reason, which the submitter sees; withdrawing brings the previous back;
 *   - banning an address rejects its pending submissions and refuses new ones; lifting the ban.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Accounts } from '../../src/auth/accounts.js';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { escapeText } from '../../src/web/html.js';
import { hasProgram } from '../helpers/programs.js';
import { listFiles, randomFile } from '../publish/publish-helpers.js';
import { makeWebm, publish, SRT_NB } from './site-helpers.js';
import {
  changePassword,
  eventually,
  formFields,
  get,
  login,
  postForm,
  request,
  startSubtitleSite,
  submitForm,
  type Login,
  type SubtitleSite,
} from '../subtitles/helpers.js';

const EPISODE = '/series/kystliv/s01e01';
const PASSWORD = 'a long enough password';
let site: SubtitleSite;
let catalog: Catalog;
let port = 0;
const sessions: Record<'mod' | 'ed' | 'adm' | 'fresh', Login> = {} as Record<
  'mod' | 'ed' | 'adm' | 'fresh',
  Login
>;

before(async () => {
  site = await startSubtitleSite('fjord-submod-');
  port = site.ports.web;
  const clip = join(site.work, 'clip.webm');
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
  // Accounts in the same catalog as `fjord user add` makes them (a cheaper scrypt: tests only).
  const accounts = new Accounts(catalog.backend, { scryptN: 1 << 12 });
  for (const [name, role] of [
    ['mod', 'moderator'],
    ['ed', 'editor'],
    ['adm', 'admin'],
    ['fresh', 'moderator'],
  ] as const) {
    const { password } = await accounts.addUser(name, role, 'test');
    sessions[name] = await login(port, name, password);
    if (name !== 'fresh') await changePassword(port, sessions[name], password, PASSWORD);
  }
  await eventually(async () => (await get(port, EPISODE)).status === 200, 10_000, 'the episode page');
});
after(async () => {
  await catalog?.close();
  await site?.stop();
});

let addressCounter = 0;
const nextAddress = () => `192.0.2.${++addressCounter}`;

/** Submits through the form; returns the submission id and its status link. */
async function submit(
  language: string,
  data: string,
  o: { name?: string; address?: string; filename?: string } = {},
): Promise<{ id: number; status: string }> {
  const r = await submitForm(
    port,
    EPISODE,
    o.address ?? nextAddress(),
    formFields(language, o.name ?? 'Kari'),
    {
      data,
      ...(o.filename ? { filename: o.filename } : {}),
    },
  );
  assert.equal(r.status, 303, r.text.slice(0, 2000));
  const status = String(r.headers.location).replace(/\?new=1$/, '');
  const token = status.split('/').pop() as string;
  const j = JSON.parse((await get(port, `/api/subtitles/${token}`)).text) as { id: number };
  return { id: j.id, status };
}

async function submissionStatus(statusPath: string): Promise<string> {
  const token = statusPath.split('/').pop() as string;
  return (JSON.parse((await get(port, `/api/subtitles/${token}`)).text) as { status: string }).status;
}

async function events(): Promise<Array<{ action: string; actor: string; subject: string }>> {
  return (await catalog.listEvents({ limit: 10_000 })).filter((e) => e.action.startsWith('subtitle.'));
}

const vtt = (...cues: string[]) =>
  `WEBVTT\n\n${cues.map((c, i) => `00:0${i}.100 --> 00:0${i}.900\n${c}\n`).join('\n')}`;

describe('moderation routes are for moderators and admins only', () => {
  let target: { id: number; status: string };
  before(async () => {
    target = await submit('de', vtt('Guten Tag', 'Auf Wiedersehen'));
  });

  const routes = (id: number): Array<{ method: string; path: string; fields?: Record<string, string> }> => [
    { method: 'GET', path: '/admin/moderation' },
    { method: 'GET', path: `/admin/moderation/${id}` },
    { method: 'GET', path: `/admin/moderation/${id}/candidate.vtt` },
    { method: 'POST', path: `/admin/moderation/${id}/approve`, fields: {} },
    { method: 'POST', path: `/admin/moderation/${id}/reject`, fields: { reason: 'no' } },
    { method: 'POST', path: `/admin/moderation/${id}/ban`, fields: { reason: 'spam' } },
    { method: 'POST', path: '/admin/moderation/bans/lift', fields: { address: '192.0.2.1' } },
  ];

  test('anonymous users go to the login page, an editor gets 403, a one-time password the password page', async () => {
    const before = await events();
    for (const r of routes(target.id)) {
      const fields = r.fields ?? {};
      const anon =
        r.method === 'GET' ? await get(port, r.path) : await postForm(port, r.path, null, fields, null);
      assert.equal(anon.status, 303, `${r.method} ${r.path} anonymous`);
      assert.match(String(anon.headers.location), /^\/admin\/login\?next=/);
      const ed =
        r.method === 'GET'
          ? await get(port, r.path, sessions.ed)
          : await postForm(port, r.path, sessions.ed, fields);
      assert.equal(ed.status, 403, `${r.method} ${r.path} editor`);
      assert.ok(!ed.text.includes('Guten Tag'), 'nothing of the candidate shown');
      const fresh =
        r.method === 'GET'
          ? await get(port, r.path, sessions.fresh)
          : await postForm(port, r.path, sessions.fresh, fields);
      assert.equal(fresh.status, 303, `${r.method} ${r.path} one-time password`);
      assert.match(String(fresh.headers.location), /^\/admin\/password\?next=/);
    }
    assert.equal(await submissionStatus(target.status), 'pending');
    assert.deepEqual(await events(), before, 'no subtitle event from refused requests');
    assert.equal(
      (await get(port, '/admin/moderation', sessions.mod)).text.includes('192.0.2.1</code>'),
      true,
    );
  });

  test('a post without the CSRF token, or with another session’s, is refused and changes nothing', async () => {
    const before = await events();
    for (const r of routes(target.id).filter((x) => x.method === 'POST')) {
      for (const csrf of [null, sessions.adm.csrf, 'x'.repeat(43)]) {
        const res = await postForm(port, r.path, sessions.mod, r.fields ?? {}, csrf);
        assert.equal(res.status, 403, `${r.path} with csrf ${String(csrf).slice(0, 5)}`);
        assert.match(res.text, /The form expired/);
      }
    }
    assert.equal(await submissionStatus(target.status), 'pending');
    assert.deepEqual(await events(), before);
    const queue = await get(port, '/admin/moderation', sessions.mod);
    assert.match(queue.text, /No address is banned\./);
  });

  test('moderators and admins see the queue, the review with the preview, and the candidate', async () => {
    for (const who of [sessions.mod, sessions.adm]) {
      const q = await get(port, '/admin/moderation', who);
      assert.equal(q.status, 200);
      assert.match(q.text, new RegExp(`href="/admin/moderation/${target.id}"`));
      const page = await get(port, `/admin/moderation/${target.id}`, who);
      assert.equal(page.status, 200);
      assert.match(
        page.text,
        /<video id="preview" controls preload="metadata" src="\/media\/kystliv\/kystliv-s01e01\/kystliv-s01e01\.(webm|mkv)">/,
      );
      assert.match(
        page.text,
        new RegExp(
          `<track\\s+kind="subtitles"\\s+srclang="de"\\s+label="Candidate: German"\\s+src="/admin/moderation/${target.id}/candidate.vtt"\\s+default\\s*/>`,
        ),
      );
      // The candidate's URL is on this origin, which the page's CSP allows for media (tracks).
      assert.match(String(page.headers['content-security-policy']), /media-src 'self'/);
      assert.equal(page.headers['cache-control'], 'no-store');
      const file = await get(port, `/admin/moderation/${target.id}/candidate.vtt`, who);
      assert.equal(file.status, 200);
      assert.match(String(file.headers['content-type']), /^text\/vtt/);
      assert.match(file.text, /^WEBVTT\n\n00:00:00\.100 --> 00:00:00\.900\nGuten Tag\n/);
    }
  });
});

describe('approving', () => {
  test('publishes on the page with credit, as downloads, as a track and in the feed; the torrent is unchanged', async () => {
    const torrentPath = join(site.data, 'torrents/kystliv-s01e01.torrent');
    const torrentBefore = readFileSync(torrentPath);
    const episodeBefore = await catalog.getEpisode('kystliv', 1, 1);
    const mediaBefore = listFiles(join(site.data, 'media'));
    const s = await submit('fi', vtt('Hyvää päivää', 'Näkemiin'), { name: 'Aino Virtanen' });
    const r = await postForm(port, `/admin/moderation/${s.id}/approve`, sessions.mod, {});
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, `/admin/moderation/${s.id}?done=approved`);
    assert.equal(await submissionStatus(s.status), 'approved');
    const approve = (await events()).find(
      (e) => e.action === 'subtitle.approve' && e.subject === `subtitle:${s.id}`,
    );
    assert.equal(approve?.actor, 'web:mod');

    let page = '';
    await eventually(
      async () => {
        page = (await get(port, EPISODE)).text;
        return page.includes('Finnish (by viewers)');
      },
      10_000,
      'the approved translation on the episode page',
    );
    const vttPath =
      /src="(\/community-subtitles\/kystliv\/kystliv-s01e01\/kystliv-s01e01\.fi\.[0-9a-f]{16}\.vtt)"/.exec(
        page,
      )?.[1];
    assert.ok(vttPath, 'a <track> for it');
    assert.match(page, /<track\s+kind="subtitles"\s+srclang="fi"\s+label="Finnish \(by viewers\)"/);
    assert.match(page, /Translated by Aino Virtanen · CC BY 4\.0/);
    const srtPath = vttPath.replace(/\.vtt$/, '.srt');
    assert.ok(page.includes(`href="${srtPath}" download`), '.srt download');
    assert.ok(page.includes(`href="${vttPath}" download`), '.vtt download');
    const v = await get(port, vttPath);
    assert.equal(v.status, 200);
    assert.match(String(v.headers['content-type']), /^text\/vtt/);
    assert.match(v.text, /Hyvää päivää/);
    const srt = await get(port, srtPath);
    assert.equal(srt.status, 200);
    assert.match(String(srt.headers['content-type']), /^application\/x-subrip/);
    assert.match(srt.text, /^1\n00:00:00,100 --> 00:00:00,900\nHyvää päivää\n/);

    for (const feed of ['/feeds/kystliv.rss', '/feeds/all.rss']) {
      const f = await get(port, feed);
      assert.ok(
        f.text.includes(`<media:subTitle type="text/vtt" lang="fi" href="${site.base}${vttPath}"/>`),
        `${feed}: ${f.text}`,
      );
    }

    // Never inside the torrent: the same .torrent, hashes and folder.
    assert.deepEqual(readFileSync(torrentPath), torrentBefore);
    const after = await catalog.getEpisode('kystliv', 1, 1);
    assert.deepEqual(after?.torrents, episodeBefore?.torrents);
    const m = parseTorrent(readFileSync(torrentPath));
    assert.equal(m.infoHashV1, episodeBefore?.torrents[0].infoHashV1);
    assert.equal(m.infoHashV2, episodeBefore?.torrents[0].infoHashV2);
    assert.ok(!m.files.some((f) => f.path.join('/').includes('.fi.')), 'no Finnish file in the torrent');
    assert.deepEqual(listFiles(join(site.data, 'media')), mediaBefore);
    assert.equal(
      createHash('sha256').update(readFileSync(torrentPath)).digest('hex'),
      createHash('sha256').update(torrentBefore).digest('hex'),
    );
  });
});

describe('escaping', () => {
  test('subtitle text and credits never become markup in pages, feeds, the VTT, the SRT or the diff', async () => {
    const credit = '<script>alert("credit")</script><img src=x onerror=alert(2)>';
    // WebVTT: literal "<" and ">" are written &lt; &gt; (which the validator allows);
    // SRT: "<" before a space or digit is literal text, not a tag.
    const a = await submit('pl', vtt('&lt;/track&gt;&lt;script&gt;alert(1)&lt;/script&gt;', 'A &amp; B'), {
      name: credit,
    });
    const b = await submit('pl', '1\n00:00:00,100 --> 00:00:00,900\n< /track>< script>alert(3) <3 & "q"\n', {
      name: credit,
    });
    for (const s of [a, b]) {
      const review = await get(port, `/admin/moderation/${s.id}`, sessions.mod);
      assert.ok(
        !/<script|<img|<\/track>/.test(
          review.text.replace(/<script type="module" src="[^"]+"><\/script>/g, ''),
        ),
        'review page',
      );
      assert.ok(review.text.includes(escapeText(credit)));
    }
    const reviewA = (await get(port, `/admin/moderation/${a.id}`, sessions.mod)).text;
    assert.ok(
      reviewA.includes('+ &lt;/track&gt;&lt;script&gt;alert(1)&lt;/script&gt;'),
      'the diff shows the text, escaped',
    );
    for (const s of [a, b])
      assert.equal((await postForm(port, `/admin/moderation/${s.id}/approve`, sessions.mod, {})).status, 303);
    let page = '';
    await eventually(
      async () => {
        page = (await get(port, EPISODE)).text;
        return page.includes('Polish (by viewers)');
      },
      10_000,
      'the Polish translation listed',
    );
    const withoutOwnScripts = (t: string) => t.replace(/<script type="module" src="[^"]+"><\/script>/g, '');
    assert.ok(!/<script|<img/.test(withoutOwnScripts(page)), 'episode page');
    assert.ok(page.includes(escapeText(`Translated by ${credit} · CC BY 4.0`)));
    const path = /src="(\/community-subtitles\/[^"]+\.pl\.[0-9a-f]{16}\.vtt)"/.exec(page)?.[1] as string;
    const servedVtt = (await get(port, path)).text;
    assert.ok(!/<script|<\/track>/.test(servedVtt), servedVtt);
    assert.match(servedVtt, /&lt; \/track&gt;&lt; script&gt;alert\(3\) &lt;3 &amp; "q"/);
    const servedSrt = (await get(port, path.replace(/\.vtt$/, '.srt'))).text;
    assert.match(servedSrt, /< \/track>< script>alert\(3\) <3 & "q"/);
    assert.ok(!/<[a-z/]/i.test(servedSrt.replace(/\u200b/g, '')), 'no tag-like text in the SRT');
    const feed = (await get(port, '/feeds/kystliv.rss')).text;
    assert.ok(!/<script|<img|alert/.test(feed), 'feed');
    const status = (await get(port, a.status)).text;
    assert.ok(!/<script|<img/.test(withoutOwnScripts(status)));
    // The A version's VTT, as the moderator's candidate: &lt; stays &lt;.
    const candidate = (await get(port, `/admin/moderation/${a.id}/candidate.vtt`, sessions.mod)).text;
    assert.match(candidate, /&lt;\/track&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });
});

describe('versions and decisions', () => {
  test('a newer approved version replaces the older in listings; the older stays in the history', async () => {
    const older = await submit('da', vtt('Goddag', 'Farvel'), { name: 'Første' });
    const newer = await submit('da', vtt('God dag', 'Farvel'), { name: 'Anden' });
    assert.equal(
      (await postForm(port, `/admin/moderation/${older.id}/approve`, sessions.mod, {})).status,
      303,
    );
    let page = '';
    await eventually(
      async () => (page = (await get(port, EPISODE)).text).includes('Translated by Første'),
      10_000,
      'older listed',
    );
    const olderPath = /src="(\/community-subtitles\/[^"]+\.da\.[0-9a-f]{16}\.vtt)"/.exec(page)?.[1] as string;
    // The newer one's review compares with the approved older one by default.
    const review = (await get(port, `/admin/moderation/${newer.id}`, sessions.mod)).text;
    assert.match(review, /1 cues added, 1 removed/);
    assert.ok(
      review.includes('<del>− Goddag</del>') && review.includes('<ins>+ God dag</ins>'),
      'the changed cue',
    );
    assert.match(review, /Compared with submission \d+ by Første \(approved\)\./);
    assert.equal(
      (await postForm(port, `/admin/moderation/${newer.id}/approve`, sessions.adm, {})).status,
      303,
    );
    await eventually(
      async () => (page = (await get(port, EPISODE)).text).includes('Translated by Anden'),
      10_000,
      'newer listed',
    );
    assert.ok(!page.includes('Translated by Første'), 'the older is no longer listed');
    assert.equal((page.match(/srclang="da"/g) ?? []).length, 1, 'one Danish track');
    assert.equal((await get(port, olderPath)).status, 404, 'nor served');
    // History: both, both approved, in the catalog and on the review page.
    const history = (await get(port, `/admin/moderation/${newer.id}`, sessions.mod)).text;
    assert.match(history, /<table id="history">[^]*Første[^]*approved[^]*Anden[^]*approved[^]*<\/table>/);
    const e = await catalog.getEpisode('kystliv', 1, 1);
    assert.equal(e?.subtitles.filter((s) => s.language === 'da' && s.status === 'approved').length, 4);

    // Withdrawing the newer (rejecting an approved one) brings the older back.
    const noReason = await postForm(port, `/admin/moderation/${newer.id}/reject`, sessions.mod, {
      reason: '  ',
    });
    assert.equal(noReason.status, 422);
    assert.match(noReason.text, /Give a reason for the rejection\./);
    const r = await postForm(port, `/admin/moderation/${newer.id}/reject`, sessions.mod, {
      reason: 'Wrong <b>names</b>',
    });
    assert.equal(r.status, 303);
    await eventually(
      async () => (page = (await get(port, EPISODE)).text).includes('Translated by Første'),
      10_000,
      'older back',
    );
    const status = (await get(port, newer.status)).text;
    assert.match(status, /data-status="rejected"/);
    assert.ok(status.includes('Wrong &lt;b&gt;names&lt;/b&gt;'), 'the submitter sees the reason, escaped');
    // Approving twice is refused without a change.
    const again = await postForm(port, `/admin/moderation/${older.id}/approve`, sessions.mod, {});
    assert.equal(again.status, 409);
    const actions = (await events()).filter((x) => x.subject === `subtitle:${newer.id}`).map((x) => x.action);
    assert.deepEqual(actions.sort(), ['subtitle.approve', 'subtitle.reject', 'subtitle.submit']);
  });

  test('banning an address rejects its pending submissions and refuses new ones; the ban can be lifted', async () => {
    const spammer = '203.0.113.99';
    const one = await submit('ru', vtt('Спам'), { address: spammer });
    const two = await submit('uk', vtt('Спам'), { address: spammer });
    const r = await postForm(port, `/admin/moderation/${one.id}/ban`, sessions.mod, {
      reason: 'spam, again',
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/admin/moderation?done=banned');
    assert.equal(await submissionStatus(one.status), 'rejected');
    assert.equal(await submissionStatus(two.status), 'rejected');
    const refused = await submitForm(port, EPISODE, spammer, formFields('ru'), { data: vtt('Ещё') });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /submissions from your address are not accepted/);
    const api = await request(port, 'POST', '/api/subtitles', {
      headers: { 'content-type': 'application/json', 'x-forwarded-for': spammer },
      body: JSON.stringify({
        series: 'kystliv',
        season: 1,
        episode: 1,
        language: 'ru',
        name: 'x',
        licence: 'accept',
        content: vtt('x'),
      }),
    });
    assert.equal(api.status, 403);
    assert.equal((JSON.parse(api.text) as { error: string }).error, 'banned');
    const queue = (await get(port, '/admin/moderation', sessions.mod)).text;
    assert.match(queue, /<code>203\.0\.113\.99<\/code>[^]*spam, again/);
    const ban = (await events()).find((e) => e.action === 'subtitle.ban');
    assert.equal(ban?.subject, `address:${spammer}`);
    const lift = await postForm(port, '/admin/moderation/bans/lift', sessions.mod, { address: spammer });
    assert.equal(lift.status, 303);
    assert.ok((await events()).some((e) => e.action === 'subtitle.unban'));
    await submit('ru', vtt('Привет'), { address: spammer });
  });
});
