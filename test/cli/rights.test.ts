/**
 * `fjord party`, `fjord contract` and `fjord cues` (issue 14), run in-process as main.ts runs them:
 * what they print, and bad input (an unknown party, a window ending before it starts, overlapping
 * or contradictory contracts, malformed CSV rows, a CSV in the wrong encoding) refused with one line
 * naming the row or field, the catalogue unchanged.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { openCatalog } from '../../src/catalog/index.js';
import { registerPublish } from '../../src/cli/commands/publish.js';
import { registerRights } from '../../src/cli/commands/rights.js';
import { tempDir } from '../helpers/tracker.js';
import { randomFile } from '../publish/publish-helpers.js';

const DATA = tempDir('fjord-rights-cli-');
const VIDEO = join(DATA, '..', `rights-cli-${process.pid}.mkv`);

async function fjord(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = new Command();
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  const io = {
    out: { write: (s: string) => ((stdout += s), true) },
    err: { write: (s: string) => ((stderr += s), true), isTTY: false },
  };
  registerPublish(program, io);
  registerRights(program, io);
  try {
    await program.parseAsync(['node', 'fjord', ...args, '--data', DATA]);
    return { status: 0, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { status: err.exitCode, stdout, stderr };
    stderr += `fjord: ${err instanceof Error ? err.message : String(err)}\n`;
    return { status: 1, stdout, stderr };
  }
}

async function ok(...args: string[]): Promise<string> {
  const r = await fjord(...args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Refused with exactly one line matching `pattern`. */
