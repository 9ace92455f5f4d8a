/* Unit tests: the opening-handshake parser, validator and answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "handshake.h"

#define GOOD_REQUEST                             \
  "GET /chat?room=1 HTTP/1.1\r\n"                \
  "Host: server.example.com\r\n"                 \
  "Upgrade: websocket\r\n"                       \
  "Connection: keep-alive, Upgrade\r\n"          \
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
  "Origin: http://example.com\r\n"               \
  "Sec-WebSocket-Protocol: chat, superchat\r\n"  \
  "Sec-WebSocket-Version: 13\r\n"                \
  "\r\n"

static int parse(const char *text, iws_request *req) {
  return iws__http_parse(text, strlen(text), req);
}

/* Parses and validates; returns the refusal status (0 = accepted). */
static int verdict(const char *text) {
  iws_request req;
  const char *why = NULL;
  int status = parse(text, &req);
  if (status) return status;
  status = iws__ws_validate(&req, &why);
  if (status) assert_non_null(why);
  iws__http_request_free(&req);
  return status;
}

static void head_end_found_across_calls(void **state) {
  const uint8_t *r = (const uint8_t *)"GET / HTTP/1.1\r\nHost: a\r\n\r\nxyz";
  (void)state;
  assert_int_equal(iws__http_head_end(r, 10, 0), 0);
  /* Resuming the search just before the terminator still finds it. */
  assert_int_equal(iws__http_head_end(r, 27, 25), 27);
  assert_int_equal(iws__http_head_end(r, 30, 0), 27);
  assert_int_equal(iws__http_head_end(r, 26, 0), 0);
}

