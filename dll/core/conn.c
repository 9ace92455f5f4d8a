/*
 * conn.c - a connection's bytes: accept, references, the send ring and
 * its flush (plain or through TLS), pausing and resuming input, the
 * back end's hooks, and the end of a connection (on_disconnect, once).
 *
 * Threads. Each connection has a "strand": the thread that runs its input
 * processing and its callbacks. With IWS_OPT_WORKER_THREADS = 0 it is the I/O
 * thread delivering the bytes (the back end never delivers one socket's
 * bytes concurrently); with N workers it is worker (id % N), fed through the
 * connection's rx queue (worker.c). Everything other threads may touch
 * (send queue, close flags, the socket) is under conn->lock. Callbacks run
 * with no lock held. What the bytes mean is ws/ and http/'s business.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

#define WORKER_RX_HIGH (256 * 1024) /* pause reading above this backlog
                                       (worker.c resumes below a quarter) */
/* Reading pauses while more than this waits to be sent when the send-queue
 * limit is 0 (unlimited): what the library queues by itself (pongs, the
 * close echo) must stay bounded for a peer that does not read. */
#define OUTPUT_PAUSE_DEFAULT (32u * 1024u * 1024u)

IWS_THREAD_LOCAL iws_server *iws__t_callback_server;
IWS_THREAD_LOCAL iws__conn *iws__t_strand_conn;

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */
/* ------------------------------------------------------------------------ */

void iws__conn_ref(iws__conn *c) { iws__atomic_add32(&c->refs, 1); }


void iws__conn_unref(iws__conn *c) {
  if (iws__atomic_add32(&c->refs, -1) != 0) return;
  iws__conn_ring_clear_locked(c);
  free(c->ring);
  if (c->proto && c->proto->free) c->proto->free(c);
  iws__tls_conn_free(c);
  if (c->has_wk) iws__bytes_free(&iws__conn_wk(c)->rxq);
  free(c->close_reason);
  if (c->path != iws__root_path) free(c->path);
  free(c->protocol);
  free(c);
}

/* ------------------------------------------------------------------------ */
/* frames                                                                    */
/* ------------------------------------------------------------------------ */

iws__chunk *iws__chunk_new(size_t len) {
  iws__chunk *c;
  if (len > SIZE_MAX - sizeof(iws__chunk)) return NULL;
  c = malloc(sizeof(iws__chunk) + len);
  if (!c) return NULL;
  c->refs = 1;
  c->reserved = 0;
  c->len = len;
  c->data = (uint8_t *)(c + 1);
  return c;
}

/* A file segment in the send ring (static files): a chunk without bytes
 * (data NULL, reserved CHUNK_FILE) whose len bytes come from the file at
 * offset. A long file is several segments; the last one owns the file and
 * closes it when it is freed (sent or dropped). */
#define CHUNK_FILE 1u
#define FILE_SEGMENT_MAX (1024u * 1024u * 1024u) /* fits a 32-bit size_t */
typedef struct file_chunk {
  iws__chunk chunk;
  iws__file *file;
  uint64_t offset;
  int owner;
} file_chunk;

void iws__chunk_unref(iws__chunk *c) {
  if (!c) return;
  /* The only reference (a connection's own frame, the common case): nobody
   * else can take one now, so no read-modify-write is needed to drop it.
   * The load is sequentially consistent: another thread's earlier release
   * of its reference happens before the free. */
  if (iws__atomic_load32(&c->refs) == 1 || iws__atomic_add32(&c->refs, -1) == 0) {
    if (c->reserved & CHUNK_FILE) {
      file_chunk *f = (file_chunk *)c;
      if (f->owner) iws__file_close(f->file);
    }
    free(c);
  }
}

/* ------------------------------------------------------------------------ */
/* send queue (under conn->lock)                                             */
/* ------------------------------------------------------------------------ */

static int ring_reserve(iws__conn *c) {
  uint32_t cap, i;
  iws__outseg *fresh;
  if (c->ring_count < c->ring_cap) return 0;
  cap = c->ring_cap ? c->ring_cap * 2 : 8;
  fresh = malloc(cap * sizeof(*fresh));
  if (!fresh) return -1;
  for (i = 0; i < c->ring_count; i++)
    fresh[i] = c->ring[(c->ring_head + i) % c->ring_cap];
  free(c->ring);
  c->ring = fresh;
  c->ring_cap = cap;
  c->ring_head = 0;
  return 0;
}

