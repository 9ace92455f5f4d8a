/*
 * table.c - the connection table: every connection from accept until after
 * its on_disconnect, by id (ids are never reused), under table_lock.
 */
#include <stdlib.h>

#include "core.h"

/* ------------------------------------------------------------------------ */
/* connection locks (core.h)                                                 */
/* ------------------------------------------------------------------------ */

iws__conn_stripe *iws__conn_locks;

int iws__conn_locks_init(void) {
  iws__conn_stripe *fresh;
  size_t i;
  if (iws__atomic_load_ptr((void *volatile *)&iws__conn_locks)) return 0;
  fresh = calloc(IWS__CONN_LOCKS, sizeof(*fresh));
  if (!fresh) return -1;
  for (i = 0; i < IWS__CONN_LOCKS; i++) iws__mutex_init(&fresh[i].m);
  /* Whichever thread comes first; the others give theirs back. */
  if (!iws__atomic_cas_ptr((void *volatile *)&iws__conn_locks, NULL, fresh)) {
    for (i = 0; i < IWS__CONN_LOCKS; i++) iws__mutex_destroy(&fresh[i].m);
    free(fresh);
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* the connection table                                                      */
/* ------------------------------------------------------------------------ */

static size_t bucket_of(const iws_server *s, iws_conn_id id) {
  /* Fibonacci hashing spreads sequential ids. */
  return (size_t)((id * 11400714819323198485ull) >> 20) & (s->nbuckets - 1);
}

static int table_grow(iws_server *s) {
  size_t n = s->nbuckets ? s->nbuckets * 2 : 1024, i;
  iws__conn **fresh = calloc(n, sizeof(*fresh));
  iws__conn **old = s->buckets;
  size_t oldn = s->nbuckets;
  if (!fresh) return -1;
  s->buckets = fresh;
  s->nbuckets = n;
  for (i = 0; i < oldn; i++) {
    iws__conn *c = old[i];
    while (c) {
      iws__conn *next = c->hash_next;
      size_t b = bucket_of(s, c->id);
      c->hash_next = fresh[b];
      fresh[b] = c;
      c = next;
    }
  }
  free(old);
  return 0;
}

int32_t iws__table_insert(iws_server *s, iws__conn *c) {
  size_t b;
  iws__lock(&s->table_lock);
  if (!s->accepting ||
      (s->count >= s->nbuckets && table_grow(s) != 0)) {
    iws__unlock(&s->table_lock);
    return IWS_E_BAD_STATE;
  }
  b = bucket_of(s, c->id);
  c->hash_next = s->buckets[b];
  s->buckets[b] = c;
  s->count++;
  iws__unlock(&s->table_lock);
  return IWS_OK;
}

iws__conn *iws__table_find(iws_server *s, iws_conn_id id) {
  iws__conn *c;
  iws__lock(&s->table_lock);
  c = s->nbuckets ? s->buckets[bucket_of(s, id)] : NULL;
  while (c && c->id != id) c = c->hash_next;
  if (c) iws__conn_ref(c);
  iws__unlock(&s->table_lock);
  return c;
}

void iws__table_remove(iws_server *s, iws__conn *c) {
  iws__conn **pp;
  int found = 0;
  iws__lock(&s->table_lock);
  pp = &s->buckets[bucket_of(s, c->id)];
  while (*pp) {
    if (*pp == c) {
      *pp = c->hash_next;
      found = 1;
      break;
    }
    pp = &(*pp)->hash_next;
  }
  if (found) s->count--;
  iws__cond_broadcast(&s->table_cond);
  iws__unlock(&s->table_lock);
  if (found) iws__conn_unref(c);
}

iws__conn **iws__table_snapshot(iws_server *s, size_t *count) {
  iws__conn **list;
  size_t i, n = 0;
  iws__lock(&s->table_lock);
  list = malloc((s->count ? s->count : 1) * sizeof(*list));
  if (list) {
    for (i = 0; i < s->nbuckets; i++) {
      iws__conn *c;
      for (c = s->buckets[i]; c; c = c->hash_next) {
        iws__conn_ref(c);
        list[n++] = c;
      }
    }
  }
  iws__unlock(&s->table_lock);
  *count = n;
  return list;
}

void iws__table_release_snapshot(iws__conn **list, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) iws__conn_unref(list[i]);
  free(list);
}


/* ------------------------------------------------------------------------ */
/* statistics per thread (core.h)                                            */
/* ------------------------------------------------------------------------ */

IWS_THREAD_LOCAL iws__tstats *iws__t_stats;
IWS_THREAD_LOCAL uint64_t iws__t_stats_epoch;
static volatile uint64_t stats_epochs; /* the last epoch handed out */

void iws__stats_bind_slow(iws_server *s) {
  iws__tstats *t = calloc(1, sizeof(*t));
  uint64_t epoch;
  if (!t) return; /* this thread counts with atomics instead */
  iws__lock(&s->table_lock);
  if (!s->stats_epoch)
    iws__atomic_store64(&s->stats_epoch, iws__atomic_add64(&stats_epochs, 1));
  epoch = s->stats_epoch;
  t->next = s->tstats;
  s->tstats = t;
  iws__unlock(&s->table_lock);
  iws__t_stats = t;
  iws__t_stats_epoch = epoch;
}

void iws__stats_fold(iws_server *s) {
  iws__tstats *t, *next;
  iws__lock(&s->table_lock);
  for (t = s->tstats; t; t = next) {
    next = t->next;
    iws__atomic_add64(&s->st_msg_in, (int64_t)t->msg_in);
    iws__atomic_add64(&s->st_msg_out, (int64_t)t->msg_out);
    iws__atomic_add64(&s->st_bytes_in, (int64_t)t->bytes_in);
    iws__atomic_add64(&s->st_bytes_out, (int64_t)t->bytes_out);
    iws__atomic_add64(&s->st_queued, (int64_t)t->queued);
    free(t);
  }
  s->tstats = NULL;
  /* Threads still holding a pointer to a freed slab no longer match. */
  if (s->stats_epoch)
    iws__atomic_store64(&s->stats_epoch, iws__atomic_add64(&stats_epochs, 1));
  iws__unlock(&s->table_lock);
}

void iws__stats_sum(iws_server *s, uint64_t *msg_in, uint64_t *msg_out,
                    uint64_t *bytes_in, uint64_t *bytes_out,
                    uint64_t *queued) {
  iws__tstats *t;
  iws__lock(&s->table_lock); /* no fold meanwhile: nothing counted twice */
  *msg_in = iws__atomic_load64(&s->st_msg_in);
  *msg_out = iws__atomic_load64(&s->st_msg_out);
  *bytes_in = iws__atomic_load64(&s->st_bytes_in);
  *bytes_out = iws__atomic_load64(&s->st_bytes_out);
  *queued = iws__atomic_load64(&s->st_queued);
  for (t = s->tstats; t; t = t->next) {
    *msg_in += iws__atomic_load64_relaxed(&t->msg_in);
    *msg_out += iws__atomic_load64_relaxed(&t->msg_out);
    *bytes_in += iws__atomic_load64_relaxed(&t->bytes_in);
    *bytes_out += iws__atomic_load64_relaxed(&t->bytes_out);
    *queued += iws__atomic_load64_relaxed(&t->queued);
  }
  iws__unlock(&s->table_lock);
}
