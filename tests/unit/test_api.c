/* Unit tests of the public API through the shared library: misuse returns
 * errors (never crashes), life cycle, options while running, and the rules
 * that need a live connection (a tiny raw-socket client drives those). */
#define _DEFAULT_SOURCE

#ifdef _WIN32
/* Before anything that may include <windows.h>. */
#include <winsock2.h>
#include <ws2tcpip.h>
#endif
/* Locks and sleeping: POSIX or Win32. */
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
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
typedef int sock_t;
#define SOCK_INVALID (-1)
#define sock_close close
#endif

#include "iocpws.h"

/* ---- a minimal client ---- */

/* read() / write() on the client socket: recv() / send() on Windows. */
static long sock_read(sock_t fd, void *buf, size_t len) {
#ifdef _WIN32
  return recv(fd, (char *)buf, (int)len, 0);
#else
  return (long)read(fd, buf, len);
#endif
}

static long sock_write(sock_t fd, const void *buf, size_t len) {
#ifdef _WIN32
  return send(fd, (const char *)buf, (int)len, 0);
#else
  return (long)write(fd, buf, len);
#endif
}

static sock_t connect_to(uint32_t port) {
  struct sockaddr_in a;
  sock_t fd = socket(AF_INET, SOCK_STREAM, 0);
#ifdef _WIN32
  DWORD tv = 5000; /* SO_RCVTIMEO: milliseconds on Windows */
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

/* Sends the upgrade request and reads the answer head into buf. */
static void upgrade(sock_t fd, const char *path, char *buf, size_t size) {
  char req[512];
  size_t got = 0;
  int n = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   path);
  assert_int_equal(sock_write(fd, req, (size_t)n), n);
  while (got + 1 < size) {
    long r = sock_read(fd, buf + got, 1);
    if (r <= 0) break;
    got++;
    buf[got] = '\0';
    if (got >= 4 && memcmp(buf + got - 4, "\r\n\r\n", 4) == 0) break;
  }
  buf[got] = '\0';
}

/* Sends one masked text frame (payload < 126). */
static void send_text(sock_t fd, const char *text) {
  uint8_t frame[140];
  size_t n = strlen(text), i;
  frame[0] = 0x81;
  frame[1] = (uint8_t)(0x80 | n);
  memcpy(frame + 2, "\x11\x22\x33\x44", 4);
  for (i = 0; i < n; i++) frame[6 + i] = (uint8_t)(text[i] ^ frame[2 + i % 4]);
  assert_int_equal(sock_write(fd, frame, 6 + n), (long)(6 + n));
}

/* Reads one unmasked server frame header + payload; returns the opcode. */
static int read_frame(sock_t fd, char *payload, size_t size) {
  uint8_t h[2];
  size_t len, got = 0;
  if (sock_read(fd, h, 2) != 2) return -1;
  len = h[1] & 0x7f;
  assert_true(len < 126 && len < size);
  while (got < len) {
    long r = sock_read(fd, payload + got, len - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  payload[len] = '\0';
  return h[0] & 0x0f;
}

static void sleep_ms(int ms) { pt_sleep_ms((unsigned)ms); }

/* ---- recorded callback results ---- */

typedef struct record {
  pt_mutex lock;
  int connects, disconnects, messages;
  int32_t stop_rc, destroy_rc, set_rc, start_rc;
  iws_conn_id last_id;
  uint32_t last_code;
  int stop_in_message;
  iws_server *early_server; /* "/early": a foreign thread sends in on_connect */
  iws_conn_id early_id;
  int32_t early_rc;
  int early_done;
} record;

static record rec;

/* Reads a field the callbacks write, under their lock: the test thread
 * polls while an I/O thread may be writing (ThreadSanitizer sees no other
 * ordering between them). */
static int rec_int(const int *field) {
  int v;
  pt_mutex_lock(&rec.lock);
  v = *field;
  pt_mutex_unlock(&rec.lock);
  return v;
}

static uint32_t rec_u32(const uint32_t *field) {
  uint32_t v;
  pt_mutex_lock(&rec.lock);
  v = *field;
  pt_mutex_unlock(&rec.lock);
  return v;
}

/* Another thread sends to a connection whose on_connect is still running. */
static void early_sender(void *arg) {
  record *r = arg;
  int32_t rc = iws_send_text(r->early_server, r->early_id, "early", 5);
  pt_mutex_lock(&r->lock);
  r->early_rc = rc;
  r->early_done = 1;
  pt_mutex_unlock(&r->lock);
}

static int32_t IWS_CALLBACK cb_connect(iws_server *s, iws_conn_id id,
                                       iws_request *req, void *user) {
  record *r = user;
  pt_mutex_lock(&r->lock);
  r->connects++;
  r->last_id = id;
  pt_mutex_unlock(&r->lock);
  if (strcmp(iws_request_path(req), "/early") == 0) {
    int i, done = 0;
    r->early_server = s;
    r->early_id = id;
    pt_thread_start_detached(early_sender, r);
    for (i = 0; i < 500 && !done; i++) {
      pt_mutex_lock(&r->lock);
      done = r->early_done;
      pt_mutex_unlock(&r->lock);
      if (!done) pt_sleep_ms(5);
    }
  }
  if (strcmp(iws_request_path(req), "/refuse") == 0) return 403;
  if (strcmp(iws_request_path(req), "/weird") == 0) return 42;
  return IWS_ACCEPT;
}

static void IWS_CALLBACK cb_message(iws_server *s, iws_conn_id id,
                                    uint32_t opcode, const uint8_t *data,
                                    uint64_t len, void *user) {
  record *r = user;
  pt_mutex_lock(&r->lock);
  r->messages++;
  if (r->stop_in_message) {
    r->stop_rc = iws_stop(s);
    r->destroy_rc = iws_destroy(s);
    r->set_rc = iws_set_int(s, IWS_OPT_PORT, 1);
    r->start_rc = iws_start(s);
  }
  pt_mutex_unlock(&r->lock);
  iws_send(s, id, opcode, data, len);
}

static void IWS_CALLBACK cb_disconnect(iws_server *s, iws_conn_id id,
                                       uint32_t code, const char *reason,
                                       uint32_t rlen, void *user) {
  record *r = user;
  (void)s;
  (void)reason;
  (void)rlen;
  (void)id;
  pt_mutex_lock(&r->lock);
  r->disconnects++;
  r->last_code = code;
  pt_mutex_unlock(&r->lock);
}

static iws_server *make_server(void) {
  iws_callbacks cb;
  iws_server *s = NULL;
  memset(&rec, 0, sizeof(rec));
  pt_mutex_init(&rec.lock);
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_connect = cb_connect;
  cb.on_message = cb_message;
  cb.on_disconnect = cb_disconnect;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, &rec, &s), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_BIND_ADDRESS, "127.0.0.1"), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_IO_THREADS, 2), IWS_OK);
  return s;
}

/* ---- tests ---- */

