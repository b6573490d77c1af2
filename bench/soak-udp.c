/* soak-udp: open-loop (paced) BEP 15 announce sender for bench/soak.js.
 *
 *   soak-udp PORT RATE SECONDS SOURCES TORRENTS JUNK_PER_MILLE
 *
 * Sends RATE datagrams/s for SECONDS from SOURCES loopback addresses (127.1.0.1 ...), each with 8
 * peer ports, announcing to udp-load's deterministic torrents (the whitelist). JUNK_PER_MILLE of
 * them are malformed (short, bad protocol id, bad connection id, unknown action); their replies are
 * expected errors. Every other reply must parse and must not be an error: anything else is "wrong".
 * Refreshes the connection ids every 30 s. Every 10 s prints
 *   soak-udp: t=T sent S replies R wrong W junk J p50 X p99 Y p999 Z
 * (latencies in ms over that window) and at the end the same line with t=total for the whole run.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { RING = 1 << 20, BUCKETS = 20000, K_ANN = 1, K_CONN = 2, K_JUNK = 3 };
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void put32(uint8_t *p, uint32_t v) { v = htonl(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v >> 32); put32(p + 4, (uint32_t)v); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return ntohl(v); }
static uint64_t rng = 7;
static uint64_t mix(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL; return z ^ (z >> 31);
}
/* the same hashes as udp-load --print-hashes */
static void info_hash(uint32_t i, uint8_t out[20]) {
  uint64_t s = 0x5eed000000000000ULL + i;
  for (int k = 0; k < 20; k += 8) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL; z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL; z ^= z >> 31;
    memcpy(out + k, &z, k + 8 <= 20 ? 8 : 20 - k);
  }
}

static double sent_at[RING]; static uint32_t ring_txn[RING]; static uint8_t ring_kind[RING];
static uint64_t lat_w[BUCKETS], lat_all[BUCKETS];

static void pct(const uint64_t *h, double out[3]) {
  uint64_t n = 0; for (int b = 0; b < BUCKETS; b++) n += h[b];
  double q[3] = {0.5, 0.99, 0.999};
  for (int i = 0; i < 3; i++) {
    uint64_t need = (uint64_t)(q[i] * (double)n), seen = 0; out[i] = 0;
    for (int b = 0; b < BUCKETS; b++) { seen += h[b]; if (seen > need) { out[i] = (b + 1) / 100.0; break; } }
  }
}

