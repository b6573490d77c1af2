/**
 * The README's settings tables for `fjord serve` (those headed "setting (flag / config key)") list
 * only flags that `fjord serve` accepts (issue 17: it listed `--tracker` and `--web-url`, which
 * serve refuses), and the README sets the public addresses before it explains publishing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runFjord } from '../helpers/cli.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test("every flag in the README's serve settings tables is one serve accepts", () => {
  const help = runFjord(['serve', '--help']);
  assert.equal(help.status, 0, help.stderr);
  const accepted = new Set(help.stdout.match(/--[a-z][a-z0-9-]*/g) ?? []);
  const listed = new Set<string>();
  for (const table of README.split(/\n(?=\| setting \(flag \/ config key\))/).slice(1)) {
    for (const row of table.split('\n')) {
      if (!row.startsWith('|')) break;
      const first = row.split('|')[1] ?? '';
      for (const flag of first.match(/--[a-z][a-z0-9-]*/g) ?? []) listed.add(flag);
    }
  }
  assert.ok(listed.size > 10, `found the tables (${listed.size} flags)`);
  const unknown = [...listed].filter((f) => !accepted.has(f));
  assert.deepEqual(unknown, [], 'flags the README lists for serve but serve does not accept');
});

test('the README sets the public addresses before publishing', () => {
  const addresses = README.indexOf('publicTrackerUrls');
  const publishing = README.indexOf('\n## Publishing');
  assert.ok(addresses > 0 && publishing > 0);
  assert.ok(addresses < publishing, 'publicTrackerUrls is explained before "## Publishing"');
  assert.ok(README.indexOf('fjord torrent reissue') < publishing, 'and how to fix torrents made before');
});