static void null_and_garbage_handles_are_errors(void **state) {
  char buf[64];
  uint32_t u32;
  int64_t i64;
  void *p;
  iws_stats st;
  int garbage[64];
  iws_server *bad = (iws_server *)(void *)garbage;
  (void)state;
  memset(garbage, 0x5a, sizeof(garbage));
  st.struct_size = sizeof(st);
  assert_int_equal(iws_set_int(NULL, IWS_OPT_PORT, 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_set_str(NULL, IWS_OPT_BIND_ADDRESS, "::"),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_get_int(NULL, IWS_OPT_PORT, &i64), IWS_E_INVALID_ARG);
  assert_int_equal(iws_get_str(NULL, IWS_OPT_BIND_ADDRESS, buf, 64, NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_start(NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_stop(NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_destroy(NULL), IWS_OK);
  assert_int_equal(iws_get_port(NULL, &u32), IWS_E_INVALID_ARG);
  assert_int_equal(iws_send_text(NULL, 1, "x", 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_send_binary(NULL, 1, "x", 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_ping(NULL, 1, NULL, 0), IWS_E_INVALID_ARG);
  assert_int_equal(iws_close(NULL, 1, 1000, NULL, 0), IWS_E_INVALID_ARG);
  assert_int_equal(iws_disconnect(NULL, 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_broadcast(NULL, IWS_OP_TEXT, "x", 1, NULL, 0, NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_set_user_data(NULL, 1, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_get_user_data(NULL, 1, &p), IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_peer(NULL, 1, buf, 64, &u32), IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_path(NULL, 1, buf, 64, &u32), IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_local(NULL, 1, buf, 64, &u32), IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_peer_chain_cert(NULL, 1, 0, 0, buf, 64, NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_request_add_response_header(NULL, "X-A", "b"),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_head_refuse(NULL, 400, NULL, NULL, NULL, 0),
                   IWS_E_INVALID_ARG);
  {
    uint64_t ms = 7;
    assert_int_equal(iws_conn_last_pong(NULL, 1, &ms), IWS_E_INVALID_ARG);
  }
  assert_int_equal(iws_get_stats(NULL, &st), IWS_E_INVALID_ARG);
  assert_int_equal(iws_last_error(NULL, buf, 64), IWS_E_INVALID_ARG);
  /* A pointer that is not a server (detected by its magic). */
  assert_int_equal(iws_start(bad), IWS_E_INVALID_ARG);
  assert_int_equal(iws_send_text(bad, 1, "x", 1), IWS_E_INVALID_ARG);
  assert_null(iws_request_path(NULL));
  assert_null(iws_request_header(NULL, "Host"));
  assert_int_equal(iws_request_header_count(NULL), 0);
  assert_int_equal(iws_request_select_protocol(NULL, "x"), IWS_E_INVALID_ARG);
}

static void options_through_the_api(void **state) {
  iws_server *s = make_server();
  int64_t v;
  char buf[64], detail[256];
  uint32_t needed = 0;
  (void)state;
  assert_int_equal(iws_set_int(s, IWS_OPT_MAX_MESSAGE_SIZE, 0),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws_last_error(s, detail, sizeof(detail)),
                   IWS_E_OPTION_RANGE);
  assert_non_null(strstr(detail, "max_message_size"));
  assert_int_equal(iws_set_int(s, 424242, 1), IWS_E_UNKNOWN_OPTION);
  assert_int_equal(iws_set_int(s, IWS_OPT_SUBPROTOCOLS, 1), IWS_E_OPTION_TYPE);
  assert_int_equal(iws_get_int(s, IWS_OPT_BIND_ADDRESS, &v),
                   IWS_E_OPTION_TYPE);
  assert_int_equal(iws_get_int(s, IWS_OPT_IO_THREADS, &v), IWS_OK);
  assert_int_equal(v, 2);
  assert_int_equal(iws_get_int(s, IWS_OPT_PORT, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_set_str(s, IWS_OPT_BIND_ADDRESS, "not-an-ip"),
                   IWS_E_ADDRESS);
  assert_int_equal(iws_get_str(s, IWS_OPT_BIND_ADDRESS, buf, 4, &needed),
                   IWS_E_BUFFER_TOO_SMALL);
  assert_int_equal(needed, 10);
  assert_string_equal(buf, "");
  assert_int_equal(iws_get_str(s, IWS_OPT_BIND_ADDRESS, buf, sizeof(buf),
                               &needed),
                   IWS_OK);
  assert_string_equal(buf, "127.0.0.1");
  assert_int_equal(iws_get_str(s, IWS_OPT_PORT, buf, sizeof(buf), NULL),
                   IWS_E_OPTION_TYPE);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

static void life_cycle_and_wrong_states(void **state) {
  iws_server *s = make_server(), *other = NULL;
  uint32_t port = 0, port2 = 0;
  char detail[256];
  iws_callbacks none;
  (void)state;
  assert_int_equal(iws_get_port(s, &port), IWS_E_BAD_STATE);
  assert_int_equal(iws_send_text(s, 1, "x", 1), IWS_E_BAD_STATE);
  assert_int_equal(iws_stop(s), IWS_OK); /* stopping a stopped server */
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_BAD_STATE);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);
  assert_true(port > 0);
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, 1), IWS_E_BAD_STATE);
  assert_int_equal(iws_send_text(s, 999, "x", 1), IWS_E_NO_CONNECTION);
  assert_int_equal(iws_send_text(s, 999, "\xff", 1), IWS_E_INVALID_UTF8);
  assert_int_equal(iws_send(s, 999, 7, "x", 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_send_text(s, 999, NULL, 5), IWS_E_INVALID_ARG);
  assert_int_equal(iws_close(s, 999, 1005, NULL, 0), IWS_E_CLOSE_CODE);
  assert_int_equal(iws_close(s, 999, 999, NULL, 0), IWS_E_CLOSE_CODE);
  assert_int_equal(iws_close(s, 999, 1000, "\xc0\x80", 2), IWS_E_INVALID_UTF8);
  assert_int_equal(iws_close(s, 999, 1000, detail, 124), IWS_E_TOO_LONG);
  assert_int_equal(iws_close(s, 999, 1000, NULL, 0), IWS_E_NO_CONNECTION);
  assert_int_equal(iws_ping(s, 999, detail, 126), IWS_E_TOO_LONG);
  assert_int_equal(iws_disconnect(s, 999), IWS_E_NO_CONNECTION);

  /* A second server on the same port: a bind error with detail. */
  memset(&none, 0, sizeof(none));
  none.struct_size = sizeof(none);
  assert_int_equal(iws_create(IWS_ABI_VERSION, &none, NULL, &other), IWS_OK);
  assert_int_equal(iws_set_str(other, IWS_OPT_BIND_ADDRESS, "127.0.0.1"),
                   IWS_OK);
  assert_int_equal(iws_set_int(other, IWS_OPT_PORT, port), IWS_OK);
  assert_int_equal(iws_start(other), IWS_E_BIND);
  assert_int_equal(iws_last_error(other, detail, sizeof(detail)), IWS_E_BIND);
  assert_non_null(strstr(detail, "bind"));
  assert_int_equal(iws_destroy(other), IWS_OK);

  /* Stop, start again: a new port may come, the server works again. */
  assert_int_equal(iws_stop(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port2), IWS_E_BAD_STATE);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port2), IWS_OK);
  assert_int_equal(iws_destroy(s), IWS_OK); /* destroy stops first */
}

static void refused_and_accepted_connections(void **state) {
  iws_server *s = make_server();
  uint32_t port, peer_port = 0;
  char head[1024], payload[128], ip[IWS_ADDRESS_SIZE];
  sock_t fd, fd2;
  iws_conn_id first;
  iws_stats st;
  (void)state;
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);

  fd = connect_to(port);
  upgrade(fd, "/refuse", head, sizeof(head));
  assert_non_null(strstr(head, "HTTP/1.1 403 Forbidden"));
  sock_close(fd);
  fd = connect_to(port);
  upgrade(fd, "/weird", head, sizeof(head));
  assert_non_null(strstr(head, "HTTP/1.1 500"));
  sock_close(fd);

  fd = connect_to(port);
  upgrade(fd, "/echo", head, sizeof(head));
  assert_non_null(strstr(head, "101 Switching Protocols"));
  first = rec.last_id;
  assert_int_equal(iws_conn_peer(s, first, ip, sizeof(ip), &peer_port),
                   IWS_OK);
  assert_string_equal(ip, "127.0.0.1");
  assert_true(peer_port > 0 && peer_port != port);
  {
    /* The local end (0.6): the address reached and the listening port. */
    uint32_t local_port = 0;
    uint64_t pong = 7;
    assert_int_equal(iws_conn_local(s, first, ip, sizeof(ip), &local_port),
                     IWS_OK);
    assert_string_equal(ip, "127.0.0.1");
    assert_int_equal(local_port, port);
    assert_int_equal(iws_conn_local(s, first, ip, 4, NULL),
                     IWS_E_BUFFER_TOO_SMALL);
    assert_int_equal(iws_conn_local(s, first, NULL, 64, NULL),
                     IWS_E_INVALID_ARG);
    assert_int_equal(iws_conn_last_pong(s, first, NULL), IWS_E_INVALID_ARG);
    assert_int_equal(iws_conn_last_pong(s, first, &pong), IWS_OK);
    assert_int_equal(pong, 0); /* no pong yet */
  }
  assert_int_equal(iws_conn_path(s, first, head, sizeof(head), NULL), IWS_OK);
  assert_string_equal(head, "/echo");
  send_text(fd, "hello");
  assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
  assert_string_equal(payload, "hello");
  /* A send from this (foreign) thread. */
  assert_int_equal(iws_send_text(s, first, "from main", 9), IWS_OK);
  assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
  assert_string_equal(payload, "from main");
  st.struct_size = sizeof(st);
  assert_int_equal(iws_get_stats(s, &st), IWS_OK);
  assert_int_equal(st.connections_current, 1);
  assert_int_equal(st.handshakes_refused, 2);
  assert_true(st.messages_in >= 1);

  /* The client goes away: on_disconnect 1006, the id is dead for good. */
  sock_close(fd);
  for (int i = 0; i < 200 && rec_int(&rec.disconnects) < 1; i++) sleep_ms(10);
  assert_int_equal(rec_int(&rec.disconnects), 1);
  assert_int_equal(rec_u32(&rec.last_code), IWS_CLOSE_ABNORMAL);
  assert_int_equal(iws_send_text(s, first, "late", 4), IWS_E_NO_CONNECTION);
  assert_int_equal(iws_conn_peer(s, first, ip, sizeof(ip), NULL),
                   IWS_E_NO_CONNECTION);
  assert_int_equal(iws_conn_local(s, first, ip, sizeof(ip), NULL),
                   IWS_E_NO_CONNECTION);
  {
    uint64_t pong = 7;
    assert_int_equal(iws_conn_last_pong(s, first, &pong),
                     IWS_E_NO_CONNECTION);
    assert_int_equal(pong, 0);
  }

  /* A newer connection never receives what was meant for the old id. */
  fd2 = connect_to(port);
  upgrade(fd2, "/second", head, sizeof(head));
  assert_true(rec.last_id > first);
  assert_int_equal(iws_destroy(s), IWS_OK);
  /* connects counts the refused handshakes too (on_connect ran). */
  assert_int_equal(rec.connects, 4);
  assert_int_equal(rec.disconnects, 2);
  sock_close(fd2);
}

/* Statistics are counted per thread (the I/O and worker threads' own
 * counters, the application's sends in the shared ones) and added up by
 * iws_get_stats: the figures are exact, nothing is lost or counted twice
 * when the threads end at iws_stop, and they keep growing after a
 * restart (counters since iws_create). With and without worker threads. */
static void stats_exact(iws_server *s, uint64_t in, uint64_t out,
                        iws_stats *st) {
  memset(st, 0, sizeof(*st));
  st->struct_size = sizeof(*st);
  /* bytes_queued falls once the write returned: the client may read the
   * echo a moment before that */
  for (int i = 0; i < 200; i++) {
    assert_int_equal(iws_get_stats(s, st), IWS_OK);
    if (st->bytes_queued == 0) break;
    sleep_ms(10);
  }
  assert_int_equal(st->messages_in, in);
  assert_int_equal(st->messages_out, out);
  assert_int_equal(st->bytes_queued, 0);
}

static void stats_are_summed_over_threads(void **state) {
  for (int workers = 0; workers <= 2; workers += 2) {
    iws_server *s = make_server();
    uint32_t port;
    char head[1024], payload[128];
    sock_t fd;
    iws_stats st, before;
    (void)state;
    assert_int_equal(iws_set_int(s, IWS_OPT_WORKER_THREADS, workers), IWS_OK);
    assert_int_equal(iws_start(s), IWS_OK);
    assert_int_equal(iws_get_port(s, &port), IWS_OK);
    fd = connect_to(port);
    upgrade(fd, "/echo", head, sizeof(head));
    assert_non_null(strstr(head, "101 Switching Protocols"));
    send_text(fd, "one");
    assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
    send_text(fd, "two");
    assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
    /* from this (foreign) thread: the shared counters */
    assert_int_equal(iws_send_text(s, rec.last_id, "three", 5), IWS_OK);
    assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
    assert_string_equal(payload, "three");
    stats_exact(s, 2, 3, &before);
    /* 2 masked 3-byte frames (9 bytes each) at least, after the request */
    assert_true(before.bytes_in >= 18 + 100);
    /* the 101, then 3 frames of 5, 5 and 7 bytes */
    assert_true(before.bytes_out >= 17 + 100);
    sock_close(fd);
    for (int i = 0; i < 200 && rec_int(&rec.disconnects) < 1; i++) sleep_ms(10);
    assert_int_equal(iws_stop(s), IWS_OK);
    /* the threads ended: their counts are kept, not lost nor doubled */
    stats_exact(s, 2, 3, &st);
    assert_true(st.bytes_in == before.bytes_in);
    assert_true(st.bytes_out == before.bytes_out);
    /* started again: the counters go on from there */
    assert_int_equal(iws_start(s), IWS_OK);
    assert_int_equal(iws_get_port(s, &port), IWS_OK);
    fd = connect_to(port);
    upgrade(fd, "/echo", head, sizeof(head));
    send_text(fd, "four");
    assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
    stats_exact(s, 3, 4, &st);
    assert_true(st.bytes_in > before.bytes_in);
    assert_true(st.bytes_out > before.bytes_out);
    sock_close(fd);
    assert_int_equal(iws_destroy(s), IWS_OK);
  }
}

/* Several listeners (0.6): argument checks, two sockets with their own
 * ports, the listener of each connection, a start that fails on a busy
 * port naming the listener. On the IOCP back end too (win64/win32 tiers). */
static void listeners_through_the_api(void **state) {
  iws_server *s = make_server(), *other;
  uint32_t n = 0, port0 = 0, port1 = 0, flags = 9, index = 9, needed = 0;
  char head[1024], text[64], detail[600];
  sock_t fd0, fd1;
  iws_conn_id id0, id1;
  (void)state;
  assert_int_equal(iws_add_listener(NULL, "127.0.0.1", 0, 0), IWS_E_INVALID_ARG);
  assert_int_equal(iws_add_listener(s, "localhost", 0, 0), IWS_E_ADDRESS);
  assert_int_equal(iws_add_listener(s, "127.0.0.1", 65536, 0), IWS_E_INVALID_ARG);
  assert_int_equal(iws_add_listener(s, "127.0.0.1", 0, 2), IWS_E_INVALID_ARG);
  assert_int_equal(iws_clear_listeners(NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_get_listener_count(s, &n), IWS_E_BAD_STATE);
  assert_int_equal(iws_get_listener_count(s, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_get_listener(s, 0, &port0, NULL), IWS_E_BAD_STATE);
  assert_int_equal(iws_conn_listener(s, 1, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_listener(s, 1, &index), IWS_E_NO_CONNECTION);
  assert_int_equal(iws_conn_peer_cert(s, 1, 3, text, sizeof(text), NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_peer_chain_cert(s, 1, 0, 3, text, sizeof(text),
                                            NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_conn_peer_chain_cert(s, 1, 0, 0, text, sizeof(text),
                                            NULL),
                   IWS_E_NO_CONNECTION);
  /* 64 at most. */
  for (n = 0; n < IWS_LISTENERS_MAX; n++)
    assert_int_equal(iws_add_listener(s, "127.0.0.1", 0, 0), IWS_OK);
  assert_int_equal(iws_add_listener(s, "127.0.0.1", 0, 0), IWS_E_OPTION_RANGE);
  assert_int_equal(iws_clear_listeners(s), IWS_OK);
  /* Two: "" is IWS_OPT_BIND_ADDRESS (127.0.0.1 here). */
  assert_int_equal(iws_add_listener(s, "127.0.0.1", 0, 0), IWS_OK);
  assert_int_equal(iws_add_listener(s, "", 0, 0), IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_listener_count(s, &n), IWS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(iws_get_listener(s, 0, &port0, &flags), IWS_OK);
  assert_int_equal(flags, 0);
  assert_int_equal(iws_get_listener(s, 1, &port1, NULL), IWS_OK);
  assert_true(port0 > 0 && port1 > 0 && port0 != port1);
  assert_int_equal(iws_get_listener(s, 2, &port1, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_get_port(s, &n), IWS_OK);
  assert_int_equal(n, port0);
  assert_int_equal(iws_get_tls_port(s, &n), IWS_E_BAD_STATE); /* none */
  assert_int_equal(iws_add_listener(s, "127.0.0.1", 0, 0), IWS_E_BAD_STATE);
  assert_int_equal(iws_clear_listeners(s), IWS_E_BAD_STATE);
  fd1 = connect_to(port1);
  upgrade(fd1, "/one", head, sizeof(head));
  assert_non_null(strstr(head, "101 Switching Protocols"));
  id1 = rec.last_id;
  fd0 = connect_to(port0);
  upgrade(fd0, "/zero", head, sizeof(head));
  assert_non_null(strstr(head, "101 Switching Protocols"));
  id0 = rec.last_id;
  assert_int_equal(iws_conn_listener(s, id0, &index), IWS_OK);
  assert_int_equal(index, 0);
  assert_int_equal(iws_conn_listener(s, id1, &index), IWS_OK);
  assert_int_equal(index, 1);
  /* A plain connection has no certificate: "". */
  strcpy(text, "x");
  assert_int_equal(iws_conn_peer_cert(s, id1, IWS_CERT_SUBJECT, text,
                                      sizeof(text), &needed),
                   IWS_OK);
  assert_string_equal(text, "");
  assert_int_equal(needed, 1);
  /* ... and an empty chain: "" at depth 0, then its end. */
  strcpy(text, "x");
  assert_int_equal(iws_conn_peer_chain_cert(s, id1, 0, IWS_CERT_SUBJECT,
                                            text, sizeof(text), &needed),
                   IWS_OK);
  assert_string_equal(text, "");
  assert_int_equal(iws_conn_peer_chain_cert(s, id1, 1, IWS_CERT_PEM, text,
                                            sizeof(text), &needed),
                   IWS_E_NOT_FOUND);

  /* A second server on listener 1's port: fails naming listener 1. */
  assert_int_equal(iws_create(IWS_ABI_VERSION, NULL, NULL, &other), IWS_OK);
  assert_int_equal(iws_add_listener(other, "127.0.0.1", 0, 0), IWS_OK);
  assert_int_equal(iws_add_listener(other, "127.0.0.1", port1, 0), IWS_OK);
  assert_int_equal(iws_start(other), IWS_E_BIND);
  assert_int_equal(iws_last_error(other, detail, sizeof(detail)), IWS_E_BIND);
  snprintf(head, sizeof(head), "listener 1: bind 127.0.0.1 port %u",
           (unsigned)port1);
  assert_non_null(strstr(detail, head));
  assert_int_equal(iws_get_listener_count(other, &n), IWS_E_BAD_STATE);
  assert_int_equal(iws_destroy(other), IWS_OK);

  sock_close(fd0);
  sock_close(fd1);
  assert_int_equal(iws_stop(s), IWS_OK);
  /* Cleared: back to IWS_OPT_PORT alone. */
  assert_int_equal(iws_clear_listeners(s), IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_listener_count(s, &n), IWS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

/* A send from another thread while on_connect runs (a Delphi OnConnect
 * queued to the main thread does exactly that) waits for the 101 answer:
 * the client must see the handshake response first, then the frame. */
static void sends_during_on_connect_follow_the_101(void **state) {
  iws_server *s = make_server();
  uint32_t port;
  char head[1024], payload[128];
  sock_t fd;
  (void)state;
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);
  fd = connect_to(port);
  upgrade(fd, "/early", head, sizeof(head));
  assert_int_equal(strncmp(head, "HTTP/1.1 101", 12), 0);
  assert_int_equal(rec.early_done, 1);
  assert_int_equal(rec.early_rc, IWS_OK);
  assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
  assert_string_equal(payload, "early");
  sock_close(fd);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

static void owner_calls_inside_a_callback_are_refused(void **state) {
  iws_server *s = make_server();
  uint32_t port;
  char head[1024], payload[128];
  sock_t fd;
  (void)state;
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);
  rec.stop_in_message = 1;
  fd = connect_to(port);
  upgrade(fd, "/", head, sizeof(head));
  send_text(fd, "stop please");
  assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
  assert_int_equal(rec.stop_rc, IWS_E_IN_CALLBACK);
  assert_int_equal(rec.destroy_rc, IWS_E_IN_CALLBACK);
  assert_int_equal(rec.set_rc, IWS_E_IN_CALLBACK);
  assert_int_equal(rec.start_rc, IWS_E_IN_CALLBACK);
  /* The server still works and stops from its owner thread. */
  rec.stop_in_message = 0;
  send_text(fd, "still there");
  assert_int_equal(read_frame(fd, payload, sizeof(payload)), 1);
  assert_string_equal(payload, "still there");
  assert_int_equal(iws_stop(s), IWS_OK);
  /* The client saw close 1001 (going away). */
  assert_int_equal(read_frame(fd, payload, sizeof(payload)), 8);
  assert_int_equal(((uint8_t)payload[0] << 8) | (uint8_t)payload[1], 1001);
  assert_int_equal(rec.disconnects, 1);
  sock_close(fd);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

/* A self-signed P-256 test certificate (valid until 2126) and two keys:
 * its own and another one. Test data only. */
static const char TEST_CERT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBjTCCATOgAwIBAgIUE8Hb3kuSBukHqOE//69PlFqbFj4wCgYIKoZIzj0EAwIw\n"
    "GzEZMBcGA1UEAwwQaW9jcHdzLXVuaXQtdGVzdDAgFw0yNjEyMDExNzA3NTZaGA8y\n"
    "MTI2MTEwNzE3MDc1NlowGzEZMBcGA1UEAwwQaW9jcHdzLXVuaXQtdGVzdDBZMBMG\n"
    "ByqGSM49AgEGCCqGSM49AwEHA0IABFX86fRIiQbc4+rD0m0nppvEqxo1O+f0eOk5\n"
    "j/7Lik5Ql0Tkh+AHWveQb/N33aSEes8gV33KwlgeXqdQjIX/KL2jUzBRMB0GA1Ud\n"
    "DgQWBBTxUbArML7zZwIHxXNSo3SX1VmkGTAfBgNVHSMEGDAWgBTxUbArML7zZwIH\n"
    "xXNSo3SX1VmkGTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDo\n"
    "9QStEZB7D3hTZ+9/IpdcoM+nRhVgLFzWaZV/MohgQQIgLfblxBypNNCMMlwybRo5\n"
    "vn3U5sI1eheRLHDCdZ3b+KI=\n"
    "-----END CERTIFICATE-----\n";
static const char TEST_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6UlVG++V7Ltrj0f3\n"
    "Niy9TmUYYfUDuTgrEionPQzx89KhRANCAARV/On0SIkG3OPqw9JtJ6abxKsaNTvn\n"
    "9HjpOY/+y4pOUJdE5IfgB1r3kG/zd92khHrPIFd9ysJYHl6nUIyF/yi9\n"
    "-----END PRIVATE KEY-----\n";
static const char OTHER_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiJA1QHz50OLG2u1F\n"
    "SADpI/k7IOfTf2uDQ6PoHO0ARZKhRANCAARgnuysV6srWRiJuhB7IKCQ9ypscZ4j\n"
    "mi4R2vbiRuXitGqsP5F2GCzuF2IAmosFvCapj3qo2Y8tdUzEdtubDR5H\n"
    "-----END PRIVATE KEY-----\n";

static void tls_options_and_start_errors(void **state) {
  iws_server *s = make_server();
  char buf[64], detail[512];
  uint32_t port = 0, tls_port = 0;
  int64_t v = 0;
  (void)state;
  assert_int_equal(iws_get_tls_port(NULL, &port), IWS_E_INVALID_ARG);
  assert_int_equal(iws_get_tls_port(s, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_get_tls_port(s, &port), IWS_E_BAD_STATE);
  assert_int_equal(iws_get_int(s, IWS_OPT_TLS_PORT, &v), IWS_OK);
  assert_int_equal(v, -1);

  /* Nothing to listen on. */
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, -1), IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_OPTION_RANGE);
  assert_int_equal(iws_last_error(s, detail, sizeof(detail)),
                   IWS_E_OPTION_RANGE);
  assert_non_null(strstr(detail, "nothing to listen on"));

  /* A TLS port without a certificate fails at start, not later. */
  assert_int_equal(iws_set_int(s, IWS_OPT_TLS_PORT, 0), IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_TLS_CONFIG);
  iws_last_error(s, detail, sizeof(detail));
  assert_non_null(strstr(detail, "no certificate"));

  /* A missing file: OpenSSL's reason text. */
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_CERT_FILE, "/nonexistent/c.pem"),
                   IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_KEY_FILE, "/nonexistent/k.pem"),
                   IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_TLS_CONFIG);
  iws_last_error(s, detail, sizeof(detail));
  assert_non_null(strstr(detail, "/nonexistent/c.pem"));
  assert_non_null(strstr(detail, "error:"));

  /* PEM in memory wins over the files; a key of another certificate. */
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_CERT_PEM, TEST_CERT), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_KEY_PEM, OTHER_KEY), IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_TLS_CONFIG);
  iws_last_error(s, detail, sizeof(detail));
  assert_non_null(strstr(detail, "mismatch")); /* OpenSSL's words */

  /* Garbage instead of a PEM. */
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_KEY_PEM, "not a key"), IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_TLS_CONFIG);
  iws_last_error(s, detail, sizeof(detail));
  assert_non_null(strstr(detail, "private key"));

  /* An unknown cipher list. */
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_KEY_PEM, TEST_KEY), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_CIPHERS, "NO-SUCH-CIPHER"),
                   IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_TLS_CONFIG);
  iws_last_error(s, detail, sizeof(detail));
  assert_non_null(strstr(detail, "NO-SUCH-CIPHER"));
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_CIPHERS, NULL), IWS_OK);

  /* The password is write-only. */
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_PASSWORD, "secret"), IWS_OK);
  assert_int_equal(iws_get_str(s, IWS_OPT_TLS_PASSWORD, buf, sizeof(buf),
                               NULL),
                   IWS_OK);
  assert_string_equal(buf, "");
  assert_int_equal(iws_set_str(s, IWS_OPT_TLS_PASSWORD, NULL), IWS_OK);

  /* SNI entries: arguments checked at once, files at start. */
  assert_int_equal(iws_tls_add_host(NULL, "a", "c", "k", NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_tls_add_host(s, "a.example", NULL, "k", NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_tls_add_host(s, "", "c", "k", NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_tls_add_host(s, "a.example", "/nonexistent/a.pem",
                                    "/nonexistent/a.key", NULL),
                   IWS_OK);
  assert_int_equal(iws_start(s), IWS_E_TLS_CONFIG);
  iws_last_error(s, detail, sizeof(detail));
  assert_non_null(strstr(detail, "a.example"));
  assert_int_equal(iws_tls_add_host(s, "A.EXAMPLE", TEST_CERT, TEST_KEY, NULL),
                   IWS_OK); /* replaces the entry: names ignore case */

  /* Plain and TLS side by side. */
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, 0), IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_tls_add_host(s, NULL, NULL, NULL, NULL),
                   IWS_E_BAD_STATE);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);
  assert_int_equal(iws_get_tls_port(s, &tls_port), IWS_OK);
  assert_true(port > 0 && tls_port > 0 && port != tls_port);
  assert_int_equal(iws_stop(s), IWS_OK);

  /* TLS only: iws_get_port gives the TLS port. */
  assert_int_equal(iws_tls_add_host(s, NULL, NULL, NULL, NULL), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, -1), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_TLS_MIN_VERSION, IWS_TLS_1_3),
                   IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);
  assert_int_equal(iws_get_tls_port(s, &tls_port), IWS_OK);
  assert_int_equal(port, tls_port);
  assert_int_equal(iws_stop(s), IWS_OK);
  assert_int_equal(iws_destroy(s), IWS_OK);

  assert_string_equal(iws_error_name(IWS_E_TLS_CONFIG), "IWS_E_TLS_CONFIG");
  assert_string_equal(iws_error_name(IWS_E_TLS), "IWS_E_TLS");
  assert_string_equal(iws_error_name(IWS_E_FILE), "IWS_E_FILE"); /* 0.5 */
  assert_string_equal(iws_error_name(IWS_E_NOT_FOUND), "IWS_E_NOT_FOUND");
  assert_int_equal(IWS_E_NOT_FOUND, -118);
  assert_int_equal(IWS_E_TLS_CONFIG, -500);
  assert_int_equal(IWS_E_TLS, -501);
}

