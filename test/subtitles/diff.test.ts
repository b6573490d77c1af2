/**
 * The moderator's diff of cue texts (src/subtitles/diff.ts), the address keys rate limits and bans
 * use, and the licence names the form shows.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSubtitle } from '../../src/protocol/subtitles.js';
import { addressKey } from '../../src/protocol/address-key.js';
import { cueTexts, diffLines, withContext, type DiffOp } from '../../src/subtitles/diff.js';
import { licenceInfo, licenceShort } from '../../src/subtitles/licence.js';

const side = (ops: DiffOp[], drop: DiffOp['op']) => ops.filter((o) => o.op !== drop).map((o) => o.text);

describe('diffLines', () => {
  test('a changed, an added and a removed cue', () => {
    const d = diffLines(['a', 'b', 'c', 'd'], ['a', 'B', 'c', 'e']);
    assert.deepEqual(d.ops, [
      { op: 'same', text: 'a' },
      { op: 'removed', text: 'b' },
      { op: 'added', text: 'B' },
      { op: 'same', text: 'c' },
      { op: 'removed', text: 'd' },
      { op: 'added', text: 'e' },
    ]);
    assert.equal(d.added, 2);
    assert.equal(d.removed, 2);
    assert.equal(d.gaveUp, false);
  });

  test('identical and empty sides', () => {
    assert.deepEqual(diffLines(['x', 'y'], ['x', 'y']).ops, [
      { op: 'same', text: 'x' },
      { op: 'same', text: 'y' },
    ]);
    assert.deepEqual(diffLines([], ['n']).ops, [{ op: 'added', text: 'n' }]);
    assert.deepEqual(diffLines([], []).ops, []);
  });

  test('gives up (all removed, all added) past the cell limit, keeping the common ends', () => {
    const d = diffLines(['s', '1', '2', '3', 'e'], ['s', '4', '5', 'e'], 10);
    assert.equal(d.gaveUp, true);
    assert.deepEqual(side(d.ops, 'added'), ['s', '1', '2', '3', 'e']);
    assert.deepEqual(side(d.ops, 'removed'), ['s', '4', '5', 'e']);
  });

  test('property: the ops rebuild both sides, and the common part is a longest one', () => {
    const line = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 25 }), fc.array(line, { maxLength: 25 }), (a, b) => {
        const d = diffLines(a, b);
        assert.deepEqual(side(d.ops, 'added'), a);
        assert.deepEqual(side(d.ops, 'removed'), b);
        // The LCS length by a plain recursion-free table, compared with the diff's "same" count.
        const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
        for (let i = a.length - 1; i >= 0; i--)
          for (let j = b.length - 1; j >= 0; j--)
            t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
        assert.equal(d.ops.filter((o) => o.op === 'same').length, t[0][0]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('withContext', () => {
  test('keeps changes with two cues around them, folds longer unchanged runs', () => {
    const ops: DiffOp[] = 'abcdefghij'.split('').map((text) => ({ op: 'same', text }));
    ops[5] = { op: 'added', text: 'X' };
    assert.deepEqual(withContext(ops), [
      { skipped: 3 },
      { op: 'same', text: 'd' },
      { op: 'same', text: 'e' },
      { op: 'added', text: 'X' },
      { op: 'same', text: 'g' },
      { op: 'same', text: 'h' },
      { skipped: 2 },
    ]);
    assert.deepEqual(withContext(ops.filter((o) => o.op === 'same')), [{ skipped: 9 }]);
  });
});

describe('cueTexts', () => {
  test('plain text per cue: tags dropped, references decoded, lines joined, whitespace folded', () => {
    const r = parseSubtitle(
      'WEBVTT\n\n00:01.000 --> 00:02.000\n<v Kari>Hei  &amp; <i>hå</i></v>\nlinje to\n\n00:03.000 --> 00:04.000\n&lt;b&gt;\n',
    );
    assert.ok(r.ok);
    assert.deepEqual(cueTexts(r.parsed), ['Hei & hå / linje to', '<b>']);
  });
});

describe('addressKey', () => {
  test('IPv4 as it is, IPv6 by its /64, IPv4-mapped as IPv4; anything else null', () => {
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2::ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8::1'), '2001:db8::/64');
    assert.equal(addressKey('::1'), '::/64');
    assert.equal(addressKey('unix socket'), null);
    assert.equal(addressKey(''), null);
  });
});

describe('licences', () => {
  test('known ids have a name and a link; others only what is configured', () => {
    assert.deepEqual(licenceInfo('CC-BY-4.0'), {
      id: 'CC-BY-4.0',
      name: 'Creative Commons Attribution 4.0 (CC BY 4.0)',
      url: 'https://creativecommons.org/licenses/by/4.0/',
    });
    assert.deepEqual(licenceInfo('NRK-Community-1.0'), {
      id: 'NRK-Community-1.0',
      name: 'NRK-Community-1.0',
      url: null,
    });
    assert.equal(licenceInfo('NRK-Community-1.0', 'https://nrk.no/lisens').url, 'https://nrk.no/lisens');
    assert.equal(licenceShort('CC-BY-4.0'), 'CC BY 4.0');
    assert.equal(licenceShort('CC-BY-SA-4.0'), 'CC BY-SA 4.0');
    assert.equal(licenceShort('CC0-1.0'), 'CC0 1.0');
    assert.equal(licenceShort('MIT'), 'MIT');
  });
});
