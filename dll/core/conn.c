/*
 * conn.c - one connection's life: handshake, wslay glue, the send queue,
 * the close handshake, timers and the hand-off to worker threads.
 *
 * Threads. Each connection has a "strand": the thread that runs its input
 * processing and its callbacks. With IWS_OPT_WORKER_THREADS = 0 it is the I/O
 * thread delivering the bytes (the back end never delivers one socket's
 * bytes concurrently); with N workers it is worker (id % N), fed through the
 * connection's rx queue. The wslay context is touched only on the strand.
 * Everything other threads may touch (send queue, close flags, the socket)
 * is under conn->lock. Callbacks run with no lock held.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <wslay/wslay.h>

#include "http.h"
#include "http_parse.h"
#include "internal.h"

#define WORKER_RX_HIGH (256 * 1024) /* pause reading above this backlog */
/* A connection quiet this long gives its wslay context (~8.7 KiB) back at
 * the next frame boundary; busy connections keep it. */
#define WS_IDLE_RELEASE_MS 1000
#define WORKER_RX_LOW (64 * 1024)   /* resume below it */
/* Reading pauses while more than this waits to be sent when the send-queue
 * limit is 0 (unlimited): what the library queues by itself (pongs, the
 * close echo) must stay bounded for a peer that does not read. */
#define OUTPUT_PAUSE_DEFAULT (32u * 1024u * 1024u)
/* A reassembly buffer at least this large, once freed, counts towards
 * giving memory back to the system (iws__mem_trim from the tick). */
#define RX_TRIM_MIN (128 * 1024)
#define RX_TRIM_AFTER (16u * 1024u * 1024u)

IWS_THREAD_LOCAL iws_server *iws__t_callback_server;
IWS_THREAD_LOCAL iws__conn *iws__t_strand_conn;
IWS_THREAD_LOCAL const uint8_t *iws__t_valid_text;
IWS_THREAD_LOCAL size_t iws__t_valid_text_len;

/* Whether [data, data+len) lies inside the text being delivered. A slice
 * of valid UTF-8 is valid only if it starts and ends on character
 * boundaries: the bytes at both cuts must not be continuation bytes. */
int iws__text_known_valid(const void *data, size_t len) {
  uintptr_t p = (uintptr_t)data, b = (uintptr_t)iws__t_valid_text;
  size_t off;
  if (!b || p < b || p - b > iws__t_valid_text_len) return 0;
  off = (size_t)(p - b);
  if (len > iws__t_valid_text_len - off) return 0;
  if (len == iws__t_valid_text_len) return 1; /* the whole message */
  if (off < iws__t_valid_text_len &&
      (iws__t_valid_text[off] & 0xC0) == 0x80)
    return 0;
  if (off + len < iws__t_valid_text_len &&
      (iws__t_valid_text[off + len] & 0xC0) == 0x80)
    return 0;
  return 1;
}

/* on_message with a text message known valid (see iws__text_known_valid). */
static void deliver_message(iws_server *s, iws__conn *c, uint32_t opcode,
                            const uint8_t *data, uint64_t len) {
  const uint8_t *saved = iws__t_valid_text;
  size_t saved_len = iws__t_valid_text_len;
  if (opcode == IWS_OP_TEXT) {
    iws__t_valid_text = data;
    iws__t_valid_text_len = (size_t)len;
  } else {
    iws__t_valid_text = NULL;
    iws__t_valid_text_len = 0;
  }
  IWS__IN_CALLBACK(s, s->cb.on_message(s, c->id, opcode, data, len, s->user));
  iws__t_valid_text = saved;
  iws__t_valid_text_len = saved_len;
}

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */
/* ------------------------------------------------------------------------ */

void iws__conn_ref(iws__conn *c) { iws__atomic_add32(&c->refs, 1); }

static void ring_clear(iws__conn *c);

void iws__conn_unref(iws__conn *c) {
  if (iws__atomic_add32(&c->refs, -1) != 0) return;
  ring_clear(c);
  free(c->ring);
  if (c->ws) wslay_event_context_free(c->ws);
  iws__pmd_stream_free(c->pmd_tx);
  iws__pmd_stream_free(c->pmd_rx);
  iws__tls_conn_free(c);
  iws__bytes_free(&c->inbuf);
  iws__bytes_free(&c->stage);
  iws__bytes_free(&c->rxq);
  free(c->close_reason);
  iws__http_conn_free(c);
  free(c->path);
  free(c->protocol);
  iws__mutex_destroy(&c->lock);
  free(c);
}

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

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

/* Under the timer lock: the node of timer `which`, or NULL for an HTTP
 * timer of a connection that has no HTTP state. */
static iws__tnode *timer_node(iws__conn *c, int which) {
  if (which < IWS__T_HTTP_FIRST) return &c->timers[which];
  return c->http_timers ? &c->http_timers->node[which - IWS__T_HTTP_FIRST]
                        : NULL;
}

/* The connection a due node belongs to (list `which`). */
static iws__conn *timer_owner(iws__tnode *node, int which) {
  if (which < IWS__T_HTTP_FIRST)
    return (iws__conn *)((char *)node - offsetof(iws__conn, timers[0]) -
                         (size_t)which * sizeof(iws__tnode));
  return ((iws__http_timers *)((char *)node -
                               offsetof(iws__http_timers, node[0]) -
                               (size_t)(which - IWS__T_HTTP_FIRST) *
                                   sizeof(iws__tnode)))
      ->conn;
}

void iws__conn_attach_http_timers(iws__conn *c, iws__http_timers *t) {
  iws_server *s = c->server;
  memset(t, 0, sizeof(*t));
  t->conn = c;
  iws__lock(&s->timer_lock);
  c->http_timers = t;
  iws__unlock(&s->timer_lock);
}

static void timer_set(iws__conn *c, int which, uint64_t delay_ms) {
  iws_server *s = c->server;
  iws__tnode *node;
  iws__lock(&s->timer_lock);
  /* Once the socket is gone the connection may be freed: it must never
   * enter a list again. */
  node = timer_node(c, which);
  if (!c->timers_dead && node)
    iws__tlist_push(&s->timers[which], node, iws__now_ms() + delay_ms);
  iws__unlock(&s->timer_lock);
}

static void timer_clear(iws__conn *c, int which) {
  iws_server *s = c->server;
  iws__tnode *node;
  iws__lock(&s->timer_lock);
  node = timer_node(c, which);
  if (node) iws__tlist_remove(node);
  if (which == IWS__T_PONG) iws__atomic_store32(&c->awaiting_pong, 0);
  iws__unlock(&s->timer_lock);
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
  if (c && iws__atomic_add32(&c->refs, -1) == 0) {
    if (c->reserved & CHUNK_FILE) {
      file_chunk *f = (file_chunk *)c;
      if (f->owner) iws__file_close(f->file);
    }
    free(c);
  }
}

/* wslay's frame encoder writes through a callback; each thread keeps one
 * encoder whose sink appends to the chunk being built. */
typedef struct frame_encoder {
  wslay_frame_context_ptr ctx;
  iws__chunk *target;
  size_t offset; /* where the sink writes next in target */
} frame_encoder;

static iws__tlocal_key *volatile encoder_key;

static void encoder_free(void *p) {
  frame_encoder *e = p;
  if (!e) return;
  wslay_frame_context_free(e->ctx);
  free(e);
}

static ssize_t encoder_send(const uint8_t *data, size_t len, int flags,
                            void *user) {
  frame_encoder *e = user;
  (void)flags;
  if (e->offset + len > e->target->len) return WSLAY_ERR_INVALID_ARGUMENT;
  memcpy(e->target->data + e->offset, data, len);
  e->offset += len;
  return (ssize_t)len;
}

static frame_encoder *encoder_get(void) {
  iws__tlocal_key *key = iws__tlocal_key_once(&encoder_key, encoder_free);
  frame_encoder *e;
  if (!key) return NULL;
  e = iws__tlocal_get(key);
  if (!e) {
    struct wslay_frame_callbacks cbs;
    e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    memset(&cbs, 0, sizeof(cbs));
    cbs.send_callback = encoder_send;
    if (wslay_frame_context_init(&e->ctx, &cbs, e) != 0) {
      free(e);
      return NULL;
    }
    iws__tlocal_set(key, e);
  }
  return e;
}

static size_t header_size(size_t len) {
  return len <= 125 ? 2 : len <= 65535 ? 4 : 10;
}

iws__chunk *iws__frame_encode(uint32_t opcode, const void *payload,
                              size_t len) {
  return iws__frame_encode_rsv(opcode, 0, payload, len);
}

