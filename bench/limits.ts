/**
 * Security limits as figures (issue 18), measured against one real `fjord serve` on loopback:
 *
 *   npm run limits            prints a Markdown table per area (also bench/.build/limits-results.md)
 *
 * - Amplification: for every UDP, HTTP and web seed reply kind, the bytes of the request and of the
 *   reply (UDP: the datagrams; TCP: everything the client wrote and read on its connection), and
 *   their ratio; whether the reply needs a proof of the source address first (a UDP connection id,
 *   a TCP handshake), which is what makes a ratio above 1 harmless to third parties.
 * - Connections per address: from one address, connections opened on each listener (HTTP tracker,
 *   WebSocket tracker, web, admin) until the server closes new ones; and peers one address can put
 *   into one swarm.
 * - Login throttling: failed logins from one address for one account until 429, and the delays.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_ARGS, serveFjord } from '../test/helpers/cli.js';
import { openCatalog } from '../src/catalog/index.js';

const RESULTS = fileURLToPath(new URL('./.build/limits-results.md', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fjordSync(args: string[]): string {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`fjord ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const pct = (b: Buffer) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('');

/** One UDP exchange from `from`: the reply (or null after 500 ms). */
async function udp(port: number, req: Buffer, sock: dgram.Socket): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      sock.off('message', on);
      resolve(null);
    }, 500);
    const on = (m: Buffer) => {
      clearTimeout(t);
      sock.off('message', on);
      resolve(m);
    };
    sock.on('message', on);
    sock.send(req, port, '127.0.0.1');
  });
}

/** Raw TCP: writes `req`, reads until the server closes (or 2 s): bytes written and read. */
function tcp(
  port: number,
  req: Buffer | string,
  from = '127.0.0.1',
  timeoutMs = 2000,
): Promise<{ sent: number; got: Buffer }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => s.write(req));
    const done = () => resolve({ sent: Buffer.byteLength(req), got: Buffer.concat(chunks) });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', done);
    s.on('error', () => {});
    s.setTimeout(timeoutMs, () => s.destroy());
  });
}

interface Row {
  kind: string;
  request: number;
  reply: number;
  proof: string;
}

function connectPacket(protocolId = 0x41727101980n, txn = 1): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(protocolId, 0);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(txn, 12);
  return b;
}

function announcePacket(cid: Buffer, hash: Buffer, port: number, numwant = -1): Buffer {
  const b = Buffer.alloc(98);
  cid.copy(b, 0);
  b.writeUInt32BE(1, 8);
  b.writeUInt32BE(9, 12);
  hash.copy(b, 16);
  Buffer.from('-LM0001-000000000000').copy(b, 36);
  b.writeBigUInt64BE(1000n, 64);
  b.writeInt32BE(numwant, 92);
  b.writeUInt16BE(port, 96);
  return b;
}