int iws__conn_ring_push_locked(iws__conn *c, iws__chunk *chunk, int front) {
  iws__outseg seg;
  if (ring_reserve(c) != 0) return -1;
  seg.chunk = chunk;
  seg.off = 0;
  if (front) {
    c->ring_head = (c->ring_head + c->ring_cap - 1) % c->ring_cap;
    c->ring[c->ring_head] = seg;
  } else {
    c->ring[(c->ring_head + c->ring_count) % c->ring_cap] = seg;
  }
  c->ring_count++;
  if (!front) c->ring_keep = 1; /* front: only the handshake answer */
  c->queued_bytes += chunk->len;
  IWS__STAT(c->server, queued, chunk->len);
  return 0;
}

void iws__conn_ring_clear_locked(iws__conn *c) {
  while (c->ring_count) {
    iws__outseg *seg = &c->ring[c->ring_head];
    iws__chunk_unref(seg->chunk);
    c->ring_head = (c->ring_head + 1) % c->ring_cap;
    c->ring_count--;
  }
  if (c->queued_bytes)
    IWS__STAT(c->server, queued, -(int64_t)c->queued_bytes);
  c->queued_bytes = 0;
}

/* n plaintext bytes left the queue: written (plain), or encrypted (TLS). */
static void ring_consume(iws__conn *c, size_t n) {
  iws_server *s = c->server;
  IWS__STAT(s, queued, -(int64_t)n);
  c->queued_bytes -= n;
  while (n && c->ring_count) {
    iws__outseg *seg = &c->ring[c->ring_head];
    size_t left = seg->chunk->len - seg->off;
    if (n < left) {
      seg->off += n;
      return;
    }
    n -= left;
    if (seg->chunk->len >= IWS__RX_TRIM_MIN && seg->chunk->data)
      /* A large frame went out (its last reference, usually). */
      iws__atomic_add64_relaxed(&s->rx_freed, (int64_t)seg->chunk->len);
    iws__chunk_unref(seg->chunk);
    c->ring_head = (c->ring_head + 1) % c->ring_cap;
    c->ring_count--;
  }
  if (!c->ring_count && !c->ring_keep) {
    /* Only the handshake answer went out: an idle connection keeps no
     * ring (one that has exchanged messages keeps its own: no allocation
     * per message). */
    free(c->ring);
    c->ring = NULL;
    c->ring_cap = c->ring_head = 0;
  }
}

void iws__conn_ring_idle_locked(iws__conn *c) {
  if (c->ring_count || !c->ring) return;
  free(c->ring);
  c->ring = NULL;
  c->ring_cap = c->ring_head = 0;
  c->ring_keep = 0;
}

/* The close reason is kept in a buffer of its own, made when needed (most
 * connections never have one): returns it, or NULL without memory. */
char *iws__conn_close_reason_buf(iws__conn *c) {
  if (!c->close_reason) c->close_reason = malloc(124);
  return c->close_reason;
}

void iws__conn_tcp_close_locked(iws__conn *c, int abortive) {
  if (c->tcp_closing || !c->sock) return;
  c->tcp_closing = 1;
  iws__be_close(c->sock, abortive);
}

/* TLS: plaintext encrypted per flush, and how much is copied together into
 * one record (small frames share a record instead of paying one each). */
#define TLS_BATCH (64 * 1024)
#define TLS_COALESCE 16384
#define TLS_PLAIN_BUFFER (64 * 1024)

/* Ciphertext not yet written (counts against the send-queue limit). */
static size_t tls_backlog(const iws__conn *c) {
  if (!c->tls) return 0;
  return c->tls->out.len - c->tls->out_off + c->tls->pend.len;
}

/* Reading pauses while more than this waits to be sent (the send-queue
 * limit), and resumes below half of it: replies the library makes itself
 * (pongs, the close echo) then stay bounded for a peer that does not read,
 * like everything the application sends. */
static uint64_t output_pause_level(const iws__conn *c) {
  uint64_t limit = c->server->cfg.send_queue_limit;
  return limit ? limit : OUTPUT_PAUSE_DEFAULT;
}

int iws__conn_output_over_locked(const iws__conn *c) {
  return c->queued_bytes + tls_backlog(c) > output_pause_level(c);
}

/* Under c->lock: wakes the threads in iws__conn_wait_room_locked (they
 * re-check their own connection). */
static void room_wake_locked(iws__conn *c) {
  iws_server *s = c->server;
  c->room_wait = 0;
  iws__lock(&s->room_lock);
  s->room_gen++;
  iws__cond_broadcast(&s->room_cond);
  iws__unlock(&s->room_lock);
}

