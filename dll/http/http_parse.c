/* http_parse.c - see http_parse.h. */
#include "http_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ascii.h"

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = iws__lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static int is_tchar(int c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* ------------------------------------------------------------------------ */
/* chunked                                                                   */
/* ------------------------------------------------------------------------ */

enum {
  CH_SIZE,      /* hex digits */
  CH_SIZE_WS,   /* spaces after the digits (before ';' or CR) */
  CH_EXT,       /* ";ext..." up to CR */
  CH_SIZE_LF,   /* the LF of the size line */
  CH_DATA,      /* chunk bytes */
  CH_DATA_CR,   /* the CRLF after a chunk's data */
  CH_DATA_LF,
  CH_TRAILER,   /* start of a trailer line (or the final CRLF) */
  CH_TLINE,     /* inside a trailer field line */
  CH_TLINE_LF,
  CH_END_LF,    /* the LF of the final empty line */
  CH_DONE
};

int iws__chunked_feed(iws__chunked *st, const uint8_t *in, size_t len,
                      size_t *used, iws__bytes *out, uint64_t limit) {
  size_t i = 0;
  *used = 0;
  while (i < len) {
    int c = in[i];
    switch (st->state) {
    case CH_SIZE: {
      int h = hexval(c);
      if (h >= 0) {
        if (st->digits >= 15) return IWS__CHUNKED_BAD; /* > 2^60 */
        st->size = st->size * 16 + (uint64_t)h;
        st->digits++;
        i++;
        continue;
      }
      if (!st->digits) return IWS__CHUNKED_BAD;
      if (c == ' ' || c == '\t') {
        st->state = CH_SIZE_WS;
      } else if (c == ';') {
        st->state = CH_EXT;
      } else if (c == '\r') {
        st->state = CH_SIZE_LF;
      } else {
        return IWS__CHUNKED_BAD;
      }
      i++;
      continue;
    }
    case CH_SIZE_WS:
      if (c == ';')
        st->state = CH_EXT;
      else if (c == '\r')
        st->state = CH_SIZE_LF;
      else if (c != ' ' && c != '\t')
        return IWS__CHUNKED_BAD;
      i++;
      continue;
    case CH_EXT:
      if (c == '\r') {
        st->state = CH_SIZE_LF;
      } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return IWS__CHUNKED_BAD;
      } else if (++st->meta > IWS__CHUNKED_META_MAX) {
        return IWS__CHUNKED_BAD;
      }
      i++;
      continue;
    case CH_SIZE_LF:
      if (c != '\n') return IWS__CHUNKED_BAD;
      i++;
      st->digits = 0;
      if (st->size == 0) {
        st->state = CH_TRAILER;
      } else {
        if (st->size > limit || st->total > limit - st->size)
          return IWS__CHUNKED_TOO_BIG;
        st->state = CH_DATA;
      }
      continue;
    case CH_DATA: {
      size_t take = len - i;
      if ((uint64_t)take > st->size) take = (size_t)st->size;
      if (iws__bytes_append(out, in + i, take) != 0) return IWS__CHUNKED_BAD;
      st->size -= take;
      st->total += take;
      i += take;
      if (st->size == 0) st->state = CH_DATA_CR;
      continue;
    }
    case CH_DATA_CR:
      if (c != '\r') return IWS__CHUNKED_BAD;
      st->state = CH_DATA_LF;
      i++;
      continue;
    case CH_DATA_LF:
      if (c != '\n') return IWS__CHUNKED_BAD;
      st->state = CH_SIZE;
      st->size = 0;
      i++;
      continue;
    case CH_TRAILER:
      if (c == '\r') {
        st->state = CH_END_LF;
      } else if (c == '\n') {
        return IWS__CHUNKED_BAD;
      } else {
        st->state = CH_TLINE;
        continue; /* the byte belongs to the line */
      }
      i++;
      continue;
    case CH_TLINE:
      if (c == '\r')
        st->state = CH_TLINE_LF;
      else if ((c < 0x20 && c != '\t') || c == 0x7f)
        return IWS__CHUNKED_BAD;
      else if (++st->meta > IWS__CHUNKED_META_MAX)
        return IWS__CHUNKED_BAD;
      i++;
      continue;
    case CH_TLINE_LF:
      if (c != '\n') return IWS__CHUNKED_BAD;
      st->state = CH_TRAILER;
      i++;
      continue;
    case CH_END_LF:
      if (c != '\n') return IWS__CHUNKED_BAD;
      st->state = CH_DONE;
      i++;
      *used = i;
      return IWS__CHUNKED_DONE;
    default:
      *used = i;
      return IWS__CHUNKED_DONE;
    }
  }
  *used = i;
  return st->state == CH_DONE ? IWS__CHUNKED_DONE : IWS__CHUNKED_MORE;
}

