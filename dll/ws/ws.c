/*
 * ws.c - the WebSocket protocol (iws__ws_proto): the opening handshake
 * of a request http/ hands over (RFC 6455 checks, on_connect, the 101 or a
 * refusal through http/'s writer), then WebSocket frames through wslay on
 * the connection's strand: messages, limits, permessage-deflate on the way
 * in, the close handshake, the heartbeat, and on_disconnect.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <wslay/wslay.h>

#include "ws.h"

#define WS(c) iws__ws(c)
#define RX(c) (iws__ws(c)->rx)
_Static_assert(sizeof(iws__ws_state) <= IWS__PROTO_AREA,
               "the WebSocket state fits the protocol area");

/* A connection quiet this long gives its wslay context (~8.7 KiB) back at
 * a frame boundary (IWS__T_WIDLE looks once a second); busy connections
 * keep it. */
#define WS_IDLE_RELEASE_MS 1000
/* What a released context gives back, for the tick's trim (rx_freed). */
#define WS_CONTEXT_BYTES 8704

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
/* the WebSocket side (strand only)                                          */
/* ------------------------------------------------------------------------ */

static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
                          size_t len, int flags, void *user) {
  iws__conn *c = user;
  (void)flags;
  if (iws__bytes_append(&RX(c)->stage, data, len) != 0) {
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
  if (!RX(c)->rx_fail) RX(c)->rx_fail = why;
  wslay_event_shutdown_read(ctx);
}

/* The reassembly buffer goes (its bytes leave the server's budget). */
static void ws_rx_release(iws__conn *c) {
  iws_server *s = c->server;
  size_t cap;
  if (!RX(c)) return; /* idle: nothing held */
  cap = RX(c)->inbuf.cap;
  RX(c)->rx_direct = NULL;
  if (!cap) return;
  iws__bytes_free(&RX(c)->inbuf);
  iws__atomic_add64(&s->rx_held, -(int64_t)cap);
  if (cap >= IWS__RX_TRIM_MIN) iws__atomic_add64_relaxed(&s->rx_freed, (int64_t)cap);
}

/* Appends a piece of the message being received. The buffer grows with
 * what arrives (doubling, never past the message's size once its last
 * frame has begun, nor past the maximum message size), and each
 * growth is taken from the server's budget first. Returns 0 or RXF_*. */
static uint32_t rx_append(iws__conn *c, const uint8_t *data, size_t len) {
  iws_server *s = c->server;
  iws__bytes *b = &RX(c)->inbuf;
  if (b->len + len > b->cap) {
    size_t need = b->len + len, cap = b->cap ? b->cap : 4096, grow;
    uint8_t *p;
    while (cap < need) cap *= 2;
    /* In the message's last frame its size is known: no more than that.
     * Before, frames keep coming: doubling keeps appends linear. */
    if (!RX(c)->ws_msg_open && cap > RX(c)->rx_msg_size && RX(c)->rx_msg_size >= need)
      cap = (size_t)RX(c)->rx_msg_size;
    else if (cap > s->cfg.max_message_size && s->cfg.max_message_size >= need)
      cap = (size_t)s->cfg.max_message_size;
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
      c->pmd->params.client_no_context_takeover ? NULL : &c->pmd->rx,
      (int)c->pmd->params.client_bits, msg, msg_len, s->cfg.deflate_max_inflated,
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
  IWS__STAT(s, msg_in, 1);
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
    const uint8_t *msg = RX(c)->rx_direct ? RX(c)->rx_direct : RX(c)->inbuf.data;
    size_t len = RX(c)->rx_direct ? (size_t)RX(c)->rx_msg_size : RX(c)->inbuf.len;
    if (RX(c)->rx_fail) return;
    if (iws__atomic_load32(&c->dropped)) {
      /* The application called iws_disconnect: it wants nothing more. */
      ws_rx_release(c);
      wslay_event_shutdown_read(ctx);
      return;
    }
    if (wslay_get_rsv1(arg->rsv)) {
      ws_inflated_msg(ctx, c, msg, len, opcode);
    } else {
      IWS__STAT(s, msg_in, 1);
      if (s->cb.on_message) deliver_message(s, c, opcode, msg, (uint64_t)len);
    }
    ws_rx_release(c);
  } else if (arg->opcode == WSLAY_PONG) {
    /* Any pong counts: an answer to our ping or an unsolicited one. */
    iws__atomic_store64(&c->last_pong_ms, iws__wall_ms());
  } else if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
    size_t rlen = arg->msg_length >= 2 ? arg->msg_length - 2 : 0;
    if (arg->msg_length == 1) {
      /* A close payload is empty or starts with a 2-byte code (RFC 6455
       * 5.5.1); wslay reads one byte as "no code". */
      c->bad_close = 1;
      return;
    }
    iws__conn_lock(c);
    c->close_recv = 1;
    c->close_code_recv =
        arg->status_code ? arg->status_code : IWS_CLOSE_NO_STATUS;
    if (!c->we_initiated) {
      if (rlen > 123) rlen = 123;
      if (rlen && !iws__conn_close_reason_buf(c)) rlen = 0;
      if (rlen) memcpy(c->close_reason, arg->msg + 2, rlen);
      c->close_reason_len = (uint32_t)rlen;
    }
    iws__conn_unlock(c);
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
  RX(c)->ws_frame_size = 2 + 4 + (len <= 125 ? 0 : len <= 65535 ? 2 : 8) + len;
  RX(c)->rx_frame_data = arg->opcode < 8;
  if (!RX(c)->rx_frame_data) return; /* control frames: wslay buffers them */
  if (c->server->cfg.heartbeat_if_idle)
    iws__atomic_store32(&WS(c)->last_data_ms,
                        (uint32_t)iws__now_ms() | 1u);
  RX(c)->ws_msg_open = !arg->fin; /* data or continuation */
  RX(c)->rx_direct = NULL;
  if (arg->opcode != WSLAY_CONTINUATION_FRAME) RX(c)->rx_msg_size = 0;
  RX(c)->rx_frame_whole = arg->opcode != WSLAY_CONTINUATION_FRAME && arg->fin;
  /* wslay checks each frame against the maximum; the message's frames
   * together are checked here, before any of their bytes is kept. */
  RX(c)->rx_msg_size += len;
  if (RX(c)->rx_msg_size > c->server->cfg.max_message_size)
    rx_fail(ctx, c, RXF_TOO_BIG);
}

/* A piece of a frame's payload. Data frames are not buffered by wslay
 * (no_buffering), and wslay parses them where they lie in the input
 * (wslay_event_recv_buffer, wslay patch 6: unmasked in place, a frame
 * lying whole in the input is one piece). A message that arrives as one
 * piece is delivered there (the input is still valid in ws_msg_cb): no
 * copy; any other is appended to the reassembly buffer, which grows with
 * the bytes that arrive. */
static void ws_chunk_cb(wslay_event_context_ptr ctx,
                        const struct wslay_event_on_frame_recv_chunk_arg *arg,
                        void *user) {
  iws__conn *c = user;
  uint32_t why;
  if (!RX(c)->rx_frame_data || RX(c)->rx_fail || !arg->data_length) return;
  if (RX(c)->rx_frame_whole && !RX(c)->inbuf.len &&
      arg->data_length == RX(c)->rx_msg_size) {
    RX(c)->rx_direct = arg->data;
    return;
  }
  why = rx_append(c, arg->data, arg->data_length);
  if (why) rx_fail(ctx, c, why);
}

static void ws_frame_end_cb(wslay_event_context_ptr ctx, void *user) {
  iws__conn *c = user;
  (void)ctx;
  RX(c)->ws_framed += RX(c)->ws_frame_size;
  RX(c)->ws_frame_size = 0;
}

static int ws_create(iws__conn *c) {
  struct wslay_event_callbacks cbs;
  memset(&cbs, 0, sizeof(cbs));
  /* no recv_callback: ws_feed hands wslay the input itself */
  cbs.send_callback = ws_send_cb;
  cbs.on_msg_recv_callback = ws_msg_cb;
  cbs.on_frame_recv_start_callback = ws_frame_start_cb;
  cbs.on_frame_recv_end_callback = ws_frame_end_cb;
  cbs.on_frame_recv_chunk_callback = ws_chunk_cb;
  RX(c) = calloc(1, sizeof(iws__ws_rx));
  if (!RX(c)) return -1;
  if (wslay_event_context_server_init(&WS(c)->ws, &cbs, c) != 0) {
    free(RX(c));
    RX(c) = NULL;
    return -1;
  }
  /* Messages are assembled here, growing with the bytes that arrive:
   * buffered, wslay would reserve what a frame header announces and pay an
   * allocation per fragment (ws_chunk_cb). */
  wslay_event_config_set_no_buffering(WS(c)->ws, 1);
  wslay_event_config_set_max_recv_msg_length(WS(c)->ws,
                                             c->server->cfg.max_message_size);
  /* RSV1 = a compressed message; wslay still refuses it (1002) on control
   * and continuation frames. */
  if (c->pmd)
    wslay_event_config_set_allowed_rsv_bits(WS(c)->ws, WSLAY_RSV1_BIT);
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

/* Under c->lock: the wslay context holds nothing that would be lost
 * (between frames, no fragmented message, no close under way). */
static int ws_releasable_locked(iws__conn *c) {
  return WS(c)->ws && RX(c)->ws_fed == RX(c)->ws_framed && !RX(c)->ws_msg_open &&
         !c->close_sent && !c->close_recv && !c->tcp_closing &&
         wslay_event_get_read_enabled(WS(c)->ws);
}

/* Strand: the wslay context and wslay's output buffer go; the next bytes
 * make them again. */
static void ws_release(iws__conn *c) {
  wslay_event_context_free(WS(c)->ws);
  WS(c)->ws = NULL;
  /* No message is open (ws_releasable_locked): inbuf is empty. */
  iws__bytes_free(&RX(c)->inbuf);
  iws__bytes_free(&RX(c)->stage);
  free(RX(c));
  RX(c) = NULL;
  iws__conn_lock(c);
  iws__conn_ring_idle_locked(c);
  iws__conn_unlock(c);
  /* The tick gives the freed pages back (contexts of many connections
   * that went quiet together are one region of the heap). */
  iws__atomic_add64_relaxed(&c->server->rx_freed,
                            WS_CONTEXT_BYTES + sizeof(iws__ws_rx));
}

static void note_activity(iws__conn *c) {
  if (iws__atomic_load32(&c->awaiting_pong)) iws__conn_timer_clear(c, IWS__T_PONG);
}

/* Feeds WebSocket bytes to wslay, which parses and unmasks them in place,
 * and moves what it wants to send (pongs, the close echo, its own failure
 * close) into the send queue. */
static void ws_feed(iws__conn *c, uint8_t *data, size_t len) {
  int r, release;
  uint32_t failed = 0, why = RXF_NONE;
  const char *why_text = NULL;
  uint64_t now = iws__now_ms(), quiet = now - WS(c)->last_input_ms;
  WS(c)->last_input_ms = now;
  note_activity(c);
  if (!WS(c)->ws && ws_create(c) != 0) {
    iws__conn_lock(c);
    c->pending_error = IWS_E_NOMEM;
    if (iws__conn_send_close_locked(c, IWS_CLOSE_INTERNAL_ERROR, NULL, 0, 1) != IWS_OK)
      iws__conn_tcp_close_locked(c, 1);
    iws__conn_unlock(c);
    return;
  }
  if (!WS(c)->idle_timer) {
    /* Once a quiet second, the context may go (ws_resumed). */
    WS(c)->idle_timer = 1;
    iws__conn_timer_set(c, IWS__T_WIDLE, WS_IDLE_RELEASE_MS);
  }
  RX(c)->ws_fed += len;
  r = wslay_event_recv_buffer(WS(c)->ws, data, len);
  iws__conn_lock(c);
  if (RX(c)->rx_fail && r == 0 && !c->close_sent && !c->tcp_closing) {
    /* The message being received failed (too big, the server's budget,
     * memory, or a compressed message that did not inflate). */
    why = RX(c)->rx_fail;
    failed = rx_failure(why, &why_text);
    wslay_event_shutdown_write(WS(c)->ws);
    if (why == RXF_NOMEM) c->pending_error = IWS_E_NOMEM;
    if (iws__conn_send_close_locked(c, failed, NULL, 0, 1) != IWS_OK)
      iws__conn_tcp_close_locked(c, 1);
  } else if (r == WSLAY_ERR_NOMEM) {
    c->pending_error = IWS_E_NOMEM;
    if (iws__conn_send_close_locked(c, IWS_CLOSE_INTERNAL_ERROR, NULL, 0, 1) != IWS_OK)
      iws__conn_tcp_close_locked(c, 1);
  } else if (r != 0 || c->bad_close) {
    /* The frame layer refused the bytes (bad control frame, bad length...)
     * or the close payload was malformed: wslay queued a close without a
     * code; send the RFC's 1002 instead. */
    c->bad_close = 0;
    wslay_event_shutdown_write(WS(c)->ws);
    failed = IWS_CLOSE_PROTOCOL_ERROR;
    if (iws__conn_send_close_locked(c, IWS_CLOSE_PROTOCOL_ERROR, NULL, 0, 1) != IWS_OK)
      iws__conn_tcp_close_locked(c, 1);
  } else if (c->close_sent || c->tcp_closing) {
    /* We already said goodbye: nothing more from wslay (no pong, no second
     * close frame). */
    wslay_event_shutdown_write(WS(c)->ws);
    if (c->close_recv) c->finish_after_flush = IWS__FINISH_CLOSE;
  } else {
    wslay_event_send(WS(c)->ws);
    if (RX(c)->stage.len) {
      /* wslay's own frames (pongs, the close echo): copied behind the
       * replies of this turn, in the same buffer when they fit. */
      iws__conn_queue_copy_locked(c, RX(c)->stage.data, RX(c)->stage.len);
      RX(c)->stage.len = 0;
    }
    if (wslay_event_get_close_sent(WS(c)->ws)) {
      c->close_sent = 1;
      c->close_code_sent = wslay_event_get_status_code_sent(WS(c)->ws);
      c->finish_after_flush = IWS__FINISH_CLOSE;
      iws__conn_timer_set(c, IWS__T_MAIN, c->server->cfg.close_timeout_ms);
      if (!c->close_recv) {
        /* wslay failed the connection (1002, 1007 or 1009). */
        failed = c->close_code_sent;
        c->fail_code = failed;
      }
    }
  }
  if (RX(c)->stage.cap > 4096) iws__bytes_free(&RX(c)->stage);
  /* Give the wslay context back while idle: only at a frame boundary with
   * no fragmented message and no close under way, so that no state is
   * lost; it is made again by the next bytes. */
  release = r == 0 && !failed && quiet >= WS_IDLE_RELEASE_MS &&
            ws_releasable_locked(c);
  iws__conn_unlock(c);
  if (failed) {
    RX(c)->rx_fail = RXF_NONE;
    ws_rx_release(c); /* nothing more of that message will come */
  }
  if (release) ws_release(c);
  if (failed && why != RXF_NOMEM)
    iws__conn_report_error(c,
                      failed == IWS_CLOSE_MESSAGE_TOO_BIG
                          ? IWS_E_MESSAGE_TOO_BIG
                          : IWS_E_PROTOCOL,
                      why_text ? why_text : failure_text(failed));
}

/* ------------------------------------------------------------------------ */
/* the opening handshake (strand only)                                       */
/* ------------------------------------------------------------------------ */

/* The 101 as a chunk, with the header lines on_connect added
 * (iws_request_add_response_header) right after its status line. NULL if
 * out of memory or n is 0. */
static iws__chunk *answer_chunk(const char *text, size_t n,
                                const iws_request *req) {
  size_t extra = req->answer_len, head;
  const char *eol;
  iws__chunk *chunk;
  if (!n) return NULL;
  chunk = iws__chunk_new(n + extra);
  if (!chunk) return NULL;
  eol = strstr(text, "\r\n"); /* text is NUL-terminated; the status line */
  head = eol ? (size_t)(eol - text) + 2 : n;
  memcpy(chunk->data, text, head);
  if (extra) memcpy(chunk->data + head, req->answer, extra);
  memcpy(chunk->data + head + extra, text + head, n - head);
  return chunk;
}

/* Refuses the handshake: the answer is written by the HTTP response
 * writer (`answer`, from http/: one writer for every answer), with the
 * header lines the status needs and, for on_connect's own refusal, the
 * ones it added (req; NULL for the library's refusals); then the
 * connection finishes. */
static void refuse_answer(iws__conn *c, iws__ws_answer_fn answer, int status,
                          const char *why, const iws_request *req) {
  iws_server *s = c->server;
  const char *headers = iws__ws_refusal_headers(status);
  size_t hlen = strlen(headers);
  iws__atomic_add64_relaxed(&s->st_refused, 1);
  iws__log(s, IWS_LOG_INFO, "connection %llu from %s refused: %d %s",
           (unsigned long long)c->id, IWS__ADDR_STR(&c->peer), status,
           why ? why : iws__http_reason(status));
  if (req && req->answer_len) {
    /* the status's own lines, then on_connect's */
    char *all = malloc(hlen + req->answer_len);
    if (all) {
      memcpy(all, headers, hlen);
      memcpy(all + hlen, req->answer, req->answer_len);
      answer(c, status, why, all, hlen + req->answer_len);
      free(all);
      return;
    }
    /* out of memory: the status on_connect chose, without its lines */
  }
  answer(c, status, why, headers, hlen);
}

static void refuse(iws__conn *c, iws__ws_answer_fn answer, int status,
                   const char *why) {
  refuse_answer(c, answer, status, why, NULL);
}

/* Runs on_connect and answers. Returns non-zero if the connection is open. */
static int complete_handshake(iws__conn *c, iws_request *req,
                              iws__ws_answer_fn refusal) {
  iws_server *s = c->server;
  const char *why = NULL;
  int status = iws__ws_validate(req, &why);
  char answer[640];
  char extensions[IWS__PMD_RESPONSE_SIZE];
  size_t n;
  iws__chunk *chunk;
  char *protocol;
  int32_t verdict;

  if (status) {
    refuse(c, refusal, status, why);
    return 0;
  }
  if (s->cfg.max_connections &&
      iws__atomic_load64(&s->st_current) >= s->cfg.max_connections) {
    refuse(c, refusal, 503, "too many connections");
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
      refuse(c, refusal, 400, "malformed Sec-WebSocket-Extensions header");
      return 0;
    }
    /* The answer is made now, before anything can be sent compressed: if
     * it could not be said, the connection must not compress either. */
    if (pmd.enabled &&
        !iws__pmd_response(&pmd, extensions, sizeof(extensions)))
      memset(&pmd, 0, sizeof(pmd));
    /* Under the lock: a broadcast on another thread reads it. */
    if (pmd.enabled) {
      iws__pmd_conn *p = calloc(1, sizeof(*p));
      if (!p) {
        refuse(c, refusal, 500, "out of memory");
        return 0;
      }
      p->params = pmd;
      iws__conn_lock(c);
      c->pmd = p;
      iws__conn_unlock(c);
    }
  }
  {
    char *path = strcmp(req->target, "/") == 0 ? (char *)iws__root_path
                                               : iws__strdup(req->target);
    iws__conn_lock(c);
    c->path = path;
    iws__conn_unlock(c);
  }
  if (!c->path) {
    refuse(c, refusal, 500, "out of memory");
    return 0;
  }
  iws__conn_lock(c);
  if (c->state == IWS__HANDSHAKE) c->state = IWS__ACCEPTING;
  iws__conn_unlock(c);

  verdict = IWS_ACCEPT;
  req->answering = 1; /* iws_request_add_response_header works meanwhile */
  if (s->cb.on_connect)
    IWS__IN_CALLBACK(s, verdict = s->cb.on_connect(s, c->id, req, s->user));
  req->answering = 0;
  if (verdict != IWS_ACCEPT) {
    if (verdict < 400 || verdict > 599) {
      iws__log(s, IWS_LOG_ERROR,
               "on_connect returned %ld, which is neither IWS_ACCEPT nor an "
               "HTTP status 400..599: refusing with 500",
               (long)verdict);
      verdict = 500;
    }
    refuse_answer(c, refusal, verdict, "refused by the application", req);
    return 0;
  }

  /* No subprotocol: NULL, read as "" (one allocation less per connection). */
  protocol = req->selected && req->selected[0] ? iws__strdup(req->selected)
                                               : NULL;
  n = iws__ws_response_101(req->key, req->selected,
                           c->pmd ? extensions : NULL, answer,
                           sizeof(answer));
  chunk = (protocol || !req->selected || !req->selected[0])
              ? answer_chunk(answer, n, req)
              : NULL;

  iws__conn_lock(c);
  c->protocol = protocol;
  c->accepted = 1; /* from here on, on_disconnect is owed */
  if (c->state == IWS__ACCEPTING) c->state = IWS__OPEN;
  if (!chunk || iws__conn_ring_push_locked(c, chunk, 1) != 0) {
    iws__chunk_unref(chunk);
    c->pending_error = IWS_E_NOMEM;
    iws__conn_tcp_close_locked(c, 1);
  }
  iws__conn_unlock(c);
  iws__atomic_add64(&s->st_current, 1);
  iws__atomic_add64_relaxed(&s->st_total, 1);
  iws__conn_timer_clear(c, IWS__T_MAIN);
  if (s->cfg.heartbeat_interval_ms)
    iws__conn_timer_set(c, IWS__T_PING, s->cfg.heartbeat_interval_ms);
  return 1;
}

void iws__ws_upgrade(iws__conn *c, iws_request *req, uint8_t *rest,
                     size_t rest_len, iws__ws_answer_fn answer) {
  iws__conn_set_proto(c, &iws__ws_proto);
  if (complete_handshake(c, req, answer) && rest_len)
    ws_feed(c, rest, rest_len);
}

/* Input on the strand: frames, or nothing once we are done. */
static void ws_input(iws__conn *c, uint8_t *data, size_t len) {
  uint32_t state, accepted;
  iws__conn_lock(c);
  state = c->state;
  accepted = c->accepted;
  iws__conn_unlock(c);
  if (accepted && state != IWS__DRAINING &&
      (!WS(c)->ws || wslay_event_get_read_enabled(WS(c)->ws)))
    /* Also after the socket closed (worker mode): messages that arrived
     * before the FIN are still delivered, before on_disconnect. */
    ws_feed(c, data, len);
}

/* The heartbeat's ping, and the answer it then expects. Any thread. */
static void heartbeat_ping(iws__conn *c) {
  iws_server *s = c->server;
  iws__chunk *ping = iws__frame_encode(9, "iocpws", 6);
  if (!ping) return;
  if (iws__conn_send_chunk(c, ping, 0) == IWS_OK && s->cfg.heartbeat_timeout_ms)
    iws__conn_timer_arm_once(c, IWS__T_PONG, s->cfg.heartbeat_timeout_ms,
                             IWS__T_PING, &c->awaiting_pong);
  iws__chunk_unref(ping);
}

/* Strand (iws__conn_run_due): on_heartbeat, then the ping unless the
 * application handled the beat. Not for a connection on its way out. */
static void ws_due(iws__conn *c) {
  iws_server *s = c->server;
  int32_t handled = 0;
  int open;
  iws__conn_lock(c);
  open = c->accepted && !c->disconnected && c->state == IWS__OPEN &&
         !c->close_sent && !c->tcp_closing;
  iws__conn_unlock(c);
  if (!open) return;
  if (s->cb.on_heartbeat)
    IWS__IN_CALLBACK(s, handled = s->cb.on_heartbeat(s, c->id, s->user));
  if (handled != 1) heartbeat_ping(c);
}

/* The heartbeat (tick thread): a ping every interval (with
 * IWS_OPT_HEARTBEAT_IF_IDLE, only if no data frame came during the last
 * one), through on_heartbeat on the strand when there is one, and the
 * connection goes when no answer (or any input) came within the timeout. */
static void ws_timer(iws__conn *c, int which) {
  iws_server *s = c->server;
  if (which == IWS__T_PING) {
    if (s->cfg.heartbeat_if_idle) {
      uint32_t last = iws__atomic_load32(&WS(c)->last_data_ms);
      if (iws__ws_talked_within(last, (uint32_t)iws__now_ms(),
                                s->cfg.heartbeat_interval_ms))
        return; /* it talked within the interval */
    }
    if (s->cb.on_heartbeat)
      iws__conn_run_due(c); /* busy strand: this beat is skipped */
    else
      heartbeat_ping(c);
    return;
  }
  if (which == IWS__T_WIDLE) {
    /* The context is the strand's: it decides there (ws_resumed). */
    iws__conn_lock(c);
    iws__conn_wake_locked(c);
    iws__conn_unlock(c);
    return;
  }
  if (which != IWS__T_PONG) return; /* an HTTP timer from before the 101 */
  iws__conn_lock(c);
  if (!c->tcp_closing && c->state != IWS__CLOSED) {
    iws__log(s, IWS_LOG_INFO,
             "connection %llu: no answer to the heartbeat; dropping it",
             (unsigned long long)c->id);
    c->pending_error = IWS_E_TIMEOUT;
    iws__conn_tcp_close_locked(c, 1);
  }
  iws__conn_unlock(c);
}

/* Strand, woken by IWS__T_WIDLE: a connection quiet for a second gives
 * its wslay context back; a busy one is looked at again a second later. */
static void ws_resumed(iws__conn *c) {
  uint64_t quiet;
  int release, again;
  if (!WS(c)->idle_timer) return;
  quiet = iws__now_ms() - WS(c)->last_input_ms;
  iws__conn_lock(c);
  release = quiet >= WS_IDLE_RELEASE_MS && ws_releasable_locked(c);
  again = !release && WS(c)->ws && !c->tcp_closing && c->state == IWS__OPEN;
  /* Released at the last input already (ws_feed): the answer to that
   * input was still queued then; the ring can go now. */
  if (!WS(c)->ws && quiet >= WS_IDLE_RELEASE_MS) iws__conn_ring_idle_locked(c);
  iws__conn_unlock(c);
  if (release) ws_release(c);
  WS(c)->idle_timer = (uint8_t)again;
  if (again) iws__conn_timer_set(c, IWS__T_WIDLE, WS_IDLE_RELEASE_MS);
}

/* iws_stop: close 1001 for open connections, abort a handshake. */
static void ws_stop_locked(iws__conn *c) {
  static const char why[] = "server stopping";
  if ((c->state == IWS__OPEN || c->state == IWS__ACCEPTING) &&
      !c->close_sent && !c->tcp_closing) {
    iws__conn_send_close_locked(c, IWS_CLOSE_GOING_AWAY, why, sizeof(why) - 1,
                                0);
    iws__conn_maybe_flush_locked(c);
  } else if (c->state == IWS__HANDSHAKE) {
    iws__conn_tcp_close_locked(c, 1);
  }
}

/* Strand: the connection ends: on_disconnect, if owed. */
static void ws_gone(iws__conn *c) {
  iws_server *s = c->server;
  uint32_t code;
  int32_t error;
  char reason[124];
  char detail[600];
  uint32_t rlen = 0;
  int owed, upgraded;
  iws__conn_lock(c);
  upgraded = c->accepted;
  owed = c->accepted && !c->disconnected;
  c->disconnected = 1;
  error = c->pending_error;
  snprintf(detail, sizeof(detail), "%s",
           error == IWS_E_TLS && c->tls && c->tls->error ? c->tls->error
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
  iws__conn_unlock(c);
  /* A message cut off by the close gives its memory back. */
  if (upgraded) ws_rx_release(c);
  if (owed) {
    iws__conn *saved = iws__t_strand_conn;
    iws__t_strand_conn = c; /* details stay readable inside the callback */
    if (error && error != IWS_E_PROTOCOL)
      iws__conn_report_error(c, error, detail);
    iws__log(s, IWS_LOG_DEBUG, "connection %llu closed with %u",
             (unsigned long long)c->id, (unsigned)code);
    if (s->cb.on_disconnect)
      IWS__IN_CALLBACK(s, s->cb.on_disconnect(s, c->id, code, reason, rlen,
                                         s->user));
    iws__t_strand_conn = saved;
    iws__atomic_add64(&s->st_current, -1);
  }
}

static void ws_free(iws__conn *c) {
  iws__ws_state *w = WS(c);
  if (w->ws) wslay_event_context_free(w->ws);
  if (c->pmd) {
    iws__pmd_stream_free(c->pmd->rx);
    iws__pmd_stream_free(c->pmd->tx);
    free(c->pmd);
    c->pmd = NULL;
  }
  if (w->rx) {
    iws__bytes_free(&w->rx->inbuf);
    iws__bytes_free(&w->rx->stage);
    free(w->rx);
    w->rx = NULL;
  }
}

const iws__proto iws__ws_proto = {
    "websocket", ws_input, ws_resumed, ws_timer, NULL, ws_stop_locked,
    ws_gone,     ws_free,  ws_due};
