/*
 * worker.c - worker threads (IWS_OPT_WORKER_THREADS > 0): each connection
 * is pinned to one, which runs its input, its protocol's kicks and its end.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define WORKER_RX_LOW (64 * 1024) /* reading resumes below this backlog */

/* ------------------------------------------------------------------------ */
/* workers                                                                   */
/* ------------------------------------------------------------------------ */

static void worker_push(iws__worker *w, iws__conn *c) {
  iws__conn_ref(c);
  iws__lock(&w->lock);
  c->wnext = NULL;
  if (w->tail)
    w->tail->wnext = c;
  else
    w->head = c;
  w->tail = c;
  iws__cond_signal(&w->cond);
  iws__unlock(&w->lock);
}

void iws__worker_wake_locked(iws__conn *c) {
  if (c->wqueued) return;
  c->wqueued = 1;
  worker_push(&c->server->workers[c->worker], c);
}

static void worker_run(iws__conn *c) {
  iws__bytes input;
  int closed, kick, open;
  iws__lock(&c->lock);
  open = c->open_pending;
  c->open_pending = 0;
  input = c->rxq;
  memset(&c->rxq, 0, sizeof(c->rxq));
  closed = c->closed_pending;
  c->closed_pending = 0;
  c->wqueued = 0;
  kick = c->wkick;
  c->wkick = 0;
  iws__unlock(&c->lock);
  if (open) iws__conn_deliver_open(c);
  if (input.len)
    iws__strand_run(c, input.data, input.len);
  else if (kick && !closed)
    iws__strand_kick(c);
  iws__bytes_free(&input);
  c->pause_asked = 0;
  iws__lock(&c->lock);
  if (c->read_paused && c->rxq.len < WORKER_RX_LOW && c->sock &&
      !c->tcp_closing && !c->read_hold) {
    c->read_paused = 0;
    iws__be_read_resume(c->sock);
  }
  iws__unlock(&c->lock);
  if (closed) iws__conn_deliver_disconnect(c);
}

void iws__worker_main(void *arg) {
  iws__worker *w = arg;
  iws__stats_bind(w->server);
  for (;;) {
    iws__conn *c;
    iws__lock(&w->lock);
    while (!w->head && !w->stop) iws__cond_wait(&w->cond, &w->lock);
    c = w->head;
    if (!c) {
      iws__unlock(&w->lock);
      break;
    }
    w->head = c->wnext;
    if (!w->head) w->tail = NULL;
    iws__unlock(&w->lock);
    worker_run(c);
    iws__conn_unref(c);
  }
}

