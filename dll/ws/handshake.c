/* handshake.c - see handshake.h. SHA-1 and base64 come from OpenSSL. */
#include "handshake.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ascii.h"

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* RFC 7230 tchar. */
static int is_tchar(int c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ows(int c) { return c == ' ' || c == '\t'; }

size_t iws__http_head_end(const uint8_t *buf, size_t len, size_t from) {
  size_t i = from >= 3 ? from - 3 : 0;
  for (; i + 3 < len; i++) {
    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
        buf[i + 3] == '\n')
      return i + 4;
  }
  return 0;
}

void iws__http_request_free(iws_request *req) {
  free(req->storage);
  free(req->extra);
  free(req->answer);
  free(req->protocol_names);
  memset(req, 0, sizeof(*req));
}

/* Splits the next CRLF-terminated line off *cursor, NUL-terminating it. */
static char *next_line(char **cursor, char *end) {
  char *line = *cursor, *p;
  for (p = line; p + 1 < end; p++) {
    if (p[0] == '\r' && p[1] == '\n') {
      *p = '\0';
      *cursor = p + 2;
      return line;
    }
  }
  return NULL;
}

static int parse_request_line(char *line, iws_request *req) {
  char *sp1 = strchr(line, ' '), *sp2, *v;
  char *p;
  if (!sp1 || sp1 == line) return 400;
  *sp1 = '\0';
  for (p = line; *p; p++)
    if (!is_tchar((unsigned char)*p)) return 400;
  req->method = line;
  req->target = sp1 + 1;
  sp2 = strchr(sp1 + 1, ' ');
  if (!sp2 || sp2 == sp1 + 1) return 400;
  *sp2 = '\0';
  for (p = sp1 + 1; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f) return 400;
  v = sp2 + 1;
  if (strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
      v[6] != '.' || v[7] < '0' || v[7] > '9' || v[8] != '\0')
    return 400;
  req->version_major = (uint32_t)(v[5] - '0');
  req->version_minor = (uint32_t)(v[7] - '0');
  return 0;
}

static int parse_header_line(char *line, iws_request *req) {
  char *colon = strchr(line, ':'), *p, *value, *vend;
  if (!colon || colon == line) return 400;
  for (p = line; p < colon; p++)
    if (!is_tchar((unsigned char)*p)) return 400; /* also "Name :" */
  *colon = '\0';
  value = colon + 1;
  while (is_ows((unsigned char)*value)) value++;
  vend = value + strlen(value);
  while (vend > value && is_ows((unsigned char)vend[-1])) vend--;
  *vend = '\0';
  for (p = value; *p; p++)
    if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) return 400;
  if (req->header_count >= IWS__MAX_HEADERS) return 431;
  req->headers[req->header_count].name = line;
  req->headers[req->header_count].value = value;
  req->header_count++;
  return 0;
}

/* RFC 9112 3.2.2: a server accepts the absolute-form. An http or https
 * target becomes origin-form (its path, "/" when it has none) and its
 * authority replaces the Host header's value (a sole Host header; with
 * none or several, iws__http_host_status refuses). The authority moves
 * two bytes left, into the scheme, to make room for its NUL and a '/'.
 * Other targets are left for the callers to judge. Returns 0 or 400. */
static int absolute_form(iws_request *req) {
  char *t = (char *)req->target, *a, *e, *authority;
  uint32_t i, hosts = 0, host = 0;
  if (iws__ieqn(t, "http://", 7))
    a = t + 7;
  else if (iws__ieqn(t, "https://", 8))
    a = t + 8;
  else
    return 0;
  e = a + strcspn(a, "/?#");
  if (e == a || *e == '#') return 400; /* empty host, a fragment */
  memmove(a - 2, a, (size_t)(e - a));
  authority = a - 2;
  e[-2] = '\0';
  if (*e == '/') {
    req->target = e;
  } else {
    e[-1] = '/'; /* "http://h" is "/", "http://h?q" is "/?q" */
    req->target = e - 1;
  }
  for (i = 0; i < req->header_count; i++)
    if (iws__ieq(req->headers[i].name, "Host")) {
      hosts++;
      host = i;
    }
  if (hosts == 1) req->headers[host].value = authority;
  return 0;
}

