/* bytes.c - a growable byte buffer (iws__bytes, core.h). */
#include <stdlib.h>
#include <string.h>

#include "core.h"

int iws__bytes_append(iws__bytes *b, const void *data, size_t len) {
  if (len == 0) return 0;
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    uint8_t *p;
    while (cap < b->len + len) cap *= 2;
    p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

void iws__bytes_free(iws__bytes *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *iws__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}
