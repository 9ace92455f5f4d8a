/* redis_none.c - the Redis link of a build without hiredis: the library
 * says it has none (IWS_OPT_REDIS_URL then returns IWS_E_UNSUPPORTED), and
 * channels stay inside each server. */
#include <stdio.h>

#include "channels.h"

int iws__redis_available(void) { return 0; }

int32_t iws__redis_start(iws_server *s, const char *url, const char *prefix,
                         uint64_t reconnect_max_ms, char *err, size_t errlen) {
  (void)s;
  (void)url;
  (void)prefix;
  (void)reconnect_max_ms;
  if (errlen) snprintf(err, errlen, "built without Redis (hiredis)");
  return IWS_E_UNSUPPORTED;
}

void iws__redis_publish(iws__redis *r, const char *name, size_t len,
                        uint32_t opcode, const void *data, size_t dlen) {
  (void)r;
  (void)name;
  (void)len;
  (void)opcode;
  (void)data;
  (void)dlen;
}

void iws__redis_stop(iws__redis *r) { (void)r; }
void iws__redis_free(iws__redis *r) { (void)r; }

const char *iws__redis_client_version(void) { return NULL; }