int iws__http_parse(const char *head, size_t len, iws_request *req) {
  char *cursor, *end, *line;
  int rc;
  memset(req, 0, sizeof(*req));
  if (len < 4 || memchr(head, '\0', len)) return 400;
  req->storage = malloc(len + 1);
  if (!req->storage) return 500;
  memcpy(req->storage, head, len);
  req->storage[len] = '\0';
  cursor = req->storage;
  end = req->storage + len;
  line = next_line(&cursor, end);
  if (!line || (rc = parse_request_line(line, req)) != 0) {
    iws__http_request_free(req);
    return line ? rc : 400;
  }
  for (;;) {
    line = next_line(&cursor, end);
    if (!line) {
      iws__http_request_free(req);
      return 400;
    }
    if (line[0] == '\0') break; /* the empty line ending the head */
    if (is_ows((unsigned char)line[0])) {
      /* obsolete line folding: refused (RFC 7230 3.2.4) */
      iws__http_request_free(req);
      return 400;
    }
    if ((rc = parse_header_line(line, req)) != 0) {
      iws__http_request_free(req);
      return rc;
    }
  }
  if ((rc = absolute_form(req)) != 0) {
    iws__http_request_free(req);
    return rc;
  }
  return 0;
}

/* RFC 3986 host [":" port]: an IP literal in brackets or a reg-name
 * (unreserved, sub-delims, percent escapes); the port is digits. */
static int valid_host(const char *v) {
  static const char extra[] = "-._~!$&'()*+,;=";
  const char *p = v;
  int bracket = *p == '[';
  if (bracket) p++;
  for (; *p && *p != (bracket ? ']' : ':'); p++) {
    int c = (unsigned char)*p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || strchr(extra, c) != NULL ||
        (bracket && c == ':'))
      continue;
    if (c == '%' && isxdigit((unsigned char)p[1]) &&
        isxdigit((unsigned char)p[2])) {
      p += 2;
      continue;
    }
    return 0;
  }
  if (bracket) {
    if (*p != ']' || p == v + 1) return 0;
    p++;
  }
  if (*p == ':')
    for (p++; *p >= '0' && *p <= '9'; p++) {
    }
  return *p == '\0';
}

int iws__http_host_status(const iws_request *req) {
  uint32_t i, n = 0;
  const char *v = NULL;
  for (i = 0; i < req->header_count; i++)
    if (iws__ieq(req->headers[i].name, "Host")) {
      n++;
      v = req->headers[i].value;
    }
  if (n > 1) return 400;
  if (n == 0)
    return req->version_major == 1 && req->version_minor == 0 ? 0 : 400;
  return valid_host(v) ? 0 : 400;
}

/* How many header lines carry `name`. */
static uint32_t header_count(const iws_request *req, const char *name) {
  uint32_t i, n = 0;
  for (i = 0; i < req->header_count; i++)
    if (iws__ieq(req->headers[i].name, name)) n++;
  return n;
}

int iws__http_header_is(const iws__header *h, const char *name) {
  return iws__ieq(h->name, name);
}

const char *iws__http_header(const iws_request *req, const char *name) {
  uint32_t i;
  for (i = 0; i < req->header_count; i++)
    if (iws__ieq(req->headers[i].name, name)) return req->headers[i].value;
  return NULL;
}

