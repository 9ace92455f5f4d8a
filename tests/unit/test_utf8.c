/* Unit tests: UTF-8 validation and close-code rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"
#include "frame.h"

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


/* An independent reference: decode each sequence to a code point and check
 * it (RFC 3629 section 3/4), one byte at a time. */
static int ref_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp, min;
    size_t k, need;
    uint8_t c = s[i];
    if (c < 0x80) { i++; continue; }
    if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n - i - 1 < need) return 0;
    for (k = 1; k <= need; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += need + 1;
  }
  return 1;
}

/* The streaming form, with the input cut at every given point. */
static int fed_valid(const uint8_t *s, size_t n, const size_t *cuts,
                     size_t ncuts) {
  uint32_t st = IWS__UTF8_ACCEPT;
  size_t at = 0, j;
  for (j = 0; j < ncuts; j++) {
    st = iws__utf8_feed(st, s + at, cuts[j] - at);
    at = cuts[j];
  }
  st = iws__utf8_feed(st, s + at, n - at);
  return st == IWS__UTF8_ACCEPT;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* Every 1-, 2- and 3-byte string, whole and cut at each point. */
static void matches_reference_exhaustively(void **state) {
  uint32_t v;
  (void)state;
  for (v = 0; v < (1u << 24); v++) {
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    size_t c1 = 1, c2 = 2;
    int want = ref_valid(b, 3);
    if (iws__utf8_valid(b, 3) != want) fail_msg("%06x", (unsigned)v);
    if (fed_valid(b, 3, &c1, 1) != want) fail_msg("%06x cut 1", (unsigned)v);
    if (fed_valid(b, 3, &c2, 1) != want) fail_msg("%06x cut 2", (unsigned)v);
    if (v < (1u << 16) && iws__utf8_valid(b + 1, 2) != ref_valid(b + 1, 2))
      fail_msg("%04x", (unsigned)v);
  }
}

/* Random 4-byte sequences near the interesting ranges, and long random
 * texts (mostly ASCII with multi-byte characters and the odd bad byte, so
 * the fast path meets every boundary), each cut at random points. */
static void matches_reference_on_random_text(void **state) {
  static const uint8_t pick[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                                 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1,
                                 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF};
  uint8_t buf[300];
  int iter;
  (void)state;
  for (iter = 0; iter < 400000; iter++) {
    size_t n = 4, i, cuts[4], ncuts = 0;
    for (i = 0; i < 4; i++) buf[i] = pick[next_rand() % sizeof(pick)];
    if (iter & 1) buf[next_rand() % 4] = (uint8_t)next_rand();
    if (iws__utf8_valid(buf, n) != ref_valid(buf, n))
      fail_msg("4-byte %02x %02x %02x %02x", buf[0], buf[1], buf[2], buf[3]);
    cuts[ncuts++] = 1 + next_rand() % 3;
    assert_int_equal(fed_valid(buf, n, cuts, ncuts), ref_valid(buf, n));
  }
  for (iter = 0; iter < 200000; iter++) {
    size_t n = next_rand() % sizeof(buf), i = 0, cuts[4], ncuts, j;
    static const char *chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x9a\x80",
                                  "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"};
    while (i < n) {
      uint32_t r = next_rand() % 64;
      if (r < 56) {
        buf[i++] = (uint8_t)('a' + r % 26);
      } else if (r < 63) {
        const char *ch = chars[r % 5];
        size_t l = strlen(ch);
        if (i + l > n) break;
        memcpy(buf + i, ch, l);
        i += l;
      } else {
        buf[i++] = (uint8_t)next_rand();
      }
    }
    n = i;
    if ((iter & 7) == 0 && n) n -= 1 + next_rand() % (n < 3 ? n : 3); /* cut */
    ncuts = n ? next_rand() % 4 : 0;
    for (j = 0; j < ncuts; j++) cuts[j] = next_rand() % (n + 1);
    for (j = 1; j < ncuts; j++) { /* sort */
      size_t k = j, t = cuts[j];
      while (k > 0 && cuts[k - 1] > t) { cuts[k] = cuts[k - 1]; k--; }
      cuts[k] = t;
    }
    if (iws__utf8_valid(buf, n) != ref_valid(buf, n)) fail_msg("text %d", iter);
    if (fed_valid(buf, n, cuts, ncuts) != ref_valid(buf, n))
      fail_msg("text %d cut", iter);
  }
}

/* A bad byte is refused as soon as it is fed (fail fast, RFC 6455 8.1),
 * and REJECT sticks. */
static void feed_fails_fast(void **state) {
  uint32_t st;
  (void)state;
  st = iws__utf8_feed(IWS__UTF8_ACCEPT, (const uint8_t *)"abc\xe2", 4);
  assert_true(st != IWS__UTF8_ACCEPT && st != IWS__UTF8_REJECT);
  assert_int_equal(iws__utf8_feed(st, (const uint8_t *)"(", 1),
                   IWS__UTF8_REJECT);
  st = iws__utf8_feed(IWS__UTF8_ACCEPT, (const uint8_t *)"\xed\xa0", 2);
  assert_int_equal(st, IWS__UTF8_REJECT); /* surrogate seen at byte 2 */
  assert_int_equal(iws__utf8_feed(IWS__UTF8_REJECT, (const uint8_t *)"a", 1),
                   IWS__UTF8_REJECT);
  st = iws__utf8_feed(IWS__UTF8_ACCEPT, (const uint8_t *)"\xf0\x9f", 2);
  st = iws__utf8_feed(st, (const uint8_t *)"\x9a", 1);
  assert_int_equal(iws__utf8_feed(st, (const uint8_t *)"\x80", 1),
                   IWS__UTF8_ACCEPT);
}

/* Echoing (part of) the text being delivered skips the second check, but
 * only for slices that begin and end on character boundaries. */
static void delivered_text_slices(void **state) {
  static const uint8_t msg[] = "ab\xc3\xa9" "cd\xe2\x82\xac!";
  size_t n = sizeof(msg) - 1, off, len;
  (void)state;
  assert_false(iws__text_known_valid(msg, n)); /* nothing delivered */
  iws__t_valid_text = msg;
  iws__t_valid_text_len = n;
  for (off = 0; off <= n; off++)
    for (len = 0; off + len <= n; len++) {
      int known = iws__text_known_valid(msg + off, len);
      if (known) assert_true(iws__utf8_valid(msg + off, len));
      if (off == 0 && len == n) assert_true(known);
    }
  assert_true(iws__text_known_valid(msg + 2, 2));   /* the whole e-acute */
  assert_false(iws__text_known_valid(msg + 3, 1));  /* its second byte */
  assert_false(iws__text_known_valid(msg + 2, 1));  /* its first byte */
  assert_false(iws__text_known_valid(msg, n + 1));  /* past the end */
  assert_false(iws__text_known_valid(msg + n + 1, 0));
  iws__t_valid_text = NULL;
  iws__t_valid_text_len = 0;
  assert_false(iws__text_known_valid(msg, n));
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
      cmocka_unit_test(matches_reference_exhaustively),
      cmocka_unit_test(matches_reference_on_random_text),
      cmocka_unit_test(feed_fails_fast),
      cmocka_unit_test(delivered_text_slices),
      cmocka_unit_test(close_codes_the_application_may_send),
  };
  return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
