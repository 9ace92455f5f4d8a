/*
 * channels.c - publish/subscribe inside one server: channel name -> its
 * subscribers (a hash map of channels, each with an array of subscriptions),
 * and per connection the list of its subscriptions in join order.
 *
 * A subscription (iws__sub) links one connection and one channel; it sits in
 * the channel's array (at `slot`, so leaving is O(1)) and in the
 * connection's list. Everything here is under the server's chan_lock, which
 * is a leaf: no other lock is taken while holding it, and no callback runs.
 * A connection is in a channel only between its subscribe and its
 * iws__chan_conn_gone (after on_disconnect, before it leaves the connection
 * table), so the table's reference keeps every subscribed connection alive
 * and a publish may take its own references under chan_lock.
 */
#include <stdlib.h>

#include "channels.h"
#include "../ws/frame.h"

struct iws__sub {
  iws__conn *conn;
  iws__chan *chan;
  size_t slot;    /* index in chan->subs */
  iws__sub *next; /* the connection's next subscription */
};

struct iws__chan {
  iws__chan *hash_next;
  uint64_t hash;
  iws__sub **subs;
  size_t count, cap;
  size_t len;
  char name[1]; /* len bytes + NUL */
};

int32_t iws__channel_name_check(const char *name, size_t *len) {
  size_t n, i;
  if (!name) return IWS_E_INVALID_ARG;
  n = strlen(name);
  if (n == 0 || n > IWS__CHANNEL_MAX) return IWS_E_CHANNEL_NAME;
  for (i = 0; i < n; i++)
    if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
      return IWS_E_CHANNEL_NAME;
  if (!iws__utf8_valid((const uint8_t *)name, n)) return IWS_E_CHANNEL_NAME;
  if (len) *len = n;
  return IWS_OK;
}

static uint64_t hash_name(const char *name, size_t len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= (unsigned char)name[i];
    h *= 1099511628211ull;
  }
  return h;
}

void iws__channels_init(iws_server *s) { iws__mutex_init(&s->chan_lock); }

void iws__channels_free(iws_server *s) {
  size_t i;
  /* Every connection is gone, so every channel is gone too; free what a
   * bug might have left rather than leak it. */
  for (i = 0; i < s->chan_nbuckets; i++) {
    iws__chan *ch = s->chan_buckets[i];
    while (ch) {
      iws__chan *next = ch->hash_next;
      free(ch->subs);
      free(ch);
      ch = next;
    }
  }
  free(s->chan_buckets);
  s->chan_buckets = NULL;
  s->chan_nbuckets = 0;
  iws__mutex_destroy(&s->chan_lock);
}

/* Under chan_lock. */
static iws__chan *chan_find(iws_server *s, const char *name, size_t len,
                            uint64_t h) {
  iws__chan *ch;
  if (!s->chan_nbuckets) return NULL;
  for (ch = s->chan_buckets[h & (s->chan_nbuckets - 1)]; ch;
       ch = ch->hash_next)
    if (ch->hash == h && ch->len == len && !memcmp(ch->name, name, len))
      return ch;
  return NULL;
}

static int chan_grow(iws_server *s) {
  size_t n = s->chan_nbuckets ? s->chan_nbuckets * 2 : 64, i;
  iws__chan **fresh = calloc(n, sizeof(*fresh));
  if (!fresh) return -1;
  for (i = 0; i < s->chan_nbuckets; i++) {
    iws__chan *ch = s->chan_buckets[i];
    while (ch) {
      iws__chan *next = ch->hash_next;
      ch->hash_next = fresh[ch->hash & (n - 1)];
      fresh[ch->hash & (n - 1)] = ch;
      ch = next;
    }
  }
  free(s->chan_buckets);
  s->chan_buckets = fresh;
  s->chan_nbuckets = n;
  return 0;
}

static void chan_unlink(iws_server *s, iws__chan *ch) {
  iws__chan **pp = &s->chan_buckets[ch->hash & (s->chan_nbuckets - 1)];
  while (*pp != ch) pp = &(*pp)->hash_next;
  *pp = ch->hash_next;
  s->chan_count--;
  free(ch->subs);
  free(ch);
}

/* Removes one subscription from its channel (freeing an emptied channel);
 * the caller unlinks it from the connection's list. Under chan_lock. */
static void sub_drop(iws_server *s, iws__sub *sub) {
  iws__chan *ch = sub->chan;
  size_t last = ch->count - 1;
  if (sub->slot != last) {
    ch->subs[sub->slot] = ch->subs[last];
    ch->subs[sub->slot]->slot = sub->slot;
  }
  ch->count--;
  s->sub_count--;
  if (ch->count == 0) chan_unlink(s, ch);
  free(sub);
}

