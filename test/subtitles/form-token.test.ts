/**
 * The contribute form's token (src/subtitles/form-token.ts): bound to its episode and network, valid
 * for FORM_TOKEN_TTL_SECONDS, refused when malformed or made with another key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORM_TOKEN_TTL_SECONDS, FormTokens } from '../../src/subtitles/form-token.js';
import { rangeKey } from '../../src/protocol/address-key.js';

test('a token holds for its episode and range until it expires', () => {
  let now = 1_800_000_000_000;
  const tokens = new FormTokens(() => now);
  const t = tokens.issue(7, '192.0.2.0/24');
  assert.match(t, /^\d+\.[A-Za-z0-9_-]{22}$/);
  assert.ok(tokens.check(t, 7, '192.0.2.0/24'));
  assert.ok(!tokens.check(t, 8, '192.0.2.0/24'), 'another episode');
  assert.ok(!tokens.check(t, 7, '192.0.3.0/24'), 'another network');
  assert.ok(!new FormTokens(() => now).check(t, 7, '192.0.2.0/24'), 'another key (a restart)');
  for (const bad of [undefined, '', 'x', `${t}x`, t.replace(/^\d+/, '1'), ` ${t}`])
    assert.ok(!tokens.check(bad, 7, '192.0.2.0/24'), String(bad));
  now += FORM_TOKEN_TTL_SECONDS * 1000;
  assert.ok(tokens.check(t, 7, '192.0.2.0/24'), 'at the end of its time');
  now += 1000;
  assert.ok(!tokens.check(t, 7, '192.0.2.0/24'), 'expired');
  const future = new FormTokens(() => now + 3_600_000, Buffer.alloc(32, 1));
  assert.ok(
    !new FormTokens(() => now, Buffer.alloc(32, 1)).check(future.issue(7, 'r'), 7, 'r'),
    'issued an hour ahead',
  );
});

test('rangeKey: IPv4 /24, IPv6 /48, from an address or an address key', () => {
  assert.equal(rangeKey('192.0.2.77'), '192.0.2.0/24');
  assert.equal(rangeKey('::ffff:192.0.2.77'), '192.0.2.0/24');
  assert.equal(rangeKey('2001:db8:1:2::/64'), '2001:db8:1::/48');
  assert.equal(rangeKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1::/48');
  assert.equal(rangeKey('unknown'), 'unknown');
});
