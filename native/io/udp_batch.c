/*
 * udp_batch.c: UDP datagrams between the kernel and JavaScript in batches (Linux, Node-API).
 *
 * Why this exists
 * ---------------
 * Under load, fjord's UDP tracker on node:dgram spends most of its time in Node's I/O, not in the
 * tracker: one sendmsg system call per reply (`doSend`, about half of the busy time), one recvmsg
 * per request plus a Buffer, an `rinfo` object and an address string per datagram in libuv and
 * Node's `message` event (see docs/benchmarks.md). Node's dgram alone costs more per reply than
 * all of opentracker. This addon replaces that path: it reads up to SLOTS datagrams with one
 * recvmmsg(2), makes ONE call into JavaScript for the whole batch, and writes every reply with one
 * sendmmsg(2). The datagrams, their source addresses and the replies travel through buffers that
 * JavaScript allocated once and shares with this file, so nothing is allocated per datagram on
 * either side. src/tracker/udp-batch.ts loads it and falls back to node:dgram when it is missing
 * (not built, another OS, or FJORD_UDP_BATCH=0); the tracker logic is the same code on both paths.
 *
 * Threading model
 * ---------------
 * None of our own: everything runs on Node's main thread, in its libuv loop. The socket is
 * non-blocking and watched by a uv_poll_t on the loop from napi_get_uv_event_loop; the poll
 * callback does the system calls and calls into JavaScript synchronously (napi_make_callback, so
 * process.nextTick callbacks and promise jobs queued by the batch run after it, as after a dgram
 * `message` event). JavaScript cannot run while the callback does its system calls, and the
 * callback cannot run while JavaScript does, so the shared buffers need no locking.
 *
 * Shared buffers (allocated by JavaScript, passed to open(); N = SLOTS = 64)
 * -------------------------------------------------------------------------
 *   input     N x IN_SLOT (2048) bytes. Datagram i's first 2048 bytes are at i * 2048.
 *   overflow  N x IN_OVERFLOW (63488) bytes. Bytes 2048 and on of datagram i, if it is longer, are
 *             at i * 63488. 2048 + 63488 = 65536 holds the largest UDP payload (65507 over IPv4,
 *             65527 over IPv6), so every datagram is received whole, as dgram would give it.
 *             JavaScript allocates this without zeroing it, so its pages are only touched (made
 *             resident) when a datagram that long arrives.
 *   meta      N x META_SLOT (32) bytes; integers in the machine's byte order, read through an
 *             Int32Array, the address through a Uint8Array over the same memory:
 *               +0  int32  datagram i's length in bytes (written here)
 *               +4  int32  source address family: 4, 6, or 0 if neither (written here)
 *               +8  int32  source port (written here)
 *               +12 int32  reply length: set to 0 here before the call; JavaScript writes the
 *                          length of the reply it put in output slot i, or leaves 0 for none
 *               +16 bytes  source address in network byte order: 4 bytes (IPv4) at +16..+19,
 *                          or 16 bytes (IPv6) at +16..+31
 *   output    N x outSlot bytes (outSlot given to open(), at least the largest reply). The reply to
 *             datagram i is at i * outSlot; it goes to datagram i's source address (a tracker
 *             answers the sender, so the source address slot is the destination).
 *   counters  a Float64Array of C_COUNT numbers this file keeps up (see enum counter below);
 *             JavaScript reads them when it likes.
 *
 * Flow of one poll callback (socket readable)
 * --------------------------------------------
 *   up to MAX_ROUNDS times: recvmmsg(N, MSG_DONTWAIT) -> fill meta -> onBatch(count) in
 *   JavaScript -> sendmmsg of the replies with a non-zero length; stop early when recvmmsg
 *   returned fewer than N (the socket is drained) or EAGAIN. The round limit keeps the rest of
 *   the event loop (timers, HTTP) served under a flood; the poll is level-triggered, so what is
 *   left is read on the next turn.
 *
 * When the kernel will not take more replies (sendmmsg: EAGAIN, EWOULDBLOCK or ENOBUFS, as
 * libuv treats them) nothing is dropped here: the unsent replies stay in their output slots, the
 * poll switches from readable to writable, and reading stops until they are all sent (the
 * requests wait in the kernel's receive buffer meanwhile, which drops what does not fit, as UDP
 * may). node:dgram queues such a send in memory instead; this is the same back-pressure without
 * a queue. Each such wait is counted (C_SEND_BLOCKED).
 *
 * Errors of a single datagram (EMSGSIZE, ECONNREFUSED or EHOSTUNREACH reported from ICMP,
 * EPERM from a firewall, ...) are counted (C_SEND_ERRORS / C_RECV_ERRORS, errno in C_LAST_ERRNO)
 * and that datagram is skipped; they are never fatal.
 *
 * Closing: close() stops the poll and closes the socket at once, unless it is called from inside
 * onBatch (a batch in flight): then the batch's replies are still sent and the socket is closed
 * when the callback returns. The uv_poll_t is freed in its close callback; the state is freed
 * when both that has happened and JavaScript's handle to it has been garbage-collected.
 */
