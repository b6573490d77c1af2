/*
 * libFuzzer harness for native/io/http_batch.c: the HTTP connections kept in C.
 *
 * The input scripts a whole life of the listener: poll callbacks whose epoll events, accepted
 * connections (with IPv4 or IPv6 peers), reads (bytes split anywhere, EOF, resets, EAGAIN) and
 * sends (whole, partial, refused) all come from the input, interleaved with sweep() and a clock
 * that jumps, and an onBatch that plays JavaScript: it checks what the batch says (framing: the
 * head's end is the first "\r\n\r\n" or -1 with a full slot; lengths inside the slot; a real
 * connection; address family; -2, where the addon reports a bare LF, only with one) and answers
 * with reply lengths from the input (negative, zero, larger than a slot), detach() of some slots
 * (twice, or of slots that are not in the batch: both must throw), and close() from inside the
 * batch. At the end the listener is closed (or the environment torn down) and every descriptor
 * must be closed and every byte freed.
 *
 * Functions under test: head_end, first_read, read_head, next_slot, enqueue, dispatch,
 * send_reply, finish_reply, on_conn_event (WRITING, DRAINING), accept_some, watch, js_detach,
 * js_sweep, close_server_fds, and common.c's io_* lifecycle around them.
 */
#include "fake.c"
#include "redirect.h"
#define NODE_GYP_MODULE_NAME fjord_io
#include "../../native/io/common.c"
#include "../../native/io/http_batch.c"

napi_value udp_batch_init(napi_env env) {
  napi_value v;
  napi_create_object(env, &v);
  return v;
}

static server *fz_s;
static napi_value fz_handle;
static int fz_js_fds[FZ_MAXFD], fz_njs; /* descriptors JavaScript was handed by detach() */

static napi_value fz_detach(int32_t slot) {
  napi_value argv[2] = {fz_handle, fz_int(slot)};
  return fz_call(js_detach, 2, argv);
}