int iws__http_has_token(const char *value, const char *token) {
  size_t tlen = strlen(token);
  const char *p = value;
  if (!value) return 0;
  while (*p) {
    const char *start, *stop;
    while (*p == ',' || is_ows((unsigned char)*p)) p++;
    start = p;
    while (*p && *p != ',') p++;
    stop = p;
    while (stop > start && is_ows((unsigned char)stop[-1])) stop--;
    if ((size_t)(stop - start) == tlen && iws__ieqn(start, token, tlen)) return 1;
  }
  return 0;
}

/* The key must be base64 of exactly 16 bytes: 22 characters and "==". */
static int valid_key(const char *key) {
  unsigned char decoded[24];
  size_t i;
  if (strlen(key) != 24 || key[22] != '=' || key[23] != '=') return 0;
  for (i = 0; i < 22; i++) {
    char c = key[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '+' || c == '/'))
      return 0;
  }
  /* EVP_DecodeBlock counts the padding as zero bytes: 18 = 16 + 2. */
  return EVP_DecodeBlock(decoded, (const unsigned char *)key, 24) == 18;
}

/* Collects the offered subprotocols from every Sec-WebSocket-Protocol
 * header. The comma lists are split in a copy (protocol_names): the header
 * values themselves stay whole for iws_request_header. 0, 400 (malformed,
 * too many) or 500 (out of memory). */
static int collect_protocols(iws_request *req) {
  uint32_t i;
  size_t total = 0;
  char *p;
  for (i = 0; i < req->header_count; i++)
    if (iws__ieq(req->headers[i].name, "Sec-WebSocket-Protocol"))
      total += strlen(req->headers[i].value) + 1;
  if (total == 0) return 0;
  free(req->protocol_names);
  req->protocol_names = p = malloc(total);
  if (!p) return 500;
  for (i = 0; i < req->header_count; i++) {
    size_t n;
    if (!iws__ieq(req->headers[i].name, "Sec-WebSocket-Protocol")) continue;
    n = strlen(req->headers[i].value) + 1;
    memcpy(p, req->headers[i].value, n);
    while (*p) {
      char *start, *stop, *q;
      while (*p == ',' || is_ows((unsigned char)*p)) p++;
      if (!*p) break;
      start = p;
      while (*p && *p != ',') p++;
      stop = p;
      while (stop > start && is_ows((unsigned char)stop[-1])) stop--;
      for (q = start; q < stop; q++)
        if (!is_tchar((unsigned char)*q)) return 400;
      if (req->protocol_count >= IWS__MAX_PROTOCOLS) return 400;
      if (*p) p++; /* step over the comma before cutting the string */
      *stop = '\0';
      req->protocols[req->protocol_count++] = start;
    }
    p++; /* past this value's NUL: the next value's room */
  }
  return 0;
}

int iws__ws_validate(iws_request *req, const char **why) {
  const char *v;
  int status;
  if (strcmp(req->method, "GET") != 0) {
    *why = "the opening handshake must use GET";
    return 405;
  }
  if (req->version_major < 1 ||
      (req->version_major == 1 && req->version_minor < 1)) {
    *why = "the opening handshake needs HTTP/1.1 or later";
    return 505;
  }
  if (req->target[0] != '/') {
    *why = "the request-target must be an absolute path";
    return 400;
  }
  if (iws__http_host_status(req) != 0) {
    *why = "the Host header is missing, repeated or invalid";
    return 400;
  }
  if (!iws__http_has_token(iws__http_header(req, "Upgrade"), "websocket")) {
    *why = "this server speaks WebSocket only (Upgrade: websocket missing)";
    return 426;
  }
  if (!iws__http_has_token(iws__http_header(req, "Connection"), "upgrade")) {
    *why = "the Connection header does not contain 'upgrade'";
    return 400;
  }
  if (header_count(req, "Sec-WebSocket-Version") > 1 ||
      header_count(req, "Sec-WebSocket-Key") > 1) {
    *why = "Sec-WebSocket-Key or Sec-WebSocket-Version is repeated";
    return 400;
  }
  v = iws__http_header(req, "Sec-WebSocket-Version");
  if (!v) {
    *why = "the Sec-WebSocket-Version header is missing";
    return 400;
  }
  if (strcmp(v, "13") != 0) {
    *why = "unsupported WebSocket version (13 is supported)";
    return 426;
  }
  v = iws__http_header(req, "Sec-WebSocket-Key");
  if (!v || !valid_key(v)) {
    *why = "Sec-WebSocket-Key is missing or not 16 bytes in base64";
    return 400;
  }
  req->key = v;
  status = collect_protocols(req);
  if (status != 0) {
    *why = status == 500 ? "out of memory" : "Sec-WebSocket-Protocol is malformed";
    return status;
  }
  *why = NULL;
  return 0;
}

