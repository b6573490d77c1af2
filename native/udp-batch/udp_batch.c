/*
 * udp_batch: UDP datagrams between the kernel and JavaScript in batches (Linux, Node-API).
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
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
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
  napi_env env;
  uv_poll_t poll;
  int fd;
  int events;         /* what the poll currently waits for: UV_READABLE or UV_WRITABLE */
  int in_batch;       /* inside onBatch */
  int closed;         /* close() was called (or the environment is going away) */
  int close_deferred; /* close() was called inside onBatch: finish it after the batch */
  int handle_closed;  /* uv_close's callback ran */
  int finalized;      /* JavaScript's handle was garbage-collected */
  int env_gone;       /* the environment's cleanup hook ran: no more Node-API calls */
  napi_ref callback;  /* onBatch */
  napi_ref buffers;   /* an array of the shared buffers, so they live as long as we use them */
  napi_async_context async;
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

static void maybe_free(sock *s) {
  if (s->handle_closed && s->finalized) free(s);
}

static void on_handle_closed(uv_handle_t *h) {
  sock *s = (sock *)h->data;
  if (!s->env_gone) {
    napi_delete_reference(s->env, s->callback);
    napi_delete_reference(s->env, s->buffers);
    napi_async_destroy(s->env, s->async);
  }
  s->handle_closed = 1;
  maybe_free(s);
}

static void cleanup_hook(void *arg);

/* Stops watching, closes the socket now (the port is free again when close() returns). */
static void finish_close(sock *s) {
  uv_poll_stop(&s->poll);
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  if (!s->env_gone) napi_remove_env_cleanup_hook(s->env, cleanup_hook, s);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

/* The environment is being torn down (process exit, worker end) with the socket still open. */
static void cleanup_hook(void *arg) {
  sock *s = (sock *)arg;
  s->env_gone = 1;
  if (s->closed) return;
  s->closed = 1;
  finish_close(s);
}

static void set_events(sock *s, int events);
static void on_poll(uv_poll_t *h, int status, int events);

static void set_events(sock *s, int events) {
  if (s->events == events) return;
  s->events = events;
  uv_poll_start(&s->poll, events, on_poll);
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
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value cb, recv, argv[1];
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_get_reference_value(env, s->callback, &cb);
  napi_get_global(env, &recv);
  napi_create_int32(env, n, &argv[0]);
  s->in_batch = 1;
  s->counters[C_BATCHES] += 1;
  napi_status st = napi_make_callback(env, s->async, recv, cb, 1, argv, NULL);
  s->in_batch = 0;
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      /* As an exception thrown by a dgram `message` listener: the process's uncaughtException. */
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
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
  if (s->closed) return;
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
    if (s->close_deferred) {
      flush(s); /* the batch's replies still go out, as far as the kernel takes them now */
      finish_close(s);
      return;
    }
    if (s->closed) return; /* the environment went away meanwhile */
    if (!flush(s)) {
      set_events(s, UV_WRITABLE);
      return;
    }
    if (n < SLOTS) break; /* drained */
  }
}

/* ---------------------------------------------------------------------------------------- */
/* JavaScript API                                                                            */

static napi_value throw_sys(napi_env env, const char *syscall, int err) {
  napi_value msg, code, error, num, sc;
  char text[160];
  const char *name = uv_err_name(-err);
  snprintf(text, sizeof text, "%s %s", syscall, name);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *text) {
  napi_throw_type_error(env, NULL, text);
  return NULL;
}

