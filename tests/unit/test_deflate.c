/* Unit tests: permessage-deflate negotiation (RFC 7692 5, 7.1) and the
 * compress / inflate streams (RFC 7692 7.2), including the inflate limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "deflate.h"

static const iws__pmd_config DEFAULTS = {15, 15, 1, 1};
static const iws__pmd_config TAKEOVER = {15, 15, 0, 0};

/* Negotiates one header value; returns the status, fills *p and the
 * answer. */
static int offer(const char *value, const iws__pmd_config *cfg,
                 iws__pmd_params *p, char *answer) {
  const char *values[1];
  int status;
  values[0] = value;
  status = iws__pmd_negotiate(values, 1, cfg, p);
  answer[0] = '\0';
  if (status == 0 && p->enabled) iws__pmd_response(p, answer, 200);
  return status;
}

static void plain_offer_gets_the_defaults(void **state) {
  iws__pmd_params p;
  char a[200];
  (void)state;
  assert_int_equal(offer("permessage-deflate", &DEFAULTS, &p, a), 0);
  assert_true(p.enabled);
  assert_int_equal(p.server_bits, 15);
  assert_int_equal(p.client_bits, 15);
  assert_true(p.server_no_context_takeover);
  assert_true(p.client_no_context_takeover);
  assert_string_equal(a, "permessage-deflate; server_no_context_takeover; "
                         "client_no_context_takeover");
  /* Context takeover allowed: nothing to say. */
  assert_int_equal(offer("permessage-deflate", &TAKEOVER, &p, a), 0);
  assert_string_equal(a, "permessage-deflate");
  assert_false(p.server_no_context_takeover);
  assert_false(p.client_no_context_takeover);
}

/* The longest answer (both flags, two two-digit window sizes) is 128
 * characters: it fits the buffer the handshake uses. */
static void longest_answer_fits(void **state) {
  iws__pmd_params p;
  char a[200], small[IWS__PMD_RESPONSE_SIZE];
  iws__pmd_config cfg = DEFAULTS;
  (void)state;
  assert_int_equal(offer("permessage-deflate; server_no_context_takeover; "
                         "client_no_context_takeover; "
                         "server_max_window_bits=12; "
                         "client_max_window_bits=12",
                         &cfg, &p, a),
                   0);
  assert_int_equal(strlen(a), 128);
  assert_int_equal(iws__pmd_response(&p, small, sizeof(small)), 128);
  assert_string_equal(small, a);
  /* One byte short: 0, never a cut answer. */
  assert_int_equal(iws__pmd_response(&p, small, 128), 0);
}

static void browser_offer(void **state) {
  iws__pmd_params p;
  char a[200];
  iws__pmd_config cfg = TAKEOVER;
  (void)state;
  /* What Chromium, Firefox and Node ws send. */
  assert_int_equal(
      offer("permessage-deflate; client_max_window_bits", &cfg, &p, a), 0);
  assert_true(p.enabled);
  assert_int_equal(p.client_bits, 15);
  assert_string_equal(a, "permessage-deflate; client_max_window_bits=15");
  cfg.client_max_window_bits = 10;
  assert_int_equal(
      offer("permessage-deflate; client_max_window_bits", &cfg, &p, a), 0);
  assert_int_equal(p.client_bits, 10);
  assert_string_equal(a, "permessage-deflate; client_max_window_bits=10");
}

