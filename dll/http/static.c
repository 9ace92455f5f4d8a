/* static.c - static files under IWS_OPT_HTTP_DOCUMENT_ROOT and
 * iws_http_serve_file: the document root (resolved once per iws_start),
 * path checks, MIME types, HTTP dates, conditional requests and byte
 * ranges. The bytes themselves leave through the connection's send queue
 * (iws__conn_queue_file in conn.c: sendfile / TransmitFile, or read and
 * encrypted on TLS connections).
 *
 * Safety. A document is refused (404, answered here) when it could leave
 * the root: a ".." segment (before and after percent-decoding: the raw
 * target is checked too), a backslash, a control byte, on Windows a ':' or
 * a segment ending in '.' or ' '. What remains is joined to the root's
 * canonical path and canonicalized again (realpath, or
 * GetFinalPathNameByHandleW on Windows): the result must lie inside the
 * root, so a symlink (or junction) that leads out is refused while one that
 * stays inside is followed. After opening, the open file's own canonical
 * path is checked once more, so a symlink swapped in between is caught.
 * A document that simply does not exist is not answered here: it goes on
 * to on_http_request (which answers 404 by default).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_parse.h"
#include "../core/ascii.h"
#include "../core/core.h"
#include "static.h"

#define PATH_BUF 4096

/* ------------------------------------------------------------------------ */
/* MIME types                                                                */
/* ------------------------------------------------------------------------ */

typedef struct mime_entry {
  const char *ext;
  const char *type;
} mime_entry;

static const mime_entry MIME[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"ico", "image/vnd.microsoft.icon"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"ogg", "audio/ogg"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"webmanifest", "application/manifest+json"},
};

const char *iws__mime_type(const char *path) {
  const char *dot = NULL, *p;
  size_t i;
  if (!path) return "application/octet-stream";
  for (p = path; *p; p++) {
    if (*p == '/' || *p == '\\') dot = NULL;
    else if (*p == '.') dot = p;
  }
  if (dot && dot[1])
    for (i = 0; i < sizeof(MIME) / sizeof(MIME[0]); i++)
      if (iws__ieq(dot + 1, MIME[i].ext)) return MIME[i].type;
  return "application/octet-stream";
}

/* ------------------------------------------------------------------------ */
/* HTTP dates (RFC 9110 5.6.7) - civil calendar arithmetic, no gmtime      */
/* ------------------------------------------------------------------------ */

static const char WDAY[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                "Thu", "Fri", "Sat"};
static const char *const WDAY_LONG[7] = {"Sunday",   "Monday", "Tuesday",
                                         "Wednesday", "Thursday", "Friday",
                                         "Saturday"};
