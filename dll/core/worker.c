/*
 * worker.c - a connection's strand: where its input, its protocol's kicks
 * and work asked for by other threads (iws__conn_run_due) run, with the
 * gate that keeps the last off the I/O thread's back; and the worker
 * threads (IWS_OPT_WORKER_THREADS > 0): each connection is pinned to one,
 * which runs its input, its protocol's kicks and its end.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define WORKER_RX_LOW (64 * 1024) /* reading resumes below this backlog */

/* ------------------------------------------------------------------------ */
/* the strand                                                                */
/* ------------------------------------------------------------------------ */

/* The strand gate (IWS__GATED servers only): the I/O thread that runs a
 * connection's strand says so in strand_in, and waits while another
 * thread runs the protocol's `due` for it (due_busy); iws__conn_run_due
 * says so in due_busy and backs off if strand_in is set. Both store,
 * then load the other's word (sequentially consistent), so at least one
 * of them sees the other: never both inside. Only the strand side waits,
 * and never with a lock of ours held. */
void iws__strand_gate_enter(iws__conn *c) {
  iws_server *s = c->server;
  if (!IWS__GATED(s)) return;
  iws__atomic_add32(&c->strand_in, 1);
  if (!iws__atomic_load32(&c->due_busy)) return;
  iws__lock(&s->gate_lock);
  while (iws__atomic_load32(&c->due_busy))
    iws__cond_wait(&s->gate_cond, &s->gate_lock);
  iws__unlock(&s->gate_lock);
}

void iws__strand_gate_leave(iws__conn *c) {
  if (IWS__GATED(c->server)) iws__atomic_add32(&c->strand_in, -1);
}

/* The strand's work asked for by another thread: the protocol's `due`,
 * then a flush (what it sent goes out in one write). */
void iws__strand_due(iws__conn *c) {
  iws__conn *saved = iws__t_strand_conn;
  if (!c->proto->due) return;
  iws__t_strand_conn = c;
  c->proto->due(c);
  iws__t_strand_conn = saved;
  iws__conn_lock(c);
  iws__conn_flush_locked(c);
  iws__conn_unlock(c);
}

int iws__conn_run_due(iws__conn *c) {
  iws_server *s = c->server;
  if (s->cfg.workers) {
    iws__conn_lock(c);
    if (c->sock && !c->tcp_closing) {
      iws__conn_wk(c)->due = 1;
      iws__worker_wake_locked(c);
    }
    iws__conn_unlock(c);
    return 1;
  }
  if (IWS__GATED(s)) {
    iws__atomic_store32(&c->due_busy, 1);
    if (iws__atomic_load32(&c->strand_in)) {
      /* The strand runs on its I/O thread right now. */
      iws__atomic_store32(&c->due_busy, 0);
      iws__lock(&s->gate_lock);
      iws__cond_broadcast(&s->gate_cond);
      iws__unlock(&s->gate_lock);
      return 0;
    }
  }
  iws__strand_due(c);
  if (IWS__GATED(s)) {
    iws__atomic_store32(&c->due_busy, 0);
    iws__lock(&s->gate_lock);
    iws__cond_broadcast(&s->gate_cond);
    iws__unlock(&s->gate_lock);
  }
  return 1;
}

/* The strand's input, then a flush; `check`: then (under the lock the
 * flush takes anyway: one lock less per read) whether reading must pause
 * for the output, with out_paused set there, so that a drain elsewhere
 * cannot slip between. Returns whether it paused. */
int iws__strand_run_paused(iws__conn *c, uint8_t *data, size_t len,
                           int check) {
  iws__conn *saved = iws__t_strand_conn;
  int over;
  iws__strand_gate_enter(c);
  iws__t_strand_conn = c;
  if (len) c->proto->input(c, data, len);
  iws__t_strand_conn = saved;
  iws__conn_lock(c);
  iws__conn_flush_locked(c);
  over = check && iws__conn_output_over_locked(c);
  if (over) c->out_paused = 1; /* output_drained_locked resumes */
  iws__conn_unlock(c);
  iws__strand_gate_leave(c);
  return over;
}

void iws__strand_run(iws__conn *c, uint8_t *data, size_t len) {
  iws__strand_run_paused(c, data, len, 0);
}

void iws__strand_kick(iws__conn *c) {
  iws__conn *saved = iws__t_strand_conn;
  if (!c->proto->resumed) return;
  iws__strand_gate_enter(c);
  iws__t_strand_conn = c;
  c->proto->resumed(c);
  iws__t_strand_conn = saved;
  iws__conn_lock(c);
  iws__conn_flush_locked(c);
  iws__conn_unlock(c);
  iws__strand_gate_leave(c);
}

/* ------------------------------------------------------------------------ */
/* workers                                                                   */
/* ------------------------------------------------------------------------ */

static void worker_push(iws__worker *w, iws__conn *c) {
  iws__conn_ref(c);
  iws__lock(&w->lock);
  iws__conn_wk(c)->next = NULL;
  if (w->tail)
    iws__conn_wk(w->tail)->next = c;
  else
    w->head = c;
  w->tail = c;
  iws__cond_signal(&w->cond);
  iws__unlock(&w->lock);
}

void iws__worker_wake_locked(iws__conn *c) {
  iws__wk *wk = iws__conn_wk(c);
  if (wk->queued) return;
  wk->queued = 1;
  /* A connection's worker: by its id, for its life. */
  worker_push(&c->server->workers[c->id % c->server->cfg.workers], c);
}

static void worker_run(iws__conn *c) {
  iws__wk *wk = iws__conn_wk(c);
  iws__bytes input;
  int closed, kick, open, due;
  iws__conn_lock(c);
  open = c->open_pending;
  c->open_pending = 0;
  input = wk->rxq;
  memset(&wk->rxq, 0, sizeof(wk->rxq));
  closed = wk->closed_pending;
  wk->closed_pending = 0;
  wk->queued = 0;
  kick = c->wkick;
  c->wkick = 0;
  due = wk->due;
  wk->due = 0;
  iws__conn_unlock(c);
  if (open) iws__conn_deliver_open(c);
  if (input.len)
    iws__strand_run(c, input.data, input.len);
  else if (kick && !closed)
    iws__strand_kick(c);
  /* After the input that came before it; never after the end. */
  if (due && !closed) iws__strand_due(c);
  iws__bytes_free(&input);
  c->pause_asked = 0;
  iws__conn_lock(c);
  if (wk->read_paused && wk->rxq.len < WORKER_RX_LOW && c->sock &&
      !c->tcp_closing && !c->read_hold) {
    wk->read_paused = 0;
    iws__be_read_resume(c->sock);
  }
  iws__conn_unlock(c);
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
    w->head = iws__conn_wk(c)->next;
    if (!w->head) w->tail = NULL;
    iws__unlock(&w->lock);
    worker_run(c);
    iws__conn_unref(c);
  }
}

