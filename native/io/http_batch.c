/*
 * http_batch.c: the HTTP tracker's connections without a net.Socket each (Linux, Node-API).
 *
 * Why this exists
 * ---------------
 * Real BitTorrent clients open a new TCP connection for every HTTP announce. On node:net each
 * one costs a net.Socket (a Duplex stream with its readable and writable state), a libuv handle,
 * a getpeername system call, a write request, a shutdown request and the garbage collection of
 * all of that: about 50 µs of CPU per connection on the benchmark machine before the tracker
 * does anything, more than all of opentracker's 32 µs per request (docs/benchmarks.md). This file
 * keeps the connections in C: accept4(2) gives the peer's address with the connection, the
 * request is usually already there and is read at once, the complete request heads of many
 * connections go to JavaScript in ONE call, and each reply is written with one send(2) followed
 * by close(2), the reply and the FIN in one segment. The listening socket defers accepting until
 * a connection's request has arrived (TCP_DEFER_ACCEPT). JavaScript parses the request and writes the reply exactly as on node:net (the
 * same code, src/tracker/http-server.ts); src/tracker/native-io.ts loads the addon and fjord falls
 * back to node:net when it is missing (not built, another OS, or FJORD_HTTP_NATIVE=0).
 *
 * A request JavaScript cannot answer inside the batch (a WebSocket upgrade on a shared port,
 * /stats and /metrics, a full scrape, a reply larger than an output slot) is handed over:
 * detach(handle, slot) takes the connection out of this file and returns its descriptor, and
 * JavaScript wraps it in a net.Socket (new net.Socket({ fd })) and goes on there with the head it
 * already has. Those are rare; the announce and scrape path never leaves C and the batch.
 *
 * Threading model
 * ---------------
 * As in udp_batch.c: none of our own. The connections are in an epoll set of our own; that epoll
 * descriptor is watched by one uv_poll_t on Node's loop, so the work runs on the main thread in
 * the poll callback and JavaScript and this file never run at the same time (no locks).
 *
 * Connections
 * -----------
 * A table indexed by file descriptor (descriptors are small integers the kernel reuses; an entry
 * is cleared when its descriptor is closed or handed to JavaScript). A connection is in one state:
 *   READING   its request head is incomplete; the bytes so far are in `buf` (grown as needed up to
 *             the input slot's size); watched for EPOLLIN.
 *   QUEUED    its head is complete and in an input slot of the current batch.
 *   WRITING   the kernel did not take the whole reply; the rest is in `buf`; watched for EPOLLOUT.
 *   DRAINING  the reply is sent but the client had sent more than the head (a body, a second
 *             request, or a head too large to be read): the write side is shut down and what arrives is read and dropped until the
 *             client closes, so that close(2) does not reset the connection (RST) before the client
 *             has read the reply.
 * A connection in any of these states for `idle` seconds is closed by sweep(), which JavaScript
 * calls once a second (as its node:net path does; no timer per connection).
 *
 * Shared buffers (allocated by JavaScript, passed to open(); N = H_SLOTS = 64)
 * ---------------------------------------------------------------------------
 *   input     N x inSlot bytes: the request head (and whatever followed it in the same reads) of
 *             the batch's connection i at i * inSlot. inSlot is the largest head accepted plus 4.
 *   meta      N x H_META (48) bytes, int32 in the machine's byte order:
 *               +0  end of the head: offset of its "\r\n\r\n", or -1 when inSlot bytes came
 *                   without one (too large: JavaScript answers 431), or -2 when a line of it
 *                   ended in a bare LF before its end came (JavaScript answers 400)
 *               +4  the client's address family, 4 or 6
 *               +8  the client's port
 *               +12 reply length: 0 here; JavaScript writes the length of the reply it put in
 *                   output slot i (0: close without a reply)
 *               +16 the client's address, network byte order (4 or 16 bytes)
 *               +32 the connection's descriptor
 *               +36 bytes in input slot i
 *               +40 1 once JavaScript has detached the connection (set by detach())
 *   output    N x outSlot bytes: reply i at i * outSlot.
 *   counters  a Float64Array of H_COUNT numbers this file keeps up (enum hcounter).
 *
 * Flow of one poll callback
 * -------------------------
 *   epoll_wait (no waiting) -> connections that became readable read, complete heads join the
 *   batch; the listening socket: accept4 up to ACCEPT_MAX connections, each read at once (on
 *   loopback and on real networks the request usually arrives with the handshake's last ACK), the
 *   complete ones join the batch, the others wait in READING -> when the batch is full or the
 *   events are done: onBatch(count) in JavaScript, then each reply is sent and its connection
 *   closed. Up to MAX_ROUNDS rounds, so timers and the UDP tracker are served under a flood.
 *
 * Errors of one connection (reset, refused write) close it and are counted, never fatal. When
 * accept4 fails for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) the listening
 * socket leaves the epoll set until the next sweep(), instead of waking the loop in a busy circle;
 * the connections wait in the kernel's backlog meanwhile.
 *
 * Limits (set by JavaScript with limits(), src/tracker/http-server.ts): a connection from an
 * address that has max_per_addr open already is closed as soon as it is accepted (an exact count
 * per address, trusted proxies' networks exempt); and when more than max_open would be open (the
 * listener's share of the process's descriptors less a reserve, src/tracker/descriptors.ts), the
 * connection that has waited longest for its client (the head of the waiting list: READING,
 * WRITING, DRAINING) is closed to make room, so a flood of slow clients cannot take the
 * descriptors the web and admin listeners need.
 */