#define _GNU_SOURCE
#include "common.h"

#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define SLOTS 64
#define IN_SLOT 2048
#define IN_OVERFLOW (65536 - IN_SLOT)
#define META_SLOT 32
#define MAX_ROUNDS 4

enum counter {
  C_BATCHES,      /* calls into JavaScript (one per recvmmsg that returned datagrams) */
  C_RECEIVED,     /* datagrams received */
  C_SENT,         /* replies handed to the kernel */
  C_RECV_ERRORS,  /* recvmmsg errors other than EAGAIN/EINTR (e.g. ICMP errors reported) */
  C_SEND_ERRORS,  /* replies the kernel refused (skipped) */
  C_SEND_BLOCKED, /* times the kernel's send queue was full and we waited for writable */
  C_LAST_ERRNO,   /* errno of the last counted error */
  C_POLLS,        /* poll callbacks */
  C_TRUNCATED,    /* datagrams longer than a slot and its overflow (cannot happen with UDP) */
  C_COUNT
};

typedef struct sock {
  io_handle h; /* first: common.c's lifecycle (poll, callback, closing) */
  int fd;
  int events; /* what the poll currently waits for: UV_READABLE or UV_WRITABLE */
  uint8_t *input, *overflow, *meta, *output;
  size_t out_slot;
  double *counters;
  /* Receive side: one header, two iovecs and one address per slot. */
  struct mmsghdr rx[SLOTS];
  struct iovec rx_iov[SLOTS][2];
  struct sockaddr_in6 addr[SLOTS]; /* large enough for sockaddr_in too */
  /* Send side: the replies of the last batch, rx slot order; [send_pos, send_count) unsent. */
  struct mmsghdr tx[SLOTS];
  struct iovec tx_iov[SLOTS];
  int send_pos, send_count;
} sock;

/* ---------------------------------------------------------------------------------------- */

static void count_error(sock *s, int which, int err) {
  s->counters[which] += 1;
  s->counters[C_LAST_ERRNO] = err;
}

