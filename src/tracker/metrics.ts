/**
 * Prometheus exposition (/metrics) with prom-client. The hot path only bumps the plain counters in
 * request-counters.ts; the metrics below read them when Prometheus scrapes, so nothing is counted twice.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { PeerStore } from '../swarm/peer-store.js';
import {
  ACTIONS,
  ERROR_KINDS,
  LATENCY_BUCKETS,
  PROTOCOLS,
  RESULTS,
  type Counters,
} from './request-counters.js';

export function createMetrics(
  store: PeerStore,
  c: Counters,
  wsPeers: () => { seeders: number; leechers: number },
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fjord_process_' });

  new Counter({
    name: 'fjord_requests_total',
    help: 'Tracker requests by protocol, action and result.',
    labelNames: ['protocol', 'action', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      PROTOCOLS.forEach((p, pi) =>
        ACTIONS.forEach((a, ai) =>
          RESULTS.forEach((r, ri) => {
            const v = c.requestCount(pi, ai, ri);
            if (v > 0) this.inc({ protocol: p, action: a, result: r }, v);
          }),
        ),
      );
    },
  });
  new Counter({
    name: 'fjord_request_errors_total',
    help: 'Refused or dropped tracker requests by protocol and kind.',
    labelNames: ['protocol', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      PROTOCOLS.forEach((p, pi) =>
        ERROR_KINDS.forEach((k, ki) => {
          const v = c.errorCount(pi, ki);
          if (v > 0) this.inc({ protocol: p, kind: k }, v);
        }),
      );
    },
  });
  new Counter({
    name: 'fjord_announces_total',
    help: 'Successful announces by protocol and address family.',
    labelNames: ['protocol', 'family'],
    registers: [registry],
    collect() {
      this.reset();
      PROTOCOLS.forEach((p, pi) =>
        ['ipv4', 'ipv6'].forEach((f, fi) => {
          const v = c.announces[pi * 2 + fi];
          if (v > 0) this.inc({ protocol: p, family: f }, v);
        }),
      );
    },
  });
  new Gauge({
    name: 'fjord_swarms',
    help: 'Torrents the tracker holds state for.',
    registers: [registry],
    collect() {
      this.set(store.totals().torrents);
    },
  });
  new Gauge({
    name: 'fjord_peers',
    help: 'Peers by role and protocol (ws peers are browsers, kept apart from UDP/HTTP peers).',
    labelNames: ['role', 'protocol'],
    registers: [registry],
    collect() {
      const ws = wsPeers();
      const t = store.totals();
      this.set({ role: 'seeder', protocol: 'bittorrent' }, t.seeders);
      this.set({ role: 'leecher', protocol: 'bittorrent' }, t.leechers);
      this.set({ role: 'seeder', protocol: 'ws' }, ws.seeders);
      this.set({ role: 'leecher', protocol: 'ws' }, ws.leechers);
    },
  });
  new Gauge({
    name: 'fjord_ws_connections',
    help: 'Open WebSocket tracker connections (browsers).',
    registers: [registry],
    collect() {
      this.set(c.wsOpen);
    },
  });
  new Counter({
    name: 'fjord_ws_relays_total',
    help: 'WebRTC signalling relayed between browsers by the WebSocket tracker, and what was dropped.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ kind: 'offer' }, c.wsOffersRelayed);
      this.inc({ kind: 'answer' }, c.wsAnswersRelayed);
      this.inc({ kind: 'answer_unmatched' }, c.wsAnswersDropped);
      this.inc({ kind: 'dropped_slow_reader' }, c.wsRelaysDropped);
      this.inc({ kind: 'offer_rate_limited' }, c.wsOffersRateLimited);
    },
  });
  new Counter({
    name: 'fjord_connections_refused_total',
    help: 'Web and admin connections closed at once: over webMaxConnectionsPerAddress or adminMaxConnectionsPerAddress.',
    labelNames: ['listener'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ listener: 'web' }, c.webConnectionsRefused);
      this.inc({ listener: 'admin' }, c.adminConnectionsRefused);
    },
  });
  new Counter({
    name: 'fjord_completions_total',
    help: 'Completed downloads announced since the process started.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(store.totals().completedSinceStart);
    },
  });
  new Counter({
    name: 'fjord_address_limit_refusals_total',
    help: 'Announces over a per-address limit (peersPerAddress: peer not stored; completionsPerAddress: completion not counted).',
    labelNames: ['limit'],
    registers: [registry],
    collect() {
      this.reset();
      const l = store.limitCounts();
      this.inc({ limit: 'peers' }, l.peersRefused);
      this.inc({ limit: 'completions' }, l.completionsIgnored);
    },
  });
  // The shared swarm store's health (src/swarm/redis-store.ts); a memory store is always up.
  new Gauge({
    name: 'fjord_store_up',
    help: 'Whether the swarm store is reachable (1) or the node answers from its local view only (0).',
    registers: [registry],
    collect() {
      this.set(store.status === undefined || store.status().up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'fjord_store_buffered_bytes',
    help: 'Changes waiting to be sent to the shared swarm store, bytes.',
    registers: [registry],
    collect() {
      this.set(store.status?.().buffered ?? 0);
    },
  });
  new Counter({
    name: 'fjord_store_dropped_total',
    help: 'Changes not sent to the shared swarm store: dropped (buffer full while it was away) or rejected (malformed data read back).',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      const st = store.status?.();
      this.inc({ kind: 'buffer_full' }, st?.dropped ?? 0);
      this.inc({ kind: 'rejected' }, st?.rejected ?? 0);
    },
  });
  new Gauge({
    name: 'fjord_store_nodes',
    help: 'Other tracker nodes heard from on the shared swarm store, by node id: seconds since last heard.',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const n of store.status?.().nodes ?? []) this.set({ node: n.id }, (now - n.seen) / 1000);
    },
  });
  // The latency histogram is kept by the hot path as plain bucket counts (request-counters.ts); a
  // prom-client Histogram would cost a label lookup per observation. This metric object hands
  // those counts to the registry in the histogram exposition shape when Prometheus scrapes.
  const name = 'fjord_request_duration_seconds';
  const histogram = {
    name,
    help: 'Time to handle a tracker request, from a 1-in-16 sample.',
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    async get() {
      let cumulative = 0;
      const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> =
        [];
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        cumulative += c.latency[i];
        values.push({ labels: { le: LATENCY_BUCKETS[i] }, value: cumulative, metricName: `${name}_bucket` });
      }
      cumulative += c.latency[LATENCY_BUCKETS.length];
      values.push({ labels: { le: '+Inf' }, value: cumulative, metricName: `${name}_bucket` });
      values.push({ labels: {}, value: c.latencySum, metricName: `${name}_sum` });
      values.push({ labels: {}, value: c.latencyCount, metricName: `${name}_count` });
      return { name, help: histogram.help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
  return registry;
}
