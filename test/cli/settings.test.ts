/**
 * One settings loader for every command (issue 12): a bad setting in DATA/fjord.json or the
 * --config file is refused by every command with the one-line message `fjord serve` gives, and
 * a good one reaches every command the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFjord } from '../helpers/cli.js';
import { tempDir } from '../helpers/tracker.js';

const COMMANDS: string[][] = [
  ['serve', '--print-config'],
  ['user', 'list'],
  ['series', 'list'],
  ['episode', 'list'],
  ['torrent', 'reissue', '--dry-run'],
];

test('every command refuses a bad DATA/fjord.json setting with the message serve gives', () => {
  const data = tempDir('fjord-settings-');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'fjord.json'), JSON.stringify({ interval: 5 }));
  const want = /interval must be a whole number from 10 to 86400 \(got 5\)/;
  for (const cmd of COMMANDS) {
    const r = runFjord([...cmd, '--data', data]);
    assert.notEqual(r.status, 0, `${cmd.join(' ')} accepted interval 5: ${r.stdout}`);
    assert.match(r.stderr, want, cmd.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `${cmd.join(' ')}: ${r.stderr}`);
  }
});

test('a bad --config file is refused the same way by every command, before any work', () => {
  const work = tempDir('fjord-settings-');
  const data = join(work, 'data');
  const file = join(work, 'fjord.json');
  writeFileSync(file, JSON.stringify({ publicWebUrl: 'ftp://example.org/' }));
  for (const cmd of COMMANDS) {
    const r = runFjord([...cmd, '--data', data, '--config', file]);
    assert.notEqual(r.status, 0, cmd.join(' '));
    assert.match(
      r.stderr,
      /web URL "ftp:\/\/example.org\/" must start with http:\/\/ or https:\/\//,
      cmd.join(' '),
    );
  }
});
