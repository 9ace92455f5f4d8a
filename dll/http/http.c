/*
 * http.c - plain HTTP/1.1 on the WebSocket ports (Since 0.5): the request
 * cycle of every connection from its first byte (reading heads and bodies,
 * keep-alive, pipelining, limits and timeouts, iws_http_send), and the
 * hand-off of an upgrade to ws/. The response object and the writer are
 * response.c's; a streamed response's head and chunks are stream.c's (this
 * file sends its head as on_http_request returns and its end in
 * iws_http_send).
 *
 * The cycle runs on the connection's strand, like the WebSocket side.
 * Requests are answered strictly one after the other: the next request is
 * parsed and handed to on_http_request only once the previous response has
 * been queued. Pipelined requests therefore wait as bytes in the input
 * buffer (read ahead), responses leave in request order by construction,
 * and a deferred response holds the requests behind it. While a response
 * is outstanding and further bytes are buffered, reading pauses
 * (IWS__READ_PAUSE, or the worker's read_paused); sending the response
 * kicks the strand again: iws__be_read_resume (the back end then calls
 * iws__core_resumed on the reading thread), or, with worker threads, the
 * worker queue.
 *
 * Why one at a time rather than dispatching ahead: handlers of one
 * connection must never run concurrently, ordering then needs no response
 * queue, and a deferred response cannot be overtaken. The cost is that
 * pipelined requests behind a slow deferred one wait for it - which they
 * must do on the wire anyway (RFC 9112 9.3.2: responses in request order).
 *
 * Locks: everything another thread may touch (the current deferred
 * response, closing, buffered) is under conn->lock; the input buffer and
 * the request being parsed are strand-only. A response holds a reference
 * to its connection, so a deferred response stays safe to send (and is
 * simply released with IWS_E_NO_CONNECTION) after the connection, the
 * server's iws_stop or even iws_destroy.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "http_parse.h"
#include "response.h"
#include "stream.h"
#include "../core/ascii.h"
#include "../core/core.h"
#include "../ws/ws.h"

/* Output not yet written above which no further request is answered (a
 * client that pipelines without reading gets no unbounded queue): reading
 * waits, and the strand looks again every tick until it has drained. */
#define OUTPUT_HIGH (1024 * 1024)

enum { PH_HEAD, PH_BODY, PH_CHUNKED };

/* The request being read (its head parsed, its body arriving): made for
 * each request, so that an idle connection does not carry it. */
typedef struct http_rq {
  iws_request req; /* the head, once parsed */
  int have_req;
  uint64_t body_left;
  uint8_t streaming; /* on_http_head chose IWS_HTTP_BODY_STREAM */
  iws__bytes body;   /* the body; streamed: a decoded piece, then empty */
  iws__chunked ch;
} http_rq;

/* A connection's HTTP state, made with its first input (http_input) and
 * freed when it leaves HTTP (the upgrade) or ends; its protocol area
 * (iws__conn.proto_area) holds only the pointer, so that the area is the
 * WebSocket's size, which every idle connection pays for. */
typedef struct iws__http_conn {
  /* strand only */
  iws__bytes in;   /* received, not yet consumed */
  size_t off;      /* consumed bytes at the front of `in` */
  size_t scan;     /* bytes of the current head already searched */
  http_rq *rq;     /* the request being read, NULL between requests */
  uint8_t phase;   /* PH_* */
  uint8_t timing;  /* IWS__T_HREQ runs for the request being read */
  uint8_t past_first; /* the first request was plain HTTP (not an upgrade):
                         the handshake timeout gave way to HTTP's */
  /* under conn->lock */
  uint8_t dispatching;        /* a callback runs */
  uint8_t reading;            /* a request is being read (IWS__T_HREQ) */
  uint8_t closing;            /* the last response was queued */
  uint8_t buffered;           /* bytes of a next request wait */
  uint8_t counted;            /* in st_http_current */
  iws_http_response *current; /* answered but not yet queued (deferred) */
} iws__http_conn;

_Static_assert(sizeof(iws__http_conn *) <= IWS__PROTO_AREA,
               "the HTTP state's pointer fits the protocol area");

/* The HTTP state (NULL before the first input). On the strand while the
 * connection speaks HTTP; elsewhere only through H_locked. */
static iws__http_conn *H(iws__conn *c) {
  iws__http_conn *h;
  memcpy(&h, c->proto_area.bytes, sizeof(h));
  return h;
}

