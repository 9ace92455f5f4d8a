/*
 * handshake.h - the HTTP/1.1 opening handshake of RFC 6455 section 4.2:
 * finding the end of the request head, parsing it, validating it as a
 * WebSocket upgrade, and writing the answers (101 or an HTTP refusal).
 * Pure functions over bytes: no sockets, no server state.
 */
#ifndef IWS_HANDSHAKE_H
#define IWS_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "iocpws.h"

#define IWS__MAX_HEADERS 100
#define IWS__MAX_PROTOCOLS 32
#define IWS__ACCEPT_KEY_SIZE 29 /* 28 base64 characters + NUL */

typedef struct iws__header {
  const char *name;
  const char *value; /* trimmed of surrounding spaces/tabs */
} iws__header;

/* The parsed request; the public iws_request (valid inside on_connect). */
struct iws_request {
  char *storage; /* one allocation holding every string below */
  const char *method;
  const char *target;
  uint32_t version_major, version_minor;
  iws__header headers[IWS__MAX_HEADERS];
  uint32_t header_count;
  const char *protocols[IWS__MAX_PROTOCOLS];
  uint32_t protocol_count;
  char *protocol_names; /* one allocation: the names protocols[] point at */
  const char *key;      /* Sec-WebSocket-Key, after validation */
  const char *selected; /* subprotocol chosen (one of protocols) or NULL */
  /* Since 0.5 (plain HTTP; see http_parse.h iws__http_decode): */
  char *extra;          /* one allocation: document, query, parameters */
  const char *document; /* decoded path, NULL until decoded */
  const char *query;    /* after '?', not decoded */
  iws__header *params;  /* decoded name/value pairs, in extra */
  uint32_t param_count;
  const uint8_t *body;  /* NUL-terminated, not owned */
  uint64_t body_len;
  /* Since 0.6: header lines on_connect added to its answer (101 or
   * refusal) with iws_request_add_response_header, "Name: value\r\n"... */
  char *answer;
  size_t answer_len;
  uint32_t answering; /* non-zero while on_connect runs */
  /* Since 0.6 (plain HTTP, http.c): while on_http_head runs, its
   * connection (else NULL), and the answer iws_http_head_refuse made
   * (owned and sent by the request cycle as on_http_head returns). */
  struct iws__conn *heading;
  iws_http_response *refusal;
};

/* The most header bytes on_connect may add to its answer. */
#define IWS__ANSWER_HEADERS_MAX 8192

/* Searches buf[0..len) for the CRLFCRLF that ends a request head, starting
 * at `from` (bytes before it were searched already). Returns the head length
 * including the CRLFCRLF, or 0 if it is not there yet. */
size_t iws__http_head_end(const uint8_t *buf, size_t len, size_t from);

/* Parses a complete head (as delimited by iws__http_head_end) into *req.
 * Returns 0, or the HTTP status to refuse with (400 malformed, 431 too many
 * headers, 500 out of memory). On failure *req needs no cleanup. An
 * absolute-form target ("http://host/path?q", http or https, RFC 9112
 * 3.2.2) is accepted: req->target becomes "/path?q" and a sole Host
 * header's value becomes "host" (the target's authority). */
int iws__http_parse(const char *head, size_t len, iws_request *req);

/* Frees what iws__http_parse allocated. */
void iws__http_request_free(iws_request *req);

/* RFC 9112 3.2: 400 if the request has several Host header lines, none
 * (HTTP/1.1 and later; HTTP/1.0 may omit it), or a value that is not
 * host[:port]; else 0. */
int iws__http_host_status(const iws_request *req);

/* First value of a header (case-insensitive name), or NULL. */
const char *iws__http_header(const iws_request *req, const char *name);

/* Non-zero if the header's name is `name` (case-insensitive). */
int iws__http_header_is(const iws__header *h, const char *name);

/* Non-zero if the comma-separated header value contains `token`
 * (case-insensitive). */
int iws__http_has_token(const char *value, const char *token);

/* Checks the parsed request against RFC 6455 4.2.1 and fills req->key and
 * req->protocols. Returns 0, or the HTTP status to refuse with:
 * 405 (not GET), 505 (HTTP before 1.1), 400 (a missing, repeated or invalid
 * Host, no Connection: upgrade, bad key, bad target, missing version, a
 * repeated key or version), 426 (no Upgrade: websocket, or a
 * version other than 13). *why receives a static English explanation. */
int iws__ws_validate(iws_request *req, const char **why);

/* Sec-WebSocket-Accept for a client key: base64(SHA-1(key + GUID)). */
void iws__ws_accept_key(const char *key, char out[IWS__ACCEPT_KEY_SIZE]);

/* Picks the subprotocol: the first entry of the server's comma-separated
 * preference list that the client offered, or NULL. */
const char *iws__ws_pick_protocol(const iws_request *req,
                                  const char *server_list);

/* Writes the 101 answer into out[size]; returns its length, or 0 if it does
 * not fit. protocol and extensions (the Sec-WebSocket-Extensions value) may
 * be NULL. */
size_t iws__ws_response_101(const char *key, const char *protocol,
                            const char *extensions, char *out, size_t size);

/* The header lines ("Name: value\r\n") a refused handshake's answer
 * carries for its status besides what the HTTP response writer puts in
 * every answer: 426 says which version and protocol (RFC 6455 4.2.2),
 * 405 which method. "" for any other status. */
const char *iws__ws_refusal_headers(int status);

/* The reason phrase of an HTTP status ("Bad Request"). */
const char *iws__http_reason(int status);

#endif /* IWS_HANDSHAKE_H */
