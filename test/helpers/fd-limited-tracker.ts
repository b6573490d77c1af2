/**
 * A tracker for http-native.test.ts, run in a child process under a low descriptor limit
 * (`prlimit --nofile=64:64`): HTTP only on a free loopback port; it prints "port N" and its log.
 * A JSON object as its argument overrides settings (e.g. {"descriptorReserve": 0}).
 */
import { defaults, type Config } from '../../src/config.js';
import { Tracker } from '../../src/tracker/tracker.js';
import { tempDir } from './tracker.js';

const config: Config = {
  ...defaults,
  mode: 'open',
  http: [{ host: '127.0.0.1', port: 0 }],
  udp: [],
  admin: null,
  httpIdleTimeout: 2,
  dataDir: tempDir(),
  ...(JSON.parse(process.argv[2] ?? '{}') as Partial<Config>),
};
const tracker = new Tracker(config, (m) => process.stdout.write(`${m}\n`));
const listening = await tracker.start();
process.stdout.write(`port ${listening[0].endpoint.port}\n`);
process.on('SIGTERM', () => void tracker.stop().then(() => process.exit(0)));
