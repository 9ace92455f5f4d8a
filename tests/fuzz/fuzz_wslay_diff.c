/* Differential fuzz target: the same bytes to the in-tree, patched wslay
 * and to a pristine build of the same upstream commit (tests/fuzz/run.sh
 * builds it from dll/third_party/wslay with patches/ reverse-applied and
 * checks every file against upstream-blobs.txt). Any difference in the
 * recorded events (tests/fuzz/wslay_diff_driver.c: frame starts, frame
 * payloads, messages, bytes sent back, return values, close codes) aborts
 * with the first event that differs. */
#include <stdio.h>
#include <stdlib.h>

#include "wslay_diff.h"

static const char *kind_name(uint32_t k) {
  static const char *names[] = {"?", "init-failed", "frame-start", "frame-payload",
                                "message", "sent", "recv-rv", "send-rv",
                                "partial", "end", "queued"};
  return k < sizeof names / sizeof names[0] ? names[k] : "?";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct iwsdiff_log a, b;
  iwsdiff_run_patched(data, size, &a);
  iwsdiff_run_pristine(data, size, &b);
  if (a.count == b.count && a.all == b.all)
    return 0;
  size_t n = a.count < b.count ? a.count : b.count;
  if (n > IWSDIFF_MAX_EVENTS)
    n = IWSDIFF_MAX_EVENTS;
  size_t i = 0;
  while (i < n && a.kind[i] == b.kind[i] && a.hash[i] == b.hash[i])
    i++;
  fprintf(stderr,
          "fuzz_wslay_diff: patched and pristine wslay differ at event %zu "
          "(patched: %zu events, %s; pristine: %zu events, %s)\n",
          i, a.count, i < a.count && i < IWSDIFF_MAX_EVENTS ? kind_name(a.kind[i]) : "-",
          b.count, i < b.count && i < IWSDIFF_MAX_EVENTS ? kind_name(b.kind[i]) : "-");
  abort();
}