#define _GNU_SOURCE
#include "common.h"

#include <uv.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define H_SLOTS 64
#define H_META 48
#define MAX_EVENTS 128
#define MAX_ROUNDS 4
#define ACCEPT_MAX 256
#define FIRST_BUF 1024
#define BARE_LF (-2) /* meta +0 for a head with a bare LF line end (see bare_lf) */
#define MAX_EXEMPT 32 /* networks whose connections are not counted per address (trusted proxies) */

enum hcounter {
  H_BATCHES,       /* calls into JavaScript */
  H_ACCEPTED,      /* connections accepted */
  H_REQUESTS,      /* request heads handed to JavaScript (complete or too large) */
  H_OPEN,          /* connections open in this file now */
  H_ACCEPT_ERRORS, /* accept4 failures other than EAGAIN / a connection aborted before accept */
  H_ACCEPT_PAUSES, /* times accepting paused for lack of descriptors or memory */
  H_WRITE_ERRORS,  /* replies the kernel refused (the connection was closed) */
  H_WRITE_BLOCKED, /* replies the kernel did not take at once (the rest sent when writable) */
  H_READ_ERRORS,   /* reads that failed (reset by the client, ...) */
  H_CLOSED_EARLY,  /* connections the client closed before a whole request head came */
  H_TIMED_OUT,     /* connections closed by sweep() */
  H_DETACHED,      /* connections handed to JavaScript */
  H_LAST_ERRNO,    /* errno of the last counted error */
  H_POLLS,         /* poll callbacks */
  H_REFUSED,       /* connections closed at once: their address had maxPerAddress open already */
  H_SHED,          /* connections closed to stay within maxOpen (the longest waiting first) */
  H_COUNT
};

enum state { FREE = 0, READING, QUEUED, WRITING, DRAINING };

typedef struct conn {
  uint8_t state;
  uint8_t family;   /* 4 or 6 */
  uint8_t in_epoll; /* added to the epoll set */
  uint8_t extra;    /* the client sent bytes after the head */
  uint16_t port;
  uint32_t since; /* seconds on the loop's clock when accepted */
  uint8_t addr[16];
  uint8_t counted; /* counted in the per-address table */
  uint8_t *buf;    /* READING: the head so far; WRITING: the reply */
  uint32_t len, cap, off;
  int prev, next; /* in the waiting list (READING, WRITING, DRAINING), oldest first; -1: none */
} conn;

/* The per-address table: open connections by client address (IPv4 as v4-mapped IPv6). */
typedef struct addr_slot {
  uint8_t addr[16];
  uint32_t count; /* 0: the slot is empty */
} addr_slot;

typedef struct server {
  io_handle h; /* first: common.c's lifecycle (poll, callback, closing) */
  uv_loop_t *loop;
  int epfd, lfd;
  int accept_paused;
  uint8_t *input, *meta, *output;
  size_t in_slot, out_slot;
  double *counters;
  conn *conns; /* indexed by descriptor */
  int ncap;
  int batch_fd[H_SLOTS];
  int batch_n;
  /* Limits set by limits(): connections open in this file at most, and per client address. */
  int max_open, max_per_addr;
  uint8_t exempt[MAX_EXEMPT][16];
  int exempt_bits[MAX_EXEMPT];
  int nexempt;
  addr_slot *addrs; /* open addressing, linear probing; a power of two in size */
  uint32_t addr_cap, addr_used;
  int wait_head, wait_tail; /* the waiting list's ends (descriptors), -1 when empty */
} server;

static void count_error(server *s, int which, int err) {
  s->counters[which] += 1;
  s->counters[H_LAST_ERRNO] = err;
}

static uint32_t now_seconds(server *s) {
  return (uint32_t)(uv_now(s->loop) / 1000);
}

