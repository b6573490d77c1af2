/*
 * libFuzzer harness for native/io/udp_batch.c: datagrams in batches.
 *
 * The input scripts the kernel's side of recvmmsg (how many datagrams, each one's length up to
 * 65,535 bytes and beyond a slot, MSG_TRUNC, the source address's family and length, errors
 * reported from ICMP) and of sendmmsg (all sent, part, EAGAIN/ENOBUFS back-pressure, a refused
 * reply), and an onBatch that plays JavaScript: it checks the batch metadata the C code wrote
 * (length, family, port, reply length reset to 0) and writes reply lengths from the input,
 * including negative ones and ones larger than an output slot, sometimes closing the socket from
 * inside the batch. The fake sendmmsg checks each reply stays inside its output slot and goes to
 * the address its request came from.
 *
 * Functions under test: receive, describe, call_js, queue_replies, flush, set_events, on_poll,
 * js_open's slot layout, and common.c's io_* lifecycle around them.
 */
#include "fake.c"

static int fz_recvmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags, struct timespec *timeout);
static int fz_sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags);
#include "redirect.h"
#define NODE_GYP_MODULE_NAME fjord_io
#include "../../native/io/common.c"
#include "../../native/io/udp_batch.c"

napi_value http_batch_init(napi_env env) {
  napi_value v;
  napi_create_object(env, &v);
  return v;
}

static uint8_t *fz_udp_input, *fz_udp_overflow;
static int32_t fz_udp_len[64], fz_udp_family[64];
static int fz_udp_batch; /* datagrams in the last recvmmsg */

static void fz_touch(struct iovec *iov, size_t n) {
  /* The kernel writes the datagram's first and last byte: AddressSanitizer checks the span. */
  if (n == 0) return;
  ((volatile uint8_t *)iov->iov_base)[0] = 'u';
  ((volatile uint8_t *)iov->iov_base)[n - 1] = 'u';
}

static int fz_recvmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags, struct timespec *timeout) {
  (void)flags;
  (void)timeout;
  FZ_CHECK(fz_owned(fd, "recvmmsg")->kind == FZ_UDP, "recvmmsg on the UDP socket");
  FZ_CHECK(vlen >= 1 && vlen <= 64, "recvmmsg vlen");
  uint8_t c = fz_u8();
  if (fz_left() == 0 || c < 0x20) {
    errno = EAGAIN;
    return -1;
  }
  if (c < 0x28) {
    static const int errs[] = {EINTR, ECONNREFUSED, EHOSTUNREACH, ENOMEM, EINTR, ENETUNREACH, EPERM, EIO};
    errno = errs[c & 7];
    return -1;
  }
  unsigned n = 1 + fz_u8() % vlen;
  for (unsigned i = 0; i < n; i++) {
    struct msghdr *h = &v[i].msg_hdr;
    FZ_CHECK(h->msg_iovlen == 2, "two iovecs per slot");
    fz_check_span(h->msg_iov[0].iov_base, h->msg_iov[0].iov_len, fz_udp_input, IN_SLOT, 64 * IN_SLOT,
                  "the first iovec is its input slot");
    fz_check_span(h->msg_iov[1].iov_base, h->msg_iov[1].iov_len, fz_udp_overflow, IN_OVERFLOW, 64 * IN_OVERFLOW,
                  "the second iovec is its overflow slot");
    size_t want = fz_u16(), cap = h->msg_iov[0].iov_len + h->msg_iov[1].iov_len;
    size_t got = want < cap ? want : cap;
    size_t first = got < h->msg_iov[0].iov_len ? got : h->msg_iov[0].iov_len;
    fz_bytes(h->msg_iov[0].iov_base, first);
    fz_touch(&h->msg_iov[0], first);
    fz_touch(&h->msg_iov[1], got - first);
    v[i].msg_len = (unsigned)got;
    h->msg_flags = want > cap ? MSG_TRUNC : 0;
    uint8_t a = fz_u8();
    socklen_t room = h->msg_namelen;
    FZ_CHECK(room >= sizeof(struct sockaddr_in6), "room for an IPv6 source address");
    struct sockaddr_in6 addr;
    memset(&addr, 0, sizeof addr);
    socklen_t len;
    if (a < 0x80) {
      struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
      v4->sin_family = AF_INET;
      v4->sin_port = htons(fz_u16());
      fz_bytes((uint8_t *)&v4->sin_addr, 4);
      len = sizeof *v4;
    } else if (a < 0xf0) {
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(fz_u16());
      fz_bytes((uint8_t *)&addr.sin6_addr, 16);
      len = sizeof addr;
    } else {
      /* What a kernel should never give a UDP socket: another family, or a short address. */
      addr.sin6_family = (a & 1) ? AF_UNSPEC : (a & 2) ? AF_INET6 : AF_INET;
      len = fz_u8() % (sizeof addr + 1);
    }
    memcpy(h->msg_name, &addr, len);
    h->msg_namelen = len;
    fz_udp_len[i] = (int32_t)got;
    fz_udp_family[i] = a < 0x80 ? 4 : a < 0xf0 ? 6 : -1;
  }
  fz_udp_batch = (int)n;
  return (int)n;
}

