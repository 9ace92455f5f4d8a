/*
 * frame.h - server frames and sending on an open WebSocket (ws/frame.c,
 * utf8.c, ws.c), for the layers above the core that send: api/ (iws_send,
 * iws_broadcast, iws_close), pubsub/ (channel delivery) and ws/ itself.
 */
#ifndef IWS_FRAME_H
#define IWS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

/* ---- frames ---- */

/* Encodes one unfragmented server frame (unmasked) with wslay. NULL on OOM. */
iws__chunk *iws__frame_encode(uint32_t opcode, const void *payload,
                              size_t len);
/* The same with RSV1 set (a permessage-deflate message) when `rsv1`. */
iws__chunk *iws__frame_encode_rsv(uint32_t opcode, int rsv1,
                                  const void *payload, size_t len);
/* Encodes a close frame (code 0 = empty payload). */
iws__chunk *iws__frame_close(uint32_t code, const char *reason, size_t len);

int iws__utf8_valid(const uint8_t *s, size_t len);
/* Streaming check: feed chunks in order, starting from IWS__UTF8_ACCEPT;
 * the text so far is valid and complete when the result is ACCEPT, valid
 * but cut inside a sequence for any other value but REJECT. */
#define IWS__UTF8_ACCEPT 0u
#define IWS__UTF8_REJECT 1u
uint32_t iws__utf8_feed(uint32_t state, const uint8_t *s, size_t len);
/* Non-zero if an application may send this close code. */
int iws__close_code_sendable(uint32_t code);

/* ---- sending (any thread; *_locked: the caller holds c->lock) ---- */

/* IWS_OK if data may be queued now, else the IWS_E_* code why not. */
int iws__conn_can_send_locked(iws__conn *c);
int32_t iws__conn_send_chunk_locked(iws__conn *c, iws__chunk *chunk,
                                    int data_msg);
/* Queues our close frame. fail = we are failing the connection: do not
 * wait for the peer's answer. */
int32_t iws__conn_send_close_locked(iws__conn *c, uint32_t code,
                                    const char *reason, size_t len, int fail);
/* Queues a data or ping frame; returns IWS_OK or an IWS_E_* code. `data_msg`
 * = counts against the send-queue limit. */
int32_t iws__conn_send_chunk(iws__conn *c, iws__chunk *chunk, int data_msg);
/* Sends one data message (text or binary), compressed when the connection
 * negotiated permessage-deflate and the message is long enough. */
int32_t iws__conn_send_message(iws__conn *c, uint32_t opcode,
                               const void *data, size_t len);
/* Broadcast: frames shared by several receivers, made on demand. */
typedef struct iws__shared_frames {
  uint32_t opcode;
  const void *data;
  size_t len;
  iws__chunk *plain;
  iws__chunk *deflated[16]; /* by server window bits */
  int failed;               /* out of memory making one */
} iws__shared_frames;
/* Queues the right shared frame for c; IWS_OK or an IWS_E_* code. */
int32_t iws__conn_send_shared(iws__conn *c, iws__shared_frames *f);
void iws__shared_frames_free(iws__shared_frames *f);
int32_t iws__conn_close(iws__conn *c, uint32_t code, const char *reason,
                        uint32_t len);

/* ---- the message being delivered (ws.c) ---- */

/* The text message on_message is being given on this thread, already
 * checked as UTF-8: echoing it (or part of it) needs no second check. */
extern IWS_THREAD_LOCAL const uint8_t *iws__t_valid_text;
extern IWS_THREAD_LOCAL size_t iws__t_valid_text_len;
int iws__text_known_valid(const void *data, size_t len);

#endif /* IWS_FRAME_H */
