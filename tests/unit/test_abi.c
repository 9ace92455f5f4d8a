/* Unit tests: the ABI - struct layout, versions, create's checks. These
 * figures are what the Pascal and C++ bindings mirror. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "iocpws.h"

#define PTR ((size_t)sizeof(void *))

static void callbacks_layout(void **state) {
  (void)state;
  assert_int_equal(offsetof(iws_callbacks, struct_size), 0);
  assert_int_equal(offsetof(iws_callbacks, reserved0), 4);
  assert_int_equal(offsetof(iws_callbacks, on_connect), 8);
  assert_int_equal(offsetof(iws_callbacks, on_message), 8 + PTR);
  assert_int_equal(offsetof(iws_callbacks, on_disconnect), 8 + 2 * PTR);
  assert_int_equal(offsetof(iws_callbacks, on_error), 8 + 3 * PTR);
  assert_int_equal(offsetof(iws_callbacks, on_log), 8 + 4 * PTR);
  /* Since 0.5 */
  assert_int_equal(offsetof(iws_callbacks, on_http_request), 8 + 5 * PTR);
  /* Since 0.6 */
  assert_int_equal(offsetof(iws_callbacks, on_open), 8 + 6 * PTR);
  assert_int_equal(offsetof(iws_callbacks, on_close), 8 + 7 * PTR);
  assert_int_equal(offsetof(iws_callbacks, on_heartbeat), 8 + 8 * PTR);
  assert_int_equal(offsetof(iws_callbacks, on_http_head), 8 + 9 * PTR);
  assert_int_equal(offsetof(iws_callbacks, on_http_body), 8 + 10 * PTR);
  assert_int_equal(sizeof(iws_callbacks), 8 + 11 * PTR);
}

static void stats_layout(void **state) {
  (void)state;
  assert_int_equal(offsetof(iws_stats, struct_size), 0);
  assert_int_equal(offsetof(iws_stats, connections_current), 8);
  assert_int_equal(offsetof(iws_stats, connections_total), 16);
  assert_int_equal(offsetof(iws_stats, handshakes_refused), 24);
  assert_int_equal(offsetof(iws_stats, messages_in), 32);
  assert_int_equal(offsetof(iws_stats, messages_out), 40);
  assert_int_equal(offsetof(iws_stats, bytes_in), 48);
  assert_int_equal(offsetof(iws_stats, bytes_out), 56);
  assert_int_equal(offsetof(iws_stats, bytes_queued), 64);
  /* Since 0.4 */
  assert_int_equal(offsetof(iws_stats, channels_current), 72);
  assert_int_equal(offsetof(iws_stats, subscriptions_current), 80);
  assert_int_equal(offsetof(iws_stats, publishes), 88);
  assert_int_equal(offsetof(iws_stats, redis_out), 96);
  assert_int_equal(offsetof(iws_stats, redis_in), 104);
  assert_int_equal(offsetof(iws_stats, redis_connected), 112);
  /* Since 0.5 */
  assert_int_equal(offsetof(iws_stats, http_requests), 120);
  assert_int_equal(offsetof(iws_stats, http_refused), 128);
  assert_int_equal(offsetof(iws_stats, http_connections_current), 136);
  assert_int_equal(sizeof(iws_stats), 144);
}

static void versions_agree(void **state) {
  char expected[32];
  (void)state;
  assert_int_equal(iws_version(), IWS_VERSION_NUMBER);
  assert_int_equal(iws_abi_version(), IWS_ABI_VERSION);
  snprintf(expected, sizeof(expected), "%d.%d.%d", IWS_VERSION_MAJOR,
           IWS_VERSION_MINOR, IWS_VERSION_PATCH);
  assert_string_equal(iws_version_string(), expected);
  assert_string_equal(IWS_VERSION_STRING, expected);
}

