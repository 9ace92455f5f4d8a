/* options.c - option numbers, ranges, defaults and validation. */
#include <stdlib.h>

#include "../core/core.h"
#include "../pubsub/channels.h"

#define MiB (1024 * 1024)

static const iws__opt_int_spec INT_SPECS[] = {
    {IWS_OPT_PORT, -1, 65535, 0, "port"},
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
    {IWS_OPT_TLS_PORT, -1, 65535, -1, "tls_port"},
    {IWS_OPT_TLS_MIN_VERSION, IWS_TLS_1_2, IWS_TLS_1_3, IWS_TLS_1_2,
     "tls_min_version"},
    {IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS, 0, 3600000, 10000,
     "tls_handshake_timeout_ms"},
    {IWS_OPT_TLS_VERIFY_CLIENT, IWS_TLS_VERIFY_NONE, IWS_TLS_VERIFY_REQUIRE,
     IWS_TLS_VERIFY_NONE, "tls_verify_client"},
    {IWS_OPT_TLS_VERIFY_DEPTH, 0, 100, 9, "tls_verify_depth"},
    {IWS_OPT_DEFLATE, 0, 1, 0, "deflate"},
    {IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS, 9, 15, 15,
     "deflate_server_max_window_bits"},
    {IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS, 9, 15, 15,
     "deflate_client_max_window_bits"},
    {IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER, 0, 1, 1,
     "deflate_server_no_context_takeover"},
    {IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER, 0, 1, 1,
     "deflate_client_no_context_takeover"},
    {IWS_OPT_DEFLATE_MEM_LEVEL, 1, 9, 8, "deflate_mem_level"},
    {IWS_OPT_DEFLATE_LEVEL, 0, 9, 6, "deflate_level"},
    {IWS_OPT_DEFLATE_THRESHOLD, 0, INT64_C(1) << 31, 64, "deflate_threshold"},
    {IWS_OPT_DEFLATE_MAX_INFLATED_SIZE, 0, INT64_C(1) << 31, 0,
     "deflate_max_inflated_size"},
    {IWS_OPT_REDIS_RECONNECT_MAX_MS, 100, 600000, 5000,
     "redis_reconnect_max_ms"},
    {IWS_OPT_HTTP_MAX_BODY_SIZE, 0, INT64_C(1) << 31, MiB,
     "http_max_body_size"},
    {IWS_OPT_HTTP_MAX_URI_LENGTH, 16, MiB, 8192, "http_max_uri_length"},
    {IWS_OPT_HTTP_REQUEST_TIMEOUT_MS, 0, 3600000, 30000,
     "http_request_timeout_ms"},
    {IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, 0, 3600000, 15000,
     "http_keepalive_timeout_ms"},
    {IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS, 0, 3600000, 60000,
     "http_response_timeout_ms"},
    {IWS_OPT_HTTP_MAX_PIPELINED, 1, 1024, 16, "http_max_pipelined"},
    {IWS_OPT_INCOMPLETE_MESSAGES_LIMIT, 0, INT64_C(1) << 40,
     sizeof(void *) >= 8 ? 256 * MiB : 64 * MiB,
     "incomplete_messages_limit"},
    {IWS_OPT_TCP_KEEPALIVE, 0, 1, 0, "tcp_keepalive"},
    {IWS_OPT_TCP_KEEPALIVE_TIME_MS, 1, 32767000, 7200000,
     "tcp_keepalive_time_ms"},
    {IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS, 1, 32767000, 1000,
     "tcp_keepalive_interval_ms"},
    {IWS_OPT_HEARTBEAT_IF_IDLE, 0, 1, 0, "heartbeat_if_idle"},
};

/* String options: number, default, longest value accepted, name. */
typedef struct str_spec {
  int32_t id;
  const char *def;
  size_t max_len;
  const char *name;
} str_spec;

#define PATH_MAX_LEN 4096
#define PEM_MAX_LEN (1024 * 1024)

