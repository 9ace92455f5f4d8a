/* options.c - option numbers, ranges, defaults and validation. */
#include <stdlib.h>

#include "internal.h"

#define MiB (1024 * 1024)

static const iws__opt_int_spec INT_SPECS[] = {
    {IWS_OPT_PORT, 0, 65535, 0, "port"},
    {IWS_OPT_IO_THREADS, 0, 256, 0, "io_threads"},
    {IWS_OPT_WORKER_THREADS, 0, 256, 0, "worker_threads"},
    {IWS_OPT_MAX_CONNECTIONS, 0, INT64_C(1) << 32, 0, "max_connections"},
    {IWS_OPT_MAX_MESSAGE_SIZE, 1, INT64_C(1) << 31, 16 * MiB,
     "max_message_size"},
    {IWS_OPT_MAX_HANDSHAKE_SIZE, 256, MiB, 8192, "max_handshake_size"},
    {IWS_OPT_HANDSHAKE_TIMEOUT_MS, 0, 3600000, 10000, "handshake_timeout_ms"},
    {IWS_OPT_HEARTBEAT_INTERVAL_MS, 0, 86400000, 0, "heartbeat_interval_ms"},
    {IWS_OPT_HEARTBEAT_TIMEOUT_MS, 0, 86400000, 0, "heartbeat_timeout_ms"},
    {IWS_OPT_SEND_QUEUE_LIMIT, 0, INT64_C(1) << 40, 32 * MiB,
     "send_queue_limit"},
    {IWS_OPT_SEND_QUEUE_POLICY, IWS_QUEUE_CLOSE, IWS_QUEUE_ERROR,
     IWS_QUEUE_CLOSE, "send_queue_policy"},
    {IWS_OPT_TCP_NODELAY, 0, 1, 1, "tcp_nodelay"},
    {IWS_OPT_LISTEN_BACKLOG, 1, 65535, 511, "listen_backlog"},
    {IWS_OPT_CLOSE_TIMEOUT_MS, 1, 3600000, 5000, "close_timeout_ms"},
    {IWS_OPT_STOP_TIMEOUT_MS, 0, 3600000, 3000, "stop_timeout_ms"},
    {IWS_OPT_LOG_LEVEL, 0, IWS_LOG_DEBUG, IWS_LOG_WARN, "log_level"},
    {IWS_OPT_IPV6_ONLY, 0, 1, 0, "ipv6_only"},
    {IWS_OPT_ACCEPTS_POSTED, 0, 1024, 0, "accepts_posted"},
};

static const char *const STR_DEFAULTS[] = {"0.0.0.0", ""};

const iws__opt_int_spec *iws__opt_int_find(int32_t id) {
  size_t i;
  for (i = 0; i < sizeof(INT_SPECS) / sizeof(INT_SPECS[0]); i++)
    if (INT_SPECS[i].id == id) return &INT_SPECS[i];
  return NULL;
}

void iws__options_init(iws__options *o) {
  size_t i;
  memset(o, 0, sizeof(*o));
  for (i = 0; i < sizeof(INT_SPECS) / sizeof(INT_SPECS[0]); i++)
    o->ints[INT_SPECS[i].id] = INT_SPECS[i].def;
}

void iws__options_free(iws__options *o) {
  free(o->bind_address);
  free(o->subprotocols);
  o->bind_address = o->subprotocols = NULL;
}

int32_t iws__options_set_int(iws__options *o, int32_t id, int64_t value) {
  const iws__opt_int_spec *spec = iws__opt_int_find(id);
  if (!spec)
    return (id >= IWS__OPT_STR_FIRST && id <= IWS__OPT_STR_LAST)
               ? IWS_E_OPTION_TYPE
               : IWS_E_UNKNOWN_OPTION;
  if (value < spec->min || value > spec->max) return IWS_E_OPTION_RANGE;
  o->ints[id] = value;
  return IWS_OK;
}

/* An IPv4 or IPv6 literal, checked without the socket API so that the core
 * stays free of OS headers. Full parsing happens at bind time. */
static int plausible_address(const char *v) {
  size_t n = strlen(v), i, colons = 0, dots = 0;
  if (n == 0 || n > 45) return 0;
  for (i = 0; i < n; i++) {
    char c = v[i];
    if (c == ':') colons++;
    else if (c == '.') dots++;
    else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
               (c >= 'A' && c <= 'F')))
      return 0;
  }
  if (colons) return colons >= 2;
  if (dots != 3) return 0;
  for (i = 0; i < n; i++)
    if (!(v[i] == '.' || (v[i] >= '0' && v[i] <= '9'))) return 0;
  return 1;
}

int32_t iws__options_set_str(iws__options *o, int32_t id, const char *value) {
  char **slot;
  char *copy = NULL;
  if (id == IWS_OPT_BIND_ADDRESS) {
    slot = &o->bind_address;
    if (value && !plausible_address(value)) return IWS_E_ADDRESS;
  } else if (id == IWS_OPT_SUBPROTOCOLS) {
    slot = &o->subprotocols;
    if (value && strlen(value) > 4096) return IWS_E_OPTION_RANGE;
  } else {
    return iws__opt_int_find(id) ? IWS_E_OPTION_TYPE : IWS_E_UNKNOWN_OPTION;
  }
  if (value) {
    size_t n = strlen(value) + 1;
    copy = malloc(n);
    if (!copy) return IWS_E_NOMEM;
    memcpy(copy, value, n);
  }
  free(*slot);
  *slot = copy;
  return IWS_OK;
}

const char *iws__options_str(const iws__options *o, int32_t id) {
  if (id == IWS_OPT_BIND_ADDRESS)
    return o->bind_address ? o->bind_address : STR_DEFAULTS[0];
  if (id == IWS_OPT_SUBPROTOCOLS)
    return o->subprotocols ? o->subprotocols : STR_DEFAULTS[1];
  return NULL;
}
