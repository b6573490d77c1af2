import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { NODE_FLAGS } from '../../bin/node-flags.js';

const root = new URL('../../', import.meta.url);

test('bin/fjord.js and npm start run node with the flags bin/node-flags.js names', () => {
  const first = readFileSync(new URL('bin/fjord.js', root), 'utf8').split('\n')[0];
  assert.equal(first, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
    scripts: { start: string };
  };
  assert.equal(pkg.scripts.start, `node ${NODE_FLAGS.join(' ')} bin/fjord.js serve`);
});

test('the flags take effect: the young generation stays small', () => {
  // V8 reports the semi-space as new_space's size; with --max-semi-space-size=1 it stays at 1 MiB.
  const code =
    "const v8=require('v8');const a=[];for(let i=0;i<2e6;i++)a.push({i});" +
    "const s=v8.getHeapSpaceStatistics().find(x=>x.space_name==='new_space');console.log(s.space_size)";
  const small = spawnSync(process.execPath, [...NODE_FLAGS, '-e', code], { encoding: 'utf8' });
  const dflt = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  assert.ok(Number(small.stdout) <= 2 * 1024 * 1024, `new space with flags: ${small.stdout}`);
  assert.ok(Number(dflt.stdout) > Number(small.stdout), `default is larger: ${dflt.stdout}`);
});
