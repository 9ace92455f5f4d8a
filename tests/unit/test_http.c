/* Unit tests: the pure parts of plain HTTP (dll/http/http_parse.c) -
 * chunked decoding at every split point, percent-decoding, the decoded
 * target and parameters, body framing (the request-smuggling defences),
 * header validation and dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http_parse.h"

/* ---- chunked ---- */

/* Decodes `in` fed as two pieces split at `split`; returns the status and
 * fills out (NUL-terminated) and *used_total. */
static int decode_split(const char *in, size_t split, uint64_t limit,
                        iws__bytes *out, size_t *used_total) {
  iws__chunked st;
  size_t len = strlen(in), used = 0;
  int r;
  memset(&st, 0, sizeof(st));
  memset(out, 0, sizeof(*out));
  *used_total = 0;
  r = iws__chunked_feed(&st, (const uint8_t *)in, split, &used, out, limit);
  *used_total += used;
  if (r == IWS__CHUNKED_MORE) {
    assert_int_equal(used, split);
    r = iws__chunked_feed(&st, (const uint8_t *)in + split, len - split,
                          &used, out, limit);
    *used_total += used;
  }
  iws__bytes_append(out, "", 1);
  return r;
}

static void chunked_every_split_point(void **state) {
  static const char body[] =
      "1\r\na\r\n"
      "1F;name=value;other=\"q\"\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"
      "0a \t;x\r\ncccccccccc\r\n"
      "0;last\r\nX-Trailer: yes\r\nAnother: one\r\n\r\n"
      "GET /next"; /* the next request: not consumed */
  size_t split, len = strlen(body), tail = strlen("GET /next");
  (void)state;
  for (split = 0; split <= len; split++) {
    iws__bytes out;
    size_t used;
    int r = decode_split(body, split, 1000, &out, &used);
    assert_int_equal(r, IWS__CHUNKED_DONE);
    assert_int_equal(used, len - tail);
    assert_string_equal((const char *)out.data,
                        "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcccccccccc");
    iws__bytes_free(&out);
  }
}

static void chunked_one_byte_at_a_time(void **state) {
  static const char body[] = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  iws__chunked st;
  iws__bytes out;
  size_t i, used;
  int r = IWS__CHUNKED_MORE;
  (void)state;
  memset(&st, 0, sizeof(st));
  memset(&out, 0, sizeof(out));
  for (i = 0; i < strlen(body); i++) {
    assert_int_equal(r, IWS__CHUNKED_MORE);
    r = iws__chunked_feed(&st, (const uint8_t *)body + i, 1, &used, &out,
                          100);
    assert_int_equal(used, 1);
  }
  assert_int_equal(r, IWS__CHUNKED_DONE);
  assert_int_equal(out.len, 11);
  assert_memory_equal(out.data, "hello world", 11);
  iws__bytes_free(&out);
}

static void chunked_malformed(void **state) {
  static const char *bad[] = {
      "\r\n",                       /* no size */
      "g\r\n",                      /* not hex */
      "5\nhello\r\n0\r\n\r\n",      /* LF without CR */
      "5\r\nhelloX\r\n",            /* data not followed by CRLF */
      "ffffffffffffffff\r\n",       /* 16 digits: overflow */
      "-1\r\n",                     /* sign */
      "5 x\r\n",                    /* junk after the size */
      "0\r\nBad\nTrailer\r\n\r\n",  /* LF inside a trailer line */
      "0\r\n\n",                    /* bare LF as the end */
      "3;a\001b\r\n",               /* control in an extension */
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    iws__bytes out;
    size_t used;
    int r = decode_split(bad[i], strlen(bad[i]), 1 << 20, &out, &used);
    if (r != IWS__CHUNKED_BAD) fail_msg("accepted: %s", bad[i]);
    iws__bytes_free(&out);
  }
}

