/**
 * Bad input at volume: garbage over UDP and HTTP is answered or dropped and counted, valid
 * requests in flight are still answered, and memory does not grow with the number of bad requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startTracker, UdpClient, udpAnnounce, httpGet, announcePath, hashOf } from '../helpers/tracker.js';

// Measured growth here is under 100 kB; a leak of even 100 bytes per bad request would exceed 1 MiB.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function garbageRound(udp: UdpClient, id: Buffer, httpPort: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const g = Buffer.alloc(16 + ((i * 37) % 150));
    for (let k = 0; k < g.length; k++) g[k] = (i * 131 + k * 17) & 0xff;
    if (i % 2 === 0) id.copy(g);
    udp.send(g);
  }
  await Promise.all(
    Array.from(
      { length: 50 },
      (_, i) =>
        new Promise<void>((resolve) => {
          const s = net.connect(httpPort, '127.0.0.1');
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.resume(); // read the reply, so the server's close is seen
          s.end(
            i % 2
              ? `GET /announce?info_hash=${'%zz'.repeat(i)} HTTP/1.1\r\n\r\n`
              : `\x16\x03\x01 garbage ${i}\r\n\r\n`,
          );
        }),
    ),
  );
  while ((await udp.next(100)) !== null);
}

test('garbage at volume: counted, valid requests answered, no memory growth', async () => {
  const t = await startTracker();
  const udp = new UdpClient(t.udpPort);
  await udp.bind('127.0.0.1');
  try {
    const id = await udp.connect();
    await garbageRound(udp, id, t.httpPort, 2000); // warm up
    const before = heapAfterGc();
    for (let r = 0; r < 5; r++) await garbageRound(udp, id, t.httpPort, 2000);
    const after = heapAfterGc();
    const growth = after - before;
    assert.ok(
      growth < 1024 * 1024,
      `heap grew by ${growth} bytes over 10,000 bad datagrams and 250 bad connections`,
    );
    const c = t.tracker.counters;
    const errors = [...c.errors].reduce((a, b) => a + b, 0);
    assert.ok(errors > 5000, `errors counted: ${errors}`);
    const r = await udp.request(udpAnnounce({ connectionId: id, infoHash: hashOf(1), port: 1 }));
    assert.equal(r.readUInt32BE(0), 1);
    const h = await httpGet(t.httpPort, announcePath({ hash: hashOf(1), port: 2 }));
    assert.equal(h.status, 200);
  } finally {
    udp.close();
    await t.stop();
  }
});
