/* Unit tests: file segments in the send ring (iws__conn_queue_file) on the
 * memory back end (tests/fuzz/fake_backend.c): the bytes that leave are
 * the head then the file's range, in order with what is queued behind;
 * the file is closed once sent, when the connection drops with it still
 * queued, and when a truncated file ends the connection. POSIX only (the
 * descriptor count comes from /proc/self/fd). */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fake_backend.h"
#include "http.h"
#include "test_cert.h"

#define FILE_SIZE (300 * 1024 + 7)

static char path[256];
static uint8_t *content;
static iws_server *server;

static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void write_content(size_t size) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(content, 1, size, f), size);
  fclose(f);
}

static int setup(void **state) {
  const char *tmp = getenv("TMPDIR");
  size_t i;
  int fd;
  (void)state;
  snprintf(path, sizeof(path), "%s/iws_send_file_XXXXXX", tmp ? tmp : "/tmp");
  fd = mkstemp(path);
  if (fd < 0) return -1;
  close(fd);
  content = malloc(FILE_SIZE);
  if (!content) return -1;
  for (i = 0; i < FILE_SIZE; i++) content[i] = (uint8_t)(i * 131 + (i >> 9));
  if (iws_create(IWS_ABI_VERSION, NULL, NULL, &server) != IWS_OK) return -1;
  iws_set_int(server, IWS_OPT_LOG_LEVEL, 0);
  iws_set_int(server, IWS_OPT_IO_THREADS, 1);
  return iws_start(server) == IWS_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  iws_destroy(server);
  unlink(path);
  free(content);
  return 0;
}

static iws__file *open_content(size_t size) {
  iws__file *f = NULL;
  uint64_t fsize = 0;
  int64_t mtime = 0;
  write_content(size);
  assert_int_equal(iws__file_open(path, &f, &fsize, &mtime), IWS_OK);
  assert_true(fsize == size);
  return f;
}

static iws__chunk *text_chunk(const char *s) {
  iws__chunk *c = iws__chunk_new(strlen(s));
  assert_non_null(c);
  memcpy(c->data, s, strlen(s));
  return c;
}

/* head, file[offset, offset+length), tail: exactly these bytes leave. */
static void sends_range(uint64_t offset, uint64_t length) {
  iws__sock sock;
  iws__conn *conn;
  iws__chunk *head = text_chunk("HEAD\r\n"), *tail = text_chunk("TAIL");
  uint8_t *out;
  size_t out_len;
  int fds = open_fds();
  memset(&sock, 0, sizeof(sock));
  sock.keep_output = 1;
  conn = fake_accept(server, &sock, IWS__LISTEN_PLAIN);
  assert_non_null(conn);
  iws__mutex_lock(iws__conn_mutex(conn));
  conn->state = IWS__OPEN; /* iws__conn_send_chunk wants an open one */
  iws__mutex_unlock(iws__conn_mutex(conn));
  assert_int_equal(iws__conn_send_chunk(conn, head, 0), IWS_OK);
  assert_int_equal(
      iws__conn_queue_file(conn, open_content(FILE_SIZE), offset, length),
      IWS_OK);
  assert_int_equal(iws__conn_send_chunk(conn, tail, 0), IWS_OK);
  iws__chunk_unref(head);
  iws__chunk_unref(tail);
  out = fake_take(&sock, &out_len);
  assert_int_equal(out_len, 6 + length + 4);
  assert_memory_equal(out, "HEAD\r\n", 6);
  if (length) assert_memory_equal(out + 6, content + offset, length);
  assert_memory_equal(out + 6 + length, "TAIL", 4);
  free(out);
  assert_false(sock.closed);
  /* sent: the file is closed already */
  assert_int_equal(open_fds(), fds);
  assert_int_equal(fake_finish(&sock), 0);
}

static void whole_file(void **state) {
  (void)state;
  sends_range(0, FILE_SIZE);
}

static void ranges(void **state) {
  (void)state;
  sends_range(0, 1);
  sends_range(FILE_SIZE - 1, 1);
  sends_range(12345, 100000);
  sends_range(16384, 16384);
  sends_range(0, 0); /* nothing to send: closed at once */
}

static void dropped_with_file_queued(void **state) {
  iws__sock sock;
  iws__conn *conn;
  int fds = open_fds();
  (void)state;
  memset(&sock, 0, sizeof(sock));
  sock.slow = 1; /* writes stay pending: the file stays queued */
  conn = fake_accept(server, &sock, IWS__LISTEN_PLAIN);
  assert_non_null(conn);
  assert_int_equal(iws__conn_queue_file(conn, open_content(FILE_SIZE), 0,
                                        FILE_SIZE),
                   IWS_OK);
  assert_int_equal(iws__conn_queue_file(conn, open_content(FILE_SIZE), 10,
                                        FILE_SIZE - 10),
                   IWS_OK);
  assert_true(sock.pending);
  fake_drain(&sock, 3, 1000);
  assert_int_equal(open_fds(), fds + 2);
  assert_int_equal(fake_finish(&sock), 0); /* the client leaves */
  assert_int_equal(open_fds(), fds);
}