static void chunked_limit(void **state) {
  iws__bytes out;
  size_t used;
  (void)state;
  assert_int_equal(decode_split("5\r\nhello\r\n0\r\n\r\n", 3, 5, &out, &used),
                   IWS__CHUNKED_DONE);
  iws__bytes_free(&out);
  assert_int_equal(decode_split("5\r\nhello\r\n1\r\nx\r\n0\r\n\r\n", 0, 5,
                                &out, &used),
                   IWS__CHUNKED_TOO_BIG);
  iws__bytes_free(&out);
  /* refused from the size line alone, before any data */
  assert_int_equal(decode_split("fffffff\r\n", 9, 1000, &out, &used),
                   IWS__CHUNKED_TOO_BIG);
  iws__bytes_free(&out);
}

static void chunked_extension_flood(void **state) {
  size_t n = IWS__CHUNKED_META_MAX + 100, used;
  char *in = malloc(n + 8);
  iws__bytes out;
  (void)state;
  assert_non_null(in);
  in[0] = '1';
  in[1] = ';';
  memset(in + 2, 'e', n);
  in[n + 2] = '\0';
  assert_int_equal(decode_split(in, n / 2, 1000, &out, &used),
                   IWS__CHUNKED_BAD);
  iws__bytes_free(&out);
  free(in);
}

/* ---- percent-decoding and parameters ---- */

static void pct_decoding(void **state) {
  char out[64];
  (void)state;
  assert_int_equal(iws__pct_decode("/a%20b/%C3%A9", 13, out, 0, 1), 7);
  assert_string_equal(out, "/a b/\xc3\xa9");
  assert_int_equal(iws__pct_decode("a+b", 3, out, 0, 1), 3);
  assert_string_equal(out, "a+b"); /* '+' is literal in paths */
  assert_int_equal(iws__pct_decode("a+b", 3, out, 1, 1), 3);
  assert_string_equal(out, "a b");
  assert_int_equal(iws__pct_decode("%zz%4", 5, out, 1, 0), 5);
  assert_string_equal(out, "%zz%4"); /* lenient: kept */
  assert_int_equal(iws__pct_decode("%zz", 3, out, 0, 1), -1);
  assert_int_equal(iws__pct_decode("%4", 2, out, 0, 1), -1);
  assert_int_equal(iws__pct_decode("a%00", 4, out, 0, 0), -1);
  assert_int_equal(iws__pct_decode("%2e%2E", 6, out, 0, 1), 2);
  assert_string_equal(out, "..");
}

static int parse(const char *head, iws_request *req) {
  return iws__http_parse(head, strlen(head), req);
}

static void decoded_target_and_params(void **state) {
  iws_request req;
  static const char body[] = "x=1&y=%41+B&&=v&z";
  (void)state;
  assert_int_equal(
      parse("POST /p%61th/a%20b?q=1&r=a+b&flag HTTP/1.1\r\nHost: h\r\n"
            "Content-Type: application/x-www-form-urlencoded;charset=utf-8\r\n"
            "\r\n",
            &req),
      0);
  assert_int_equal(
      iws__http_decode(&req, (const uint8_t *)body, strlen(body)), 0);
  assert_string_equal(req.document, "/path/a b");
  assert_string_equal(req.query, "q=1&r=a+b&flag");
  assert_int_equal(req.param_count, 7);
  assert_string_equal(req.params[0].name, "q");
  assert_string_equal(req.params[0].value, "1");
  assert_string_equal(req.params[1].value, "a b");
  assert_string_equal(req.params[2].name, "flag");
  assert_string_equal(req.params[2].value, "");
  assert_string_equal(req.params[3].name, "x");
  assert_string_equal(req.params[4].value, "A B");
  assert_string_equal(req.params[5].name, "");
  assert_string_equal(req.params[5].value, "v");
  assert_string_equal(req.params[6].name, "z");
  iws__http_request_free(&req);

  /* not a form: the body gives no parameters */
  assert_int_equal(parse("POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: "
                         "text/plain\r\n\r\n",
                         &req),
                   0);
  assert_int_equal(iws__http_decode(&req, (const uint8_t *)"a=1", 3), 0);
  assert_int_equal(req.param_count, 0);
  assert_string_equal(req.query, "");
  iws__http_request_free(&req);
}

