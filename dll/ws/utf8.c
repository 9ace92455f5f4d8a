/* utf8.c - UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF) for our own checks: text and close reasons the
 * application asks us to send, inflated messages, channel names. wslay
 * checks the text the peer sends as it arrives. The streaming form
 * (iws__utf8_feed) takes text in chunks.
 *
 * ASCII, the common case, is skipped 16 bytes at a time; a multi-byte
 * sequence is checked against the exact ranges of RFC 3629's table. A
 * sequence cut by a chunk boundary is carried in the state: how many
 * continuation bytes are still owed, and the range the next one must fall
 * in (only the first continuation has a narrower range). */
#include "frame.h"

#define ST(need, lo, hi) \
  (((uint32_t)(need) << 16) | ((uint32_t)(lo) << 8) | (uint32_t)(hi))

uint32_t iws__utf8_feed(uint32_t st, const uint8_t *s, size_t len) {
  size_t i = 0;
  if (st == IWS__UTF8_REJECT) return st;
  /* Finish a sequence begun in an earlier chunk. */
  while (st != IWS__UTF8_ACCEPT) {
    uint32_t need = st >> 16;
    uint8_t c;
    if (i == len) return st;
    c = s[i++];
    if (c < ((st >> 8) & 0xFF) || c > (st & 0xFF)) return IWS__UTF8_REJECT;
    st = need > 1 ? ST(need - 1, 0x80, 0xBF) : IWS__UTF8_ACCEPT;
  }
  while (i < len) {
    uint8_t c = s[i];
    size_t need, avail, k;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      /* Skip ASCII sixteen, then eight bytes at a time. */
      while (i + 16 <= len) {
        uint64_t a, b;
        memcpy(&a, s + i, 8);
        memcpy(&b, s + i + 8, 8);
        if ((a | b) & 0x8080808080808080ull) break;
        i += 16;
      }
      while (i + 8 <= len) {
        uint64_t a;
        memcpy(&a, s + i, 8);
        if (a & 0x8080808080808080ull) break;
        i += 8;
      }
      while (i < len && s[i] < 0x80) i++;
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
      return IWS__UTF8_REJECT;
    }
    avail = len - i - 1;
    if (avail >= 1 && (s[i + 1] < lo || s[i + 1] > hi))
      return IWS__UTF8_REJECT;
    for (k = 2; k <= need && k <= avail; k++)
      if ((s[i + k] & 0xC0) != 0x80) return IWS__UTF8_REJECT;
    if (avail < need) /* cut by the end of the chunk */
      return avail == 0 ? ST(need, lo, hi) : ST(need - avail, 0x80, 0xBF);
    i += need + 1;
  }
  return IWS__UTF8_ACCEPT;
}

int iws__utf8_valid(const uint8_t *s, size_t len) {
  return iws__utf8_feed(IWS__UTF8_ACCEPT, s, len) == IWS__UTF8_ACCEPT;
}