/* Channels (Since 0.4): argument checks and states, without clients (the
 * integration tests cover delivery). */
static void channel_calls_check_their_arguments(void **state) {
  iws_server *s = make_server();
  char list[64], name[300];
  uint32_t sent = 7, needed = 0;
  iws_stats st;
  int32_t rc;
  (void)state;
  assert_int_equal(iws_subscribe(NULL, 1, "a"), IWS_E_INVALID_ARG);
  assert_int_equal(iws_subscribe(s, 1, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_subscribe(s, 1, ""), IWS_E_CHANNEL_NAME);
  assert_int_equal(iws_subscribe(s, 1, "a\nb"), IWS_E_CHANNEL_NAME);
  assert_int_equal(iws_subscribe(s, 1, "\xff"), IWS_E_CHANNEL_NAME);
  memset(name, 'x', 256);
  name[256] = '\0';
  assert_int_equal(iws_subscribe(s, 1, name), IWS_E_CHANNEL_NAME);
  name[255] = '\0';
  assert_int_equal(iws_subscribe(s, 1, name), IWS_E_NO_CONNECTION);
  assert_int_equal(iws_unsubscribe(s, 1, NULL), IWS_E_NO_CONNECTION);
  assert_int_equal(iws_unsubscribe(s, 1, ""), IWS_E_CHANNEL_NAME);
  assert_int_equal(iws_conn_channels(s, 1, list, sizeof(list), &needed),
                   IWS_E_NO_CONNECTION);
  assert_int_equal(iws_publish(s, "a", IWS_OP_TEXT, "x", 1, NULL, 0, &sent),
                   IWS_E_BAD_STATE);
  assert_int_equal(sent, 0);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_publish(s, "a", IWS_OP_TEXT, "x", 1, NULL, 0, &sent),
                   IWS_OK);
  assert_int_equal(sent, 0); /* nobody listens: not an error */
  assert_int_equal(iws_publish(s, "", IWS_OP_TEXT, "x", 1, NULL, 0, NULL),
                   IWS_E_CHANNEL_NAME);
  assert_int_equal(iws_publish(s, "a", IWS_OP_PING, "x", 1, NULL, 0, NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_publish(s, "a", IWS_OP_TEXT, "\xff", 1, NULL, 0, NULL),
                   IWS_E_INVALID_UTF8);
  assert_int_equal(iws_publish(s, "a", IWS_OP_TEXT, "x", 1, NULL, 2, NULL),
                   IWS_E_INVALID_ARG);
  memset(&st, 0, sizeof(st));
  st.struct_size = sizeof(st);
  assert_int_equal(iws_get_stats(s, &st), IWS_OK);
  assert_int_equal(st.publishes, 1);
  assert_int_equal(st.channels_current, 0);
  assert_int_equal(st.redis_connected, 0);
  /* A 0.1 caller's struct_size: only the 0.1 fields are written. */
  memset(&st, 0xab, sizeof(st));
  st.struct_size = (uint32_t)offsetof(iws_stats, channels_current);
  assert_int_equal(iws_get_stats(s, &st), IWS_OK);
  assert_true(st.publishes == 0xababababababababull);
  assert_int_equal(iws_stop(s), IWS_OK);
  /* Redis: either this build has it, or it says so. */
  rc = iws_set_str(s, IWS_OPT_REDIS_URL, "redis://127.0.0.1:1");
  assert_true(rc == IWS_OK || rc == IWS_E_UNSUPPORTED);
  assert_int_equal(iws_set_str(s, IWS_OPT_REDIS_URL, ""), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_REDIS_PREFIX, "app:"), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_REDIS_RECONNECT_MAX_MS, 99),
                   IWS_E_OPTION_RANGE);
  assert_int_equal(iws_set_int(s, 10040, 1), IWS_E_OPTION_TYPE);
  assert_int_equal(iws_set_str(s, 10020, "x"), IWS_E_UNKNOWN_OPTION);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