/* RFC 9112 3.2.2: absolute-form decodes like its path. */
static void absolute_form_is_decoded(void **state) {
  iws_request req;
  (void)state;
  assert_int_equal(parse("GET http://h:81/p%61th?a=1 HTTP/1.1\r\nHost: x\r\n"
                         "\r\n",
                         &req),
                   0);
  assert_int_equal(iws__http_decode(&req, NULL, 0), 0);
  assert_string_equal(req.document, "/path");
  assert_string_equal(req.query, "a=1");
  assert_string_equal(iws__http_header(&req, "Host"), "h:81");
  assert_int_equal(iws__http_host_status(&req), 0);
  iws__http_request_free(&req);
  /* HTTP/1.0 may omit Host, never repeat it */
  assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
  assert_int_equal(iws__http_host_status(&req), 0);
  iws__http_request_free(&req);
  assert_int_equal(parse("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", &req),
                   0);
  assert_int_equal(iws__http_host_status(&req), 400);
  iws__http_request_free(&req);
}

static void refused_targets(void **state) {
  static const char *bad[] = {"*", "ftp://h/x", "x/y", "/a%00", "/a%zz",
                              "/a?x=%00", "http://h/a%00"};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char head[128];
    iws_request req;
    snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n",
             bad[i]);
    assert_int_equal(parse(head, &req), 0);
    if (iws__http_decode(&req, NULL, 0) != 400) fail_msg("accepted %s", bad[i]);
    iws__http_request_free(&req);
  }
}

/* ---- framing ---- */

static int framing(const char *headers, int *mode, uint64_t *len) {
  char head[512];
  iws_request req;
  int status;
  snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nHost: h\r\n%s\r\n",
           headers);
  assert_int_equal(parse(head, &req), 0);
  status = iws__http_framing(&req, 1000, mode, len);
  iws__http_request_free(&req);
  return status;
}

static void body_framing(void **state) {
  int mode;
  uint64_t len;
  (void)state;
  assert_int_equal(framing("", &mode, &len), 0);
  assert_int_equal(mode, IWS__BODY_NONE);
  assert_int_equal(framing("Content-Length: 12\r\n", &mode, &len), 0);
  assert_int_equal(mode, IWS__BODY_LENGTH);
  assert_int_equal(len, 12);
  assert_int_equal(framing("Content-Length: 0\r\n", &mode, &len), 0);
  assert_int_equal(mode, IWS__BODY_NONE);
  /* identical repeats are one length (RFC 9112 6.3) */
  assert_int_equal(
      framing("Content-Length: 7, 7\r\nContent-Length: 7\r\n", &mode, &len),
      0);
  assert_int_equal(len, 7);
  assert_int_equal(framing("Transfer-Encoding: Chunked\r\n", &mode, &len), 0);
  assert_int_equal(mode, IWS__BODY_CHUNKED);
  assert_int_equal(framing("Content-Length: 1001\r\n", &mode, &len), 413);
  /* smuggling */
  assert_int_equal(framing("Content-Length: 5\r\nTransfer-Encoding: "
                           "chunked\r\n",
                           &mode, &len),
                   400);
  assert_int_equal(framing("Content-Length: 5\r\nContent-Length: 6\r\n",
                           &mode, &len),
                   400);
  assert_int_equal(framing("Content-Length: 5, 6\r\n", &mode, &len), 400);
  assert_int_equal(framing("Content-Length: 5x\r\n", &mode, &len), 400);
  assert_int_equal(framing("Content-Length: -5\r\n", &mode, &len), 400);
  assert_int_equal(framing("Content-Length:\r\n", &mode, &len), 400);
  assert_int_equal(framing("Content-Length: 1234567890123456789012\r\n",
                           &mode, &len),
                   400);
  assert_int_equal(framing("Transfer-Encoding:\r\n", &mode, &len), 400);
  assert_int_equal(framing("Transfer-Encoding: gzip, chunked\r\n", &mode,
                           &len),
                   501);
  assert_int_equal(framing("Transfer-Encoding: chunked\r\nTransfer-Encoding: "
                           "chunked\r\n",
                           &mode, &len),
                   501);
  assert_int_equal(framing("Transfer-Encoding: chunked, identity\r\n", &mode,
                           &len),
                   501);
}

