/* utf8.c - UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF). wslay validates what peers send; this checks what the
 * application asks us to send as text or as a close reason. */
#include "internal.h"

int iws__utf8_valid(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      /* Fast path: skip ASCII eight bytes at a time. */
      while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;      /* no overlongs */
      else if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;      /* no overlongs */
      else if (c == 0xF4) hi = 0x8F; /* <= U+10FFFF */
    } else {
      return 0;
    }
    if (len - i - 1 < need) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    if (need >= 2 && (s[i + 2] & 0xC0) != 0x80) return 0;
    if (need == 3 && (s[i + 3] & 0xC0) != 0x80) return 0;
    i += need + 1;
  }
  return 1;
}