/* ---- plain HTTP (Since 0.5) ---- */

static iws_http_response *g_deferred;
static int g_http_calls;

static void IWS_CALLBACK cb_http(iws_server *s, iws_conn_id id,
                                 iws_request *req, iws_http_response *res,
                                 void *user) {
  record *r = user;
  (void)s;
  (void)id;
  assert_string_equal(iws_request_method(req), "GET");
  assert_string_equal(iws_request_document(req), "/de fer");
  assert_string_equal(iws_request_version(req), "HTTP/1.1");
  assert_string_equal(iws_request_query(req), "x=1");
  assert_string_equal(iws_request_param(req, "x"), "1");
  /* calls that need a deferred response or are out of range */
  assert_int_equal(iws_http_send(res), IWS_E_BAD_STATE);
  assert_int_equal(iws_request_param_at(req, 1, NULL, NULL),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_set_status(res, 101, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_set_status(res, 600, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_set_status(res, 200, "a\r\nb"),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_add_header(res, "Content-Length", "1"),
                   IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_set_body(res, NULL, 5), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_defer(res), IWS_OK);
  assert_int_equal(iws_http_defer(res), IWS_E_BAD_STATE);
  pt_mutex_lock(&r->lock);
  g_deferred = res;
  g_http_calls++;
  pt_mutex_unlock(&r->lock);
}

static void http_calls_check_their_arguments(void **state) {
  const uint8_t *data = NULL;
  uint64_t len = 0;
  (void)state;
  assert_null(iws_request_method(NULL));
  assert_null(iws_request_document(NULL));
  assert_null(iws_request_version(NULL));
  assert_null(iws_request_query(NULL));
  assert_int_equal(iws_request_param_count(NULL), 0);
  assert_int_equal(iws_request_param_at(NULL, 0, NULL, NULL),
                   IWS_E_INVALID_ARG);
  assert_null(iws_request_param(NULL, "x"));
  assert_int_equal(iws_request_body(NULL, &data, &len), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_set_status(NULL, 200, NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_add_header(NULL, "a", "b"), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_set_body(NULL, "a", 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_serve_file(NULL, "x") < 0, 1);
  assert_int_equal(iws_http_defer(NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_send(NULL), IWS_E_INVALID_ARG);
}

static iws_server *make_http_server(uint32_t struct_size, uint32_t *port) {
  iws_callbacks cb;
  iws_server *s = NULL;
  memset(&rec, 0, sizeof(rec));
  pt_mutex_init(&rec.lock);
  g_deferred = NULL;
  g_http_calls = 0;
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = struct_size;
  cb.on_connect = cb_connect;
  cb.on_disconnect = cb_disconnect;
  cb.on_http_request = cb_http; /* invisible with the 0.4 struct_size */
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, &rec, &s), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_BIND_ADDRESS, "127.0.0.1"), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, 0), IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, port), IWS_OK);
  return s;
}

