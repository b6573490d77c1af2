/**
 * The swarm store's per-address limits (src/swarm/address-limits.ts, PeerList.findCounting), held
 * against brute force: an IPv4 address or IPv6 /64 has at most peersPerAddress peers in a swarm and
 * at most completionsPerAddress counted completions per torrent; the rest is noted as suspicious.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SwarmStore, EVENT_COMPLETED, EVENT_NONE, EVENT_STOPPED, tickOf } from '../../src/swarm/store.js';
import { PeerList } from '../../src/swarm/peer-list.js';
import { hash, peer4 } from './peers.js';

/** An IPv6 peer in /64 number `net`, interface id `iface`. */
const peer6 = (net: number, iface: number, port: number) => {
  const b = Buffer.alloc(18);
  b.writeUInt32BE(0x20010db8, 0);
  b.writeUInt32BE(net, 4);
  b.writeUInt32BE(iface, 12);
  b.writeUInt16BE(port, 16);
  return b;
};
const tick = tickOf(10_000);

test('IPv4: 8 peers of one address, the 9th answered but not stored; other addresses unaffected', () => {
  const s = new SwarmStore();
  const h = hash(1);
  for (let port = 1; port <= 20; port++)
    s.announce(h, 0, peer4(0x0a000001, port), 0, false, false, EVENT_NONE, tick);
  assert.equal(s.get(h, 0)?.peers, 8);
  assert.equal(s.peersRefused, 12);
  assert.equal(s.selfPos, -1, 'the refused requester has no position');
  for (let i = 0; i < 50; i++)
    s.announce(h, 0, peer4(0x0b000000 + i, 6881), 0, false, false, EVENT_NONE, tick);
  assert.equal(s.get(h, 0)?.peers, 58);
  // A stored peer leaves: a new port of that address takes the place.
  s.announce(h, 0, peer4(0x0a000001, 1), 0, false, false, EVENT_STOPPED, tick);
  s.announce(h, 0, peer4(0x0a000001, 99), 0, false, false, EVENT_NONE, tick);
  assert.equal(s.get(h, 0)?.peers, 58);
  const [suspect] = s.suspects.list(tick);
  assert.equal(suspect.address, '10.0.0.1');
  assert.equal(suspect.peersRefused, 12);
});

test('IPv6: the limit is per /64, whatever the interface ids', () => {
  const s = new SwarmStore({ peersPerAddress: 4, completionsPerAddress: 8 });
  const h = hash(2);
  for (let i = 0; i < 10; i++) s.announce(h, 0, peer6(7, i, 6881), 0, true, false, EVENT_NONE, tick);
  for (let i = 0; i < 10; i++) s.announce(h, 0, peer6(8 + i, 1, 6881), 0, true, false, EVENT_NONE, tick);
  assert.equal(s.get(h, 0)?.peers, 14);
  assert.deepEqual(
    s.suspects.list(tick).map((x) => [x.address, x.peersRefused]),
    [['2001:db8:0:7::/64', 6]],
  );
});

test('completions: at most 8 per torrent and address, also through stop and return; per torrent', () => {
  const s = new SwarmStore();
  const [a, b] = [hash(3), hash(4)];
  for (let i = 0; i < 30; i++) {
    s.announce(a, 0, peer4(0x0c000001, 5000), 0, false, true, EVENT_COMPLETED, tick);
    s.announce(a, 0, peer4(0x0c000001, 5000), 0, false, true, EVENT_STOPPED, tick);
  }
  for (let port = 1; port <= 30; port++)
    s.announce(b, 0, peer4(0x0c000001, port), 0, false, true, EVENT_COMPLETED, tick);
  for (let i = 0; i < 30; i++)
    s.announce(b, 0, peer4(0x0d000000 + i, 1), 0, false, true, EVENT_COMPLETED, tick);
  assert.equal(s.get(a, 0)?.downloaded, 8);
  assert.equal(s.get(b, 0)?.downloaded, 8 + 30);
  assert.equal(s.completionsIgnored, 22 + 22);
  // Twelve hours later the older generation still counts; 24 hours later the window has passed.
  const later = tickOf(10_000 + 12 * 3600);
  s.announce(a, 0, peer4(0x0c000001, 6000), 0, false, true, EVENT_COMPLETED, later);
  assert.equal(s.get(a, 0)?.downloaded, 8);
  const dayLater = tickOf(10_000 + 24 * 3600 + 60);
  s.announce(a, 0, peer4(0x0c000001, 6001), 0, false, true, EVENT_COMPLETED, dayLater);
  assert.equal(s.get(a, 0)?.downloaded, 9);
});

test('property: findCounting finds what find finds and counts the address exactly', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 40 }), fc.boolean()), {
        maxLength: 300,
      }),
      (ops) => {
        const l = new PeerList(6);
        const model = new Map<string, number>();
        for (const [ip, port, add] of ops) {
          const p = peer4(0x0a000000 + ip, port);
          const pos = l.find(p, 0);
          if (add && pos < 0) l.insert(p, 0, port % 2 === 0, 0);
          else if (!add && pos >= 0) l.remove(pos);
          const key = p.toString('hex');
          if (add) model.set(key, ip);
          else model.delete(key);
          const probe = peer4(0x0a000000 + ip, 65000);
          assert.equal(l.findCounting(probe, 0), -1);
          assert.equal(l.sameAddress, [...model.values()].filter((x) => x === ip).length);
          assert.equal(l.findCounting(p, 0), l.find(p, 0));
        }
      },
    ),
  );
});
