/*
 * fuzz_static.c - libFuzzer target for the static-file parsers
 * (dll/http/static.c): Range headers against a size, HTTP dates in their
 * three forms, and document paths. Properties checked, not just "no
 * crash": a satisfiable range lies inside the file; a date that parses
 * and can be formatted parses back to the same instant; a document that
 * passes the check has no ".." segment and no backslash.
 *
 * Input: [8 bytes size][the text, used as header, date and document].
 */
#include "fuzz_common.h"
#include "static.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t fsize = 0, first = 0, last = 0;
  char *text, date[IWS__HTTP_DATE_SIZE];
  int64_t t = 0, t2 = 0;
  int kind;
  if (size < 8) return 0;
  memcpy(&fsize, data, 8);
  if (data[0] & 1) fsize &= 0xffff; /* small files are where edges are */
  text = malloc(size - 8 + 1);
  if (!text) abort();
  memcpy(text, data + 8, size - 8);
  text[size - 8] = '\0';

  kind = iws__range_parse(text, fsize, &first, &last);
  if (kind == IWS__RANGE_PART && !(first <= last && last < fsize)) abort();
  if (kind != IWS__RANGE_PART && kind != IWS__RANGE_FULL &&
      kind != IWS__RANGE_UNSATISFIABLE)
    abort();

  if (iws__http_date_parse(text, &t) == 0 &&
      iws__http_date_format(t, date) == 0) {
    if (iws__http_date_parse(date, &t2) != 0 || t2 != t) abort();
  }
  (void)iws__mime_type(text);

  if (iws__static_document_ok(text)) {
    const char *p = text;
    if (strchr(text, '\\')) abort();
    while ((p = strstr(p, "..")) != NULL) {
      if ((p == text || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
        abort();
      p++;
    }
  }
  free(text);
  return 0;
}
