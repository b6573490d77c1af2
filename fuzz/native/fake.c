/*
 * fake.c: the world around native/io for its libFuzzer harnesses, in one translation unit with
 * the harness and the addon's own sources (each harness #includes this file, then the sources).
 *
 * The addon only talks to three things: the kernel (sockets, epoll), libuv (a poll handle and a
 * clock) and Node-API (arguments, the onBatch callback). Here the kernel is fake and scripted by
 * the fuzzer's input: every read, accept4, epoll_wait, recvmmsg, send and sendmmsg takes its
 * result (bytes, a length, EAGAIN, an error) from the input stream, so the fuzzer explores every
 * way a network can deliver bytes: split anywhere, merged, cut short, reset. The fake kernel also
 * checks the addon: it aborts when the addon touches a descriptor it does not own (closed, never
 * opened, or detached to JavaScript), or when a read would write past the slot it was given
 * (something AddressSanitizer cannot see inside one big shared buffer). Node-API is a small
 * value arena; onBatch calls the harness's fz_on_batch, which plays JavaScript.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>
#define NAPI_VERSION 8
#include <node_api.h>

/* Not every harness uses every fake system call. */
#pragma clang diagnostic ignored "-Wunused-function"

#define FZ_CHECK(cond, what)                                                   \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", what, __FILE__, __LINE__); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* ---- the input stream ---------------------------------------------------------------- */

static const uint8_t *fz_data;
static size_t fz_size, fz_pos;

static size_t fz_left(void) { return fz_size - fz_pos; }
static uint8_t fz_u8(void) { return fz_pos < fz_size ? fz_data[fz_pos++] : 0; }
static uint16_t fz_u16(void) { return (uint16_t)(fz_u8() | fz_u8() << 8); }
static uint32_t fz_u32(void) { return (uint32_t)fz_u16() | (uint32_t)fz_u16() << 16; }
/* Copies up to n bytes of the input to out; returns how many. */
static size_t fz_bytes(uint8_t *out, size_t n) {
  if (n > fz_left()) n = fz_left();
  memcpy(out, fz_data + fz_pos, n);
  fz_pos += n;
  return n;
}

/* ---- descriptors ------------------------------------------------------------------------ */

#define FZ_MAXFD 512
enum fz_kind { FZ_FREE = 0, FZ_LISTEN, FZ_EPOLL, FZ_CONN, FZ_UDP, FZ_JS };
typedef struct {
  int kind;
  int watched;     /* in the epoll set */
  uint32_t events; /* what it is watched for */
  int eof;         /* the peer closed: reads return 0 */
  int wr_shut;     /* shutdown(SHUT_WR) was called */
} fz_fd;
static fz_fd fz_fds[FZ_MAXFD];
static int fz_open_conns; /* FZ_CONN descriptors now open */

/* A region the addon may read into or send from, in slots (the shared input and output). */
static const uint8_t *fz_in_base, *fz_out_base;
static size_t fz_in_slot, fz_out_slot, fz_in_total, fz_out_total;

static void fz_reset_fds(void) {
  memset(fz_fds, 0, sizeof fz_fds);
  fz_open_conns = 0;
  fz_in_base = fz_out_base = NULL;
}

static int fz_new_fd(int kind) {
  for (int fd = 3; fd < FZ_MAXFD; fd++)
    if (fz_fds[fd].kind == FZ_FREE) {
      memset(&fz_fds[fd], 0, sizeof fz_fds[fd]);
      fz_fds[fd].kind = kind;
      if (kind == FZ_CONN) fz_open_conns++;
      return fd;
    }
  return -1;
}

/* The addon may use fd: open, and not handed to JavaScript. */
static fz_fd *fz_owned(int fd, const char *call) {
  if (fd < 0 || fd >= FZ_MAXFD || fz_fds[fd].kind == FZ_FREE || fz_fds[fd].kind == FZ_JS) {
    fprintf(stderr, "fuzz invariant failed: %s on descriptor %d the addon does not own\n", call, fd);
    abort();
  }
  return &fz_fds[fd];
}