/* After output drained: reading goes on if it waited for that, and a
 * thread waiting for room (iws_http_stream_wait) is woken. */
static void output_drained_locked(iws__conn *c) {
  if (c->room_wait &&
      (!c->sock || c->tcp_closing ||
       c->queued_bytes + tls_backlog(c) <= output_pause_level(c) / 2))
    room_wake_locked(c);
  if (c->out_paused && c->sock && !c->tcp_closing &&
      c->queued_bytes + tls_backlog(c) <= output_pause_level(c) / 2) {
    c->out_paused = 0;
    iws__be_read_resume(c->sock);
  }
}

/* A fatal TLS error: nothing more can be encrypted. What is already
 * ciphertext (an alert) still goes out, then the TCP connection closes. */
static void tls_fail_locked(iws__conn *c) {
  iws__conn_ring_clear_locked(c);
  if (c->accepted && !c->pending_error) c->pending_error = IWS_E_TLS;
  c->finish_after_flush = IWS__FINISH_CLOSE;
  if (c->state != IWS__OPEN && c->state != IWS__CLOSED)
    c->state = IWS__DRAINING; /* input is discarded from now on */
}

/* Encrypts up to TLS_BATCH bytes of queued frames into tls_pend. */
static void tls_refill_locked(iws__conn *c) {
  uint8_t merged[TLS_COALESCE];
  size_t merged_len = 0, budget = TLS_BATCH;
  int failed = 0;
  while (c->ring_count && budget && !failed) {
    iws__outseg *seg = &c->ring[c->ring_head];
    size_t left = seg->chunk->len - seg->off;
    size_t take = left < budget ? left : budget;
    const uint8_t *p;
    if (!seg->chunk->data) {
      /* A file: read a record's worth into the (flushed) merge buffer. */
      file_chunk *f = (file_chunk *)seg->chunk;
      size_t got = 0;
      if (merged_len) failed = iws__tls_encrypt(c, merged, merged_len) != 0;
      merged_len = 0;
      if (failed) break;
      if (take > sizeof(merged)) take = sizeof(merged);
      if (iws__file_read(f->file, f->offset + seg->off, merged, take, &got) !=
              0 ||
          got == 0) {
        /* Unreadable or truncated meanwhile: the response cannot be
         * completed; end the connection. */
        if (!c->pending_error) c->pending_error = IWS_E_FILE;
        iws__conn_tcp_close_locked(c, 1);
        return;
      }
      failed = iws__tls_encrypt(c, merged, got) != 0;
      ring_consume(c, got);
      budget -= got;
      continue;
    }
    p = seg->chunk->data + seg->off;
    if (take <= sizeof(merged) / 4) {
      if (merged_len + take > sizeof(merged)) {
        failed = iws__tls_encrypt(c, merged, merged_len) != 0;
        merged_len = 0;
      }
      memcpy(merged + merged_len, p, take);
      merged_len += take;
    } else {
      if (merged_len) failed = iws__tls_encrypt(c, merged, merged_len) != 0;
      merged_len = 0;
      if (!failed) failed = iws__tls_encrypt(c, p, take) != 0;
    }
    ring_consume(c, take);
    budget -= take;
  }
  if (merged_len && !failed)
    failed = iws__tls_encrypt(c, merged, merged_len) != 0;
  if (failed) tls_fail_locked(c);
}