static const char MONTH[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

#define MAX_HTTP_TIME INT64_C(253402300799) /* 9999-12-31 23:59:59 */

int iws__http_date_format(int64_t t, char *out) {
  char buf[32];
  if (t < 0 || t > MAX_HTTP_TIME) return -1;
  iws__http_date(t, buf);
  memcpy(out, buf, 30); /* 29 characters and the NUL */
  return 0;
}

static int digits(const char **p, int n, int *v) {
  int i;
  *v = 0;
  for (i = 0; i < n; i++) {
    if ((*p)[i] < '0' || (*p)[i] > '9') return -1;
    *v = *v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  return 0;
}

static int lit(const char **p, const char *s) {
  size_t n = strlen(s);
  if (strncmp(*p, s, n) != 0) return -1;
  *p += n;
  return 0;
}

static int month_of(const char **p, int *m) {
  int i;
  for (i = 0; i < 12; i++)
    if (strncmp(*p, MONTH[i], 3) == 0) {
      *m = i + 1;
      *p += 3;
      return 0;
    }
  return -1;
}

static int clock_of(const char **p, int *h, int *mi, int *s) {
  if (digits(p, 2, h) || lit(p, ":") || digits(p, 2, mi) || lit(p, ":") ||
      digits(p, 2, s))
    return -1;
  return 0;
}

static int day_name(const char **p, int long_form) {
  int i;
  for (i = 0; i < 7; i++)
    if (lit(p, long_form ? WDAY_LONG[i] : WDAY[i]) == 0) return 0;
  return -1;
}

int iws__http_date_parse(const char *s, int64_t *t) {
  const char *p = s;
  int y = 0, m = 0, d = 0, h = 0, mi = 0, sec = 0, mdays;
  static const int DAYS[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (!s) return -1;
  while (*p == ' ' || *p == '\t') p++;
  if (p[0] && p[1] && p[2] && p[3] == ',') {
    /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    if (day_name(&p, 0) || lit(&p, ", ") || digits(&p, 2, &d) ||
        lit(&p, " ") || month_of(&p, &m) || lit(&p, " ") ||
        digits(&p, 4, &y) || lit(&p, " ") || clock_of(&p, &h, &mi, &sec) ||
        lit(&p, " GMT"))
      return -1;
  } else if (day_name(&p, 1) == 0) {
    /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT. Two-digit years from 70
     * are 19xx, below 70 20xx. */
    if (lit(&p, ", ") || digits(&p, 2, &d) || lit(&p, "-") ||
        month_of(&p, &m) || lit(&p, "-") || digits(&p, 2, &y) ||
        lit(&p, " ") || clock_of(&p, &h, &mi, &sec) || lit(&p, " GMT"))
      return -1;
    y += y < 70 ? 2000 : 1900;
  } else {
    /* asctime: Sun Nov  6 08:49:37 1994 */
    if (day_name(&p, 0) || lit(&p, " ") || month_of(&p, &m) ||
        lit(&p, " "))
      return -1;
    if (*p == ' ') {
      p++;
      if (digits(&p, 1, &d)) return -1;
    } else if (digits(&p, 2, &d)) {
      return -1;
    }
    if (lit(&p, " ") || clock_of(&p, &h, &mi, &sec) || lit(&p, " ") ||
        digits(&p, 4, &y))
      return -1;
  }
  while (*p == ' ' || *p == '\t') p++;
  if (*p) return -1;
  mdays = DAYS[m - 1];
  if (m == 2 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) mdays = 28;
  if (d < 1 || d > mdays || h > 23 || mi > 59 || sec > 60) return -1;
  if (sec == 60) sec = 59; /* a leap second */
  *t = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Range (RFC 9110 14.2)                                                     */
/* ------------------------------------------------------------------------ */

/* Digits to a number, saturating at UINT64_MAX. Returns the count read. */
static size_t number(const char **p, uint64_t *v) {
  size_t n = 0;
  *v = 0;
  while (**p >= '0' && **p <= '9') {
    unsigned dgt = (unsigned)(**p - '0');
    *v = *v > (UINT64_MAX - dgt) / 10 ? UINT64_MAX : *v * 10 + dgt;
    (*p)++;
    n++;
  }
  return n;
}

int iws__range_parse(const char *h, uint64_t size, uint64_t *first,
                     uint64_t *last) {
  const char *p = h;
  uint64_t a = 0, b = 0;
  size_t na, nb;
  if (!h) return IWS__RANGE_FULL;
  while (*p == ' ' || *p == '\t') p++;
  if (!(iws__lower(p[0]) == 'b' && iws__lower(p[1]) == 'y' && iws__lower(p[2]) == 't' &&
        iws__lower(p[3]) == 'e' && iws__lower(p[4]) == 's' && p[5] == '='))
    return IWS__RANGE_FULL; /* another unit: ignored */
  p += 6;
  if (strchr(p, ',')) return IWS__RANGE_FULL; /* several: all of it, 200 */
  while (*p == ' ' || *p == '\t') p++;
  na = number(&p, &a);
  if (*p != '-') return IWS__RANGE_FULL;
  p++;
  nb = number(&p, &b);
  while (*p == ' ' || *p == '\t') p++;
  if (*p || (!na && !nb)) return IWS__RANGE_FULL;
  if (!na) {
    /* -n: the last n bytes */
    if (b == 0 || size == 0) return IWS__RANGE_UNSATISFIABLE;
    *first = b >= size ? 0 : size - b;
    *last = size - 1;
    return IWS__RANGE_PART;
  }
  if (nb && b < a) return IWS__RANGE_FULL; /* invalid: ignored */
  if (a >= size) return IWS__RANGE_UNSATISFIABLE;
  *first = a;
  *last = (!nb || b >= size) ? size - 1 : b;
  return IWS__RANGE_PART;
}

/* ------------------------------------------------------------------------ */
/* documents and the root                                                    */
/* ------------------------------------------------------------------------ */

/* Checks every '/'-separated segment of s[0..n). */
static int segments_ok(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && s[j] != '/') j++;
    if (j - i == 2 && s[i] == '.' && s[i + 1] == '.') return 0;
#ifdef _WIN32
    if (j > i && (s[j - 1] == '.' || s[j - 1] == ' ') &&
        !(j - i == 1 && s[i] == '.'))
      return 0;
#endif
    i = j + 1;
  }
  return 1;
}

int iws__static_document_ok(const char *doc) {
  const unsigned char *p;
  if (!doc || doc[0] != '/') return 0;
  for (p = (const unsigned char *)doc; *p; p++) {
    if (*p < 0x20 || *p == 0x7f || *p == '\\') return 0;
#ifdef _WIN32
    if (*p == ':') return 0;
#endif
  }
  return segments_ok(doc, strlen(doc));
}

int iws__path_inside(const char *root, const char *real) {
  size_t n = strlen(root);
  if (strncmp(root, real, n) != 0) return 0;
  /* "/" (or "C:\") already ends with its separator. */
  if (n && root[n - 1] == IWS__PATH_SEP) return 1;
  return real[n] == '\0' || real[n] == IWS__PATH_SEP;
}

/* root + the document's non-empty, non-"." segments, with the platform's
 * separator. Returns 0, or -1 if it does not fit. */
static int join(const char *root, const char *doc, char *out, size_t size) {
  size_t n = strlen(root), i = 0, dn = strlen(doc);
  if (n >= size) return -1;
  memcpy(out, root, n);
  while (i < dn) {
    size_t j = i;
    while (j < dn && doc[j] != '/') j++;
    if (j > i && !(j - i == 1 && doc[i] == '.')) {
      int sep = !(n && out[n - 1] == IWS__PATH_SEP);
      if (n + (size_t)sep + (j - i) >= size) return -1;
      if (sep) out[n++] = IWS__PATH_SEP;
      memcpy(out + n, doc + i, j - i);
      n += j - i;
    }
    i = j + 1;
  }
  out[n] = '\0';
  return 0;
}

#define RESOLVE_REFUSED 3 /* internal: answered 404 here */

static int resolve(const char *root, const char *doc, const char *index,
                   char *out, size_t size) {
  char path[PATH_BUF];
  int is_dir = 0;
  size_t dl;
  if (!iws__static_document_ok(doc)) return RESOLVE_REFUSED;
  if (join(root, doc, path, sizeof(path)) != 0) return RESOLVE_REFUSED;
  if (iws__path_real(path, out, size, &is_dir) != 0)
    return IWS__RESOLVE_NOT_FOUND;
  if (!iws__path_inside(root, out)) return RESOLVE_REFUSED;
  if (!is_dir) return IWS__RESOLVE_FILE;
  dl = strlen(doc);
  if (doc[dl - 1] != '/') return IWS__RESOLVE_REDIRECT;
  if (!index || !index[0] || strchr(index, '/') || strchr(index, '\\') ||
      strcmp(index, "..") == 0 || strcmp(index, ".") == 0)
    return IWS__RESOLVE_NOT_FOUND;
  if (join(out, index, path, sizeof(path)) != 0) return IWS__RESOLVE_NOT_FOUND;
  if (iws__path_real(path, out, size, &is_dir) != 0 || is_dir)
    return IWS__RESOLVE_NOT_FOUND;
  return iws__path_inside(root, out) ? IWS__RESOLVE_FILE : RESOLVE_REFUSED;
}

int iws__static_resolve(const char *root, const char *doc, const char *index,
                        char *out, size_t size) {
  int r = resolve(root, doc, index, out, size);
  return r == RESOLVE_REFUSED ? IWS__RESOLVE_NOT_FOUND : r;
}

int32_t iws__static_start(iws_server *s, char *err, size_t errlen) {
  const char *root = iws__options_str(&s->opt, IWS_OPT_HTTP_DOCUMENT_ROOT);
  char real[PATH_BUF];
  int is_dir = 0;
  iws__static_stop(s);
  if (!root || !root[0]) return IWS_OK;
  if (iws__path_real(root, real, sizeof(real), &is_dir) != 0 || !is_dir) {
    snprintf(err, errlen,
             "IWS_OPT_HTTP_DOCUMENT_ROOT \"%.400s\" is not a directory that "
             "can be opened",
             root);
    return IWS_E_FILE;
  }
  s->static_root = malloc(strlen(real) + 1);
  if (!s->static_root) return IWS_E_NOMEM;
  memcpy(s->static_root, real, strlen(real) + 1);
  return IWS_OK;
}

void iws__static_stop(iws_server *s) {
  free(s->static_root);
  s->static_root = NULL;
}

/* ------------------------------------------------------------------------ */
/* answering                                                                 */
/* ------------------------------------------------------------------------ */

static int is_get_or_head(const char *method, int *head) {
  *head = method && strcmp(method, "HEAD") == 0;
  return method && (*head || strcmp(method, "GET") == 0);
}

/* Whether an If-None-Match list matches our (weak) entity tag: weak
 * comparison, "*" matches any. */
static int etag_matches(const char *list, const char *etag) {
  const char *opaque = etag + 2; /* past W/ */
  size_t on = strlen(opaque);
  const char *p = list;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p == '*') return 1;
    if (p[0] == 'W' && p[1] == '/') p += 2;
    if (strncmp(p, opaque, on) == 0 &&
        (p[on] == '\0' || p[on] == ',' || p[on] == ' ' || p[on] == '\t'))
      return 1;
    while (*p && *p != ',') p++;
  }
  return 0;
}

