/**
 * /stats?mode=... in the formats of opentracker's most used modes, so MRTG and Munin scripts
 * written for opentracker keep working, plus format=json for everything at once.
 *
 *   peer       peers \n seeders \n "fjord serving N torrents" \n "fjord"
 *   torr       torrents \n 0 \n "fjord serving N torrents" \n "fjord"
 *   conn       connections \n successful requests \n uptime line \n summary
 *   udp4/tcp4  the same, for UDP or HTTP only
 *   scrp       HTTP scrapes \n UDP scrapes \n uptime line \n summary
 *   completed  completions since start \n 0 \n uptime line \n summary
 *   top100     the 100 torrents with most peers, then with most seeders (walks the swarms: off the hot path)
 *   everything an XML document with all of the above, as opentracker's
 */
import { hashHex } from '../swarm/info-hash-table.js';
import type { PeerStore } from '../swarm/peer-store.js';
import {
  A_ANNOUNCE,
  A_CONNECT,
  A_SCRAPE,
  ERROR_KINDS,
  P_HTTP,
  P_UDP,
  P_WS,
  R_OK,
  type Counters,
} from './request-counters.js';

export interface StatsResponse {
  status: number;
  type: string;
  body: string;
}

const MODES = ['peer', 'torr', 'conn', 'udp4', 'tcp4', 'scrp', 'completed', 'top100', 'everything', 'json'];

/** Browser (WebSocket) peers, which live apart from the swarm store. */
export interface WsPeerCounts {
  seeders: number;
  leechers: number;
}

export function statsSnapshot(store: PeerStore, c: Counters, ws: WsPeerCounts = { seeders: 0, leechers: 0 }) {
  const uptime = Math.floor((Date.now() - c.startedAt) / 1000);
  const totals = store.totals();
  const ok = (p: number, a: number) => c.requestCount(p, a, R_OK);
  const errors: Record<string, { udp: number; http: number; ws: number }> = {};
  ERROR_KINDS.forEach(
    (k, i) =>
      (errors[k] = { udp: c.errorCount(P_UDP, i), http: c.errorCount(P_HTTP, i), ws: c.errorCount(P_WS, i) }),
  );
  return {
    uptime,
    torrents: totals.torrents,
    peers: totals.seeders + totals.leechers,
    seeders: totals.seeders,
    leechers: totals.leechers,
    completedSinceStart: totals.completedSinceStart,
    udp: {
      packets: c.udpPackets,
      connects: ok(P_UDP, A_CONNECT),
      announces: ok(P_UDP, A_ANNOUNCE),
      scrapes: ok(P_UDP, A_SCRAPE),
      announcesIPv4: c.announces[P_UDP * 2],
      announcesIPv6: c.announces[P_UDP * 2 + 1],
    },
    http: {
      connections: c.httpConnections,
      announces: ok(P_HTTP, A_ANNOUNCE),
      scrapes: ok(P_HTTP, A_SCRAPE),
      fullScrapes: c.fullScrapes,
      announcesIPv4: c.announces[P_HTTP * 2],
      announcesIPv6: c.announces[P_HTTP * 2 + 1],
    },
    // Browser peers are not in `peers`/`seeders`/`leechers` above (those are BitTorrent peers).
    ws: {
      peers: ws.seeders + ws.leechers,
      seeders: ws.seeders,
      leechers: ws.leechers,
      connections: c.wsConnections,
      open: c.wsOpen,
      messages: c.wsMessages,
      announces: ok(P_WS, A_ANNOUNCE),
      scrapes: ok(P_WS, A_SCRAPE),
      announcesIPv4: c.announces[P_WS * 2],
      announcesIPv6: c.announces[P_WS * 2 + 1],
      offersRelayed: c.wsOffersRelayed,
      answersRelayed: c.wsAnswersRelayed,
      answersDropped: c.wsAnswersDropped,
      relaysDropped: c.wsRelaysDropped,
      slowClosed: c.wsSlowClosed,
      offersRateLimited: c.wsOffersRateLimited,
    },
    errors,
  };
}

function top(store: PeerStore, n: number, by: 'peers' | 'seeders'): Array<[number, string]> {
  const best: Array<[number, string]> = [];
  store.forEach((key, off, swarm) => {
    const v = by === 'peers' ? swarm.seeders + swarm.leechers : swarm.seeders;
    if (v === 0 || (best.length === n && v <= best[n - 1][0])) return;
    best.push([v, hashHex(key, off)]);
    best.sort((a, b) => b[0] - a[0]);
    if (best.length > n) best.pop();
  });
  return best;
}