/* Under c->lock, any thread: the connection still speaks HTTP (not gone
 * to WebSocket). */
static int is_http_locked(const iws__conn *c) {
  return c->proto == &iws__http_proto;
}

/* Under c->lock, any thread: the HTTP state, or NULL if the connection
 * left HTTP (its area is the WebSocket's: not read) or has none yet. */
static iws__http_conn *H_locked(iws__conn *c) {
  return is_http_locked(c) ? H(c) : NULL;
}

/* stream.h: under c->lock, `r` is the connection's current answer. */
int iws__http_current_locked(iws__conn *c, const iws_http_response *r) {
  iws__http_conn *h = H_locked(c);
  return h && h->current == r;
}

/* Queues the response `r` (which is h->current, or about to be). Takes
 * and releases c->lock. from_strand: the strand continues by itself (no
 * kick). */
static void send_response(iws__conn *c, iws_http_response *r,
                          int from_strand) {
  iws__http_conn *h;
  iws_server *s = c->server;
  iws__chunk *chunk;
  iws__file *file = NULL;
  uint64_t foff = 0, flen = 0;
  int close, status = iws__resp_status(r), live;
  iws__conn_lock(c);
  h = H_locked(c);
  live = h && c->state != IWS__CLOSED && !c->tcp_closing &&
         !h->closing && (!h->current || h->current == r);
  if (!live) {
    /* Gone, finished, or another answer (a 408) took the turn. */
    if (h && h->current == r) h->current = NULL;
    iws__conn_unlock(c);
    return;
  }
  h->current = r; /* nothing else is queued until this is */
  r->ready = 1;
  if (r->stream) {
    /* A streamed response ends: what is left of it, and its terminator. */
    if (iws__stream_push_locked(c, r, NULL, 0, 1) != IWS_OK) {
      if (h->current == r) h->current = NULL;
      iws__conn_unlock(c);
      return;
    }
    close = (int)r->stream_close;
    if (close) h->closing = 1;
  } else {
    close = !r->keep_alive || r->user_close ||
            iws__atomic_load32(&s->state) != IWS__RUNNING;
    if (close) h->closing = 1;
    chunk = iws__resp_write(r, close);
    if (!chunk) {
      iws__conn_tcp_close_locked(c, 1);
      if (h->current == r) h->current = NULL;
      iws__conn_unlock(c);
      return;
    }
    if (iws__conn_push_locked(c, chunk) != 0) {
      iws__chunk_unref(chunk);
      if (h->current == r) h->current = NULL;
      iws__conn_unlock(c);
      return;
    }
    iws__chunk_unref(chunk); /* the queue holds its own reference */
  }
  if (r->first) {
    iws__atomic_add64_relaxed(&s->st_refused, 1);
  } else {
    iws__atomic_add64_relaxed(&s->st_http_requests, 1);
    if (r->refused) iws__atomic_add64_relaxed(&s->st_http_refused, 1);
  }
  if (r->file) {
    if (!r->head_only && !iws__http_no_body_status(status) && r->file_len) {
      file = r->file;
      foff = r->file_off;
      flen = r->file_len;
    } else {
      iws__file_close(r->file);
    }
    r->file = NULL;
  }
  iws__conn_unlock(c);
  if (file) {
    /* Behind the head; without the lock (the send path takes it). */
    int32_t rc = iws__conn_queue_file(c, file, foff, flen);
    if (rc != IWS_OK) {
      /* The head is out: the body cannot follow; end the connection so
       * that the client sees a truncated response, not a wrong one. */
      iws__log(s, IWS_LOG_ERROR,
               "connection %llu: cannot send the response's file: %s",
               (unsigned long long)c->id, iws_strerror(rc));
      iws__conn_lock(c);
      h->closing = 1;
      iws__conn_tcp_close_locked(c, 1);
      iws__conn_unlock(c);
    }
  }
  iws__conn_lock(c);
  if (h->current == r) h->current = NULL;
  if (c->state != IWS__CLOSED && !c->tcp_closing) {
    if (close)
      iws__conn_http_finish_locked(c);
    else if (!from_strand && !h->buffered && s->cfg.http_keepalive_ms)
      /* (the strand arms it itself once its buffer is empty: run) */
      iws__conn_timer_set(c, IWS__T_HIDLE, s->cfg.http_keepalive_ms);
    if (!from_strand) iws__conn_kick_locked(c);
  }
  iws__conn_unlock(c);
}