async function refused(pattern: RegExp, ...args: string[]): Promise<void> {
  const r = await fjord(...args);
  assert.equal(r.status, 1, `expected a refusal: ${r.stdout}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], pattern);
}

/** Everything a refusal must leave alone. */
async function register() {
  const c = await openCatalog({ dataDir: DATA });
  try {
    return {
      parties: await c.contracts.listParties(),
      contracts: await c.contracts.listContracts(),
      cues: await c.contracts.listCues(1),
      version: await c.catalogVersion(),
    };
  } finally {
    await c.close();
  }
}

before(async () => {
  randomFile(VIDEO, 50_000);
  await ok(
    'publish',
    '--no-probe',
    VIDEO,
    '--series',
    'Fjordliv',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'Vinter',
    '--cleared',
    '-q',
  );
});

test('parties and contracts: add, list, show; times in the configured zone', async () => {
  assert.match(
    await ok('party', 'add', 'Label X', '--kind', 'music', '--reporting-address', 'royalty@labelx.no'),
    /added party Label X \(label\/publisher\)/,
  );
  await ok('party', 'add', 'Fjordkoret', '--kind', 'performers');
  const list = await ok('party', 'list');
  assert.match(list, /^Broadcaster {2}broadcaster {2}0 contracts$/m);
  assert.match(list, /^Label X {2}label\/publisher {2}0 contracts {2}reports to royalty@labelx.no$/m);

  const added = await ok(
    'contract',
    'add',
    '--party',
    'Fjordkoret',
    '--covers',
    'fjordliv',
    '--status',
    'signed',
    '--from',
    '2020-01-01',
    '--until',
    '2099-01-31T11:00:00Z',
    '--compensation',
    'per-play',
    '--amount',
    '0.125',
    '--currency',
    'NOK',
    '--reference',
    'Avtale 17',
  );
  // 11:00 UTC is 12:00 in Oslo (the default timeZone).
  assert.match(
    added,
    /contract 1 {2}Fjordkoret \(performers\) {2}signed {2}2020-01-01 01:00 to 2099-01-31 12:00 {2}covers fjordliv {2}NOK 0.125 per browser play {2}ref. Avtale 17/,
  );
  assert.match(
    added,
    /fjordliv s01e01 "Vinter": distributing; ends 2099-01-31 12:00 when the performers' contract ends \(Fjordkoret, contract 1\)/,
  );
  assert.match(await ok('contract', 'show', '1'), /^contract 1 {2}Fjordkoret/);
  assert.match(await ok('contract', 'show', '--party', 'label x'), /no contracts/);
  const calendar = await ok('contract', 'calendar', '--days', '3660');
  assert.equal(calendar, 'no contract starts or ends in the next 3660 days\n');
});

test('publishing into a work a party has not signed for says it is not distributed', async () => {
  await ok(
    ...['contract', 'add', '--party', 'Label X', '--covers', 'fjordliv/s01e02', '--from', '2020-01-01'],
  );
  const out = await ok(
    ...['publish', '--no-probe', VIDEO, '--series', 'fjordliv', '--season', '1', '--episode', '2'],
    ...['--title', 'Vår', '--cleared', '-q'],
  );
  assert.match(out, /status: +NOT distributed: a party's contract or a music cue keeps it off/);
  assert.match(
    await ok('contract', 'why', '--series', 'fjordliv'),
    /fjordliv s01e02 "Vår": blocked; blocked by: Label X \(label\/publisher\): contract 2 is still being negotiated/,
  );
});

test('bad contract input: one line naming the field, nothing changed', async () => {
  const before = await register();
  const base = ['contract', 'add', '--covers', 'fjordliv', '--from', '2030-01-01', '--status', 'signed'];
  await refused(
    /^fjord: unknown party "Fjordkor" \(did you mean "Fjordkoret"\?\); fjord party list shows them$/,
    ...base,
    '--party',
    'Fjordkor',
  );
  await refused(
    /window ends \(2029-01-01T00:00:00.000Z\) before it starts \(2030-01-01T00:00:00.000Z\)/,
    ...base,
    '--party',
    'Label X',
    '--until',
    '2029-01-01',
  );
  await refused(
    /^fjord: overlaps contract 1 of Fjordkoret \(signed, .*\) on fjordliv/,
    ...base,
    '--party',
    'Fjordkoret',
  );
  await refused(
    /^fjord: contradicts contract 1 of Fjordkoret/,
    'contract',
    'add',
    '--covers',
    'fjordliv/s01',
    '--from',
    '2030-01-01',
    '--status',
    'refused',
    '--party',
    'Fjordkoret',
  );
  await refused(
    /--status "sigend" is not one of .* \(did you mean "signed"\?\)/,
    'contract',
    'add',
    '--covers',
    'fjordliv',
    '--from',
    '2030-01-01',
    '--status',
    'sigend',
    '--party',
    'Label X',
  );
  await refused(
    /--covers "fjordliv\/s01e01\/cue9": .*|has no music cue 9/,
    ...base,
    '--party',
    'Label X',
    '--covers',
    'fjordliv/s01e01/cue9',
  );
  await refused(
    /unknown series "fjordlif"/,
    'contract',
    'add',
    '--covers',
    'fjordlif',
    '--from',
    '2030-01-01',
    '--party',
    'Label X',
  );
  await refused(
    /--compensation per-download needs --amount/,
    ...base,
    '--party',
    'Label X',
    '--compensation',
    'per-download',
  );
  await refused(
    /--amount "0,0000001" is not an amount/,
    ...base,
    '--party',
    'Label X',
    '--compensation',
    'flat-fee',
    '--amount',
    '0,0000001',
  );
  await refused(/^fjord: contract 1 cannot end .*: it starts/, 'contract', 'end', '1', '--at', '2019-01-01');
  await refused(/^fjord: no contract 42/, 'contract', 'end', '42');
  await refused(/--kind "band" is not one of/, 'party', 'add', 'Band', '--kind', 'band');
  await refused(/a party named "Label X" already exists/, 'party', 'add', 'label x', '--kind', 'music');
  assert.deepEqual(await register(), before);
});

test('cues import: the CSV shape; malformed rows refused with their line; wrong encoding refused; nothing changed', async () => {
  const file = (name: string, body: string | Buffer) => {
    const p = join(DATA, '..', `${process.pid}-${name}`);
    writeFileSync(p, body);
    return p;
  };
  const good = file(
    'good.csv',
    '\ufeffCue;Title;Composer;Performer;Label;Duration;Usage;ISRC\r\n' +
      '1;Opning;A. Aasen;Fjordkoret;;0:30;theme;NOX1\r\n' +
      '2;"Bølgja; ""live""";B. Berg;;Label X;1:02:03;background;\r\n' +
      '3;Fjordsang;C. Dahl;;Label X;95;featured;\r\n',
  );
  const out = await ok('cues', 'import', 'fjordliv/s01e01', good);
  assert.match(out, /imported 3 music cues for fjordliv-s01e01/);
  assert.match(
    out,
    /blocked by: music cue 1 'Opning': no contract; music cue 2 'Bølgja; "live"' \(label Label X\): no contract; music cue 3 'Fjordsang' \(label Label X\): no contract/,
  );
  const shown = await ok('cues', 'show', 'fjordliv/s01e01');
  assert.match(
    shown,
    /^2 {2}'Bølgja; "live"' {2}62:03 {2}background {2}composer B. Berg {2}label Label X {2}covered by contract$/m,
  );

  const before = await register();
  assert.equal(before.cues.length, 3);
  const cases: Array<[string, string | Buffer, RegExp]> = [
    [
      'fields.csv',
      'Cue,Title,Duration,Use\n1,A,0:30,theme\n2,B,0:30\n',
      /^fjord: \S+fields.csv line 3: 3 fields, the header has 4$/,
    ],
    [
      'duration.csv',
      'Cue,Title,Duration,Use\n1,A,0:30,theme\n\n2,B,1:7x,theme\n',
      /line 4, column duration: "1:7x" is not m:ss, h:mm:ss or whole seconds$/,
    ],
    ['title.csv', 'Cue,Title,Duration,Use\n1,,0:30,theme\n', /line 2, column title: empty$/],
    [
      'twice.csv',
      'Cue,Title,Duration,Use\n1,A,0:30,theme\n1,B,0:30,theme\n',
      /line 3, column number: cue 1 is already on line 2$/,
    ],
    ['header.csv', 'Cue,Name,Duration,Use\n1,A,0:30,theme\n', /line 1: no "title" column/],
    ['quote.csv', 'Cue,Title,Duration,Use\n1,"A,0:30,theme\n', /line 2: a quoted field is never closed/],
    [
      'party.csv',
      'Cue,Title,Duration,Use,Party\n1,A,0:30,theme,Labl X\n',
      /party.csv line 2: unknown party "Labl X" \(did you mean "Label X"\?\)/,
    ],
    [
      'latin1.csv',
      Buffer.concat([
        Buffer.from('Cue,Title,Duration,Use\n1,A,0:30,theme\n2,B'),
        Buffer.from([0xf8]),
        Buffer.from('lgja,0:30,theme\n'),
      ]),
      /latin1.csv line 3: not UTF-8 \(Latin-1 or Windows-1252\?\); save the file as UTF-8$/,
    ],
    [
      'utf16.csv',
      Buffer.from('\ufeffCue,Title,Duration,Use\n', 'utf16le'),
      /utf16.csv is UTF-16: save it as UTF-8$/,
    ],
    ['empty.csv', 'Cue,Title,Duration,Use\n', /has a header but no cues/],
  ];
  for (const [name, body, pattern] of cases)
    await refused(pattern, 'cues', 'import', 'fjordliv/s01e01', file(name, body));
  await refused(/episode "fjordliv-1" is not SERIES\/s01e02/, 'cues', 'import', 'fjordliv-1', good);
  assert.deepEqual(await register(), before, 'nothing changed');
});