export function statsPage(
  store: PeerStore,
  c: Counters,
  query: URLSearchParams,
  ws?: WsPeerCounts,
): StatsResponse {
  const mode = query.get('mode') ?? (query.get('format') === 'json' ? 'json' : 'everything');
  if (!MODES.includes(mode))
    return {
      status: 400,
      type: 'text/plain; charset=utf-8',
      body: `unknown mode "${mode}"; modes: ${MODES.join(', ')}\n`,
    };
  const s = statsSnapshot(store, c, ws);
  const up = `${s.uptime} seconds (${Math.floor(s.uptime / 3600)} hours)`;
  const per = (n: number) => Math.floor(n / Math.max(1, s.uptime));
  const text = (body: string): StatsResponse => ({ status: 200, type: 'text/plain; charset=utf-8', body });
  const conns = s.udp.packets + s.http.connections;
  const success = s.udp.announces + s.http.announces + s.udp.connects;
  switch (mode) {
    case 'peer':
      return text(`${s.peers}\n${s.seeders}\nfjord serving ${s.torrents} torrents\nfjord`);
    case 'torr':
      return text(`${s.torrents}\n0\nfjord serving ${s.torrents} torrents\nfjord`);
    case 'conn':
      return text(
        `${conns}\n${success}\n${up}\nfjord connections, ${per(conns)} conns/s :: ${per(success)} success/s.`,
      );
    case 'udp4':
      return text(
        `${s.udp.packets}\n${s.udp.announces + s.udp.connects}\n${up}\nfjord udp4 stats, ${per(s.udp.packets)} conns/s :: ${per(s.udp.announces + s.udp.connects)} success/s.`,
      );
    case 'tcp4':
      return text(
        `${s.http.connections}\n${s.http.announces}\n${up}\nfjord tcp4 stats, ${per(s.http.connections)} conns/s :: ${per(s.http.announces)} success/s.`,
      );
    case 'scrp':
      return text(
        `${s.http.scrapes}\n${s.udp.scrapes}\n${up}\nfjord scrape stats, ${per(s.http.scrapes + s.udp.scrapes)} scrape/s (tcp and udp)`,
      );
    case 'completed':
      return text(
        `${s.completedSinceStart}\n0\n${up}\nfjord, ${Math.floor(s.completedSinceStart / Math.max(1, s.uptime / 3600))} completed/h.`,
      );
    case 'top100': {
      const n = Math.min(100, Math.max(1, Number(query.get('limit') ?? 100) || 100));
      const lines = [`Top ${n} torrents by peers:`];
      for (const [v, h] of top(store, n, 'peers')) lines.push(`\t${v}\t${h.toUpperCase()}`);
      lines.push(`Top ${n} torrents by seeds:`);
      for (const [v, h] of top(store, n, 'seeders')) lines.push(`\t${v}\t${h.toUpperCase()}`);
      return text(lines.join('\n') + '\n');
    }
    case 'json': {
      // The swarm store's health: a shared store's nodes seen and last sync (memory: always up).
      const st = store.status?.() ?? { kind: 'memory', up: true };
      return { status: 200, type: 'application/json', body: JSON.stringify({ ...s, store: st }) };
    }
    default: {
      const x = [
        '<?xml version="1.0" encoding="UTF-8" ?>',
        '<stats>',
        '  <tracker_id>fjord</tracker_id>',
        `  <uptime>${s.uptime}</uptime>`,
        `  <torrents><count_mutex>${s.torrents}</count_mutex><count_iterator>${s.torrents}</count_iterator></torrents>`,
        `  <peers><count>${s.peers}</count></peers>`,
        `  <seeds><count>${s.seeders}</count></seeds>`,
        `  <completed><count>${s.completedSinceStart}</count></completed>`,
        '  <connections>',
        `    <tcp><accept>${s.http.connections}</accept><announce>${s.http.announces}</announce><scrape>${s.http.scrapes}</scrape></tcp>`,
        `    <udp><overall>${s.udp.packets}</overall><connect>${s.udp.connects}</connect><announce>${s.udp.announces}</announce><scrape>${s.udp.scrapes}</scrape></udp>`,
        `    <livesync><count>0</count></livesync>`,
        '  </connections>',
        '  <debug>',
        ...ERROR_KINDS.map(
          (k) => `    <${k}><udp>${s.errors[k].udp}</udp><http>${s.errors[k].http}</http></${k}>`,
        ),
        '  </debug>',
        '</stats>',
      ];
      return { status: 200, type: 'text/xml; charset=utf-8', body: x.join('\n') + '\n' };
    }
  }
}
