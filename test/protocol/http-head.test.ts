/**
 * Request heads as the tracker reads them (src/protocol/http-head.ts): the request line in place,
 * the Upgrade and bare-LF checks, header values, and the X-Forwarded-For rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RequestLine,
  forwardedClient,
  hasBareLf,
  hasUpgradeHeader,
  headerValue,
  parseRequestLine,
  pathIs,
} from '../../src/protocol/http-head.js';
import { Network } from '../../src/protocol/ip.js';

const head = (s: string) => Buffer.from(s, 'latin1');

test('request line: method, path and query found in place; malformed ones refused', () => {
  const l = new RequestLine();
  const b = head('GET /announce?info_hash=x&port=1 HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(parseRequestLine(b, l), true);
  assert.equal(l.isGet, true);
  assert.equal(pathIs(b, l, '/announce'), true);
  assert.equal(pathIs(b, l, '/scrape'), false);
  assert.equal(b.toString('latin1', l.queryStart, l.targetEnd), 'info_hash=x&port=1');
  const s = head('GET /scrape HTTP/1.0\r\n\r\n');
  assert.equal(parseRequestLine(s, l), true);
  assert.equal(pathIs(s, l, '/scrape'), true);
  assert.equal(l.queryStart, l.targetEnd, 'no query');
  assert.equal(parseRequestLine(head('POST /announce HTTP/1.1\r\n\r\n'), l), true);
  assert.equal(l.isGet, false);
  for (const bad of [
    'GET /announce\r\n\r\n',
    ' GET / HTTP/1.1\r\n',
    'GET / XTTP/1.1\r\n',
    'GET\r\n / HTTP/1.1',
  ])
    assert.equal(parseRequestLine(head(bad), l), false, bad);
});

test('Upgrade header found in any case at a line start only; bare LF found', () => {
  const a = head('GET /announce HTTP/1.1\r\nuPgRaDe: h2c\r\n\r\n');
  assert.equal(hasUpgradeHeader(a, a.length - 4), true);
  const b = head('GET /announce?upgrade:1 HTTP/1.1\r\nX-Upgrade: no\r\n\r\n');
  assert.equal(hasUpgradeHeader(b, b.length - 4), false);
  assert.equal(hasBareLf(head('GET / HTTP/1.1\nHost: a\r\n')), true);
  assert.equal(hasBareLf(head('GET / HTTP/1.1\r\nHost: a\r\n')), false);
  assert.equal(headerValue(a, a.length - 4, 'upgrade'), 'h2c');
  assert.equal(headerValue(a, a.length - 4, 'host'), null);
});

test('X-Forwarded-For: the rightmost hop that is not a trusted proxy; all trusted: the leftmost', () => {
  const trusted = [new Network('10.0.0.0/8'), new Network('::1/128')];
  assert.equal(forwardedClient('203.0.113.7', trusted), '203.0.113.7');
  assert.equal(forwardedClient('198.51.100.1, 203.0.113.7, 10.0.0.2', trusted), '203.0.113.7');
  assert.equal(forwardedClient(' 10.1.1.1 ,10.0.0.2,::1', trusted), '10.1.1.1');
  assert.equal(forwardedClient('', trusted), '');
  // A client's own claims to the left never win over what a trusted proxy appended.
  fc.assert(
    fc.property(fc.array(fc.ipV4(), { maxLength: 5 }), fc.ipV4(), (forged, real) => {
      fc.pre(!real.startsWith('10.'));
      assert.equal(forwardedClient([...forged, real, '10.0.0.1'].join(', '), trusted), real);
    }),
  );
});
