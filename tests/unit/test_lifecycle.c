/* Life-cycle endurance through the shared library (issue 8): start/stop 100
 * times in a row, and create/start/stop/destroy 100 times, each cycle with a
 * live connection now and then, must leave no thread, descriptor or handle
 * behind (counted before and after; under the asan tiers LeakSanitizer
 * checks memory at exit). Plus the misuse the API promises to survive:
 * wrong struct sizes, and stop/destroy from inside every kind of callback,
 * on I/O threads and on worker threads. */
#define _DEFAULT_SOURCE

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <tlhelp32.h>
#endif
#include "portable.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#ifdef _WIN32
typedef SOCKET sock_t;
#define SOCK_INVALID INVALID_SOCKET
#define sock_close closesocket
#else
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
typedef int sock_t;
#define SOCK_INVALID (-1)
#define sock_close close
#endif

#include "iocpws.h"

/* ---- what the process holds ---- */

#ifdef _WIN32
static long count_threads(void) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  THREADENTRY32 te;
  DWORD me = GetCurrentProcessId();
  long n = 0;
  if (snap == INVALID_HANDLE_VALUE) return -1;
  te.dwSize = sizeof te;
  if (Thread32First(snap, &te)) {
    do {
      if (te.th32OwnerProcessID == me) n++;
      te.dwSize = sizeof te;
    } while (Thread32Next(snap, &te));
  }
  CloseHandle(snap);
  return n;
}
static long count_handles(void) {
  DWORD n = 0;
  return GetProcessHandleCount(GetCurrentProcess(), &n) ? (long)n : -1;
}
#else
static long count_dir(const char *path) {
  DIR *d = opendir(path);
  struct dirent *e;
  long n = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}
static long count_threads(void) { return count_dir("/proc/self/task"); }
static long count_handles(void) {
  long n = count_dir("/proc/self/fd");
  return n < 0 ? n : n - 1; /* the directory being read */
}
#endif

/* Threads end a little after they are joined on some systems (Wine):
 * waits up to 2 s for the count to come back. */
static long settle_threads(long want) {
  long n = count_threads();
  int i;
  for (i = 0; i < 200 && n > want; i++) {
    pt_sleep_ms(10);
    n = count_threads();
  }
  return n;
}

/* ---- a minimal client ---- */

static sock_t connect_to(uint32_t port) {
  struct sockaddr_in a;
  sock_t fd = socket(AF_INET, SOCK_STREAM, 0);
#ifdef _WIN32
  DWORD tv = 5000;
#else
  struct timeval tv = {5, 0};
#endif
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_true(fd != SOCK_INVALID);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, (const void *)&tv, sizeof(tv));
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

/* Upgrade, then a masked text frame; returns the socket (open). */
static sock_t open_ws(uint32_t port, const char *text) {
  static const char req[] =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  char buf[512];
  uint8_t frame[140];
  size_t got = 0, n = strlen(text), i;
  sock_t fd = connect_to(port);
  assert_int_equal(send(fd, req, (int)sizeof(req) - 1, 0),
                   (int)sizeof(req) - 1);
  while (got + 1 < sizeof(buf)) {
    long r = recv(fd, buf + got, 1, 0);
    if (r <= 0) break;
    got++;
    if (got >= 4 && memcmp(buf + got - 4, "\r\n\r\n", 4) == 0) break;
  }
  buf[got] = '\0';
  assert_non_null(strstr(buf, " 101 "));
  frame[0] = 0x81;
  frame[1] = (uint8_t)(0x80 | n);
  memcpy(frame + 2, "\x11\x22\x33\x44", 4);
  for (i = 0; i < n; i++) frame[6 + i] = (uint8_t)(text[i] ^ frame[2 + i % 4]);
  assert_int_equal(send(fd, (const char *)frame, (int)(6 + n), 0),
                   (int)(6 + n));
  return fd;
}

/* ---- callbacks ---- */

typedef struct record {
  pt_mutex lock;
  int connects, disconnects, messages, errors;
  int32_t stop_rc, destroy_rc;
  int called_in; /* which callback tried stop/destroy */
} record;

static record rec;
static int misuse_in; /* 1 connect, 2 message, 3 disconnect */

static void try_owner_calls(iws_server *s, int where) {
  int32_t a = iws_stop(s), b = iws_destroy(s);
  pt_mutex_lock(&rec.lock);
  rec.stop_rc = a;
  rec.destroy_rc = b;
  rec.called_in = where;
  pt_mutex_unlock(&rec.lock);
}

static int32_t IWS_CALLBACK cb_connect(iws_server *s, iws_conn_id id,
                                       iws_request *r, void *user) {
  (void)id;
  (void)r;
  (void)user;
  pt_mutex_lock(&rec.lock);
  rec.connects++;
  pt_mutex_unlock(&rec.lock);
  if (misuse_in == 1) try_owner_calls(s, 1);
  return IWS_ACCEPT;
}