static int buffer_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return 0;
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) return 0;
  size_t size = 1;
  if (type == napi_float64_array) size = 8;
  else if (type != napi_uint8_array) return 0;
  *data = (uint8_t *)p;
  *len = length * size;
  return 1;
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sock *s = (sock *)data;
  s->finalized = 1;
  maybe_free(s);
}

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

  char host[64];
  size_t host_len;
  if (napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok)
    return throw_type(env, "open: host must be a string");
  int32_t port, rcvbuf, sndbuf, out_slot;
  if (napi_get_value_int32(env, argv[1], &port) != napi_ok || port < 0 || port > 65535)
    return throw_type(env, "open: bad port");
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

  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } sa;
  socklen_t sa_len;
  int family;
  memset(&sa, 0, sizeof sa);
  if (strchr(host, ':') != NULL) {
    family = AF_INET6;
    sa.v6.sin6_family = AF_INET6;
    sa.v6.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &sa.v6.sin6_addr) != 1) return throw_type(env, "open: not an IPv6 address");
    sa_len = sizeof sa.v6;
  } else {
    family = AF_INET;
    sa.v4.sin_family = AF_INET;
    sa.v4.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.v4.sin_addr) != 1) return throw_type(env, "open: not an IPv4 address");
    sa_len = sizeof sa.v4;
  }

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_sys(env, "socket", errno);
  if (family == AF_INET6) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
      int e = errno;
      close(fd);
      return throw_sys(env, "setsockopt", e);
    }
  }
  if (bind(fd, (struct sockaddr *)&sa, sa_len) != 0) {
    int e = errno;
    close(fd);
    return throw_sys(env, "bind", e);
  }
  /* The kernel caps these (net.core.rmem_max / wmem_max); the defaults still work. */
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  sock *s = (sock *)calloc(1, sizeof(sock));
  if (s == NULL) {
    close(fd);
    return throw_sys(env, "calloc", ENOMEM);
  }
  s->env = env;
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

  napi_value keep, name, resource, handle;
  napi_create_array_with_length(env, 5, &keep);
  for (uint32_t i = 0; i < 5; i++) napi_set_element(env, keep, i, argv[i == 4 ? 10 : 5 + i]);
  napi_create_reference(env, keep, 1, &s->buffers);
  napi_create_reference(env, argv[4], 1, &s->callback);
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "fjord.udpBatch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &s->async);

  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init_socket(loop, &s->poll, fd);
  s->poll.data = s;
  s->events = UV_READABLE;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  napi_add_env_cleanup_hook(env, cleanup_hook, s);

  napi_create_external(env, s, finalize_sock, NULL, &handle);
  return handle;
}

static sock *sock_arg(napi_env env, napi_callback_info info, napi_value *argv, size_t want) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *p = NULL;
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &p) != napi_ok)
    throw_type(env, "expected a handle from open()");
  return (sock *)p;
}

/* address(handle) -> [host, port], from getsockname. */
static napi_value js_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sock *s = sock_arg(env, info, argv, 1);
  if (s == NULL) return NULL;
  if (s->fd < 0) return throw_sys(env, "getsockname", EBADF);
  struct sockaddr_in6 a;
  socklen_t len = sizeof a;
  if (getsockname(s->fd, (struct sockaddr *)&a, &len) != 0) return throw_sys(env, "getsockname", errno);
  char text[INET6_ADDRSTRLEN];
  int port;
  if (a.sin6_family == AF_INET6) {
    inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    port = ntohs(a.sin6_port);
  } else {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a;
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  }
  napi_value out, h, p;
  napi_create_array_with_length(env, 2, &out);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &h);
  napi_create_int32(env, port, &p);
  napi_set_element(env, out, 0, h);
  napi_set_element(env, out, 1, p);
  return out;
}

/* close(handle): idempotent; see "Closing" above. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sock *s = sock_arg(env, info, argv, 1);
  if (s == NULL || s->closed) return NULL;
  s->closed = 1;
  if (s->in_batch) s->close_deferred = 1;
  else finish_close(s);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, v;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &fn);
  napi_set_named_property(env, exports, "open", fn);
  napi_create_function(env, "address", NAPI_AUTO_LENGTH, js_address, NULL, &fn);
  napi_set_named_property(env, exports, "address", fn);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &fn);
  napi_set_named_property(env, exports, "close", fn);
  const struct {
    const char *name;
    int value;
  } constants[] = {
      {"SLOTS", SLOTS},         {"IN_SLOT", IN_SLOT}, {"IN_OVERFLOW", IN_OVERFLOW},
      {"META_SLOT", META_SLOT}, {"COUNTERS", C_COUNT},
  };
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
    napi_create_int32(env, constants[i].value, &v);
    napi_set_named_property(env, exports, constants[i].name, v);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
