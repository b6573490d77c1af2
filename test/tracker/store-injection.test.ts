/**
 * The tracker serves from the store it is given (TrackerOptions.store), and config.swarmStore names
 * the default one ('memory', the only value until issue 13).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bdecode } from '../../src/protocol/bencode.js';
import { defaults, validateConfig, type Config } from '../../src/config.js';
import { SwarmStore } from '../../src/swarm/store.js';
import { makePeerStore } from '../../src/tracker/tracker.js';
import { announcePath, hashOf, httpGet, startTracker } from '../helpers/tracker.js';

test('an injected store serves the announces, with its own settings', async () => {
  // One peer per address: the tracker's config (peersPerAddress 8) is not what this store does.
  const store = new SwarmStore({ peersPerAddress: 1 });
  const t = await startTracker({}, { store });
  try {
    assert.equal(t.tracker.store, store);
    const h = hashOf(77);
    for (const port of [1001, 1002, 1003])
      await httpGet(t.httpPort, announcePath({ hash: h, port }), { localAddress: '127.0.0.2' });
    const r = await httpGet(t.httpPort, announcePath({ hash: h, port: 2001 }), { localAddress: '127.0.0.3' });
    const d = bdecode(r.body) as Record<string, unknown>;
    assert.equal(d.incomplete, 2, 'one peer of 127.0.0.2 stored, and 127.0.0.3');
    assert.equal(store.limitCounts().peersRefused, 2);
    assert.equal(store.totals().leechers, 2);
  } finally {
    await t.stop();
  }
});

test('config.swarmStore: memory by default, anything else refused with the choices', () => {
  assert.equal(defaults.swarmStore, 'memory');
  assert.ok(makePeerStore(defaults) instanceof SwarmStore);
  const bad = { ...defaults, swarmStore: 'redis' } as unknown as Config;
  assert.throws(
    () => validateConfig(bad),
    /swarmStore must be memory or a redis:\/\/, rediss:\/\/ or redis\+cluster:\/\/ URL \(got redis\)/,
  );
});
