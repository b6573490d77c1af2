/**
 * Fault injection (issue 18): `fjord serve` killed with SIGKILL under a bounded announce load, again
 * and again on one data directory. Before the first start DATA gets a published episode (the
 * tracker is closed: only the catalog's torrents are tracked), two accounts and three community
 * subtitle submissions. Each cycle: start serve, run the load (HTTP announces, each a completion
 * from an address of its own, 4 in flight, plus UDP announces) for a random time, record the
 * statistics of the minute so far (SIGUSR2) part-way, SIGKILL, restart, and check:
 *
 *   - completions: the restarted tracker's scrape counts every completion acknowledged more than
 *     the journal's flush time (250 ms) + 250 ms before the kill, and no more than were sent;
 *   - the catalog passes SQLite's integrity check, and still holds the episode (tracked: the
 *     restarted tracker answers its announces), the accounts and the submissions (and their files);
 *   - statistics rows: at least as many as were there after the last SIGUSR2 recording.
 *
 * What a kill loses by design: the swarms (peers; they announce again within their interval) and
 * the statistics of the minute not yet recorded (except completions, replayed from the journal).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openCatalog } from '../../src/catalog/index.js';
import { CommunitySubtitles } from '../../src/subtitles/service.js';
import { NODE_ARGS, serveFjord, until, type Served } from '../helpers/cli.js';
import { random } from './publish-kill.js';
import { announcePath, httpGet, percent, UdpClient, udpAnnounce } from '../helpers/tracker.js';

export interface ServeKillOptions {
  work: string;
  kills: number;
  seed?: number;
  /** Longest time the load runs before a kill, ms (default 4000). */
  maxLoadMs?: number;
  log?: (line: string) => void;
}