iws__chunk *iws__frame_encode_rsv(uint32_t opcode, int rsv1,
                                  const void *payload, size_t len) {
  frame_encoder *e = encoder_get();
  struct wslay_frame_iocb iocb;
  iws__chunk *c;
  ssize_t r;
  if (!e) return NULL;
  c = iws__chunk_new(header_size(len) + len);
  if (!c) return NULL;
  memset(&iocb, 0, sizeof(iocb));
  iocb.fin = 1;
  iocb.rsv = rsv1 ? WSLAY_RSV1_BIT : WSLAY_RSV_NONE;
  iocb.opcode = (uint8_t)opcode;
  iocb.mask = 0;
  iocb.payload_length = len;
  iocb.data = payload;
  iocb.data_length = len;
  e->target = c;
  e->offset = 0;
  r = wslay_frame_send(e->ctx, &iocb);
  e->target = NULL;
  if (r < 0 || (size_t)r != len || e->offset != c->len) {
    /* Cannot happen with a sink that takes everything; never ship a
     * half-built frame if it does, and let the next call start from a
     * fresh encoder (wslay's state may be mid-frame). */
    iws__tlocal_set(encoder_key, NULL);
    encoder_free(e);
    iws__chunk_unref(c);
    return NULL;
  }
  return c;
}

iws__chunk *iws__frame_close(uint32_t code, const char *reason, size_t len) {
  uint8_t payload[125];
  if (code == 0) return iws__frame_encode(8, NULL, 0);
  if (len > 123) len = 123;
  payload[0] = (uint8_t)(code >> 8);
  payload[1] = (uint8_t)(code & 0xff);
  if (len) memcpy(payload + 2, reason, len);
  return iws__frame_encode(8, payload, len + 2);
}

