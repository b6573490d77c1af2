/**
 * The memory store's address counting (PeerList.findCounting), held against brute force. The limits
 * themselves (peersPerAddress, completionsPerAddress) are in the store conformance suite
 * (conformance.ts), which every store runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PeerList } from '../../src/swarm/peer-list.js';
import { peer4 } from './peers.js';

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