static void every_parameter(void **state) {
  iws__pmd_params p;
  char a[200];
  iws__pmd_config cfg = TAKEOVER;
  (void)state;
  cfg.server_max_window_bits = 12;
  assert_int_equal(offer("permessage-deflate; server_no_context_takeover; "
                         "client_no_context_takeover; "
                         "server_max_window_bits=10; "
                         "client_max_window_bits=11",
                         &cfg, &p, a),
                   0);
  assert_true(p.enabled);
  assert_int_equal(p.server_bits, 10);
  assert_int_equal(p.client_bits, 11);
  assert_true(p.server_no_context_takeover);
  assert_true(p.client_no_context_takeover);
  assert_string_equal(a, "permessage-deflate; server_no_context_takeover; "
                         "client_no_context_takeover; "
                         "server_max_window_bits=10; "
                         "client_max_window_bits=11");
  /* The client allows more than we use: we answer with ours. */
  assert_int_equal(offer("permessage-deflate; server_max_window_bits=15",
                         &cfg, &p, a),
                   0);
  assert_int_equal(p.server_bits, 12);
  assert_string_equal(a, "permessage-deflate; server_max_window_bits=12");
  /* Quoted values, case-insensitive names, spaces and tabs. */
  assert_int_equal(offer("Permessage-Deflate ;\tclient_max_window_bits = "
                         "\"9\" ; SERVER_NO_CONTEXT_TAKEOVER",
                         &cfg, &p, a),
                   0);
  assert_true(p.enabled);
  assert_int_equal(p.client_bits, 9);
  assert_true(p.server_no_context_takeover);
}

static void declined_offers_fall_back(void **state) {
  iws__pmd_params p;
  char a[200];
  static const char *const declined[] = {
      "permessage-deflate; server_max_window_bits=8", /* zlib cannot */
      "permessage-deflate; server_max_window_bits",   /* value required */
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=010",
      "permessage-deflate; client_max_window_bits=0",
      "permessage-deflate; client_max_window_bits=abc",
      "permessage-deflate; client_max_window_bits=\"1\\0\"",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover; "
      "client_no_context_takeover",
      "permessage-deflate; unknown_parameter",
      "x-webkit-deflate-frame",
      "foo, bar; baz=1",
      "",
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(declined) / sizeof(declined[0]); i++) {
    assert_int_equal(offer(declined[i], &DEFAULTS, &p, a), 0);
    assert_false(p.enabled);
  }
  /* The first acceptable offer wins; a declined one before it is skipped. */
  assert_int_equal(
      offer("permessage-deflate; server_max_window_bits=8, "
            "permessage-deflate; server_max_window_bits=9, "
            "permessage-deflate",
            &DEFAULTS, &p, a),
      0);
  assert_true(p.enabled);
  assert_int_equal(p.server_bits, 9);
  /* Several header lines are one list. */
  {
    const char *values[2] = {"foo", "permessage-deflate; "
                                    "client_max_window_bits=12"};
    assert_int_equal(iws__pmd_negotiate(values, 2, &DEFAULTS, &p), 0);
    assert_true(p.enabled);
    assert_int_equal(p.client_bits, 12);
  }
}

static void unparseable_headers_are_400(void **state) {
  iws__pmd_params p;
  char a[200];
  static const char *const bad[] = {
      ";",
      "permessage-deflate;",
      "permessage-deflate; =1",
      "permessage-deflate; client_max_window_bits=",
      "permessage-deflate; client_max_window_bits=\"10",
      "permessage-deflate client_max_window_bits",
      "permessage-deflate; a=b c",
      "perm@ssage-deflate",
      "permessage-deflate, ;x",
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(offer(bad[i], &DEFAULTS, &p, a), 400);
    assert_false(p.enabled);
  }
  /* Empty list elements are allowed (RFC 7230 7). */
  assert_int_equal(offer(" , permessage-deflate ,", &DEFAULTS, &p, a), 0);
  assert_true(p.enabled);
}

/* ---- streams ---- */

static void round_trip(size_t len, int compressible, int takeover) {
  iws__pmd_deflate_cfg cfg = {15, 8, 6};
  iws__zstream *tx = NULL, *rx = NULL;
  uint8_t *data = malloc(len ? len : 1), *z, *out;
  size_t zlen, out_len, i;
  int round;
  assert_non_null(data);
  for (i = 0; i < len; i++)
    data[i] = compressible ? (uint8_t)("abcabcabd"[i % 9])
                           : (uint8_t)(rand() >> 7);
  for (round = 0; round < 3; round++) {
    z = iws__pmd_compress(takeover ? &tx : NULL, 0, &cfg, data, len, &zlen);
    assert_non_null(z);
    if (compressible && len > 1000) assert_true(zlen < len / 10);
    assert_int_equal(iws__pmd_inflate(takeover ? &rx : NULL, 15, z, zlen,
                                      len, &out, &out_len),
                     IWS__PMD_OK);
    assert_int_equal(out_len, len);
    if (len) assert_memory_equal(out, data, len);
    free(out);
    free(z);
  }
  iws__pmd_stream_free(tx);
  iws__pmd_stream_free(rx);
  free(data);
}

