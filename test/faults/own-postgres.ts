/**
 * A PostgreSQL server of the test's own (initdb into a temporary folder, pg_ctl on a free port,
 * trust authentication on loopback), so that a test can stop and restart it without touching the
 * machine's shared server. initdb refuses to run as root, so as root it runs as the `postgres`
 * user (runuser); as any other user, as that user.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'].find(
  (d) => existsSync(join(d, 'initdb')),
);

export interface OwnPostgres {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** Why an own server cannot run here, or null when it can. */
export function ownPostgresMissing(): string | null {
  if (!BIN) return 'PostgreSQL server binaries (/usr/lib/postgresql/N/bin/initdb)';
  if (process.getuid?.() === 0) {
    const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) return 'a postgres user to run initdb as (running as root)';
  }
  return null;
}

export function startOwnPostgres(port: number): OwnPostgres {
  if (!BIN) throw new Error('no PostgreSQL binaries');
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'fjord-own-pg-'));
  const pgdata = join(dir, 'data');
  if (root) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const as = (cmd: string, args: string[]) => {
    const full = root
      ? ['runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]]
      : [join(BIN, cmd), args];
    const r = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  as('initdb', ['-D', pgdata, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const log = join(dir, 'server.log');
  const start = () => as('pg_ctl', ['-D', pgdata, '-l', log, '-o', opts, '-w', '-t', '60', 'start']);
  const stop = () => as('pg_ctl', ['-D', pgdata, '-m', 'fast', '-w', '-t', '60', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    destroy() {
      try {
        stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
