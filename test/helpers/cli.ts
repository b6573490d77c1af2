/** Runs the fjord command from source as a child process, as a user would run it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const NODE_ARGS = ['--import', 'tsx', MAIN];

export function runFjord(
  args: string[],
  opts: { timeout?: number; input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Served {
  child: ChildProcess;
  ports: Record<string, number>;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `fjord serve ARGS` and waits for its `listening` lines. `opts.env`: variables added to the
 * child's environment; `opts.prefix`: a command that runs node (e.g. ['prlimit', '--nofile=256:256']).
 */
export function serveFjord(
  args: string[],
  expect: string[] = ['udp', 'http'],
  opts: { env?: Record<string, string>; prefix?: string[] } = {},
): Promise<Served> {
  const [cmd, ...pre] = [...(opts.prefix ?? []), process.execPath];
  const child = spawn(cmd, [...pre, ...NODE_ARGS, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fjord serve did not start: ${err}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fjord serve exited with ${code}: ${err}`));
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const ports: Record<string, number> = {};
      for (const m of out.matchAll(/^listening (\w+) (\S+):(\d+)$/gm)) ports[m[1]] ??= Number(m[3]);
      if (expect.every((p) => p in ports)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({
          child,
          ports,
          stderr: () => err,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              if (child.exitCode !== null) return res(child.exitCode);
              child.once('exit', (code) => res(code));
              child.kill(signal);
            }),
        });
      }
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it returns true or `ms` passes. */
export async function until(
  fn: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