static int fz_sendmmsg(int fd, struct mmsghdr *v, unsigned int vlen, int flags) {
  (void)flags;
  FZ_CHECK(fz_owned(fd, "sendmmsg")->kind == FZ_UDP, "sendmmsg on the UDP socket");
  FZ_CHECK(vlen >= 1 && vlen <= 64, "sendmmsg vlen");
  for (unsigned i = 0; i < vlen; i++) {
    struct msghdr *h = &v[i].msg_hdr;
    FZ_CHECK(h->msg_iovlen == 1 && h->msg_iov[0].iov_len >= 1, "one non-empty iovec per reply");
    fz_check_span(h->msg_iov[0].iov_base, h->msg_iov[0].iov_len, fz_out_base, fz_out_slot, fz_out_total,
                  "a reply stays in its output slot");
    volatile uint8_t sum = 0;
    for (size_t k = 0; k < h->msg_iov[0].iov_len; k++) sum ^= ((const uint8_t *)h->msg_iov[0].iov_base)[k];
    for (socklen_t k = 0; k < h->msg_namelen; k++) sum ^= ((const uint8_t *)h->msg_name)[k];
    (void)sum;
  }
  uint8_t c = fz_u8();
  switch (c >> 5) {
    case 0:
    case 1:
    case 2:
      return (int)vlen;
    case 3:
      return 1 + (int)(fz_u8() % vlen);
    case 4:
      errno = EAGAIN;
      return -1;
    case 5:
      errno = ENOBUFS;
      return -1;
    case 6:
      errno = EINTR;
      return -1;
    default:
      errno = (c & 1) ? EMSGSIZE : EPERM;
      return -1;
  }
}

static sock *fz_s;
static napi_value fz_handle;

static void fz_on_batch(int n) {
  sock *s = fz_s;
  FZ_CHECK(n == fz_udp_batch, "onBatch(n) with the datagrams received");
  for (int i = 0; i < n; i++) {
    uint8_t *m = s->meta + (size_t)i * META_SLOT;
    int32_t v[4];
    memcpy(v, m, sizeof v);
    FZ_CHECK(v[0] == fz_udp_len[i], "meta length is the datagram's");
    if (fz_udp_family[i] > 0) FZ_CHECK(v[1] == fz_udp_family[i], "meta family is the source's");
    else FZ_CHECK(v[1] == 0 || v[1] == 4 || v[1] == 6, "meta family 0, 4 or 6");
    FZ_CHECK(v[2] >= 0 && v[2] <= 65535, "meta port");
    FZ_CHECK(v[3] == 0, "reply length starts at 0");
  }
  for (int i = 0; i < n; i++) {
    uint8_t k = fz_u8();
    int32_t len;
    if (k == 0xff) {
      napi_value argv[1] = {fz_handle};
      fz_call(io_js_close, 1, argv);
      continue;
    }
    if (k < 0x10) len = (int32_t)fz_u32();
    else if (k < 0x20) len = -(int32_t)(k & 0xf);
    else if (k < 0x40) len = 0;
    else len = (int32_t)(fz_u16() % (s->out_slot + 16));
    memcpy(s->meta + (size_t)i * META_SLOT + 12, &len, 4);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t *input, *overflow, *meta;
  if (input == NULL) {
    input = malloc(64 * IN_SLOT);
    overflow = malloc(64 * IN_OVERFLOW);
    meta = malloc(64 * META_SLOT);
  }
  fz_begin(data, size);
  size_t out_slot = 16 + fz_u16() % 2048;
  uint8_t *output = malloc(64 * out_slot);
  double *counters = calloc(C_COUNT, sizeof(double));
  fz_udp_input = input;
  fz_udp_overflow = overflow;
  fz_out_base = output;
  fz_out_slot = out_slot;
  fz_out_total = 64 * out_slot;
  napi_value host = fz_value(V_STR);
  host->p = (void *)((fz_u8() & 1) ? "::1" : "127.0.0.1");
  napi_value argv[11] = {host,
                         fz_int(0),
                         fz_int(0),
                         fz_int(0),
                         fz_value(V_FN),
                         fz_typed(V_U8, input, 64 * IN_SLOT),
                         fz_typed(V_U8, overflow, 64 * IN_OVERFLOW),
                         fz_typed(V_U8, meta, 64 * META_SLOT),
                         fz_typed(V_U8, output, 64 * out_slot),
                         fz_int((int32_t)out_slot),
                         fz_typed(V_F64, counters, C_COUNT * sizeof(double))};
  fz_handle = fz_call(js_open, 11, argv);
  FZ_CHECK(!fz_thrown && fz_handle != NULL && fz_handle->kind == V_EXTERNAL, "open succeeds");
  fz_s = (sock *)fz_handle->p;
  sock *s = fz_s;
  while (fz_left() > 0 && !s->h.closed) {
    uint8_t op = fz_u8();
    if (op < 0xf0) {
      FZ_CHECK(fz_poll_active, "the poll is running");
      fz_poll_cb(&s->h.poll, 0, fz_poll_events);
    } else if (op < 0xf8) {
      fz_poll_cb(&s->h.poll, -EBADF, 0);
    } else {
      break;
    }
    if (!s->h.closed) {
      FZ_CHECK(s->send_pos >= 0 && s->send_pos <= s->send_count && s->send_count <= SLOTS, "pending replies");
      FZ_CHECK((s->events == UV_WRITABLE) == (s->send_pos < s->send_count),
               "waiting for writable exactly when replies are pending");
      FZ_CHECK(fz_poll_events == s->events, "the poll waits for what the socket says");
    }
  }
  fz_finish(fz_handle, s->h.closed, io_js_close, counters, C_COUNT,
            "batches received sent recv_errors send_errors send_blocked last_errno polls truncated");
  fz_check_all_closed();
  free(output);
  free(counters);
  return 0;
}
