/*
 * response.c - the response object of plain HTTP (Since 0.5): what the
 * application sets on it (iws_http_set_status, _add_header, _set_body,
 * _defer), what static files set (a file body), and the one writer that
 * turns any response - the application's, a static file's, the library's
 * refusals and timeouts, the WebSocket handshake's refusals - into bytes.
 * When and where a response is sent is the request cycle's (http.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "http_parse.h"
#include "response.h"
#include "../core/ascii.h"

#define RESP_MAGIC 0x69776872u /* "iwhr" */
#define REASON_MAX 256
#define HEADERS_MAX (64 * 1024) /* response header bytes set by the caller */

/* ------------------------------------------------------------------------ */
/* responses                                                                 */
/* ------------------------------------------------------------------------ */

iws_http_response *iws__resp_new(iws__conn *c) {
  iws_http_response *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->magic = RESP_MAGIC;
  r->conn = c;
  iws__conn_ref(c);
  return r;
}

static void resp_clear_body(iws_http_response *r) {
  iws__bytes_free(&r->body);
  r->has_body = 0;
  if (r->file) iws__file_close(r->file);
  r->file = NULL;
  r->file_off = r->file_len = 0;
}

void iws__resp_free(iws_http_response *r) {
  iws__conn *c = r->conn;
  resp_clear_body(r);
  iws__bytes_free(&r->headers);
  free(r->reason);
  r->magic = 0;
  free(r);
  iws__conn_unref(c);
}

int iws__resp_valid(const iws_http_response *r) {
  return r && r->magic == RESP_MAGIC;
}

