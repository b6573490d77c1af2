// The V8 flags fjord runs with; bin/fjord.js's first line, `npm start` and the benchmarks use them.
//
// --max-semi-space-size=1 (MiB): V8 grows its young generation to tens of MiB under an allocation-
// heavy load and keeps it. For a tracker that is pure overhead: its per-request garbage is small
// and short-lived, so a 1 MiB semi-space costs a few more (cheap) scavenges and saves 30 to 40 MiB
// of resident memory, about 16 bytes a peer at 2 million peers (docs/benchmarks.md, memory).
export const NODE_FLAGS = ['--max-semi-space-size=1'];