/* ------------------------------------------------------------------------ */
/* decoding                                                                  */
/* ------------------------------------------------------------------------ */

long iws__pct_decode(const char *src, size_t n, char *out, int plus,
                     int strict) {
  size_t i, o = 0;
  for (i = 0; i < n; i++) {
    char c = src[i];
    if (c == '%') {
      int h1 = i + 1 < n ? hexval((unsigned char)src[i + 1]) : -1;
      int h2 = i + 2 < n ? hexval((unsigned char)src[i + 2]) : -1;
      if (h1 < 0 || h2 < 0) {
        if (strict) return -1;
        out[o++] = c;
        continue;
      }
      c = (char)(h1 * 16 + h2);
      if (c == '\0') return -1;
      i += 2;
    } else if (c == '+' && plus) {
      c = ' ';
    } else if (c == '\0') {
      return -1;
    }
    out[o++] = c;
  }
  out[o] = '\0';
  return (long)o;
}

static size_t count_pairs(const char *s, size_t n) {
  size_t i, count = n ? 1 : 0;
  for (i = 0; i < n; i++)
    if (s[i] == '&') count++;
  return count;
}

/* Decodes the pairs of s[0..n) into params (names and values written at
 * *cursor). Empty pieces ("a&&b") are skipped. */
static int decode_pairs(const char *s, size_t n, iws__header *params,
                        uint32_t *count, char **cursor) {
  size_t start = 0;
  while (start < n) {
    size_t end = start, eq;
    long k;
    while (end < n && s[end] != '&') end++;
    if (end > start) {
      char *name = *cursor, *value;
      eq = start;
      while (eq < end && s[eq] != '=') eq++;
      k = iws__pct_decode(s + start, eq - start, name, 1, 0);
      if (k < 0) return -1;
      value = name + k + 1;
      if (eq < end)
        k = iws__pct_decode(s + eq + 1, end - eq - 1, value, 1, 0);
      else
        k = (value[0] = '\0', 0);
      if (k < 0) return -1;
      *cursor = value + k + 1;
      params[*count].name = name;
      params[*count].value = value;
      (*count)++;
    }
    start = end + 1;
  }
  return 0;
}