static int32_t not_found(iws_http_response *resp) {
  static const char body[] = "404 Not Found\n";
  int32_t rc = iws_http_set_status(resp, 404, NULL);
  if (rc == IWS_OK)
    rc = iws_http_add_header(resp, "Content-Type", "text/plain; charset=utf-8");
  if (rc == IWS_OK) rc = iws_http_set_body(resp, body, sizeof(body) - 1);
  return rc;
}

/* Fills the response from an open file (takes it). */
static int32_t serve_open(iws_http_response *resp, iws__file *f,
                          uint64_t size, int64_t mtime, const char *name) {
  iws_request *req = iws__http_response_request(resp);
  const char *method = req ? iws_request_method(req) : NULL;
  const char *inm, *ims, *range, *if_range;
  char date[IWS__HTTP_DATE_SIZE], etag[64], crange[80];
  int head = 0, conditional, have_date;
  uint64_t first = 0, last = 0;
  int kind = IWS__RANGE_FULL;
  int32_t rc;

  have_date = iws__http_date_format(mtime, date) == 0;
  snprintf(etag, sizeof(etag), "W/\"%llx-%llx\"", (unsigned long long)size,
           (unsigned long long)(mtime < 0 ? 0 : mtime));
  conditional = req && is_get_or_head(method, &head);

  rc = iws_http_add_header(resp, "Accept-Ranges", "bytes");
  if (rc == IWS_OK && have_date)
    rc = iws_http_add_header(resp, "Last-Modified", date);
  if (rc == IWS_OK) rc = iws_http_add_header(resp, "ETag", etag);
  if (rc != IWS_OK) goto done;

  if (conditional) {
    /* RFC 9110 13.2.2: If-None-Match, else If-Modified-Since. */
    int64_t since;
    inm = iws_request_header(req, "If-None-Match");
    ims = iws_request_header(req, "If-Modified-Since");
    if ((inm && etag_matches(inm, etag)) ||
        (!inm && ims && iws__http_date_parse(ims, &since) == 0 &&
         mtime <= since)) {
      rc = iws_http_set_status(resp, 304, NULL);
      goto done;
    }
  }
  if (!iws__http_response_has_header(resp, "Content-Type")) {
    rc = iws_http_add_header(resp, "Content-Type", iws__mime_type(name));
    if (rc != IWS_OK) goto done;
  }
  if (conditional && !head) {
    range = iws_request_header(req, "Range");
    if_range = iws_request_header(req, "If-Range");
    if (range && if_range) {
      /* Only the exact Last-Modified date validates (a weak tag never
       * does, RFC 9110 13.1.5): otherwise the whole file. */
      int64_t t;
      if (!(iws__http_date_parse(if_range, &t) == 0 && t == mtime))
        range = NULL;
    }
    kind = iws__range_parse(range, size, &first, &last);
  }
  if (kind == IWS__RANGE_UNSATISFIABLE) {
    snprintf(crange, sizeof(crange), "bytes */%llu", (unsigned long long)size);
    rc = iws_http_set_status(resp, 416, NULL);
    if (rc == IWS_OK) rc = iws_http_add_header(resp, "Content-Range", crange);
    goto done;
  }
  if (kind == IWS__RANGE_PART) {
    snprintf(crange, sizeof(crange), "bytes %llu-%llu/%llu",
             (unsigned long long)first, (unsigned long long)last,
             (unsigned long long)size);
    rc = iws_http_add_header(resp, "Content-Range", crange);
    if (rc != IWS_OK) goto done;
    return iws__http_response_set_file(resp, f, first, last - first + 1, 206);
  }
  return iws__http_response_set_file(resp, f, 0, size, 200);
done:
  iws__file_close(f);
  return rc;
}