static void framing_http_1_0(void **state) {
  iws_request req;
  int mode;
  uint64_t len;
  (void)state;
  assert_int_equal(
      parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &req), 0);
  assert_int_equal(iws__http_framing(&req, 1000, &mode, &len), 400);
  iws__http_request_free(&req);
}

static void upgrade_and_early_status(void **state) {
  iws_request req;
  (void)state;
  assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c, "
                         "WebSocket\r\n\r\n",
                         &req),
                   0);
  assert_true(iws__http_wants_upgrade(&req));
  iws__http_request_free(&req);
  assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n",
                         &req),
                   0);
  assert_false(iws__http_wants_upgrade(&req));
  iws__http_request_free(&req);
  assert_int_equal(
      iws__http_early_status((const uint8_t *)"GET /aaaaaaaa", 13, 8), 414);
  assert_int_equal(
      iws__http_early_status((const uint8_t *)"GET /aaaaaaa", 12, 8), 0);
  assert_int_equal(
      iws__http_early_status((const uint8_t *)"GET /a HTTP/1.1\r\n", 17, 8),
      0);
  assert_int_equal(iws__http_early_status((const uint8_t *)"GETGETGET", 9, 2),
                   0);
}

/* ---- responses ---- */

static void header_validation(void **state) {
  (void)state;
  assert_true(iws__http_valid_name("X-Custom_1.a~!"));
  assert_false(iws__http_valid_name(""));
  assert_false(iws__http_valid_name(NULL));
  assert_false(iws__http_valid_name("Bad Name"));
  assert_false(iws__http_valid_name("Colon:"));
  assert_false(iws__http_valid_name("X\r\nY"));
  assert_false(iws__http_valid_name("\xc3\xa9"));
  assert_true(iws__http_valid_value("text/html; charset=utf-8\tx"));
  assert_true(iws__http_valid_value(""));
  assert_true(iws__http_valid_value("caf\xc3\xa9")); /* obs-text */
  assert_false(iws__http_valid_value(NULL));
  assert_false(iws__http_valid_value("a\r\nX-Evil: 1"));
  assert_false(iws__http_valid_value("a\nb"));
  assert_false(iws__http_valid_value("a\rb"));
  assert_false(iws__http_valid_value("a\x7f"));
}

static void dates(void **state) {
  char out[32];
  (void)state;
  iws__http_date(784111777, out); /* RFC 9110's example */
  assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
  iws__http_date(0, out);
  assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
  iws__http_date(951782400, out); /* a leap day */
  assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
  iws__http_date(4102444799LL, out);
  assert_string_equal(out, "Thu, 31 Dec 2099 23:59:59 GMT");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(chunked_every_split_point),
      cmocka_unit_test(chunked_one_byte_at_a_time),
      cmocka_unit_test(chunked_malformed),
      cmocka_unit_test(chunked_limit),
      cmocka_unit_test(chunked_extension_flood),
      cmocka_unit_test(pct_decoding),
      cmocka_unit_test(decoded_target_and_params),
      cmocka_unit_test(refused_targets),
      cmocka_unit_test(absolute_form_is_decoded),
      cmocka_unit_test(body_framing),
      cmocka_unit_test(framing_http_1_0),
      cmocka_unit_test(upgrade_and_early_status),
      cmocka_unit_test(header_validation),
      cmocka_unit_test(dates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
