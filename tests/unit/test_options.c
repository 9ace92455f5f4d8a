/* Unit tests: option defaults, ranges and types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"

static void defaults(void **state) {
  iws__options o;
  (void)state;
  iws__options_init(&o);
  assert_int_equal(o.ints[IWS_OPT_PORT], 0);
  assert_int_equal(o.ints[IWS_OPT_MAX_MESSAGE_SIZE], 16 * 1024 * 1024);
  assert_int_equal(o.ints[IWS_OPT_MAX_HANDSHAKE_SIZE], 8192);
  assert_int_equal(o.ints[IWS_OPT_HANDSHAKE_TIMEOUT_MS], 10000);
  assert_int_equal(o.ints[IWS_OPT_TCP_NODELAY], 1);
  assert_int_equal(o.ints[IWS_OPT_SEND_QUEUE_POLICY], IWS_QUEUE_CLOSE);
  assert_int_equal(o.ints[IWS_OPT_LOG_LEVEL], IWS_LOG_WARN);
  assert_string_equal(iws__options_str(&o, IWS_OPT_BIND_ADDRESS), "0.0.0.0");
  assert_string_equal(iws__options_str(&o, IWS_OPT_SUBPROTOCOLS), "");
  /* TLS (0.3): no TLS listener, TLS 1.2 at least, 10 s handshake. */
  assert_int_equal(o.ints[IWS_OPT_TLS_PORT], -1);
  assert_int_equal(o.ints[IWS_OPT_TLS_MIN_VERSION], IWS_TLS_1_2);
  assert_int_equal(o.ints[IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS], 10000);
  assert_string_equal(iws__options_str(&o, IWS_OPT_TLS_CERT_FILE), "");
  assert_string_equal(iws__options_str(&o, IWS_OPT_TLS_CIPHERSUITES), "");
  /* permessage-deflate (0.4): off; when on, nothing kept per connection. */
  assert_int_equal(o.ints[IWS_OPT_DEFLATE], 0);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS], 15);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS], 15);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER], 1);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER], 1);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_MEM_LEVEL], 8);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_LEVEL], 6);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_THRESHOLD], 64);
  assert_int_equal(o.ints[IWS_OPT_DEFLATE_MAX_INFLATED_SIZE], 0);
  /* client certificates (0.6): not asked for; depth 9 when they are. */
  assert_int_equal(o.ints[IWS_OPT_TLS_VERIFY_CLIENT], IWS_TLS_VERIFY_NONE);
  assert_int_equal(o.ints[IWS_OPT_TLS_VERIFY_DEPTH], 9);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_TLS_VERIFY_CLIENT, 3),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_TLS_VERIFY_DEPTH, 101),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_TLS_VERIFY_CLIENT,
                                        IWS_TLS_VERIFY_REQUIRE),
                   IWS_OK);
  /* TCP keep-alive (0.6): off; sgc's TCPKeepAlive defaults (2 h, 1 s). */
  assert_int_equal(o.ints[IWS_OPT_TCP_KEEPALIVE], 0);
  assert_int_equal(o.ints[IWS_OPT_TCP_KEEPALIVE_TIME_MS], 7200000);
  assert_int_equal(o.ints[IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS], 1000);
  iws__options_free(&o);
}

/* Integer option numbers with no option in this tree: 24..29 are reserved
 * for work landing beside permessage-deflate (30..38). */
static int unused_number(int32_t id) {
  return (id >= 24 && id <= 29) || id == 39 || (id >= 41 && id <= 49);
}