/* The table entry of descriptor fd, growing the table when needed; NULL when out of memory. */
static conn *conn_get(server *s, int fd) {
  if (fd >= s->ncap) {
    int cap = s->ncap > 0 ? s->ncap : 1024;
    while (cap <= fd) cap *= 2;
    conn *grown = (conn *)realloc(s->conns, (size_t)cap * sizeof(conn));
    if (grown == NULL) return NULL;
    memset(grown + s->ncap, 0, (size_t)(cap - s->ncap) * sizeof(conn));
    s->conns = grown;
    s->ncap = cap;
  }
  return &s->conns[fd];
}

static void conn_free_buf(conn *c) {
  free(c->buf);
  c->buf = NULL;
  c->len = c->cap = c->off = 0;
}

/*
 * The waiting list: every connection this file holds for its client (a head still coming, a
 * reply not yet taken, a client not yet gone), in the order they began to wait. When the
 * listener is at max_open, the one at the head (it has waited longest) is closed to make room.
 */
static void wait_link(server *s, int fd, conn *c) {
  if (c->prev != -1 || s->wait_head == fd) return; /* already in */
  c->next = -1;
  c->prev = s->wait_tail;
  if (s->wait_tail >= 0) s->conns[s->wait_tail].next = fd;
  else s->wait_head = fd;
  s->wait_tail = fd;
}

static void wait_unlink(server *s, int fd, conn *c) {
  if (c->prev == -1 && s->wait_head != fd) return; /* not in */
  if (c->prev >= 0) s->conns[c->prev].next = c->next;
  else s->wait_head = c->next;
  if (c->next >= 0) s->conns[c->next].prev = c->prev;
  else s->wait_tail = c->prev;
  c->prev = c->next = -1;
}

/* The 16-byte key of a connection's address (IPv4 as ::ffff:a.b.c.d). */
static void addr_key(const conn *c, uint8_t key[16]) {
  if (c->family == 6) {
    memcpy(key, c->addr, 16);
    return;
  }
  memset(key, 0, 10);
  key[10] = key[11] = 0xff;
  memcpy(key + 12, c->addr, 4);
}

static int addr_exempt(const server *s, const uint8_t key[16]) {
  for (int i = 0; i < s->nexempt; i++) {
    int bits = s->exempt_bits[i], k = 0;
    for (; bits >= 8; k++, bits -= 8)
      if (key[k] != s->exempt[i][k]) break;
    if (bits >= 8) continue;
    if (bits == 0 || ((key[k] ^ s->exempt[i][k]) & (0xff << (8 - bits)) & 0xff) == 0) return 1;
  }
  return 0;
}

static uint32_t addr_hash(const uint8_t key[16]) {
  uint32_t h = 2166136261u; /* FNV-1a: the table only spreads addresses, it defends nothing */
  for (int i = 0; i < 16; i++) h = (h ^ key[i]) * 16777619u;
  return h ^ (h >> 15);
}

/* The slot holding key, or the empty slot where it would go. */
static addr_slot *addr_find(server *s, const uint8_t key[16]) {
  uint32_t mask = s->addr_cap - 1;
  for (uint32_t i = addr_hash(key) & mask;; i = (i + 1) & mask) {
    addr_slot *e = &s->addrs[i];
    if (e->count == 0 || memcmp(e->addr, key, 16) == 0) return e;
  }
}

/* Doubles the table (or makes the first); 0 when out of memory. */
static int addr_grow(server *s) {
  uint32_t cap = s->addr_cap ? s->addr_cap * 2 : 256;
  addr_slot *old = s->addrs;
  uint32_t old_cap = s->addr_cap;
  addr_slot *t = (addr_slot *)calloc(cap, sizeof(addr_slot));
  if (t == NULL) return 0;
  s->addrs = t;
  s->addr_cap = cap;
  for (uint32_t i = 0; i < old_cap; i++)
    if (old[i].count > 0) *addr_find(s, old[i].addr) = old[i];
  free(old);
  return 1;
}

/*
 * Counts a new connection for its address; 0 (nothing counted) when that address has
 * max_per_addr open already. Exempt networks are not counted; out of memory: not counted.
 */
static int addr_add(server *s, conn *c) {
  uint8_t key[16];
  addr_key(c, key);
  if (s->max_per_addr <= 0 || addr_exempt(s, key)) return 1;
  if ((s->addr_used + 1) * 2 > s->addr_cap && !addr_grow(s)) return 1;
  addr_slot *e = addr_find(s, key);
  if (e->count >= (uint32_t)s->max_per_addr) return 0;
  if (e->count == 0) {
    memcpy(e->addr, key, 16);
    s->addr_used++;
  }
  e->count++;
  c->counted = 1;
  return 1;
}