/* A write of n bytes at p must stay inside one slot when p is in a shared region. */
static void fz_check_span(const uint8_t *p, size_t n, const uint8_t *base, size_t slot, size_t total,
                          const char *what) {
  if (base == NULL || p < base || p >= base + total) return;
  size_t off = (size_t)(p - base) % slot;
  FZ_CHECK(off + n <= slot, what);
}

static int fz_close(int fd) {
  fz_fd *f = fz_owned(fd, "close");
  if (f->kind == FZ_CONN) fz_open_conns--;
  f->kind = FZ_FREE;
  return 0;
}

/* JavaScript closes a descriptor it was handed (detach). */
static void fz_js_close(int fd) {
  FZ_CHECK(fd >= 0 && fd < FZ_MAXFD && fz_fds[fd].kind == FZ_JS, "JavaScript closes a detached descriptor");
  fz_fds[fd].kind = FZ_FREE;
}

static int fz_socket(int domain, int type, int protocol) {
  (void)domain;
  (void)protocol;
  return fz_new_fd((type & 0xf) == SOCK_DGRAM ? FZ_UDP : FZ_LISTEN);
}
static int fz_setsockopt(int fd, int level, int name, const void *v, socklen_t len) {
  (void)level;
  (void)name;
  (void)v;
  (void)len;
  fz_owned(fd, "setsockopt");
  return 0;
}
static int fz_bind(int fd, const struct sockaddr *a, socklen_t len) {
  (void)a;
  (void)len;
  fz_owned(fd, "bind");
  return 0;
}
static int fz_listen(int fd, int backlog) {
  (void)backlog;
  fz_owned(fd, "listen");
  return 0;
}
static int fz_getsockname(int fd, struct sockaddr *a, socklen_t *len) {
  fz_owned(fd, "getsockname");
  struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(6969)};
  v4.sin_addr.s_addr = htonl(0x7f000001);
  memcpy(a, &v4, sizeof v4 < *len ? sizeof v4 : *len);
  *len = sizeof v4;
  return 0;
}
static int fz_shutdown(int fd, int how) {
  fz_fd *f = fz_owned(fd, "shutdown");
  FZ_CHECK(how == SHUT_WR, "only the write side is shut down");
  f->wr_shut = 1;
  return 0;
}

/* ---- epoll -------------------------------------------------------------------------------- */

static int fz_epoll_create1(int flags) {
  (void)flags;
  return fz_new_fd(FZ_EPOLL);
}
static int fz_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
  FZ_CHECK(fz_owned(epfd, "epoll_ctl")->kind == FZ_EPOLL, "epoll_ctl on an epoll descriptor");
  fz_fd *f = fz_owned(fd, "epoll_ctl (target)");
  /* Sometimes the kernel refuses (ENOMEM, ENOSPC): the addon must cope. */
  if (op != EPOLL_CTL_DEL && fz_left() > 0 && fz_u8() == 0xee) {
    errno = ENOMEM;
    return -1;
  }
  if (op == EPOLL_CTL_ADD) {
    if (f->watched) {
      errno = EEXIST;
      return -1;
    }
    f->watched = 1;
    f->events = ev->events;
    FZ_CHECK(ev->data.fd == fd, "epoll data is the descriptor");
  } else if (op == EPOLL_CTL_MOD) {
    if (!f->watched) {
      errno = ENOENT;
      return -1;
    }
    f->events = ev->events;
  } else {
    if (!f->watched) {
      errno = ENOENT;
      return -1;
    }
    f->watched = 0;
  }
  return 0;
}
/* Reports events on watched descriptors the input picks (plus, as the input says, a bogus one). */
static int fz_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout) {
  (void)timeout;
  fz_owned(epfd, "epoll_wait");
  if (fz_left() == 0) return 0;
  int want = fz_u8() % 8, n = 0;
  int watched[FZ_MAXFD], nw = 0;
  for (int fd = 0; fd < FZ_MAXFD; fd++)
    if (fz_fds[fd].watched && fz_fds[fd].kind != FZ_FREE) watched[nw++] = fd;
  for (int k = 0; k < want && n < max && nw > 0; k++) {
    int fd = watched[fz_u8() % nw];
    ev[n].events = fz_fds[fd].events & (EPOLLIN | EPOLLOUT);
    ev[n].data.fd = fd;
    n++;
  }
  return n;
}