/* Writes what is queued, unless a write is already with the back end. */
void iws__conn_flush_locked(iws__conn *c) {
  iws_server *s = c->server;
again:
  while (!c->writing && !c->tcp_closing && c->sock) {
    iws__iov iov[IWS__IOV_MAX];
    int n = 0;
    uint32_t i;
    int64_t r;
    if (c->ssl) {
      if (c->tls->out_off == c->tls->out.len) {
        /* All written: the buffer goes (an idle connection keeps none). */
        iws__bytes_free(&c->tls->out);
        c->tls->out_off = 0;
        /* Inside on_connect (ACCEPTING) what is queued waits behind the
         * 101, which is not queued yet: only TLS's own records go (a
         * record from the client must not flush a welcome ahead of it). */
        if (!c->tls->pend.len && c->ring_count &&
            c->state != IWS__ACCEPTING)
          tls_refill_locked(c);
        if (!c->tls->pend.len || c->tcp_closing) break;
        c->tls->out = c->tls->pend;
        memset(&c->tls->pend, 0, sizeof(c->tls->pend));
      }
      iov[0].base = c->tls->out.data + c->tls->out_off;
      iov[0].len = c->tls->out.len - c->tls->out_off;
      n = 1;
    } else {
      if (!c->ring_count || c->state == IWS__ACCEPTING) break; /* idem */
      for (i = 0; i < c->ring_count && n < IWS__IOV_MAX; i++) {
        iws__outseg *seg = &c->ring[(c->ring_head + i) % c->ring_cap];
        if (!seg->chunk->data) break; /* a file: on its own, below */
        iov[n].base = seg->chunk->data + seg->off;
        iov[n].len = seg->chunk->len - seg->off;
        n++;
      }
    }
    c->writing = 1;
    if (n == 0) {
      /* A file segment at the head: zero copy through the back end. */
      iws__outseg *seg = &c->ring[c->ring_head];
      file_chunk *f = (file_chunk *)seg->chunk;
      r = iws__be_write_file(c->sock, f->file, f->offset + seg->off,
                             seg->chunk->len - seg->off);
    } else {
      r = iws__be_write(c->sock, iov, n);
    }
    if (r == IWS__BE_PENDING) return;
    c->writing = 0;
    if (r < 0) {
      if (!c->pending_error) c->pending_error = IWS_E_CONNECTION_LOST;
      iws__conn_tcp_close_locked(c, 1);
      return;
    }
    if (r == 0) return; /* nothing taken: wait for the back end */
    IWS__STAT(s, bytes_out, r);
    if (c->ssl)
      c->tls->out_off += (size_t)r;
    else
      ring_consume(c, (size_t)r);
  }
  if (!c->writing && !c->ring_count && c->finish_after_flush &&
      !c->shut_sent && !c->tcp_closing && c->sock &&
      !(c->ssl && tls_backlog(c))) {
    if (c->ssl && !c->tls->notify_sent && !c->tls->failed && c->tls->ready) {
      /* A clean close says so in TLS too (close_notify), then TCP. */
      iws__tls_close_notify(c);
      if (c->tls->pend.len) goto again;
    }
    if (c->finish_after_flush == IWS__FINISH_CLOSE) {
      iws__conn_tcp_close_locked(c, 0);
    } else {
      c->shut_sent = 1;
      c->state = IWS__DRAINING;
      iws__be_shutdown(c->sock);
    }
  }
  output_drained_locked(c);
}

/* Nothing is written now when the strand of this connection runs on this
 * thread: the strand flushes once its callbacks return, batching the
 * writes. From any other thread (an application thread, another
 * connection's callback, a broadcast) the flush is posted to the
 * connection's I/O thread, once until it has run: all that is queued
 * meanwhile - one message per broadcast, many broadcasts - leaves in one
 * write instead of one system call per message and receiver. */
void iws__conn_maybe_flush_locked(iws__conn *c) {
  /* Inside on_connect (ACCEPTING) the 101 answer is not queued yet: what
   * another thread sends now must wait behind it. The strand flushes when
   * on_connect has returned (iws__strand_run), 101 first. */
  if (iws__t_strand_conn == c || c->state == IWS__ACCEPTING) return;
  if (c->flush_posted) return;
  if (!c->writing && !c->tcp_closing && c->sock &&
      iws__be_post_flush(c->sock) == 0) {
    c->flush_posted = 1;
    return;
  }
  iws__conn_flush_locked(c);
}

void iws__core_flush(iws__conn *c) {
  iws__stats_bind(c->server);
  iws__conn_lock(c);
  c->flush_posted = 0;
  iws__conn_flush_locked(c);
  iws__conn_unlock(c);
}

void iws__core_write_done(iws__conn *c, size_t written, int error) {
  iws__stats_bind(c->server);
  iws__conn_lock(c);
  c->writing = 0;
  if (error) {
    if (!c->pending_error) c->pending_error = IWS_E_CONNECTION_LOST;
    iws__conn_tcp_close_locked(c, 1);
  } else {
    if (written) {
      IWS__STAT(c->server, bytes_out, written);
      if (c->ssl)
        c->tls->out_off += written;
      else
        ring_consume(c, written);
    }
    iws__conn_flush_locked(c);
    output_drained_locked(c);
  }
  iws__conn_unlock(c);
}