int iws__static_try(iws_server *s, iws_request *req,
                    iws_http_response *resp) {
  const char *doc, *raw, *q;
  char real[PATH_BUF], opened[PATH_BUF];
  int head, r;
  iws__file *f = NULL;
  uint64_t size = 0;
  int64_t mtime = 0;
  if (!s || !req || !resp || !s->static_root) return 0;
  if (!is_get_or_head(iws_request_method(req), &head)) return 0;
  doc = iws_request_document(req);
  raw = iws_request_path(req);
  if (!doc) return 0;
  /* ".." before decoding too (the decoded form is checked in resolve). */
  if (raw) {
    q = strchr(raw, '?');
    if (raw[0] != '/' || !segments_ok(raw, q ? (size_t)(q - raw) : strlen(raw)))
      return not_found(resp), 1;
  }
  r = resolve(s->static_root, doc, iws__options_str(&s->opt,
                                                    IWS_OPT_HTTP_INDEX_FILE),
              real, sizeof(real));
  if (r == IWS__RESOLVE_NOT_FOUND) return 0;
  if (r == RESOLVE_REFUSED) return not_found(resp), 1;
  if (r == IWS__RESOLVE_REDIRECT) {
    /* The raw path (still encoded) plus '/', and the query. Never a
     * Location that a browser reads as another host: "//evil.com/" is
     * protocol-relative, so leading slashes collapse into one (the
     * document is the same: empty segments are skipped), and "/\"
     * (read as "//" by browsers) is refused. */
    const char *query = iws_request_query(req);
    size_t pl;
    char *loc;
    if (!raw) return 0;
    while (raw[0] == '/' && raw[1] == '/') raw++;
    if (raw[1] == '\\') return not_found(resp), 1;
    pl = (q = strchr(raw, '?')) ? (size_t)(q - raw) : strlen(raw);
    loc = malloc(pl + 2 + (query ? strlen(query) + 1 : 0));
    if (!loc) return 0;
    memcpy(loc, raw, pl);
    loc[pl] = '/';
    loc[pl + 1] = '\0';
    if (query && query[0]) {
      strcat(loc, "?");
      strcat(loc, query);
    }
    if (iws_http_set_status(resp, 301, NULL) == IWS_OK)
      iws_http_add_header(resp, "Location", loc);
    free(loc);
    return 1;
  }
  if (iws__file_open(real, &f, &size, &mtime) != IWS_OK) return 0;
  /* The file that was opened must still be inside (a symlink swapped in
   * after resolve). */
  if (iws__file_real_path(f, opened, sizeof(opened)) != 0 ||
      !iws__path_inside(s->static_root, opened)) {
    iws__file_close(f);
    return not_found(resp), 1;
  }
  (void)head; /* HEAD: the request cycle sends the head without the body */
  serve_open(resp, f, size, mtime, real);
  return 1;
}

IWS_API int32_t IWS_CALL iws_http_serve_file(iws_http_response *response,
                                             const char *path) {
  iws__file *f = NULL;
  uint64_t size = 0;
  int64_t mtime = 0;
  int32_t rc;
  if (!response || !path || !path[0]) return IWS_E_INVALID_ARG;
  rc = iws__file_open(path, &f, &size, &mtime);
  if (rc != IWS_OK) return rc;
  return serve_open(response, f, size, mtime, path);
}
