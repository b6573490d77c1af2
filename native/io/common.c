/* Helpers shared by udp_batch.c and http_batch.c; see common.h. */
#define _GNU_SOURCE
#include "common.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

napi_value throw_sys(napi_env env, const char *syscall, int err) {
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

napi_value throw_type(napi_env env, const char *text) {
  napi_throw_type_error(env, NULL, text);
  return NULL;
}

int buffer_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
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

void *handle_arg(napi_env env, napi_callback_info info, napi_value *argv, size_t want) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *p = NULL;
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &p) != napi_ok) {
    throw_type(env, "expected a handle from open()");
    return NULL;
  }
  return p;
}

socklen_t address_from(const char *host, int port, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (strchr(host, ':') != NULL) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? sizeof *a : 0;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)out;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? sizeof *a : 0;
}

int bound_socket(napi_env env, napi_value host_v, napi_value port_v, int type) {
  char host[64];
  size_t host_len;
  int32_t port;
  if (napi_get_value_string_utf8(env, host_v, host, sizeof host, &host_len) != napi_ok) {
    throw_type(env, "open: host must be a string");
    return -1;
  }
  if (napi_get_value_int32(env, port_v, &port) != napi_ok || port < 0 || port > 65535) {
    throw_type(env, "open: bad port");
    return -1;
  }
  struct sockaddr_storage sa;
  socklen_t sa_len = address_from(host, port, &sa);
  if (sa_len == 0) {
    throw_type(env, "open: host must be an IPv4 or IPv6 address");
    return -1;
  }
  int fd = socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_sys(env, "socket", errno);
    return -1;
  }
  int one = 1;
  /* A restarted tracker can bind while old connections are in TIME_WAIT. */
  if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const char *failed = NULL;
  if (sa.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
    failed = "setsockopt";
  else if (bind(fd, (struct sockaddr *)&sa, sa_len) != 0)
    failed = "bind";
  if (failed != NULL) {
    int e = errno;
    close(fd);
    throw_sys(env, failed, e);
    return -1;
  }
  return fd;
}

napi_value socket_address(napi_env env, int fd) {
  if (fd < 0) return throw_sys(env, "getsockname", EBADF);
  struct sockaddr_in6 a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) return throw_sys(env, "getsockname", errno);
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

void call_batch(napi_env env, napi_async_context async, napi_ref callback, int n) {
  napi_handle_scope scope;
  napi_value cb, recv, argv[1];
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_get_reference_value(env, callback, &cb);
  napi_get_global(env, &recv);
  napi_create_int32(env, n, &argv[0]);
  napi_status st = napi_make_callback(env, async, recv, cb, 1, argv, NULL);
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void io_maybe_free(io_handle *h) {
  if (h->handle_closed && h->finalized) h->free_owner(h);
}

static void io_on_handle_closed(uv_handle_t *uvh) {
  io_handle *h = (io_handle *)uvh->data;
  if (!h->env_gone) {
    napi_delete_reference(h->env, h->callback);
    napi_delete_reference(h->env, h->buffers);
    napi_async_destroy(h->env, h->async);
  }
  h->handle_closed = 1;
  io_maybe_free(h);
}

static void io_cleanup_hook(void *arg);

void io_finish_close(io_handle *h) {
  uv_poll_stop(&h->poll);
  h->close_fds(h);
  if (!h->env_gone) napi_remove_env_cleanup_hook(h->env, io_cleanup_hook, h);
  uv_close((uv_handle_t *)&h->poll, io_on_handle_closed);
}

/* The environment is being torn down (process exit, worker end) with the socket still open. */
static void io_cleanup_hook(void *arg) {
  io_handle *h = (io_handle *)arg;
  h->env_gone = 1;
  if (h->closed) return;
  h->closed = 1;
  io_finish_close(h);
}

static void io_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  io_handle *h = (io_handle *)data;
  h->finalized = 1;
  io_maybe_free(h);
}

napi_value io_start(napi_env env, io_handle *h, napi_value callback, napi_value keep, const char *name, int fd,
                    int events, uv_poll_cb poll_cb) {
  napi_value resource, text, handle;
  h->env = env;
  napi_create_reference(env, keep, 1, &h->buffers);
  napi_create_reference(env, callback, 1, &h->callback);
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &text);
  napi_async_init(env, resource, text, &h->async);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &h->poll, fd);
  h->poll.data = h;
  uv_poll_start(&h->poll, events, poll_cb);
  napi_add_env_cleanup_hook(env, io_cleanup_hook, h);
  napi_create_external(env, h, io_finalize, NULL, &handle);
  return handle;
}

void io_call(io_handle *h, int n) {
  h->in_batch = 1;
  call_batch(h->env, h->async, h->callback, n);
  h->in_batch = 0;
}

napi_value io_js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  io_handle *h = (io_handle *)handle_arg(env, info, argv, 1);
  if (h == NULL || h->closed) return NULL;
  h->closed = 1;
  if (h->in_batch) h->close_deferred = 1;
  else io_finish_close(h);
  return NULL;
}

void set_int(napi_env env, napi_value obj, const char *name, int value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

/*
 * trim() -> bool: hands the allocator's free pages back to the system (glibc malloc_trim(0), which
 * also releases free pages in the middle of its heaps). The peer lists grow by copying into a
 * larger buffer and freeing the old one, and glibc keeps what they free; at 2 million peers that
 * was up to 10 bytes a peer of resident memory (docs/benchmarks.md, whole-process memory). False
 * where there is nothing to release or the C library is not glibc.
 */
static napi_value js_trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value v;
  napi_get_boolean(env, released != 0, &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value trim;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, js_trim, NULL, &trim);
  napi_set_named_property(env, exports, "trim", trim);
  napi_set_named_property(env, exports, "udp", udp_batch_init(env));
  napi_set_named_property(env, exports, "http", http_batch_init(env));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
