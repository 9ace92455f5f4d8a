/*
 * frame.c - server frames: encoded once with wslay's frame layer (a chunk
 * any number of connections can share), compressed for permessage-deflate,
 * and queued on a connection (one message, or a broadcast's shared frame).
 */
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "deflate.h"
#include "frame.h"

/* Each thread keeps one wslay frame context for wslay_frame_write, which
 * writes a frame straight into the chunk being built and calls no callback
 * (the server does not mask). The context holds the state of a frame in
 * progress; every frame here is written whole into a buffer of its exact
 * size, so it is back at "next header" after each call. */
static iws__tlocal_key *volatile encoder_key;

static void encoder_free(void *p) {
  if (p) wslay_frame_context_free(p);
}

static wslay_frame_context_ptr encoder_get(void) {
  iws__tlocal_key *key = iws__tlocal_key_once(&encoder_key, encoder_free);
  wslay_frame_context_ptr ctx;
  if (!key) return NULL;
  ctx = iws__tlocal_get(key);
  if (!ctx) {
    struct wslay_frame_callbacks cbs;
    memset(&cbs, 0, sizeof(cbs));
    if (wslay_frame_context_init(&ctx, &cbs, NULL) != 0) return NULL;
    iws__tlocal_set(key, ctx);
  }
  return ctx;
}

static size_t header_size(size_t len) {
  return len <= 125 ? 2 : len <= 65535 ? 4 : 10;
}

iws__chunk *iws__frame_encode(uint32_t opcode, const void *payload,
                              size_t len) {
  return iws__frame_encode_rsv(opcode, 0, payload, len);
}

/* Encodes the frame into out[size] (size = header_size(len) + len) with
 * this thread's wslay encoder. 0, or -1 (out of memory). */
static int encode_into(uint32_t opcode, int rsv1, const void *payload,
                       size_t len, uint8_t *out, size_t size) {
  wslay_frame_context_ptr ctx = encoder_get();
  struct wslay_frame_iocb iocb;
  ssize_t r;
  size_t written;
  if (!ctx) return -1;
  memset(&iocb, 0, sizeof(iocb));
  iocb.fin = 1;
  iocb.rsv = rsv1 ? WSLAY_RSV1_BIT : WSLAY_RSV_NONE;
  iocb.opcode = (uint8_t)opcode;
  iocb.mask = 0;
  iocb.payload_length = len;
  iocb.data = payload;
  iocb.data_length = len;
  r = wslay_frame_write(ctx, &iocb, out, size, &written);
  if (r < 0 || (size_t)r != size || written != len) {
    /* Cannot happen with a buffer of the frame's size; never ship a
     * half-built frame if it does, and let the next call start from a
     * fresh encoder (wslay's state may be mid-frame). */
    iws__tlocal_set(encoder_key, NULL);
    encoder_free(ctx);
    return -1;
  }
  return 0;
}

