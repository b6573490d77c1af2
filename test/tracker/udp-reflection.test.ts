/**
 * A UDP tracker must not be a reflector: a datagram that has not shown it comes from its source
 * address (no valid connection id) never gets a reply larger than itself (issue 19: 16 bytes in
 * got 54 to 57 bytes out, 3.5 times, to whatever source address the sender forged). Both UDP
 * paths (the native batch and node:dgram) of a real `fjord serve`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveFjord } from '../helpers/cli.js';
import { UdpClient, hashOf, tempDir, udpAnnounce, udpScrape } from '../helpers/tracker.js';
import { udpBatch, udpBatchStatus } from '../../src/tracker/udp-batch.js';

/** 16 bytes: connection id (or protocol id), action, transaction id. */
function packet(first: bigint, action: number, txn = 5): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(first, 0);
  b.writeUInt32BE(action, 8);
  b.writeUInt32BE(txn, 12);
  return b;
}

for (const io of ['native', 'dgram'] as const) {
  const skip = io === 'native' && udpBatch === null ? `no native UDP path: ${udpBatchStatus.reason}` : false;
  test(`${io} path: no reply larger than the request without a valid connection id`, { skip }, async () => {
    const served = await serveFjord(
      ['--open', '--udp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--admin', 'off', '--data', tempDir()],
      ['udp', 'http'],
      { env: io === 'dgram' ? { FJORD_UDP_BATCH: '0' } : {} },
    );
    const c = new UdpClient(served.ports.udp);
    try {
      await c.bind('127.0.0.1');
      const junk = [
        packet(0x1234n, 0), // a connect with the wrong protocol id
        packet(0x0102030405060708n, 1), // an announce's action, no valid id
        packet(0x0102030405060708n, 2), // a scrape's action
        packet(0x0102030405060708n, 7), // unknown action
        packet(0xffffffffffffffffn, 0xffffffff),
        Buffer.from('0123456789abcdef0123456789abcdef', 'hex'),
      ];
      const badId = Buffer.alloc(8, 9);
      const requests = [
        ...junk,
        udpAnnounce({ connectionId: badId, infoHash: hashOf(1), port: 6881 }), // 98 bytes
        udpScrape(badId, [hashOf(1)]), // 36 bytes
      ];
      for (const req of requests) {
        c.send(req);
        const r = await c.next(500);
        const what = `${req.length} bytes ${req.subarray(0, 16).toString('hex')}`;
        if (r === null) continue; // no reply is fine
        assert.ok(r.length <= req.length, `${what}: ${r.length} bytes back`);
        assert.equal(r.readUInt32BE(0), 3, `${what}: an error`);
        assert.equal(r.readUInt32BE(4), req.readUInt32BE(12), `${what}: its transaction id`);
      }
      // A 98-byte announce with a bad id is still told why (clients reconnect on it).
      c.send(requests[junk.length]);
      const told = await c.next(1000);
      assert.ok(told !== null);
      assert.match(told.subarray(8).toString(), /connection id/);
      // And a real client's connect and announce are served as before.
      const id = await c.connect();
      const r = await c.request(udpAnnounce({ connectionId: id, infoHash: hashOf(2), port: 6882, txn: 77 }));
      assert.equal(r.readUInt32BE(0), 1);
      assert.equal(r.readUInt32BE(4), 77);
    } finally {
      c.close();
      await served.stop();
    }
  });
}
