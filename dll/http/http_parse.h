/*
 * http_parse.h - the pure parts of plain HTTP/1.1 (Since 0.5): chunked
 * body decoding, percent-decoding, the decoded target and parameters,
 * request framing checks (RFC 9112 section 6) and response header
 * validation. No sockets, no server state: unit-tested on their own.
 */
#ifndef IWS_HTTP_PARSE_H
#define IWS_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "../ws/handshake.h"
#include "../core/core.h"

/* ---- chunked transfer coding (RFC 9112 7.1) ---- */

typedef struct iws__chunked {
  uint32_t state;
  uint32_t digits;  /* hex digits of the current size line */
  uint64_t size;    /* bytes left in the current chunk */
  uint64_t total;   /* body bytes decoded so far */
  uint64_t meta;    /* bytes of extensions and trailers so far */
} iws__chunked;

#define IWS__CHUNKED_MORE 0     /* give more bytes */
#define IWS__CHUNKED_DONE 1     /* last chunk and trailers read */
#define IWS__CHUNKED_BAD (-1)   /* malformed: 400 */
#define IWS__CHUNKED_TOO_BIG (-2) /* body over `limit`: 413 */

/* Longest chunk extensions + trailer section accepted (else BAD). */
#define IWS__CHUNKED_META_MAX 16384

/* Decodes in[0..len), appending chunk data to *out. *used receives the
 * bytes consumed (all of them unless DONE or an error). Extensions and
 * trailer fields are tolerated and ignored. Any split of the input gives
 * the same result. */
int iws__chunked_feed(iws__chunked *st, const uint8_t *in, size_t len,
                      size_t *used, iws__bytes *out, uint64_t limit);

/* ---- decoding ---- */

/* Percent-decodes src[0..n) into out (room for n + 1 bytes), NUL-
 * terminated. plus: '+' is a space (form encoding). strict: a bad escape
 * or an encoded NUL fails (-1); otherwise a bad escape is kept literally
 * and %00 is refused the same. Returns the decoded length or -1. */
long iws__pct_decode(const char *src, size_t n, char *out, int plus,
                     int strict);

/* Fills req->document, req->query and req->params from req->target and,
 * for an application/x-www-form-urlencoded body, from the body. Returns 0,
 * 400 (not an origin-form target, a bad escape or NUL in the path) or 500
 * (out of memory). */
int iws__http_decode(iws_request *req, const uint8_t *body, size_t body_len);

/* ---- framing (RFC 9112 6.1-6.3) ---- */

#define IWS__BODY_NONE 0
#define IWS__BODY_LENGTH 1
#define IWS__BODY_CHUNKED 2

/* How the request's body is framed. Returns 0 and sets *mode (and *length
 * for IWS__BODY_LENGTH), or the status to refuse with: 400 (both
 * Content-Length and Transfer-Encoding, differing or malformed lengths,
 * Transfer-Encoding in HTTP/1.0), 501 (a transfer coding other than a lone
 * "chunked"), 413 (declared length over max_body). */
int iws__http_framing(const iws_request *req, uint64_t max_body, int *mode,
                      uint64_t *length);

/* Non-zero if the request asks for a WebSocket (Upgrade: websocket). */
int iws__http_wants_upgrade(const iws_request *req);

/* 414 if the request line in buf[0..len) (complete or not) already holds a
 * target longer than max_uri, else 0. For heads still arriving. */
int iws__http_early_status(const uint8_t *buf, size_t len, uint64_t max_uri);

/* ---- responses ---- */

/* Non-zero if `name` is a valid header name (an RFC 9110 token). */
int iws__http_valid_name(const char *name);
/* Non-zero if `value` holds no CR, LF, NUL or other control but TAB. */
int iws__http_valid_value(const char *value);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") of `t` seconds since
 * 1970 into out (at least 30 bytes). */
void iws__http_date(int64_t t, char out[32]);

#endif /* IWS_HTTP_PARSE_H */