/** Opens connections from `from` to port until the server closes new ones; returns how many stayed. */
async function connectionsKept(port: number, from: string, max: number, hello = ''): Promise<number> {
  const socks: net.Socket[] = [];
  let closed = 0;
  for (let i = 0; i < max; i++) {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from });
    s.on('error', () => {});
    s.on('close', () => closed++);
    await new Promise<void>((r) => {
      s.once('connect', () => r());
      s.once('error', () => r());
    });
    if (hello) s.write(hello);
    socks.push(s);
  }
  await sleep(1000);
  const open = socks.filter((s) => !s.destroyed && s.readyState === 'open').length;
  for (const s of socks) s.destroy();
  void closed;
  return open;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fjord-limits-'));
  const data = join(work, 'data');
  const lines: string[] = [];
  const out = (l = '') => {
    lines.push(l);
    process.stdout.write(`${l}\n`);
  };
  try {
    // A published episode (the web seed's file, 1 MiB) and an account to throttle.
    const media = join(work, 'ep.mkv');
    writeFileSync(media, Buffer.alloc(1 << 20, 9));
    fjordSync(
      ['publish', '--no-probe', media, '--data', data, '--series', 'Limits', '--new-series'].concat([
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
    fjordSync(['user', 'add', 'victim', '--role', 'editor', '--data', data]);
    const catalog = await openCatalog({ dataDir: data });
    const ep = await catalog.getEpisode('limits', 1, 1);
    await catalog.close();
    if (!ep?.torrents[0]?.infoHashV1) throw new Error('no episode');
    const hash = Buffer.from(ep.torrents[0].infoHashV1, 'hex');
    const video = ep.media[0].path;
    const s = await serveFjord(
      ['--data', data, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--ws', '127.0.0.1:0'].concat([
        '--web',
        '127.0.0.1:0',
        '--admin',
        '127.0.0.1:0',
        '--numwant-max',
        '200',
      ]),
      ['udp', 'http', 'ws', 'web', 'admin'],
    );
    try {
      const P = s.ports;
      // 300 peers in the swarm, 8 per address (the per-address limit), by UDP.
      const filler = dgram.createSocket('udp4');
      await new Promise<void>((r) => filler.bind(0, '127.0.0.1', () => r()));
      for (let a = 0; a < 38; a++) {
        const sock = dgram.createSocket('udp4');
        await new Promise<void>((r) => sock.bind(0, `127.0.${10 + (a >> 8)}.${(a & 0xff) + 1}`, () => r()));
        const c = await udp(P.udp, connectPacket(), sock);
        if (!c) throw new Error('no connect reply');
        for (let k = 0; k < 8; k++)
          await udp(P.udp, announcePacket(c.subarray(8, 16), hash, 10000 + k), sock);
        sock.close();
      }

      // ---- amplification ----
      const rows: Row[] = [];
      const u = dgram.createSocket('udp4');
      await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
      const add = (kind: string, req: Buffer, rep: Buffer | null, proof: string) =>
        rows.push({ kind: `UDP ${kind}`, request: req.length, reply: rep?.length ?? 0, proof });
      const conn = connectPacket();
      const c = await udp(P.udp, conn, u);
      add('connect', conn, c, 'none (the reply carries the id)');
      const cid = c!.subarray(8, 16);
      const badProto = connectPacket(0x1234n);
      add('connect, wrong protocol id (error)', badProto, await udp(P.udp, badProto, u), 'none');
      const badId = announcePacket(Buffer.alloc(8, 7), hash, 7000);
      add('announce, bad connection id (error)', badId, await udp(P.udp, badId, u), 'none');
      const short = Buffer.alloc(16);
      short.writeBigUInt64BE(0x0102030405060708n);
      short.writeUInt32BE(1, 8);
      add('16-byte announce, bad id (error)', short, await udp(P.udp, short, u), 'none');
      const unknown = Buffer.alloc(16);
      unknown.writeUInt32BE(9, 8);
      add('unknown action (error)', unknown, await udp(P.udp, unknown, u), 'none');
      for (const n of [-1, 200]) {
        const a = announcePacket(cid, hash, 7001, n);
        add(
          `announce, numwant ${n === -1 ? 'default (50)' : n}, 300 peers`,
          a,
          await udp(P.udp, a, u),
          'connection id',
        );
      }
      const unknownHash = announcePacket(cid, Buffer.alloc(20, 1), 7001);
      add(
        'announce, unknown torrent (error)',
        unknownHash,
        await udp(P.udp, unknownHash, u),
        'connection id',
      );
      for (const n of [1, 74]) {
        const sc = Buffer.alloc(16 + 20 * n);
        cid.copy(sc, 0);
        sc.writeUInt32BE(2, 8);
        for (let i = 0; i < n; i++) hash.copy(sc, 16 + 20 * i);
        add(`scrape, ${n} hash${n > 1 ? 'es' : ''}`, sc, await udp(P.udp, sc, u), 'connection id');
      }
      u.close();

      const head = (path: string, extra = '') =>
        `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;
      const http = async (kind: string, port: number, req: string, proof = 'TCP handshake') => {
        const r = await tcp(port, req);
        rows.push({ kind, request: r.sent, reply: r.got.length, proof });
        return r.got;
      };
      const ann = (n: number) =>
        `/announce?info_hash=${pct(hash)}&peer_id=-LM0001-000000000001&port=7002&uploaded=0&downloaded=0&left=10&compact=1&numwant=${n}`;
      await http('HTTP announce, compact, numwant 50, 300 peers', P.http, head(ann(50)));
      await http('HTTP announce, compact, numwant 200', P.http, head(ann(200)));
      await http(
        'HTTP announce, non-compact, numwant 200',
        P.http,
        head(ann(200).replace('compact=1', 'compact=0')),
      );
      await http('HTTP scrape, 1 hash', P.http, head(`/scrape?info_hash=${pct(hash)}`));
      await http(
        'HTTP announce, unknown torrent (error)',
        P.http,
        head(ann(50).replace(pct(hash), pct(Buffer.alloc(20, 1)))),
      );
      await http('HTTP bad request (400)', P.http, 'GET /announce?info_hash=zz HTTP/1.1\r\n\r\n');
      await http('HTTP not found (404)', P.http, head('/nothing'));
      await http('HTTP full scrape (off by default)', P.http, head('/scrape'));
      const m = `/${video}`;
      await http('web seed, whole file (1 MiB)', P.web, head(m));
      await http('web seed, Range: bytes=0-0', P.web, head(m, 'Range: bytes=0-0\r\n'));
      const many = Array.from({ length: 60 }, (_, i) => `${i * 1000}-${i * 1000}`).join(',');
      await http('web seed, 60 one-byte ranges', P.web, head(m, `Range: bytes=${many}\r\n`));
      const lots = Array.from({ length: 400 }, (_, i) => `${i * 1000}-${i * 1000}`).join(',');
      await http('web seed, 400 one-byte ranges', P.web, head(m, `Range: bytes=${lots}\r\n`));
      await http('web seed, HEAD', P.web, `HEAD ${m} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      await http('web seed, unknown file (404)', P.web, head('/media/limits/nothing.mkv'));

      out('### Amplification');
      out();
      out('| reply kind | request bytes | reply bytes | factor | the reply needs first |');
      out('| --- | ---: | ---: | ---: | --- |');
      for (const r of rows)
        out(`| ${r.kind} | ${r.request} | ${r.reply} | ${(r.reply / r.request).toFixed(2)} | ${r.proof} |`);
      out();

      // ---- connections and peers per address ----
      out('### Connections and peers per address');
      out();
      out('| listener | connections opened from one address | kept open by the server |');
      out('| --- | ---: | ---: |');
      for (const [name, port, n, hello] of [
        ['HTTP tracker', P.http, 160, 'GET /announce?'],
        ['WebSocket tracker', P.ws, 160, 'GET / HTTP/1.1\r\n'],
        ['web', P.web, 300, 'GET / HTTP/1.1\r\n'],
        ['admin', P.admin, 100, 'GET / HTTP/1.1\r\n'],
      ] as const) {
        const kept = await connectionsKept(port, '127.0.3.1', n, hello);
        out(`| ${name} | ${n} | ${kept} |`);
        await sleep(500);
      }
      const leechers = async () =>
        Number(
          /incompletei(\d+)e/.exec(
            (await tcp(P.http, head(`/scrape?info_hash=${pct(hash)}`))).got.toString('latin1'),
          )?.[1] ?? -1,
        );
      const before = await leechers();
      const one = dgram.createSocket('udp4');
      await new Promise<void>((r) => one.bind(0, '127.0.5.1', () => r()));
      const oc = await udp(P.udp, connectPacket(), one);
      for (let k = 0; k < 20; k++)
        await udp(P.udp, announcePacket(oc!.subarray(8, 16), hash, 20000 + k), one);
      one.close();
      out();
      out(
        `Peers per address per swarm: one address announced 20 peer ports into one swarm; the swarm grew by ${(await leechers()) - before} peers.`,
      );
      out();

      // ---- login throttling ----
      out('### Login throttling (one address, one account, wrong password)');
      out();
      out('| attempt | status | ms |');
      out('| ---: | ---: | ---: |');
      for (let i = 1; i <= 7; i++) {
        const body = JSON.stringify({ name: 'victim', password: `wrong-${i}` });
        const t0 = Date.now();
        const r = await tcp(
          P.web,
          `POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
          '127.0.0.1',
          30_000,
        );
        const status = /^HTTP\/1\.1 (\d+)/.exec(r.got.toString('latin1'))?.[1] ?? '-';
        out(`| ${i} | ${status} | ${Date.now() - t0} |`);
      }
      out();
    } finally {
      await s.stop();
    }
    mkdirSync(join(RESULTS, '..'), { recursive: true });
    writeFileSync(RESULTS, `${lines.join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