static void IWS_CALLBACK cb_message(iws_server *s, iws_conn_id id,
                                    uint32_t op, const uint8_t *data,
                                    uint64_t len, void *user) {
  (void)user;
  pt_mutex_lock(&rec.lock);
  rec.messages++;
  pt_mutex_unlock(&rec.lock);
  iws_send(s, id, op, data, len);
  if (misuse_in == 2) try_owner_calls(s, 2);
}

static void IWS_CALLBACK cb_disconnect(iws_server *s, iws_conn_id id,
                                       uint32_t code, const char *reason,
                                       uint32_t rlen, void *user) {
  (void)id;
  (void)code;
  (void)reason;
  (void)rlen;
  (void)user;
  pt_mutex_lock(&rec.lock);
  rec.disconnects++;
  pt_mutex_unlock(&rec.lock);
  if (misuse_in == 3) try_owner_calls(s, 3);
}

static iws_server *make_server(uint32_t io, uint32_t workers) {
  iws_callbacks cb;
  iws_server *s = NULL;
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_connect = cb_connect;
  cb.on_message = cb_message;
  cb.on_disconnect = cb_disconnect;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, 0), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_BIND_ADDRESS, "127.0.0.1"), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_IO_THREADS, io), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_WORKER_THREADS, workers), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_STOP_TIMEOUT_MS, 200), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_LOG_LEVEL, 0), IWS_OK);
  return s;
}

static void reset_record(void) {
  pt_mutex_lock(&rec.lock);
  rec.connects = rec.disconnects = rec.messages = rec.errors = 0;
  rec.stop_rc = rec.destroy_rc = 1;
  rec.called_in = 0;
  pt_mutex_unlock(&rec.lock);
}

static int snapshot_disconnects(void) {
  int n;
  pt_mutex_lock(&rec.lock);
  n = rec.disconnects;
  pt_mutex_unlock(&rec.lock);
  return n;
}

/* ---- tests ---- */

#define CYCLES 100

static void start_stop_100_times_leaves_nothing_behind(void **state) {
  long threads0, handles0, threads1, handles1;
  iws_server *s;
  int i;
  (void)state;
  reset_record();
  s = make_server(2, 2);
  /* A first cycle warms up what the system keeps for good (Winsock's
   * helper threads, OpenSSL's tables). */
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_stop(s), IWS_OK);
  threads0 = settle_threads(0x7fffffff);
  handles0 = count_handles();
  for (i = 0; i < CYCLES; i++) {
    uint32_t port = 0;
    assert_int_equal(iws_start(s), IWS_OK);
    if (i % 10 == 0) {
      /* Now and then a connection that is open when stop comes. */
      sock_t fd;
      assert_int_equal(iws_get_port(s, &port), IWS_OK);
      fd = open_ws(port, "hello");
      assert_int_equal(iws_stop(s), IWS_OK);
      sock_close(fd);
    } else {
      assert_int_equal(iws_stop(s), IWS_OK);
    }
  }
  threads1 = settle_threads(threads0);
  handles1 = count_handles();
  print_message("threads %ld -> %ld, descriptors/handles %ld -> %ld after %d "
                "start/stop cycles\n",
                threads0, threads1, handles0, handles1, CYCLES);
  assert_int_equal(rec.connects, CYCLES / 10);
  assert_int_equal(rec.disconnects, CYCLES / 10);
  assert_true(threads1 <= threads0);
  /* Windows handle counts move a little on their own (Wine's, too). */
#ifdef _WIN32
  assert_true(handles1 <= handles0 + 8);
#else
  assert_int_equal(handles1, handles0);
#endif
  assert_int_equal(iws_destroy(s), IWS_OK);
}

static void create_start_stop_destroy_100_times(void **state) {
  long threads0, handles0, threads1, handles1;
  int i;
  (void)state;
  reset_record();
  {
    iws_server *w = make_server(1, 1);
    assert_int_equal(iws_start(w), IWS_OK);
    assert_int_equal(iws_destroy(w), IWS_OK);
  }
  threads0 = settle_threads(0x7fffffff);
  handles0 = count_handles();
  for (i = 0; i < CYCLES; i++) {
    iws_server *s = make_server(1 + (uint32_t)(i % 2), (uint32_t)(i % 3));
    assert_int_equal(iws_start(s), IWS_OK);
    if (i % 10 == 5) {
      uint32_t port = 0;
      sock_t fd;
      assert_int_equal(iws_get_port(s, &port), IWS_OK);
      fd = open_ws(port, "bye");
      assert_int_equal(iws_destroy(s), IWS_OK); /* destroy stops first */
      sock_close(fd);
    } else {
      assert_int_equal(iws_destroy(s), IWS_OK);
    }
  }
  threads1 = settle_threads(threads0);
  handles1 = count_handles();
  print_message("threads %ld -> %ld, descriptors/handles %ld -> %ld after %d "
                "create/start/destroy cycles\n",
                threads0, threads1, handles0, handles1, CYCLES);
  assert_int_equal(rec.disconnects, CYCLES / 10);
  assert_true(threads1 <= threads0);
#ifdef _WIN32
  assert_true(handles1 <= handles0 + 8);
#else
  assert_int_equal(handles1, handles0);
#endif
}

