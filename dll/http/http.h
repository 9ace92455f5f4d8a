/*
 * http.h - plain HTTP/1.1 on the WebSocket ports (Since 0.5): the request
 * state machine (http.c; the response object is response.c's, streamed
 * responses stream.c's: response.h, stream.h), and static files (static.c).
 * This header is the seam between the two: http.c and response.c own the
 * connection's request cycle and the response object; static.c owns files
 * (the document root, MIME types, dates, ranges) and hands the response
 * an open file to send.
 */
#ifndef IWS_HTTP_H
#define IWS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "iocpws.h"
#include "../platform/platform.h"

typedef struct iws__conn iws__conn;
struct iws__proto;

/* ---- http.c, for api/ ---- */

/* The protocol every connection starts with (iws_server.first_proto): the
 * request cycle from the first byte; a request for a WebSocket hands the
 * connection to ws/ (iws__ws_upgrade). */
extern const struct iws__proto iws__http_proto;

/* ---- static.c, called by http.c ---- */

/* Before on_http_request: if the server has a document root and the
 * request is a GET or HEAD for a file under it, fills `response` from the
 * file (iws_http_serve_file's rules) and returns 1; else returns 0 and
 * leaves the response untouched. Runs on the connection's callback
 * thread. */
int iws__static_try(iws_server *server, iws_request *request,
                    iws_http_response *response);

/* ---- files: the connection's send path (sendfile / TransmitFile through
 * the back end; read and encrypted on TLS connections). Opening, reading
 * and closing files is the platform's (platform.h). ---- */

/* Queues `length` bytes of `file` from `offset` behind whatever the
 * connection has queued (e.g. the response head). The connection takes
 * ownership of the file and closes it once sent or dropped. Returns IWS_OK
 * or an IWS_E_* code (the file is closed in every case).
 * How http.c calls it: without conn->lock held, right after it queued the
 * response head (Content-Length = length), on the connection's strand or
 * on the thread of iws_http_send; nothing else of this connection's HTTP
 * cycle is queued in between (the next response waits), but WebSocket-
 * level sends cannot happen (the connection is not open). Never for HEAD,
 * 204 or 304 responses, nor for length 0. On an error http.c logs it and
 * aborts the connection, since the head is already on its way. */
int32_t iws__conn_queue_file(iws__conn *conn, iws__file *file,
                             uint64_t offset, uint64_t length);

/* ---- response.c, called by static.c ---- */

/* The request a response answers (for conditional and range headers). */
iws_request *iws__http_response_request(iws_http_response *response);

/* Whether the response carries header `name` (case-insensitive) so far
 * (iws_http_serve_file sets Content-Type only when the application did
 * not). Returns 1 or 0. */
int iws__http_response_has_header(iws_http_response *response,
                                  const char *name);

/* Sets the response's body to `length` bytes of the open file `file` from
 * `offset` (the response takes ownership of the file and closes it when
 * it is sent or dropped), with `status` (200 or 206). Replaces any body. */
int32_t iws__http_response_set_file(iws_http_response *response,
                                    iws__file *file, uint64_t offset,
                                    uint64_t length, int32_t status);

#endif /* IWS_HTTP_H */
