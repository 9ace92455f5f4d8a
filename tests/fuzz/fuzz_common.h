/* fuzz_common.h - a server on the fake back end, shared by the connection
 * fuzz targets: callbacks that echo every message and send a ping back
 * (exercising sends from inside callbacks), and the driver that feeds one
 * input through iws__core_accept / iws__core_read in chunks. */
#ifndef IWS_FUZZ_COMMON_H
#define IWS_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static int32_t IWS_CALLBACK fz_connect(iws_server *s, iws_conn_id id,
                                       iws_request *req, void *user) {
  (void)s;
  (void)user;
  (void)id;
  if (iws_request_protocol_count(req))
    (void)iws_request_select_protocol(req, 0);
  if (iws_request_path(req) && strcmp(iws_request_path(req), "/refuse") == 0)
    return 403;
  return IWS_ACCEPT;
}

static void IWS_CALLBACK fz_message(iws_server *s, iws_conn_id id,
                                    uint32_t opcode, const uint8_t *data,
                                    uint64_t length, void *user) {
  (void)user;
  (void)iws_send(s, id, opcode, data, length);
  if (length && data[0] == 'C') (void)iws_close(s, id, 4000, "bye", 3);
  if (length && data[0] == 'D') (void)iws_disconnect(s, id);
  if (length && data[0] == 'P') (void)iws_ping(s, id, data, length > 125 ? 125 : length);
}

static void IWS_CALLBACK fz_disconnect(iws_server *s, iws_conn_id id,
                                       uint32_t code, const char *reason,
                                       uint32_t len, void *user) {
  (void)reason;
  (void)len;
  (void)user;
  (void)code;
  /* The id is dead from now on: a send must say so, not crash. */
  if (iws_send(s, id, IWS_OP_TEXT, "x", 1) != IWS_E_NO_CONNECTION) abort();
}

/* Plain HTTP (Since 0.5): routes by the first letter of the document.
 * "/d..." defers the response (kept in fz_pending until the driver sends
 * it: later pipelined requests wait), "/q" defers and sends at once, "/h"
 * adds the header named by parameter n (value v), "/c" asks to close, "/s"
 * sets status s; anything else echoes the body. */
static iws_http_response *fz_pending;

static void IWS_CALLBACK fz_http(iws_server *s, iws_conn_id id,
                                 iws_request *req, iws_http_response *res,
                                 void *user) {
  const char *doc = iws_request_document(req);
  const uint8_t *body = NULL;
  uint64_t len = 0;
  uint32_t i, n = iws_request_param_count(req);
  (void)s;
  (void)id;
  (void)user;
  if (!doc || doc[0] != '/' || !iws_request_method(req) ||
      !iws_request_query(req))
    abort();
  for (i = 0; i < n; i++) {
    const char *name, *value;
    if (iws_request_param_at(req, i, &name, &value) != IWS_OK) abort();
    if (!name || !value) abort();
  }
  if (iws_request_body(req, &body, &len) != IWS_OK) abort();
  if (len && body[len] != '\0') abort(); /* the promised NUL */
  switch (doc[1]) {
  case 'd':
    if (!fz_pending && iws_http_defer(res) == IWS_OK) fz_pending = res;
    break;
  case 'q':
    if (iws_http_defer(res) != IWS_OK || iws_http_send(res) != IWS_OK)
      abort();
    break;
  case 'h':
    (void)iws_http_add_header(res, iws_request_param(req, "n"),
                              iws_request_param(req, "v"));
    break;
  case 'c':
    (void)iws_http_add_header(res, "Connection", "close");
    break;
  case 's':
    (void)iws_http_set_status(
        res, (int32_t)strtol(iws_request_param(req, "s")
                                 ? iws_request_param(req, "s")
                                 : "0",
                             NULL, 10),
        iws_request_param(req, "r"));
    break;
  default:
    (void)iws_http_set_body(res, body, len);
    break;
  }
  /* Not deferred: iws_http_send must refuse, and leave it to the library. */
  if (res != fz_pending && doc[1] != 'q' &&
      iws_http_send(res) != IWS_E_BAD_STATE)
    abort();
}

/* on_http_head (Since 0.6), by the document's first letter after '/': 's'
 * streams the body to fz_body, 'r' refuses with 401, 'x' gives an unknown
 * answer (500); anything else is buffered as without it. */
static int32_t IWS_CALLBACK fz_head(iws_server *s, iws_conn_id id,
                                    iws_request *req, void *user) {
  const char *doc = iws_request_document(req);
  const uint8_t *body = NULL;
  uint64_t len = 1;
  (void)s;
  (void)id;
  (void)user;
  if (!doc || doc[0] != '/' || !iws_request_method(req)) abort();
  /* no body yet, at the head */
  if (iws_request_body(req, &body, &len) != IWS_OK || len != 0) abort();
  switch (doc[1]) {
  case 's':
    return IWS_HTTP_BODY_STREAM;
  case 'r':
    return 401;
  case 'x':
    return 7;
  default:
    return IWS_HTTP_BODY_BUFFER;
  }
}

