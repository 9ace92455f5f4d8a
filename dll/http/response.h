/*
 * response.h - the response object (response.c) and the one HTTP response
 * writer, shared by the request cycle (http.c), static files and the
 * WebSocket handshake's refusals (handed to ws/ by http.c).
 */
#ifndef IWS_HTTP_RESPONSE_H
#define IWS_HTTP_RESPONSE_H

#include <stdint.h>

#include "../core/core.h"

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
  uint32_t first;   /* ...to the connection's first request: counted as a
                       refused handshake (iws_stats.handshakes_refused) */
  /* under conn->lock */
  uint32_t in_callback; /* on_http_request has not returned yet */
  uint32_t deferred;    /* iws_http_defer was called */
  uint32_t ready;       /* sent (or handed to the library to send) */
  uint32_t timed_out;   /* the library answered 503 in its place */
  uint32_t orphan;      /* the connection went away */
  uint64_t deadline;    /* response timeout (deferred responses) */
  /* streaming (Since 0.6; under conn->lock) */
  uint32_t stream;       /* iws_http_send_head was called */
  uint32_t head_out;     /* its head is queued (else the bytes wait in body) */
  uint32_t stream_close; /* the connection ends after the streamed body */
};

/* A response for connection c (referenced until iws__resp_free). NULL out
 * of memory. */
iws_http_response *iws__resp_new(iws__conn *c);
void iws__resp_free(iws_http_response *r);
/* Non-zero if r is a live response (its magic is intact). */
int iws__resp_valid(const iws_http_response *r);
/* A response made by the library (refusals, 408, 503 after the response
 * timeout): status, a short text body ("<status> <reason>: <why>"). NULL
 * out of memory. */
iws_http_response *iws__resp_library(iws__conn *c, int status,
                                     const char *why, int keep_alive);
/* The status the response goes out with (200 or 404 when unset). */
int iws__resp_status(const iws_http_response *r);
/* Statuses that never carry a body (1xx, 204, 304). */
int iws__http_no_body_status(int status);

/* How a streamed response's body goes out: IWS__STREAM_NONE (HEAD, 1xx,
 * 204, 304: the bytes are dropped), _CHUNKED (HTTP/1.1), _RAW (HTTP/1.0:
 * no length, the connection closes after it). */
#define IWS__STREAM_NONE 0
#define IWS__STREAM_CHUNKED 1
#define IWS__STREAM_RAW 2
int iws__resp_stream_framing(const iws_http_response *r);

/* The writer: every HTTP answer's bytes (status line, Date and Server
 * unless set, the response's header lines - r->headers, "Name: value\r\n"
 * each, where a caller's extra headers go -, Content-Type and -Length,
 * Connection, then the body unless it is a file or must not be sent; a
 * streamed response (r->stream) gets Transfer-Encoding: chunked in place
 * of Content-Length and no body). `close`: the connection ends after it.
 * NULL out of memory. */
iws__chunk *iws__resp_write(iws_http_response *r, int close);

#endif /* IWS_HTTP_RESPONSE_H */