/* Uncounts a connection; an emptied slot is removed by shifting its cluster back (no tombstones). */
static void addr_remove(server *s, conn *c) {
  if (!c->counted) return;
  c->counted = 0;
  uint8_t key[16];
  addr_key(c, key);
  addr_slot *e = addr_find(s, key);
  if (e->count == 0 || --e->count > 0) return;
  s->addr_used--;
  uint32_t mask = s->addr_cap - 1;
  uint32_t hole = (uint32_t)(e - s->addrs);
  for (uint32_t i = (hole + 1) & mask; s->addrs[i].count > 0; i = (i + 1) & mask) {
    uint32_t home = addr_hash(s->addrs[i].addr) & mask;
    /* Move entry i into the hole unless its home lies cyclically in (hole, i]. */
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      s->addrs[hole] = s->addrs[i];
      s->addrs[i].count = 0;
      hole = i;
    }
  }
}

/* Closes the connection (close(2) also takes it out of the epoll set) and clears its entry. */
static void conn_close(server *s, int fd) {
  conn *c = &s->conns[fd];
  wait_unlink(s, fd, c);
  addr_remove(s, c);
  conn_free_buf(c);
  c->state = FREE;
  c->in_epoll = 0;
  close(fd);
  s->counters[H_OPEN] -= 1;
}

/*
 * Watches fd for `events` (EPOLLIN or EPOLLOUT); closes it if the kernel refuses. EPOLLRDHUP
 * (the client shut its side) only with EPOLLIN: it stays reported while it is true, and a
 * connection waiting to write must not be woken for it over and over.
 */
static int watch(server *s, int fd, conn *c, uint32_t events) {
  struct epoll_event ev;
  ev.events = events == EPOLLIN ? EPOLLIN | EPOLLRDHUP : events;
  ev.data.fd = fd;
  if (epoll_ctl(s->epfd, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) == 0) {
    c->in_epoll = 1;
    return 1;
  }
  count_error(s, H_READ_ERRORS, errno);
  conn_close(s, fd);
  return 0;
}

/* Offset of "\r\n\r\n" in p[0, len), searching from `from`; -1 if absent. */
static int32_t head_end(const uint8_t *p, uint32_t len, uint32_t from) {
  if (len < 4) return -1;
  const uint8_t *hit = (const uint8_t *)memmem(p + from, len - from, "\r\n\r\n", 4);
  return hit == NULL ? -1 : (int32_t)(hit - p);
}

/*
 * Whether p[from, len) holds a line feed not preceded by a carriage return. A head whose lines end
 * in bare LF never gets its "\r\n\r\n": it is handed to JavaScript at once (end = BARE_LF, which
 * answers 400) instead of waiting for the idle timeout.
 */
static int bare_lf(const uint8_t *p, uint32_t len, uint32_t from) {
  const uint8_t *q = p + from;
  const uint8_t *e = p + len;
  while ((q = (const uint8_t *)memchr(q, '\n', (size_t)(e - q))) != NULL) {
    if (q == p || q[-1] != '\r') return 1;
    q++;
  }
  return 0;
}

static void dispatch(server *s);

/* The input slot the next queued connection will use (after a dispatch if the batch is full). */
static uint8_t *next_slot(server *s) {
  if (s->batch_n == H_SLOTS) dispatch(s);
  return s->input + (size_t)s->batch_n * s->in_slot;
}

/* Adds fd to the batch; its head (len bytes) is already in the next input slot. */
static void enqueue(server *s, int fd, conn *c, uint32_t len, int32_t end) {
  int i = s->batch_n++;
  uint8_t *m = s->meta + (size_t)i * H_META;
  int32_t v[12] = {0};
  v[0] = end;
  v[1] = c->family;
  v[2] = c->port;
  v[8] = fd;
  v[9] = (int32_t)len;
  memcpy(m, v, sizeof v);
  memcpy(m + 16, c->addr, 16);
  /* More than the head came (a body, a second request, or a head too large to read whole): drain
     after the reply rather than reset the connection with unread bytes. */
  c->extra = end < 0 || len > (uint32_t)end + 4;
  c->state = QUEUED;
  wait_unlink(s, fd, c);
  s->batch_fd[i] = fd;
}

/* After the reply went out whole: close, or first drain what the client sent after the head. */
static void finish_reply(server *s, int fd, conn *c) {
  conn_free_buf(c);
  if (!c->extra) {
    conn_close(s, fd);
    return;
  }
  shutdown(fd, SHUT_WR);
  c->state = DRAINING;
  if (watch(s, fd, c, EPOLLIN)) wait_link(s, fd, c);
}

/*
 * Sends the reply p[0, len) of a QUEUED connection (none: len 0) and moves it on. MSG_MORE holds
 * the reply's last segment until the close (or shutdown) that follows at once, so the reply and
 * the FIN leave in one segment: 8 segments per connection instead of 10 on the benchmark's load,
 * less work for both ends (and for the client, which reads the reply and the end together).
 */