/* ---- streams ------------------------------------------------------------------------------ */

/* A new connection with a request in flight, or EAGAIN / an error, as the input says. */
static int fz_accept4(int lfd, struct sockaddr *a, socklen_t *len, int flags) {
  (void)flags;
  FZ_CHECK(fz_owned(lfd, "accept4")->kind == FZ_LISTEN, "accept4 on the listening socket");
  uint8_t c = fz_u8();
  if (fz_left() == 0 || c < 0x40) {
    errno = EAGAIN;
    return -1;
  }
  if (c < 0x48) {
    static const int errs[] = {EINTR, ECONNABORTED, EPROTO, EMFILE, ENFILE, ENOBUFS, ENOMEM, EPERM};
    errno = errs[c & 7];
    return -1;
  }
  int fd = fz_new_fd(FZ_CONN);
  if (fd < 0) {
    errno = EMFILE;
    return -1;
  }
  if (c & 1) {
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(fz_u16())};
    fz_bytes((uint8_t *)&v6.sin6_addr, 16);
    memcpy(a, &v6, sizeof v6 < *len ? sizeof v6 : *len);
    *len = sizeof v6;
  } else {
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(fz_u16())};
    fz_bytes((uint8_t *)&v4.sin_addr, 4);
    memcpy(a, &v4, sizeof v4 < *len ? sizeof v4 : *len);
    *len = sizeof v4;
  }
  return fd;
}

/* What a read of a connection returns: bytes (a length from the input), EOF, EAGAIN, an error. */
static ssize_t fz_read(int fd, void *buf, size_t count) {
  fz_fd *f = fz_owned(fd, "read");
  FZ_CHECK(f->kind == FZ_CONN, "read on a connection");
  fz_check_span((const uint8_t *)buf, count, fz_in_base, fz_in_slot, fz_in_total, "read stays in its input slot");
  if (f->eof) return 0;
  if (fz_left() == 0) {
    errno = EAGAIN;
    return -1;
  }
  uint8_t c = fz_u8();
  switch (c >> 5) {
    case 0:
      errno = EAGAIN;
      return -1;
    case 1:
      if (c & 1) {
        errno = (c & 2) ? EINTR : ECONNRESET;
        return -1;
      }
      f->eof = 1;
      return 0;
    default: {
      size_t n = (size_t)fz_u16() % 4096 + 1;
      if (n > count) n = count;
      n = fz_bytes((uint8_t *)buf, n);
      if (n == 0) {
        errno = EAGAIN;
        return -1;
      }
      return (ssize_t)n;
    }
  }
}

/* A send takes all, part, nothing (EAGAIN) or fails, as the input says. */
static ssize_t fz_send(int fd, const void *buf, size_t len, int flags) {
  (void)flags;
  fz_fd *f = fz_owned(fd, "send");
  FZ_CHECK(f->kind == FZ_CONN && !f->wr_shut, "send on an open connection");
  fz_check_span((const uint8_t *)buf, len, fz_out_base, fz_out_slot, fz_out_total, "send stays in its output slot");
  if (len > 0) {
    volatile uint8_t sum = 0; /* touch every byte: AddressSanitizer checks the span */
    for (size_t i = 0; i < len; i++) sum ^= ((const uint8_t *)buf)[i];
    (void)sum;
  }
  uint8_t c = fz_u8();
  switch (c >> 6) {
    case 0:
      return (ssize_t)len;
    case 1:
      return (ssize_t)(len == 0 ? 0 : fz_u16() % len);
    case 2:
      errno = (c & 1) ? EAGAIN : EINTR;
      return -1;
    default:
      errno = (c & 1) ? EPIPE : ECONNRESET;
      return -1;
  }
}

/* ---- libuv ------------------------------------------------------------------------------- */

static uint64_t fz_clock_ms;
static int fz_poll_active, fz_poll_events;
static uv_poll_cb fz_poll_cb;
static uv_loop_t fz_loop;