static void streams_round_trip(void **state) {
  static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 1 << 20};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    round_trip(sizes[i], 1, 0);
    round_trip(sizes[i], 1, 1);
    round_trip(sizes[i], 0, 0);
    round_trip(sizes[i], 0, 1);
  }
}

static void empty_message_is_one_byte(void **state) {
  iws__pmd_deflate_cfg cfg = {15, 8, 6};
  size_t zlen;
  uint8_t *z = iws__pmd_compress(NULL, 0, &cfg, "", 0, &zlen);
  (void)state;
  assert_non_null(z);
  assert_int_equal(zlen, 1); /* RFC 7692 7.2.3.6: 0x00 */
  assert_int_equal(z[0], 0);
  free(z);
}

static void context_takeover_shrinks_repeats(void **state) {
  iws__pmd_deflate_cfg cfg = {15, 8, 6};
  iws__zstream *tx = NULL;
  static const char msg[] =
      "{\"type\":\"quote\",\"symbol\":\"ACME\",\"bid\":101.25,\"ask\":101.5}";
  size_t first, second;
  uint8_t *z;
  (void)state;
  z = iws__pmd_compress(&tx, 0, &cfg, msg, sizeof(msg) - 1, &first);
  free(z);
  z = iws__pmd_compress(&tx, 0, &cfg, msg, sizeof(msg) - 1, &second);
  free(z);
  assert_true(second < first / 2);
  /* fresh: as if it were the first message again */
  z = iws__pmd_compress(&tx, 1, &cfg, msg, sizeof(msg) - 1, &second);
  free(z);
  assert_int_equal(second, first);
  iws__pmd_stream_free(tx);
}

static void inflate_stops_at_the_limit(void **state) {
  iws__pmd_deflate_cfg cfg = {15, 8, 9};
  size_t len = 64u << 20, zlen, out_len = 0;
  uint8_t *zeros = calloc(1, len), *z, *out = NULL;
  (void)state;
  assert_non_null(zeros);
  z = iws__pmd_compress(NULL, 0, &cfg, zeros, len, &zlen);
  free(zeros);
  assert_non_null(z);
  assert_true(zlen < 128 * 1024);
  assert_int_equal(
      iws__pmd_inflate(NULL, 15, z, zlen, 1u << 20, &out, &out_len),
      IWS__PMD_TOO_BIG);
  /* exactly at the limit is fine */
  assert_int_equal(iws__pmd_inflate(NULL, 15, z, zlen, len, &out, &out_len),
                   IWS__PMD_OK);
  assert_int_equal(out_len, len);
  free(out);
  free(z);
}

static void corrupt_data_is_refused(void **state) {
  static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x12, 0x34};
  uint8_t *out = NULL;
  size_t out_len;
  (void)state;
  assert_int_equal(
      iws__pmd_inflate(NULL, 15, junk, sizeof(junk), 1000, &out, &out_len),
      IWS__PMD_CORRUPT);
  /* the thread's stream is usable afterwards */
  assert_int_equal(iws__pmd_inflate(NULL, 15, "\x00", 1, 1000, &out, &out_len),
                   IWS__PMD_OK);
  assert_int_equal(out_len, 0);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plain_offer_gets_the_defaults),
      cmocka_unit_test(browser_offer),
      cmocka_unit_test(longest_answer_fits),
      cmocka_unit_test(every_parameter),
      cmocka_unit_test(declined_offers_fall_back),
      cmocka_unit_test(unparseable_headers_are_400),
      cmocka_unit_test(streams_round_trip),
      cmocka_unit_test(empty_message_is_one_byte),
      cmocka_unit_test(context_takeover_shrinks_repeats),
      cmocka_unit_test(inflate_stops_at_the_limit),
      cmocka_unit_test(corrupt_data_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
