# Built by scripts/build-native.js (npm install runs it); Linux only (recvmmsg/sendmmsg, epoll).
{
  "targets": [
    {
      "target_name": "fjord_io",
      "sources": ["common.c", "udp_batch.c", "http_batch.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