uint64_t uv_now(const uv_loop_t *loop) {
  (void)loop;
  return fz_clock_ms;
}
const char *uv_err_name(int err) {
  (void)err;
  return "EFUZZ";
}
int uv_poll_init(uv_loop_t *loop, uv_poll_t *h, int fd) {
  (void)loop;
  fz_owned(fd, "uv_poll_init");
  memset(h, 0, sizeof *h);
  return 0;
}
int uv_poll_start(uv_poll_t *h, int events, uv_poll_cb cb) {
  (void)h;
  fz_poll_active = 1;
  fz_poll_events = events;
  fz_poll_cb = cb;
  return 0;
}
int uv_poll_stop(uv_poll_t *h) {
  (void)h;
  fz_poll_active = 0;
  return 0;
}
/* libuv calls the close callback on a later loop turn; the harness runs it at the end. */
static uv_handle_t *fz_closing;
static uv_close_cb fz_close_cb;
void uv_close(uv_handle_t *h, uv_close_cb cb) {
  FZ_CHECK(fz_closing == NULL, "uv_close once");
  fz_closing = h;
  fz_close_cb = cb;
}

/* ---- Node-API --------------------------------------------------------------------------- */

enum fz_vkind { V_UNDEF, V_INT, V_STR, V_FN, V_EXTERNAL, V_U8, V_F64, V_OBJ };
struct napi_value__ {
  int kind;
  int32_t i;
  void *p;
  size_t len;
  napi_callback fn;
  napi_finalize fin;
};
struct napi_env__ {
  int dummy;
};
struct napi_callback_info__ {
  size_t argc;
  napi_value *argv;
};
static struct napi_env__ fz_env_s;
static napi_env fz_env = &fz_env_s;
#define FZ_VALUES 4096
static struct napi_value__ fz_values[FZ_VALUES];
static int fz_nvalues;
static int fz_thrown; /* an exception is pending (the addon threw) */
static int fz_env_hook_set;
static void (*fz_env_hook)(void *);
static void *fz_env_hook_arg;

static napi_value fz_value(int kind) {
  FZ_CHECK(fz_nvalues < FZ_VALUES, "value arena");
  napi_value v = &fz_values[fz_nvalues++];
  memset(v, 0, sizeof *v);
  v->kind = kind;
  return v;
}
static napi_value fz_int(int32_t i) {
  napi_value v = fz_value(V_INT);
  v->i = i;
  return v;
}
static napi_value fz_typed(int kind, void *p, size_t len) {
  napi_value v = fz_value(kind);
  v->p = p;
  v->len = len;
  return v;
}
/* Calls a JavaScript function of the addon with argv. */
static napi_value fz_call(napi_callback fn, size_t argc, napi_value *argv) {
  struct napi_callback_info__ info = {argc, argv};
  fz_thrown = 0;
  return fn(fz_env, &info);
}

/* The harness's JavaScript: onBatch(n). */
static void fz_on_batch(int n);

napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                             napi_value *this_arg, void **data) {
  (void)env;
  (void)this_arg;
  (void)data;
  for (size_t i = 0; i < *argc; i++) argv[i] = i < info->argc ? info->argv[i] : fz_value(V_UNDEF);
  *argc = info->argc;
  return napi_ok;
}
napi_status napi_typeof(napi_env env, napi_value v, napi_valuetype *t) {
  (void)env;
  static const napi_valuetype map[] = {napi_undefined, napi_number, napi_string, napi_function,
                                       napi_external,  napi_object, napi_object, napi_object};
  *t = map[v->kind];
  return napi_ok;
}
napi_status napi_get_value_int32(napi_env env, napi_value v, int32_t *out) {
  (void)env;
  if (v->kind != V_INT) return napi_number_expected;
  *out = v->i;
  return napi_ok;
}
napi_status napi_get_value_string_utf8(napi_env env, napi_value v, char *buf, size_t size, size_t *len) {
  (void)env;
  if (v->kind != V_STR) return napi_string_expected;
  size_t n = strlen((const char *)v->p);
  if (n >= size) n = size - 1;
  memcpy(buf, v->p, n);
  buf[n] = 0;
  if (len) *len = n;
  return napi_ok;
}
napi_status napi_get_value_external(napi_env env, napi_value v, void **out) {
  (void)env;
  if (v->kind != V_EXTERNAL) return napi_invalid_arg;
  *out = v->p;
  return napi_ok;
}
napi_status napi_is_typedarray(napi_env env, napi_value v, bool *is) {
  (void)env;
  *is = v->kind == V_U8 || v->kind == V_F64;
  return napi_ok;
}
napi_status napi_get_typedarray_info(napi_env env, napi_value v, napi_typedarray_type *type, size_t *length,
                                     void **data, napi_value *ab, size_t *offset) {
  (void)env;
  *type = v->kind == V_F64 ? napi_float64_array : napi_uint8_array;
  *length = v->kind == V_F64 ? v->len / 8 : v->len;
  *data = v->p;
  if (ab) *ab = v;
  if (offset) *offset = 0;
  return napi_ok;
}
napi_status napi_create_int32(napi_env env, int32_t value, napi_value *out) {
  (void)env;
  *out = fz_int(value);
  return napi_ok;
}
/* trim() (common.c) answers a boolean; the harnesses never call it, so an int stands in. */
napi_status napi_get_boolean(napi_env env, bool value, napi_value *out) {
  (void)env;
  *out = fz_int(value ? 1 : 0);
  return napi_ok;
}