static void create_checks_abi_and_sizes(void **state) {
  iws_callbacks cb;
  iws_server *s = (iws_server *)&cb; /* must be reset to NULL on failure */
  (void)state;
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  assert_int_equal(iws_create(IWS_ABI_VERSION + 1, &cb, NULL, &s),
                   IWS_E_ABI_MISMATCH);
  assert_null(s);
  assert_int_equal(iws_create(0, &cb, NULL, &s), IWS_E_ABI_MISMATCH);
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, NULL),
                   IWS_E_INVALID_ARG);
  cb.struct_size = sizeof(cb) + 8; /* a caller newer than the library */
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s),
                   IWS_E_STRUCT_SIZE);
  cb.struct_size = 0;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s),
                   IWS_E_STRUCT_SIZE);
  /* An older, shorter table is accepted: missing entries count as NULL. */
  cb.struct_size = (uint32_t)offsetof(iws_callbacks, on_error);
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s), IWS_OK);
  assert_int_equal(iws_destroy(s), IWS_OK);
  assert_int_equal(iws_create(IWS_ABI_VERSION, NULL, NULL, &s), IWS_OK);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

static void every_code_has_a_name_and_message(void **state) {
  static const int32_t codes[] = {
      IWS_OK, IWS_E_INVALID_ARG, IWS_E_BAD_STATE, IWS_E_ABI_MISMATCH,
      IWS_E_UNKNOWN_OPTION, IWS_E_OPTION_TYPE, IWS_E_OPTION_RANGE,
      IWS_E_IN_CALLBACK, IWS_E_BUFFER_TOO_SMALL, IWS_E_INVALID_UTF8,
      IWS_E_STRUCT_SIZE, IWS_E_CLOSE_CODE, IWS_E_TOO_LONG,
      IWS_E_NO_CONNECTION, IWS_E_CLOSING, IWS_E_QUEUE_FULL,
      IWS_E_MESSAGE_TOO_BIG, IWS_E_PROTOCOL, IWS_E_HANDSHAKE, IWS_E_TIMEOUT,
      IWS_E_CONNECTION_LOST, IWS_E_NOMEM, IWS_E_SYSTEM, IWS_E_THREAD,
      IWS_E_ADDRESS, IWS_E_BIND, IWS_E_LISTEN,
      /* Since 0.4 */
      IWS_E_CHANNEL_NAME, IWS_E_UNSUPPORTED, IWS_E_REDIS};
  size_t i, j;
  (void)state;
  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    assert_string_not_equal(iws_strerror(codes[i]), "unknown error");
    assert_string_not_equal(iws_error_name(codes[i]), "IWS_E_UNKNOWN");
    for (j = 0; j < i; j++) assert_int_not_equal(codes[i], codes[j]);
  }
  assert_string_equal(iws_error_name(IWS_E_QUEUE_FULL), "IWS_E_QUEUE_FULL");
  assert_string_equal(iws_strerror(-12345), "unknown error");
  assert_string_equal(iws_error_name(12345), "IWS_E_UNKNOWN");
}

static void library_reports_its_layout(void **state) {
  (void)state;
  assert_int_equal(iws_struct_layout("iws_callbacks", NULL),
                   (int32_t)sizeof(iws_callbacks));
  assert_int_equal(iws_struct_layout("iws_callbacks", "on_log"),
                   (int32_t)offsetof(iws_callbacks, on_log));
  assert_int_equal(iws_struct_layout("iws_stats", NULL),
                   (int32_t)sizeof(iws_stats));
  assert_int_equal(iws_struct_layout("iws_stats", "bytes_queued"),
                   (int32_t)offsetof(iws_stats, bytes_queued));
  assert_int_equal(iws_struct_layout("iws_stats", "struct_size"), 0);
  assert_int_equal(iws_struct_layout("iws_stats", "redis_connected"),
                   (int32_t)offsetof(iws_stats, redis_connected));
  assert_int_equal(iws_struct_layout("iws_stats", "no_such_field"),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_struct_layout("iws_nothing", NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_struct_layout(NULL, "on_log"), IWS_E_INVALID_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(callbacks_layout),
      cmocka_unit_test(stats_layout),
      cmocka_unit_test(library_reports_its_layout),
      cmocka_unit_test(versions_agree),
      cmocka_unit_test(create_checks_abi_and_sizes),
      cmocka_unit_test(every_code_has_a_name_and_message),
  };
  return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