static const char HTTP_GET[] =
    "GET /de%20fer?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static void deferred_response_outlives_stop_and_destroy(void **state) {
  uint32_t port = 0;
  iws_http_response *res = NULL;
  iws_server *s = make_http_server(sizeof(iws_callbacks), &port);
  sock_t fd = connect_to(port);
  int i;
  (void)state;
  assert_int_equal(sock_write(fd, HTTP_GET, sizeof(HTTP_GET) - 1),
                   (long)(sizeof(HTTP_GET) - 1));
  for (i = 0; i < 1000 && !res; i++) {
    pt_mutex_lock(&rec.lock);
    res = g_deferred;
    pt_mutex_unlock(&rec.lock);
    if (!res) sleep_ms(5);
  }
  assert_non_null(res);
  /* The caller owns it now and fills it; the server goes away first. */
  assert_int_equal(iws_http_set_body(res, "late", 4), IWS_OK);
  assert_int_equal(iws_stop(s), IWS_OK);
  assert_int_equal(iws_destroy(s), IWS_OK);
  assert_int_equal(iws_http_send(res), IWS_E_NO_CONNECTION);
  sock_close(fd);
  assert_int_equal(rec_int(&rec.connects), 0); /* HTTP: no on_connect */
  pt_mutex_destroy(&rec.lock);
}

