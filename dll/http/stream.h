/*
 * stream.h - streamed responses (stream.c, Since 0.6: iws_http_send_head,
 * iws_http_send_chunk) and their seam with the request cycle (http.c):
 * http.c owns the connection's HTTP state and the turn of each answer;
 * stream.c frames a streamed response's bytes and queues them while that
 * response has the turn. http.c sends a stream's head (and what was
 * written meanwhile) as on_http_request returns, and its terminator in
 * iws_http_send.
 */
#ifndef IWS_HTTP_STREAM_H
#define IWS_HTTP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "response.h"

/* ---- stream.c, called by http.c ---- */

/* Under c->lock, on the response's live turn (h->current == r): queues
 * the head if it is not out yet (deciding then whether the connection
 * ends after the stream: r->stream_close), then the bytes held in
 * r->body, then data[0..len) framed (chunked for HTTP/1.1, raw for
 * HTTP/1.0, dropped for HEAD, 1xx, 204, 304), then, if `last`, the
 * chunked terminator. Returns IWS_OK, or IWS_E_NOMEM (the connection is
 * then aborted, since the head may be out already). Any thread holding
 * the lock; runs no callback. */
int32_t iws__stream_push_locked(iws__conn *c, iws_http_response *r,
                                const void *data, size_t len, int last);

/* ---- http.c, called by stream.c ---- */

/* Under c->lock, any thread: the connection still speaks HTTP and `r` is
 * its current answer (the one whose bytes may be queued now). Returns 1
 * or 0. */
int iws__http_current_locked(iws__conn *c, const iws_http_response *r);

#endif /* IWS_HTTP_STREAM_H */
