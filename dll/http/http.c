/*
 * http.c - plain HTTP/1.1 on the WebSocket ports (Since 0.5): the request
 * cycle of a connection (reading heads and bodies, keep-alive, pipelining,
 * limits and timeouts) and the response object (iws_http_*).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "http_parse.h"
#include "../core/ascii.h"
#include "../core/internal.h"

#define RESP_MAGIC 0x69776872u /* "iwhr" */
#define REASON_MAX 256
#define HEADERS_MAX (64 * 1024) /* response header bytes set by the caller */
/* Output not yet written above which no further request is answered (a
 * client that pipelines without reading gets no unbounded queue): reading
 * waits, and the strand looks again every tick until it has drained. */
#define OUTPUT_HIGH (1024 * 1024)

enum { PH_HEAD, PH_BODY, PH_CHUNKED };

struct iws_http_response {
  uint32_t magic;
  iws__conn *conn; /* referenced while the response lives */
  iws_request *req; /* during the callback only */
  int32_t status;   /* 0 = not set */
  char *reason;
  iws__bytes headers; /* "Name: value\r\n" lines from iws_http_add_header */
  iws__bytes body;
  uint32_t has_body;
  iws__file *file;
  uint64_t file_off, file_len;
  uint32_t head_only;  /* HEAD: GET's headers, no body */
  uint32_t http10;     /* the request was HTTP/1.0 */
  uint32_t keep_alive; /* the request allows another one after it */
  uint32_t user_close; /* the caller added Connection: close */
  uint32_t has_ctype, has_date, has_server;
  uint32_t refused; /* answered by the library before any callback */
  /* under conn->lock */
  uint32_t in_callback; /* on_http_request has not returned yet */
  uint32_t deferred;    /* iws_http_defer was called */
  uint32_t ready;       /* sent (or handed to the library to send) */
  uint32_t timed_out;   /* the library answered 503 in its place */
  uint32_t orphan;      /* the connection went away */
  uint64_t deadline;    /* response timeout (deferred responses) */
};

typedef struct iws__http_conn {
  /* strand only */
  iws__bytes in;   /* received, not yet consumed */
  size_t off;      /* consumed bytes at the front of `in` */
  size_t scan;     /* bytes of the current head already searched */
  int phase;       /* PH_* */
  int timing;      /* IWS__T_HREQ runs for the request being read */
  iws_request req; /* the head, once parsed */
  int have_req;
  uint64_t body_left;
  iws__bytes body;
  iws__chunked ch;
  /* under conn->lock */
  iws_http_response *current; /* answered but not yet queued (deferred) */
  uint32_t dispatching;       /* a callback runs */
  uint32_t reading;           /* a request is being read (IWS__T_HREQ) */
  uint32_t closing;           /* the last response was queued */
  uint32_t buffered;          /* bytes of a next request wait */
  uint32_t counted;           /* in st_http_current */
  uint32_t upgraded;          /* became a WebSocket */
  iws__http_timers timers;    /* the connection's HTTP timer nodes */
} iws__http_conn;

/* ------------------------------------------------------------------------ */
/* responses                                                                 */
/* ------------------------------------------------------------------------ */

static iws_http_response *resp_new(iws__conn *c) {
  iws_http_response *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->magic = RESP_MAGIC;
  r->conn = c;
  iws__conn_ref(c);
  return r;
}

static void resp_clear_body(iws_http_response *r) {
  iws__bytes_free(&r->body);
  r->has_body = 0;
  if (r->file) iws__file_close(r->file);
  r->file = NULL;
  r->file_off = r->file_len = 0;
}

static void resp_free(iws_http_response *r) {
  iws__conn *c = r->conn;
  resp_clear_body(r);
  iws__bytes_free(&r->headers);
  free(r->reason);
  r->magic = 0;
  free(r);
  iws__conn_unref(c);
}

static int valid_resp(const iws_http_response *r) {
  return r && r->magic == RESP_MAGIC;
}

