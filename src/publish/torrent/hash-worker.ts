/**
 * Worker thread entry: gets a call's jobs and a shared counter from the main thread, takes the next
 * job with Atomics.add until none is left, hashes each with one reused Hasher, and posts
 *   { type: 'progress', bytes }                        file bytes read since the last report
 *   { type: 'done', id, results: UnitResult[], bytes } results transferred, not copied, and the bytes
 *                                                      read since the last report
 *   { type: 'error', id, message }                     when a file cannot be read
 * Progress goes out at most every PROGRESS_MS: each message wakes the main thread, which on a machine
 * whose cores are all hashing takes time from a worker.
 */
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { Hasher, type Batch, type Job, type UnitResult } from './hasher.js';

const PROGRESS_MS = 100;
const port = parentPort;
if (!port) throw new Error('hash-worker must run in a worker thread');
const hasher = new Hasher();
let pending = 0;
let lastReport = performance.now();
const progress = (bytes: number): void => {
  pending += bytes;
  const now = performance.now();
  if (now - lastReport >= PROGRESS_MS) {
    port.postMessage({ type: 'progress', bytes: pending });
    pending = 0;
    lastReport = now;
  }
};

function hash(job: Job): void {
  const results: UnitResult[] = job.units.map((u) => hasher.run(u, progress));
  const transfer: ArrayBuffer[] = [];
  for (const r of results) {
    if (r.sha1) transfer.push(r.sha1.buffer as ArrayBuffer);
    if (r.v2) transfer.push(r.v2.buffer as ArrayBuffer);
  }
  port!.postMessage({ type: 'done', id: job.id, results, bytes: pending }, transfer);
  pending = 0;
}

port.on('message', (batch: Batch) => {
  const next = new Int32Array(batch.next);
  for (let i = Atomics.add(next, 0, 1); i < batch.jobs.length; i = Atomics.add(next, 0, 1)) {
    const job = batch.jobs[i];
    try {
      hash(job);
    } catch (err) {
      pending = 0;
      port.postMessage({
        type: 'error',
        id: job.id,
        message: err instanceof Error ? err.message : String(err),
      });
      return;
    }
  }
});