static void callbacks_of_0_4_have_no_http_handler(void **state) {
  uint32_t port = 0;
  char buf[512];
  long n, got = 0;
  iws_server *s = make_http_server(
      (uint32_t)offsetof(iws_callbacks, on_http_request), &port);
  sock_t fd = connect_to(port);
  (void)state;
  assert_int_equal(sock_write(fd, HTTP_GET, sizeof(HTTP_GET) - 1),
                   (long)(sizeof(HTTP_GET) - 1));
  while (got < (long)sizeof(buf) - 1 &&
         (n = sock_read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0) {
    got += n;
    buf[got] = '\0';
    if (strstr(buf, "\r\n\r\n")) break;
  }
  buf[got > 0 ? got : 0] = '\0';
  assert_true(strncmp(buf, "HTTP/1.1 404 ", 13) == 0);
  assert_int_equal(g_http_calls, 0);
  sock_close(fd);
  assert_int_equal(iws_destroy(s), IWS_OK);
  pt_mutex_destroy(&rec.lock);
}

/* ---- on_open / on_close (Since 0.6) ---- */

/* What happened, in order: "O" open, "H" HTTP request, "A" on_connect,
 * "D" on_disconnect, "C" close, each followed by the id's last digit. */
typedef struct openclose {
  pt_mutex lock;
  char log[256];
  size_t len;
  int opens, closes, peer_fails, disconnect_next;
} openclose;
static openclose oc;

static void oc_note(char what, iws_conn_id id) {
  pt_mutex_lock(&oc.lock);
  if (oc.len + 3 < sizeof(oc.log)) {
    oc.log[oc.len++] = what;
    oc.log[oc.len++] = (char)('0' + (int)(id % 10));
    oc.log[oc.len] = '\0';
  }
  if (what == 'O') oc.opens++;
  if (what == 'C') oc.closes++;
  pt_mutex_unlock(&oc.lock);
}

static int oc_count(const int *v) {
  int n;
  pt_mutex_lock(&oc.lock);
  n = *v;
  pt_mutex_unlock(&oc.lock);
  return n;
}

static int oc_wait(const int *v, int want) {
  int i;
  for (i = 0; i < 1000 && oc_count(v) < want; i++) sleep_ms(5);
  return oc_count(v);
}

static void IWS_CALLBACK oc_open(iws_server *s, iws_conn_id id, void *u) {
  char ip[64];
  uint32_t port = 0;
  int drop;
  (void)u;
  if (iws_conn_peer(s, id, ip, sizeof(ip), &port) != IWS_OK || port == 0) {
    pt_mutex_lock(&oc.lock);
    oc.peer_fails++;
    pt_mutex_unlock(&oc.lock);
  }
  oc_note('O', id);
  pt_mutex_lock(&oc.lock);
  drop = oc.disconnect_next;
  oc.disconnect_next = 0;
  pt_mutex_unlock(&oc.lock);
  if (drop) assert_int_equal(iws_disconnect(s, id), IWS_OK);
}

static void IWS_CALLBACK oc_close(iws_server *s, iws_conn_id id, void *u) {
  char ip[64];
  uint32_t port = 0;
  (void)u;
  if (iws_conn_peer(s, id, ip, sizeof(ip), &port) != IWS_OK) {
    pt_mutex_lock(&oc.lock);
    oc.peer_fails++;
    pt_mutex_unlock(&oc.lock);
  }
  oc_note('C', id);
}

static void IWS_CALLBACK oc_http(iws_server *s, iws_conn_id id,
                                 iws_request *req, iws_http_response *res,
                                 void *u) {
  (void)s;
  (void)req;
  (void)u;
  oc_note('H', id);
  iws_http_set_body(res, "ok", 2);
}

static int32_t IWS_CALLBACK oc_connect(iws_server *s, iws_conn_id id,
                                       iws_request *req, void *u) {
  (void)s;
  (void)req;
  (void)u;
  oc_note('A', id);
  return IWS_ACCEPT;
}

static void IWS_CALLBACK oc_disconnect(iws_server *s, iws_conn_id id,
                                       uint32_t code, const char *reason,
                                       uint32_t n, void *u) {
  (void)s;
  (void)code;
  (void)reason;
  (void)n;
  (void)u;
  oc_note('D', id);
}

/* Reads until the peer closes (or 5 s pass); returns the bytes read. */
static long read_to_eof(sock_t fd, char *buf, size_t size) {
  long n, got = 0;
  while ((size_t)got + 1 < size &&
         (n = sock_read(fd, buf + got, size - 1 - (size_t)got)) > 0)
    got += n;
  buf[got > 0 ? got : 0] = '\0';
  return got;
}

static void open_and_close_mark_every_connection(int64_t workers) {
  static const char get[] =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  iws_callbacks cb;
  iws_server *s = NULL;
  uint32_t port = 0;
  char buf[1024], want[64];
  sock_t a, b, c, d;
  memset(&oc, 0, sizeof(oc));
  pt_mutex_init(&oc.lock);
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_open = oc_open;
  cb.on_close = oc_close;
  cb.on_http_request = oc_http;
  cb.on_connect = oc_connect;
  cb.on_disconnect = oc_disconnect;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_BIND_ADDRESS, "127.0.0.1"), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, 0), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_WORKER_THREADS, workers), IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);

  /* 1. on_open at accept, before the client sent a byte. */
  a = connect_to(port);
  assert_int_equal(oc_wait(&oc.opens, 1), 1);
  assert_int_equal(oc_count(&oc.closes), 0);
  /* 2. plain HTTP: the request, then on_close when the connection ends. */
  assert_int_equal(sock_write(a, get, sizeof(get) - 1), (long)(sizeof(get) - 1));
  assert_true(read_to_eof(a, buf, sizeof(buf)) > 0);
  assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
  sock_close(a);
  assert_int_equal(oc_wait(&oc.closes, 1), 1);
  /* 3. WebSocket: on_connect and on_disconnect inside the pair. */
  b = connect_to(port);
  upgrade(b, "/ws", buf, sizeof(buf));
  assert_true(strncmp(buf, "HTTP/1.1 101 ", 13) == 0);
  sock_close(b);
  assert_int_equal(oc_wait(&oc.closes, 2), 2);
  /* 4. on_open may refuse the connection: the client sees it closed, and
   * on_close follows. */
  pt_mutex_lock(&oc.lock);
  oc.disconnect_next = 1;
  pt_mutex_unlock(&oc.lock);
  c = connect_to(port);
  assert_int_equal(read_to_eof(c, buf, sizeof(buf)), 0);
  sock_close(c);
  assert_int_equal(oc_wait(&oc.closes, 3), 3);
  /* 5. an idle connection gets on_close at iws_stop. */
  d = connect_to(port);
  assert_int_equal(oc_wait(&oc.opens, 4), 4);
  assert_int_equal(iws_stop(s), IWS_OK);
  assert_int_equal(oc_count(&oc.closes), 4);
  sock_close(d);
  assert_int_equal(iws_destroy(s), IWS_OK);

  /* ids 1..4, each one's events in order */
  snprintf(want, sizeof(want), "O1H1C1O2A2D2C2O3C3O4C4");
  assert_string_equal(oc.log, want);
  assert_int_equal(oc.peer_fails, 0);
  pt_mutex_destroy(&oc.lock);
}