/* Not yet handed to the library for sending. */
static int32_t check_open(iws_http_response *r) {
  uint32_t ready;
  if (!valid_resp(r)) return IWS_E_INVALID_ARG;
  iws__lock(&r->conn->lock);
  ready = r->ready || r->timed_out;
  iws__unlock(&r->conn->lock);
  return ready ? IWS_E_BAD_STATE : IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_set_status(iws_http_response *r,
                                             int32_t status,
                                             const char *reason) {
  int32_t rc = check_open(r);
  char *copy = NULL;
  if (rc != IWS_OK) return rc;
  if (status < 100 || status > 599 || status == 101) return IWS_E_INVALID_ARG;
  if (reason) {
    size_t n = strlen(reason);
    if (n > REASON_MAX || !iws__http_valid_value(reason))
      return IWS_E_INVALID_ARG;
    copy = malloc(n + 1);
    if (!copy) return IWS_E_NOMEM;
    memcpy(copy, reason, n + 1);
  }
  free(r->reason);
  r->reason = copy;
  r->status = status;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_add_header(iws_http_response *r,
                                             const char *name,
                                             const char *value) {
  int32_t rc = check_open(r);
  size_t nl, vl;
  if (rc != IWS_OK) return rc;
  if (!iws__http_valid_name(name) || !iws__http_valid_value(value))
    return IWS_E_INVALID_ARG;
  if (iws__ieq(name, "Content-Length") || iws__ieq(name, "Transfer-Encoding"))
    return IWS_E_INVALID_ARG;
  if (iws__ieq(name, "Connection")) {
    /* The library writes Connection itself; "close" is remembered. */
    if (iws__http_has_token(value, "close")) r->user_close = 1;
    return IWS_OK;
  }
  nl = strlen(name);
  vl = strlen(value);
  if (r->headers.len + nl + vl + 4 > HEADERS_MAX) return IWS_E_INVALID_ARG;
  if (iws__bytes_append(&r->headers, name, nl) != 0 ||
      iws__bytes_append(&r->headers, ": ", 2) != 0 ||
      iws__bytes_append(&r->headers, value, vl) != 0 ||
      iws__bytes_append(&r->headers, "\r\n", 2) != 0)
    return IWS_E_NOMEM;
  if (iws__ieq(name, "Content-Type")) r->has_ctype = 1;
  if (iws__ieq(name, "Date")) r->has_date = 1;
  if (iws__ieq(name, "Server")) r->has_server = 1;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_set_body(iws_http_response *r,
                                           const void *data,
                                           uint64_t length) {
  int32_t rc = check_open(r);
  if (rc != IWS_OK) return rc;
  if (!data && length) return IWS_E_INVALID_ARG;
  if (length > (uint64_t)SIZE_MAX / 2) return IWS_E_NOMEM;
  resp_clear_body(r);
  if (length && iws__bytes_append(&r->body, data, (size_t)length) != 0)
    return IWS_E_NOMEM;
  r->has_body = 1;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_defer(iws_http_response *r) {
  int32_t rc = IWS_OK;
  if (!valid_resp(r)) return IWS_E_INVALID_ARG;
  iws__lock(&r->conn->lock);
  if (!r->in_callback || r->deferred)
    rc = IWS_E_BAD_STATE;
  else
    r->deferred = 1;
  iws__unlock(&r->conn->lock);
  return rc;
}

iws_request *iws__http_response_request(iws_http_response *r) {
  return valid_resp(r) ? r->req : NULL;
}

int iws__http_response_has_header(iws_http_response *r, const char *name) {
  size_t i = 0, n;
  if (!valid_resp(r) || !name) return 0;
  n = strlen(name);
  /* r->headers holds "Name: value\r\n" lines */
  while (i < r->headers.len) {
    const uint8_t *line = r->headers.data + i;
    size_t k;
    for (k = 0; k < n && i + k < r->headers.len; k++)
      if (iws__lower(line[k]) != iws__lower((unsigned char)name[k])) break;
    if (k == n && i + n < r->headers.len && line[n] == ':') return 1;
    while (i < r->headers.len && r->headers.data[i] != '\n') i++;
    i++;
  }
  return 0;
}

int32_t iws__http_response_set_file(iws_http_response *r, iws__file *file,
                                    uint64_t offset, uint64_t length,
                                    int32_t status) {
  if (!valid_resp(r) || !file) {
    if (file) iws__file_close(file);
    return IWS_E_INVALID_ARG;
  }
  resp_clear_body(r);
  r->file = file;
  r->file_off = offset;
  r->file_len = length;
  r->status = status;
  return IWS_OK;
}

/* ------------------------------------------------------------------------ */
/* the wire                                                                  */
/* ------------------------------------------------------------------------ */

static int no_body_status(int status) {
  return status < 200 || status == 204 || status == 304;
}

static int final_status(const iws_http_response *r) {
  if (r->status) return r->status;
  return (r->has_body || r->file) ? 200 : 404;
}

/* The head (and body, unless it is a file or must not be sent). */
static iws__chunk *build(iws_http_response *r, int close) {
  int status = final_status(r);
  const char *reason = r->reason ? r->reason : iws__http_reason(status);
  int no_body = no_body_status(status);
  uint64_t blen = r->file ? r->file_len : r->body.len;
  int send_body = !no_body && !r->head_only && !r->file && r->body.len;
  char line[REASON_MAX + 64]; /* the status line fits whole */
  char date[32];
  iws__bytes out;
  iws__chunk *chunk;
  int n;
  memset(&out, 0, sizeof(out));
  if (!r->has_body && !r->file && !r->status) {
    /* Untouched: 404 with a short text. */
    static const char text[] = "Not Found\n";
    r->status = 404;
    r->has_body = 1;
    iws__bytes_append(&r->body, text, sizeof(text) - 1);
    blen = r->body.len;
    send_body = !r->head_only;
    if (!r->has_ctype) {
      static const char ct[] = "Content-Type: text/plain; charset=utf-8\r\n";
      iws__bytes_append(&r->headers, ct, sizeof(ct) - 1);
      r->has_ctype = 1;
    }
  }
  n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
               reason && *reason ? reason : "Unknown");
  if (n > 0 && (size_t)n >= sizeof(line)) n = (int)sizeof(line) - 1;
  if (iws__bytes_append(&out, line, (size_t)n) != 0) goto oom;
  if (!r->has_date) {
    iws__http_date((int64_t)time(NULL), date);
    n = snprintf(line, sizeof(line), "Date: %s\r\n", date);
    if (iws__bytes_append(&out, line, (size_t)n) != 0) goto oom;
  }
  if (!r->has_server &&
      iws__bytes_append(&out, "Server: iocpws\r\n", 16) != 0)
    goto oom;
  if (r->headers.len &&
      iws__bytes_append(&out, r->headers.data, r->headers.len) != 0)
    goto oom;
  if (!no_body) {
    if (!r->has_ctype && (r->has_body || r->file) && blen &&
        iws__bytes_append(&out,
                          "Content-Type: text/html; charset=utf-8\r\n",
                          40) != 0)
      goto oom;
    n = snprintf(line, sizeof(line), "Content-Length: %llu\r\n",
                 (unsigned long long)blen);
    if (iws__bytes_append(&out, line, (size_t)n) != 0) goto oom;
  }
  if (close) {
    if (iws__bytes_append(&out, "Connection: close\r\n", 19) != 0) goto oom;
  } else if (r->http10) {
    if (iws__bytes_append(&out, "Connection: keep-alive\r\n", 24) != 0)
      goto oom;
  }
  if (iws__bytes_append(&out, "\r\n", 2) != 0) goto oom;
  if (send_body && iws__bytes_append(&out, r->body.data, r->body.len) != 0)
    goto oom;
  chunk = iws__chunk_new(out.len);
  if (chunk) memcpy(chunk->data, out.data, out.len);
  iws__bytes_free(&out);
  return chunk;
oom:
  iws__bytes_free(&out);
  return NULL;
}

/* Hands the strand its turn again after reading was held (any thread,
 * under c->lock). */
static void kick_locked(iws__conn *c) {
  if (!c->http_hold) return;
  c->http_hold = 0;
  if (!c->sock || c->tcp_closing) return;
  if (c->server->cfg.workers) {
    c->http_kick = 1;
    iws__worker_wake_locked(c);
  } else {
    iws__be_read_resume(c->sock);
  }
}

/* Strand, under c->lock: reading waits until kick_locked. */
static void hold_locked(iws__conn *c) {
  c->http_hold = 1;
  c->http_pause_asked = 1;
  if (c->server->cfg.workers) c->read_paused = 1;
}

/* Queues the response `r` (which is h->current, or about to be). Takes
 * and releases c->lock. from_strand: the strand continues by itself (no
 * kick). */
static void send_response(iws__conn *c, iws_http_response *r,
                          int from_strand) {
  iws__http_conn *h = c->http;
  iws_server *s = c->server;
  iws__chunk *chunk;
  iws__file *file = NULL;
  uint64_t foff = 0, flen = 0;
  int close, status = final_status(r), live;
  iws__lock(&c->lock);
  live = c->state != IWS__CLOSED && !c->tcp_closing && !h->closing &&
         (!h->current || h->current == r);
  if (!live) {
    /* Gone, finished, or another answer (a 408) took the turn. */
    iws__unlock(&c->lock);
    return;
  }
  h->current = r; /* nothing else is queued until this is */
  r->ready = 1;
  close = !r->keep_alive || r->user_close ||
          iws__atomic_load32(&s->state) != IWS__RUNNING;
  if (close) h->closing = 1;
  chunk = build(r, close);
  if (!chunk) {
    iws__conn_tcp_close_locked(c, 1);
    if (h->current == r) h->current = NULL;
    iws__unlock(&c->lock);
    return;
  }
  if (iws__conn_push_locked(c, chunk) != 0) {
    iws__chunk_unref(chunk);
    if (h->current == r) h->current = NULL;
    iws__unlock(&c->lock);
    return;
  }
  iws__chunk_unref(chunk); /* the queue holds its own reference */
  iws__atomic_add64_relaxed(&s->st_http_requests, 1);
  if (r->refused) iws__atomic_add64_relaxed(&s->st_http_refused, 1);
  if (r->file) {
    if (!r->head_only && !no_body_status(status) && r->file_len) {
      file = r->file;
      foff = r->file_off;
      flen = r->file_len;
    } else {
      iws__file_close(r->file);
    }
    r->file = NULL;
  }
  iws__unlock(&c->lock);
  if (file) {
    /* Behind the head; without the lock (the send path takes it). */
    int32_t rc = iws__conn_queue_file(c, file, foff, flen);
    if (rc != IWS_OK) {
      /* The head is out: the body cannot follow; end the connection so
       * that the client sees a truncated response, not a wrong one. */
      iws__log(s, IWS_LOG_ERROR,
               "connection %llu: cannot send the response's file: %s",
               (unsigned long long)c->id, iws_strerror(rc));
      iws__lock(&c->lock);
      h->closing = 1;
      iws__conn_tcp_close_locked(c, 1);
      iws__unlock(&c->lock);
    }
  }
  iws__lock(&c->lock);
  if (h->current == r) h->current = NULL;
  if (c->state != IWS__CLOSED && !c->tcp_closing) {
    if (close)
      iws__conn_http_finish_locked(c);
    else if (!from_strand && !h->buffered && s->cfg.http_keepalive_ms)
      /* (the strand arms it itself once its buffer is empty: run) */
      iws__conn_timer_set(c, IWS__T_HIDLE, s->cfg.http_keepalive_ms);
    if (!from_strand) kick_locked(c);
  }
  iws__unlock(&c->lock);
}

/* A response made by the library (refusals, 408, 503 after the response
 * timeout). NULL: out of memory. */
static iws_http_response *make_library(iws__conn *c, int status,
                                       const char *why, int keep_alive) {
  iws_http_response *r = resp_new(c);
  char text[300];
  int n;
  if (!r) return NULL;
  r->status = status;
  r->keep_alive = (uint32_t)keep_alive;
  r->refused = status >= 400 && status != 503;
  n = snprintf(text, sizeof(text), "%d %s%s%s\n", status,
               iws__http_reason(status), why ? ": " : "", why ? why : "");
  if (n > 0) {
    if ((size_t)n >= sizeof(text)) n = (int)sizeof(text) - 1;
    iws__bytes_append(&r->body, text, (size_t)n);
  }
  r->has_body = 1;
  iws_http_add_header(r, "Content-Type", "text/plain; charset=utf-8");
  return r;
}

static void send_library(iws__conn *c, int status, const char *why,
                         int keep_alive, int from_strand) {
  iws_http_response *r = make_library(c, status, why, keep_alive);
  if (!r) {
    iws__lock(&c->lock);
    iws__conn_tcp_close_locked(c, 1);
    iws__unlock(&c->lock);
    return;
  }
  send_response(c, r, from_strand);
  resp_free(r);
}

/* Strand: refuses the request being read, then closes. */
static void refuse(iws__conn *c, int status, const char *why) {
  iws__log(c->server, IWS_LOG_INFO, "connection %llu from %s: HTTP %d %s",
           (unsigned long long)c->id, c->peer_ip, status,
           why ? why : iws__http_reason(status));
  send_library(c, status, why, 0, 1);
}

IWS_API int32_t IWS_CALL iws_http_send(iws_http_response *r) {
  iws__conn *c;
  iws__http_conn *h;
  int32_t rc;
  if (!valid_resp(r)) return IWS_E_INVALID_ARG;
  c = r->conn;
  iws__lock(&c->lock);
  h = c->http;
  if (!r->deferred || r->ready) {
    /* Not deferred: the library still owns it and sends it itself. */
    iws__unlock(&c->lock);
    return IWS_E_BAD_STATE;
  }
  if (r->in_callback) {
    /* Sent before on_http_request returned: the strand sends it then. */
    r->ready = 1;
    iws__unlock(&c->lock);
    return IWS_OK;
  }
  if (r->timed_out) {
    rc = IWS_E_TIMEOUT;
  } else if (r->orphan || c->state == IWS__CLOSED || c->tcp_closing ||
             h->current != r) {
    rc = IWS_E_NO_CONNECTION;
    /* Closing but not yet closed: the HTTP state must not keep pointing
     * at the response freed below (iws__http_closed_locked marks it). */
    if (h->current == r) h->current = NULL;
  } else {
    /* Alive: the server is too (its table holds the connection). */
    iws__conn_timer_clear(c, IWS__T_HRESP);
    rc = IWS_OK;
  }
  iws__unlock(&c->lock);
  if (rc == IWS_OK) send_response(c, r, 0);
  resp_free(r);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* the request cycle (strand)                                                */
/* ------------------------------------------------------------------------ */

static void reset_request(iws__http_conn *h) {
  if (h->have_req) iws__http_request_free(&h->req);
  h->have_req = 0;
  iws__bytes_free(&h->body);
  memset(&h->ch, 0, sizeof(h->ch));
  h->body_left = 0;
  h->phase = PH_HEAD;
  h->scan = 0;
}

static void dispatch(iws__conn *c) {
  iws_server *s = c->server;
  iws__http_conn *h = c->http;
  iws_request *req = &h->req;
  iws_http_response *r;
  const char *conn_hdr = iws__http_header(req, "Connection");
  int status, handled = 0;
  static const uint8_t empty[1] = {0};
  /* RFC 9110 9.3.7: OPTIONS * asks about the server, not a resource. */
  int options_star =
      strcmp(req->method, "OPTIONS") == 0 && strcmp(req->target, "*") == 0;

  if (iws__bytes_append(&h->body, empty, 1) != 0) {
    refuse(c, 500, "out of memory");
    return;
  }
  h->body.len--; /* a NUL behind the body, not counted */
  req->body = h->body.data;
  req->body_len = h->body.len;
  status = options_star ? 0 : iws__http_decode(req, h->body.data, h->body.len);
  if (status) {
    refuse(c, status, status == 400 ? "malformed request-target" : NULL);
    return;
  }
  r = resp_new(c);
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
    resp_free(r);
    return;
  }

  iws__lock(&c->lock);
  h->dispatching = 1;
  r->in_callback = 1;
  iws__unlock(&c->lock);
  handled = iws__static_try(s, req, r);
  if (!handled && s->cb.on_http_request)
    IWS__IN_CALLBACK(s, s->cb.on_http_request(s, c->id, req, r, s->user));
  iws__lock(&c->lock);
  h->dispatching = 0;
  r->in_callback = 0;
  r->req = NULL;
  if (r->deferred && !r->ready) {
    /* The caller answers later: the requests behind it wait. */
    if (h->current || h->closing) {
      /* A 408 raced with the end of the request: this one is lost. */
      r->orphan = 1;
      iws__unlock(&c->lock);
      return;
    }
    h->current = r;
    if (s->cfg.http_response_timeout_ms) {
      r->deadline = iws__now_ms() + s->cfg.http_response_timeout_ms;
      iws__conn_timer_set(c, IWS__T_HRESP, s->cfg.http_response_timeout_ms);
    }
    iws__unlock(&c->lock);
    return;
  }
  r->ready = 0; /* sent inside the callback, or never deferred */
  iws__unlock(&c->lock);
  send_response(c, r, 1);
  resp_free(r);
}

/* Strand: the parsed head asks for a WebSocket. Returns 1 if the
 * connection left HTTP (or waits for its output to drain: 0 then, with a
 * retry armed). */
static int upgrade(iws__conn *c, size_t head_len) {
  iws__http_conn *h = c->http;
  iws_server *s = c->server;
  iws_request req;
  uint32_t queued;
  const uint8_t *rest = h->in.data + h->off + head_len;
  size_t rest_len = h->in.len - h->off - head_len;
  iws__lock(&c->lock);
  /* The 101 goes to the front of the queue (on_connect's own sends wait
   * behind it): earlier responses must be out first. Rare (a client
   * pipelining its upgrade): retried on the next tick. */
  queued = iws__conn_queued_locked(c);
  if (queued) hold_locked(c);
  iws__unlock(&c->lock);
  if (queued) {
    reset_request(h);
    iws__conn_timer_set(c, IWS__T_HKICK, 1);
    return 0;
  }
  iws__conn_timer_clear(c, IWS__T_HREQ);
  iws__conn_timer_clear(c, IWS__T_HIDLE);
  iws__conn_timer_clear(c, IWS__T_HKICK);
  iws__lock(&c->lock);
  h->upgraded = 1;
  if (h->counted) {
    h->counted = 0;
    iws__atomic_add64(&s->st_http_current, -1);
  }
  iws__unlock(&c->lock);
  req = h->req;
  h->have_req = 0;
  iws__conn_ws_upgrade(c, &req, rest, rest_len);
  iws__http_request_free(&req);
  iws__bytes_free(&h->in);
  h->off = 0;
  reset_request(h);
  return 1;
}

/* Strand: one step of reading. Returns 1 if a request was answered or
 * dispatched (go on), 0 to wait for more bytes (or stop). */
static int step(iws__conn *c) {
  iws__http_conn *h = c->http;
  iws_server *s = c->server;
  const uint8_t *p = h->in.data + h->off;
  size_t avail = h->in.len - h->off;

  if (h->phase == PH_HEAD) {
    size_t end;
    int status, mode;
    uint64_t length;
    const char *expect;
    if (!avail) return 0;
    if (!h->timing && s->cfg.http_request_timeout_ms) {
      h->timing = 1;
      iws__lock(&c->lock);
      h->reading = 1;
      iws__conn_timer_set(c, IWS__T_HREQ, s->cfg.http_request_timeout_ms);
      iws__unlock(&c->lock);
    }
    if (h->scan == 0 && (p[0] == '\r' || p[0] == '\n')) {
      /* RFC 9112 2.2: empty lines before a request are ignored. */
      h->off++;
      return 1;
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
    if (h->have_req) iws__http_request_free(&h->req);
    status = iws__http_parse((const char *)p, end, &h->req);
    if (status) {
      refuse(c, status,
             status == 431 ? "too many header lines" : "malformed request");
      return 0;
    }
    h->have_req = 1;
    if (h->req.version_major != 1) {
      refuse(c, 505, "only HTTP/1.x is served");
      return 0;
    }
    if (strlen(h->req.target) > s->cfg.http_max_uri) {
      refuse(c, 414, "request-target too long");
      return 0;
    }
    if (iws__http_wants_upgrade(&h->req)) {
      upgrade(c, end);
      return 0;
    }
    if (iws__http_host_status(&h->req) != 0) {
      refuse(c, 400, "missing, repeated or invalid Host header");
      return 0;
    }
    status = iws__http_framing(&h->req, s->cfg.http_max_body, &mode, &length);
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
    h->body_left = length;
    expect = iws__http_header(&h->req, "Expect");
    if (expect && mode != IWS__BODY_NONE && !avail &&
        h->req.version_minor >= 1 && iws__ieq(expect, "100-continue")) {
      static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
      iws__chunk *chunk = iws__chunk_new(sizeof(cont) - 1);
      if (chunk) {
        memcpy(chunk->data, cont, sizeof(cont) - 1);
        iws__lock(&c->lock);
        iws__conn_push_locked(c, chunk);
        iws__unlock(&c->lock);
        iws__chunk_unref(chunk);
      }
    }
  }
  if (h->phase == PH_BODY) {
    size_t take = avail;
    if ((uint64_t)take > h->body_left) take = (size_t)h->body_left;
    if (take && iws__bytes_append(&h->body, p, take) != 0) {
      refuse(c, 500, "out of memory");
      return 0;
    }
    h->off += take;
    h->body_left -= take;
    if (h->body_left) return 0;
  } else if (h->phase == PH_CHUNKED) {
    size_t used = 0;
    int r = iws__chunked_feed(&h->ch, p, avail, &used, &h->body,
                              s->cfg.http_max_body);
    h->off += used;
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
    iws__lock(&c->lock);
    h->reading = 0; /* a timer already on its way finds nothing to do */
    iws__conn_timer_clear(c, IWS__T_HREQ);
    iws__unlock(&c->lock);
  }
  dispatch(c);
  reset_request(h);
  return 1;
}

/* Strand: answers what the buffer holds, as far as the order allows. */
/* Under c->lock: bytes queued and not yet written (TLS: plaintext not yet
 * encrypted plus ciphertext not yet written). */
static uint64_t output_locked(const iws__conn *c) {
  return c->queued_bytes + (c->tls_out.len - c->tls_out_off) +
         c->tls_pend.len;
}

static void run(iws__conn *c) {
  iws__http_conn *h = c->http;
  uint32_t turn = 0;
  int idle, retry = 0;
  for (;;) {
    int blocked;
    iws__lock(&c->lock);
    blocked = h->current != NULL || h->closing || h->upgraded ||
              c->tcp_closing || c->state != IWS__HANDSHAKE;
    h->buffered = h->in.len > h->off;
    if (h->current && h->buffered) hold_locked(c);
    if (!blocked && h->buffered && output_locked(c) > OUTPUT_HIGH) {
      /* The client does not read its answers: wait for them to drain. */
      hold_locked(c);
      blocked = retry = 1;
    }
    if (!blocked && h->buffered && turn >= c->server->cfg.http_max_pipelined) {
      /* Enough for one turn: yield the thread to other connections and
       * come back (reading pauses and resumes at once). */
      hold_locked(c);
      kick_locked(c);
      blocked = 1;
    }
    iws__unlock(&c->lock);
    if (blocked || !step(c)) break;
    turn++;
  }
  if (retry) iws__conn_timer_set(c, IWS__T_HKICK, 1);
  if (h->upgraded) return;
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
  iws__lock(&c->lock);
  h->buffered = h->in.len > h->off;
  idle = !h->buffered && !h->current && !h->closing &&
         c->state == IWS__HANDSHAKE && !c->tcp_closing;
  if (idle && c->server->cfg.http_keepalive_ms)
    iws__conn_timer_set(c, IWS__T_HIDLE, c->server->cfg.http_keepalive_ms);
  iws__unlock(&c->lock);
}

int iws__http_begin(iws__conn *c, const uint8_t *extra, size_t extra_len) {
  iws_server *s = c->server;
  iws__http_conn *h = calloc(1, sizeof(*h));
  if (!h) return -1;
  h->in = c->inbuf;
  memset(&c->inbuf, 0, sizeof(c->inbuf));
  if (iws__bytes_append(&h->in, extra, extra_len) != 0) {
    iws__bytes_free(&h->in);
    free(h);
    return -1;
  }
  /* The handshake timeout was for the first head; the request timeout
   * takes over, then the keep-alive timeout between requests. */
  iws__conn_timer_clear(c, IWS__T_MAIN);
  iws__conn_attach_http_timers(c, &h->timers);
  iws__lock(&c->lock);
  c->http = h;
  h->counted = 1;
  iws__unlock(&c->lock);
  iws__atomic_add64(&s->st_http_current, 1);
  run(c);
  return 0;
}

void iws__http_input(iws__conn *c, const uint8_t *data, size_t len) {
  iws__http_conn *h = c->http;
  iws__conn_timer_clear(c, IWS__T_HIDLE);
  if (iws__bytes_append(&h->in, data, len) != 0) {
    iws__lock(&c->lock);
    iws__conn_tcp_close_locked(c, 1);
    iws__unlock(&c->lock);
    return;
  }
  run(c);
}

void iws__http_kicked(iws__conn *c) {
  if (c->http && !c->http->upgraded) run(c);
}

/* ------------------------------------------------------------------------ */
/* timers and teardown                                                       */
/* ------------------------------------------------------------------------ */

void iws__http_timer(iws__conn *c, int which) {
  iws__http_conn *h;
  iws_server *s = c->server;
  int action = 0; /* 1: 408, 2: 503 */
  uint64_t now = iws__now_ms();
  /* Made before the lock; installed as the current answer under it, so
   * that nothing overtakes it. */
  iws_http_response *lib =
      which == IWS__T_HREQ
          ? make_library(c, 408, "the request took too long", 0)
      : which == IWS__T_HRESP ? make_library(c, 503, "no response in time", 1)
                              : NULL;
  iws__lock(&c->lock);
  h = c->http;
  if (!h || c->state != IWS__HANDSHAKE || c->tcp_closing || h->closing ||
      h->upgraded) {
    iws__unlock(&c->lock);
    if (lib) resp_free(lib);
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
    if (r && r->deferred && !r->ready && !r->in_callback) {
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
    kick_locked(c);
    break;
  default:
    break;
  }
  iws__unlock(&c->lock);
  if (action == 1)
    iws__log(s, IWS_LOG_INFO, "connection %llu from %s: HTTP 408",
             (unsigned long long)c->id, c->peer_ip);
  else if (action == 2)
    iws__log(s, IWS_LOG_WARN,
             "connection %llu: no response within the response timeout; "
             "answered 503",
             (unsigned long long)c->id);
  if (action) send_response(c, lib, 0);
  if (lib) resp_free(lib);
}

void iws__http_closed_locked(iws__conn *c) {
  iws__http_conn *h = c->http;
  if (!h) return;
  if (h->current) {
    /* A deferred response: its iws_http_send will say it is gone. */
    h->current->orphan = 1;
    h->current = NULL;
  }
  h->closing = 1;
  c->http_hold = 0;
  if (h->counted) {
    h->counted = 0;
    iws__atomic_add64(&c->server->st_http_current, -1);
  }
}

void iws__http_conn_free(iws__conn *c) {
  iws__http_conn *h = c->http;
  if (!h) return;
  reset_request(h);
  iws__bytes_free(&h->in);
  free(h);
  c->http = NULL;
}
