/*
 * ws.h - a connection after its 101 (ws/ws.c): the WebSocket protocol
 * table the upgrade installs, and the state it keeps in the connection's
 * protocol area.
 */
#ifndef IWS_WS_H
#define IWS_WS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "deflate.h"
#include "frame.h"
#include "handshake.h"

struct wslay_event_context;

/* The WebSocket side of a connection, strand only: the message being
 * reassembled and the wslay context (made on demand, given back while
 * idle). Lives in the connection's proto_area. */
/* What receiving needs while the wslay context exists (made and freed with
 * it: an idle connection has neither). */
typedef struct iws__ws_rx {
  /* The message being reassembled (wslay runs without buffering: see
   * ws_chunk_cb). Its capacity counts in the server's rx_held while it
   * holds a message. */
  iws__bytes inbuf;
  uint64_t rx_msg_size;       /* payload declared so far by the open message */
  const uint8_t *rx_direct;   /* a one-piece message, delivered in place
                                 (in the input being fed: ws_chunk_cb) */
  uint64_t ws_fed, ws_framed;      /* bytes given to wslay / in whole frames */
  uint64_t ws_frame_size;          /* header + payload of the current frame */
  iws__bytes stage; /* frames wslay produced (pongs, close echo) */
  uint8_t rx_frame_data;  /* the current frame is a data frame */
  uint8_t rx_frame_whole; /* ...the first and last of its message */
  uint8_t ws_msg_open;    /* a fragmented message is in progress */
  uint8_t rx_fail;        /* RXF_*: why the message being received failed
                             (ws_feed closes) */
} iws__ws_rx;

typedef struct iws__ws_state {
  struct wslay_event_context *ws; /* NULL while idle (see ws_feed) */
  iws__ws_rx *rx;                 /* with ws, and only with it */
  uint64_t last_input_ms;
  uint8_t idle_timer;   /* IWS__T_WIDLE armed (or its wake-up under way)
                           for the context `ws`: strand only */
  /* When the last data frame began (IWS_OPT_HEARTBEAT_IF_IDLE): the low
   * 32 bits of iws__now_ms() with bit 0 set, 0 = none yet. Written on the
   * strand, read by the tick's heartbeat: atomic only. */
  volatile uint32_t last_data_ms;
} iws__ws_state;

/* IWS_OPT_HEARTBEAT_IF_IDLE: whether a data frame began within `interval`
 * ms of `now` (low 32 bits of iws__now_ms()); `last` is last_data_ms (0 =
 * none yet). Its bit 0 is set, so in an even millisecond it is 1 ms
 * ahead of a clock the tick reads after it: an age "in the future" is
 * "just now", never "a wrapped-around eternity" (that pinged a talker). */
static inline int iws__ws_talked_within(uint32_t last, uint32_t now,
                                        uint32_t interval) {
  uint32_t age = now - last;
  return last != 0 && (age < interval || age > UINT32_MAX / 2);
}

static inline iws__ws_state *iws__ws(iws__conn *c) {
  return (iws__ws_state *)(void *)c->proto_area.bytes;
}

extern const iws__proto iws__ws_proto;

/* How a refused handshake is answered: http/'s response writer (the one
 * that writes every HTTP answer), handed down with the upgrade. It queues
 * the answer `status` (`why`: the body's detail, may be NULL) with the
 * header lines `headers` ("Name: value\r\n" each, `headers_len` bytes;
 * the place for headers a refusal carries, e.g. WWW-Authenticate on 401)
 * in place of anything on_connect queued, then finishes the connection
 * (FIN once written). Strand, no lock held. */
typedef void (*iws__ws_answer_fn)(iws__conn *c, int status, const char *why,
                                  const char *headers, size_t headers_len);

/* Strand, for http/: the request `req` asks for a WebSocket and the
 * connection has released its HTTP state. Installs the WebSocket protocol,
 * runs the opening handshake (checks, on_connect, then the 101, or a
 * refusal written through `answer`), then feeds `rest` (bytes the client
 * sent behind its request). */
void iws__ws_upgrade(iws__conn *c, iws_request *req, uint8_t *rest,
                     size_t rest_len, iws__ws_answer_fn answer);

#endif /* IWS_WS_H */