static void send_reply(server *s, int fd, conn *c, const uint8_t *p, int32_t len) {
  if (len <= 0) {
    conn_close(s, fd);
    return;
  }
  ssize_t n;
  do n = send(fd, p, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE);
  while (n < 0 && errno == EINTR);
  if (n == len) {
    finish_reply(s, fd, c);
    return;
  }
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    count_error(s, H_WRITE_ERRORS, errno);
    conn_close(s, fd);
    return;
  }
  /* The kernel took part of it (or none): keep the rest and wait until it can take more. */
  if (n < 0) n = 0;
  conn_free_buf(c);
  c->buf = (uint8_t *)malloc((size_t)(len - n));
  if (c->buf == NULL) {
    count_error(s, H_WRITE_ERRORS, ENOMEM);
    conn_close(s, fd);
    return;
  }
  memcpy(c->buf, p + n, (size_t)(len - n));
  c->len = (uint32_t)(len - n);
  c->off = 0;
  c->state = WRITING;
  s->counters[H_WRITE_BLOCKED] += 1;
  if (watch(s, fd, c, EPOLLOUT)) wait_link(s, fd, c);
}

/* Calls onBatch for the queued connections and sends their replies. */
static void dispatch(server *s) {
  int n = s->batch_n;
  if (n == 0) return;
  s->counters[H_BATCHES] += 1;
  s->counters[H_REQUESTS] += n;
  io_call(&s->h, n);
  s->batch_n = 0;
  if (s->h.env_gone) return; /* everything was closed by the cleanup hook */
  for (int i = 0; i < n; i++) {
    const uint8_t *m = s->meta + (size_t)i * H_META;
    int32_t len, detached;
    memcpy(&len, m + 12, 4);
    memcpy(&detached, m + 40, 4);
    if (detached) continue;
    int fd = s->batch_fd[i];
    if ((size_t)len > s->out_slot) len = (int32_t)s->out_slot;
    send_reply(s, fd, &s->conns[fd], s->output + (size_t)i * s->out_slot, len);
  }
}

/* A READING connection is readable: read what came; queue it when its head is complete. */
static void read_head(server *s, int fd, conn *c) {
  for (;;) {
    if (c->len == c->cap) {
      if (c->cap >= s->in_slot) break;
      uint32_t cap = c->cap == 0 ? FIRST_BUF : c->cap * 2;
      if (cap > s->in_slot) cap = (uint32_t)s->in_slot;
      uint8_t *grown = (uint8_t *)realloc(c->buf, cap);
      if (grown == NULL) {
        count_error(s, H_READ_ERRORS, ENOMEM);
        conn_close(s, fd);
        return;
      }
      c->buf = grown;
      c->cap = cap;
    }
    ssize_t n = read(fd, c->buf + c->len, c->cap - c->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      if (n < 0) count_error(s, H_READ_ERRORS, errno);
      else s->counters[H_CLOSED_EARLY] += 1;
      conn_close(s, fd);
      return;
    }
    uint32_t from = c->len > 3 ? c->len - 3 : 0;
    c->len += (uint32_t)n;
    int32_t end = head_end(c->buf, c->len, from);
    if (end < 0 && bare_lf(c->buf, c->len, from)) end = BARE_LF;
    if (end != -1 || c->len >= s->in_slot) {
      uint8_t *slot = next_slot(s);
      memcpy(slot, c->buf, c->len);
      uint32_t len = c->len;
      conn_free_buf(c);
      enqueue(s, fd, c, len, end);
      return;
    }
  }
}

/* A connection just accepted: read at once into the next input slot (no copy when complete). */
static void first_read(server *s, int fd, conn *c) {
  uint8_t *slot = next_slot(s);
  ssize_t n;
  do n = read(fd, slot, s->in_slot);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    c->state = READING;
    if (watch(s, fd, c, EPOLLIN)) wait_link(s, fd, c);
    return;
  }
  if (n <= 0) {
    if (n < 0) count_error(s, H_READ_ERRORS, errno);
    else s->counters[H_CLOSED_EARLY] += 1;
    conn_close(s, fd);
    return;
  }
  int32_t end = head_end(slot, (uint32_t)n, 0);
  if (end < 0 && bare_lf(slot, (uint32_t)n, 0)) end = BARE_LF;
  if (end != -1 || (size_t)n >= s->in_slot) {
    enqueue(s, fd, c, (uint32_t)n, end);
    return;
  }
  /* Part of a head: keep it and wait for the rest. */
  uint32_t cap = FIRST_BUF;
  while (cap < (uint32_t)n) cap *= 2;
  if (cap > s->in_slot) cap = (uint32_t)s->in_slot;
  c->buf = (uint8_t *)malloc(cap);
  if (c->buf == NULL) {
    count_error(s, H_READ_ERRORS, ENOMEM);
    conn_close(s, fd);
    return;
  }
  memcpy(c->buf, slot, (size_t)n);
  c->len = (uint32_t)n;
  c->cap = cap;
  c->state = READING;
  if (watch(s, fd, c, EPOLLIN)) wait_link(s, fd, c);
}