/* Static files: segments of an open file behind what is queued (http.h). */
int32_t iws__conn_queue_file(iws__conn *c, iws__file *file, uint64_t offset,
                             uint64_t length) {
  int32_t rc = IWS_OK;
  file_chunk *last = NULL;
  if (!c || !file) {
    iws__file_close(file);
    return IWS_E_INVALID_ARG;
  }
  if (length == 0) {
    iws__file_close(file);
    return IWS_OK;
  }
  iws__conn_lock(c);
  if (c->state == IWS__CLOSED || c->tcp_closing || !c->sock)
    rc = IWS_E_NO_CONNECTION;
  while (rc == IWS_OK && length) {
    size_t len = length > FILE_SEGMENT_MAX ? FILE_SEGMENT_MAX : (size_t)length;
    file_chunk *f = calloc(1, sizeof(*f));
    if (!f) {
      rc = IWS_E_NOMEM;
      break;
    }
    f->chunk.refs = 1;
    f->chunk.reserved = CHUNK_FILE;
    f->chunk.len = len;
    f->chunk.data = NULL;
    f->file = file;
    f->offset = offset;
    f->owner = len == length;
    if (iws__conn_ring_push_locked(c, &f->chunk, 0) != 0) {
      free(f);
      rc = IWS_E_NOMEM;
      break;
    }
    last = f;
    offset += len;
    length -= len;
  }
  if (rc == IWS_OK) {
    iws__conn_maybe_flush_locked(c);
  } else if (last) {
    /* Part of it is queued: that part closes the file; the response cannot
     * be completed, so the connection ends. */
    last->owner = 1;
    iws__conn_tcp_close_locked(c, 1);
  }
  iws__conn_unlock(c);
  if (rc != IWS_OK && !last) iws__file_close(file);
  return rc;
}

int32_t iws__conn_disconnect(iws__conn *c) {
  int32_t rc = IWS_OK;
  iws__conn_lock(c);
  if (c->state == IWS__CLOSED || c->tcp_closing) {
    rc = IWS_E_NO_CONNECTION;
  } else {
    iws__atomic_store32(&c->dropped, 1);
    iws__conn_tcp_close_locked(c, 1);
  }
  iws__conn_unlock(c);
  return rc;
}

void iws__conn_abort(iws__conn *c) {
  iws__conn_lock(c);
  iws__conn_tcp_close_locked(c, 1);
  iws__conn_unlock(c);
}

/* iws_stop: each protocol ends its connections its own way. */
void iws__conn_stop_gracefully(iws__conn *c) {
  iws__conn_lock(c);
  c->proto->stop_locked(c);
  iws__conn_unlock(c);
}

/* ------------------------------------------------------------------------ */
/* for the protocols                                                         */
/* ------------------------------------------------------------------------ */

int iws__conn_push_locked(iws__conn *c, iws__chunk *chunk) {
  iws__atomic_add32(&chunk->refs, 1);
  if (iws__conn_ring_push_locked(c, chunk, 0) != 0) {
    iws__atomic_add32(&chunk->refs, -1);
    iws__conn_tcp_close_locked(c, 1);
    return -1;
  }
  iws__conn_maybe_flush_locked(c);
  return 0;
}

void iws__conn_http_finish_locked(iws__conn *c) {
  c->state = IWS__DRAINING;
  c->finish_after_flush = IWS__FINISH_DRAIN;
  iws__conn_timer_set(c, IWS__T_MAIN, c->server->cfg.close_timeout_ms);
  iws__conn_maybe_flush_locked(c);
}

uint32_t iws__conn_queued_locked(const iws__conn *c) { return c->ring_count; }

uint64_t iws__conn_backlog_locked(const iws__conn *c) {
  return c->queued_bytes + tls_backlog(c);
}

/* core.h. The waiter reads room_gen while it still holds c->lock, and a
 * waker changes what `ready` sees under c->lock before it bumps room_gen:
 * no wake-up is lost between the check and the wait. */
int iws__conn_wait_room_locked(iws__conn *c, uint32_t timeout_ms,
                               int (*ready)(iws__conn *c, void *arg),
                               void *arg) {
  iws_server *s = c->server;
  uint64_t deadline = iws__now_ms() + timeout_ms;
  for (;;) {
    uint64_t gen, now;
    if (ready(c, arg)) return 1;
    now = iws__now_ms();
    if (now >= deadline) return 0;
    c->room_wait = 1;
    iws__lock(&s->room_lock);
    gen = s->room_gen;
    iws__conn_unlock(c);
    while (s->room_gen == gen && now < deadline) {
      uint64_t left = deadline - now;
      iws__cond_timedwait(&s->room_cond, &s->room_lock,
                          left > 0x7fffffffu ? 0x7fffffffu : (uint32_t)left);
      now = iws__now_ms();
    }
    iws__unlock(&s->room_lock);
    iws__conn_lock(c);
  }
}

