/*
 * ascii.h - ASCII case folding for protocol tokens (header names, tokens,
 * file extensions): locale-free, the one copy the core uses.
 */
#ifndef IWS_ASCII_H
#define IWS_ASCII_H

#include <stddef.h>

static inline int iws__lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Non-zero if a and b are equal but for ASCII case. */
static inline int iws__ieq(const char *a, const char *b) {
  while (*a && *b &&
         iws__lower((unsigned char)*a) == iws__lower((unsigned char)*b)) {
    a++;
    b++;
  }
  return *a == *b;
}

/* The same over the first n bytes (or up to a common NUL). */
static inline int iws__ieqn(const char *a, const char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (iws__lower((unsigned char)a[i]) != iws__lower((unsigned char)b[i]))
      return 0;
    if (!a[i]) return 1;
  }
  return 1;
}

#endif /* IWS_ASCII_H */
