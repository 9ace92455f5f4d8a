/* What tests/fuzz/wslay_diff_driver.c records of one wslay run; shared by
 * its two builds (patched, pristine) and fuzz_wslay_diff.c. */
#ifndef IWS_FUZZ_WSLAY_DIFF_H
#define IWS_FUZZ_WSLAY_DIFF_H

#include <stddef.h>
#include <stdint.h>

enum {
  IWSDIFF_EV_INIT_FAILED = 1,
  IWSDIFF_EV_FRAME_START,   /* a: fin << 16 | rsv << 8 | opcode, b: length */
  IWSDIFF_EV_FRAME_PAYLOAD, /* a: hash of the frame's payload, b: its length */
  IWSDIFF_EV_MESSAGE,       /* a: rsv << 8 | opcode, b: status << 32 | len */
  IWSDIFF_EV_SENT,          /* bytes wslay wrote back */
  IWSDIFF_EV_RECV_RV,       /* wslay_event_recv's return value */
  IWSDIFF_EV_SEND_RV,       /* wslay_event_send's return value */
  IWSDIFF_EV_PARTIAL,       /* payload of an unfinished frame at the end */
  IWSDIFF_EV_END,           /* close received/sent, status codes */
  IWSDIFF_EV_QUEUED         /* queued messages, read enabled */
};

#define IWSDIFF_MAX_EVENTS 4096

struct iwsdiff_log {
  size_t count;   /* events (may exceed IWSDIFF_MAX_EVENTS) */
  uint64_t all;   /* hash over every event's hash, in order */
  uint32_t kind[IWSDIFF_MAX_EVENTS];
  uint64_t hash[IWSDIFF_MAX_EVENTS];
};

void iwsdiff_run_patched(const uint8_t *data, size_t size, struct iwsdiff_log *log);
void iwsdiff_run_pristine(const uint8_t *data, size_t size, struct iwsdiff_log *log);

#endif