static void fz_on_batch(int n) {
  server *s = fz_s;
  FZ_CHECK(n >= 1 && n <= H_SLOTS, "batch size in 1..SLOTS");
  for (int i = 0; i < n; i++) {
    const uint8_t *m = s->meta + (size_t)i * H_META;
    const uint8_t *slot = s->input + (size_t)i * s->in_slot;
    int32_t v[12];
    memcpy(v, m, sizeof v);
    int32_t end = v[0], family = v[1], port = v[2], reply = v[3], fd = v[8], len = v[9], detached = v[10];
    FZ_CHECK(len >= 1 && (size_t)len <= s->in_slot, "bytes in the slot within 1..inSlot");
    FZ_CHECK(family == 4 || family == 6, "address family 4 or 6");
    FZ_CHECK(port >= 0 && port <= 65535, "port");
    FZ_CHECK(reply == 0 && detached == 0, "reply length and detached start at 0");
    FZ_CHECK(fd >= 0 && fd < FZ_MAXFD && fz_fds[fd].kind == FZ_CONN, "a connection of ours");
    if (end == -2) {
      /* A head refused for a bare LF (the addon may report one instead of waiting for the end). */
      int bare = 0;
      for (int32_t k = 0; k < len && !bare; k++) bare = slot[k] == '\n' && (k == 0 || slot[k - 1] != '\r');
      FZ_CHECK(bare, "a bare LF refused only when there is one");
    } else if (end < 0) {
      FZ_CHECK(end == -1 && (size_t)len == s->in_slot, "no head end only when the slot is full");
      FZ_CHECK(memmem(slot, (size_t)len, "\r\n\r\n", 4) == NULL, "no head end only when there is none");
    } else {
      FZ_CHECK(end < len && (slot[end] == '\r' || slot[end] == '\n'), "the head end is in the slot");
      size_t upto = (size_t)end + 3 < (size_t)len ? (size_t)end + 3 : (size_t)len;
      FZ_CHECK(memmem(slot, upto, "\r\n\r\n", 4) == NULL, "the head end is the first one");
    }
  }
  for (int i = 0; i < n; i++) {
    uint8_t *m = s->meta + (size_t)i * H_META;
    uint8_t a = fz_u8();
    if (a < 0x20) {
      int32_t fd;
      memcpy(&fd, m + 32, 4);
      napi_value r = fz_detach(i);
      FZ_CHECK(!fz_thrown && r != NULL && r->kind == V_INT && r->i == fd, "detach returns the descriptor");
      fz_fds[fd].kind = FZ_JS;
      fz_open_conns--;
      fz_js_fds[fz_njs++] = fd;
      fz_detach(i);
      FZ_CHECK(fz_thrown, "a second detach throws");
    } else if (a < 0x28) {
      int32_t bad = (a & 1) ? -1 - (int32_t)fz_u8() : n + (int32_t)fz_u8();
      fz_detach(bad);
      FZ_CHECK(fz_thrown, "detach of a slot outside the batch throws");
    } else if (a == 0x28) {
      napi_value argv[2] = {fz_handle, fz_int(0)};
      napi_value r = fz_call(js_sweep, 2, argv);
      FZ_CHECK(!fz_thrown && r->i == 0, "sweep inside a batch closes nothing");
    } else if (a == 0x29) {
      napi_value argv[1] = {fz_handle};
      fz_call(io_js_close, 1, argv);
    } else {
      /* A reply: any length, as a bug in JavaScript could write it. */
      int32_t len;
      uint8_t k = fz_u8();
      if (k < 0x10) len = (int32_t)fz_u32();
      else if (k < 0x20) len = -(int32_t)(k & 0xf);
      else len = (int32_t)(fz_u16() % (s->out_slot + 16));
      uint8_t *out = s->output + (size_t)i * s->out_slot;
      size_t fill = len > 0 ? ((size_t)len < s->out_slot ? (size_t)len : s->out_slot) : 0;
      memset(out, 'r', fill);
      memcpy(m + 12, &len, 4);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_begin(data, size);
  fz_njs = 0;
  size_t in_slot = 64 + fz_u16() % 4096, out_slot = 64 + fz_u16() % 1024;
  /* Exactly the sizes open() is given, so AddressSanitizer sees a slot overrun past the last one. */
  uint8_t *input = malloc(H_SLOTS * in_slot), *meta = malloc(H_SLOTS * H_META), *output = malloc(H_SLOTS * out_slot);
  double *counters = calloc(H_COUNT, sizeof(double));
  fz_in_base = input;
  fz_in_slot = in_slot;
  fz_in_total = H_SLOTS * in_slot;
  fz_out_base = output;
  fz_out_slot = out_slot;
  fz_out_total = H_SLOTS * out_slot;
  napi_value host = fz_value(V_STR);
  host->p = (void *)((fz_u8() & 1) ? "::1" : "127.0.0.1");
  napi_value on_batch = fz_value(V_FN);
  napi_value argv[10] = {host,
                         fz_int(0),
                         fz_int(511),
                         on_batch,
                         fz_typed(V_U8, input, H_SLOTS * in_slot),
                         fz_typed(V_U8, meta, H_SLOTS * H_META),
                         fz_typed(V_U8, output, H_SLOTS * out_slot),
                         fz_int((int32_t)in_slot),
                         fz_int((int32_t)out_slot),
                         fz_typed(V_F64, counters, H_COUNT * sizeof(double))};
  fz_handle = fz_call(js_open, 10, argv);
  FZ_CHECK(!fz_thrown && fz_handle != NULL && fz_handle->kind == V_EXTERNAL, "open succeeds");
  fz_s = (server *)fz_handle->p;
  server *s = fz_s;

  while (fz_left() > 0 && !s->h.closed) {
    uint8_t op = fz_u8();
    if (op < 0xd0) {
      FZ_CHECK(fz_poll_active, "the poll is running");
      fz_poll_cb(&s->h.poll, 0, UV_READABLE);
    } else if (op < 0xd8) {
      fz_poll_cb(&s->h.poll, -EBADF, 0);
    } else if (op < 0xf8) {
      fz_clock_ms += (uint64_t)fz_u8() * 1000;
      napi_value sw[2] = {fz_handle, fz_int(fz_u8() % 40)};
      napi_value r = fz_call(js_sweep, 2, sw);
      FZ_CHECK(!fz_thrown && r->i >= 0, "sweep returns a count");
    } else if (op < 0xfc) {
      napi_value sw[2] = {fz_handle, fz_int(-1)};
      fz_call(js_sweep, 2, sw);
      FZ_CHECK(fz_thrown, "sweep with a negative idle throws");
    } else {
      break;
    }
    FZ_CHECK(s->h.closed || s->counters[H_OPEN] == fz_open_conns, "the open counter matches the descriptors");
    for (int i = 0; i < fz_njs; i++) fz_js_close(fz_js_fds[i]);
    fz_njs = 0;
  }
  fz_finish(fz_handle, s->h.closed, io_js_close, counters, H_COUNT,
            "batches accepted requests open accept_errors accept_pauses write_errors write_blocked read_errors "
            "closed_early timed_out detached last_errno polls");
  for (int i = 0; i < fz_njs; i++) fz_js_close(fz_js_fds[i]);
  fz_check_all_closed();
  free(input);
  free(meta);
  free(output);
  free(counters);
  return 0;
}
