/* Unit tests: the compact socket address each connection keeps
 * (iws__addr, dll/backend/backend.h) - made from the system's sockaddr at
 * accept, and text again only when asked, IPv4-mapped IPv6 reading as
 * IPv4 as iws_conn_peer documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sockaddr.h"

static iws__addr from_v4(const uint8_t ip[4], uint16_t port) {
  struct sockaddr_in a;
  iws__addr out;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  memcpy(&a.sin_addr, ip, 4);
  iws__sockaddr_to_addr((const struct sockaddr *)&a, &out);
  return out;
}

static iws__addr from_v6(const uint8_t ip[16], uint16_t port) {
  struct sockaddr_in6 a;
  iws__addr out;
  memset(&a, 0, sizeof(a));
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  memcpy(&a.sin6_addr, ip, 16);
  iws__sockaddr_to_addr((const struct sockaddr *)&a, &out);
  return out;
}

static void compact(void **state) {
  (void)state;
  /* two per connection: the point is that they are small */
  assert_true(sizeof(iws__addr) <= 20);
}

static void ipv4(void **state) {
  static const uint8_t ip[4] = {203, 0, 113, 5};
  char text[IWS__ADDR_TEXT];
  iws__addr a = from_v4(ip, 65535);
  (void)state;
  assert_int_equal(a.family, IWS__ADDR_V4);
  assert_int_equal(a.port, 65535);
  assert_string_equal(iws__addr_text(&a, text, sizeof(text)), "203.0.113.5");
  assert_string_equal(IWS__ADDR_STR(&a), "203.0.113.5");
}

static void ipv6(void **state) {
  static const uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 0, 1};
  static const uint8_t longest[16] = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
  iws__addr a = from_v6(ip, 443), b = from_v6(longest, 1);
  (void)state;
  assert_int_equal(a.family, IWS__ADDR_V6);
  assert_int_equal(a.port, 443);
  assert_string_equal(IWS__ADDR_STR(&a), "2001:db8::1");
  assert_string_equal(IWS__ADDR_STR(&b),
                      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
}

static void ipv4_mapped_reads_as_ipv4(void **state) {
  static const uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0xff, 0xff, 127, 0, 0, 3};
  iws__addr a = from_v6(ip, 8080);
  (void)state;
  assert_int_equal(a.family, IWS__ADDR_V4);
  assert_int_equal(a.port, 8080);
  assert_string_equal(IWS__ADDR_STR(&a), "127.0.0.3");
}

static void unknown_is_empty(void **state) {
  struct sockaddr_storage ss;
  char text[IWS__ADDR_TEXT] = "x";
  iws__addr a;
  (void)state;
  iws__sockaddr_to_addr(NULL, &a); /* the system could not tell */
  assert_int_equal(a.family, IWS__ADDR_NONE);
  assert_int_equal(a.port, 0);
  assert_string_equal(iws__addr_text(&a, text, sizeof(text)), "");
  memset(&ss, 0, sizeof(ss));
  ss.ss_family = AF_UNSPEC;
  iws__sockaddr_to_addr((const struct sockaddr *)&ss, &a);
  assert_int_equal(a.family, IWS__ADDR_NONE);
  assert_string_equal(IWS__ADDR_STR(&a), "");
}

static void short_buffer_is_empty_not_cut(void **state) {
  static const uint8_t ip[4] = {192, 168, 100, 200};
  char text[8] = "x";
  iws__addr a = from_v4(ip, 1);
  (void)state;
  /* inet_ntop refuses a buffer too small: "" rather than a partial address */
  assert_string_equal(iws__addr_text(&a, text, sizeof(text)), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(compact),
      cmocka_unit_test(ipv4),
      cmocka_unit_test(ipv6),
      cmocka_unit_test(ipv4_mapped_reads_as_ipv4),
      cmocka_unit_test(unknown_is_empty),
      cmocka_unit_test(short_buffer_is_empty_not_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
