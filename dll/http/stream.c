/*
 * stream.c - streamed HTTP responses (Since 0.6): iws_http_send_head and
 * iws_http_send_chunk on a deferred response, and the framing of its body
 * as it goes out (chunked for HTTP/1.1; raw, then close, for HTTP/1.0).
 * The head itself is response.c's writer's; the turn of each answer, the
 * head sent as on_http_request returns and the end (iws_http_send) are
 * http.c's, through stream.h.
 *
 * Memory is bounded by the connection's send-queue limit: a chunk that
 * would pass it returns IWS_E_QUEUE_FULL and queues nothing, whatever the
 * queue policy. Called inside on_http_request (after iws_http_defer), head
 * and chunks are held in r->body (within the same limit) until it returns.
 * Everything here runs under conn->lock and calls no callback.
 */
#include <stdio.h>
#include <string.h>

#include "stream.h"
#include "response.h"
#include "../core/core.h"

/* Bytes a streamed response may have waiting (queued on the connection,
 * or held in r->body until its head can go out). */
static uint64_t stream_limit(const iws__conn *c) {
  uint64_t limit = c->server->cfg.send_queue_limit;
  return limit ? limit : (uint64_t)32 * 1024 * 1024;
}

/* Under c->lock: the response's turn on a live connection has come (the
 * callback returned and it is the current answer). */
static int stream_live_locked(iws__conn *c, iws_http_response *r) {
  return !r->in_callback && !r->timed_out && !r->orphan &&
         c->state != IWS__CLOSED && !c->tcp_closing &&
         iws__http_current_locked(c, r);
}

/* stream.h. */
int32_t iws__stream_push_locked(iws__conn *c, iws_http_response *r,
                                const void *data, size_t len, int last) {
  int framing = iws__resp_stream_framing(r);
  iws__bytes out;
  iws__chunk *chunk;
  int failed;
  memset(&out, 0, sizeof(out));
  if (!r->head_out) {
    iws__chunk *head;
    r->stream_close = !r->keep_alive || r->user_close ||
                      framing == IWS__STREAM_RAW ||
                      iws__atomic_load32(&c->server->state) != IWS__RUNNING;
    /* (h->closing is set as it ends, in http.c's send_response: h->current
     * holds the next request back meanwhile) */
    head = iws__resp_write(r, (int)r->stream_close);
    if (!head) goto oom;
    failed = iws__conn_push_locked(c, head);
    iws__chunk_unref(head);
    if (failed) return IWS_E_NOMEM;
    r->head_out = 1;
    if (r->body.len) {
      int32_t rc = iws__stream_push_locked(c, r, r->body.data, r->body.len, 0);
      iws__bytes_free(&r->body);
      if (rc != IWS_OK) return rc;
    }
  }
  if (framing == IWS__STREAM_NONE) return IWS_OK;
  if (len) {
    if (framing == IWS__STREAM_CHUNKED) {
      char size[24];
      int n = snprintf(size, sizeof(size), "%llx\r\n", (unsigned long long)len);
      if (iws__bytes_append(&out, size, (size_t)n) != 0) goto oom;
    }
    if (iws__bytes_append(&out, data, len) != 0) goto oom;
    if (framing == IWS__STREAM_CHUNKED &&
        iws__bytes_append(&out, "\r\n", 2) != 0)
      goto oom;
  }
  if (last && framing == IWS__STREAM_CHUNKED &&
      iws__bytes_append(&out, "0\r\n\r\n", 5) != 0)
    goto oom;
  if (!out.len) return IWS_OK;
  chunk = iws__chunk_new(out.len);
  if (!chunk) goto oom;
  memcpy(chunk->data, out.data, out.len);
  iws__bytes_free(&out);
  failed = iws__conn_push_locked(c, chunk);
  iws__chunk_unref(chunk);
  return failed ? IWS_E_NOMEM : IWS_OK;
oom:
  iws__bytes_free(&out);
  iws__conn_tcp_close_locked(c, 1);
  return IWS_E_NOMEM;
}