/* common.c's close_fds and free_owner for a sock. */
static void close_sock_fd(io_handle *h) {
  sock *s = (sock *)h;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static void free_sock(io_handle *h) {
  free(h);
}

static void set_events(sock *s, int events);
static void on_poll(uv_poll_t *h, int status, int events);

static void set_events(sock *s, int events) {
  if (s->events == events) return;
  s->events = events;
  uv_poll_start(&s->h.poll, events, on_poll);
}

/*
 * Sends the pending replies [send_pos, send_count). Returns 1 when none is left (sent, or
 * skipped after an error), 0 when the kernel's queue is full and the rest must wait.
 */
static int flush(sock *s) {
  while (s->send_pos < s->send_count) {
    int r = sendmmsg(s->fd, s->tx + s->send_pos, (unsigned)(s->send_count - s->send_pos), MSG_DONTWAIT);
    if (r > 0) {
      s->send_pos += r;
      s->counters[C_SENT] += r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      s->counters[C_SEND_BLOCKED] += 1;
      return 0;
    }
    /* This reply failed (sendmmsg reports the error of the first message it could not send, on
       the call that starts with it): count it and go on with the next. */
    count_error(s, C_SEND_ERRORS, r < 0 ? errno : EIO);
    s->send_pos++;
  }
  s->send_pos = s->send_count = 0;
  return 1;
}

/* One recvmmsg; returns the number of datagrams (0 when there were none), -1 after an error. */
static int receive(sock *s) {
  for (int i = 0; i < SLOTS; i++) {
    s->rx[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in6);
    s->rx[i].msg_hdr.msg_flags = 0;
  }
  for (;;) {
    int n = recvmmsg(s->fd, s->rx, SLOTS, MSG_DONTWAIT, NULL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    count_error(s, C_RECV_ERRORS, errno);
    return -1;
  }
}

/* Writes meta for datagrams [0, n). */
static void describe(sock *s, int n) {
  for (int i = 0; i < n; i++) {
    uint8_t *m = s->meta + (size_t)i * META_SLOT;
    int32_t len = (int32_t)s->rx[i].msg_len, family = 0, port = 0, zero = 0;
    if (s->rx[i].msg_hdr.msg_flags & MSG_TRUNC) s->counters[C_TRUNCATED] += 1;
    const struct sockaddr *sa = (const struct sockaddr *)&s->addr[i];
    if (sa->sa_family == AF_INET && s->rx[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_in)) {
      const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
      family = 4;
      port = ntohs(a->sin_port);
      memcpy(m + 16, &a->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6 && s->rx[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_in6)) {
      const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
      family = 6;
      port = ntohs(a->sin6_port);
      memcpy(m + 16, &a->sin6_addr, 16);
    }
    memcpy(m + 0, &len, 4);
    memcpy(m + 4, &family, 4);
    memcpy(m + 8, &port, 4);
    memcpy(m + 12, &zero, 4);
  }
}

/* Calls onBatch(n). If JavaScript throws, the exception goes to process.on('uncaughtException'). */
static void call_js(sock *s, int n) {
  s->counters[C_BATCHES] += 1;
  io_call(&s->h, n);
}

/* Queues the replies JavaScript wrote for datagrams [0, n) (those with a non-zero length). */
static void queue_replies(sock *s, int n) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    int32_t len;
    memcpy(&len, s->meta + (size_t)i * META_SLOT + 12, 4);
    if (len <= 0) continue;
    if ((size_t)len > s->out_slot) len = (int32_t)s->out_slot;
    s->tx_iov[k].iov_base = s->output + (size_t)i * s->out_slot;
    s->tx_iov[k].iov_len = (size_t)len;
    struct msghdr *h = &s->tx[k].msg_hdr;
    h->msg_name = &s->addr[i];
    h->msg_namelen = s->rx[i].msg_hdr.msg_namelen;
    h->msg_iov = &s->tx_iov[k];
    h->msg_iovlen = 1;
    h->msg_control = NULL;
    h->msg_controllen = 0;
    h->msg_flags = 0;
    k++;
  }
  s->send_pos = 0;
  s->send_count = k;
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock *s = (sock *)h->data;
  (void)events;
  if (s->h.closed) return;
  s->counters[C_POLLS] += 1;
  if (status < 0) {
    count_error(s, C_RECV_ERRORS, -status);
    return;
  }
  /* Replies left over from a batch the kernel would not take all of: send them first, and read
     nothing more until they are gone (their output slots and addresses must stay as they are). */
  if (s->send_pos < s->send_count) {
    if (!flush(s)) return;
    set_events(s, UV_READABLE);
  }
  for (int round = 0; round < MAX_ROUNDS; round++) {
    int n = receive(s);
    if (n < 0) continue; /* an error reported for an earlier datagram; try again */
    if (n == 0) break;
    s->counters[C_RECEIVED] += n;
    describe(s, n);
    call_js(s, n);
    queue_replies(s, n);
    if (s->h.close_deferred) {
      flush(s); /* the batch's replies still go out, as far as the kernel takes them now */
      io_finish_close(&s->h);
      return;
    }
    if (s->h.closed) return; /* the environment went away meanwhile */
    if (!flush(s)) {
      set_events(s, UV_WRITABLE);
      return;
    }
    if (n < SLOTS) break; /* drained */
  }
}

/* ---------------------------------------------------------------------------------------- */
/* JavaScript API                                                                            */

/*
 * open(host, port, rcvbuf, sndbuf, onBatch, input, overflow, meta, output, outSlot, counters)
 * -> handle. host is an IPv4 or IPv6 literal (an IPv6 socket is IPv6 only, as fjord's dgram
 * sockets are). Throws an Error with code, errno and syscall (like Node's) if it cannot bind.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 11) return throw_type(env, "open: 11 arguments expected");

  int32_t rcvbuf, sndbuf, out_slot;
  napi_get_value_int32(env, argv[2], &rcvbuf);
  napi_get_value_int32(env, argv[3], &sndbuf);
  napi_valuetype t;
  napi_typeof(env, argv[4], &t);
  if (t != napi_function) return throw_type(env, "open: onBatch must be a function");
  uint8_t *input, *overflow, *meta, *output, *counters;
  size_t in_len, ovf_len, meta_len, out_len, counters_len;
  if (napi_get_value_int32(env, argv[9], &out_slot) != napi_ok || out_slot < 16)
    return throw_type(env, "open: bad outSlot");
  if (!buffer_arg(env, argv[5], &input, &in_len) || in_len < (size_t)SLOTS * IN_SLOT ||
      !buffer_arg(env, argv[6], &overflow, &ovf_len) || ovf_len < (size_t)SLOTS * IN_OVERFLOW ||
      !buffer_arg(env, argv[7], &meta, &meta_len) || meta_len < (size_t)SLOTS * META_SLOT ||
      !buffer_arg(env, argv[8], &output, &out_len) || out_len < (size_t)SLOTS * (size_t)out_slot ||
      !buffer_arg(env, argv[10], &counters, &counters_len) || counters_len < C_COUNT * sizeof(double))
    return throw_type(env, "open: shared buffers missing or too small");
  if (((uintptr_t)meta & 3) != 0 || ((uintptr_t)counters & 7) != 0)
    return throw_type(env, "open: meta or counters misaligned");

  int fd = bound_socket(env, argv[0], argv[1], SOCK_DGRAM);
  if (fd < 0) return NULL;
  /* The kernel caps these (net.core.rmem_max / wmem_max); the defaults still work. */
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  sock *s = (sock *)calloc(1, sizeof(sock));
  if (s == NULL) {
    close(fd);
    return throw_sys(env, "calloc", ENOMEM);
  }
  s->h.env = env;
  s->fd = fd;
  s->input = input;
  s->overflow = overflow;
  s->meta = meta;
  s->output = output;
  s->out_slot = (size_t)out_slot;
  s->counters = (double *)counters;
  for (int i = 0; i < SLOTS; i++) {
    s->rx_iov[i][0].iov_base = input + (size_t)i * IN_SLOT;
    s->rx_iov[i][0].iov_len = IN_SLOT;
    s->rx_iov[i][1].iov_base = overflow + (size_t)i * IN_OVERFLOW;
    s->rx_iov[i][1].iov_len = IN_OVERFLOW;
    s->rx[i].msg_hdr.msg_name = &s->addr[i];
    s->rx[i].msg_hdr.msg_iov = s->rx_iov[i];
    s->rx[i].msg_hdr.msg_iovlen = 2;
  }

  napi_value keep;
  napi_create_array_with_length(env, 5, &keep);
  for (uint32_t i = 0; i < 5; i++) napi_set_element(env, keep, i, argv[i == 4 ? 10 : 5 + i]);
  s->h.close_fds = close_sock_fd;
  s->h.free_owner = free_sock;
  s->events = UV_READABLE;
  return io_start(env, &s->h, argv[4], keep, "fjord.udpBatch", fd, UV_READABLE, on_poll);
}

/* address(handle) -> [host, port], from getsockname. */
static napi_value js_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sock *s = (sock *)handle_arg(env, info, argv, 1);
  if (s == NULL) return NULL;
  return socket_address(env, s->fd);
}

/* The UDP half of the addon's exports (common.c puts it at exports.udp). */
napi_value udp_batch_init(napi_env env) {
  napi_value exports, fn;
  napi_create_object(env, &exports);
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn);
  napi_set_named_property(env, exports, "open", fn);
  napi_create_function(env, "address", NAPI_AUTO_LENGTH, js_address, NULL, &fn);
  napi_set_named_property(env, exports, "address", fn);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, io_js_close, NULL, &fn);
  napi_set_named_property(env, exports, "close", fn);
  set_int(env, exports, "SLOTS", SLOTS);
  set_int(env, exports, "IN_SLOT", IN_SLOT);
  set_int(env, exports, "IN_OVERFLOW", IN_OVERFLOW);
  set_int(env, exports, "META_SLOT", META_SLOT);
  set_int(env, exports, "COUNTERS", C_COUNT);
  return exports;
}
