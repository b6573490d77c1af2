// `node --import tsx --import ./load-log.mjs PROGRAM`: appends the URL of every module the program
// loads, one a line, to the file named by FJORD_LOAD_LOG. Used to prove what a command does not load.
//
// The same file is both the --import entry (main thread: registers the hooks) and the hooks module
// (Node runs hooks on their own thread, where isMainThread is false and initialize() is called).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

let logFile = '';

export function initialize(data) {
  logFile = data;
}

export async function load(url, context, nextLoad) {
  if (logFile) appendFileSync(logFile, `${url}\n`);
  return nextLoad(url, context);
}

if (isMainThread && process.env.FJORD_LOAD_LOG)
  register(import.meta.url, { data: process.env.FJORD_LOAD_LOG });