static void every_option_number_is_known(void **state) {
  int32_t id;
  (void)state;
  /* Numbers in use: 1..21 (0.1-0.3), 30..38 (deflate), 40 (channels),
   * 50..55 (HTTP, 0.5); the ones between are unused and must stay
   * unknown. */
  for (id = 1; id <= IWS__OPT_INT_LAST; id++) {
    if (unused_number(id))
      assert_null(iws__opt_int_find(id));
    else
      assert_non_null(iws__opt_int_find(id));
  }
  assert_null(iws__opt_int_find(0));
  assert_null(iws__opt_int_find(IWS__OPT_INT_LAST + 1));
  assert_null(iws__opt_int_find(IWS_OPT_BIND_ADDRESS));
  for (id = IWS__OPT_STR_FIRST; id <= IWS__OPT_STR_LAST; id++) {
    if ((id > IWS_OPT_TLS_CLIENT_CA_PEM && id < IWS_OPT_REDIS_URL) ||
        (id > IWS_OPT_REDIS_PREFIX && id < IWS_OPT_HTTP_DOCUMENT_ROOT))
      assert_null(iws__opt_str_name(id)); /* holes */
    else
      assert_non_null(iws__opt_str_name(id));
  }
  assert_null(iws__opt_str_name(IWS__OPT_STR_LAST + 1));
  /* The numbers are the ABI: pinned. */
  assert_int_equal(IWS_OPT_TLS_PORT, 19);
  assert_int_equal(IWS_OPT_TLS_MIN_VERSION, 20);
  assert_int_equal(IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS, 21);
  assert_int_equal(IWS_OPT_TLS_CERT_FILE, 10003);
  assert_int_equal(IWS_OPT_TLS_CIPHERSUITES, 10011);
  /* client certificates (0.6) */
  assert_int_equal(IWS_OPT_TLS_VERIFY_CLIENT, 22);
  assert_int_equal(IWS_OPT_TLS_VERIFY_DEPTH, 23);
  assert_int_equal(IWS_OPT_TLS_CLIENT_CA_FILE, 10012);
  assert_int_equal(IWS_OPT_TLS_CLIENT_CA_PEM, 10013);
  /* permessage-deflate (0.4) */
  assert_int_equal(IWS_OPT_DEFLATE, 30);
  assert_int_equal(IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS, 31);
  assert_int_equal(IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS, 32);
  assert_int_equal(IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER, 33);
  assert_int_equal(IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER, 34);
  assert_int_equal(IWS_OPT_DEFLATE_MEM_LEVEL, 35);
  assert_int_equal(IWS_OPT_DEFLATE_LEVEL, 36);
  assert_int_equal(IWS_OPT_DEFLATE_THRESHOLD, 37);
  assert_int_equal(IWS_OPT_DEFLATE_MAX_INFLATED_SIZE, 38);
  assert_int_equal(IWS_OPT_REDIS_RECONNECT_MAX_MS, 40);
  assert_int_equal(IWS_OPT_REDIS_URL, 10040);
  assert_int_equal(IWS_OPT_REDIS_PREFIX, 10041);
  /* HTTP (0.5) */
  assert_int_equal(IWS_OPT_HTTP_MAX_BODY_SIZE, 50);
  assert_int_equal(IWS_OPT_HTTP_MAX_URI_LENGTH, 51);
  assert_int_equal(IWS_OPT_HTTP_REQUEST_TIMEOUT_MS, 52);
  assert_int_equal(IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, 53);
  assert_int_equal(IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS, 54);
  assert_int_equal(IWS_OPT_HTTP_MAX_PIPELINED, 55);
  assert_int_equal(IWS_OPT_HTTP_DOCUMENT_ROOT, 10050);
  assert_int_equal(IWS_OPT_HTTP_INDEX_FILE, 10051);
  /* TCP keep-alive (0.6) */
  assert_int_equal(IWS_OPT_TCP_KEEPALIVE, 57);
  assert_int_equal(IWS_OPT_TCP_KEEPALIVE_TIME_MS, 58);
  assert_int_equal(IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS, 59);
  /* heartbeat only for quiet connections (0.6) */
  assert_int_equal(IWS_OPT_HEARTBEAT_IF_IDLE, 60);
}

static void ranges_are_enforced(void **state) {
  iws__options o;
  int32_t id;
  (void)state;
  iws__options_init(&o);
  for (id = 1; id <= IWS__OPT_INT_LAST; id++) {
    const iws__opt_int_spec *spec = iws__opt_int_find(id);
    if (unused_number(id)) continue;
    assert_non_null(spec);
    assert_int_equal(iws__options_set_int(&o, id, spec->min), IWS_OK);
    assert_int_equal(iws__options_set_int(&o, id, spec->max), IWS_OK);
    assert_int_equal(iws__options_set_int(&o, id, spec->max + 1),
                     IWS_E_OPTION_RANGE);
    if (spec->min > INT64_MIN)
      assert_int_equal(iws__options_set_int(&o, id, spec->min - 1),
                       IWS_E_OPTION_RANGE);
    assert_int_equal(o.ints[id], spec->max); /* failed sets change nothing */
  }
  /* -1 = no plain listener (0.3); below that is out of range. */
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_PORT, -1), IWS_OK);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_PORT, -2),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_TLS_PORT, -2),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_TLS_MIN_VERSION, 11),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_TLS_MIN_VERSION, 14),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_PORT, 65536),
                   IWS_E_OPTION_RANGE);
  iws__options_free(&o);
}

