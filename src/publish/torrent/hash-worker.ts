/**
 * Worker thread entry: takes jobs from the main thread, hashes them with one reused Hasher, and posts
 *   { type: 'progress', bytes }                 after every read (file bytes consumed)
 *   { type: 'done', id, results: UnitResult[] } with the result buffers transferred, not copied
 *   { type: 'error', id, message }              when a file cannot be read
 */
import { parentPort } from 'node:worker_threads';
import { Hasher, type Job, type UnitResult } from './hasher.js';

const port = parentPort;
if (!port) throw new Error('hash-worker must run in a worker thread');
const hasher = new Hasher();
const progress = (bytes: number): void => port.postMessage({ type: 'progress', bytes });

port.on('message', (job: Job) => {
  try {
    const results: UnitResult[] = job.units.map((u) => hasher.run(u, progress));
    const transfer: ArrayBuffer[] = [];
    for (const r of results) {
      if (r.sha1) transfer.push(r.sha1.buffer as ArrayBuffer);
      if (r.v2) transfer.push(r.v2.buffer as ArrayBuffer);
    }
    port.postMessage({ type: 'done', id: job.id, results }, transfer);
  } catch (err) {
    port.postMessage({
      type: 'error',
      id: job.id,
      message: err instanceof Error ? err.message : String(err),
    });
  }
});