napi_status napi_create_string_utf8(napi_env env, const char *s, size_t len, napi_value *out) {
  (void)env;
  (void)len;
  *out = fz_value(V_STR);
  (*out)->p = (void *)s;
  return napi_ok;
}
napi_status napi_create_object(napi_env env, napi_value *out) {
  (void)env;
  *out = fz_value(V_OBJ);
  return napi_ok;
}
napi_status napi_create_array_with_length(napi_env env, size_t n, napi_value *out) {
  (void)n;
  return napi_create_object(env, out);
}
napi_status napi_set_element(napi_env env, napi_value o, uint32_t i, napi_value v) {
  (void)env;
  (void)o;
  (void)i;
  (void)v;
  return napi_ok;
}
napi_status napi_set_named_property(napi_env env, napi_value o, const char *name, napi_value v) {
  (void)env;
  (void)o;
  (void)name;
  (void)v;
  return napi_ok;
}
napi_status napi_create_function(napi_env env, const char *name, size_t len, napi_callback cb, void *data,
                                 napi_value *out) {
  (void)env;
  (void)name;
  (void)len;
  (void)data;
  *out = fz_value(V_FN);
  (*out)->fn = cb;
  return napi_ok;
}
napi_status napi_create_external(napi_env env, void *data, napi_finalize fin, void *hint, napi_value *out) {
  (void)env;
  (void)hint;
  *out = fz_value(V_EXTERNAL);
  (*out)->p = data;
  (*out)->fin = fin;
  return napi_ok;
}
napi_status napi_create_error(napi_env env, napi_value code, napi_value msg, napi_value *out) {
  (void)code;
  (void)msg;
  return napi_create_object(env, out);
}
napi_status napi_throw(napi_env env, napi_value error) {
  (void)env;
  (void)error;
  fz_thrown = 1;
  return napi_ok;
}
napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg) {
  (void)env;
  (void)code;
  (void)msg;
  fz_thrown = 1;
  return napi_ok;
}
napi_status napi_create_reference(napi_env env, napi_value v, uint32_t count, napi_ref *out) {
  (void)env;
  (void)count;
  *out = (napi_ref)v;
  return napi_ok;
}
napi_status napi_delete_reference(napi_env env, napi_ref r) {
  (void)env;
  (void)r;
  return napi_ok;
}
napi_status napi_get_reference_value(napi_env env, napi_ref r, napi_value *out) {
  (void)env;
  *out = (napi_value)r;
  return napi_ok;
}
napi_status napi_get_global(napi_env env, napi_value *out) { return napi_create_object(env, out); }
napi_status napi_open_handle_scope(napi_env env, napi_handle_scope *s) {
  (void)env;
  *s = (napi_handle_scope)&fz_env_s;
  return napi_ok;
}
napi_status napi_close_handle_scope(napi_env env, napi_handle_scope s) {
  (void)env;
  (void)s;
  return napi_ok;
}
napi_status napi_async_init(napi_env env, napi_value r, napi_value name, napi_async_context *out) {
  (void)env;
  (void)r;
  (void)name;
  *out = (napi_async_context)&fz_env_s;
  return napi_ok;
}
napi_status napi_async_destroy(napi_env env, napi_async_context c) {
  (void)env;
  (void)c;
  return napi_ok;
}
napi_status napi_make_callback(napi_env env, napi_async_context c, napi_value recv, napi_value fn, size_t argc,
                               const napi_value *argv, napi_value *result) {
  (void)env;
  (void)c;
  (void)recv;
  (void)fn;
  FZ_CHECK(argc == 1 && argv[0]->kind == V_INT, "onBatch(n)");
  if (result) *result = NULL;
  fz_on_batch(argv[0]->i);
  return napi_ok;
}
napi_status napi_is_exception_pending(napi_env env, bool *out) {
  (void)env;
  *out = false;
  return napi_ok;
}
napi_status napi_get_and_clear_last_exception(napi_env env, napi_value *out) { return napi_create_object(env, out); }
napi_status napi_fatal_exception(napi_env env, napi_value err) {
  (void)env;
  (void)err;
  return napi_ok;
}
napi_status napi_get_uv_event_loop(napi_env env, struct uv_loop_s **loop) {
  (void)env;
  *loop = &fz_loop;
  return napi_ok;
}
napi_status napi_add_env_cleanup_hook(napi_env env, napi_cleanup_hook fun, void *arg) {
  (void)env;
  fz_env_hook_set = 1;
  fz_env_hook = fun;
  fz_env_hook_arg = arg;
  return napi_ok;
}
napi_status napi_remove_env_cleanup_hook(napi_env env, napi_cleanup_hook fun, void *arg) {
  (void)env;
  FZ_CHECK(fz_env_hook_set && fun == fz_env_hook && arg == fz_env_hook_arg, "the cleanup hook removed is ours");
  fz_env_hook_set = 0;
  return napi_ok;
}