static void types_and_unknown_numbers(void **state) {
  iws__options o;
  (void)state;
  iws__options_init(&o);
  assert_int_equal(iws__options_set_int(&o, 9999, 1), IWS_E_UNKNOWN_OPTION);
  assert_int_equal(iws__options_set_int(&o, -5, 1), IWS_E_UNKNOWN_OPTION);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_BIND_ADDRESS, 1),
                   IWS_E_OPTION_TYPE);
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_PORT, "1"),
                   IWS_E_OPTION_TYPE);
  assert_int_equal(iws__options_set_str(&o, 10999, "x"), IWS_E_UNKNOWN_OPTION);
  assert_int_equal(iws__options_set_str(&o, IWS__OPT_STR_LAST + 1, "x"),
                   IWS_E_UNKNOWN_OPTION);
  assert_int_equal(iws__options_set_int(&o, IWS_OPT_TLS_CERT_FILE, 1),
                   IWS_E_OPTION_TYPE);
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_TLS_PORT, "443"),
                   IWS_E_OPTION_TYPE);
  iws__options_free(&o);
}

static void bind_addresses(void **state) {
  iws__options o;
  static const char *const good[] = {"0.0.0.0", "127.0.0.1", "::", "::1",
                                     "fe80::1:2", "2001:db8::ff00:42:8329"};
  static const char *const bad[] = {"", "localhost", "1.2.3", "1.2.3.4.5",
                                    "::g", "1.2.3.4 ", "example.com"};
  size_t i;
  (void)state;
  iws__options_init(&o);
  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    assert_int_equal(iws__options_set_str(&o, IWS_OPT_BIND_ADDRESS, good[i]),
                     IWS_OK);
    assert_string_equal(iws__options_str(&o, IWS_OPT_BIND_ADDRESS), good[i]);
  }
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(iws__options_set_str(&o, IWS_OPT_BIND_ADDRESS, bad[i]),
                     IWS_E_ADDRESS);
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_BIND_ADDRESS, NULL),
                   IWS_OK);
  assert_string_equal(iws__options_str(&o, IWS_OPT_BIND_ADDRESS), "0.0.0.0");
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_SUBPROTOCOLS, "a,b"),
                   IWS_OK);
  assert_string_equal(iws__options_str(&o, IWS_OPT_SUBPROTOCOLS), "a,b");
  iws__options_free(&o);
}

static void tls_strings(void **state) {
  iws__options o;
  static char big[1024 * 1024 + 2];
  int32_t id;
  (void)state;
  iws__options_init(&o);
  for (id = IWS_OPT_TLS_CERT_FILE; id <= IWS_OPT_TLS_CLIENT_CA_PEM; id++) {
    assert_int_equal(iws__options_set_str(&o, id, "x"), IWS_OK);
    assert_string_equal(iws__options_str(&o, id), "x");
    assert_int_equal(iws__options_set_str(&o, id, NULL), IWS_OK);
    assert_string_equal(iws__options_str(&o, id), "");
  }
  /* A PEM in memory may be up to 1 MiB; paths 4096 bytes. */
  memset(big, 'A', sizeof(big) - 2);
  big[sizeof(big) - 2] = '\0';
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_TLS_CERT_PEM, big),
                   IWS_OK);
  big[sizeof(big) - 2] = 'A';
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_TLS_CERT_PEM, big),
                   IWS_E_OPTION_RANGE);
  big[4097] = '\0';
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_TLS_CERT_FILE, big),
                   IWS_E_OPTION_RANGE);
  big[4096] = '\0';
  assert_int_equal(iws__options_set_str(&o, IWS_OPT_TLS_CERT_FILE, big),
                   IWS_OK);
  iws__options_free(&o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(defaults),
      cmocka_unit_test(every_option_number_is_known),
      cmocka_unit_test(ranges_are_enforced),
      cmocka_unit_test(types_and_unknown_numbers),
      cmocka_unit_test(bind_addresses),
      cmocka_unit_test(tls_strings),
  };
  return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