void iws__conn_hold_locked(iws__conn *c) {
  c->read_hold = 1;
  c->pause_asked = 1;
  if (c->server->cfg.workers) iws__conn_wk(c)->read_paused = 1;
}

void iws__conn_kick_locked(iws__conn *c) {
  if (!c->read_hold) return;
  c->read_hold = 0;
  if (!c->sock || c->tcp_closing) return;
  if (c->server->cfg.workers) {
    c->wkick = 1;
    iws__worker_wake_locked(c);
  } else {
    iws__be_read_resume(c->sock);
  }
}

const char iws__root_path[2] = "/";

void iws__conn_wake_locked(iws__conn *c) {
  if (!c->sock || c->tcp_closing) return;
  if (c->server->cfg.workers) {
    c->wkick = 1;
    iws__worker_wake_locked(c);
  } else {
    /* The reader goes on as it was: the core pauses it again at once if
     * output is over the limit (iws__core_resumed). */
    iws__be_read_resume(c->sock);
  }
}

void iws__conn_set_proto(iws__conn *c, const iws__proto *p) {
  iws__conn_lock(c);
  c->proto = p;
  memset(&c->proto_area, 0, sizeof(c->proto_area));
  iws__conn_unlock(c);
}


/* ------------------------------------------------------------------------ */
/* accept                                                                    */
/* ------------------------------------------------------------------------ */



iws__conn *iws__core_accept(iws_server *s, iws__sock *sock,
                            const iws__addr *peer, const iws__addr *local,
                            uint32_t tag) {
  iws__conn *c;
  iws__stats_bind(s); /* the back end's thread: its own counters */
  /* Worker mode's part of the connection lives right behind it. */
  c = calloc(1, sizeof(*c) + (s->cfg.workers ? sizeof(iws__wk) : 0));
  if (!c) {
    iws__log(s, IWS_LOG_ERROR, "accept: out of memory");
    return NULL;
  }
  c->refs = 1; /* the table's reference, dropped after on_disconnect */
  c->server = s;
  c->sock = sock;
  c->proto = s->first_proto;
  c->has_wk = s->cfg.workers != 0;
  c->state = IWS__HANDSHAKE;
  c->id = iws__atomic_add64(&s->next_id, 1);
  c->peer = *peer;
  c->local = *local;
  c->listener = (uint8_t)IWS__LISTEN_INDEX(tag); /* < IWS_LISTENERS_MAX */
  if ((tag & IWS__LISTEN_TLS) && (!s->tls || iws__tls_conn_init(s->tls, c))) {
    iws__log(s, IWS_LOG_ERROR, "accept: out of memory for TLS");
    free(c);
    return NULL;
  }
  if (iws__table_insert(s, c) != IWS_OK) {
    iws__tls_conn_free(c);
    free(c);
    return NULL;
  }
  /* A TLS connection gets its TLS handshake time first, then the HTTP
   * upgrade time once the TLS handshake is done. */
  if (c->ssl ? s->cfg.tls_handshake_timeout_ms : s->cfg.handshake_timeout_ms)
    iws__conn_timer_set(c, IWS__T_MAIN,
              c->ssl ? s->cfg.tls_handshake_timeout_ms
                     : s->cfg.handshake_timeout_ms);
  if (iws__log_wants(s, IWS_LOG_DEBUG)) /* no text made for nobody */
    iws__log(s, IWS_LOG_DEBUG, "connection %llu from %s port %u%s",
             (unsigned long long)c->id, IWS__ADDR_STR(peer),
             (unsigned)peer->port, c->ssl ? " (TLS)" : "");
  /* on_open before anything else of the connection: the back ends call
   * here without a lock of ours and only start reading once this returns,
   * so on this (I/O) thread it is on the strand; a worker runs it first. */
  if (s->cb.on_open || s->cb.on_close) {
    if (s->cfg.workers) {
      iws__conn_lock(c);
      c->open_pending = 1;
      iws__worker_wake_locked(c);
      iws__conn_unlock(c);
    } else {
      iws__conn_deliver_open(c);
    }
  }
  return c;
}

/* ------------------------------------------------------------------------ */
/* back-end hooks                                                            */
/* ------------------------------------------------------------------------ */