int iws__close_code_sendable(uint32_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
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

static int ring_push(iws__conn *c, iws__chunk *chunk, int front) {
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
  iws__atomic_add64_relaxed(&c->server->st_queued, (int64_t)chunk->len);
  return 0;
}

static void ring_clear(iws__conn *c) {
  while (c->ring_count) {
    iws__outseg *seg = &c->ring[c->ring_head];
    iws__chunk_unref(seg->chunk);
    c->ring_head = (c->ring_head + 1) % c->ring_cap;
    c->ring_count--;
  }
  if (c->queued_bytes)
    iws__atomic_add64_relaxed(&c->server->st_queued,
                              -(int64_t)c->queued_bytes);
  c->queued_bytes = 0;
}

/* n plaintext bytes left the queue: written (plain), or encrypted (TLS). */
static void ring_consume(iws__conn *c, size_t n) {
  iws_server *s = c->server;
  iws__atomic_add64_relaxed(&s->st_queued, -(int64_t)n);
  c->queued_bytes -= n;
  while (n && c->ring_count) {
    iws__outseg *seg = &c->ring[c->ring_head];
    size_t left = seg->chunk->len - seg->off;
    if (n < left) {
      seg->off += n;
      return;
    }
    n -= left;
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

/* The close reason is kept in a buffer of its own, made when needed (most
 * connections never have one): returns it, or NULL without memory. */
static char *close_reason_buf(iws__conn *c) {
  if (!c->close_reason) c->close_reason = malloc(124);
  return c->close_reason;
}

static void tcp_close_locked(iws__conn *c, int abortive) {
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
  return c->tls_out.len - c->tls_out_off + c->tls_pend.len;
}

/* Reading pauses while more than this waits to be sent (the send-queue
 * limit), and resumes below half of it: replies the library makes itself
 * (pongs, the close echo) then stay bounded for a peer that does not read,
 * like everything the application sends. */
static uint64_t output_pause_level(const iws__conn *c) {
  uint64_t limit = c->server->cfg.send_queue_limit;
  return limit ? limit : OUTPUT_PAUSE_DEFAULT;
}

static int output_over_locked(const iws__conn *c) {
  return c->queued_bytes + tls_backlog(c) > output_pause_level(c);
}

/* After output drained: reading goes on if it waited for that. */
static void output_drained_locked(iws__conn *c) {
  if (c->out_paused && c->sock && !c->tcp_closing &&
      c->queued_bytes + tls_backlog(c) <= output_pause_level(c) / 2) {
    c->out_paused = 0;
    iws__be_read_resume(c->sock);
  }
}

/* A fatal TLS error: nothing more can be encrypted. What is already
 * ciphertext (an alert) still goes out, then the TCP connection closes. */
static void tls_fail_locked(iws__conn *c) {
  ring_clear(c);
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
        tcp_close_locked(c, 1);
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
static void flush_locked(iws__conn *c) {
  iws_server *s = c->server;
again:
  while (!c->writing && !c->tcp_closing && c->sock) {
    iws__iov iov[IWS__IOV_MAX];
    int n = 0;
    uint32_t i;
    int64_t r;
    if (c->ssl) {
      if (c->tls_out_off == c->tls_out.len) {
        /* All written: the buffer goes (an idle connection keeps none). */
        iws__bytes_free(&c->tls_out);
        c->tls_out_off = 0;
        if (!c->tls_pend.len && c->ring_count) tls_refill_locked(c);
        if (!c->tls_pend.len || c->tcp_closing) break;
        c->tls_out = c->tls_pend;
        memset(&c->tls_pend, 0, sizeof(c->tls_pend));
      }
      iov[0].base = c->tls_out.data + c->tls_out_off;
      iov[0].len = c->tls_out.len - c->tls_out_off;
      n = 1;
    } else {
      if (!c->ring_count) break;
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
      tcp_close_locked(c, 1);
      return;
    }
    if (r == 0) return; /* nothing taken: wait for the back end */
    iws__atomic_add64_relaxed(&s->st_bytes_out, r);
    if (c->ssl)
      c->tls_out_off += (size_t)r;
    else
      ring_consume(c, (size_t)r);
  }
  if (!c->writing && !c->ring_count && c->finish_after_flush &&
      !c->shut_sent && !c->tcp_closing && c->sock &&
      !(c->ssl && tls_backlog(c))) {
    if (c->ssl && !c->tls_notify_sent && !c->tls_failed && c->tls_ready) {
      /* A clean close says so in TLS too (close_notify), then TCP. */
      iws__tls_close_notify(c);
      if (c->tls_pend.len) goto again;
    }
    if (c->finish_after_flush == IWS__FINISH_CLOSE) {
      tcp_close_locked(c, 0);
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
static void maybe_flush_locked(iws__conn *c) {
  /* Inside on_connect (ACCEPTING) the 101 answer is not queued yet: what
   * another thread sends now must wait behind it. The strand flushes when
   * on_connect has returned (strand_run), 101 first. */
  if (iws__t_strand_conn == c || c->state == IWS__ACCEPTING) return;
  if (c->flush_posted) return;
  if (!c->writing && !c->tcp_closing && c->sock &&
      iws__be_post_flush(c->sock) == 0) {
    c->flush_posted = 1;
    return;
  }
  flush_locked(c);
}

void iws__core_flush(iws__conn *c) {
  iws__lock(&c->lock);
  c->flush_posted = 0;
  flush_locked(c);
  iws__unlock(&c->lock);
}

void iws__core_write_done(iws__conn *c, size_t written, int error) {
  iws__lock(&c->lock);
  c->writing = 0;
  if (error) {
    if (!c->pending_error) c->pending_error = IWS_E_CONNECTION_LOST;
    tcp_close_locked(c, 1);
  } else {
    if (written) {
      iws__atomic_add64_relaxed(&c->server->st_bytes_out, (int64_t)written);
      if (c->ssl)
        c->tls_out_off += written;
      else
        ring_consume(c, written);
    }
    flush_locked(c);
    output_drained_locked(c);
  }
  iws__unlock(&c->lock);
}

static int can_send_locked(iws__conn *c) {
  if (c->state == IWS__CLOSED || c->tcp_closing) return IWS_E_NO_CONNECTION;
  if (c->state != IWS__OPEN && c->state != IWS__ACCEPTING)
    return c->state == IWS__DRAINING ? IWS_E_CLOSING : IWS_E_NO_CONNECTION;
  if (c->close_sent) return IWS_E_CLOSING;
  return IWS_OK;
}

/* Queues our close frame (under lock). fail = we are failing the
 * connection: do not wait for the peer's answer. */
static int32_t send_close_locked(iws__conn *c, uint32_t code,
                                 const char *reason, size_t len, int fail) {
  iws__chunk *chunk;
  int rc = can_send_locked(c);
  if (rc != IWS_OK) return rc;
  chunk = iws__frame_close(code, reason, len);
  if (!chunk || ring_push(c, chunk, 0) != 0) {
    iws__chunk_unref(chunk);
    tcp_close_locked(c, 1);
    return IWS_E_NOMEM;
  }
  c->close_sent = 1;
  c->close_code_sent = code ? code : IWS_CLOSE_NO_STATUS;
  if (!c->close_recv) c->we_initiated = 1;
  if (fail) c->fail_code = code;
  if (fail || c->close_recv) c->finish_after_flush = IWS__FINISH_CLOSE;
  if (len > 123) len = 123;
  if (c->we_initiated && !c->close_recv) {
    if (len && !close_reason_buf(c)) len = 0;
    if (len) memcpy(c->close_reason, reason ? reason : "", len);
    c->close_reason_len = (uint32_t)len;
  }
  timer_set(c, IWS__T_MAIN, c->server->cfg.close_timeout_ms);
  return IWS_OK;
}

static int32_t send_chunk_locked(iws__conn *c, iws__chunk *chunk,
                                 int data_msg) {
  iws_server *s = c->server;
  int32_t rc = can_send_locked(c);
  if (rc == IWS_OK && data_msg && s->cfg.send_queue_limit &&
      c->queued_bytes + tls_backlog(c) + chunk->len >
          s->cfg.send_queue_limit) {
    if (s->cfg.send_queue_policy == IWS_QUEUE_ERROR) {
      rc = IWS_E_QUEUE_FULL;
    } else {
      static const char why[] = "send queue limit exceeded";
      c->pending_error = IWS_E_QUEUE_FULL;
      send_close_locked(c, IWS_CLOSE_POLICY_VIOLATION, why, sizeof(why) - 1,
                        1);
      maybe_flush_locked(c);
      rc = IWS_E_CLOSING;
    }
  }
  if (rc == IWS_OK) {
    iws__atomic_add32(&chunk->refs, 1);
    if (ring_push(c, chunk, 0) != 0) {
      iws__atomic_add32(&chunk->refs, -1);
      rc = IWS_E_NOMEM;
    } else {
      if (data_msg) iws__atomic_add64_relaxed(&s->st_msg_out, 1);
      maybe_flush_locked(c);
    }
  }
  return rc;
}

int32_t iws__conn_send_chunk(iws__conn *c, iws__chunk *chunk, int data_msg) {
  int32_t rc;
  iws__lock(&c->lock);
  rc = send_chunk_locked(c, chunk, data_msg);
  iws__unlock(&c->lock);
  return rc;
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
  iws__lock(&c->lock);
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
    if (ring_push(c, &f->chunk, 0) != 0) {
      free(f);
      rc = IWS_E_NOMEM;
      break;
    }
    last = f;
    offset += len;
    length -= len;
  }
  if (rc == IWS_OK) {
    maybe_flush_locked(c);
  } else if (last) {
    /* Part of it is queued: that part closes the file; the response cannot
     * be completed, so the connection ends. */
    last->owner = 1;
    tcp_close_locked(c, 1);
  }
  iws__unlock(&c->lock);
  if (rc != IWS_OK && !last) iws__file_close(file);
  return rc;
}

/* permessage-deflate on the way out ------------------------------------- */

static int wants_deflate(const iws__conn *c, uint32_t opcode, size_t len) {
  return c->pmd.enabled && (opcode == IWS_OP_TEXT || opcode == IWS_OP_BINARY) &&
         len >= c->server->cfg.deflate_threshold;
}

/* A compressed frame, or NULL (out of memory). Without context takeover the
 * thread's stream is used; when the result is no smaller, the message goes
 * out uncompressed (the receiver's context is not involved either way). */
static iws__chunk *deflate_frame(iws__zstream **stream, int fresh,
                                 const iws__pmd_deflate_cfg *cfg,
                                 uint32_t opcode, const void *data,
                                 size_t len) {
  size_t zlen = 0;
  uint8_t *z = iws__pmd_compress(stream, fresh, cfg, data, len, &zlen);
  iws__chunk *chunk;
  if (!z) return NULL;
  if (!stream && zlen >= len)
    chunk = iws__frame_encode(opcode, data, len);
  else
    chunk = iws__frame_encode_rsv(opcode, 1, z, zlen);
  free(z);
  return chunk;
}

int32_t iws__conn_send_message(iws__conn *c, uint32_t opcode,
                               const void *data, size_t len) {
  iws__pmd_deflate_cfg cfg = c->server->cfg.pmd_deflate;
  iws__chunk *chunk;
  int32_t rc;
  cfg.window_bits = (int)c->pmd.server_bits;
  if (!wants_deflate(c, opcode, len)) {
    chunk = iws__frame_encode(opcode, data, len);
  } else if (c->pmd.server_no_context_takeover) {
    /* Each message on its own: compressed outside the lock, any thread. */
    chunk = deflate_frame(NULL, 1, &cfg, opcode, data, len);
  } else {
    /* Context takeover: the compressor's order must be the queue's. */
    iws__lock(&c->lock);
    rc = can_send_locked(c);
    if (rc == IWS_OK) {
      chunk = deflate_frame(&c->pmd_tx, (int)c->pmd_tx_fresh, &cfg, opcode,
                            data, len);
      c->pmd_tx_fresh = 0;
      if (!chunk) {
        rc = IWS_E_NOMEM;
      } else {
        rc = send_chunk_locked(c, chunk, 1);
        /* Not sent: the client never sees it, so the next message must not
         * refer to it. */
        if (rc != IWS_OK) c->pmd_tx_fresh = 1;
        iws__chunk_unref(chunk);
      }
    }
    iws__unlock(&c->lock);
    return rc;
  }
  if (!chunk) return IWS_E_NOMEM;
  rc = iws__conn_send_chunk(c, chunk, 1);
  iws__chunk_unref(chunk);
  return rc;
}

int32_t iws__conn_send_shared(iws__conn *c, iws__shared_frames *f) {
  iws__chunk **slot;
  int32_t rc;
  int data_msg = f->opcode != IWS_OP_PING;
  int deflated;
  uint32_t bits;
  /* The receiver may still be in its handshake (pmd being written). */
  iws__lock(&c->lock);
  rc = can_send_locked(c);
  deflated = wants_deflate(c, f->opcode, f->len);
  bits = c->pmd.server_bits & 15;
  iws__unlock(&c->lock);
  if (rc != IWS_OK) return rc;
  slot = deflated ? &f->deflated[bits] : &f->plain;
  if (!*slot) {
    if (deflated) {
      /* A fresh stream: any receiver with this window can read it. */
      iws__pmd_deflate_cfg cfg = c->server->cfg.pmd_deflate;
      cfg.window_bits = (int)bits;
      *slot = deflate_frame(NULL, 1, &cfg, f->opcode, f->data, f->len);
    } else {
      *slot = iws__frame_encode(f->opcode, f->data, f->len);
    }
    if (!*slot) {
      f->failed = 1;
      return IWS_E_NOMEM;
    }
  }
  iws__lock(&c->lock);
  rc = send_chunk_locked(c, *slot, data_msg);
  /* The client's window now holds this message, which our own compressor
   * never saw: its next message starts from a fresh context. */
  if (rc == IWS_OK && deflated && !c->pmd.server_no_context_takeover)
    c->pmd_tx_fresh = 1;
  iws__unlock(&c->lock);
  return rc;
}

void iws__shared_frames_free(iws__shared_frames *f) {
  int i;
  iws__chunk_unref(f->plain);
  f->plain = NULL;
  for (i = 0; i < 16; i++) {
    iws__chunk_unref(f->deflated[i]);
    f->deflated[i] = NULL;
  }
}

int32_t iws__conn_close(iws__conn *c, uint32_t code, const char *reason,
                        uint32_t len) {
  int32_t rc;
  iws__lock(&c->lock);
  rc = send_close_locked(c, code, reason, len, 0);
  if (rc == IWS_OK) maybe_flush_locked(c);
  iws__unlock(&c->lock);
  return rc;
}

int32_t iws__conn_disconnect(iws__conn *c) {
  int32_t rc = IWS_OK;
  iws__lock(&c->lock);
  if (c->state == IWS__CLOSED || c->tcp_closing) {
    rc = IWS_E_NO_CONNECTION;
  } else {
    iws__atomic_store32(&c->dropped, 1);
    tcp_close_locked(c, 1);
  }
  iws__unlock(&c->lock);
  return rc;
}

void iws__conn_abort(iws__conn *c) {
  iws__lock(&c->lock);
  tcp_close_locked(c, 1);
  iws__unlock(&c->lock);
}

void iws__conn_stop_gracefully(iws__conn *c) {
  static const char why[] = "server stopping";
  iws__lock(&c->lock);
  if ((c->state == IWS__OPEN || c->state == IWS__ACCEPTING) &&
      !c->close_sent && !c->tcp_closing) {
    send_close_locked(c, IWS_CLOSE_GOING_AWAY, why, sizeof(why) - 1, 0);
    maybe_flush_locked(c);
  } else if (c->state == IWS__HANDSHAKE) {
    /* Not a WebSocket yet: nobody to say goodbye to. */
    tcp_close_locked(c, 1);
  }
  iws__unlock(&c->lock);
}

/* ------------------------------------------------------------------------ */
/* for http.c                                                                */
/* ------------------------------------------------------------------------ */

void iws__conn_timer_set(iws__conn *c, int which, uint64_t delay_ms) {
  timer_set(c, which, delay_ms);
}

void iws__conn_timer_clear(iws__conn *c, int which) {
  timer_clear(c, which);
}

int iws__conn_push_locked(iws__conn *c, iws__chunk *chunk) {
  iws__atomic_add32(&chunk->refs, 1);
  if (ring_push(c, chunk, 0) != 0) {
    iws__atomic_add32(&chunk->refs, -1);
    tcp_close_locked(c, 1);
    return -1;
  }
  maybe_flush_locked(c);
  return 0;
}

void iws__conn_http_finish_locked(iws__conn *c) {
  c->state = IWS__DRAINING;
  c->finish_after_flush = IWS__FINISH_DRAIN;
  timer_set(c, IWS__T_MAIN, c->server->cfg.close_timeout_ms);
  maybe_flush_locked(c);
}

void iws__conn_tcp_close_locked(iws__conn *c, int abortive) {
  tcp_close_locked(c, abortive);
}

uint32_t iws__conn_queued_locked(const iws__conn *c) { return c->ring_count; }

/* ------------------------------------------------------------------------ */
/* accept                                                                    */
/* ------------------------------------------------------------------------ */



iws__conn *iws__core_accept(iws_server *s, iws__sock *sock,
                            const char *peer_ip, uint32_t peer_port,
                            uint32_t tag) {
  iws__conn *c = calloc(1, sizeof(*c));
  if (!c) {
    iws__log(s, IWS_LOG_ERROR, "accept: out of memory");
    return NULL;
  }
  iws__mutex_init(&c->lock);
  c->refs = 1; /* the table's reference, dropped after on_disconnect */
  c->server = s;
  c->sock = sock;
  c->state = IWS__HANDSHAKE;
  c->id = iws__atomic_add64(&s->next_id, 1);
  c->worker = s->cfg.workers ? (uint32_t)(c->id % s->cfg.workers) : 0;
  snprintf(c->peer_ip, sizeof(c->peer_ip), "%s", peer_ip);
  c->peer_port = peer_port;
  if (tag == IWS__LISTEN_TLS && (!s->tls || iws__tls_conn_init(s->tls, c))) {
    iws__log(s, IWS_LOG_ERROR, "accept: out of memory for TLS");
    iws__mutex_destroy(&c->lock);
    free(c);
    return NULL;
  }
  if (iws__table_insert(s, c) != IWS_OK) {
    iws__tls_conn_free(c);
    iws__mutex_destroy(&c->lock);
    free(c);
    return NULL;
  }
  /* A TLS connection gets its TLS handshake time first, then the HTTP
   * upgrade time once the TLS handshake is done. */
  if (c->ssl ? s->cfg.tls_handshake_timeout_ms : s->cfg.handshake_timeout_ms)
    timer_set(c, IWS__T_MAIN,
              c->ssl ? s->cfg.tls_handshake_timeout_ms
                     : s->cfg.handshake_timeout_ms);
  iws__log(s, IWS_LOG_DEBUG, "connection %llu from %s port %u%s",
           (unsigned long long)c->id, c->peer_ip, (unsigned)peer_port,
           c->ssl ? " (TLS)" : "");
  return c;
}

/* ------------------------------------------------------------------------ */
/* the WebSocket side (strand only)                                          */
/* ------------------------------------------------------------------------ */

static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf,
                          size_t len, int flags, void *user) {
  iws__conn *c = user;
  size_t n = c->rx_len < len ? c->rx_len : len;
  (void)flags;
  if (n == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  memcpy(buf, c->rx_ptr, n);
  c->rx_ptr += n;
  c->rx_len -= n;
  return (ssize_t)n;
}

static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
                          size_t len, int flags, void *user) {
  iws__conn *c = user;
  (void)flags;
  if (iws__bytes_append(&c->stage, data, len) != 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
  return (ssize_t)len;
}

/* A compressed message (RSV1): inflated within the limit, then checked. */
/* Why a message being received failed (conn->rx_fail): ws_feed then closes
 * the connection with the code and reports the text (rx_failure). */
enum {
  RXF_NONE,
  RXF_TOO_BIG,         /* over IWS_OPT_MAX_MESSAGE_SIZE (1009) */
  RXF_BUDGET,          /* over IWS_OPT_INCOMPLETE_MESSAGES_LIMIT (1009) */
  RXF_NOMEM,           /* out of memory (1011, not reported twice) */
  RXF_INFLATE_TOO_BIG, /* inflates past the maximum (1009) */
  RXF_INFLATE_CORRUPT, /* not deflate data (1007) */
  RXF_INFLATE_UTF8     /* inflated text is not UTF-8 (1007) */
};

static uint32_t rx_failure(uint32_t why, const char **text) {
  switch (why) {
  case RXF_TOO_BIG:
    *text = "message larger than the maximum message size (closed 1009)";
    return IWS_CLOSE_MESSAGE_TOO_BIG;
  case RXF_BUDGET:
    *text = "the server's memory for incomplete messages is exhausted "
            "(IWS_OPT_INCOMPLETE_MESSAGES_LIMIT; closed 1009)";
    return IWS_CLOSE_MESSAGE_TOO_BIG;
  case RXF_INFLATE_TOO_BIG:
    *text = "compressed message inflates past the maximum size (closed "
            "1009)";
    return IWS_CLOSE_MESSAGE_TOO_BIG;
  case RXF_INFLATE_CORRUPT:
    *text = "compressed message is not valid deflate data (closed 1007)";
    return IWS_CLOSE_INVALID_DATA;
  case RXF_INFLATE_UTF8:
    *text = "invalid UTF-8 in an inflated text message (closed 1007)";
    return IWS_CLOSE_INVALID_DATA;
  default:
    *text = "out of memory receiving a message (closed 1011)";
    return IWS_CLOSE_INTERNAL_ERROR;
  }
}

/* The message being received fails: nothing more is read, and ws_feed
 * closes the connection once wslay returns. */
static void rx_fail(wslay_event_context_ptr ctx, iws__conn *c, uint32_t why) {
  if (!c->rx_fail) c->rx_fail = why;
  wslay_event_shutdown_read(ctx);
}

/* The reassembly buffer goes (its bytes leave the server's budget). */
static void rx_release(iws__conn *c) {
  iws_server *s = c->server;
  size_t cap = c->inbuf.cap;
  c->rx_direct = NULL;
  if (!cap) return;
  iws__bytes_free(&c->inbuf);
  iws__atomic_add64(&s->rx_held, -(int64_t)cap);
  if (cap >= RX_TRIM_MIN) iws__atomic_add64_relaxed(&s->rx_freed, (int64_t)cap);
}

/* Appends a piece of the message being received. The buffer grows with
 * what arrives (doubling, never past what the frames declared), and each
 * growth is taken from the server's budget first. Returns 0 or RXF_*. */
static uint32_t rx_append(iws__conn *c, const uint8_t *data, size_t len) {
  iws_server *s = c->server;
  iws__bytes *b = &c->inbuf;
  if (b->len + len > b->cap) {
    size_t need = b->len + len, cap = b->cap ? b->cap : 4096, grow;
    uint8_t *p;
    while (cap < need) cap *= 2;
    if (cap > c->rx_msg_size && c->rx_msg_size >= need)
      cap = (size_t)c->rx_msg_size;
    grow = cap - b->cap;
    if (iws__atomic_add64(&s->rx_held, (int64_t)grow) > s->cfg.incomplete_limit &&
        s->cfg.incomplete_limit) {
      iws__atomic_add64(&s->rx_held, -(int64_t)grow);
      return RXF_BUDGET;
    }
    p = realloc(b->data, cap);
    if (!p) {
      iws__atomic_add64(&s->rx_held, -(int64_t)grow);
      return RXF_NOMEM;
    }
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return RXF_NONE;
}

static void ws_inflated_msg(wslay_event_context_ptr ctx, iws__conn *c,
                            const uint8_t *msg, size_t msg_len,
                            uint32_t opcode) {
  iws_server *s = c->server;
  uint8_t *out = NULL;
  size_t out_len = 0;
  int r = iws__pmd_inflate(
      c->pmd.client_no_context_takeover ? NULL : &c->pmd_rx,
      (int)c->pmd.client_bits, msg, msg_len, s->cfg.deflate_max_inflated,
      &out, &out_len);
  if (r == IWS__PMD_OK && opcode == IWS_OP_TEXT &&
      !iws__utf8_valid(out, out_len)) {
    free(out);
    rx_fail(ctx, c, RXF_INFLATE_UTF8);
    return;
  }
  if (r != IWS__PMD_OK) {
    free(out);
    rx_fail(ctx, c,
            r == IWS__PMD_TOO_BIG   ? RXF_INFLATE_TOO_BIG
            : r == IWS__PMD_NOMEM   ? RXF_NOMEM
                                    : RXF_INFLATE_CORRUPT);
    return;
  }
  iws__atomic_add64_relaxed(&s->st_msg_in, 1);
  if (s->cb.on_message)
    deliver_message(s, c, opcode, out, (uint64_t)out_len);
  free(out);
}

static void ws_msg_cb(wslay_event_context_ptr ctx,
                      const struct wslay_event_on_msg_recv_arg *arg,
                      void *user) {
  iws__conn *c = user;
  iws_server *s = c->server;
  (void)ctx;
  if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME) {
    uint32_t opcode = arg->opcode;
    /* wslay does not buffer data frames (no_buffering): the message is
     * in place (one piece) or in the reassembly buffer (ws_chunk_cb). */
    const uint8_t *msg = c->rx_direct ? c->rx_direct : c->inbuf.data;
    size_t len = c->rx_direct ? (size_t)c->rx_msg_size : c->inbuf.len;
    if (c->rx_fail) return;
    if (iws__atomic_load32(&c->dropped)) {
      /* The application called iws_disconnect: it wants nothing more. */
      rx_release(c);
      wslay_event_shutdown_read(ctx);
      return;
    }
    if (wslay_get_rsv1(arg->rsv)) {
      ws_inflated_msg(ctx, c, msg, len, opcode);
    } else {
      iws__atomic_add64_relaxed(&s->st_msg_in, 1);
      if (s->cb.on_message) deliver_message(s, c, opcode, msg, (uint64_t)len);
    }
    rx_release(c);
  } else if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
    size_t rlen = arg->msg_length >= 2 ? arg->msg_length - 2 : 0;
    if (arg->msg_length == 1) {
      /* A close payload is empty or starts with a 2-byte code (RFC 6455
       * 5.5.1); wslay reads one byte as "no code". */
      c->bad_close = 1;
      return;
    }
    iws__lock(&c->lock);
    c->close_recv = 1;
    c->close_code_recv =
        arg->status_code ? arg->status_code : IWS_CLOSE_NO_STATUS;
    if (!c->we_initiated) {
      if (rlen > 123) rlen = 123;
      if (rlen && !close_reason_buf(c)) rlen = 0;
      if (rlen) memcpy(c->close_reason, arg->msg + 2, rlen);
      c->close_reason_len = (uint32_t)rlen;
    }
    iws__unlock(&c->lock);
  }
}

/* Frame boundaries, to know when wslay holds no partial frame: the header
 * size is computed from the payload length with the minimal length encoding
 * (RFC 6455 5.2) plus the 4-byte mask of client frames. A peer using a
 * longer encoding makes the counts differ for good: its context is then
 * simply never released (the safe way round). */
static void ws_frame_start_cb(wslay_event_context_ptr ctx,
                              const struct wslay_event_on_frame_recv_start_arg
                                  *arg,
                              void *user) {
  iws__conn *c = user;
  uint64_t len = arg->payload_length;
  c->ws_frame_size = 2 + 4 + (len <= 125 ? 0 : len <= 65535 ? 2 : 8) + len;
  c->rx_frame_data = arg->opcode < 8;
  if (!c->rx_frame_data) return; /* control frames: wslay buffers them */
  c->ws_msg_open = !arg->fin; /* data or continuation */
  c->rx_direct = NULL;
  if (arg->opcode != WSLAY_CONTINUATION_FRAME) c->rx_msg_size = 0;
  c->rx_frame_whole = arg->opcode != WSLAY_CONTINUATION_FRAME && arg->fin;
  /* wslay checks each frame against the maximum; the message's frames
   * together are checked here, before any of their bytes is kept. */
  c->rx_msg_size += len;
  if (c->rx_msg_size > c->server->cfg.max_message_size)
    rx_fail(ctx, c, RXF_TOO_BIG);
}

/* A piece of a frame's payload. Data frames are not buffered by wslay
 * (no_buffering): a message that arrives as one piece is delivered where it
 * lies (wslay's input, still valid in ws_msg_cb); any other is appended to
 * the reassembly buffer, which grows with the bytes that arrive. */
static void ws_chunk_cb(wslay_event_context_ptr ctx,
                        const struct wslay_event_on_frame_recv_chunk_arg *arg,
                        void *user) {
  iws__conn *c = user;
  uint32_t why;
  if (!c->rx_frame_data || c->rx_fail || !arg->data_length) return;
  if (c->rx_frame_whole && !c->inbuf.len &&
      arg->data_length == c->rx_msg_size) {
    c->rx_direct = arg->data;
    return;
  }
  why = rx_append(c, arg->data, arg->data_length);
  if (why) rx_fail(ctx, c, why);
}

static void ws_frame_end_cb(wslay_event_context_ptr ctx, void *user) {
  iws__conn *c = user;
  (void)ctx;
  c->ws_framed += c->ws_frame_size;
  c->ws_frame_size = 0;
}

static int ws_create(iws__conn *c) {
  struct wslay_event_callbacks cbs;
  memset(&cbs, 0, sizeof(cbs));
  cbs.recv_callback = ws_recv_cb;
  cbs.send_callback = ws_send_cb;
  cbs.on_msg_recv_callback = ws_msg_cb;
  cbs.on_frame_recv_start_callback = ws_frame_start_cb;
  cbs.on_frame_recv_end_callback = ws_frame_end_cb;
  cbs.on_frame_recv_chunk_callback = ws_chunk_cb;
  c->ws_fed = c->ws_framed = c->ws_frame_size = 0;
  c->ws_msg_open = 0;
  if (wslay_event_context_server_init(&c->ws, &cbs, c) != 0) return -1;
  /* Messages are assembled here, growing with the bytes that arrive:
   * buffered, wslay would reserve what a frame header announces and pay an
   * allocation per fragment (ws_chunk_cb). */
  wslay_event_config_set_no_buffering(c->ws, 1);
  wslay_event_config_set_max_recv_msg_length(c->ws,
                                             c->server->cfg.max_message_size);
  /* RSV1 = a compressed message; wslay still refuses it (1002) on control
   * and continuation frames. */
  if (c->pmd.enabled)
    wslay_event_config_set_allowed_rsv_bits(c->ws, WSLAY_RSV1_BIT);
  return 0;
}

static const char *failure_text(uint32_t code) {
  switch (code) {
  case IWS_CLOSE_INVALID_DATA:
    return "invalid UTF-8 in a text message or close reason (closed 1007)";
  case IWS_CLOSE_MESSAGE_TOO_BIG:
    return "message larger than the maximum message size (closed 1009)";
  case IWS_CLOSE_INTERNAL_ERROR:
    return "internal error (closed 1011)";
  default:
    return "protocol violation by the peer (closed 1002)";
  }
}

static void report_conn_error(iws__conn *c, int32_t code, const char *msg) {
  iws_server *s = c->server;
  iws__log(s, IWS_LOG_INFO, "connection %llu: %s", (unsigned long long)c->id,
           msg);
  if (s->cb.on_error)
    IWS__IN_CALLBACK(s, s->cb.on_error(s, c->id, code, msg, s->user));
}

static void note_activity(iws__conn *c) {
  if (iws__atomic_load32(&c->awaiting_pong)) timer_clear(c, IWS__T_PONG);
}

/* Feeds WebSocket bytes to wslay and moves what it wants to send (pongs,
 * the close echo, its own failure close) into the send queue. */
static void ws_feed(iws__conn *c, const uint8_t *data, size_t len) {
  int r, release;
  uint32_t failed = 0, why = RXF_NONE;
  const char *why_text = NULL;
  uint64_t now = iws__now_ms(), quiet = now - c->last_input_ms;
  c->last_input_ms = now;
  note_activity(c);
  if (!c->ws && ws_create(c) != 0) {
    iws__lock(&c->lock);
    c->pending_error = IWS_E_NOMEM;
    if (send_close_locked(c, IWS_CLOSE_INTERNAL_ERROR, NULL, 0, 1) != IWS_OK)
      tcp_close_locked(c, 1);
    iws__unlock(&c->lock);
    return;
  }
  c->rx_ptr = data;
  c->rx_len = len;
  c->ws_fed += len;
  r = wslay_event_recv(c->ws);
  c->rx_ptr = NULL;
  c->rx_len = 0;
  iws__lock(&c->lock);
  if (c->rx_fail && r == 0 && !c->close_sent && !c->tcp_closing) {
    /* The message being received failed (too big, the server's budget,
     * memory, or a compressed message that did not inflate). */
    why = c->rx_fail;
    failed = rx_failure(why, &why_text);
    wslay_event_shutdown_write(c->ws);
    if (why == RXF_NOMEM) c->pending_error = IWS_E_NOMEM;
    if (send_close_locked(c, failed, NULL, 0, 1) != IWS_OK)
      tcp_close_locked(c, 1);
  } else if (r == WSLAY_ERR_NOMEM) {
    c->pending_error = IWS_E_NOMEM;
    if (send_close_locked(c, IWS_CLOSE_INTERNAL_ERROR, NULL, 0, 1) != IWS_OK)
      tcp_close_locked(c, 1);
  } else if (r != 0 || c->bad_close) {
    /* The frame layer refused the bytes (bad control frame, bad length...)
     * or the close payload was malformed: wslay queued a close without a
     * code; send the RFC's 1002 instead. */
    c->bad_close = 0;
    wslay_event_shutdown_write(c->ws);
    failed = IWS_CLOSE_PROTOCOL_ERROR;
    if (send_close_locked(c, IWS_CLOSE_PROTOCOL_ERROR, NULL, 0, 1) != IWS_OK)
      tcp_close_locked(c, 1);
  } else if (c->close_sent || c->tcp_closing) {
    /* We already said goodbye: nothing more from wslay (no pong, no second
     * close frame). */
    wslay_event_shutdown_write(c->ws);
    if (c->close_recv) c->finish_after_flush = IWS__FINISH_CLOSE;
  } else {
    wslay_event_send(c->ws);
    if (c->stage.len) {
      iws__chunk *chunk = iws__chunk_new(c->stage.len);
      if (chunk) {
        memcpy(chunk->data, c->stage.data, c->stage.len);
        if (ring_push(c, chunk, 0) != 0) iws__chunk_unref(chunk);
      }
      c->stage.len = 0;
    }
    if (wslay_event_get_close_sent(c->ws)) {
      c->close_sent = 1;
      c->close_code_sent = wslay_event_get_status_code_sent(c->ws);
      c->finish_after_flush = IWS__FINISH_CLOSE;
      timer_set(c, IWS__T_MAIN, c->server->cfg.close_timeout_ms);
      if (!c->close_recv) {
        /* wslay failed the connection (1002, 1007 or 1009). */
        failed = c->close_code_sent;
        c->fail_code = failed;
      }
    }
  }
  if (c->stage.cap > 4096) iws__bytes_free(&c->stage);
  /* Give the wslay context back while idle: only at a frame boundary with
   * no fragmented message and no close under way, so that no state is
   * lost; it is made again by the next bytes. */
  release = r == 0 && !failed && quiet >= WS_IDLE_RELEASE_MS &&
            c->ws_fed == c->ws_framed && !c->ws_msg_open && !c->close_sent &&
            !c->close_recv && !c->tcp_closing &&
            wslay_event_get_read_enabled(c->ws);
  iws__unlock(&c->lock);
  if (failed) {
    c->rx_fail = RXF_NONE;
    rx_release(c); /* nothing more of that message will come */
  }
  if (release) {
    wslay_event_context_free(c->ws);
    c->ws = NULL;
    iws__bytes_free(&c->stage);
  }
  if (failed && why != RXF_NOMEM)
    report_conn_error(c,
                      failed == IWS_CLOSE_MESSAGE_TOO_BIG
                          ? IWS_E_MESSAGE_TOO_BIG
                          : IWS_E_PROTOCOL,
                      why_text ? why_text : failure_text(failed));
}

/* ------------------------------------------------------------------------ */
/* the opening handshake (strand only)                                       */
/* ------------------------------------------------------------------------ */

static void refuse(iws__conn *c, int status, const char *why) {
  iws_server *s = c->server;
  char text[512];
  size_t n = iws__http_refusal(status, why, text, sizeof(text));
  iws__chunk *chunk = n ? iws__chunk_new(n) : NULL;
  iws__atomic_add64_relaxed(&s->st_refused, 1);
  iws__log(s, IWS_LOG_INFO, "connection %llu from %s refused: %d %s",
           (unsigned long long)c->id, c->peer_ip, status,
           why ? why : iws__http_reason(status));
  timer_set(c, IWS__T_MAIN, s->cfg.close_timeout_ms);
  iws__lock(&c->lock);
  ring_clear(c); /* anything on_connect queued goes nowhere */
  c->state = IWS__DRAINING;
  c->finish_after_flush = IWS__FINISH_DRAIN;
  if (chunk) {
    memcpy(chunk->data, text, n);
    if (ring_push(c, chunk, 0) != 0) {
      iws__chunk_unref(chunk);
      tcp_close_locked(c, 1);
    }
  } else {
    tcp_close_locked(c, 1);
  }
  iws__unlock(&c->lock);
}

/* Runs on_connect and answers. Returns non-zero if the connection is open. */
static int complete_handshake(iws__conn *c, iws_request *req) {
  iws_server *s = c->server;
  const char *why = NULL;
  int status = iws__ws_validate(req, &why);
  char answer[640];
  char extensions[128];
  size_t n;
  iws__chunk *chunk;
  char *protocol;
  int32_t verdict;

  if (status) {
    refuse(c, status, why);
    return 0;
  }
  if (s->cfg.max_connections &&
      iws__atomic_load64(&s->st_current) >= s->cfg.max_connections) {
    refuse(c, 503, "too many connections");
    return 0;
  }
  req->selected = iws__ws_pick_protocol(req, s->cfg.subprotocols);
  if (s->cfg.deflate) {
    const char *values[IWS__MAX_HEADERS];
    size_t count = 0;
    uint32_t i;
    iws__pmd_params pmd;
    for (i = 0; i < req->header_count; i++)
      if (iws__http_header_is(&req->headers[i], "Sec-WebSocket-Extensions"))
        values[count++] = req->headers[i].value;
    if (iws__pmd_negotiate(values, count, &s->cfg.pmd, &pmd) != 0) {
      refuse(c, 400, "malformed Sec-WebSocket-Extensions header");
      return 0;
    }
    /* Under the lock: a broadcast on another thread reads it. */
    iws__lock(&c->lock);
    c->pmd = pmd;
    iws__unlock(&c->lock);
  }
  {
    char *path = dup_string(req->target);
    iws__lock(&c->lock);
    c->path = path;
    iws__unlock(&c->lock);
  }
  if (!c->path) {
    refuse(c, 500, "out of memory");
    return 0;
  }
  iws__lock(&c->lock);
  if (c->state == IWS__HANDSHAKE) c->state = IWS__ACCEPTING;
  iws__unlock(&c->lock);

  verdict = IWS_ACCEPT;
  if (s->cb.on_connect)
    IWS__IN_CALLBACK(s, verdict = s->cb.on_connect(s, c->id, req, s->user));
  if (verdict != IWS_ACCEPT) {
    if (verdict < 400 || verdict > 599) {
      iws__log(s, IWS_LOG_ERROR,
               "on_connect returned %ld, which is neither IWS_ACCEPT nor an "
               "HTTP status 400..599: refusing with 500",
               (long)verdict);
      verdict = 500;
    }
    refuse(c, verdict, "refused by the application");
    return 0;
  }

  /* No subprotocol: NULL, read as "" (one allocation less per connection). */
  protocol = req->selected && req->selected[0] ? dup_string(req->selected)
                                               : NULL;
  n = iws__ws_response_101(
      req->key, req->selected,
      c->pmd.enabled && iws__pmd_response(&c->pmd, extensions,
                                          sizeof(extensions))
          ? extensions
          : NULL,
      answer, sizeof(answer));
  chunk = ((protocol || !req->selected || !req->selected[0]) && n)
              ? iws__chunk_new(n)
              : NULL;
  if (chunk) memcpy(chunk->data, answer, n);

  iws__lock(&c->lock);
  c->protocol = protocol;
  c->accepted = 1; /* from here on, on_disconnect is owed */
  if (c->state == IWS__ACCEPTING) c->state = IWS__OPEN;
  if (!chunk || ring_push(c, chunk, 1) != 0) {
    iws__chunk_unref(chunk);
    c->pending_error = IWS_E_NOMEM;
    tcp_close_locked(c, 1);
  }
  iws__unlock(&c->lock);
  iws__atomic_add64(&s->st_current, 1);
  iws__atomic_add64_relaxed(&s->st_total, 1);
  timer_clear(c, IWS__T_MAIN);
  if (s->cfg.heartbeat_interval_ms)
    timer_set(c, IWS__T_PING, s->cfg.heartbeat_interval_ms);
  return 1;
}

static void handshake_input(iws__conn *c, const uint8_t *data, size_t len) {
  iws_server *s = c->server;
  size_t old = c->inbuf.len, take = len, end;
  iws_request req;
  int status;
  if (c->http) {
    /* Plain HTTP since an earlier request (http.c). */
    iws__http_input(c, data, len);
    return;
  }
  /* Never buffer more than the limit: the limit is checked before any
   * allocation grows past it. */
  if (old + take > s->cfg.max_handshake_size)
    take = (size_t)s->cfg.max_handshake_size - old;
  if (iws__bytes_append(&c->inbuf, data, take) != 0) {
    refuse(c, 500, "out of memory");
    return;
  }
  if (old == 0 && (c->inbuf.data[0] == '\r' || c->inbuf.data[0] == '\n')) {
    /* RFC 9112 2.2: empty lines before a request line are ignored. */
    size_t skip = 0;
    while (skip < c->inbuf.len &&
           (c->inbuf.data[skip] == '\r' || c->inbuf.data[skip] == '\n'))
      skip++;
    memmove(c->inbuf.data, c->inbuf.data + skip, c->inbuf.len - skip);
    c->inbuf.len -= skip;
    if (!c->inbuf.len) return;
  }
  end = iws__http_head_end(c->inbuf.data, c->inbuf.len, old);
  if (!end) {
    if (iws__http_early_status(c->inbuf.data, c->inbuf.len,
                               s->cfg.http_max_uri))
      refuse(c, 414, "the request-target is longer than allowed");
    else if (c->inbuf.len >= s->cfg.max_handshake_size)
      refuse(c, 431, "the handshake request is larger than allowed");
    return;
  }
  status = iws__http_parse((const char *)c->inbuf.data, end, &req);
  if (status) {
    refuse(c, status, status == 431 ? "too many header lines"
                                    : "malformed HTTP request");
    iws__bytes_free(&c->inbuf);
    return;
  }
  if (!iws__http_wants_upgrade(&req)) {
    /* Not a WebSocket: plain HTTP from here on (http.c parses again). */
    iws__http_request_free(&req);
    if (iws__http_begin(c, data + take, len - take) != 0) {
      refuse(c, 500, "out of memory");
      iws__bytes_free(&c->inbuf);
    }
    return;
  }
  if (complete_handshake(c, &req)) {
    /* Frames the client sent right behind its request. */
    size_t extra = c->inbuf.len - end;
    iws__bytes rest = c->inbuf;
    memset(&c->inbuf, 0, sizeof(c->inbuf));
    if (extra) ws_feed(c, rest.data + end, extra);
    iws__bytes_free(&rest);
    if (take < len) ws_feed(c, data + take, len - take);
  } else {
    iws__bytes_free(&c->inbuf);
  }
  iws__http_request_free(&req);
}

void iws__conn_ws_upgrade(iws__conn *c, iws_request *req,
                          const uint8_t *rest, size_t rest_len) {
  if (complete_handshake(c, req) && rest_len) ws_feed(c, rest, rest_len);
}

/* Input on the strand: handshake, frames, or nothing once we are done. */
static void process_input(iws__conn *c, const uint8_t *data, size_t len) {
  uint32_t state, accepted, closing;
  iws__lock(&c->lock);
  state = c->state;
  accepted = c->accepted;
  closing = c->tcp_closing;
  iws__unlock(&c->lock);
  if (len == 0) return;
  if (state == IWS__HANDSHAKE && !closing)
    handshake_input(c, data, len);
  else if (accepted && state != IWS__DRAINING &&
           (!c->ws || wslay_event_get_read_enabled(c->ws)))
    /* Also after the socket closed (worker mode): messages that arrived
     * before the FIN are still delivered, before on_disconnect. */
    ws_feed(c, data, len);
}

static void strand_run(iws__conn *c, const uint8_t *data, size_t len) {
  iws__conn *saved = iws__t_strand_conn;
  iws__t_strand_conn = c;
  process_input(c, data, len);
  iws__t_strand_conn = saved;
  iws__lock(&c->lock);
  flush_locked(c);
  iws__unlock(&c->lock);
}

/* The HTTP cycle's turn after a kick (no new bytes). */
static void strand_kick(iws__conn *c) {
  iws__conn *saved = iws__t_strand_conn;
  iws__t_strand_conn = c;
  iws__http_kicked(c);
  iws__t_strand_conn = saved;
  iws__lock(&c->lock);
  flush_locked(c);
  iws__unlock(&c->lock);
}

/* ------------------------------------------------------------------------ */
/* back-end hooks                                                            */
/* ------------------------------------------------------------------------ */

/* Plaintext for the strand: run it here, or queue it for the worker. */
static int deliver_input(iws__conn *c, const uint8_t *data, size_t len) {
  iws_server *s = c->server;
  int result = IWS__READ_CONTINUE;
  if (!s->cfg.workers) {
    strand_run(c, data, len);
    if (c->http_pause_asked) {
      /* The HTTP cycle holds further requests until a response is sent
       * (http.c kicks reading again, then iws__core_resumed runs). */
      c->http_pause_asked = 0;
      result = IWS__READ_PAUSE;
    }
    iws__lock(&c->lock);
    if (output_over_locked(c)) {
      c->out_paused = 1; /* output_drained_locked resumes */
      result = IWS__READ_PAUSE;
    }
    iws__unlock(&c->lock);
    return result;
  }
  iws__lock(&c->lock);
  if (iws__bytes_append(&c->rxq, data, len) != 0) {
    c->pending_error = IWS_E_NOMEM;
    tcp_close_locked(c, 1);
  } else {
    if (c->rxq.len >= WORKER_RX_HIGH) c->read_paused = 1;
    iws__worker_wake_locked(c);
  }
  if (output_over_locked(c)) c->out_paused = 1;
  if (c->read_paused || c->out_paused) result = IWS__READ_PAUSE;
  iws__unlock(&c->lock);
  return result;
}

/* The TLS handshake just finished: the HTTP upgrade's time starts now. */
static void tls_ready_locked(iws__conn *c) {
  iws_server *s = c->server;
  char desc[128];
  if (s->cfg.handshake_timeout_ms)
    timer_set(c, IWS__T_MAIN, s->cfg.handshake_timeout_ms);
  else
    timer_clear(c, IWS__T_MAIN);
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
  iws__lock(&c->lock);
  while (!c->tls_failed && !c->tcp_closing && c->state != IWS__DRAINING &&
         c->state != IWS__CLOSED) {
    size_t got = 0;
    uint32_t was_ready = c->tls_ready;
    int r;
    c->tls_in = data;
    c->tls_in_len = len;
    r = iws__tls_decrypt(c, plain, sizeof(plain), &got);
    data = c->tls_in; /* what OpenSSL has not taken yet */
    len = c->tls_in_len;
    c->tls_in = NULL;
    c->tls_in_len = 0;
    if (!was_ready && c->tls_ready) tls_ready_locked(c);
    if (r == IWS__TLS_DATA) {
      int res;
      flush_locked(c); /* handshake answers, tickets */
      iws__unlock(&c->lock);
      res = deliver_input(c, plain, got);
      if (res == IWS__READ_PAUSE) result = res;
      iws__lock(&c->lock);
      continue;
    }
    if (r == IWS__TLS_CLOSED) {
      /* close_notify: the peer is done. Like a FIN: a WebSocket that was
       * not closed first is lost (1006). */
      if (!c->pending_error && c->state == IWS__OPEN && !c->close_recv)
        c->pending_error = IWS_E_CONNECTION_LOST;
      c->tls_notify_sent = 1; /* it is gone: no answer needed */
      tcp_close_locked(c, 0);
    } else if (r == IWS__TLS_FAILED) {
      char msg[600];
      snprintf(msg, sizeof(msg), "%s",
               c->tls_error ? c->tls_error : "TLS error");
      tls_fail_locked(c);
      flush_locked(c); /* the alert, then the close */
      iws__unlock(&c->lock);
      iws__log(s, IWS_LOG_INFO, "connection %llu from %s: %s",
               (unsigned long long)c->id, c->peer_ip, msg);
      return result;
    }
    break;
  }
  flush_locked(c);
  iws__unlock(&c->lock);
  return result;
}

int iws__core_resumed(iws__conn *c) {
  int result = IWS__READ_CONTINUE;
  if (!c->server->cfg.workers && c->http) {
    strand_kick(c);
    if (c->http_pause_asked) {
      c->http_pause_asked = 0;
      result = IWS__READ_PAUSE;
    }
  }
  /* Whoever resumed, reading stays paused while output is over the limit
   * or (worker mode) the worker is behind: each of those resumes again. */
  iws__lock(&c->lock);
  if (output_over_locked(c)) c->out_paused = 1;
  if (c->out_paused || (c->server->cfg.workers && c->read_paused))
    result = IWS__READ_PAUSE;
  iws__unlock(&c->lock);
  return result;
}

int iws__core_read(iws__conn *c, const uint8_t *data, size_t len,
                   int error) {
  iws_server *s = c->server;
  if (len == 0) {
    /* End of stream or error: the peer is gone (or answered our FIN). */
    iws__lock(&c->lock);
    if (c->ssl && !c->pending_error && c->state == IWS__OPEN &&
        !c->close_recv && iws__tls_truncated(c))
      c->pending_error = IWS_E_TLS;
    if (error && !c->pending_error && c->state == IWS__OPEN && !c->close_recv)
      c->pending_error = IWS_E_CONNECTION_LOST;
    if (c->ssl && !c->tls_ready && c->state == IWS__HANDSHAKE)
      iws__log(s, IWS_LOG_INFO,
               "connection %llu from %s: the client left during the TLS "
               "handshake",
               (unsigned long long)c->id, c->peer_ip);
    tcp_close_locked(c, error != 0);
    iws__unlock(&c->lock);
    return IWS__READ_CONTINUE;
  }
  iws__atomic_add64_relaxed(&s->st_bytes_in, (int64_t)len);
  if (c->ssl) return tls_input(c, data, len);
  return deliver_input(c, data, len);
}

/* on_disconnect (if owed), then the connection leaves the table. Strand. */
static void deliver_disconnect(iws__conn *c) {
  iws_server *s = c->server;
  uint32_t code;
  int32_t error;
  char reason[124];
  char detail[600];
  uint32_t rlen = 0;
  int owed, upgraded;
  iws__lock(&c->lock);
  upgraded = c->accepted;
  owed = c->accepted && !c->disconnected;
  c->disconnected = 1;
  error = c->pending_error;
  snprintf(detail, sizeof(detail), "%s",
           error == IWS_E_TLS && c->tls_error ? c->tls_error
                                              : iws_strerror(error));
  if (c->fail_code)
    code = c->fail_code;
  else if (c->close_recv)
    code = c->we_initiated ? c->close_code_sent : c->close_code_recv;
  else
    code = IWS_CLOSE_ABNORMAL;
  if (!c->fail_code && c->close_recv) {
    rlen = c->close_reason_len;
    if (rlen) memcpy(reason, c->close_reason, rlen);
  }
  reason[rlen] = '\0';
  iws__unlock(&c->lock);
  /* A message cut off by the close gives its memory back (before the 101,
   * inbuf held the request head, never counted). */
  if (upgraded) rx_release(c);
  if (owed) {
    iws__conn *saved = iws__t_strand_conn;
    iws__t_strand_conn = c; /* details stay readable inside the callback */
    if (error && error != IWS_E_PROTOCOL)
      report_conn_error(c, error, detail);
    iws__log(s, IWS_LOG_DEBUG, "connection %llu closed with %u",
             (unsigned long long)c->id, (unsigned)code);
    if (s->cb.on_disconnect)
      IWS__IN_CALLBACK(s, s->cb.on_disconnect(s, c->id, code, reason, rlen,
                                         s->user));
    iws__t_strand_conn = saved;
    iws__atomic_add64(&s->st_current, -1);
  }
  /* Subscriptions end with the connection, while the table still holds it
   * (channels.c relies on that). */
  iws__chan_conn_gone(c);
  iws__table_remove(s, c);
}

void iws__core_closed(iws__conn *c) {
  iws_server *s = c->server;
  int t;
  iws__lock(&s->timer_lock);
  for (t = 0; t < IWS__T_COUNT; t++) {
    iws__tnode *node = timer_node(c, t);
    if (node) iws__tlist_remove(node);
  }
  c->awaiting_pong = 0;
  c->timers_dead = 1;
  iws__unlock(&s->timer_lock);
  iws__lock(&c->lock);
  c->state = IWS__CLOSED;
  c->tcp_closing = 1;
  c->sock = NULL;
  c->writing = 0;
  ring_clear(c);
  if (c->http) iws__http_closed_locked(c);
  if (s->cfg.workers) {
    c->closed_pending = 1;
    iws__worker_wake_locked(c);
    iws__unlock(&c->lock);
    return;
  }
  iws__unlock(&c->lock);
  deliver_disconnect(c);
}

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
  int closed, kick;
  iws__lock(&c->lock);
  input = c->rxq;
  memset(&c->rxq, 0, sizeof(c->rxq));
  closed = c->closed_pending;
  c->closed_pending = 0;
  c->wqueued = 0;
  kick = c->http_kick;
  c->http_kick = 0;
  iws__unlock(&c->lock);
  if (input.len)
    strand_run(c, input.data, input.len);
  else if (kick && !closed)
    strand_kick(c);
  iws__bytes_free(&input);
  c->http_pause_asked = 0;
  iws__lock(&c->lock);
  if (c->read_paused && c->rxq.len < WORKER_RX_LOW && c->sock &&
      !c->tcp_closing && !c->http_hold) {
    c->read_paused = 0;
    iws__be_read_resume(c->sock);
  }
  iws__unlock(&c->lock);
  if (closed) deliver_disconnect(c);
}

void iws__worker_main(void *arg) {
  iws__worker *w = arg;
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

/* ------------------------------------------------------------------------ */
/* timers (tick thread)                                                      */
/* ------------------------------------------------------------------------ */

#define TICK_BATCH 256

static void on_timer(iws__conn *c, int which) {
  iws_server *s = c->server;
  if (which >= IWS__T_HTTP_FIRST) {
    iws__http_timer(c, which);
    return;
  }
  if (which == IWS__T_PING) {
    iws__chunk *ping = iws__frame_encode(9, "iocpws", 6);
    if (ping) {
      if (iws__conn_send_chunk(c, ping, 0) == IWS_OK &&
          s->cfg.heartbeat_timeout_ms) {
        iws__lock(&s->timer_lock);
        if (!c->timers_dead && !c->timers[IWS__T_PONG].next &&
            c->timers[IWS__T_PING].next) {
          iws__tlist_push(&s->timers[IWS__T_PONG], &c->timers[IWS__T_PONG],
                          iws__now_ms() + s->cfg.heartbeat_timeout_ms);
          iws__atomic_store32(&c->awaiting_pong, 1);
        }
        iws__unlock(&s->timer_lock);
      }
      iws__chunk_unref(ping);
    }
    return;
  }
  iws__lock(&c->lock);
  if (!c->tcp_closing && c->state != IWS__CLOSED) {
    if (which == IWS__T_PONG) {
      iws__log(s, IWS_LOG_INFO,
               "connection %llu: no answer to the heartbeat; dropping it",
               (unsigned long long)c->id);
      c->pending_error = IWS_E_TIMEOUT;
    } else if (c->state == IWS__HANDSHAKE || c->state == IWS__ACCEPTING) {
      iws__log(s, IWS_LOG_INFO,
               "connection %llu from %s: %s timeout",
               (unsigned long long)c->id, c->peer_ip,
               c->ssl && !c->tls_ready ? "TLS handshake" : "handshake");
    } else if (!c->fail_code && !c->close_recv && !c->pending_error) {
      /* We closed and the peer never answered: reported as 1006. */
      c->pending_error = IWS_E_TIMEOUT;
    }
    tcp_close_locked(c, 1);
  }
  iws__unlock(&c->lock);
}

void iws__core_tick(iws_server *s) {
  int which;
  uint64_t freed = iws__atomic_load64(&s->rx_freed);
  if (freed >= RX_TRIM_AFTER) {
    iws__atomic_add64(&s->rx_freed, -(int64_t)freed);
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
        if (which == IWS__T_PONG) c->awaiting_pong = 0;
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