static void pause_accepting(server *s) {
  if (s->accept_paused) return;
  s->accept_paused = 1;
  s->counters[H_ACCEPT_PAUSES] += 1;
  epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
}

static void resume_accepting(server *s) {
  if (!s->accept_paused || s->lfd < 0) return;
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.fd = s->lfd;
  if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) == 0) s->accept_paused = 0;
}

/* Accepts waiting connections; returns 1 when it stopped at ACCEPT_MAX (more may wait). */
static int accept_some(server *s) {
  for (int k = 0; k < ACCEPT_MAX; k++) {
    if (s->h.closed) return 0; /* close() was called from a batch dispatched on the way */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) return 0;
      if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
      count_error(s, H_ACCEPT_ERRORS, e);
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) pause_accepting(s);
      return 0;
    }
    conn *c = conn_get(s, fd);
    if (c == NULL) {
      close(fd);
      count_error(s, H_ACCEPT_ERRORS, ENOMEM);
      return 0;
    }
    memset(c, 0, sizeof *c);
    if (ss.ss_family == AF_INET6) {
      const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
      c->family = 6;
      c->port = ntohs(a->sin6_port);
      memcpy(c->addr, &a->sin6_addr, 16);
    } else {
      const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
      c->family = 4;
      c->port = ntohs(a->sin_port);
      memcpy(c->addr, &a->sin_addr, 4);
    }
    c->since = now_seconds(s);
    c->prev = c->next = -1;
    s->counters[H_ACCEPTED] += 1;
    if (!addr_add(s, c)) {
      /* This address has max_per_addr connections open: refused at once (close(2) with the
         request unread resets the connection: the client learns at once, and no state is kept). */
      close(fd);
      s->counters[H_REFUSED] += 1;
      continue;
    }
    s->counters[H_OPEN] += 1;
    /* At max_open: the connection that has waited longest for its client goes (a slow client's,
       most likely; a real announce comes whole with its connection and is answered at once). */
    if (s->max_open > 0 && s->counters[H_OPEN] > s->max_open) {
      if (s->wait_head >= 0) conn_close(s, s->wait_head);
      else {
        conn_close(s, fd);
        s->counters[H_SHED] += 1;
        continue;
      }
      s->counters[H_SHED] += 1;
    }
    first_read(s, fd, c);
  }
  return 1;
}

/* A watched connection has an event. */
static void on_conn_event(server *s, int fd) {
  if (fd < 0 || fd >= s->ncap) return;
  conn *c = &s->conns[fd];
  switch (c->state) {
    case READING:
      read_head(s, fd, c);
      break;
    case WRITING: {
      ssize_t n;
      do n = send(fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE);
      while (n < 0 && errno == EINTR);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) {
        count_error(s, H_WRITE_ERRORS, errno);
        conn_close(s, fd);
        break;
      }
      c->off += (uint32_t)n;
      if (c->off == c->len) finish_reply(s, fd, c);
      break;
    }
    case DRAINING: {
      uint8_t sink[4096];
      for (;;) {
        ssize_t n = read(fd, sink, sizeof sink);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        conn_close(s, fd); /* the client closed (or reset): done */
        break;
      }
      break;
    }
    default:
      break; /* FREE or QUEUED: nothing of ours to do */
  }
}

/* common.c's close_fds: the listening socket, every connection of this file and the epoll set. */
static void close_server_fds(io_handle *h) {
  server *s = (server *)h;
  for (int fd = 0; fd < s->ncap; fd++)
    if (s->conns[fd].state != FREE) conn_close(s, fd);
  if (s->lfd >= 0) close(s->lfd);
  if (s->epfd >= 0) close(s->epfd);
  s->lfd = s->epfd = -1;
}