static int is_form(const iws_request *req) {
  const char *ct = iws__http_header(req, "Content-Type");
  static const char form[] = "application/x-www-form-urlencoded";
  size_t i, n = sizeof(form) - 1;
  if (!ct) return 0;
  for (i = 0; i < n; i++)
    if (iws__lower((unsigned char)ct[i]) != form[i]) return 0;
  return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

int iws__http_decode(iws_request *req, const uint8_t *body,
                     size_t body_len) {
  const char *target = req->target, *q;
  size_t path_len, query_len, form_len, pairs, need;
  char *cursor;
  long k;
  if (!target || target[0] != '/') return 400;
  q = strchr(target, '?');
  path_len = q ? (size_t)(q - target) : strlen(target);
  query_len = q ? strlen(q + 1) : 0;
  form_len = (body && is_form(req)) ? body_len : 0;
  if (form_len && memchr(body, '\0', form_len)) form_len = 0;
  pairs = count_pairs(q ? q + 1 : "", query_len) +
          count_pairs((const char *)body, form_len);
  /* document + NUL, query + NUL, each pair's name and value + 2 NULs */
  need = pairs * sizeof(iws__header) + path_len + 1 + query_len + 1 +
         query_len + form_len + 2 * pairs + 1;
  free(req->extra);
  req->extra = malloc(need);
  if (!req->extra) return 500;
  req->params = (iws__header *)(void *)req->extra;
  req->param_count = 0;
  cursor = req->extra + pairs * sizeof(iws__header);
  k = iws__pct_decode(target, path_len, cursor, 0, 1);
  if (k < 0) return 400;
  req->document = cursor;
  cursor += k + 1;
  memcpy(cursor, q ? q + 1 : "", query_len + 1);
  req->query = cursor;
  cursor += query_len + 1;
  if (decode_pairs(req->query, query_len, req->params, &req->param_count,
                   &cursor) != 0 ||
      decode_pairs((const char *)body, form_len, req->params,
                   &req->param_count, &cursor) != 0)
    return 400;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* framing                                                                   */
/* ------------------------------------------------------------------------ */

/* Parses one comma-separated Content-Length list into *len, checking that
 * every member equals *len once set. */
static int parse_lengths(const char *v, int *have, uint64_t *len) {
  const char *p = v;
  for (;;) {
    uint64_t n = 0;
    int digits = 0;
    while (*p == ' ' || *p == '\t') p++;
    while (*p >= '0' && *p <= '9') {
      if (n > (UINT64_MAX - 9) / 10 || digits >= 18) return 400;
      n = n * 10 + (uint64_t)(*p - '0');
      digits++;
      p++;
    }
    if (!digits) return 400;
    while (*p == ' ' || *p == '\t') p++;
    if (*have && n != *len) return 400;
    *have = 1;
    *len = n;
    if (*p == '\0') return 0;
    if (*p != ',') return 400;
    p++;
  }
}

int iws__http_framing(const iws_request *req, uint64_t max_body, int *mode,
                      uint64_t *length) {
  uint32_t i;
  int have_len = 0, te_count = 0, chunked_last = 0;
  uint64_t len = 0;
  *mode = IWS__BODY_NONE;
  *length = 0;
  for (i = 0; i < req->header_count; i++) {
    const iws__header *h = &req->headers[i];
    if (iws__ieq(h->name, "Content-Length")) {
      if (parse_lengths(h->value, &have_len, &len) != 0) return 400;
    } else if (iws__ieq(h->name, "Transfer-Encoding")) {
      /* Every coding, across every header line, in order. */
      const char *p = h->value;
      while (*p) {
        const char *start;
        size_t n;
        while (*p == ',' || *p == ' ' || *p == '\t') p++;
        if (!*p) break;
        start = p;
        while (*p && *p != ',') p++;
        n = (size_t)(p - start);
        while (n && (start[n - 1] == ' ' || start[n - 1] == '\t')) n--;
        te_count++;
        chunked_last = n == 7 && iws__lower(start[0]) == 'c' &&
                       iws__lower(start[1]) == 'h' && iws__lower(start[2]) == 'u' &&
                       iws__lower(start[3]) == 'n' && iws__lower(start[4]) == 'k' &&
                       iws__lower(start[5]) == 'e' && iws__lower(start[6]) == 'd';
        if (!chunked_last) te_count += 1000; /* another coding */
      }
      if (!te_count) return 400; /* an empty Transfer-Encoding */
    }
  }
  if (te_count) {
    /* RFC 9112 6.1: with both, the message is suspect (smuggling); a
     * 1.0 message with Transfer-Encoding is faulty. */
    if (have_len || req->version_minor == 0) return 400;
    if (te_count != 1 || !chunked_last) return 501;
    *mode = IWS__BODY_CHUNKED;
    return 0;
  }
  if (have_len) {
    if (len > max_body) return 413;
    if (len) {
      *mode = IWS__BODY_LENGTH;
      *length = len;
    }
  }
  return 0;
}

int iws__http_wants_upgrade(const iws_request *req) {
  uint32_t i;
  for (i = 0; i < req->header_count; i++)
    if (iws__ieq(req->headers[i].name, "Upgrade") &&
        iws__http_has_token(req->headers[i].value, "websocket"))
      return 1;
  return 0;
}

int iws__http_early_status(const uint8_t *buf, size_t len,
                           uint64_t max_uri) {
  size_t i = 0, start;
  while (i < len && buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n') i++;
  if (i == len || buf[i] != ' ') return 0;
  start = ++i;
  while (i < len && buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n') i++;
  return (uint64_t)(i - start) > max_uri ? 414 : 0;
}

/* ------------------------------------------------------------------------ */
/* responses                                                                 */
/* ------------------------------------------------------------------------ */

int iws__http_valid_name(const char *name) {
  const char *p;
  if (!name || !*name) return 0;
  for (p = name; *p; p++)
    if (!is_tchar((unsigned char)*p)) return 0;
  return 1;
}

int iws__http_valid_value(const char *value) {
  const unsigned char *p;
  if (!value) return 0;
  for (p = (const unsigned char *)value; *p; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f) return 0;
  return 1;
}

void iws__http_date(int64_t t, char out[32]) {
  static const char days[7][4] = {"Thu", "Fri", "Sat", "Sun",
                                  "Mon", "Tue", "Wed"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                      "May", "Jun", "Jul", "Aug",
                                      "Sep", "Oct", "Nov", "Dec"};
  int64_t d = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - d * 86400;
  /* civil_from_days (H. Hinnant): days since 1970-01-01 to y-m-d. */
  int64_t z = d + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t dd = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  int wd = (int)(((d % 7) + 7) % 7);
  if (m <= 2) y++;
  snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[wd],
           (int)dd, months[m - 1], (int)y, (int)(secs / 3600),
           (int)(secs / 60 % 60), (int)(secs % 60));
}