static void wrong_struct_sizes_are_errors(void **state) {
  iws_server *s = make_server(1, 0);
  iws_stats st;
  iws_callbacks cb;
  iws_server *out = NULL;
  (void)state;
  memset(&st, 0, sizeof(st));
  st.struct_size = 0;
  assert_int_equal(iws_get_stats(s, &st), IWS_E_STRUCT_SIZE);
  st.struct_size = 3;
  assert_int_equal(iws_get_stats(s, &st), IWS_E_STRUCT_SIZE);
  {
    /* A caller newer than the library: what the library knows is filled,
     * the rest is left alone (documented in iocpws.h). */
    union {
      iws_stats st;
      uint8_t bytes[sizeof(iws_stats) + 64];
    } big;
    memset(&big, 0xab, sizeof(big));
    big.st.struct_size = (uint32_t)sizeof(big);
    assert_int_equal(iws_get_stats(s, &big.st), IWS_OK);
    assert_int_equal(big.bytes[sizeof(iws_stats)], 0xab);
    assert_int_equal(big.bytes[sizeof(big) - 1], 0xab);
  }
  st.struct_size = (uint32_t)sizeof(st);
  assert_int_equal(iws_get_stats(s, &st), IWS_OK);
  assert_int_equal(iws_get_stats(s, NULL), IWS_E_INVALID_ARG);
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = 0xFFFFFFFFu;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &out),
                   IWS_E_STRUCT_SIZE);
  assert_null(out);
  cb.struct_size = (uint32_t)sizeof(cb);
  assert_int_equal(iws_create(IWS_ABI_VERSION + 1, &cb, NULL, &out),
                   IWS_E_ABI_MISMATCH);
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

/* stop and destroy inside on_connect, on_message and on_disconnect, with
 * callbacks on I/O threads (workers 0) and on worker threads (workers 2):
 * IWS_E_IN_CALLBACK each time, the server keeps working, and a later stop
 * from the owner thread works. */
static void stop_and_destroy_inside_each_callback(void **state) {
  int where, workers;
  (void)state;
  for (workers = 0; workers <= 2; workers += 2) {
    for (where = 1; where <= 3; where++) {
      iws_server *s = make_server(1, (uint32_t)workers);
      uint32_t port = 0;
      sock_t fd;
      char buf[64];
      int i;
      reset_record();
      misuse_in = where;
      assert_int_equal(iws_start(s), IWS_OK);
      assert_int_equal(iws_get_port(s, &port), IWS_OK);
      fd = open_ws(port, "echo");
      /* The echo proves the server still runs after the refused calls. */
      assert_true(recv(fd, buf, 2, 0) == 2);
      if (where == 3) {
        sock_close(fd); /* on_disconnect runs now */
        for (i = 0; i < 500 && snapshot_disconnects() == 0; i++)
          pt_sleep_ms(10);
      }
      for (i = 0; i < 500; i++) {
        int done;
        pt_mutex_lock(&rec.lock);
        done = rec.called_in != 0;
        pt_mutex_unlock(&rec.lock);
        if (done) break;
        pt_sleep_ms(10);
      }
      assert_int_equal(rec.called_in, where);
      assert_int_equal(rec.stop_rc, IWS_E_IN_CALLBACK);
      assert_int_equal(rec.destroy_rc, IWS_E_IN_CALLBACK);
      assert_int_equal(iws_stop(s), IWS_OK);
      assert_int_equal(iws_destroy(s), IWS_OK);
      if (where != 3) sock_close(fd);
      assert_int_equal(rec.connects, 1);
      assert_int_equal(rec.disconnects, 1);
    }
  }
  misuse_in = 0;
}

int main(void) {
  int failed;
#ifdef _WIN32
  WSADATA wsa;
#endif
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(start_stop_100_times_leaves_nothing_behind),
      cmocka_unit_test(create_start_stop_destroy_100_times),
      cmocka_unit_test(wrong_struct_sizes_are_errors),
      cmocka_unit_test(stop_and_destroy_inside_each_callback),
  };
  pt_mutex_init(&rec.lock);
#ifdef _WIN32
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    fprintf(stderr, "WSAStartup failed\n");
    return 1;
  }
#endif
  failed = cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
#ifdef _WIN32
  WSACleanup();
#endif
  return failed;
}
