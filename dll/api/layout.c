/* layout.c - the layout of the public structs as this library was compiled,
 * so that bindings in other languages (Pascal records, C++ wrappers, FFI)
 * can check their mirror of iocpws.h against the real thing. */
#include <stddef.h>
#include <string.h>

#include "../core/core.h"

typedef struct layout_entry {
  const char *struct_name;
  const char *field_name; /* NULL: the struct's size */
  size_t value;
} layout_entry;

#define IWS__SIZE(s) {#s, NULL, sizeof(s)}
#define IWS__FIELD(s, f) {#s, #f, offsetof(s, f)}

static const layout_entry layout_table[] = {
    IWS__SIZE(iws_callbacks),
    IWS__FIELD(iws_callbacks, struct_size),
    IWS__FIELD(iws_callbacks, reserved0),
    IWS__FIELD(iws_callbacks, on_connect),
    IWS__FIELD(iws_callbacks, on_message),
    IWS__FIELD(iws_callbacks, on_disconnect),
    IWS__FIELD(iws_callbacks, on_error),
    IWS__FIELD(iws_callbacks, on_log),
    IWS__FIELD(iws_callbacks, on_http_request),
    IWS__FIELD(iws_callbacks, on_open),
    IWS__FIELD(iws_callbacks, on_close),
    IWS__FIELD(iws_callbacks, on_heartbeat),
    IWS__FIELD(iws_callbacks, on_http_head),
    IWS__FIELD(iws_callbacks, on_http_body),
    IWS__SIZE(iws_stats),
    IWS__FIELD(iws_stats, struct_size),
    IWS__FIELD(iws_stats, reserved0),
    IWS__FIELD(iws_stats, connections_current),
    IWS__FIELD(iws_stats, connections_total),
    IWS__FIELD(iws_stats, handshakes_refused),
    IWS__FIELD(iws_stats, messages_in),
    IWS__FIELD(iws_stats, messages_out),
    IWS__FIELD(iws_stats, bytes_in),
    IWS__FIELD(iws_stats, bytes_out),
    IWS__FIELD(iws_stats, bytes_queued),
    IWS__FIELD(iws_stats, channels_current),
    IWS__FIELD(iws_stats, subscriptions_current),
    IWS__FIELD(iws_stats, publishes),
    IWS__FIELD(iws_stats, redis_out),
    IWS__FIELD(iws_stats, redis_in),
    IWS__FIELD(iws_stats, redis_connected),
    IWS__FIELD(iws_stats, http_requests),
    IWS__FIELD(iws_stats, http_refused),
    IWS__FIELD(iws_stats, http_connections_current),
};

IWS_API int32_t IWS_CALL iws_struct_layout(const char *struct_name,
                                           const char *field_name) {
  size_t i;
  if (!struct_name) return IWS_E_INVALID_ARG;
  for (i = 0; i < sizeof(layout_table) / sizeof(layout_table[0]); i++) {
    const layout_entry *e = &layout_table[i];
    if (strcmp(e->struct_name, struct_name) != 0) continue;
    if (field_name == NULL ? e->field_name == NULL
                           : e->field_name && !strcmp(e->field_name, field_name))
      return (int32_t)e->value;
  }
  return IWS_E_INVALID_ARG;
}