/* Not yet handed to the library for sending. */
static int32_t check_open(iws_http_response *r) {
  uint32_t ready;
  if (!iws__resp_valid(r)) return IWS_E_INVALID_ARG;
  iws__conn_lock(r->conn);
  ready = r->ready || r->timed_out || r->stream;
  iws__conn_unlock(r->conn);
  return ready ? IWS_E_BAD_STATE : IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_set_status(iws_http_response *r,
                                             int32_t status,
                                             const char *reason) {
  int32_t rc = check_open(r);
  char *copy = NULL;
  if (rc != IWS_OK) return rc;
  if (status < 100 || status > 599 || status == 101) return IWS_E_INVALID_ARG;
  if (reason) {
    size_t n = strlen(reason);
    if (n > REASON_MAX || !iws__http_valid_value(reason))
      return IWS_E_INVALID_ARG;
    copy = malloc(n + 1);
    if (!copy) return IWS_E_NOMEM;
    memcpy(copy, reason, n + 1);
  }
  free(r->reason);
  r->reason = copy;
  r->status = status;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_add_header(iws_http_response *r,
                                             const char *name,
                                             const char *value) {
  int32_t rc = check_open(r);
  size_t nl, vl;
  if (rc != IWS_OK) return rc;
  if (!iws__http_valid_name(name) || !iws__http_valid_value(value))
    return IWS_E_INVALID_ARG;
  if (iws__ieq(name, "Content-Length") || iws__ieq(name, "Transfer-Encoding"))
    return IWS_E_INVALID_ARG;
  if (iws__ieq(name, "Connection")) {
    /* The library writes Connection itself; "close" is remembered. */
    if (iws__http_has_token(value, "close")) r->user_close = 1;
    return IWS_OK;
  }
  nl = strlen(name);
  vl = strlen(value);
  if (r->headers.len + nl + vl + 4 > HEADERS_MAX) return IWS_E_INVALID_ARG;
  if (iws__bytes_append(&r->headers, name, nl) != 0 ||
      iws__bytes_append(&r->headers, ": ", 2) != 0 ||
      iws__bytes_append(&r->headers, value, vl) != 0 ||
      iws__bytes_append(&r->headers, "\r\n", 2) != 0)
    return IWS_E_NOMEM;
  if (iws__ieq(name, "Content-Type")) r->has_ctype = 1;
  if (iws__ieq(name, "Date")) r->has_date = 1;
  if (iws__ieq(name, "Server")) r->has_server = 1;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_set_body(iws_http_response *r,
                                           const void *data,
                                           uint64_t length) {
  int32_t rc = check_open(r);
  if (rc != IWS_OK) return rc;
  if (!data && length) return IWS_E_INVALID_ARG;
  if (length > (uint64_t)SIZE_MAX / 2) return IWS_E_NOMEM;
  resp_clear_body(r);
  if (length && iws__bytes_append(&r->body, data, (size_t)length) != 0)
    return IWS_E_NOMEM;
  r->has_body = 1;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_http_defer(iws_http_response *r) {
  int32_t rc = IWS_OK;
  if (!iws__resp_valid(r)) return IWS_E_INVALID_ARG;
  iws__conn_lock(r->conn);
  if (!r->in_callback || r->deferred)
    rc = IWS_E_BAD_STATE;
  else
    r->deferred = 1;
  iws__conn_unlock(r->conn);
  return rc;
}

iws_request *iws__http_response_request(iws_http_response *r) {
  return iws__resp_valid(r) ? r->req : NULL;
}

int iws__http_response_has_header(iws_http_response *r, const char *name) {
  size_t i = 0, n;
  if (!iws__resp_valid(r) || !name) return 0;
  n = strlen(name);
  /* r->headers holds "Name: value\r\n" lines */
  while (i < r->headers.len) {
    const uint8_t *line = r->headers.data + i;
    size_t k;
    for (k = 0; k < n && i + k < r->headers.len; k++)
      if (iws__lower(line[k]) != iws__lower((unsigned char)name[k])) break;
    if (k == n && i + n < r->headers.len && line[n] == ':') return 1;
    while (i < r->headers.len && r->headers.data[i] != '\n') i++;
    i++;
  }
  return 0;
}

int32_t iws__http_response_set_file(iws_http_response *r, iws__file *file,
                                    uint64_t offset, uint64_t length,
                                    int32_t status) {
  if (!iws__resp_valid(r) || !file) {
    if (file) iws__file_close(file);
    return IWS_E_INVALID_ARG;
  }
  resp_clear_body(r);
  r->file = file;
  r->file_off = offset;
  r->file_len = length;
  r->status = status;
  return IWS_OK;
}

/* ------------------------------------------------------------------------ */
/* the wire                                                                  */
/* ------------------------------------------------------------------------ */

int iws__http_no_body_status(int status) {
  return status < 200 || status == 204 || status == 304;
}

int iws__resp_status(const iws_http_response *r) {
  if (r->status) return r->status;
  return (r->has_body || r->file) ? 200 : 404;
}

int iws__resp_stream_framing(const iws_http_response *r) {
  if (r->head_only || iws__http_no_body_status(iws__resp_status(r)))
    return IWS__STREAM_NONE;
  return r->http10 ? IWS__STREAM_RAW : IWS__STREAM_CHUNKED;
}

/* The head (and body, unless it is a file or must not be sent). */
iws__chunk *iws__resp_write(iws_http_response *r, int close) {
  int status = iws__resp_status(r);
  const char *reason = r->reason ? r->reason : iws__http_reason(status);
  int no_body = iws__http_no_body_status(status);
  uint64_t blen = r->file ? r->file_len : r->body.len;
  int send_body =
      !no_body && !r->head_only && !r->file && r->body.len && !r->stream;
  char line[REASON_MAX + 64]; /* the status line fits whole */
  char date[32];
  iws__bytes out;
  iws__chunk *chunk;
  int n;
  memset(&out, 0, sizeof(out));
  if (!r->has_body && !r->file && !r->status && !r->stream) {
    /* Untouched: 404 with a short text. */
    static const char text[] = "Not Found\n";
    r->status = 404;
    r->has_body = 1;
    iws__bytes_append(&r->body, text, sizeof(text) - 1);
    blen = r->body.len;
    send_body = !r->head_only;
    if (!r->has_ctype) {
      static const char ct[] = "Content-Type: text/plain; charset=utf-8\r\n";
      iws__bytes_append(&r->headers, ct, sizeof(ct) - 1);
      r->has_ctype = 1;
    }
  }
  n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
               reason && *reason ? reason : "Unknown");
  if (n > 0 && (size_t)n >= sizeof(line)) n = (int)sizeof(line) - 1;
  if (iws__bytes_append(&out, line, (size_t)n) != 0) goto oom;
  if (!r->has_date) {
    iws__http_date((int64_t)time(NULL), date);
    n = snprintf(line, sizeof(line), "Date: %s\r\n", date);
    if (iws__bytes_append(&out, line, (size_t)n) != 0) goto oom;
  }
  if (!r->has_server &&
      iws__bytes_append(&out, "Server: iocpws\r\n", 16) != 0)
    goto oom;
  if (r->headers.len &&
      iws__bytes_append(&out, r->headers.data, r->headers.len) != 0)
    goto oom;
  if (!no_body && r->stream) {
    if (!r->has_ctype &&
        iws__bytes_append(&out,
                          "Content-Type: text/html; charset=utf-8\r\n",
                          40) != 0)
      goto oom;
    if (iws__resp_stream_framing(r) == IWS__STREAM_CHUNKED &&
        iws__bytes_append(&out, "Transfer-Encoding: chunked\r\n", 28) != 0)
      goto oom;
  } else if (!no_body) {
    if (!r->has_ctype && (r->has_body || r->file) && blen &&
        iws__bytes_append(&out,
                          "Content-Type: text/html; charset=utf-8\r\n",
                          40) != 0)
      goto oom;
    n = snprintf(line, sizeof(line), "Content-Length: %llu\r\n",
                 (unsigned long long)blen);
    if (iws__bytes_append(&out, line, (size_t)n) != 0) goto oom;
  }
  if (close) {
    if (iws__bytes_append(&out, "Connection: close\r\n", 19) != 0) goto oom;
  } else if (r->http10) {
    if (iws__bytes_append(&out, "Connection: keep-alive\r\n", 24) != 0)
      goto oom;
  }
  if (iws__bytes_append(&out, "\r\n", 2) != 0) goto oom;
  if (send_body && iws__bytes_append(&out, r->body.data, r->body.len) != 0)
    goto oom;
  chunk = iws__chunk_new(out.len);
  if (chunk) memcpy(chunk->data, out.data, out.len);
  iws__bytes_free(&out);
  return chunk;
oom:
  iws__bytes_free(&out);
  return NULL;
}

/* A response made by the library (refusals, 408, 503 after the response
 * timeout). NULL: out of memory. */
iws_http_response *iws__resp_library(iws__conn *c, int status,
                                     const char *why, int keep_alive) {
  iws_http_response *r = iws__resp_new(c);
  char text[300];
  int n;
  if (!r) return NULL;
  r->status = status;
  r->keep_alive = (uint32_t)keep_alive;
  r->refused = status >= 400 && status != 503;
  n = snprintf(text, sizeof(text), "%d %s%s%s\n", status,
               iws__http_reason(status), why ? ": " : "", why ? why : "");
  if (n > 0) {
    if ((size_t)n >= sizeof(text)) n = (int)sizeof(text) - 1;
    iws__bytes_append(&r->body, text, (size_t)n);
  }
  r->has_body = 1;
  iws_http_add_header(r, "Content-Type", "text/plain; charset=utf-8");
  return r;
}

/* Since 0.6: on_http_head's own refusal (status, reason, type, body),
 * made while it runs and sent by head() as it returns. */
IWS_API int32_t IWS_CALL iws_http_head_refuse(iws_request *request,
                                              int32_t status,
                                              const char *reason,
                                              const char *content_type,
                                              const void *body,
                                              uint64_t length) {
  iws_http_response *r;
  int32_t rc;
  if (!request || status < 400 || status > 599 || (!body && length))
    return IWS_E_INVALID_ARG;
  if (!request->heading) return IWS_E_BAD_STATE;
  r = iws__resp_new(request->heading);
  if (!r) return IWS_E_NOMEM;
  rc = iws_http_set_status(r, status, reason);
  if (rc == IWS_OK && content_type)
    rc = iws_http_add_header(r, "Content-Type", content_type);
  if (rc == IWS_OK) rc = iws_http_set_body(r, body, length);
  if (rc != IWS_OK) {
    iws__resp_free(r);
    return rc;
  }
  if (request->refusal) iws__resp_free(request->refusal);
  request->refusal = r;
  return IWS_OK;
}