static void truncated_while_sent(void **state) {
  iws__sock sock;
  iws__conn *conn;
  int fds = open_fds();
  (void)state;
  memset(&sock, 0, sizeof(sock));
  sock.slow = 1;
  conn = fake_accept(server, &sock, IWS__LISTEN_PLAIN);
  assert_non_null(conn);
  assert_int_equal(iws__conn_queue_file(conn, open_content(FILE_SIZE), 0,
                                        FILE_SIZE),
                   IWS_OK);
  fake_drain(&sock, 2, 1u << 20);
  assert_false(sock.closed);
  assert_int_equal(truncate(path, 20000), 0);
  fake_drain(&sock, 100, 1u << 20);
  /* the promised bytes cannot come: the connection is reset, not hung */
  assert_true(sock.closed);
  assert_true(sock.abortive);
  assert_int_equal(fake_finish(&sock), 0);
  assert_int_equal(open_fds(), fds);
}

static void closed_connection_refuses(void **state) {
  iws__sock sock;
  iws__conn *conn;
  int fds = open_fds();
  (void)state;
  memset(&sock, 0, sizeof(sock));
  conn = fake_accept(server, &sock, IWS__LISTEN_PLAIN);
  assert_non_null(conn);
  iws__conn_ref(conn);
  assert_int_equal(fake_finish(&sock), 0);
  assert_int_equal(
      iws__conn_queue_file(conn, open_content(10), 0, 10),
      IWS_E_NO_CONNECTION);
  iws__conn_unref(conn);
  assert_int_equal(iws__conn_queue_file(NULL, open_content(10), 0, 10),
                   IWS_E_INVALID_ARG);
  assert_int_equal(open_fds(), fds);
}

/* TLS: the file is read and encrypted as the ciphertext drains; a client
 * on memory BIOs decrypts exactly the file. */
static void over_tls(void **state) {
  iws_server *tls_server = NULL;
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL *cl;
  BIO *to_client = BIO_new(BIO_s_mem()), *from_client = BIO_new(BIO_s_mem());
  iws__sock sock;
  iws__conn *conn;
  uint8_t *got = malloc(FILE_SIZE + 1);
  size_t have = 0;
  int fds, rounds;
  (void)state;
  assert_non_null(ctx);
  assert_non_null(got);
  assert_int_equal(iws_create(IWS_ABI_VERSION, NULL, NULL, &tls_server),
                   IWS_OK);
  iws_set_int(tls_server, IWS_OPT_LOG_LEVEL, 0);
  iws_set_int(tls_server, IWS_OPT_PORT, -1);
  iws_set_int(tls_server, IWS_OPT_TLS_PORT, 0);
  iws_set_str(tls_server, IWS_OPT_TLS_CERT_PEM, fuzz_cert_pem);
  iws_set_str(tls_server, IWS_OPT_TLS_KEY_PEM, fuzz_key_pem);
  assert_int_equal(iws_start(tls_server), IWS_OK);
  fds = open_fds();
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  cl = SSL_new(ctx);
  assert_non_null(cl);
  SSL_set_bio(cl, to_client, from_client);
  SSL_set_connect_state(cl);
  memset(&sock, 0, sizeof(sock));
  sock.keep_output = 1;
  conn = fake_accept(tls_server, &sock, IWS__LISTEN_TLS);
  assert_non_null(conn);
  for (rounds = 0; rounds < 100000 && !sock.closed; rounds++) {
    uint8_t buf[16384];
    size_t n;
    uint8_t *out = fake_take(&sock, &n);
    int r, progress = n > 0;
    if (n) BIO_write(to_client, out, (int)n);
    free(out);
    if (!SSL_is_init_finished(cl)) (void)SSL_do_handshake(cl);
    while ((r = BIO_read(from_client, buf, sizeof(buf))) > 0) {
      fake_feed(&sock, buf, (size_t)r);
      progress = 1;
    }
    if (SSL_is_init_finished(cl) && conn) {
      /* handshake done: the file goes behind the session tickets */
      assert_int_equal(iws__conn_queue_file(conn, open_content(FILE_SIZE), 0,
                                            FILE_SIZE),
                       IWS_OK);
      conn = NULL;
      progress = 1;
    }
    while ((r = SSL_read(cl, buf, sizeof(buf))) > 0) {
      assert_true(have + (size_t)r <= FILE_SIZE);
      memcpy(got + have, buf, (size_t)r);
      have += (size_t)r;
      progress = 1;
    }
    if (!progress && have == FILE_SIZE) break;
  }
  assert_false(sock.closed);
  assert_int_equal(have, FILE_SIZE);
  assert_memory_equal(got, content, FILE_SIZE);
  assert_int_equal(open_fds(), fds); /* sent: closed */
  assert_int_equal(fake_finish(&sock), 0);
  SSL_free(cl);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  free(got);
  iws_destroy(tls_server);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(whole_file),
      cmocka_unit_test(ranges),
      cmocka_unit_test(dropped_with_file_queued),
      cmocka_unit_test(truncated_while_sent),
      cmocka_unit_test(closed_connection_refuses),
      cmocka_unit_test(over_tls),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