static void open_and_close_on_io_threads(void **state) {
  (void)state;
  open_and_close_mark_every_connection(0);
}

static void open_and_close_on_workers(void **state) {
  (void)state;
  open_and_close_mark_every_connection(2);
}

/* ---- streamed responses (Since 0.6) ---- */

static pt_mutex st_lock;
static iws_http_response *st_res;
static char st_version[16]; /* the last request's iws_request_version */

static void IWS_CALLBACK st_http(iws_server *s, iws_conn_id id,
                                 iws_request *req, iws_http_response *res,
                                 void *u) {
  (void)s;
  (void)id;
  (void)u;
  if (strcmp(iws_request_path(req), "/plain") == 0) {
    iws_http_set_body(res, "p", 1);
    return;
  }
  assert_int_equal(iws_http_send_head(res), IWS_E_BAD_STATE); /* not deferred */
  assert_int_equal(iws_http_defer(res), IWS_OK);
  pt_mutex_lock(&st_lock);
  snprintf(st_version, sizeof(st_version), "%s", iws_request_version(req));
  st_res = res;
  pt_mutex_unlock(&st_lock);
}

static iws_http_response *st_wait(void) {
  iws_http_response *r = NULL;
  int i;
  for (i = 0; i < 1000 && !r; i++) {
    pt_mutex_lock(&st_lock);
    r = st_res;
    st_res = NULL;
    pt_mutex_unlock(&st_lock);
    if (!r) sleep_ms(5);
  }
  assert_non_null(r);
  return r;
}

/* Reads until `end` appears in what was read (or EOF); returns the bytes. */
static long read_until(sock_t fd, char *buf, size_t size, const char *end) {
  long n, got = 0;
  buf[0] = '\0';
  while ((size_t)got + 1 < size &&
         (n = sock_read(fd, buf + got, size - 1 - (size_t)got)) > 0) {
    got += n;
    buf[got] = '\0';
    if (end && strstr(buf, end)) break;
  }
  return got;
}

