/* Unit tests: static files - MIME types, HTTP dates, Range, document checks
 * and resolution under a document root (a temporary tree; symlinks in and
 * out of it where the OS lets a test make them), and the platform's file
 * calls. */
#ifndef _WIN32
#define _XOPEN_SOURCE 700
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"
#include "core.h"
#include "static.h"

#ifdef _WIN32
#include <direct.h>
#define make_dir(p) _mkdir(p)
#else
#include <sys/stat.h>
#include <unistd.h>
#define make_dir(p) mkdir(p, 0755)
#endif

static void mime(void **state) {
  (void)state;
  assert_string_equal(iws__mime_type("/a/index.html"),
                      "text/html; charset=utf-8");
  assert_string_equal(iws__mime_type("X.HTM"), "text/html; charset=utf-8");
  assert_string_equal(iws__mime_type("app.js"),
                      "text/javascript; charset=utf-8");
  assert_string_equal(iws__mime_type("m.mjs"),
                      "text/javascript; charset=utf-8");
  assert_string_equal(iws__mime_type("s.css"), "text/css; charset=utf-8");
  assert_string_equal(iws__mime_type("d.json"), "application/json");
  assert_string_equal(iws__mime_type("t.txt"), "text/plain; charset=utf-8");
  assert_string_equal(iws__mime_type("i.svg"), "image/svg+xml");
  assert_string_equal(iws__mime_type("p.PNG"), "image/png");
  assert_string_equal(iws__mime_type("p.jpeg"), "image/jpeg");
  assert_string_equal(iws__mime_type("f.woff2"), "font/woff2");
  assert_string_equal(iws__mime_type("w.wasm"), "application/wasm");
  assert_string_equal(iws__mime_type("v.webm"), "video/webm");
  assert_string_equal(iws__mime_type("a.tar.gz"), "application/gzip");
  assert_string_equal(iws__mime_type("README"), "application/octet-stream");
  assert_string_equal(iws__mime_type("dir.html/file"),
                      "application/octet-stream");
  assert_string_equal(iws__mime_type("dir.html\\file"),
                      "application/octet-stream");
  assert_string_equal(iws__mime_type("trailing."), "application/octet-stream");
  assert_string_equal(iws__mime_type(NULL), "application/octet-stream");
}

static void date_format(void **state) {
  char d[IWS__HTTP_DATE_SIZE];
  (void)state;
  assert_int_equal(iws__http_date_format(0, d), 0);
  assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
  assert_int_equal(iws__http_date_format(784111777, d), 0);
  assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
  assert_int_equal(iws__http_date_format(951782400, d), 0);
  assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
  assert_int_equal(iws__http_date_format(INT64_C(4107542399), d), 0);
  assert_string_equal(d, "Sun, 28 Feb 2100 23:59:59 GMT");
  assert_int_equal(iws__http_date_format(INT64_C(253402300799), d), 0);
  assert_string_equal(d, "Fri, 31 Dec 9999 23:59:59 GMT");
  assert_int_equal(iws__http_date_format(INT64_C(253402300800), d), -1);
  assert_int_equal(iws__http_date_format(-1, d), -1);
}