void iws__ws_accept_key(const char *key, char out[IWS__ACCEPT_KEY_SIZE]) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  char joined[64 + sizeof(WS_GUID)];
  size_t klen = strlen(key);
  if (klen > 64) klen = 64; /* validated keys are 24 characters */
  memcpy(joined, key, klen);
  memcpy(joined + klen, WS_GUID, sizeof(WS_GUID) - 1);
  SHA1((const unsigned char *)joined, klen + sizeof(WS_GUID) - 1, digest);
  EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH);
}

const char *iws__ws_pick_protocol(const iws_request *req,
                                  const char *server_list) {
  const char *p = server_list;
  if (!p) return NULL;
  while (*p) {
    const char *start, *stop;
    uint32_t i;
    while (*p == ',' || is_ows((unsigned char)*p)) p++;
    start = p;
    while (*p && *p != ',') p++;
    stop = p;
    while (stop > start && is_ows((unsigned char)stop[-1])) stop--;
    if (stop == start) continue;
    for (i = 0; i < req->protocol_count; i++) {
      size_t n = strlen(req->protocols[i]);
      /* Subprotocol names are case-sensitive (RFC 6455 11.3.4). */
      if (n == (size_t)(stop - start) &&
          memcmp(req->protocols[i], start, n) == 0)
        return req->protocols[i];
    }
  }
  return NULL;
}

size_t iws__ws_response_101(const char *key, const char *protocol,
                            const char *extensions, char *out, size_t size) {
  char accept[IWS__ACCEPT_KEY_SIZE];
  int n;
  iws__ws_accept_key(key, accept);
  n = snprintf(out, size,
               "HTTP/1.1 101 Switching Protocols\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n"
               "%s%s%s"
               "%s%s%s"
               "\r\n",
               accept, protocol ? "Sec-WebSocket-Protocol: " : "",
               protocol ? protocol : "", protocol ? "\r\n" : "",
               extensions ? "Sec-WebSocket-Extensions: " : "",
               extensions ? extensions : "", extensions ? "\r\n" : "");
  return (n > 0 && (size_t)n < size) ? (size_t)n : 0;
}

const char *iws__http_reason(int status) {
  switch (status) {
  /* RFC 9110 15 (the plain HTTP responses use the whole table, 0.5) */
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 203: return "Non-Authoritative Information";
  case 204: return "No Content";
  case 205: return "Reset Content";
  case 206: return "Partial Content";
  case 300: return "Multiple Choices";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 402: return "Payment Required";
  case 406: return "Not Acceptable";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 411: return "Length Required";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 416: return "Range Not Satisfiable";
  case 417: return "Expectation Failed";
  case 422: return "Unprocessable Content";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 504: return "Gateway Timeout";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 426: return "Upgrade Required";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  case 505: return "HTTP Version Not Supported";
  default:
    return status >= 500   ? "Server Error"
           : status >= 400 ? "Client Error"
           : status >= 300 ? "Redirection"
           : status >= 200 ? "Success"
                           : "Informational";
  }
}

const char *iws__ws_refusal_headers(int status) {
  if (status == 426) return "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
  if (status == 405) return "Allow: GET\r\n";
  return "";
}