int main(int argc, char **argv) {
  if (argc != 7) { fprintf(stderr, "usage: soak-udp PORT RATE SECONDS SOURCES TORRENTS JUNK_PER_MILLE\n"); return 2; }
  int port = atoi(argv[1]), nsrc = atoi(argv[4]), junk = atoi(argv[6]);
  double rate = atof(argv[2]), dur = atof(argv[3]); uint32_t ntor = (uint32_t)atoi(argv[5]);
  if (port <= 0 || rate <= 0 || dur <= 0 || nsrc < 1 || nsrc > 250 || ntor < 1) { fprintf(stderr, "soak-udp: bad arguments\n"); return 2; }
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  int *fds = calloc(nsrc, sizeof *fds), big = 4 << 20; uint64_t *cid = calloc(nsrc, sizeof *cid);
  struct pollfd *pfs = calloc(nsrc, sizeof *pfs);
  for (int i = 0; i < nsrc; i++) {
    fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof big); setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f010000u + 1 + (uint32_t)i)};
    if (bind(fds[i], (struct sockaddr *)&from, sizeof from) || connect(fds[i], (struct sockaddr *)&to, sizeof to)) { perror("soak-udp"); return 2; }
    pfs[i].fd = fds[i]; pfs[i].events = POLLIN;
  }
  uint32_t txn = 1; uint8_t pkt[128], buf[2048];
  uint64_t sent = 0, sent_w = 0, rep_w = 0, wrong_w = 0, junk_w = 0, rep = 0, wrong = 0, junkr = 0, valid = 0;
  double start = now(), end = start + dur, next_print = start + 10, next_conn = start;
  for (;;) {
    double t = now();
    if (t >= next_conn) { /* (re)connect every source */
      for (int i = 0; i < nsrc; i++) {
        uint32_t x = txn++; put64(pkt, 0x41727101980ULL); put32(pkt + 8, 0); put32(pkt + 12, x);
        sent_at[x & (RING - 1)] = t; ring_txn[x & (RING - 1)] = x; ring_kind[x & (RING - 1)] = K_CONN;
        send(fds[i], pkt, 16, 0);
      }
      next_conn = t + 30;
    }
    uint64_t due = (uint64_t)((t - start) * rate);
    int burst = 0;
    while (sent < due && burst++ < 512 && t < end) {
      int s = (int)(sent % (uint64_t)nsrc); size_t len; uint8_t kind = K_ANN;
      if (!cid[s]) { sent++; continue; } /* not connected yet: skip this slot */
      uint32_t x = txn++;
      memcpy(pkt, &cid[s], 8); put32(pkt + 8, 1); put32(pkt + 12, x);
      uint32_t pi = (uint32_t)(mix() % 8), peer = (uint32_t)s * 8 + pi;
      info_hash((uint32_t)(mix() % ntor), pkt + 16);
      memset(pkt + 36, 0, 20); memcpy(pkt + 36, "-SK0001-", 8); put32(pkt + 44, peer);
      put64(pkt + 56, 0); put64(pkt + 64, (peer % 3) ? 1000000 : 0); put64(pkt + 72, 0);
      put32(pkt + 80, 0); put32(pkt + 84, 0); put32(pkt + 88, peer); put32(pkt + 92, 50);
      pkt[96] = (uint8_t)((1024 + pi) >> 8); pkt[97] = (uint8_t)(1024 + pi); len = 98;
      if (junk > 0 && (int)(mix() % 1000) < junk) {
        kind = K_JUNK;
        switch (mix() % 4) {
          case 0: len = 1 + mix() % 15; break;                     /* too short */
          case 1: put64(pkt, 0x1234567890ULL); put32(pkt + 8, 0); len = 16; break; /* bad protocol id */
          case 2: put64(pkt, mix()); break;                          /* bad connection id */
          default: put32(pkt + 8, 7 + (uint32_t)(mix() % 100)); break; /* unknown action */
        }
      } else valid++;
      sent_at[x & (RING - 1)] = t; ring_txn[x & (RING - 1)] = x; ring_kind[x & (RING - 1)] = kind;
      send(fds[s], pkt, len, 0); sent++; sent_w++;
    }
    poll(pfs, nsrc, 1);
    t = now();
    for (int i = 0; i < nsrc; i++) {
      if (!(pfs[i].revents & POLLIN)) continue;
      ssize_t n;
      while ((n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        if (n < 8) { wrong++; wrong_w++; continue; }
        uint32_t action = get32(buf), x = get32(buf + 4), r = x & (RING - 1);
        if (ring_txn[r] != x || !ring_kind[r]) { wrong++; wrong_w++; continue; } /* not a txn we sent */
        uint8_t kind = ring_kind[r]; ring_kind[r] = 0;
        if (kind == K_JUNK) { junkr++; junk_w++; continue; }
        if (kind == K_CONN) { if (action == 0 && n >= 16) memcpy(&cid[i], buf + 8, 8); else { wrong++; wrong_w++; } continue; }
        long b = (long)((t - sent_at[r]) * 1e5); b = b < 0 ? 0 : b >= BUCKETS ? BUCKETS - 1 : b;
        lat_w[b]++; lat_all[b]++; rep++; rep_w++;
        if (action != 1 || n < 20 || (n - 20) % 6 != 0) {
          wrong++; wrong_w++;
          if (action == 3 && wrong <= 5) fprintf(stderr, "soak-udp: error reply: %.*s\n", (int)(n - 8), buf + 8);
        }
      }
    }
    if (t >= next_print || t >= end + 1) {
      double p[3]; pct(lat_w, p);
      printf("soak-udp: t=%.0f sent %llu replies %llu wrong %llu junk %llu p50 %.2f p99 %.2f p999 %.2f\n", t - start,
             (unsigned long long)sent_w, (unsigned long long)rep_w, (unsigned long long)wrong_w, (unsigned long long)junk_w, p[0], p[1], p[2]);
      fflush(stdout);
      memset(lat_w, 0, sizeof lat_w); sent_w = rep_w = wrong_w = junk_w = 0; next_print += 10;
      if (t >= end + 1) break; /* one second after the last send for late replies */
    }
  }
  double p[3]; pct(lat_all, p);
  printf("soak-udp: t=total sent %llu replies %llu wrong %llu junk %llu p50 %.2f p99 %.2f p999 %.2f valid %llu\n",
         (unsigned long long)sent, (unsigned long long)rep, (unsigned long long)wrong, (unsigned long long)junkr, p[0], p[1], p[2],
         (unsigned long long)valid);
  return 0;
}