static void date_parse(void **state) {
  int64_t t = 0;
  char d[IWS__HTTP_DATE_SIZE];
  int64_t i;
  (void)state;
  /* RFC 9110 5.6.7's three forms of one instant */
  assert_int_equal(iws__http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t),
                   0);
  assert_true(t == 784111777);
  t = 0;
  assert_int_equal(
      iws__http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
  assert_true(t == 784111777);
  t = 0;
  assert_int_equal(iws__http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
  assert_true(t == 784111777);
  assert_int_equal(iws__http_date_parse("Sun Nov 16 08:49:37 1994", &t), 0);
  assert_true(t == 784111777 + 10 * 86400);
  /* two-digit years below 70 are this century */
  assert_int_equal(iws__http_date_parse("Friday, 01-Jan-38 00:00:00 GMT", &t),
                   0);
  assert_true(t == INT64_C(2145916800));
  /* surrounding blanks are tolerated, nothing else */
  assert_int_equal(
      iws__http_date_parse("  Sun, 06 Nov 1994 08:49:37 GMT  ", &t), 0);
  assert_int_equal(
      iws__http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT; x", &t), -1);
  assert_int_equal(iws__http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &t),
                   -1);
  assert_int_equal(iws__http_date_parse("Sun, 31 Feb 1994 08:49:37 GMT", &t),
                   -1);
  assert_int_equal(iws__http_date_parse("Sun, 29 Feb 1900 08:49:37 GMT", &t),
                   -1);
  assert_int_equal(iws__http_date_parse("Tue, 29 Feb 2000 00:00:00 GMT", &t),
                   0);
  assert_int_equal(iws__http_date_parse("Sun, 06 Nov 1994 24:00:00 GMT", &t),
                   -1);
  assert_int_equal(iws__http_date_parse("Sun, 06 Xyz 1994 08:49:37 GMT", &t),
                   -1);
  assert_int_equal(iws__http_date_parse("Sun, 6 Nov 1994 08:49:37 GMT", &t),
                   -1);
  assert_int_equal(iws__http_date_parse("", &t), -1);
  assert_int_equal(iws__http_date_parse("Sun", &t), -1);
  assert_int_equal(iws__http_date_parse("yesterday", &t), -1);
  assert_int_equal(iws__http_date_parse(NULL, &t), -1);
  /* round trips over two centuries */
  for (i = 0; i < INT64_C(7258118400); i += INT64_C(86400) * 97 + 3607) {
    assert_int_equal(iws__http_date_format(i, d), 0);
    assert_int_equal(iws__http_date_parse(d, &t), 0);
    assert_true(t == i);
  }
}

static void range(void **state) {
  uint64_t a = 99, b = 99;
  (void)state;
  assert_int_equal(iws__range_parse(NULL, 100, &a, &b), IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("bytes=0-9", 100, &a, &b),
                   IWS__RANGE_PART);
  assert_true(a == 0 && b == 9);
  assert_int_equal(iws__range_parse("bytes=10-", 100, &a, &b),
                   IWS__RANGE_PART);
  assert_true(a == 10 && b == 99);
  assert_int_equal(iws__range_parse("bytes=-10", 100, &a, &b),
                   IWS__RANGE_PART);
  assert_true(a == 90 && b == 99);
  assert_int_equal(iws__range_parse("bytes=-1000", 100, &a, &b),
                   IWS__RANGE_PART);
  assert_true(a == 0 && b == 99);
  assert_int_equal(iws__range_parse("bytes=50-5000", 100, &a, &b),
                   IWS__RANGE_PART);
  assert_true(a == 50 && b == 99);
  assert_int_equal(iws__range_parse("BYTES=99-99", 100, &a, &b),
                   IWS__RANGE_PART);
  assert_true(a == 99 && b == 99);
  assert_int_equal(iws__range_parse(" bytes= 1-2 ", 100, &a, &b),
                   IWS__RANGE_PART);
  assert_true(a == 1 && b == 2);
  assert_int_equal(
      iws__range_parse("bytes=0-99999999999999999999999", 100, &a, &b),
      IWS__RANGE_PART);
  assert_true(a == 0 && b == 99);
  /* unsatisfiable */
  assert_int_equal(iws__range_parse("bytes=100-", 100, &a, &b),
                   IWS__RANGE_UNSATISFIABLE);
  assert_int_equal(iws__range_parse("bytes=100-200", 100, &a, &b),
                   IWS__RANGE_UNSATISFIABLE);
  assert_int_equal(iws__range_parse("bytes=-0", 100, &a, &b),
                   IWS__RANGE_UNSATISFIABLE);
  assert_int_equal(iws__range_parse("bytes=0-", 0, &a, &b),
                   IWS__RANGE_UNSATISFIABLE);
  assert_int_equal(iws__range_parse("bytes=-5", 0, &a, &b),
                   IWS__RANGE_UNSATISFIABLE);
  assert_int_equal(
      iws__range_parse("bytes=99999999999999999999999-", 100, &a, &b),
      IWS__RANGE_UNSATISFIABLE);
  /* ignored: the whole representation */
  assert_int_equal(iws__range_parse("bytes=0-1,5-6", 100, &a, &b),
                   IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("bytes=9-5", 100, &a, &b),
                   IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("bytes=-", 100, &a, &b), IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("bytes=x-1", 100, &a, &b),
                   IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("bytes=1-2x", 100, &a, &b),
                   IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("items=0-1", 100, &a, &b),
                   IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("bytes 0-1", 100, &a, &b),
                   IWS__RANGE_FULL);
  assert_int_equal(iws__range_parse("", 100, &a, &b), IWS__RANGE_FULL);
}

static void documents(void **state) {
  (void)state;
  assert_true(iws__static_document_ok("/"));
  assert_true(iws__static_document_ok("/index.html"));
  assert_true(iws__static_document_ok("/a/b/c.txt"));
  assert_true(iws__static_document_ok("/a/..b/c..d/...x"));
  assert_true(iws__static_document_ok("/./a"));
  assert_true(iws__static_document_ok("//a//b"));
  assert_false(iws__static_document_ok("/.."));
  assert_false(iws__static_document_ok("/../etc/passwd"));
  assert_false(iws__static_document_ok("/a/../../b"));
  assert_false(iws__static_document_ok("/a/.."));
  assert_false(iws__static_document_ok("/a\\b"));
  assert_false(iws__static_document_ok("/..\\..\\x"));
  assert_false(iws__static_document_ok("a/b"));
  assert_false(iws__static_document_ok(""));
  assert_false(iws__static_document_ok(NULL));
  assert_false(iws__static_document_ok("/a\nb"));
  assert_false(iws__static_document_ok("/a\x7f"));
#ifdef _WIN32
  assert_false(iws__static_document_ok("/C:/Windows/win.ini"));
  assert_false(iws__static_document_ok("/a.txt::$DATA"));
  assert_false(iws__static_document_ok("/index.html."));
  assert_false(iws__static_document_ok("/index.html "));
  assert_false(iws__static_document_ok("/.../x"));
#else
  assert_true(iws__static_document_ok("/a:b"));
#endif
}

static void inside(void **state) {
  char root[16], in[32], deeper[32], sibling[32];
  (void)state;
  snprintf(root, sizeof(root), "%cr%cs", IWS__PATH_SEP, IWS__PATH_SEP);
  snprintf(in, sizeof(in), "%s%cf", root, IWS__PATH_SEP);
  snprintf(deeper, sizeof(deeper), "%s%cd%cf", root, IWS__PATH_SEP,
           IWS__PATH_SEP);
  snprintf(sibling, sizeof(sibling), "%sx%cf", root, IWS__PATH_SEP);
  assert_true(iws__path_inside(root, root));
  assert_true(iws__path_inside(root, in));
  assert_true(iws__path_inside(root, deeper));
  assert_false(iws__path_inside(root, sibling));
  assert_false(iws__path_inside(in, root));
  snprintf(root, sizeof(root), "%c", IWS__PATH_SEP);
  assert_true(iws__path_inside(root, in));
}

/* ---- a temporary tree ---- */

static char base[1024]; /* the temporary directory */
static char rootdir[1200], root_real[4096];

static void path_of(char *out, size_t size, const char *rel) {
  size_t i, n;
  snprintf(out, size, "%s/%s", base, rel);
  n = strlen(out);
  for (i = 0; i < n; i++)
    if (out[i] == '/') out[i] = IWS__PATH_SEP;
}

static void write_file(const char *rel, const char *text) {
  char p[1400];
  FILE *f;
  path_of(p, sizeof(p), rel);
  f = fopen(p, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void mkdir_rel(const char *rel) {
  char p[1400];
  path_of(p, sizeof(p), rel);
  assert_int_equal(make_dir(p), 0);
}

static int symlinks_made;

static int tree_setup(void **state) {
  int is_dir = 0;
  (void)state;
#ifdef _WIN32
  {
    char tmp[MAX_PATH];
    GetTempPathA(sizeof(tmp), tmp);
    snprintf(base, sizeof(base), "%siws_static_%lu", tmp,
             (unsigned long)GetCurrentProcessId());
    if (make_dir(base) != 0) return -1;
  }
#else
  {
    const char *tmp = getenv("TMPDIR");
    snprintf(base, sizeof(base), "%s/iws_static_XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(base)) return -1;
  }
#endif
  mkdir_rel("root");
  mkdir_rel("root/sub");
  mkdir_rel("root/empty");
  mkdir_rel("outside");
  write_file("root/index.html", "<h1>home</h1>");
  write_file("root/sub/page.txt", "page");
  write_file("root/sub/index.html", "sub index");
  write_file("outside/secret.txt", "secret");
#ifndef _WIN32
  {
    char p[1400], q[1400];
    path_of(p, sizeof(p), "root/link_in");
    if (symlink("sub/page.txt", p) != 0) return -1;
    path_of(p, sizeof(p), "root/link_dir");
    if (symlink("sub", p) != 0) return -1;
    path_of(p, sizeof(p), "root/link_out");
    path_of(q, sizeof(q), "outside/secret.txt");
    if (symlink(q, p) != 0) return -1;
    path_of(p, sizeof(p), "root/etc");
    if (symlink("/etc", p) != 0) return -1;
    path_of(p, sizeof(p), "root/dangling");
    if (symlink("../nowhere", p) != 0) return -1;
    symlinks_made = 1;
  }
#endif
  path_of(rootdir, sizeof(rootdir), "root");
  if (iws__path_real(rootdir, root_real, sizeof(root_real), &is_dir) != 0 ||
      !is_dir)
    return -1;
  return 0;
}

static int tree_teardown(void **state) {
  static const char *const files[] = {
      "root/index.html", "root/sub/page.txt", "root/sub/index.html",
      "outside/secret.txt", "root/link_in", "root/link_dir", "root/link_out",
      "root/etc", "root/dangling"};
  static const char *const dirs[] = {"root/sub", "root/empty", "root",
                                     "outside", ""};
  char p[1400];
  size_t i;
  (void)state;
  for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    path_of(p, sizeof(p), files[i]);
    remove(p);
  }
  for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    path_of(p, sizeof(p), dirs[i]);
#ifdef _WIN32
    _rmdir(p);
#else
    rmdir(p);
#endif
  }
  return 0;
}

static int ends_with(const char *s, const char *tail) {
  char t[256];
  size_t i, n = strlen(s), m = strlen(tail);
  if (m >= sizeof(t) || m > n) return 0;
  for (i = 0; i <= m; i++) t[i] = tail[i] == '/' ? IWS__PATH_SEP : tail[i];
  return strcmp(s + n - m, t) == 0;
}

static int res(const char *doc, char *out) {
  return iws__static_resolve(root_real, doc, "index.html", out, 4096);
}

static void resolve_tree(void **state) {
  char out[4096];
  (void)state;
  assert_int_equal(res("/index.html", out), IWS__RESOLVE_FILE);
  assert_true(ends_with(out, "root/index.html"));
  assert_true(iws__path_inside(root_real, out));
  assert_int_equal(res("/", out), IWS__RESOLVE_FILE);
  assert_true(ends_with(out, "root/index.html"));
  assert_int_equal(res("//sub//page.txt", out), IWS__RESOLVE_FILE);
  assert_true(ends_with(out, "root/sub/page.txt"));
  assert_int_equal(res("/./sub/./page.txt", out), IWS__RESOLVE_FILE);
  assert_int_equal(res("/sub", out), IWS__RESOLVE_REDIRECT);
  assert_int_equal(res("/sub/", out), IWS__RESOLVE_FILE);
  assert_true(ends_with(out, "root/sub/index.html"));
  assert_int_equal(res("/empty/", out), IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/empty", out), IWS__RESOLVE_REDIRECT);
  assert_int_equal(res("/missing.txt", out), IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/index.html/", out), IWS__RESOLVE_FILE);
  assert_int_equal(res("/../outside/secret.txt", out), IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/sub/../../outside/secret.txt", out),
                   IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/..\\outside\\secret.txt", out),
                   IWS__RESOLVE_NOT_FOUND);
  /* no index file: a directory is not found */
  assert_int_equal(iws__static_resolve(root_real, "/sub/", "", out, 4096),
                   IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(
      iws__static_resolve(root_real, "/sub/", "../index.html", out, 4096),
      IWS__RESOLVE_NOT_FOUND);
  /* too small an output */
  assert_int_equal(iws__static_resolve(root_real, "/index.html", "index.html",
                                       out, 4),
                   IWS__RESOLVE_NOT_FOUND);
}

static void resolve_symlinks(void **state) {
  char out[4096];
  (void)state;
  if (!symlinks_made) {
    /* Windows: symlinks need a privilege a test cannot count on; the
     * integration tests make them from the Linux side under Wine. */
    print_message("symlink cases: not made on this OS\n");
    skip();
  }
  assert_int_equal(res("/link_in", out), IWS__RESOLVE_FILE);
  assert_true(ends_with(out, "root/sub/page.txt"));
  assert_int_equal(res("/link_dir/page.txt", out), IWS__RESOLVE_FILE);
  assert_int_equal(res("/link_dir", out), IWS__RESOLVE_REDIRECT);
  assert_int_equal(res("/link_out", out), IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/etc/passwd", out), IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/etc/", out), IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/etc", out), IWS__RESOLVE_NOT_FOUND);
  assert_int_equal(res("/dangling", out), IWS__RESOLVE_NOT_FOUND);
}

static void files(void **state) {
  char p[1400], real[4096];
  iws__file *f = NULL;
  uint64_t size = 0;
  int64_t mtime = 0;
  uint8_t buf[16];
  size_t got = 99;
  (void)state;
  path_of(p, sizeof(p), "root/sub/page.txt");
  assert_int_equal(iws__file_open(p, &f, &size, &mtime), IWS_OK);
  assert_non_null(f);
  assert_true(size == 4);
  assert_true(mtime > 1600000000);
  assert_int_equal(iws__file_read(f, 1, buf, sizeof(buf), &got), 0);
  assert_int_equal(got, 3);
  assert_memory_equal(buf, "age", 3);
  assert_int_equal(iws__file_read(f, 0, buf, 2, &got), 0);
  assert_int_equal(got, 2);
  assert_memory_equal(buf, "pa", 2);
  assert_int_equal(iws__file_read(f, 4, buf, sizeof(buf), &got), 0);
  assert_int_equal(got, 0);
  assert_int_equal(iws__file_real_path(f, real, sizeof(real)), 0);
  assert_true(ends_with(real, "root/sub/page.txt"));
  assert_true(iws__path_inside(root_real, real));
  assert_int_equal(iws__file_real_path(f, real, 5), -1);
  iws__file_close(f);
  /* directories and missing files are not files */
  f = NULL;
  path_of(p, sizeof(p), "root/sub");
  assert_int_equal(iws__file_open(p, &f, &size, &mtime), IWS_E_FILE);
  assert_null(f);
  path_of(p, sizeof(p), "root/none");
  assert_int_equal(iws__file_open(p, &f, &size, &mtime), IWS_E_FILE);
  assert_null(f);
  iws__file_close(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mime),          cmocka_unit_test(date_format),
      cmocka_unit_test(date_parse),    cmocka_unit_test(range),
      cmocka_unit_test(documents),     cmocka_unit_test(inside),
      cmocka_unit_test(resolve_tree),  cmocka_unit_test(resolve_symlinks),
      cmocka_unit_test(files),
  };
  return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