/* Strand: refuses the request being read, then closes. */
static void refuse(iws__conn *c, int status, const char *why) {
  iws_http_response *r;
  iws__log(c->server, IWS_LOG_INFO, "connection %llu from %s: HTTP %d %s",
           (unsigned long long)c->id, IWS__ADDR_STR(&c->peer), status,
           why ? why : iws__http_reason(status));
  r = iws__resp_library(c, status, why, 0);
  if (!r) {
    iws__conn_lock(c);
    iws__conn_tcp_close_locked(c, 1);
    iws__conn_unlock(c);
    return;
  }
  r->first = !H(c)->past_first;
  send_response(c, r, 1);
  iws__resp_free(r);
}

IWS_API int32_t IWS_CALL iws_http_send(iws_http_response *r) {
  iws__conn *c;
  iws__http_conn *h;
  int32_t rc;
  if (!iws__resp_valid(r)) return IWS_E_INVALID_ARG;
  c = r->conn;
  iws__conn_lock(c);
  h = H_locked(c);
  if (!r->deferred || r->ready) {
    /* Not deferred: the library still owns it and sends it itself. */
    iws__conn_unlock(c);
    return IWS_E_BAD_STATE;
  }
  if (r->in_callback) {
    /* Sent before on_http_request returned: the strand sends it then. */
    r->ready = 1;
    iws__conn_unlock(c);
    return IWS_OK;
  }
  if (r->timed_out) {
    rc = IWS_E_TIMEOUT;
  } else if (r->orphan || !h || c->state == IWS__CLOSED ||
             c->tcp_closing || h->current != r) {
    rc = IWS_E_NO_CONNECTION;
    /* Closing but not yet closed: the HTTP state must not keep pointing
     * at the response freed below (iws__http_closed_locked marks it). */
    if (h && h->current == r) h->current = NULL;
  } else {
    /* Alive: the server is too (its table holds the connection). */
    iws__conn_timer_clear(c, IWS__T_HRESP);
    rc = IWS_OK;
  }
  iws__conn_unlock(c);
  if (rc == IWS_OK) send_response(c, r, 0); /* a streamed one: its end */
  iws__resp_free(r);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* the request cycle (strand)                                                */
/* ------------------------------------------------------------------------ */

static void rq_free(http_rq *rq) {
  if (!rq) return;
  if (rq->have_req) iws__http_request_free(&rq->req);
  iws__bytes_free(&rq->body);
  free(rq);
}

static void reset_request(iws__http_conn *h) {
  rq_free(h->rq);
  h->rq = NULL;
  h->phase = PH_HEAD;
  h->scan = 0;
}

static void dispatch(iws__conn *c) {
  iws_server *s = c->server;
  iws__http_conn *h = H(c);
  http_rq *rq = h->rq;
  iws_request *req = &rq->req;
  iws_http_response *r;
  const char *conn_hdr = iws__http_header(req, "Connection");
  int status, handled = 0;
  static const uint8_t empty[1] = {0};
  /* RFC 9110 9.3.7: OPTIONS * asks about the server, not a resource. */
  int options_star =
      strcmp(req->method, "OPTIONS") == 0 && strcmp(req->target, "*") == 0;

  if (iws__bytes_append(&rq->body, empty, 1) != 0) {
    refuse(c, 500, "out of memory");
    return;
  }
  rq->body.len--; /* a NUL behind the body, not counted */
  req->body = rq->body.data;
  req->body_len = rq->body.len;
  status =
      options_star ? 0 : iws__http_decode(req, rq->body.data, rq->body.len);
  if (status) {
    refuse(c, status, status == 400 ? "malformed request-target" : NULL);
    return;
  }
  r = iws__resp_new(c);
  if (!r) {
    refuse(c, 500, "out of memory");
    return;
  }
  r->req = req;
  r->head_only = strcmp(req->method, "HEAD") == 0;
  r->http10 = req->version_minor == 0;
  r->keep_alive = r->http10 ? iws__http_has_token(conn_hdr, "keep-alive")
                            : !iws__http_has_token(conn_hdr, "close");
  if (!s->cfg.http_keepalive_ms) r->keep_alive = 0;
  if (options_star) {
    /* Answered by the library (the callback never sees "*"): 204 with
     * the methods the request cycle passes on. */
    iws_http_set_status(r, 204, NULL);
    iws_http_add_header(r, "Allow",
                        "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
    send_response(c, r, 1);
    iws__resp_free(r);
    return;
  }

  iws__conn_lock(c);
  h->dispatching = 1;
  r->in_callback = 1;
  iws__conn_unlock(c);
  handled = iws__static_try(s, req, r);
  if (!handled && s->cb.on_http_request)
    IWS__IN_CALLBACK(s, s->cb.on_http_request(s, c->id, req, r, s->user));
  iws__conn_lock(c);
  h->dispatching = 0;
  r->in_callback = 0;
  r->req = NULL;
  if (r->deferred && !r->ready) {
    /* The caller answers later: the requests behind it wait. */
    if (h->current || h->closing) {
      /* A 408 raced with the end of the request: this one is lost. */
      r->orphan = 1;
      iws__conn_unlock(c);
      return;
    }
    h->current = r;
    if (r->stream) {
      /* iws_http_send_head ran inside the callback: the head (and what
       * was written meanwhile) goes now; the stream keeps its own pace. */
      iws__stream_push_locked(c, r, NULL, 0, 0);
    } else if (s->cfg.http_response_timeout_ms) {
      r->deadline = iws__now_ms() + s->cfg.http_response_timeout_ms;
      iws__conn_timer_set(c, IWS__T_HRESP, s->cfg.http_response_timeout_ms);
    }
    iws__conn_unlock(c);
    return;
  }
  r->ready = 0; /* sent inside the callback, or never deferred */
  iws__conn_unlock(c);
  send_response(c, r, 1);
  iws__resp_free(r);
}

/* Strand: on_http_head (Since 0.6) decides how the body of the request
 * just parsed is read. Returns 0 to go on, -1 when it was refused. */
static int head(iws__conn *c, http_rq *rq, int mode, uint64_t length) {
  iws_server *s = c->server;
  iws__http_conn *h = H(c);
  iws_request *req = &rq->req;
  int32_t d;
  int status;
  if (strcmp(req->method, "OPTIONS") == 0 && strcmp(req->target, "*") == 0)
    d = IWS_HTTP_BODY_BUFFER; /* the library's own (dispatch) */
  else if ((status = iws__http_decode(req, NULL, 0)) != 0) {
    refuse(c, status, status == 400 ? "malformed request-target" : NULL);
    return -1;
  } else {
    iws__conn_lock(c);
    h->dispatching = 1; /* no 408 meanwhile */
    iws__conn_unlock(c);
    req->heading = c; /* iws_http_head_refuse works meanwhile */
    IWS__IN_CALLBACK(s, d = s->cb.on_http_head(s, c->id, req, s->user));
    req->heading = NULL;
    iws__conn_lock(c);
    h->dispatching = 0;
    iws__conn_unlock(c);
  }
  if (req->refusal) {
    /* iws_http_head_refuse: that answer, whatever on_http_head returned */
    iws_http_response *r = req->refusal;
    req->refusal = NULL;
    iws__log(s, IWS_LOG_INFO, "connection %llu from %s: HTTP %d %s",
             (unsigned long long)c->id, IWS__ADDR_STR(&c->peer), r->status,
             "refused by on_http_head");
    r->keep_alive = 0;
    r->refused = 1;
    r->first = !h->past_first;
    send_response(c, r, 1);
    iws__resp_free(r);
    return -1;
  }
  if (d >= 400 && d <= 599) {
    refuse(c, (int)d, "refused by on_http_head");
    return -1;
  }
  if (d != IWS_HTTP_BODY_BUFFER && d != IWS_HTTP_BODY_STREAM) {
    refuse(c, 500, "on_http_head gave an unknown answer");
    return -1;
  }
  rq->streaming = d == IWS_HTTP_BODY_STREAM;
  if (!rq->streaming && mode == IWS__BODY_LENGTH &&
      length > s->cfg.http_max_body) {
    refuse(c, 413, "request body larger than allowed");
    return -1;
  }
  return 0;
}

/* Strand: a piece of a streamed body to on_http_body. Returns 0 to go on,
 * -1 when the application refused the request. */
static int body_piece(iws__conn *c, const uint8_t *p, size_t len) {
  iws_server *s = c->server;
  iws__http_conn *h = H(c);
  int32_t rc = 0;
  if (h->timing)
    /* A streamed body may take as long as it keeps coming. */
    iws__conn_timer_set(c, IWS__T_HREQ, s->cfg.http_request_timeout_ms);
  if (!s->cb.on_http_body) return 0;
  iws__conn_lock(c);
  h->dispatching = 1;
  iws__conn_unlock(c);
  while (len && rc == 0) {
    uint32_t n = len > 0x40000000u ? 0x40000000u : (uint32_t)len;
    IWS__IN_CALLBACK(s, rc = s->cb.on_http_body(s, c->id, p, n, s->user));
    p += n;
    len -= n;
  }
  iws__conn_lock(c);
  h->dispatching = 0;
  iws__conn_unlock(c);
  if (rc == 0) return 0;
  refuse(c, rc >= 400 && rc <= 599 ? (int)rc : 500, "refused by on_http_body");
  return -1;
}

/* For ws/ (iws__ws_answer_fn): a refused upgrade's answer, written like
 * every other (build), with the handshake's header lines. The connection
 * speaks WebSocket already (its HTTP state is gone): the answer replaces
 * whatever on_connect queued, and the connection finishes. */
static void answer_refused_upgrade(iws__conn *c, int status, const char *why,
                                   const char *headers, size_t headers_len) {
  iws_http_response *r = iws__resp_library(c, status, why, 0);
  iws__chunk *chunk = NULL;
  if (r && (!headers_len ||
            iws__bytes_append(&r->headers, headers, headers_len) == 0))
    chunk = iws__resp_write(r, 1);
  iws__conn_lock(c);
  iws__conn_ring_clear_locked(c); /* anything on_connect queued goes nowhere */
  if (chunk && iws__conn_ring_push_locked(c, chunk, 0) == 0) {
    iws__conn_http_finish_locked(c);
  } else {
    iws__chunk_unref(chunk);
    iws__conn_tcp_close_locked(c, 1);
  }
  iws__conn_unlock(c);
  if (r) iws__resp_free(r);
}

/* Strand: the parsed head asks for a WebSocket. Returns 1 if the
 * connection left HTTP (or waits for its output to drain: 0 then, with a
 * retry armed). */
static int upgrade(iws__conn *c, size_t head_len) {
  iws__http_conn *h = H(c);
  iws_server *s = c->server;
  http_rq *rq;
  iws__bytes in;
  size_t rest_off = h->off + head_len;
  uint32_t queued;
  iws__conn_lock(c);
  /* The 101 goes to the front of the queue (on_connect's own sends wait
   * behind it): earlier responses must be out first. Rare (a client
   * pipelining its upgrade): retried on the next tick. */
  queued = iws__conn_queued_locked(c);
  if (queued) iws__conn_hold_locked(c);
  iws__conn_unlock(c);
  if (queued) {
    reset_request(h);
    iws__conn_timer_set(c, IWS__T_HKICK, 1);
    return 0;
  }
  /* Everything HTTP holds leaves its state, which the WebSocket's
   * replaces (iws__ws_upgrade). */
  iws__conn_timer_clear(c, IWS__T_HREQ);
  iws__conn_timer_clear(c, IWS__T_HIDLE);
  iws__conn_timer_clear(c, IWS__T_HKICK);
  iws__conn_lock(c);
  if (h->counted) {
    h->counted = 0;
    iws__atomic_add64(&s->st_http_current, -1);
  }
  rq = h->rq;
  in = h->in;
  /* What is left of the state blocks run()'s loop, which frees it once
   * the protocol is the WebSocket's (under the lock: other threads read
   * it until then). */
  memset(h, 0, sizeof(*h));
  h->closing = 1;
  iws__conn_unlock(c);
  iws__ws_upgrade(c, &rq->req, in.data + rest_off, in.len - rest_off,
                  answer_refused_upgrade);
  rq_free(rq);
  iws__bytes_free(&in);
  return 1;
}

/* Strand: one step of reading. Returns 1 if a request was answered or
 * dispatched (go on), 0 to wait for more bytes (or stop). */
static int step(iws__conn *c) {
  iws__http_conn *h = H(c);
  http_rq *rq;
  iws_server *s = c->server;
  const uint8_t *p = h->in.data + h->off;
  size_t avail = h->in.len - h->off;

  if (h->phase == PH_HEAD) {
    size_t end;
    int status, mode;
    uint64_t length;
    const char *expect;
    if (h->scan == 0) {
      /* RFC 9112 2.2: empty lines before a request are ignored (all at
       * once, however many there are). */
      while (avail && (p[0] == '\r' || p[0] == '\n')) {
        p++;
        avail--;
        h->off++;
      }
    }
    if (!avail) return 0;
    /* The first request's head runs under the handshake timeout (the
     * core's, from accept); later ones under the request timeout. */
    if (!h->timing && h->past_first && s->cfg.http_request_timeout_ms) {
      h->timing = 1;
      iws__conn_lock(c);
      h->reading = 1;
      iws__conn_timer_set(c, IWS__T_HREQ, s->cfg.http_request_timeout_ms);
      iws__conn_unlock(c);
    }
    end = iws__http_head_end(p, avail, h->scan);
    if (!end || end > s->cfg.max_handshake_size) {
      status = iws__http_early_status(p, avail, s->cfg.http_max_uri);
      if (!status && (end || avail >= s->cfg.max_handshake_size)) status = 431;
      if (status) {
        refuse(c, status,
               status == 414 ? "request-target too long"
                             : "request head larger than allowed");
        return 0;
      }
      h->scan = avail;
      return 0;
    }
    rq_free(h->rq);
    rq = h->rq = calloc(1, sizeof(*rq));
    if (!rq) {
      refuse(c, 500, "out of memory");
      return 0;
    }
    status = iws__http_parse((const char *)p, end, &rq->req);
    if (status) {
      refuse(c, status,
             status == 431 ? "too many header lines" : "malformed request");
      return 0;
    }
    rq->have_req = 1;
    if (rq->req.version_major != 1) {
      refuse(c, 505, "only HTTP/1.x is served");
      return 0;
    }
    if (strlen(rq->req.target) > s->cfg.http_max_uri) {
      refuse(c, 414, "request-target too long");
      return 0;
    }
    if (iws__http_wants_upgrade(&rq->req)) {
      upgrade(c, end);
      return 0;
    }
    if (!h->past_first) {
      /* Plain HTTP: the handshake timeout gives way to the request
       * timeout, then the keep-alive timeout between requests. */
      h->past_first = 1;
      iws__conn_timer_clear(c, IWS__T_MAIN);
      iws__conn_lock(c);
      h->counted = 1;
      if (s->cfg.http_request_timeout_ms) {
        h->timing = 1;
        h->reading = 1;
        iws__conn_timer_set(c, IWS__T_HREQ, s->cfg.http_request_timeout_ms);
      }
      iws__conn_unlock(c);
      iws__atomic_add64(&s->st_http_current, 1);
    }
    if (iws__http_host_status(&rq->req) != 0) {
      refuse(c, 400, "missing, repeated or invalid Host header");
      return 0;
    }
    /* With on_http_head, a declared length over the limit is its call. */
    status = iws__http_framing(&rq->req,
                               s->cb.on_http_head ? UINT64_MAX
                                                  : s->cfg.http_max_body,
                               &mode, &length);
    if (status) {
      refuse(c, status,
             status == 413   ? "request body larger than allowed"
             : status == 501 ? "unsupported Transfer-Encoding"
                             : "malformed body framing");
      return 0;
    }
    h->off += end;
    h->scan = 0;
    p += end;
    avail -= end;
    h->phase = mode == IWS__BODY_LENGTH    ? PH_BODY
               : mode == IWS__BODY_CHUNKED ? PH_CHUNKED
                                           : PH_HEAD;
    rq->body_left = length;
    if (s->cb.on_http_head && head(c, rq, mode, length) != 0) return 0;
    expect = iws__http_header(&rq->req, "Expect");
    if (expect && mode != IWS__BODY_NONE && !avail &&
        rq->req.version_minor >= 1 && iws__ieq(expect, "100-continue")) {
      static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
      iws__chunk *chunk = iws__chunk_new(sizeof(cont) - 1);
      if (chunk) {
        memcpy(chunk->data, cont, sizeof(cont) - 1);
        iws__conn_lock(c);
        iws__conn_push_locked(c, chunk);
        iws__conn_unlock(c);
        iws__chunk_unref(chunk);
      }
    }
  }
  rq = h->rq;
  if (h->phase == PH_BODY) {
    size_t take = avail;
    if ((uint64_t)take > rq->body_left) take = (size_t)rq->body_left;
    if (rq->streaming) {
      if (take && body_piece(c, p, take) != 0) return 0;
    } else if (take && iws__bytes_append(&rq->body, p, take) != 0) {
      refuse(c, 500, "out of memory");
      return 0;
    }
    h->off += take;
    rq->body_left -= take;
    if (rq->body_left) return 0;
  } else if (h->phase == PH_CHUNKED) {
    size_t used = 0;
    int r = iws__chunked_feed(&rq->ch, p, avail, &used, &rq->body,
                              rq->streaming ? UINT64_MAX
                                            : s->cfg.http_max_body);
    h->off += used;
    if (rq->streaming && rq->body.len) {
      /* Decoded bytes go at once: the buffer holds one input's worth. */
      size_t n = rq->body.len;
      rq->body.len = 0;
      if (body_piece(c, rq->body.data, n) != 0) return 0;
    }
    if (r == IWS__CHUNKED_MORE) return 0;
    if (r != IWS__CHUNKED_DONE) {
      refuse(c, r == IWS__CHUNKED_TOO_BIG ? 413 : 400,
             r == IWS__CHUNKED_TOO_BIG ? "request body larger than allowed"
                                       : "malformed chunked body");
      return 0;
    }
  }
  /* A whole request. */
  if (h->timing) {
    h->timing = 0;
    iws__conn_lock(c);
    h->reading = 0; /* a timer already on its way finds nothing to do */
    iws__conn_timer_clear(c, IWS__T_HREQ);
    iws__conn_unlock(c);
  }
  dispatch(c);
  reset_request(h);
  return 1;
}

/* Strand: answers what the buffer holds, as far as the order allows. */
static void run(iws__conn *c) {
  iws__http_conn *h = H(c);
  uint32_t turn = 0;
  int idle, retry = 0;
  for (;;) {
    int blocked;
    iws__conn_lock(c);
    blocked = h->current != NULL || h->closing || c->tcp_closing ||
              c->state != IWS__HANDSHAKE;
    h->buffered = h->in.len > h->off;
    if (h->current && h->buffered) iws__conn_hold_locked(c);
    if (!blocked && h->buffered &&
        iws__conn_backlog_locked(c) > OUTPUT_HIGH) {
      /* The client does not read its answers: wait for them to drain. */
      iws__conn_hold_locked(c);
      blocked = retry = 1;
    }
    if (!blocked && h->buffered && turn >= c->server->cfg.http_max_pipelined) {
      /* Enough for one turn: yield the thread to other connections and
       * come back (reading pauses and resumes at once). */
      iws__conn_hold_locked(c);
      iws__conn_kick_locked(c);
      blocked = 1;
    }
    iws__conn_unlock(c);
    if (blocked || !step(c)) break;
    turn++;
  }
  /* Upgraded: the protocol area is the WebSocket's now (only this strand
   * switches it, so reading the table here needs no lock), and the HTTP
   * state (emptied by upgrade()) goes. */
  if (c->proto != &iws__http_proto) {
    free(h);
    return;
  }
  if (retry) iws__conn_timer_set(c, IWS__T_HKICK, 1);
  /* Keep the buffer compact: consumed bytes go. */
  if (h->off == h->in.len) {
    if (h->in.cap > 16384) iws__bytes_free(&h->in);
    h->in.len = 0;
    h->off = 0;
  } else if (h->off > 4096 && h->off * 2 > h->in.len) {
    memmove(h->in.data, h->in.data + h->off, h->in.len - h->off);
    h->in.len -= h->off;
    h->off = 0;
  }
  iws__conn_lock(c);
  h->buffered = h->in.len > h->off;
  /* (Before the first request the handshake timeout runs instead.) */
  idle = !h->buffered && !h->current && !h->closing && h->past_first &&
         c->state == IWS__HANDSHAKE && !c->tcp_closing;
  if (idle && c->server->cfg.http_keepalive_ms)
    iws__conn_timer_set(c, IWS__T_HIDLE, c->server->cfg.http_keepalive_ms);
  iws__conn_unlock(c);
}

/* Input on the strand while the connection reads requests. */
static void http_input(iws__conn *c, uint8_t *data, size_t len) {
  iws__http_conn *h = H(c);
  int closing, made = 0;
  if (!h) {
    h = calloc(1, sizeof(*h));
    if (!h) {
      iws__conn_lock(c);
      c->pending_error = IWS_E_NOMEM;
      iws__conn_tcp_close_locked(c, 1);
      iws__conn_unlock(c);
      return;
    }
    made = 1;
  }
  iws__conn_lock(c);
  /* Under the lock: other threads read it (H_locked). */
  if (made) memcpy(c->proto_area.bytes, &h, sizeof(h));
  closing = c->state != IWS__HANDSHAKE || c->tcp_closing;
  iws__conn_unlock(c);
  if (closing) return;
  if (h->past_first) iws__conn_timer_clear(c, IWS__T_HIDLE);
  /* Never more than a head's limit ahead of what is consumed: a client
   * that sends without reading its answers is held by reading pauses. */
  if (iws__bytes_append(&h->in, data, len) != 0) {
    iws__conn_lock(c);
    iws__conn_tcp_close_locked(c, 1);
    iws__conn_unlock(c);
    return;
  }
  run(c);
}

/* Reading resumed / the worker was kicked: the cycle continues. */
static void http_resumed(iws__conn *c) {
  uint32_t state;
  iws__conn_lock(c);
  state = c->state;
  iws__conn_unlock(c);
  if (state == IWS__HANDSHAKE && H(c)) run(c);
}

/* ------------------------------------------------------------------------ */
/* timers and teardown                                                       */
/* ------------------------------------------------------------------------ */

/* Tick thread: IWS__T_HREQ..IWS__T_HKICK fired. */
static void http_timer(iws__conn *c, int which) {
  iws__http_conn *h;
  iws_server *s = c->server;
  int action = 0; /* 1: 408, 2: 503 */
  uint64_t now = iws__now_ms();
  /* Made before the lock; installed as the current answer under it, so
   * that nothing overtakes it. */
  iws_http_response *lib =
      which == IWS__T_HREQ
          ? iws__resp_library(c, 408, "the request took too long", 0)
      : which == IWS__T_HRESP ? iws__resp_library(c, 503, "no response in time", 1)
                              : NULL;
  iws__conn_lock(c);
  h = H_locked(c);
  if (!h || c->state != IWS__HANDSHAKE || c->tcp_closing || h->closing) {
    iws__conn_unlock(c);
    if (lib) iws__resp_free(lib);
    return;
  }
  switch (which) {
  case IWS__T_HREQ:
    if (lib && h->reading && !h->current && !h->dispatching) {
      h->current = lib;
      action = 1;
    }
    break;
  case IWS__T_HIDLE:
    if (!h->current && !h->dispatching && !h->buffered) {
      iws__log(s, IWS_LOG_DEBUG, "connection %llu: keep-alive timeout",
               (unsigned long long)c->id);
      h->closing = 1;
      iws__conn_http_finish_locked(c);
    }
    break;
  case IWS__T_HRESP: {
    iws_http_response *r = h->current;
    if (r && r->deferred && !r->ready && !r->in_callback && !r->stream) {
      if (now + 5 < r->deadline) {
        iws__conn_timer_set(c, IWS__T_HRESP, r->deadline - now);
      } else if (lib) {
        r->timed_out = 1;
        lib->keep_alive = r->keep_alive;
        lib->http10 = r->http10;
        lib->head_only = r->head_only;
        h->current = lib;
        action = 2;
      }
    }
    break;
  }
  case IWS__T_HKICK:
    iws__conn_kick_locked(c);
    break;
  default:
    break;
  }
  iws__conn_unlock(c);
  if (action == 1)
    iws__log(s, IWS_LOG_INFO, "connection %llu from %s: HTTP 408",
             (unsigned long long)c->id, IWS__ADDR_STR(&c->peer));
  else if (action == 2)
    iws__log(s, IWS_LOG_WARN,
             "connection %llu: no response within the response timeout; "
             "answered 503",
             (unsigned long long)c->id);
  if (action) send_response(c, lib, 0);
  if (lib) iws__resp_free(lib);
}

/* Under c->lock, any thread: the socket is gone. */
static void http_closed_locked(iws__conn *c) {
  iws__http_conn *h = H(c);
  if (!h) return;
  if (h->current) {
    /* A deferred response: its iws_http_send will say it is gone. */
    h->current->orphan = 1;
    h->current = NULL;
  }
  h->closing = 1;
  if (h->counted) {
    h->counted = 0;
    iws__atomic_add64(&c->server->st_http_current, -1);
  }
}

/* Under c->lock: iws_stop. A connection between requests or reading one
 * has nobody to say goodbye to; one finishing its last answer finishes. */
static void http_stop_locked(iws__conn *c) {
  if (c->state == IWS__HANDSHAKE) iws__conn_tcp_close_locked(c, 1);
}

static void http_free(iws__conn *c) {
  iws__http_conn *h = H(c);
  if (!h) return;
  reset_request(h);
  iws__bytes_free(&h->in);
  free(h);
}

const iws__proto iws__http_proto = {
    "http", http_input, http_resumed,      http_timer, http_closed_locked,
    http_stop_locked,   NULL,        http_free, NULL};