/* Plaintext for the strand: run it here, or queue it for the worker. */
static int deliver_input(iws__conn *c, uint8_t *data, size_t len) {
  iws_server *s = c->server;
  int result = IWS__READ_CONTINUE;
  iws__wk *wk;
  if (!s->cfg.workers) {
    if (iws__strand_run_paused(c, data, len, 1)) result = IWS__READ_PAUSE;
    if (c->pause_asked) {
      /* The protocol holds further input (HTTP: until a response is
       * sent); it kicks reading again, then iws__core_resumed runs. */
      c->pause_asked = 0;
      result = IWS__READ_PAUSE;
    }
    return result;
  }
  iws__conn_lock(c);
  wk = iws__conn_wk(c);
  if (iws__bytes_append(&wk->rxq, data, len) != 0) {
    c->pending_error = IWS_E_NOMEM;
    iws__conn_tcp_close_locked(c, 1);
  } else {
    if (wk->rxq.len >= WORKER_RX_HIGH) wk->read_paused = 1;
    iws__worker_wake_locked(c);
  }
  if (iws__conn_output_over_locked(c)) c->out_paused = 1;
  if (wk->read_paused || c->out_paused) result = IWS__READ_PAUSE;
  iws__conn_unlock(c);
  return result;
}

/* The TLS handshake just finished: the HTTP upgrade's time starts now. */
static void tls_ready_locked(iws__conn *c) {
  iws_server *s = c->server;
  char desc[128];
  if (s->cfg.handshake_timeout_ms)
    iws__conn_timer_set(c, IWS__T_MAIN, s->cfg.handshake_timeout_ms);
  else
    iws__conn_timer_clear(c, IWS__T_MAIN);
  iws__log(s, IWS_LOG_DEBUG, "connection %llu: TLS handshake done (%s)",
           (unsigned long long)c->id,
           iws__tls_describe(c, desc, sizeof(desc)));
}

/* Ciphertext from the back end: decrypt and deliver the plaintext, with
 * conn->lock held only while OpenSSL works. */
static int tls_input(iws__conn *c, const uint8_t *data, size_t len) {
  iws_server *s = c->server;
  /* As much as one back-end read can bring: a message split over several
   * records reaches the parser in one piece. (I/O threads only.) */
  uint8_t plain[TLS_PLAIN_BUFFER];
  int result = IWS__READ_CONTINUE;
  iws__conn_lock(c);
  while (!c->tls->failed && !c->tcp_closing && c->state != IWS__DRAINING &&
         c->state != IWS__CLOSED) {
    size_t got = 0;
    uint32_t was_ready = c->tls->ready;
    int r;
    c->tls->in = data;
    c->tls->in_len = len;
    r = iws__tls_decrypt(c, plain, sizeof(plain), &got);
    data = c->tls->in; /* what OpenSSL has not taken yet */
    len = c->tls->in_len;
    c->tls->in = NULL;
    c->tls->in_len = 0;
    if (!was_ready && c->tls->ready) tls_ready_locked(c);
    if (r == IWS__TLS_DATA) {
      int res;
      iws__conn_flush_locked(c); /* handshake answers, tickets */
      iws__conn_unlock(c);
      res = deliver_input(c, plain, got);
      if (res == IWS__READ_PAUSE) result = res;
      iws__conn_lock(c);
      continue;
    }
    if (r == IWS__TLS_CLOSED) {
      /* close_notify: the peer is done. Like a FIN: a WebSocket that was
       * not closed first is lost (1006). */
      if (!c->pending_error && c->state == IWS__OPEN && !c->close_recv)
        c->pending_error = IWS_E_CONNECTION_LOST;
      c->tls->notify_sent = 1; /* it is gone: no answer needed */
      iws__conn_tcp_close_locked(c, 0);
    } else if (r == IWS__TLS_FAILED) {
      char msg[600];
      snprintf(msg, sizeof(msg), "%s",
               c->tls->error ? c->tls->error : "TLS error");
      tls_fail_locked(c);
      iws__conn_flush_locked(c); /* the alert, then the close */
      iws__conn_unlock(c);
      iws__log(s, IWS_LOG_INFO, "connection %llu from %s: %s",
               (unsigned long long)c->id, IWS__ADDR_STR(&c->peer), msg);
      return result;
    }
    break;
  }
  iws__conn_flush_locked(c);
  iws__conn_unlock(c);
  return result;
}

int iws__core_resumed(iws__conn *c) {
  int result = IWS__READ_CONTINUE;
  if (!c->server->cfg.workers) {
    iws__strand_kick(c);
    if (c->pause_asked) {
      c->pause_asked = 0;
      result = IWS__READ_PAUSE;
    }
  }
  /* Whoever resumed, reading stays paused while output is over the limit
   * or (worker mode) the worker is behind: each of those resumes again. */
  iws__conn_lock(c);
  if (iws__conn_output_over_locked(c)) c->out_paused = 1;
  if (c->out_paused ||
      (c->server->cfg.workers && iws__conn_wk(c)->read_paused))
    result = IWS__READ_PAUSE;
  iws__conn_unlock(c);
  return result;
}

