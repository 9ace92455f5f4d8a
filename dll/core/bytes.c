/* bytes.c - a growable byte buffer (iws__bytes, core.h), and small frames
 * copied into a connection's send queue (iws__conn_queue_copy_locked). */
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

/* A queue buffer small frames are copied into (IWS__SMALL_FRAME): always
 * IWS__MERGE_CAP bytes of room, never shared, appended to only while it is
 * the queue's last entry. Bytes may be appended while a write of the bytes
 * before them is with the back end: they lie past what that write covers,
 * and the buffer never moves. */
int iws__conn_queue_copy_locked(iws__conn *c, const void *bytes, size_t n) {
  iws__chunk *t = NULL;
  if (c->ring_count) {
    t = c->ring[(c->ring_head + c->ring_count - 1) % c->ring_cap].chunk;
    if (!(t->reserved & IWS__CHUNK_MERGE) || IWS__MERGE_CAP - t->len < n) t = NULL;
  }
  if (!t) {
    if (n > IWS__MERGE_CAP) {
      t = iws__chunk_new(n); /* too large to share a buffer */
      if (!t) return -1;
      memcpy(t->data, bytes, n);
      if (iws__conn_ring_push_locked(c, t, 0) != 0) {
        iws__chunk_unref(t);
        return -1;
      }
      return 0;
    }
    t = iws__chunk_new(IWS__MERGE_CAP);
    if (!t) return -1;
    t->reserved = IWS__CHUNK_MERGE;
    t->len = 0;
    if (iws__conn_ring_push_locked(c, t, 0) != 0) {
      iws__chunk_unref(t);
      return -1;
    }
  }
  memcpy(t->data + t->len, bytes, n);
  t->len += n;
  c->queued_bytes += n;
  IWS__STAT(c->server, queued, n);
  return 0;
}