static void streamed_response_is_chunked_and_bounded(void **state) {
  static const char get[] =
      "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  static const char plain[] =
      "GET /plain HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  static const char get10[] = "GET /stream HTTP/1.0\r\n\r\n";
  static char big[16384];
  iws_callbacks cb;
  iws_server *s = NULL;
  iws_http_response *r;
  uint32_t port = 0;
  char buf[4096];
  const char *body;
  sock_t fd;
  int i, rc = IWS_OK, small = 4096;
  (void)state;
  pt_mutex_init(&st_lock);
  st_res = NULL;
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_http_request = st_http;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s), IWS_OK);
  assert_int_equal(iws_set_str(s, IWS_OPT_BIND_ADDRESS, "127.0.0.1"), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_PORT, 0), IWS_OK);
  assert_int_equal(iws_set_int(s, IWS_OPT_SEND_QUEUE_LIMIT, 256 * 1024),
                   IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  assert_int_equal(iws_get_port(s, &port), IWS_OK);
  assert_int_equal(iws_http_send_head(NULL), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_send_chunk(NULL, "x", 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_stream_wait(NULL, 0), IWS_E_INVALID_ARG);

  /* 1. HTTP/1.1: head, chunks, end; then the connection goes on. */
  fd = connect_to(port);
  assert_int_equal(sock_write(fd, get, sizeof(get) - 1), (long)(sizeof(get) - 1));
  r = st_wait();
  assert_int_equal(iws_http_add_header(r, "X-A", "1"), IWS_OK);
  assert_int_equal(iws_http_send_chunk(r, "x", 1), IWS_E_BAD_STATE);
  assert_int_equal(iws_http_stream_wait(r, 0), IWS_E_BAD_STATE);
  assert_int_equal(iws_http_send_head(r), IWS_OK);
  assert_int_equal(iws_http_stream_wait(r, 0), IWS_OK); /* empty: room */
  assert_int_equal(iws_http_send_head(r), IWS_E_BAD_STATE);
  assert_int_equal(iws_http_set_status(r, 201, NULL), IWS_E_BAD_STATE);
  assert_int_equal(iws_http_send_chunk(r, NULL, 1), IWS_E_INVALID_ARG);
  assert_int_equal(iws_http_send_chunk(r, "hello", 5), IWS_OK);
  assert_int_equal(iws_http_send_chunk(r, "", 0), IWS_OK);
  assert_int_equal(iws_http_send_chunk(r, " world", 6), IWS_OK);
  assert_int_equal(iws_http_send(r), IWS_OK);
  assert_true(read_until(fd, buf, sizeof(buf), "0\r\n\r\n") > 0);
  assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
  assert_non_null(strstr(buf, "\r\nTransfer-Encoding: chunked\r\n"));
  assert_non_null(strstr(buf, "\r\nX-A: 1\r\n"));
  assert_null(strstr(buf, "Content-Length"));
  body = strstr(buf, "\r\n\r\n");
  assert_non_null(body);
  assert_string_equal(body + 4, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  assert_int_equal(sock_write(fd, plain, sizeof(plain) - 1),
                   (long)(sizeof(plain) - 1));
  assert_true(read_until(fd, buf, sizeof(buf), "\r\n\r\np") > 0);
  assert_true(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
  assert_non_null(strstr(buf, "Content-Length: 1\r\n"));

  /* 2. back-pressure: a client that does not read fills the queue up to
   * the limit, then the chunks are refused, never queued. */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, (const void *)&small, sizeof(small));
  assert_int_equal(sock_write(fd, get, sizeof(get) - 1), (long)(sizeof(get) - 1));
  r = st_wait();
  assert_int_equal(iws_http_send_head(r), IWS_OK);
  memset(big, 'b', sizeof(big));
  for (i = 0; i < 100000 && rc == IWS_OK; i++)
    rc = iws_http_send_chunk(r, big, sizeof(big));
  assert_int_equal(rc, IWS_E_QUEUE_FULL);
  assert_int_equal(iws_http_send_chunk(r, NULL, 0), IWS_OK);
  /* nobody reads: once the socket's buffers are full too, no room comes
   * within the timeout (until then a wait may find room: fill again) */
  {
    int32_t wrc = IWS_OK;
    for (i = 0; i < 100000 && wrc == IWS_OK; i++) {
      rc = iws_http_send_chunk(r, big, sizeof(big));
      if (rc == IWS_E_QUEUE_FULL) wrc = iws_http_stream_wait(r, 100);
      else assert_int_equal(rc, IWS_OK);
    }
    assert_int_equal(wrc, IWS_E_TIMEOUT);
    assert_int_equal(iws_http_stream_wait(r, 0), IWS_E_TIMEOUT);
  }
  /* the client reads: room again */
  for (i = 0; i < 2000 && rc == IWS_E_QUEUE_FULL; i++) {
    assert_true(sock_read(fd, buf, sizeof(buf)) > 0);
    rc = iws_http_send_chunk(r, big, sizeof(big));
  }
  assert_int_equal(rc, IWS_OK);
  assert_int_equal(iws_http_send(r), IWS_OK);
  sock_close(fd);

  /* 3. HTTP/1.0: no framing, the connection closes after the body. */
  fd = connect_to(port);
  assert_int_equal(sock_write(fd, get10, sizeof(get10) - 1),
                   (long)(sizeof(get10) - 1));
  r = st_wait();
  pt_mutex_lock(&st_lock);
  assert_string_equal(st_version, "HTTP/1.0"); /* iws_request_version */
  pt_mutex_unlock(&st_lock);
  assert_int_equal(iws_http_send_head(r), IWS_OK);
  assert_int_equal(iws_http_send_chunk(r, "abc", 3), IWS_OK);
  assert_int_equal(iws_http_send(r), IWS_OK);
  assert_true(read_until(fd, buf, sizeof(buf), NULL) > 0);
  assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
  assert_null(strstr(buf, "Transfer-Encoding"));
  body = strstr(buf, "\r\n\r\n");
  assert_non_null(body);
  assert_string_equal(body + 4, "abc");
  sock_close(fd);

  /* 4. the client left: the stream learns it, iws_http_send releases. */
  fd = connect_to(port);
  assert_int_equal(sock_write(fd, get, sizeof(get) - 1), (long)(sizeof(get) - 1));
  r = st_wait();
  assert_int_equal(iws_http_send_head(r), IWS_OK);
  sock_close(fd);
  /* a closed connection ends a wait at once (its error) */
  rc = iws_http_stream_wait(r, 10000);
  assert_true(rc == IWS_OK || rc == IWS_E_NO_CONNECTION);
  for (i = 0; i < 1000 && rc != IWS_E_NO_CONNECTION; i++) {
    rc = iws_http_send_chunk(r, "z", 1);
    if (rc != IWS_E_NO_CONNECTION) sleep_ms(5);
  }
  assert_int_equal(rc, IWS_E_NO_CONNECTION);
  assert_int_equal(iws_http_send(r), IWS_E_NO_CONNECTION);

  assert_int_equal(iws_stop(s), IWS_OK);
  assert_int_equal(iws_destroy(s), IWS_OK);
  pt_mutex_destroy(&st_lock);
}

int main(void) {
  int failed;
#ifdef _WIN32
  WSADATA wsa;
#endif
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(null_and_garbage_handles_are_errors),
      cmocka_unit_test(options_through_the_api),
      cmocka_unit_test(life_cycle_and_wrong_states),
      cmocka_unit_test(refused_and_accepted_connections),
      cmocka_unit_test(stats_are_summed_over_threads),
      cmocka_unit_test(owner_calls_inside_a_callback_are_refused),
      cmocka_unit_test(sends_during_on_connect_follow_the_101),
      cmocka_unit_test(tls_options_and_start_errors),
      cmocka_unit_test(channel_calls_check_their_arguments),
      cmocka_unit_test(http_calls_check_their_arguments),
      cmocka_unit_test(deferred_response_outlives_stop_and_destroy),
      cmocka_unit_test(callbacks_of_0_4_have_no_http_handler),
      cmocka_unit_test(listeners_through_the_api),
      cmocka_unit_test(open_and_close_on_io_threads),
      cmocka_unit_test(open_and_close_on_workers),
      cmocka_unit_test(streamed_response_is_chunked_and_bounded),
  };
#ifdef _WIN32
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    fprintf(stderr, "WSAStartup failed\n");
    return 1;
  }
#endif
  failed = cmocka_run_group_tests_name("api", tests, NULL, NULL);
#ifdef _WIN32
  WSACleanup();
#endif
  return failed;
}