static void free_server(io_handle *h) {
  server *s = (server *)h;
  free(s->addrs);
  free(s->conns);
  free(s);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  server *s = (server *)h->data;
  (void)events;
  if (s->h.closed) return;
  s->counters[H_POLLS] += 1;
  if (status < 0) {
    count_error(s, H_READ_ERRORS, -status);
    return;
  }
  struct epoll_event ev[MAX_EVENTS];
  for (int round = 0; round < MAX_ROUNDS; round++) {
    int n;
    do n = epoll_wait(s->epfd, ev, MAX_EVENTS, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    int listening = 0;
    for (int i = 0; i < n; i++) {
      if (ev[i].data.fd == s->lfd) listening = 1;
      else on_conn_event(s, ev[i].data.fd);
      if (s->h.closed) break;
    }
    int more = !s->h.closed && listening && accept_some(s);
    if (!s->h.closed) dispatch(s);
    if (s->h.close_deferred) {
      s->h.close_deferred = 0;
      io_finish_close(&s->h);
      return;
    }
    if (s->h.closed) return;
    if (n < MAX_EVENTS && !more) break;
  }
}

/* ---------------------------------------------------------------------------------------- */
/* JavaScript API                                                                            */

/*
 * open(host, port, backlog, onBatch, input, meta, output, inSlot, outSlot, counters) -> handle.
 * host is an IPv4 or IPv6 literal (an IPv6 socket is IPv6 only, as fjord's node:net listeners
 * are). Throws an Error with code, errno and syscall (like Node's) if it cannot listen.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 10) return throw_type(env, "open: 10 arguments expected");
  int32_t backlog, in_slot, out_slot;
  if (napi_get_value_int32(env, argv[2], &backlog) != napi_ok || backlog < 1) backlog = 511;
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  if (t != napi_function) return throw_type(env, "open: onBatch must be a function");
  if (napi_get_value_int32(env, argv[7], &in_slot) != napi_ok || in_slot < 64 ||
      napi_get_value_int32(env, argv[8], &out_slot) != napi_ok || out_slot < 64)
    return throw_type(env, "open: bad inSlot or outSlot");
  uint8_t *input, *meta, *output, *counters;
  size_t in_len, meta_len, out_len, counters_len;
  if (!buffer_arg(env, argv[4], &input, &in_len) || in_len < (size_t)H_SLOTS * (size_t)in_slot ||
      !buffer_arg(env, argv[5], &meta, &meta_len) || meta_len < (size_t)H_SLOTS * H_META ||
      !buffer_arg(env, argv[6], &output, &out_len) || out_len < (size_t)H_SLOTS * (size_t)out_slot ||
      !buffer_arg(env, argv[9], &counters, &counters_len) || counters_len < H_COUNT * sizeof(double))
    return throw_type(env, "open: shared buffers missing or too small");
  if (((uintptr_t)meta & 3) != 0 || ((uintptr_t)counters & 7) != 0)
    return throw_type(env, "open: meta or counters misaligned");

  int fd = bound_socket(env, argv[0], argv[1], SOCK_STREAM);
  if (fd < 0) return NULL;
  /* Accept a connection only once its first data (the request) has arrived, as nginx's
     `deferred` does: the poll never wakes for a connection with nothing to read, and the read
     right after accept4 finds the request. A connection that stays silent is handed over after
     the kernel's SYN-ACK retries, or never; it costs no descriptor meanwhile. */
  {
    int secs = 2;
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof secs);
  }
  if (listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    return throw_sys(env, "listen", e);
  }
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    int e = errno;
    close(fd);
    return throw_sys(env, "epoll_create1", e);
  }
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);

  server *s = (server *)calloc(1, sizeof(server));
  if (s == NULL) {
    close(fd);
    close(epfd);
    return throw_sys(env, "calloc", ENOMEM);
  }
  s->lfd = fd;
  s->epfd = epfd;
  s->input = input;
  s->meta = meta;
  s->output = output;
  s->in_slot = (size_t)in_slot;
  s->out_slot = (size_t)out_slot;
  s->counters = (double *)counters;
  s->wait_head = s->wait_tail = -1;

  napi_value keep;
  napi_create_array_with_length(env, 4, &keep);
  napi_set_element(env, keep, 0, argv[4]);
  napi_set_element(env, keep, 1, argv[5]);
  napi_set_element(env, keep, 2, argv[6]);
  napi_set_element(env, keep, 3, argv[9]);
  napi_get_uv_event_loop(env, &s->loop);
  s->h.close_fds = close_server_fds;
  s->h.free_owner = free_server;
  return io_start(env, &s->h, argv[3], keep, "fjord.httpBatch", epfd, UV_READABLE, on_poll);
}

/* address(handle) -> [host, port] of the listening socket. */
static napi_value js_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  server *s = (server *)handle_arg(env, info, argv, 1);
  if (s == NULL) return NULL;
  return socket_address(env, s->lfd);
}

/*
 * detach(handle, slot) -> descriptor. Only inside onBatch, for one of its slots: the connection
 * leaves this file (out of the epoll set and the table, no reply sent, not closed) and belongs to
 * the caller from now on. Throws if slot is not a connection of the batch in progress.
 */
