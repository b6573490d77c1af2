/**
 * Runs hashing jobs on worker threads, one per core by default.
 *
 * Each worker reads its own file ranges, so file data never crosses threads: only the jobs (paths and
 * offsets) go out and only the hashes come back (transferred). Every thread gets the whole job list
 * and a shared counter, and takes the next job with Atomics.add when it is free: no thread waits for
 * another to hand it work (a busy calling thread answers messages only between its own jobs), and a
 * slow thread (one the machine's other work takes a core from) leaves no queued job behind for the
 * others to wait on. Each worker owns one read buffer, so memory stays fixed whatever the file sizes.
 *
 * Starting a worker costs about 20 ms of CPU (a V8 isolate plus the modules), 10% of hashing 1 GiB on
 * two cores, so workers outlive a call: idle ones wait, unref'd (they never keep the process alive),
 * for the next call in the same process (the publish pipeline, `fjord serve`), and end after
 * IDLE_MS without work.
 *
 * The worker module sits next to this one. Compiled (dist/) it is hash-worker.js and runs as is; run
 * from source under tsx it is hash-worker.ts, and the worker needs tsx loaded first.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Hasher, type Batch, type Job, type UnitResult } from './hasher.js';

type WorkerMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; id: number; results: UnitResult[]; bytes: number }
  | { type: 'error'; id: number; message: string };

const IDLE_MS = 10_000;
const idle: Worker[] = [];
let idleTimer: NodeJS.Timeout | undefined;

function startWorker(): Worker {
  const fromTs = import.meta.url.endsWith('.ts');
  if (!fromTs) return new Worker(new URL('./hash-worker.js', import.meta.url));
  // Under tsx, `--import tsx` in a worker's execArgv registers its hooks too late for the worker's own
  // entry module (Node 20), so a small bootstrap registers tsx first and then imports the entry.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./hash-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true });
}

function acquire(n: number): Worker[] {
  const got = idle.splice(0, n);
  while (got.length < n) got.push(startWorker());
  for (const w of got) {
    w.removeAllListeners();
    w.ref();
  }
  return got;
}

function release(workers: Worker[]): void {
  for (const w of workers) {
    w.removeAllListeners();
    if (idle.length < availableParallelism()) {
      w.unref();
      // An idle worker that dies leaves the pool; its error must not become an uncaught exception.
      w.on('error', () => {});
      w.on('exit', () => {
        const i = idle.indexOf(w);
        if (i >= 0) idle.splice(i, 1);
      });
      idle.push(w);
    } else void w.terminate();
  }
  clearTimeout(idleTimer);
  idleTimer = setTimeout(closeIdleWorkers, IDLE_MS).unref();
}

/** Ends the idle workers now (tests, and a process that wants its threads back). */
export async function closeIdleWorkers(): Promise<void> {
  clearTimeout(idleTimer);
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}

/** Hashes the jobs on the calling thread. For small inputs, where starting workers costs more. */
export function runInline(jobs: Job[], onBytes: (n: number) => void): UnitResult[][] {
  const hasher = new Hasher();
  return jobs.map((j) => j.units.map((u) => hasher.run(u, onBytes)));
}

/**
 * Hashes the jobs on `threads` threads: worker threads, and with `callingThread` this thread as one
 * of them. Starting a worker takes tens of milliseconds (more on a busy machine); the calling thread
 * starts on the first job at once, while the workers start, and takes jobs as they come like any
 * worker. It yields to the event loop between jobs (workers' results and progress are handled then,
 * each job being tens of milliseconds of hashing), but it does keep the thread busy: only for a
 * process with nothing else to do (`fjord torrent create`), never a server's event loop.
 */
export function runOnWorkers(
  jobs: Job[],
  threads: number,
  onBytes: (n: number) => void,
  callingThread = false,
): Promise<UnitResult[][]> {
  const results: UnitResult[][] = new Array(jobs.length);
  if (jobs.length === 0) return Promise.resolve(results);
  const wanted = Math.min(threads, jobs.length) - (callingThread ? 1 : 0);
  const workers = acquire(callingThread ? Math.max(0, wanted) : Math.max(1, wanted));
  return new Promise((resolvePromise, reject) => {
    let finished = 0;
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      // Workers may still be busy with this call's jobs: end them rather than reuse them.
      for (const w of workers) w.removeAllListeners();
      void Promise.all(workers.map((w) => w.terminate())).finally(() => reject(err));
    };
    const finish = (id: number, r: UnitResult[]): void => {
      results[id] = r;
      finished++;
      if (finished === jobs.length) {
        release(workers);
        resolvePromise(results);
      }
    };
    // The next job to take, shared by every thread of this call.
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const batch: Batch = { jobs, next: counter.buffer as SharedArrayBuffer };
    for (const w of workers) {
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') onBytes(m.bytes);
        else if (m.type === 'error') fail(new Error(m.message));
        else {
          if (m.bytes > 0) onBytes(m.bytes);
          finish(m.id, m.results);
        }
      });
      w.on('error', (err) => fail(err));
      w.on('exit', (code) => fail(new Error(`a hashing worker exited early (code ${code})`)));
      w.postMessage(batch);
    }
    if (callingThread) void hashHere();

    async function hashHere(): Promise<void> {
      const hasher = new Hasher();
      for (
        let id = Atomics.add(counter, 0, 1);
        id < jobs.length && !failed;
        id = Atomics.add(counter, 0, 1)
      ) {
        let r: UnitResult[];
        try {
          r = jobs[id].units.map((u) => hasher.run(u, onBytes));
        } catch (err) {
          return fail(err instanceof Error ? err : new Error(String(err)));
        }
        finish(id, r);
        await new Promise((resolveTurn) => setImmediate(resolveTurn));
      }
    }
  });
}