int iws__core_read(iws__conn *c, uint8_t *data, size_t len, int error) {
  iws_server *s = c->server;
  iws__stats_bind(s);
  if (len == 0) {
    /* End of stream or error: the peer is gone (or answered our FIN). */
    iws__conn_lock(c);
    if (c->ssl && !c->pending_error && c->state == IWS__OPEN &&
        !c->close_recv && iws__tls_truncated(c))
      c->pending_error = IWS_E_TLS;
    if (error && !c->pending_error && c->state == IWS__OPEN && !c->close_recv)
      c->pending_error = IWS_E_CONNECTION_LOST;
    if (c->ssl && !c->tls->ready && c->state == IWS__HANDSHAKE)
      iws__log(s, IWS_LOG_INFO,
               "connection %llu from %s: the client left during the TLS "
               "handshake",
               (unsigned long long)c->id, IWS__ADDR_STR(&c->peer));
    iws__conn_tcp_close_locked(c, error != 0);
    iws__conn_unlock(c);
    return IWS__READ_CONTINUE;
  }
  IWS__STAT(s, bytes_in, len);
  if (c->ssl) return tls_input(c, data, len);
  return deliver_input(c, data, len);
}

/* on_error (and the log) for one connection. No lock held. */
void iws__conn_report_error(iws__conn *c, int32_t code, const char *msg) {
  iws_server *s = c->server;
  iws__log(s, IWS_LOG_INFO, "connection %llu: %s", (unsigned long long)c->id,
           msg);
  if (s->cb.on_error)
    IWS__IN_CALLBACK(s, s->cb.on_error(s, c->id, code, msg, s->user));
}

void iws__conn_deliver_open(iws__conn *c) {
  iws_server *s = c->server;
  iws__conn *saved = iws__t_strand_conn;
  iws__conn_lock(c); /* read at the end, maybe on another I/O thread */
  c->opened = 1;
  iws__conn_unlock(c);
  if (!s->cb.on_open) return;
  iws__t_strand_conn = c;
  IWS__IN_CALLBACK(s, s->cb.on_open(s, c->id, s->user));
  iws__t_strand_conn = saved;
}

/* The protocol's end (on_disconnect, if owed), then what else ends with
 * the connection (the server's hook: its subscriptions, while the table
 * still holds it; channels.c relies on that), then it leaves the table.
 * Strand. */
void iws__conn_deliver_disconnect(iws__conn *c) {
  iws_server *s = c->server;
  const iws__proto *p;
  int opened;
  iws__strand_gate_enter(c);
  iws__conn_lock(c);
  p = c->proto;
  opened = c->opened;
  c->opened = 0;
  iws__conn_unlock(c);
  if (p->gone) p->gone(c);
  if (s->conn_gone) s->conn_gone(c);
  /* on_close (Since 0.6): the last callback of every connection that had
   * on_open, after its on_disconnect; the id still finds it meanwhile. */
  if (opened && s->cb.on_close) {
    iws__conn *saved = iws__t_strand_conn;
    iws__t_strand_conn = c; /* its details still answer (detail_conn) */
    IWS__IN_CALLBACK(s, s->cb.on_close(s, c->id, s->user));
    iws__t_strand_conn = saved;
  }
  iws__strand_gate_leave(c);
  iws__table_remove(s, c);
}

void iws__core_closed(iws__conn *c) {
  iws_server *s = c->server;
  int t;
  iws__lock(&s->timer_lock);
  for (t = 0; t < IWS__T_SLOTS; t++) iws__tlist_remove(&c->timers[t]);
  iws__atomic_store32(&c->awaiting_pong, 0); /* note_activity reads it */
  c->timers_dead = 1;
  iws__unlock(&s->timer_lock);
  iws__conn_lock(c);
  c->state = IWS__CLOSED;
  c->tcp_closing = 1;
  c->sock = NULL;
  c->writing = 0;
  iws__conn_ring_clear_locked(c);
  c->read_hold = 0;
  if (c->proto->closed_locked) c->proto->closed_locked(c);
  if (c->room_wait) room_wake_locked(c);
  if (s->cfg.workers) {
    iws__conn_wk(c)->closed_pending = 1;
    iws__worker_wake_locked(c);
    iws__conn_unlock(c);
    return;
  }
  iws__conn_unlock(c);
  iws__conn_deliver_disconnect(c);
}