static napi_value js_detach(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  server *s = (server *)handle_arg(env, info, argv, 2);
  if (s == NULL) return NULL;
  int32_t slot;
  if (napi_get_value_int32(env, argv[1], &slot) != napi_ok) return throw_type(env, "detach: bad slot");
  if (!s->h.in_batch || slot < 0 || slot >= s->batch_n) return throw_type(env, "detach: not a slot of this batch");
  uint8_t *m = s->meta + (size_t)slot * H_META;
  int32_t detached;
  memcpy(&detached, m + 40, 4);
  if (detached) return throw_type(env, "detach: already detached");
  int fd = s->batch_fd[slot];
  conn *c = &s->conns[fd];
  if (c->in_epoll) epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
  wait_unlink(s, fd, c);
  addr_remove(s, c);
  conn_free_buf(c);
  c->state = FREE;
  c->in_epoll = 0;
  detached = 1;
  memcpy(m + 40, &detached, 4);
  s->counters[H_OPEN] -= 1;
  s->counters[H_DETACHED] += 1;
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/*
 * sweep(handle, idleSeconds) -> how many connections were closed for being idle (or unfinished)
 * that long. Also takes up accepting again after a pause for lack of descriptors.
 */
static napi_value js_sweep(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  server *s = (server *)handle_arg(env, info, argv, 2);
  if (s == NULL) return NULL;
  int32_t idle;
  if (napi_get_value_int32(env, argv[1], &idle) != napi_ok || idle < 0) return throw_type(env, "sweep: bad idle");
  int closed = 0;
  if (!s->h.closed && !s->h.in_batch) {
    uint32_t now = now_seconds(s);
    for (int fd = 0; fd < s->ncap; fd++) {
      conn *c = &s->conns[fd];
      if (c->state == FREE || c->state == QUEUED) continue;
      if (now - c->since < (uint32_t)idle) continue;
      conn_close(s, fd);
      closed++;
    }
    s->counters[H_TIMED_OUT] += closed;
    resume_accepting(s);
  }
  napi_value out;
  napi_create_int32(env, closed, &out);
  return out;
}

/*
 * limits(handle, maxOpen, maxPerAddress, exempt) sets the connection limits (0: none). exempt is a
 * Uint8Array of 17-byte records, a network each: 16 bytes of address (IPv4 as ::ffff:a.b.c.d) and
 * its prefix length in bits (IPv4: 96 + the IPv4 prefix); connections from them are not counted
 * per address (trusted proxies carry many clients). maxOpen may change at any time; the per-address
 * limit applies to connections accepted after it is set.
 */
static napi_value js_limits(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  server *s = (server *)handle_arg(env, info, argv, 4);
  if (s == NULL) return NULL;
  int32_t max_open, per_addr;
  uint8_t *ex;
  size_t ex_len;
  if (napi_get_value_int32(env, argv[1], &max_open) != napi_ok || max_open < 0 ||
      napi_get_value_int32(env, argv[2], &per_addr) != napi_ok || per_addr < 0 ||
      !buffer_arg(env, argv[3], &ex, &ex_len) || ex_len % 17 != 0 || ex_len / 17 > MAX_EXEMPT)
    return throw_type(env, "limits: bad arguments");
  s->max_open = max_open;
  s->max_per_addr = per_addr;
  s->nexempt = (int)(ex_len / 17);
  for (int i = 0; i < s->nexempt; i++) {
    memcpy(s->exempt[i], ex + i * 17, 16);
    s->exempt_bits[i] = ex[i * 17 + 16] > 128 ? 128 : ex[i * 17 + 16];
  }
  return NULL;
}

/*
 * openDescriptors() -> the number of descriptors this process has open (entries of
 * /proc/self/fd, less the one reading it), or -1 when that cannot be read. A few milliseconds at
 * 20,000 descriptors: JavaScript calls it at most once a second, less often when there are many.
 */
static napi_value js_open_descriptors(napi_env env, napi_callback_info info) {
  (void)info;
  int n = -1;
  DIR *d = opendir("/proc/self/fd");
  if (d != NULL) {
    n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (e->d_name[0] != '.') n++;
    closedir(d);
    n -= 1; /* the directory's own descriptor */
  }
  napi_value out;
  napi_create_int32(env, n, &out);
  return out;
}

/* The HTTP half of the addon's exports (common.c puts it at exports.http). */
napi_value http_batch_init(napi_env env) {
  napi_value exports, fn;
  napi_create_object(env, &exports);
  const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"open", js_open}, {"address", js_address}, {"detach", js_detach}, {"sweep", js_sweep},
                  {"limits", js_limits}, {"openDescriptors", js_open_descriptors}, {"close", io_js_close}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn);
    napi_set_named_property(env, exports, fns[i].name, fn);
  }
  set_int(env, exports, "SLOTS", H_SLOTS);
  set_int(env, exports, "META_SLOT", H_META);
  set_int(env, exports, "COUNTERS", H_COUNT);
  return exports;
}