static const str_spec STR_SPECS[IWS__OPT_STR_COUNT] = {
    {IWS_OPT_BIND_ADDRESS, "0.0.0.0", 45, "bind_address"},
    {IWS_OPT_SUBPROTOCOLS, "", 4096, "subprotocols"},
    {IWS_OPT_TLS_CERT_FILE, "", PATH_MAX_LEN, "tls_cert_file"},
    {IWS_OPT_TLS_KEY_FILE, "", PATH_MAX_LEN, "tls_key_file"},
    {IWS_OPT_TLS_CA_FILE, "", PATH_MAX_LEN, "tls_ca_file"},
    {IWS_OPT_TLS_PASSWORD, "", 1024, "tls_password"},
    {IWS_OPT_TLS_CERT_PEM, "", PEM_MAX_LEN, "tls_cert_pem"},
    {IWS_OPT_TLS_KEY_PEM, "", PEM_MAX_LEN, "tls_key_pem"},
    {IWS_OPT_TLS_CA_PEM, "", PEM_MAX_LEN, "tls_ca_pem"},
    {IWS_OPT_TLS_CIPHERS, "", 4096, "tls_ciphers"},
    {IWS_OPT_TLS_CIPHERSUITES, "", 4096, "tls_ciphersuites"},
    {IWS_OPT_TLS_CLIENT_CA_FILE, "", PATH_MAX_LEN, "tls_client_ca_file"},
    {IWS_OPT_TLS_CLIENT_CA_PEM, "", PEM_MAX_LEN, "tls_client_ca_pem"},
    /* 10014..10039: holes (id 0 = unknown) */
    [IWS_OPT_REDIS_URL - IWS__OPT_STR_FIRST] = {IWS_OPT_REDIS_URL, "", 2048,
                                                "redis_url"},
    [IWS_OPT_REDIS_PREFIX - IWS__OPT_STR_FIRST] = {IWS_OPT_REDIS_PREFIX,
                                                   "iws:", 200,
                                                   "redis_prefix"},
    [IWS_OPT_HTTP_DOCUMENT_ROOT - IWS__OPT_STR_FIRST] = {
        IWS_OPT_HTTP_DOCUMENT_ROOT, "", PATH_MAX_LEN, "http_document_root"},
    [IWS_OPT_HTTP_INDEX_FILE - IWS__OPT_STR_FIRST] = {
        IWS_OPT_HTTP_INDEX_FILE, "index.html", 255, "http_index_file"},
};

static const str_spec *str_find(int32_t id) {
  if (id < IWS__OPT_STR_FIRST || id > IWS__OPT_STR_LAST) return NULL;
  if (STR_SPECS[id - IWS__OPT_STR_FIRST].id != id) return NULL; /* a hole */
  return &STR_SPECS[id - IWS__OPT_STR_FIRST];
}

const char *iws__opt_str_name(int32_t id) {
  const str_spec *spec = str_find(id);
  return spec ? spec->name : NULL;
}

size_t iws__opt_str_max(int32_t id) {
  const str_spec *spec = str_find(id);
  return spec ? spec->max_len : 0;
}

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
  size_t i;
  for (i = 0; i < IWS__OPT_STR_COUNT; i++) {
    if (o->strs[i] && STR_SPECS[i].id == IWS_OPT_TLS_PASSWORD)
      memset(o->strs[i], 0, strlen(o->strs[i])); /* no secret left behind */
    free(o->strs[i]);
    o->strs[i] = NULL;
  }
}

int32_t iws__options_set_int(iws__options *o, int32_t id, int64_t value) {
  const iws__opt_int_spec *spec = iws__opt_int_find(id);
  if (!spec)
    return iws__opt_str_name(id) != NULL
               ? IWS_E_OPTION_TYPE
               : IWS_E_UNKNOWN_OPTION;
  if (value < spec->min || value > spec->max) return IWS_E_OPTION_RANGE;
  o->ints[id] = value;
  return IWS_OK;
}

/* An IPv4 or IPv6 literal, checked without the socket API so that the core
 * stays free of OS headers. Full parsing happens at bind time. */
int iws__plausible_address(const char *v) {
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
  const str_spec *spec = str_find(id);
  char **slot;
  char *copy = NULL;
  if (!spec)
    return iws__opt_int_find(id) ? IWS_E_OPTION_TYPE : IWS_E_UNKNOWN_OPTION;
  slot = &o->strs[id - IWS__OPT_STR_FIRST];
  if (id == IWS_OPT_BIND_ADDRESS && value && !iws__plausible_address(value))
    return IWS_E_ADDRESS;
  if (value && strlen(value) > spec->max_len) return IWS_E_OPTION_RANGE;
  if (id == IWS_OPT_REDIS_URL && value && value[0] && !iws__redis_available())
    return IWS_E_UNSUPPORTED;
  if (value) {
    size_t n = strlen(value) + 1;
    copy = malloc(n);
    if (!copy) return IWS_E_NOMEM;
    memcpy(copy, value, n);
  }
  if (*slot && id == IWS_OPT_TLS_PASSWORD) memset(*slot, 0, strlen(*slot));
  free(*slot);
  *slot = copy;
  return IWS_OK;
}

const char *iws__options_str(const iws__options *o, int32_t id) {
  const str_spec *spec = str_find(id);
  const char *v;
  if (!spec) return NULL;
  v = o->strs[id - IWS__OPT_STR_FIRST];
  return v ? v : spec->def;
}
