/**
 * `fjord serve`: options and help. The work is in ../serve.ts, loaded when it runs.
 */
import { Option, type Command } from 'commander';
import type { ServeOptions } from '../serve.js';
import { collect } from './options.js';

const int = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new Error(`--${name} takes a whole number (got "${v}")`);
  return Number(v);
};

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the tracker (UDP and HTTP; closed to listed torrents unless --open)')
    .option('--config <file>', 'read settings from a JSON file (keys as printed by --print-config)')
    .option('--http <host:port>', 'HTTP tracker listener; repeat for more (default 127.0.0.1:6969)', collect)
    .option(
      '--udp <host:port>',
      'UDP tracker listener, e.g. [::1]:6969; repeat for more (default 127.0.0.1:6969)',
      collect,
    )
    .option(
      '--ws <host:port>',
      'WebSocket tracker for WebTorrent browsers (ws://HOST:PORT/announce; may equal an --http one); repeat',
      collect,
    )
    .option(
      '--web <host:port>',
      'web server (pages, feeds, player, web seed under /media/); repeat for more (default none)',
      collect,
    )
    .option('--catalog <url>', 'postgres://... catalog (default: SQLite in the data directory)')
    .option(
      '--admin <host:port|off>',
      'admin API listener (default 127.0.0.1:6970; token in DATA/admin-token)',
    )
    .option('--data <dir>', 'data directory for state (default ./data)')
    .option('--whitelist <file>', 'serve only the torrents listed in FILE (hex info hashes, one a line)')
    .option('--blacklist <file>', 'serve every torrent except those listed in FILE')
    .option('--open', 'serve any torrent (no list)')
    .option('--interval <seconds>', 'announce interval (default 1800)', int('interval'))
    .option(
      '--min-interval <seconds>',
      'minimum announce interval (default 900, or interval / 2)',
      int('min-interval'),
    )
    .option(
      '--peer-timeout <seconds>',
      'forget peers silent this long (default interval x 1.5)',
      int('peer-timeout'),
    )
    .option('--numwant <n>', 'peers returned when the client does not say (default 50)', int('numwant'))
    .option('--numwant-max <n>', 'most peers returned in a reply (default 200)', int('numwant-max'))
    .option(
      '--peers-per-address <n>',
      'peers one IPv4 address or IPv6 /64 may have in a swarm (default 8)',
      int('peers-per-address'),
    )
    .option(
      '--completions-per-address <n>',
      'completions counted per torrent per IPv4 address or IPv6 /64 in 12-24 h (default 8)',
      int('completions-per-address'),
    )
    .option(
      '--swarm-store <memory|url>',
      'where swarms live: memory (default), or redis://[user:pass@]HOST:PORT[/DB], rediss://..., redis+cluster://HOST:PORT[,...] shared by several nodes',
    )
    .option('--node-id <name>', "this node's name on a shared swarm store (default: host name and pid)")
    .option('--swarm-store-key-prefix <prefix>', "prefix of the swarm store's Redis keys (default fjord:)")
    .option('--full-scrape', 'allow /scrape without info_hash (off by default; rate-limited per address)')
    .option('--trusted-proxy <cidr>', 'believe X-Forwarded-For from this network; repeat for more', collect)
    .option(
      '--stats-network <cidr>',
      'networks allowed to read /stats and /metrics (default loopback); repeat',
      collect,
    )
    .addOption(new Option('--print-config', 'print the effective configuration as JSON and exit'))
    .action(async (o: ServeOptions) => (await import('../serve.js')).serve(o));
}
