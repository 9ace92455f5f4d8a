/*
 * static.h - the pure parts of static file serving (static.c), for the
 * unit tests: document paths, MIME types, HTTP dates and byte ranges.
 * Not part of the ABI.
 */
#ifndef IWS_STATIC_H
#define IWS_STATIC_H

#include <stddef.h>
#include <stdint.h>

/* The Content-Type for a file name, by its extension (case-insensitive);
 * text types carry "; charset=utf-8"; "application/octet-stream" when
 * unknown. */
const char *iws__mime_type(const char *path);

/* IMF-fixdate (RFC 9110 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT", for
 * seconds since 1970 (UTC). out needs IWS__HTTP_DATE_SIZE bytes. Returns 0,
 * or -1 for a time before 1970 or after 9999. Pure arithmetic: no gmtime,
 * no locale, any thread. */
#define IWS__HTTP_DATE_SIZE 30
int iws__http_date_format(int64_t t, char *out);

/* Parses an HTTP date in any of RFC 9110's three formats (IMF-fixdate,
 * RFC 850 with a two-digit year, asctime). Returns 0 with *t, or -1. */
int iws__http_date_parse(const char *s, int64_t *t);

/* A Range header against a representation of `size` bytes. */
#define IWS__RANGE_FULL 0   /* absent, not "bytes=", malformed, or several
                               ranges: send everything with 200 */
#define IWS__RANGE_PART 1   /* one satisfiable range: [*first, *last] */
#define IWS__RANGE_UNSATISFIABLE 2 /* 416; Content-Range gives the size only */
int iws__range_parse(const char *header, uint64_t size, uint64_t *first,
                     uint64_t *last);

/* Whether a decoded request path may name something under a document root:
 * it starts with '/', has no ".." segment, no backslash, no control byte;
 * on Windows also no ':' (drive letters, alternate data streams) and no
 * segment ending in '.' or ' ' (which Windows would strip). */
int iws__static_document_ok(const char *document);

/* Resolves a document under the root whose canonical path is `root` (from
 * iws__path_real). On IWS__RESOLVE_FILE, out holds the canonical path of
 * the file to open, inside the root. */
#define IWS__RESOLVE_NOT_FOUND 0 /* refused, missing, or outside the root */
#define IWS__RESOLVE_FILE 1
#define IWS__RESOLVE_REDIRECT 2  /* a directory asked without its '/' */
int iws__static_resolve(const char *root, const char *document,
                        const char *index_file, char *out, size_t size);

/* iws_start: resolves IWS_OPT_HTTP_DOCUMENT_ROOT to its canonical path
 * (server->static_root, NULL when unset) so that every request compares
 * against it. Returns IWS_OK, or IWS_E_FILE with a sentence in err when the
 * root is not a directory that can be opened. iws_stop (and a failed
 * start) frees it with iws__static_stop. */
struct iws_server;
int32_t iws__static_start(struct iws_server *server, char *err,
                          size_t errlen);
void iws__static_stop(struct iws_server *server);

/* Whether the canonical path `real` is `root` or lies under it. */
int iws__path_inside(const char *root, const char *real);

#endif /* IWS_STATIC_H */