/* Resets the fake world for one input. */
static void fz_begin(const uint8_t *data, size_t size) {
  fz_data = data;
  fz_size = size;
  fz_pos = 0;
  fz_reset_fds();
  fz_clock_ms = 1000000;
  fz_poll_active = 0;
  fz_closing = NULL;
  fz_nvalues = 0;
  fz_env_hook_set = 0;
}

/*
 * Ends the life of a handle as Node would: the pending uv_close callback runs, then the garbage
 * collector finalizes JavaScript's handle (or, with `teardown`, the environment's cleanup hook
 * runs first, as at process exit with the socket still open).
 */
static void fz_end(napi_value handle, int teardown) {
  if (teardown && fz_env_hook_set) {
    fz_env_hook_set = 0;
    fz_env_hook(fz_env_hook_arg);
  }
  FZ_CHECK(fz_closing != NULL, "the poll handle is closed");
  fz_close_cb(fz_closing);
  handle->fin(fz_env, handle->p, NULL);
}

/*
 * The end of every input: with FZ_VERBOSE set, what the addon counted (to check a seed:
 * FZ_VERBOSE=1 fuzz/native/build/NAME FILE); then close() from JavaScript, or, as the input says,
 * the environment's teardown with the socket still open; then the handle's end (fz_end).
 */
static void fz_finish(napi_value handle, int closed, napi_callback js_close, const double *counters, int n,
                      const char *names) {
  if (getenv("FZ_VERBOSE") != NULL) {
    fprintf(stderr, "counters (%s):", names);
    for (int i = 0; i < n; i++) fprintf(stderr, " %g", counters[i]);
    fprintf(stderr, "\n");
  }
  int teardown = !closed && (fz_u8() & 1);
  if (!teardown && !closed) {
    napi_value argv[1] = {handle};
    fz_call(js_close, 1, argv);
  }
  fz_end(handle, teardown);
}

/* After the end, nothing the addon opened may be left open. */
static void fz_check_all_closed(void) {
  FZ_CHECK(fz_open_conns == 0, "every connection is closed");
  for (int fd = 0; fd < FZ_MAXFD; fd++) FZ_CHECK(fz_fds[fd].kind == FZ_FREE, "every descriptor is closed");
}
