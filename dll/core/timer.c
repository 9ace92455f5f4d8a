/*
 * timer.c - the connections' timers: FIFO lists, one per duration (so
 * appending keeps each sorted), under the server's timer_lock, run by the
 * back end's tick.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define RX_TRIM_INTERVAL_MS 1000

/* ------------------------------------------------------------------------ */
/* timers                                                                    */
/* ------------------------------------------------------------------------ */

void iws__tlist_init(iws__tlist *l) {
  l->head.prev = l->head.next = &l->head;
}

void iws__tlist_push(iws__tlist *l, iws__tnode *n, uint64_t deadline) {
  if (n->next) iws__tlist_remove(n);
  n->deadline = deadline;
  n->prev = l->head.prev;
  n->next = &l->head;
  l->head.prev->next = n;
  l->head.prev = n;
}

void iws__tlist_remove(iws__tnode *n) {
  if (!n->next) return;
  n->prev->next = n->next;
  n->next->prev = n->prev;
  n->prev = n->next = NULL;
}

/* Under the timer lock: the node of timer `which` (its slot). */
iws__tnode *iws__conn_timer_node(iws__conn *c, int which) {
  return &c->timers[iws__t_slot(which)];
}

/* The connection a due node belongs to (list `which`). */
static iws__conn *timer_owner(iws__tnode *node, int which) {
  return (iws__conn *)((char *)node - offsetof(iws__conn, timers[0]) -
                       (size_t)iws__t_slot(which) * sizeof(iws__tnode));
}

void iws__conn_timer_set(iws__conn *c, int which, uint64_t delay_ms) {
  iws_server *s = c->server;
  iws__tnode *node;
  iws__lock(&s->timer_lock);
  /* Once the socket is gone the connection may be freed: it must never
   * enter a list again. */
  node = iws__conn_timer_node(c, which);
  if (!c->timers_dead) {
    iws__tlist_push(&s->timers[which], node, iws__now_ms() + delay_ms);
    c->timer_kind[iws__t_slot(which)] = (uint8_t)which;
  }
  iws__unlock(&s->timer_lock);
}

void iws__conn_timer_clear(iws__conn *c, int which) {
  iws_server *s = c->server;
  iws__tnode *node;
  iws__lock(&s->timer_lock);
  node = iws__conn_timer_node(c, which);
  /* A slot's neighbour may be the one armed: leave it. */
  if (c->timer_kind[iws__t_slot(which)] == which) iws__tlist_remove(node);
  if (which == IWS__T_PONG) iws__atomic_store32(&c->awaiting_pong, 0);
  iws__unlock(&s->timer_lock);
}

int iws__conn_timer_arm_once(iws__conn *c, int which, uint64_t delay_ms,
                             int while_armed, volatile uint32_t *flag) {
  iws_server *s = c->server;
  iws__tnode *node, *other;
  int armed = 0;
  iws__lock(&s->timer_lock);
  node = iws__conn_timer_node(c, which);
  other = iws__conn_timer_node(c, while_armed);
  if (!c->timers_dead && !node->next && other->next &&
      c->timer_kind[iws__t_slot(while_armed)] == while_armed) {
    iws__tlist_push(&s->timers[which], node, iws__now_ms() + delay_ms);
    c->timer_kind[iws__t_slot(which)] = (uint8_t)which;
    if (flag) iws__atomic_store32(flag, 1);
    armed = 1;
  }
  iws__unlock(&s->timer_lock);
  return armed;
}

/* ------------------------------------------------------------------------ */
/* timers (tick thread)                                                      */
/* ------------------------------------------------------------------------ */

#define TICK_BATCH 256

/* IWS__T_MAIN is the core's (handshake, TLS handshake, close timeouts);
 * every other timer is its protocol's. */
static void on_timer(iws__conn *c, int which) {
  iws_server *s = c->server;
  const iws__proto *p;
  iws__conn_lock(c);
  p = c->proto;
  if (which != IWS__T_MAIN) {
    iws__conn_unlock(c);
    if (p->timer) p->timer(c, which);
    return;
  }
  if (!c->tcp_closing && c->state != IWS__CLOSED) {
    if (c->state == IWS__HANDSHAKE || c->state == IWS__ACCEPTING) {
      iws__log(s, IWS_LOG_INFO,
               "connection %llu from %s: %s timeout",
               (unsigned long long)c->id, IWS__ADDR_STR(&c->peer),
               c->ssl && !c->tls->ready ? "TLS handshake" : "handshake");
    } else if (!c->fail_code && !c->close_recv && !c->pending_error) {
      /* We closed and the peer never answered: reported as 1006. */
      c->pending_error = IWS_E_TIMEOUT;
    }
    iws__conn_tcp_close_locked(c, 1);
  }
  iws__conn_unlock(c);
}

void iws__core_tick(iws_server *s) {
  int which;
  uint64_t freed = iws__atomic_load64(&s->rx_freed), at = iws__now_ms();
  /* Large buffers went: give the memory back, at most once a second (a
   * trim walks the heap), or at once after a lot. */
  if (freed >= IWS__RX_TRIM_AFTER ||
      (freed && at - s->last_trim_ms >= RX_TRIM_INTERVAL_MS)) {
    iws__atomic_add64(&s->rx_freed, -(int64_t)freed);
    s->last_trim_ms = at;
    iws__mem_trim();
  }
  for (which = 0; which < IWS__T_COUNT; which++) {
    for (;;) {
      iws__conn *due[TICK_BATCH];
      size_t n = 0, i;
      uint64_t now = iws__now_ms();
      iws__lock(&s->timer_lock);
      while (n < TICK_BATCH) {
        iws__tnode *node = s->timers[which].head.next;
        iws__conn *c;
        if (node == &s->timers[which].head || node->deadline > now) break;
        c = timer_owner(node, which);
        if (which == IWS__T_PING)
          iws__tlist_push(&s->timers[which], node,
                          now + s->cfg.heartbeat_interval_ms);
        else
          iws__tlist_remove(node);
        if (which == IWS__T_PONG) iws__atomic_store32(&c->awaiting_pong, 0);
        iws__conn_ref(c);
        due[n++] = c;
      }
      iws__unlock(&s->timer_lock);
      for (i = 0; i < n; i++) {
        on_timer(due[i], which);
        iws__conn_unref(due[i]);
      }
      if (n < TICK_BATCH) break;
    }
  }
}