/* Checks shared by send_head and send_chunk, under c->lock. */
static int32_t stream_state_locked(iws__conn *c, iws_http_response *r) {
  if (!r->deferred || r->ready) return IWS_E_BAD_STATE;
  if (r->timed_out) return IWS_E_TIMEOUT;
  if (r->orphan || (!r->in_callback && !stream_live_locked(c, r)))
    return IWS_E_NO_CONNECTION;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_send_head(iws_http_response *r) {
  iws__conn *c;
  int32_t rc;
  if (!iws__resp_valid(r)) return IWS_E_INVALID_ARG;
  c = r->conn;
  iws__conn_lock(c);
  rc = stream_state_locked(c, r);
  if (rc == IWS_OK && r->stream) rc = IWS_E_BAD_STATE;
  if (rc == IWS_OK) {
    /* a body or file set before is not sent: the chunks are the body */
    iws__bytes_free(&r->body);
    r->has_body = 0;
    if (r->file) iws__file_close(r->file);
    r->file = NULL;
    if (!r->status) r->status = 200;
    r->stream = 1;
    if (!r->in_callback) {
      /* its own pace from now: no 503 in its place */
      iws__conn_timer_clear(c, IWS__T_HRESP);
      rc = iws__stream_push_locked(c, r, NULL, 0, 0);
    } /* else: the strand sends the head as the callback returns */
  }
  iws__conn_unlock(c);
  return rc;
}

IWS_API int32_t IWS_CALL iws_http_send_chunk(iws_http_response *r,
                                             const void *data,
                                             uint64_t length) {
  iws__conn *c;
  int32_t rc;
  if (!iws__resp_valid(r) || (!data && length)) return IWS_E_INVALID_ARG;
  c = r->conn;
  iws__conn_lock(c);
  rc = stream_state_locked(c, r);
  if (rc == IWS_OK && !r->stream) rc = IWS_E_BAD_STATE;
  if (rc == IWS_OK && length) {
    uint64_t waiting = r->head_out ? iws__conn_backlog_locked(c) : r->body.len;
    if (length > stream_limit(c) || waiting > stream_limit(c) - length) {
      rc = IWS_E_QUEUE_FULL; /* nothing taken: try again once it drained */
    } else if (!r->head_out) {
      /* inside the callback: held until it returns */
      if (iws__bytes_append(&r->body, data, (size_t)length) != 0)
        rc = IWS_E_NOMEM;
    } else {
      rc = iws__stream_push_locked(c, r, data, (size_t)length, 0);
    }
  }
  iws__conn_unlock(c);
  return rc;
}

/* Under c->lock: iws_http_stream_wait's condition. w->rc gets the state
 * error, if any (the wait ends then too). */
typedef struct stream_waiter {
  iws_http_response *r;
  int32_t rc;
} stream_waiter;

static int stream_room_ready(iws__conn *c, void *arg) {
  stream_waiter *w = (stream_waiter *)arg;
  uint64_t waiting;
  w->rc = stream_state_locked(c, w->r);
  if (w->rc != IWS_OK) return 1;
  waiting = w->r->head_out ? iws__conn_backlog_locked(c) : w->r->body.len;
  return waiting <= stream_limit(c) / 2;
}

IWS_API int32_t IWS_CALL iws_http_stream_wait(iws_http_response *r,
                                              uint32_t timeout_ms) {
  iws__conn *c;
  stream_waiter w;
  if (!iws__resp_valid(r)) return IWS_E_INVALID_ARG;
  /* An engine thread (in a callback, or running a strand) would wait for
   * itself: the bytes it waits on drain on these threads. */
  if (iws__t_callback_server || iws__t_strand_conn) return IWS_E_IN_CALLBACK;
  c = r->conn;
  w.r = r;
  w.rc = IWS_OK;
  iws__conn_lock(c);
  if (!r->stream) {
    w.rc = stream_state_locked(c, r);
    if (w.rc == IWS_OK) w.rc = IWS_E_BAD_STATE;
  } else if (!iws__conn_wait_room_locked(c, timeout_ms, stream_room_ready,
                                         &w)) {
    w.rc = IWS_E_TIMEOUT;
  }
  iws__conn_unlock(c);
  return w.rc;
}