int32_t iws__chan_subscribe(iws__conn *c, const char *name, size_t len) {
  iws_server *s = c->server;
  uint64_t h = hash_name(name, len);
  iws__chan *ch;
  iws__sub *sub;
  int32_t rc = IWS_OK;
  iws__lock(&s->chan_lock);
  if (c->chan_gone) {
    rc = IWS_E_NO_CONNECTION;
    goto out;
  }
  ch = chan_find(s, name, len, h);
  if (ch) {
    for (sub = c->subs; sub; sub = sub->next)
      if (sub->chan == ch) goto out; /* already in */
  } else {
    if (s->chan_count >= s->chan_nbuckets && chan_grow(s) != 0) {
      rc = IWS_E_NOMEM;
      goto out;
    }
    ch = calloc(1, sizeof(*ch) + len);
    if (!ch) {
      rc = IWS_E_NOMEM;
      goto out;
    }
    ch->hash = h;
    ch->len = len;
    memcpy(ch->name, name, len);
    ch->name[len] = '\0';
    ch->hash_next = s->chan_buckets[h & (s->chan_nbuckets - 1)];
    s->chan_buckets[h & (s->chan_nbuckets - 1)] = ch;
    s->chan_count++;
  }
  if (ch->count == ch->cap) {
    size_t cap = ch->cap ? ch->cap * 2 : 4;
    iws__sub **grown = realloc(ch->subs, cap * sizeof(*grown));
    if (!grown) {
      if (ch->count == 0) chan_unlink(s, ch);
      rc = IWS_E_NOMEM;
      goto out;
    }
    ch->subs = grown;
    ch->cap = cap;
  }
  sub = calloc(1, sizeof(*sub));
  if (!sub) {
    if (ch->count == 0) chan_unlink(s, ch);
    rc = IWS_E_NOMEM;
    goto out;
  }
  sub->conn = c;
  sub->chan = ch;
  sub->slot = ch->count;
  ch->subs[ch->count++] = sub;
  if (c->subs_tail)
    c->subs_tail->next = sub;
  else
    c->subs = sub;
  c->subs_tail = sub;
  s->sub_count++;
out:
  iws__unlock(&s->chan_lock);
  return rc;
}

int32_t iws__chan_unsubscribe(iws__conn *c, const char *name, size_t len) {
  iws_server *s = c->server;
  iws__sub **pp, *prev = NULL;
  int32_t rc = IWS_OK;
  iws__lock(&s->chan_lock);
  if (c->chan_gone) {
    rc = IWS_E_NO_CONNECTION;
  } else {
    pp = &c->subs;
    while (*pp) {
      iws__sub *sub = *pp;
      if (name == NULL ||
          (sub->chan->len == len && !memcmp(sub->chan->name, name, len))) {
        *pp = sub->next;
        if (c->subs_tail == sub) c->subs_tail = prev;
        sub_drop(s, sub);
        if (name) break;
      } else {
        prev = sub;
        pp = &sub->next;
      }
    }
  }
  iws__unlock(&s->chan_lock);
  return rc;
}

void iws__chan_conn_gone(iws__conn *c) {
  iws_server *s = c->server;
  iws__lock(&s->chan_lock);
  c->chan_gone = 1;
  while (c->subs) {
    iws__sub *sub = c->subs;
    c->subs = sub->next;
    sub_drop(s, sub);
  }
  c->subs_tail = NULL;
  iws__unlock(&s->chan_lock);
}

char *iws__chan_list(iws__conn *c, size_t *len) {
  iws_server *s = c->server;
  iws__sub *sub;
  size_t n = 0;
  char *out, *p;
  iws__lock(&s->chan_lock);
  for (sub = c->subs; sub; sub = sub->next) n += sub->chan->len + 1;
  out = malloc(n + 1);
  if (out) {
    p = out;
    for (sub = c->subs; sub; sub = sub->next) {
      memcpy(p, sub->chan->name, sub->chan->len);
      p += sub->chan->len;
      *p++ = '\n';
    }
    *p = '\0';
  }
  iws__unlock(&s->chan_lock);
  if (len) *len = n;
  return out;
}

static uint32_t chan_deliver(iws_server *s, const char *name, size_t len,
                             iws__shared_frames *frames,
                             const iws_conn_id *exclude,
                             uint32_t exclude_count) {
  uint64_t h = hash_name(name, len);
  iws__conn *stack[64];
  iws__conn **list = stack;
  size_t n = 0, i;
  uint32_t count = 0;
  iws__chan *ch;
  iws__lock(&s->chan_lock);
  ch = chan_find(s, name, len, h);
  if (ch && ch->count > sizeof(stack) / sizeof(stack[0])) {
    list = malloc(ch->count * sizeof(*list));
    if (!list) {
      /* Deliver to what fits rather than to nobody. */
      list = stack;
    }
  }
  if (ch) {
    size_t room = list == stack ? sizeof(stack) / sizeof(stack[0]) : ch->count;
    for (i = 0; i < ch->count && n < room; i++) {
      iws__conn *c = ch->subs[i]->conn;
      uint32_t k;
      int skip = 0;
      for (k = 0; k < exclude_count && !skip; k++) skip = exclude[k] == c->id;
      if (skip) continue;
      iws__conn_ref(c); /* alive: the table holds it while subscribed */
      list[n++] = c;
    }
  }
  iws__unlock(&s->chan_lock);
  /* Queue outside the lock: a slow receiver meets its queue policy alone. */
  for (i = 0; i < n; i++) {
    if (iws__conn_send_shared(list[i], frames) == IWS_OK) count++;
    iws__conn_unref(list[i]);
  }
  if (list != stack) free(list);
  return count;
}

/* Delivers a message to this server's subscribers through the frames a
 * broadcast uses: one frame shared by every receiver, one compressed frame
 * per window size for those that negotiated permessage-deflate. Used by
 * iws_publish and by the Redis subscriber thread. */
int32_t iws__publish_local(iws_server *s, const char *channel, size_t len,
                           uint32_t opcode, const void *data, size_t dlen,
                           const iws_conn_id *exclude, uint32_t exclude_count,
                           uint32_t *sent) {
  iws__shared_frames frames;
  memset(&frames, 0, sizeof(frames));
  frames.opcode = opcode;
  frames.data = data;
  frames.len = dlen;
  *sent = chan_deliver(s, channel, len, &frames, exclude, exclude_count);
  iws__shared_frames_free(&frames);
  return frames.failed && !*sent ? IWS_E_NOMEM : IWS_OK;
}