/* on_http_body: pieces are never empty; a piece starting with '!' refuses
 * the rest with 507. */
static int32_t IWS_CALLBACK fz_body(iws_server *s, iws_conn_id id,
                                    const uint8_t *data, uint32_t length,
                                    void *user) {
  (void)s;
  (void)id;
  (void)user;
  if (!data || length == 0) abort();
  return data[0] == '!' ? 507 : 0;
}

/* Sends the deferred response, if any, and lets the connection go on with
 * the requests that waited behind it. */
static void fz_send_pending(iws__sock *sock) {
  int rounds = 0;
  while (fz_pending && rounds++ < 1000) {
    iws_http_response *r = fz_pending;
    int32_t rc;
    fz_pending = NULL;
    (void)iws_http_set_body(r, "later", 5);
    rc = iws_http_send(r);
    if (rc != IWS_OK && rc != IWS_E_NO_CONNECTION) abort();
    if (sock) fake_resume(sock);
  }
}

/* tight = 1: small limits everywhere (message 100 B, handshake 256 B, send
 * queue 64 B with the error policy), so inputs reach every limit quickly. */
static iws_server *fz_server_ex(int tls, const char *cert, const char *key,
                                int tight) {
  iws_callbacks cb;
  iws_server *s = NULL;
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_connect = fz_connect;
  cb.on_message = fz_message;
  cb.on_disconnect = fz_disconnect;
  cb.on_http_request = fz_http;
  cb.on_http_head = fz_head;
  cb.on_http_body = fz_body;
  if (iws_create(IWS_ABI_VERSION, &cb, NULL, &s) != IWS_OK) abort();
  iws_set_int(s, IWS_OPT_LOG_LEVEL, 0);
  iws_set_int(s, IWS_OPT_IO_THREADS, 1);
  iws_set_int(s, IWS_OPT_MAX_MESSAGE_SIZE, 256 * 1024);
  iws_set_int(s, IWS_OPT_MAX_HANDSHAKE_SIZE, 4096);
  iws_set_int(s, IWS_OPT_SEND_QUEUE_LIMIT, 1024 * 1024);
  iws_set_str(s, IWS_OPT_SUBPROTOCOLS, "chat,superchat");
  /* permessage-deflate is on: only clients that offer it get it */
  iws_set_int(s, IWS_OPT_DEFLATE, 1);
  iws_set_int(s, IWS_OPT_DEFLATE_THRESHOLD, 0);
  if (tight) {
    /* context takeover both ways: per-connection zlib streams */
    iws_set_int(s, IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER, 0);
    iws_set_int(s, IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER, 0);
    iws_set_int(s, IWS_OPT_DEFLATE_MAX_INFLATED_SIZE, 1000);
    iws_set_int(s, IWS_OPT_MAX_MESSAGE_SIZE, 100);
    iws_set_int(s, IWS_OPT_MAX_HANDSHAKE_SIZE, 256);
    iws_set_int(s, IWS_OPT_SEND_QUEUE_LIMIT, 64);
    iws_set_int(s, IWS_OPT_SEND_QUEUE_POLICY, IWS_QUEUE_ERROR);
    iws_set_int(s, IWS_OPT_HTTP_MAX_BODY_SIZE, 100);
    iws_set_int(s, IWS_OPT_HTTP_MAX_URI_LENGTH, 64);
    iws_set_int(s, IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, 0);
  }
  if (tls) {
    iws_set_int(s, IWS_OPT_PORT, -1);
    iws_set_int(s, IWS_OPT_TLS_PORT, 0);
    iws_set_str(s, IWS_OPT_TLS_CERT_PEM, cert);
    iws_set_str(s, IWS_OPT_TLS_KEY_PEM, key);
  }
  if (iws_start(s) != IWS_OK) {
    char msg[600];
    iws_last_error(s, msg, sizeof(msg));
    fprintf(stderr, "fuzz server: iws_start failed: %s\n", msg);
    abort();
  }
  return s;
}

static iws_server *fz_server(int tls, const char *cert, const char *key) {
  return fz_server_ex(tls, cert, key, 0);
}

static const char fz_upgrade[] =
    "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n";

/* The same upgrade offering permessage-deflate. */
static const char fz_upgrade_deflate[] =
    "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n";

/* Feeds data in chunks of `chunk` bytes (0 = all at once). */
static void fz_feed_chunks(iws__sock *sock, const uint8_t *data, size_t size,
                           size_t chunk) {
  size_t off = 0;
  if (!chunk) chunk = size;
  while (off < size && !sock->closed) {
    size_t n = size - off < chunk ? size - off : chunk;
    fake_feed(sock, data + off, n);
    off += n;
    /* A slow peer: a few bytes of the answers leave after each read. */
    if (sock->slow) fake_drain(sock, 2, 7);
  }
}

#endif
