/**
 * A publication to be killed: run by publish-crash.test.ts as a child process.
 *
 *   node --import tsx publish-crash-child.ts '{"dataDir":..., "file":..., "pauseAt":"hashed"}'
 *
 * It publishes `file` through the same signal handling as `fjord publish` (runWithSignals), prints
 * `hashing` once hashing has started and `paused <phase>` when it reaches `pauseAt`, where it waits
 * for ever: the test kills it there, before the catalog commit it can never reach.
 */
import { openCatalog } from '../../src/catalog/index.js';
import { runWithSignals } from '../../src/cli/publish.js';
import { Publication, type Phase } from '../../src/publish/pipeline.js';

const args = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string; file: string; pauseAt: Phase };
let saidHashing = false;
const job = new Publication({
  dataDir: args.dataDir,
  openCatalog: () => openCatalog({ dataDir: args.dataDir }),
  file: args.file,
  series: 'crash',
  newSeries: true,
  season: 1,
  episode: 1,
  title: 'Crash',
  subtitles: [],
  licence: 'all-rights-reserved',
  holders: [],
  cleared: true,
  mode: 'hybrid',
  link: false,
  trackers: [],
  webUrl: 'http://127.0.0.1:8080',
  actor: 'test',
  probe: false,
  onProgress: (done) => {
    if (done > 0 && !saidHashing) {
      saidHashing = true;
      process.stdout.write('hashing\n');
    }
  },
  onPhase: async (phase) => {
    if (phase !== args.pauseAt) return;
    process.stdout.write(`paused ${phase}\n`);
    setInterval(() => {}, 1000);
    await new Promise(() => {});
  },
});
await runWithSignals(job, { out: process.stdout, err: process.stderr });
process.stdout.write('committed\n');
