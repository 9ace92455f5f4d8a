/* Unit tests: UTF-8 validation and close-code rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

static int valid(const char *s, size_t n) {
  return iws__utf8_valid((const uint8_t *)s, n);
}
#define V(lit) valid(lit, sizeof(lit) - 1)

static void accepts_valid_text(void **state) {
  (void)state;
  assert_true(V(""));
  assert_true(V("plain ASCII, long enough to take the 8-byte path"));
  assert_true(V("h\xc3\xa9llo w\xc3\xb6rld"));             /* 2-byte */
  assert_true(V("\xe2\x9c\x93 \xe2\x82\xac"));            /* 3-byte */
  assert_true(V("\xf0\x9f\x9a\x80"));                     /* 4-byte */
  assert_true(V("\xed\x9f\xbf"));                         /* U+D7FF */
  assert_true(V("\xee\x80\x80"));                         /* U+E000 */
  assert_true(V("\xf4\x8f\xbf\xbf"));                     /* U+10FFFF */
  assert_true(V("\xef\xbf\xbf"));                         /* U+FFFF */
  assert_true(valid("a\0b", 3));                          /* NUL is valid */
}

static void rejects_invalid_text(void **state) {
  (void)state;
  assert_false(V("\x80"));                 /* lone continuation */
  assert_false(V("\xc0\x80"));             /* overlong NUL */
  assert_false(V("\xc1\xbf"));             /* overlong */
  assert_false(V("\xe0\x80\x80"));         /* overlong 3-byte */
  assert_false(V("\xe0\x9f\xbf"));         /* overlong 3-byte */
  assert_false(V("\xf0\x8f\xbf\xbf"));     /* overlong 4-byte */
  assert_false(V("\xed\xa0\x80"));         /* surrogate U+D800 */
  assert_false(V("\xed\xbf\xbf"));         /* surrogate U+DFFF */
  assert_false(V("\xf4\x90\x80\x80"));     /* above U+10FFFF */
  assert_false(V("\xf5\x80\x80\x80"));
  assert_false(V("\xff"));
  assert_false(V("\xc3"));                 /* truncated */
  assert_false(V("\xe2\x9c"));             /* truncated */
  assert_false(V("\xf0\x9f\x9a"));         /* truncated */
  assert_false(V("ok so far \xe2\x28\xa1")); /* bad continuation */
  assert_false(V("12345678\xce\xbaxyz\xff"));
}

static void close_codes_the_application_may_send(void **state) {
  uint32_t code;
  (void)state;
  for (code = 0; code < 6000; code++) {
    int expected = (code >= 1000 && code <= 1003) ||
                   (code >= 1007 && code <= 1011) ||
                   (code >= 3000 && code <= 4999);
    assert_int_equal(iws__close_code_sendable(code) != 0, expected);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_valid_text),
      cmocka_unit_test(rejects_invalid_text),
      cmocka_unit_test(close_codes_the_application_may_send),
  };
  return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