export interface ServeKillResult {
  kills: number;
  completionsSent: number;
  completionsAcked: number;
  /** Completions acknowledged in the last 500 ms before a kill that the restart did not count. */
  lostInFlushWindow: number;
  udpAnnounces: number;
  statsRows: number;
  /** Mean restart time (spawn to listening), ms. */
  restartMs: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fjordSync(args: string[]): string {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`fjord ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The n-th loopback address from 127.1.0.0 on (completions count once per address). */
function address(n: number): string {
  return `127.${1 + ((n >> 16) & 0x7f)}.${(n >> 8) & 0xff}.${n & 0xff || 1}`;
}

interface Counts {
  users: number;
  submissions: number;
  statsRows: number;
  integrity: string;
}

function counts(data: string): Counts {
  const db = new Database(join(data, 'catalog.sqlite'), { readonly: true });
  try {
    const one = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
    return {
      integrity: String(db.pragma('integrity_check', { simple: true })),
      users: one('SELECT COUNT(*) AS n FROM users'),
      submissions: one('SELECT COUNT(*) AS n FROM subtitle_submissions'),
      statsRows: one('SELECT COUNT(*) AS n FROM stats_swarm_minute'),
    };
  } finally {
    db.close();
  }
}

async function scrape(s: Served, hash: Buffer): Promise<number> {
  const r = await httpGet(s.ports.http, `/scrape?info_hash=${percent(hash)}`);
  if (r.status !== 200) throw new Error(`scrape: HTTP ${r.status}`);
  return Number(/10:downloadedi(\d+)e/.exec(r.body.toString('latin1'))?.[1] ?? -1);
}

export async function serveKill(o: ServeKillOptions): Promise<ServeKillResult> {
  const log = o.log ?? (() => {});
  const rnd = random(o.seed ?? Date.now());
  const data = join(o.work, 'data');
  const problems: string[] = [];
  const res: ServeKillResult = {
    kills: 0,
    completionsSent: 0,
    completionsAcked: 0,
    lostInFlushWindow: 0,
    udpAnnounces: 0,
    statsRows: 0,
    restartMs: 0,
    problems,
  };

  // ---- the state that must survive ----
  const media = join(o.work, 'episode.mkv');
  writeFileSync(media, Buffer.alloc(300_000, 7));
  fjordSync(
    ['publish', '--no-probe', media, '--data', data, '--series', 'Kill Show', '--new-series'].concat([
      '--season',
      '1',
      '--episode',
      '1',
      '--title',
      'One',
      '--cleared',
      '-q',
    ]),
  );
  fjordSync(['user', 'add', 'editor1', '--role', 'editor', '--data', data]);
  fjordSync(['user', 'add', 'mod1', '--role', 'moderator', '--data', data]);
  const catalog = await openCatalog({ dataDir: data });
  let hash: Buffer;
  try {
    const e = await catalog.getEpisode('kill-show', 1, 1);
    if (!e?.torrents[0]?.infoHashV1) throw new Error('the episode has no v1 info hash');
    hash = Buffer.from(e.torrents[0].infoHashV1, 'hex');
    const subs = new CommunitySubtitles(catalog, {
      dataDir: data,
      licence: 'CC-BY-4.0',
      licenceUrl: null,
      rateLimit: 10,
      rateWindowMs: 3_600_000,
    });
    for (const [i, lang] of ['de', 'fr', 'sv'].entries()) {
      const r = await subs.submit({
        seriesSlug: 'kill-show',
        season: 1,
        episode: 1,
        language: lang,
        credit: `helper ${i}`,
        licenceAccepted: true,
        honeypot: '',
        file: Buffer.from(`1\n00:00:01,000 --> 00:00:02,000\nLine ${i}\n`),
        address: `192.0.2.${i + 1}`,
      });
      if (!r.ok) throw new Error(`submission refused: ${JSON.stringify(r)}`);
    }
  } finally {
    await catalog.close();
  }
  const start = counts(data);
  const subtitleFiles = (): number => {
    const db = new Database(join(data, 'catalog.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM subtitle_submissions').all() as Array<Record<string, unknown>>;
      const pathKey = Object.keys(rows[0] ?? {}).find((k) => /path/.test(k));
      return pathKey ? rows.filter((r) => existsSync(join(data, String(r[pathKey])))).length : rows.length;
    } finally {
      db.close();
    }
  };
  const startFiles = subtitleFiles();
  log(
    `seeded: ${start.users} accounts, ${start.submissions} submissions (${startFiles} files), tracking ${hash.toString('hex')}`,
  );

  const args = ['--data', data, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--web', '127.0.0.1:0'];
  let acked: number[] = []; // time of each acknowledged completion since the last kill
  let durable = 0; // completions the tracker must have after a restart
  let sent = 0;
  let statsFloor = start.statsRows;
  let restartTotal = 0;
  let killAt = 0;

  for (let k = 0; k <= o.kills; k++) {
    const t0 = Date.now();
    const s = await serveFjord(args, ['udp', 'http', 'web']);
    restartTotal += Date.now() - t0;
    // ---- checks after the restart ----
    const d = await scrape(s, hash);
    const floor = durable + acked.filter((t) => t <= killAt - 500).length;
    if (d < floor) problems.push(`after kill ${k}: ${d} completions, at least ${floor} acknowledged`);
    if (d > sent) problems.push(`after kill ${k}: ${d} completions, only ${sent} sent`);
    res.lostInFlushWindow += Math.max(0, durable + acked.length - d);
    durable = d;
    acked = [];
    const c = counts(data);
    if (c.integrity !== 'ok') problems.push(`after kill ${k}: integrity_check ${c.integrity}`);
    if (c.users !== start.users) problems.push(`after kill ${k}: ${c.users} accounts, not ${start.users}`);
    if (c.submissions !== start.submissions)
      problems.push(`after kill ${k}: ${c.submissions} submissions, not ${start.submissions}`);
    if (subtitleFiles() !== startFiles) problems.push(`after kill ${k}: submission files missing`);
    if (c.statsRows < statsFloor)
      problems.push(`after kill ${k}: ${c.statsRows} statistics rows, ${statsFloor} were recorded`);
    res.statsRows = c.statsRows;
    const ok = await httpGet(s.ports.http, announcePath({ hash, port: 7000, event: 'started' }));
    if (ok.status !== 200 || /failure reason/.test(ok.body.toString('latin1')))
      problems.push(`after kill ${k}: the episode is not tracked: ${ok.body.toString('latin1')}`);
    if (k === o.kills) {
      await s.stop();
      break;
    }

    // ---- the load, then the kill ----
    const loadMs = 300 + Math.round(rnd() * ((o.maxLoadMs ?? 4000) - 300));
    const end = Date.now() + loadMs;
    let stop = false;
    const http = async (): Promise<void> => {
      while (!stop && Date.now() < end) {
        const n = sent++;
        try {
          const r = await httpGet(
            s.ports.http,
            announcePath({ hash, port: 6881, left: 0, event: 'completed' }),
            {
              localAddress: address(n),
            },
          );
          if (r.status === 200 && !/failure reason/.test(r.body.toString('latin1'))) acked.push(Date.now());
        } catch {
          return; // the kill
        }
      }
    };
    const udp = async (): Promise<void> => {
      const c = new UdpClient(s.ports.udp);
      try {
        const id = await c.connect();
        while (!stop && Date.now() < end) {
          const r = await c.request(
            udpAnnounce({
              connectionId: id,
              infoHash: hash,
              port: 6000 + (res.udpAnnounces % 1000),
              left: 100n,
            }),
          );
          if (r.readUInt32BE(0) !== 1) problems.push(`UDP announce refused: ${r.subarray(8).toString()}`);
          res.udpAnnounces++;
        }
      } catch {
        // the kill
      } finally {
        c.close();
      }
    };
    const record = async (): Promise<void> => {
      await sleep(loadMs / 2);
      s.child.kill('SIGUSR2');
      await until(() => (s.stderr().match(/recorded on SIGUSR2/g) ?? []).length > 0, 10_000, 'SIGUSR2').catch(
        () => {},
      );
      statsFloor = counts(data).statsRows;
    };
    const load = Promise.all([http(), http(), http(), http(), udp(), record()]);
    await sleep(loadMs);
    killAt = Date.now();
    await s.stop('SIGKILL');
    stop = true;
    await load;
    res.kills++;
    log(`kill ${res.kills} after ${loadMs} ms of load: ${acked.length} completions acknowledged this cycle`);
  }
  res.completionsSent = sent;
  res.completionsAcked = durable;
  res.restartMs = Math.round(restartTotal / (o.kills + 1));
  return res;
}
