/*
 * request.c - iws_request's accessors: the request-target, headers and
 * subprotocols every request has (the handshake's and plain HTTP's), and
 * plain HTTP's method, document, query, parameters and body.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/ascii.h"
#include "../core/core.h"
#include "http_parse.h"

/* ------------------------------------------------------------------------ */
/* the handshake request                                                     */
/* ------------------------------------------------------------------------ */

IWS_API const char *IWS_CALL iws_request_path(const iws_request *r) {
  return r ? r->target : NULL;
}

IWS_API const char *IWS_CALL iws_request_header(const iws_request *r,
                                                const char *name) {
  return (r && name) ? iws__http_header(r, name) : NULL;
}

IWS_API uint32_t IWS_CALL iws_request_header_count(const iws_request *r) {
  return r ? r->header_count : 0;
}

IWS_API int32_t IWS_CALL iws_request_header_at(const iws_request *r,
                                               uint32_t index,
                                               const char **name,
                                               const char **value) {
  if (!r || index >= r->header_count) return IWS_E_INVALID_ARG;
  if (name) *name = r->headers[index].name;
  if (value) *value = r->headers[index].value;
  return IWS_OK;
}

IWS_API uint32_t IWS_CALL iws_request_protocol_count(const iws_request *r) {
  return r ? r->protocol_count : 0;
}

IWS_API const char *IWS_CALL iws_request_protocol_at(const iws_request *r,
                                                     uint32_t index) {
  return (r && index < r->protocol_count) ? r->protocols[index] : NULL;
}

IWS_API int32_t IWS_CALL iws_request_select_protocol(iws_request *r,
                                                     const char *protocol) {
  uint32_t i;
  if (!r) return IWS_E_INVALID_ARG;
  if (!protocol) {
    r->selected = NULL;
    return IWS_OK;
  }
  for (i = 0; i < r->protocol_count; i++) {
    if (strcmp(r->protocols[i], protocol) == 0) {
      r->selected = r->protocols[i];
      return IWS_OK;
    }
  }
  return IWS_E_INVALID_ARG;
}

/* The names the library writes in a 101 or a refusal itself. */
static int answer_name_reserved(const char *name) {
  static const char *const reserved[] = {
      "Upgrade",           "Connection",
      "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol",
      "Sec-WebSocket-Extensions", "Content-Length",
      "Transfer-Encoding"};
  size_t i;
  for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
    if (iws__ieq(name, reserved[i])) return 1;
  return 0;
}

IWS_API int32_t IWS_CALL iws_request_add_response_header(iws_request *r,
                                                         const char *name,
                                                         const char *value) {
  size_t nl, vl, need;
  char *grown;
  if (!r || !name || !value) return IWS_E_INVALID_ARG;
  if (!r->answering) return IWS_E_BAD_STATE;
  if (!iws__http_valid_name(name) || !iws__http_valid_value(value) ||
      answer_name_reserved(name))
    return IWS_E_INVALID_ARG;
  nl = strlen(name);
  vl = strlen(value);
  if (nl > IWS__ANSWER_HEADERS_MAX || vl > IWS__ANSWER_HEADERS_MAX)
    return IWS_E_INVALID_ARG;
  need = r->answer_len + nl + vl + 4;
  if (need > IWS__ANSWER_HEADERS_MAX) return IWS_E_INVALID_ARG;
  grown = realloc(r->answer, need);
  if (!grown) return IWS_E_NOMEM;
  r->answer = grown;
  memcpy(grown + r->answer_len, name, nl);
  memcpy(grown + r->answer_len + nl, ": ", 2);
  memcpy(grown + r->answer_len + nl + 2, value, vl);
  memcpy(grown + r->answer_len + nl + 2 + vl, "\r\n", 2);
  r->answer_len = need;
  return IWS_OK;
}

/* ------------------------------------------------------------------------ */
/* the request's HTTP accessors                                              */
/* ------------------------------------------------------------------------ */

IWS_API const char *IWS_CALL iws_request_method(const iws_request *r) {
  return r ? r->method : NULL;
}

/* "HTTP/M.m" for every version the request line may carry (one digit
 * each: iws__http_parse accepts no other), so the string is static. */
#define IWS__V(M)                                                         \
  { "HTTP/" #M ".0", "HTTP/" #M ".1", "HTTP/" #M ".2", "HTTP/" #M ".3",   \
    "HTTP/" #M ".4", "HTTP/" #M ".5", "HTTP/" #M ".6", "HTTP/" #M ".7",   \
    "HTTP/" #M ".8", "HTTP/" #M ".9" }
static const char *const versions[10][10] = {
    IWS__V(0), IWS__V(1), IWS__V(2), IWS__V(3), IWS__V(4),
    IWS__V(5), IWS__V(6), IWS__V(7), IWS__V(8), IWS__V(9)};
#undef IWS__V

IWS_API const char *IWS_CALL iws_request_version(const iws_request *r) {
  if (!r || r->version_major > 9 || r->version_minor > 9) return NULL;
  return versions[r->version_major][r->version_minor];
}

IWS_API const char *IWS_CALL iws_request_document(const iws_request *r) {
  return r ? r->document : NULL;
}

IWS_API const char *IWS_CALL iws_request_query(const iws_request *r) {
  if (!r) return NULL;
  return r->query ? r->query : "";
}

IWS_API uint32_t IWS_CALL iws_request_param_count(const iws_request *r) {
  return r ? r->param_count : 0;
}

IWS_API int32_t IWS_CALL iws_request_param_at(const iws_request *r,
                                              uint32_t index,
                                              const char **name,
                                              const char **value) {
  if (!r || index >= r->param_count) return IWS_E_INVALID_ARG;
  if (name) *name = r->params[index].name;
  if (value) *value = r->params[index].value;
  return IWS_OK;
}

IWS_API const char *IWS_CALL iws_request_param(const iws_request *r,
                                               const char *name) {
  uint32_t i;
  if (!r || !name) return NULL;
  for (i = 0; i < r->param_count; i++)
    if (strcmp(r->params[i].name, name) == 0) return r->params[i].value;
  return NULL;
}

IWS_API int32_t IWS_CALL iws_request_body(const iws_request *r,
                                          const uint8_t **data,
                                          uint64_t *length) {
  if (!r || !data || !length) return IWS_E_INVALID_ARG;
  *data = r->body_len ? r->body : NULL;
  *length = r->body_len;
  return IWS_OK;
}
