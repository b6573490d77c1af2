/*
 * Helpers shared by the two halves of fjord's native I/O addon (udp_batch.c, http_batch.c):
 * errors thrown the way Node's own socket errors look, and typed-array arguments.
 */
#ifndef FJORD_IO_COMMON_H
#define FJORD_IO_COMMON_H
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* Throws an Error with code (e.g. EADDRINUSE), errno (negative, as Node's) and syscall. */
napi_value throw_sys(napi_env env, const char *syscall, int err);
napi_value throw_type(napi_env env, const char *text);
/* A Uint8Array or Float64Array argument: its data and length in bytes; 0 if it is neither. */
int buffer_arg(napi_env env, napi_value v, uint8_t **data, size_t *len);
/* The external handle in argv[0] (an object made by open()); throws and returns NULL if not. */
void *handle_arg(napi_env env, napi_callback_info info, napi_value *argv, size_t want);
/*
 * Fills a socket address from an IPv4 or IPv6 literal and a port; returns its length, or 0 when
 * host is neither (then nothing is thrown: the caller says what it expected).
 */
socklen_t address_from(const char *host, int port, struct sockaddr_storage *out);
/*
 * A non-blocking socket of `type` (SOCK_DGRAM, SOCK_STREAM) bound to host (an IPv4 or IPv6
 * literal: an IPv6 socket is IPv6 only, as fjord's Node sockets are) and port, from two
 * JavaScript values; a stream socket gets SO_REUSEADDR first, as libuv gives node:net's. Returns
 * the descriptor, or -1 after throwing (TypeError for bad arguments, a system error otherwise).
 */
int bound_socket(napi_env env, napi_value host_v, napi_value port_v, int type);
/* getsockname(fd) as [host, port]; throws on error. */
napi_value socket_address(napi_env env, int fd);
/* Calls cb(n) through napi_make_callback; an exception goes to uncaughtException, as a listener's. */
void call_batch(napi_env env, napi_async_context async, napi_ref callback, int n);
/*
 * The life of a socket object shared with JavaScript (the first member of udp_batch.c's `sock`
 * and http_batch.c's `server`): a uv_poll_t on Node's loop, the onBatch callback, the shared
 * buffers kept alive, and a close that works from inside a batch, at environment teardown, and in
 * any order with JavaScript's garbage collection of the handle. The owner is freed when both its
 * poll handle has closed and JavaScript's handle has been collected.
 */
typedef struct io_handle io_handle;
struct io_handle {
  napi_env env;
  uv_poll_t poll;
  int in_batch;       /* inside onBatch */
  int closed;         /* close() was called (or the environment is going away) */
  int close_deferred; /* close() was called inside onBatch: the owner finishes it after the batch */
  int handle_closed;  /* uv_close's callback ran */
  int finalized;      /* JavaScript's handle was garbage-collected */
  int env_gone;       /* the environment's cleanup hook ran: no more Node-API calls */
  napi_ref callback;  /* onBatch */
  napi_ref buffers;   /* an array of the shared buffers, so they live as long as we use them */
  napi_async_context async;
  void (*close_fds)(io_handle *h); /* the owner closes its descriptors */
  void (*free_owner)(io_handle *h);
};
/*
 * Starts h (already zeroed, close_fds and free_owner set): keeps `keep` and `callback`, polls fd
 * with `poll_cb` for `events`, and returns JavaScript's handle for it (an external).
 */
napi_value io_start(napi_env env, io_handle *h, napi_value callback, napi_value keep, const char *name, int fd,
                    int events, uv_poll_cb poll_cb);
/* Calls onBatch(n) with in_batch set. */
void io_call(io_handle *h, int n);
/* Stops polling, closes the owner's descriptors, and lets the poll handle close (then frees). */
void io_finish_close(io_handle *h);
/* close(handle) for JavaScript: idempotent; inside onBatch it sets close_deferred instead. */
napi_value io_js_close(napi_env env, napi_callback_info info);

/* Defines an integer property. */
void set_int(napi_env env, napi_value obj, const char *name, int value);

napi_value udp_batch_init(napi_env env);
napi_value http_batch_init(napi_env env);
#endif
