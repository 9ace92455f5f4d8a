/*
 * fuzz_options.c - libFuzzer target for option validation
 * (dll/api/options.c) and the start-time checks that read options
 * (resolving threads and timeouts, TLS configuration), on the fake back end.
 *
 * Input: records of [1 byte kind][2 bytes option][8 bytes value or a
 * NUL-ended string]; kind selects set_int / set_str / get_int / get_str /
 * set_str(NULL) / start+stop.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  iws_server *s = NULL;
  size_t off = 0;
  int starts = 0;
  if (iws_create(IWS_ABI_VERSION, NULL, NULL, &s) != IWS_OK) abort();
  iws_set_int(s, IWS_OPT_LOG_LEVEL, 0);
  while (off + 3 <= size) {
    uint8_t kind = data[off];
    int32_t opt = (int32_t)(data[off + 1] | (data[off + 2] << 8));
    /* Mostly known options (bit 6), strings or integers (bit 7); else any
     * number. File options would make OpenSSL read whatever path the input
     * names (/dev/zero never ends): their in-memory twins are used. */
    if (kind & 0x40) opt = opt % 24 + (kind & 0x80 ? 10000 : 0);
    if (opt >= 10003 && opt <= 10005) opt += 4;
    off += 3;
    switch (kind & 7) {
      case 0:
      case 1: {
        int64_t v = 0;
        size_t n = size - off < 8 ? size - off : 8;
        memcpy(&v, data + off, n);
        off += n;
        if (kind & 0x20) v = (int8_t)v; /* small values are the edges */
        (void)iws_set_int(s, opt, v);
        break;
      }
      case 2: {
        const uint8_t *end = memchr(data + off, 0, size - off);
        size_t n = end ? (size_t)(end - (data + off)) : size - off;
        char *v = malloc(n + 1);
        memcpy(v, data + off, n);
        v[n] = '\0';
        off += n + (end ? 1 : 0);
        (void)iws_set_str(s, opt, v);
        free(v);
        break;
      }
      case 3: {
        int64_t v;
        (void)iws_get_int(s, opt, &v);
        break;
      }
      case 4: {
        char buf[64];
        uint32_t need = 0;
        (void)iws_get_str(s, opt, buf, (uint32_t)(kind >> 3) & 63, &need);
        break;
      }
      case 5:
        (void)iws_set_str(s, opt, NULL);
        break;
      case 6:
        if (starts++ < 2) {
          /* Threads are real even on the fake back end: keep them few. */
          int64_t w = 0;
          iws_get_int(s, IWS_OPT_WORKER_THREADS, &w);
          if (w > 2) iws_set_int(s, IWS_OPT_WORKER_THREADS, 2);
          if (iws_start(s) == IWS_OK) iws_stop(s);
        }
        break;
      default: {
        char msg[128];
        (void)iws_last_error(s, msg, (uint32_t)(kind >> 3));
        break;
      }
    }
  }
  iws_destroy(s);
  return 0;
}