iws__chunk *iws__frame_encode_rsv(uint32_t opcode, int rsv1,
                                  const void *payload, size_t len) {
  iws__chunk *c = iws__chunk_new(header_size(len) + len);
  if (!c) return NULL;
  if (encode_into(opcode, rsv1, payload, len, c->data, c->len) != 0) {
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

static int32_t send_bytes_locked(iws__conn *c, iws__chunk *chunk,
                                 const uint8_t *bytes, size_t len,
                                 int data_msg);

/* permessage-deflate on the way out ------------------------------------- */

static int wants_deflate(const iws__conn *c, uint32_t opcode, size_t len) {
  return c->pmd && (opcode == IWS_OP_TEXT || opcode == IWS_OP_BINARY) &&
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
  cfg.window_bits = c->pmd ? (int)c->pmd->params.server_bits : 0;
  if (!wants_deflate(c, opcode, len) &&
      len + header_size(len) <= IWS__SMALL_FRAME) {
    /* A small frame: made on the stack, its bytes copied into the send
     * queue (no chunk of its own: iws__conn_queue_copy_locked). */
    uint8_t frame[IWS__SMALL_FRAME];
    size_t size = header_size(len) + len;
    if (encode_into(opcode, 0, data, len, frame, size) != 0)
      return IWS_E_NOMEM;
    iws__conn_lock(c);
    rc = send_bytes_locked(c, NULL, frame, size, 1);
    iws__conn_unlock(c);
    return rc;
  }
  if (!wants_deflate(c, opcode, len)) {
    chunk = iws__frame_encode(opcode, data, len);
  } else if (c->pmd->params.server_no_context_takeover) {
    /* Each message on its own: compressed outside the lock, any thread. */
    chunk = deflate_frame(NULL, 1, &cfg, opcode, data, len);
  } else {
    /* Context takeover: the compressor's order must be the queue's. */
    iws__conn_lock(c);
    rc = iws__conn_can_send_locked(c);
    if (rc == IWS_OK) {
      chunk = deflate_frame(&c->pmd->tx, (int)c->pmd->tx_fresh, &cfg, opcode,
                            data, len);
      c->pmd->tx_fresh = 0;
      if (!chunk) {
        rc = IWS_E_NOMEM;
      } else {
        rc = iws__conn_send_chunk_locked(c, chunk, 1);
        /* Not sent: the client never sees it, so the next message must not
         * refer to it. */
        if (rc != IWS_OK) c->pmd->tx_fresh = 1;
        iws__chunk_unref(chunk);
      }
    }
    iws__conn_unlock(c);
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
  iws__conn_lock(c);
  rc = iws__conn_can_send_locked(c);
  deflated = wants_deflate(c, f->opcode, f->len);
  bits = deflated ? c->pmd->params.server_bits & 15 : 0;
  iws__conn_unlock(c);
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
  iws__conn_lock(c);
  rc = iws__conn_send_chunk_locked(c, *slot, data_msg);
  /* The client's window now holds this message, which our own compressor
   * never saw: its next message starts from a fresh context. */
  if (rc == IWS_OK && deflated && !c->pmd->params.server_no_context_takeover)
    c->pmd->tx_fresh = 1;
  iws__conn_unlock(c);
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

/* ------------------------------------------------------------------------ */
/* sending on an open connection (any thread)                                */
/* ------------------------------------------------------------------------ */

int iws__conn_can_send_locked(iws__conn *c) {
  if (c->state == IWS__CLOSED || c->tcp_closing) return IWS_E_NO_CONNECTION;
  if (c->state != IWS__OPEN && c->state != IWS__ACCEPTING)
    return c->state == IWS__DRAINING ? IWS_E_CLOSING : IWS_E_NO_CONNECTION;
  if (c->close_sent) return IWS_E_CLOSING;
  return IWS_OK;
}

/* Queues our close frame (under lock). fail = we are failing the
 * connection: do not wait for the peer's answer. */
int32_t iws__conn_send_close_locked(iws__conn *c, uint32_t code,
                                 const char *reason, size_t len, int fail) {
  iws__chunk *chunk;
  int rc = iws__conn_can_send_locked(c);
  if (rc != IWS_OK) return rc;
  chunk = iws__frame_close(code, reason, len);
  if (!chunk || iws__conn_ring_push_locked(c, chunk, 0) != 0) {
    iws__chunk_unref(chunk);
    iws__conn_tcp_close_locked(c, 1);
    return IWS_E_NOMEM;
  }
  c->close_sent = 1;
  c->close_code_sent = code ? code : IWS_CLOSE_NO_STATUS;
  if (!c->close_recv) c->we_initiated = 1;
  if (fail) c->fail_code = code;
  if (fail || c->close_recv) c->finish_after_flush = IWS__FINISH_CLOSE;
  if (len > 123) len = 123;
  if (c->we_initiated && !c->close_recv) {
    if (len && !iws__conn_close_reason_buf(c)) len = 0;
    if (len) memcpy(c->close_reason, reason ? reason : "", len);
    c->close_reason_len = (uint32_t)len;
  }
  iws__conn_timer_set(c, IWS__T_MAIN, c->server->cfg.close_timeout_ms);
  return IWS_OK;
}

/* Queues a frame: `chunk` (a reference is taken), or when chunk is NULL
 * or small, a copy of its `len` bytes at `bytes` (IWS__SMALL_FRAME). */
static int32_t send_bytes_locked(iws__conn *c, iws__chunk *chunk,
                                 const uint8_t *bytes, size_t len,
                                 int data_msg) {
  iws_server *s = c->server;
  int32_t rc = iws__conn_can_send_locked(c);
  if (rc == IWS_OK && data_msg && s->cfg.send_queue_limit &&
      iws__conn_backlog_locked(c) + len > s->cfg.send_queue_limit) {
    if (s->cfg.send_queue_policy == IWS_QUEUE_ERROR) {
      rc = IWS_E_QUEUE_FULL;
    } else {
      static const char why[] = "send queue limit exceeded";
      c->pending_error = IWS_E_QUEUE_FULL;
      iws__conn_send_close_locked(c, IWS_CLOSE_POLICY_VIOLATION, why, sizeof(why) - 1,
                        1);
      iws__conn_maybe_flush_locked(c);
      rc = IWS_E_CLOSING;
    }
  }
  if (rc == IWS_OK) {
    if (!chunk || len <= IWS__SMALL_FRAME) {
      if (iws__conn_queue_copy_locked(c, bytes, len) != 0) rc = IWS_E_NOMEM;
    } else {
      iws__atomic_add32(&chunk->refs, 1);
      if (iws__conn_ring_push_locked(c, chunk, 0) != 0) {
        iws__atomic_add32(&chunk->refs, -1);
        rc = IWS_E_NOMEM;
      }
    }
    if (rc == IWS_OK) {
      if (data_msg) IWS__STAT(s, msg_out, 1);
      iws__conn_maybe_flush_locked(c);
    }
  }
  return rc;
}

int32_t iws__conn_send_chunk_locked(iws__conn *c, iws__chunk *chunk,
                                    int data_msg) {
  return send_bytes_locked(c, chunk, chunk->data, chunk->len, data_msg);
}

int32_t iws__conn_send_chunk(iws__conn *c, iws__chunk *chunk, int data_msg) {
  int32_t rc;
  iws__conn_lock(c);
  rc = iws__conn_send_chunk_locked(c, chunk, data_msg);
  iws__conn_unlock(c);
  return rc;
}

int32_t iws__conn_close(iws__conn *c, uint32_t code, const char *reason,
                        uint32_t len) {
  int32_t rc;
  iws__conn_lock(c);
  rc = iws__conn_send_close_locked(c, code, reason, len, 0);
  if (rc == IWS_OK) iws__conn_maybe_flush_locked(c);
  iws__conn_unlock(c);
  return rc;
}