static void parses_a_valid_request(void **state) {
  iws_request req;
  const char *why;
  (void)state;
  assert_int_equal(parse(GOOD_REQUEST, &req), 0);
  assert_string_equal(req.method, "GET");
  assert_string_equal(req.target, "/chat?room=1");
  assert_int_equal(req.version_major, 1);
  assert_int_equal(req.version_minor, 1);
  assert_int_equal(req.header_count, 7);
  assert_string_equal(iws__http_header(&req, "host"), "server.example.com");
  assert_string_equal(iws__http_header(&req, "ORIGIN"), "http://example.com");
  assert_null(iws__http_header(&req, "Cookie"));
  assert_int_equal(iws__ws_validate(&req, &why), 0);
  assert_null(why);
  assert_string_equal(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
  assert_int_equal(req.protocol_count, 2);
  assert_string_equal(req.protocols[0], "chat");
  assert_string_equal(req.protocols[1], "superchat");
  /* the offer's header is the client's whole line, not its first name */
  assert_string_equal(iws__http_header(&req, "Sec-WebSocket-Protocol"),
                      "chat, superchat");
  iws__http_request_free(&req);
}

static void tokens_are_case_insensitive_comma_lists(void **state) {
  (void)state;
  assert_true(iws__http_has_token("keep-alive, Upgrade", "upgrade"));
  assert_true(iws__http_has_token("UPGRADE", "upgrade"));
  assert_true(iws__http_has_token(" a ,\tb , WebSocket ", "websocket"));
  assert_false(iws__http_has_token("upgrades", "upgrade"));
  assert_false(iws__http_has_token("", "upgrade"));
  assert_false(iws__http_has_token(NULL, "upgrade"));
}

static void accept_key_matches_rfc_example(void **state) {
  char out[IWS__ACCEPT_KEY_SIZE];
  (void)state;
  /* RFC 6455 section 1.3. */
  iws__ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
  assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void refusals_have_the_right_status(void **state) {
  (void)state;
  assert_int_equal(verdict("POST / HTTP/1.1\r\nHost: a\r\n\r\n"), 405);
  assert_int_equal(verdict("GET / HTTP/1.0\r\nHost: a\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\n\r\n"),
                   505);
  assert_int_equal(
      verdict("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n"),
      400); /* no Host */
  assert_int_equal(verdict("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 426);
  assert_int_equal(
      verdict("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n"),
      400); /* no Connection: upgrade */
  assert_int_equal(
      verdict("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 8\r\n\r\n"),
      426);
  assert_int_equal(
      verdict("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
      400); /* no version */
  /* absolute-form is accepted (RFC 9112 3.2.2): this one lacks Upgrade */
  assert_int_equal(verdict("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 426);
  /* other forms are not request-targets of a WebSocket */
  assert_int_equal(verdict("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  assert_int_equal(verdict("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

#define UPGRADE_HEAD(target, extra)                                   \
  "GET " target " HTTP/1.1\r\n" extra "Upgrade: websocket\r\n"       \
  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
  "Sec-WebSocket-Version: 13\r\n\r\n"

/* RFC 9112 3.2: exactly one valid Host; RFC 6455 4.2.1: one key and one
 * version. */
static void host_key_and_version_rules(void **state) {
  static const char *const good_hosts[] = {
      "a", "example.com:8080", "127.0.0.1", "[::1]:80", "[fe80::1]",
      "xn--bcher-kva.example", "a%41b", "h:", ""};
  static const char *const bad_hosts[] = {
      "a b", "a/b", "user@a", "a:80x", "[::1", "[]", "a?b", "a#b",
      "a%4", "::1", "a\\b"};
  char head[512];
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(good_hosts) / sizeof(good_hosts[0]); i++) {
    snprintf(head, sizeof(head), UPGRADE_HEAD("/", "Host: %s\r\n"),
             good_hosts[i]);
    if (verdict(head) != 0) fail_msg("refused Host: %s", good_hosts[i]);
  }
  for (i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
    snprintf(head, sizeof(head), UPGRADE_HEAD("/", "Host: %s\r\n"),
             bad_hosts[i]);
    if (verdict(head) != 400) fail_msg("accepted Host: %s", bad_hosts[i]);
  }
  assert_int_equal(verdict(UPGRADE_HEAD("/", "Host: a\r\nHost: a\r\n")), 400);
  assert_int_equal(verdict(UPGRADE_HEAD("/", "Host: a\r\nhost: b\r\n")), 400);
  assert_int_equal(
      verdict(UPGRADE_HEAD("/", "Host: a\r\nSec-WebSocket-Key: "
                                "dGhlIHNhbXBsZSBub25jZQ==\r\n")),
      400);
  assert_int_equal(
      verdict(UPGRADE_HEAD("/", "Host: a\r\nSec-WebSocket-Version: 13\r\n")),
      400);
  assert_int_equal(verdict(UPGRADE_HEAD("/", "Host: a\r\n")), 0);
}

/* RFC 9112 3.2.2: the absolute-form becomes origin-form, its authority
 * the Host. */
static void absolute_form_targets(void **state) {
  static const char *const cases[][3] = {
      /* target, path, host */
      {"http://example.com/chat?x=1", "/chat?x=1", "example.com"},
      {"HTTPS://h:8443/a/b", "/a/b", "h:8443"},
      {"http://h", "/", "h"},
      {"http://h?q=2", "/?q=2", "h"},
      {"http://[::1]:9/", "/", "[::1]:9"},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char head[512];
    iws_request req;
    const char *why = NULL;
    snprintf(head, sizeof(head), UPGRADE_HEAD("%s", "Host: other\r\n"),
             cases[i][0]);
    assert_int_equal(parse(head, &req), 0);
    assert_string_equal(req.target, cases[i][1]);
    assert_string_equal(iws__http_header(&req, "Host"), cases[i][2]);
    assert_int_equal(iws__ws_validate(&req, &why), 0);
    iws__http_request_free(&req);
  }
  /* an empty authority, a fragment, userinfo */
  assert_int_equal(verdict(UPGRADE_HEAD("http:///x", "Host: a\r\n")), 400);
  assert_int_equal(verdict(UPGRADE_HEAD("http://a#f", "Host: a\r\n")), 400);
  assert_int_equal(verdict(UPGRADE_HEAD("http://u@a/x", "Host: a\r\n")), 400);
  /* still one Host line needed in HTTP/1.1 */
  assert_int_equal(verdict(UPGRADE_HEAD("http://a/x", "")), 400);
}

static void bad_keys_are_refused(void **state) {
  static const char *const keys[] = {
      "",                          /* empty */
      "dGhlIHNhbXBsZSBub25jZQ=",   /* 23 characters */
      "dGhlIHNhbXBsZSBub25jZQ===", /* 25 characters */
      "dGhlIHNhbXBsZSBub25jZ===",  /* 15 bytes */
      "dGhlIHNhbXBsZSBub25j*Q==",  /* not base64 */
      "dGhlIHNhbXBsZSBub25jZQAA",  /* 18 bytes, no padding */
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    char text[512];
    snprintf(text, sizeof(text),
             "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n",
             keys[i]);
    assert_int_equal(verdict(text), 400);
  }
}

static void malformed_heads_are_400(void **state) {
  static const char *const heads[] = {
      "GET /\r\n\r\n",                                 /* no version */
      "GET / HTTP/1.1 extra\r\n\r\n",                  /* three spaces */
      " GET / HTTP/1.1\r\n\r\n",                       /* empty method */
      "GET / HTTP/x.1\r\n\r\n",                        /* bad version */
      "GET / HTTP/1.1\r\nHost a\r\n\r\n",              /* no colon */
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            /* space before colon */
      "GET / HTTP/1.1\r\nHost: a\r\n continued\r\n\r\n", /* obs-fold */
      "GET / HTTP/1.1\r\n: a\r\n\r\n",                 /* empty name */
      "G(T / HTTP/1.1\r\n\r\n",                        /* bad method char */
  };
  size_t i;
  iws_request req;
  (void)state;
  for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
    assert_int_equal(parse(heads[i], &req), 400);
  /* A NUL inside the head. */
  assert_int_equal(iws__http_parse("GET / HTTP/1.1\r\nA: \0b\r\n\r\n", 26, &req),
                   400);
}

static void too_many_headers_is_431(void **state) {
  char text[8192];
  size_t n = 0;
  int i;
  iws_request req;
  (void)state;
  n += (size_t)snprintf(text + n, sizeof(text) - n, "GET / HTTP/1.1\r\n");
  for (i = 0; i <= IWS__MAX_HEADERS; i++)
    n += (size_t)snprintf(text + n, sizeof(text) - n, "X-%d: v\r\n", i);
  snprintf(text + n, sizeof(text) - n, "\r\n");
  assert_int_equal(parse(text, &req), 431);
}

static void protocol_pick_follows_server_preference(void **state) {
  iws_request req;
  const char *why;
  (void)state;
  assert_int_equal(parse(GOOD_REQUEST, &req), 0);
  assert_int_equal(iws__ws_validate(&req, &why), 0);
  assert_string_equal(iws__ws_pick_protocol(&req, "superchat, chat"),
                      "superchat");
  assert_string_equal(iws__ws_pick_protocol(&req, "mqtt,chat"), "chat");
  assert_null(iws__ws_pick_protocol(&req, "mqtt"));
  assert_null(iws__ws_pick_protocol(&req, ""));
  assert_null(iws__ws_pick_protocol(&req, "Chat")); /* case-sensitive */
  iws__http_request_free(&req);
}

static void bad_protocol_token_is_400(void **state) {
  (void)state;
  assert_int_equal(
      verdict("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Protocol: chat, bad token\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n"),
      400);
}

static void answers_are_well_formed(void **state) {
  char out[512];
  size_t n;
  (void)state;
  n = iws__ws_response_101("dGhlIHNhbXBsZSBub25jZQ==", "chat", NULL, out,
                           sizeof(out));
  assert_int_equal(n, strlen(out));
  assert_non_null(strstr(out, "HTTP/1.1 101 Switching Protocols\r\n"));
  assert_non_null(
      strstr(out, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
  assert_non_null(strstr(out, "Sec-WebSocket-Protocol: chat\r\n"));
  assert_memory_equal(out + n - 4, "\r\n\r\n", 4);

  n = iws__ws_response_101("dGhlIHNhbXBsZSBub25jZQ==", NULL, NULL, out, sizeof(out));
  assert_null(strstr(out, "Sec-WebSocket-Protocol"));
  assert_int_equal(iws__ws_response_101("dGhlIHNhbXBsZSBub25jZQ==", NULL, NULL, out,
                                        20),
                   0);

  /* Refusals are written by the HTTP response writer (every answer is);
   * the handshake adds the headers its status needs. */
  assert_string_equal(iws__ws_refusal_headers(426),
                      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
  assert_string_equal(iws__ws_refusal_headers(405), "Allow: GET\r\n");
  assert_string_equal(iws__ws_refusal_headers(400), "");
  assert_string_equal(iws__ws_refusal_headers(503), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(head_end_found_across_calls),
      cmocka_unit_test(parses_a_valid_request),
      cmocka_unit_test(tokens_are_case_insensitive_comma_lists),
      cmocka_unit_test(accept_key_matches_rfc_example),
      cmocka_unit_test(refusals_have_the_right_status),
      cmocka_unit_test(host_key_and_version_rules),
      cmocka_unit_test(absolute_form_targets),
      cmocka_unit_test(bad_keys_are_refused),
      cmocka_unit_test(malformed_heads_are_400),
      cmocka_unit_test(too_many_headers_is_431),
      cmocka_unit_test(protocol_pick_follows_server_preference),
      cmocka_unit_test(bad_protocol_token_is_400),
      cmocka_unit_test(answers_are_well_formed),
  };
  return cmocka_run_group_tests_name("handshake", tests, NULL, NULL);
}
