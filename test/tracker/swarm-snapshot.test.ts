/**
 * The swarm snapshot module (src/tracker/swarm-snapshot.ts) on its own, through the PeerStore
 * interface: what is saved comes back (both families, seeders apart, completions counted once), the
 * periodic save's sliced file is the same file as the one-pass encoding, ages carry on.
 * The end-to-end behaviour (restarts of real processes, damage) is in swarm-restart.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Announced, EVENT_COMPLETED, EVENT_NONE, type PeerStore } from '../../src/swarm/peer-store.js';
import { SwarmStore, tickOf } from '../../src/swarm/store.js';
import { decodeSwarms, encodeSwarms, writeSwarmsSliced } from '../../src/tracker/swarm-snapshot.js';
import { hash, peer4 } from '../swarm/peers.js';
import { peer6 } from '../swarm/conformance.js';
import { tempDir } from '../helpers/tracker.js';

const NOW = 1_800_000_000;

/** Every swarm's peers as sorted "hex seed|leech" strings, per family, by hash. */
function contents(s: PeerStore): Map<string, string[]> {
  const out = new Map<string, string[]>();
  s.forEach((h, off) => {
    const peers: string[] = [];
    for (const v6 of [false, true]) {
      const r = s.peersOf(h, off, v6);
      if (r === null) continue;
      const rec = v6 ? 18 : 6;
      for (let i = 0; i < r.count; i++)
        peers.push(
          `${Buffer.from(r.addrs.subarray(i * rec, i * rec + rec)).toString('hex')} ${i < r.seeds ? 'S' : 'L'}`,
        );
    }
    if (peers.length > 0) out.set(Buffer.from(h.subarray(off, off + 20)).toString('hex'), peers.sort());
  });
  return out;
}

function filled(): SwarmStore {
  const s = new SwarmStore({ peersPerAddress: 255 });
  const a = new Announced();
  const tick = tickOf(NOW);
  for (let t = 0; t < 300; t++)
    for (let i = 0; i < 1 + (t % 40); i++) {
      s.announce(
        hash(t),
        0,
        peer4(0x0a000000 + i, 1000 + t),
        0,
        false,
        i % 3 === 0,
        EVENT_NONE,
        tick,
        false,
        a,
      );
      if (i % 5 === 0)
        s.announce(hash(t), 0, peer6(t, i, 2000), 0, true, i % 2 === 0, EVENT_NONE, tick, false, a);
    }
  return s;
}

test('what encodeSwarms saves, decodeSwarms puts back: both families, seeders and leechers', () => {
  const s = filled();
  const buf = encodeSwarms(s, NOW);
  const fresh = new SwarmStore({ peersPerAddress: 255 });
  const r = decodeSwarms(buf, fresh, NOW + 60, 2700);
  assert.equal(r.problem, null);
  assert.equal(r.expired, 0);
  assert.equal(r.swarms, 300);
  assert.equal(r.peers, s.totals().seeders + s.totals().leechers);
  assert.deepEqual(fresh.totals().seeders, s.totals().seeders);
  assert.deepEqual(fresh.totals().leechers, s.totals().leechers);
  assert.deepEqual(contents(fresh), contents(s));
  // Nothing counted on the way: no completions, no refusals.
  assert.equal(fresh.totals().completedSinceStart, 0);
  assert.deepEqual(fresh.limitCounts(), { peersRefused: 0, completionsIgnored: 0 });
});

test('a peer whose completion was counted is not counted again after a restore', () => {
  const s = new SwarmStore();
  const a = new Announced();
  const h = hash(7);
  const p = peer4(0x0b000001, 6881);
  s.announce(h, 0, p, 0, false, true, EVENT_COMPLETED, tickOf(NOW), false, a);
  assert.equal(a.downloaded, 1);
  const fresh = new SwarmStore();
  decodeSwarms(encodeSwarms(s, NOW), fresh, NOW, 2700);
  fresh.raiseCompletions(h, 0, 1); // what the completion counts (persistence.ts) load
  fresh.announce(h, 0, p, 0, false, true, EVENT_COMPLETED, tickOf(NOW + 8), false, a);
  assert.equal(a.downloaded, 1, 'the completed bit came back with the peer');
  assert.equal(a.seeders, 1);
});

test('ages carry on: a peer expires at load when saved age plus time since passes the timeout', () => {
  const s = new SwarmStore();
  const a = new Announced();
  s.announce(hash(1), 0, peer4(1, 1), 0, false, false, EVENT_NONE, tickOf(NOW - 100), false, a);
  s.announce(hash(1), 0, peer4(2, 1), 0, false, false, EVENT_NONE, tickOf(NOW - 20), false, a);
  const buf = encodeSwarms(s, NOW);
  const fresh = new SwarmStore();
  // Timeout 200 s, loaded 120 s after the save: ages about 220 s (out) and 140 s (in).
  const r = decodeSwarms(buf, fresh, NOW + 120, 200);
  assert.deepEqual([r.peers, r.expired], [1, 1]);
  // The one kept is 140 s old: a sweep 64 s on (204 s) removes it, one at 56 s on (196 s) does not.
  fresh.sweep(NOW + 176, 200, () => false);
  assert.equal(fresh.totals().leechers, 1);
  fresh.sweep(NOW + 184, 200, () => false);
  assert.equal(fresh.totals().leechers, 0);
});

test('the periodic save writes, slice by slice, the same file as the one-pass encoding', async () => {
  const s = filled();
  // One swarm larger than a slice (256 KiB): 40,000 IPv4 peers.
  const a = new Announced();
  for (let i = 0; i < 40_000; i++)
    s.announce(hash(999), 0, peer4(0x0c000000 + i, 7), 0, false, false, EVENT_NONE, tickOf(NOW), false, a);
  const dir = tempDir('fjord-sliced-');
  try {
    const path = join(dir, 'swarms.bin');
    const fh = await open(path, 'w');
    const peers = await writeSwarmsSliced(s, fh, () => NOW);
    await fh.close();
    assert.equal(peers, s.totals().seeders + s.totals().leechers);
    assert.ok(readFileSync(path).equals(encodeSwarms(s, NOW)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
