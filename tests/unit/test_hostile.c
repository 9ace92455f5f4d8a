/* Unit tests: what a hostile peer can make the server hold, on the memory
 * back end (tests/fuzz/fake_backend.c), where every byte and every pause is
 * under the test's control:
 *  - a deferred HTTP response sent while its connection is closing but not
 *    yet closed is released once (ASan sees any use after free);
 *  - a ping flood from a peer that never reads pauses reading once the
 *    output passes the send-queue limit, and reading resumes as it drains;
 *  - a message in 1-byte fragments costs about its size, not an allocation
 *    per fragment; a frame header announcing 16 MiB reserves nothing;
 *  - all connections together hold at most IWS_OPT_INCOMPLETE_MESSAGES_LIMIT
 *    for incomplete messages: past it, 1009 and on_error say why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_backend.h"
#include "ws.h" /* the WebSocket state of a connection */

static const char upgrade[] =
    "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

/* What the callbacks saw. */
static iws_http_response *deferred;
static uint64_t last_len, messages;
static uint32_t last_sum;
static int32_t last_error;
static char last_error_text[256];

static void IWS_CALLBACK on_message(iws_server *s, iws_conn_id id,
                                    uint32_t opcode, const uint8_t *data,
                                    uint64_t length, void *user) {
  uint64_t i;
  (void)s;
  (void)id;
  (void)opcode;
  (void)user;
  last_len = length;
  last_sum = 0;
  for (i = 0; i < length; i++) last_sum = last_sum * 31u + data[i];
  messages++;
}

static void IWS_CALLBACK on_error(iws_server *s, iws_conn_id id, int32_t code,
                                  const char *message, void *user) {
  (void)s;
  (void)id;
  (void)user;
  last_error = code;
  snprintf(last_error_text, sizeof(last_error_text), "%s", message);
}

static void IWS_CALLBACK on_http(iws_server *s, iws_conn_id id,
                                 iws_request *req, iws_http_response *res,
                                 void *user) {
  (void)s;
  (void)id;
  (void)req;
  (void)user;
  if (iws_http_defer(res) == IWS_OK) deferred = res;
}

static iws_server *make_server(int64_t queue_limit, int64_t incomplete_limit) {
  iws_callbacks cb;
  iws_server *s = NULL;
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_message = on_message;
  cb.on_error = on_error;
  cb.on_http_request = on_http;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s), IWS_OK);
  iws_set_int(s, IWS_OPT_LOG_LEVEL, 0);
  iws_set_int(s, IWS_OPT_IO_THREADS, 1);
  if (queue_limit >= 0) iws_set_int(s, IWS_OPT_SEND_QUEUE_LIMIT, queue_limit);
  if (incomplete_limit >= 0)
    iws_set_int(s, IWS_OPT_INCOMPLETE_MESSAGES_LIMIT, incomplete_limit);
  assert_int_equal(iws_start(s), IWS_OK);
  return s;
}

/* A masked client frame (mask key 0: the payload stays as it is). */
static size_t frame(uint8_t *out, int fin, int opcode, const uint8_t *payload,
                    size_t len, uint64_t declared) {
  size_t n = 0;
  out[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
  if (declared <= 125) {
    out[n++] = (uint8_t)(0x80 | declared);
  } else if (declared <= 65535) {
    out[n++] = 0x80 | 126;
    out[n++] = (uint8_t)(declared >> 8);
    out[n++] = (uint8_t)declared;
  } else {
    int i;
    out[n++] = 0x80 | 127;
    for (i = 7; i >= 0; i--) out[n++] = (uint8_t)(declared >> (8 * i));
  }
  memset(out + n, 0, 4);
  n += 4;
  if (len) memcpy(out + n, payload, len);
  return n + len;
}

static iws__conn *open_ws(iws_server *s, iws__sock *sock, int slow) {
  iws__conn *c;
  memset(sock, 0, sizeof(*sock));
  sock->slow = slow;
  sock->keep_output = 1;
  c = fake_accept(s, sock, IWS__LISTEN_PLAIN);
  assert_non_null(c);
  fake_feed(sock, (const uint8_t *)upgrade, sizeof(upgrade) - 1);
  assert_int_equal(sock->closed, 0);
  return c;
}

static int output_has_close(iws__sock *sock, uint32_t code) {
  size_t i;
  for (i = 0; i + 4 <= sock->out_len; i++)
    if (sock->out[i] == 0x88 && sock->out[i + 2] == (uint8_t)(code >> 8) &&
        sock->out[i + 3] == (uint8_t)code)
      return 1;
  return 0;
}

/* Issue 16.1: the client leaves just as a deferred answer is due. */
static void deferred_response_while_closing(void **state) {
  iws_server *s = make_server(-1, -1);
  iws__sock sock;
  static const char req[] = "GET /later HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)state;
  memset(&sock, 0, sizeof(sock));
  deferred = NULL;
  assert_non_null(fake_accept(s, &sock, IWS__LISTEN_PLAIN));
  fake_feed(&sock, (const uint8_t *)req, sizeof(req) - 1);
  assert_non_null(deferred);
  assert_int_equal(fake_close_hold(&sock), 0); /* closing, not closed */
  assert_int_equal(iws_http_send(deferred), IWS_E_NO_CONNECTION);
  deferred = NULL;
  fake_close_release(&sock); /* the close path must not touch it */
  iws_destroy(s);
}

/* Issue 16.2: pings from a peer that never reads. */
static void ping_flood_pauses_reading(void **state) {
  enum { LIMIT = 64 * 1024 };
  iws_server *s = make_server(LIMIT, -1);
  iws__sock sock;
  iws__conn *c = open_ws(s, &sock, 1);
  uint8_t payload[125], buf[4096];
  size_t n = 0, fed = 0;
  int paused = 0;
  (void)state;
  memset(payload, 'p', sizeof(payload));
  while (fed < 16u * 1024 * 1024) {
    n = 0;
    while (n + 131 <= sizeof(buf))
      n += frame(buf + n, 1, 9, payload, sizeof(payload), sizeof(payload));
    if (fake_feed(&sock, buf, n) == IWS__READ_PAUSE) {
      paused = 1;
      break; /* a back end stops reading here */
    }
    fed += n;
  }
  assert_true(paused);
  /* The output went over the limit by at most one read's pongs. */
  iws__mutex_lock(iws__conn_mutex(c));
  assert_true(c->queued_bytes <= LIMIT + sizeof(buf) + 1024);
  assert_true(c->out_paused);
  iws__mutex_unlock(iws__conn_mutex(c));
  /* The peer reads again: output drains and reading resumes. */
  fake_drain(&sock, 100000, 4096);
  fake_resume(&sock);
  iws__mutex_lock(iws__conn_mutex(c));
  assert_false(c->out_paused);
  iws__mutex_unlock(iws__conn_mutex(c));
  assert_int_equal(sock.paused, 0);
  assert_int_equal(fake_finish(&sock), 0);
  iws_destroy(s);
}

/* Issue 16.3: a 100 000-byte message in 1-byte fragments. */
static void one_byte_fragments_cost_their_size(void **state) {
  enum { LEN = 100000 };
  iws_server *s = make_server(-1, -1);
  iws__sock sock;
  iws__conn *c = open_ws(s, &sock, 0);
  uint8_t *msg = malloc(LEN), buf[4096];
  uint32_t sum = 0;
  size_t i, n = 0;
  (void)state;
  assert_non_null(msg);
  for (i = 0; i < LEN; i++) {
    msg[i] = (uint8_t)('a' + i % 26);
    sum = sum * 31u + msg[i];
  }
  messages = 0;
  for (i = 0; i < LEN; i++) {
    if (n + 16 > sizeof(buf)) {
      fake_feed(&sock, buf, n);
      n = 0;
    }
    n += frame(buf + n, i == LEN - 1, i == 0 ? 2 : 0, msg + i, 1, 1);
    if (i == LEN / 2) {
      /* Half-way: the buffer holds about what arrived, rounded up. */
      assert_non_null(iws__ws(c)->rx); /* a message is open */
      assert_true(iws__ws(c)->rx->inbuf.cap <= 2 * (i + 1) + 4096);
      assert_true(iws__atomic_load64(&s->rx_held) == iws__ws(c)->rx->inbuf.cap);
    }
  }
  fake_feed(&sock, buf, n);
  assert_int_equal(messages, 1);
  assert_int_equal(last_len, LEN);
  assert_int_equal(last_sum, sum);
  assert_int_equal(iws__atomic_load64(&s->rx_held), 0); /* given back */
  assert_int_equal(fake_finish(&sock), 0);
  free(msg);
  iws_destroy(s);
}

/* Issue 16.5: a header announcing 16 MiB, then a trickle. */
static void announced_size_is_not_reserved(void **state) {
  iws_server *s = make_server(-1, -1);
  iws__sock sock;
  uint8_t buf[64], data[10] = {0};
  size_t n;
  (void)state;
  open_ws(s, &sock, 0);
  n = frame(buf, 1, 2, data, sizeof(data), 16u * 1024 * 1024 - 1);
  fake_feed(&sock, buf, n);
  fake_feed(&sock, data, sizeof(data));
  assert_true(iws__atomic_load64(&s->rx_held) <= 4096);
  assert_int_equal(fake_finish(&sock), 0);
  assert_int_equal(iws__atomic_load64(&s->rx_held), 0);
  iws_destroy(s);
}

static void feed_binary_part(iws__sock *sock, uint64_t declared,
                             size_t len) {
  uint8_t *buf = calloc(1, len + 14);
  assert_non_null(buf);
  fake_feed(sock, buf, frame(buf, 1, 2, NULL, 0, declared) + len);
  free(buf);
}

/* Issue 16.5: the server-wide budget for incomplete messages. */
static void budget_refuses_with_1009(void **state) {
  enum { LIMIT = 100000, MSG = 80000 };
  iws_server *s = make_server(-1, LIMIT);
  iws__sock a, b;
  uint8_t *rest = calloc(1, MSG);
  (void)state;
  assert_non_null(rest);
  open_ws(s, &a, 0);
  open_ws(s, &b, 0);
  messages = 0;
  last_error = 0;
  last_error_text[0] = '\0';
  feed_binary_part(&a, MSG, 60000); /* a holds 64 KiB */
  assert_true(iws__atomic_load64(&s->rx_held) <= LIMIT);
  feed_binary_part(&b, MSG, 60000); /* b cannot have as much */
  assert_int_equal(last_error, IWS_E_MESSAGE_TOO_BIG);
  assert_non_null(strstr(last_error_text, "incomplete messages"));
  assert_true(output_has_close(&b, 1009));
  assert_true(iws__atomic_load64(&s->rx_held) <= LIMIT);
  /* a goes on and completes its message. */
  fake_feed(&a, rest, MSG - 60000);
  assert_int_equal(messages, 1);
  assert_int_equal(last_len, MSG);
  assert_int_equal(fake_finish(&a), 0);
  assert_int_equal(fake_finish(&b), 0);
  assert_int_equal(iws__atomic_load64(&s->rx_held), 0);
  free(rest);
  iws_destroy(s);
}

/* The maximum message size counts the fragments together. */
static void fragments_past_the_maximum_close_1009(void **state) {
  iws_server *s = make_server(-1, -1);
  iws__sock sock;
  uint8_t buf[64], data[40] = {0};
  (void)state;
  iws_set_int(s, IWS_OPT_MAX_MESSAGE_SIZE, 100); /* running: refused */
  iws_stop(s);
  assert_int_equal(iws_set_int(s, IWS_OPT_MAX_MESSAGE_SIZE, 100), IWS_OK);
  assert_int_equal(iws_start(s), IWS_OK);
  open_ws(s, &sock, 0);
  last_error = 0;
  fake_feed(&sock, buf, frame(buf, 0, 1, data, 40, 40));
  fake_feed(&sock, buf, frame(buf, 0, 0, data, 40, 40));
  assert_int_equal(last_error, 0);
  fake_feed(&sock, buf, frame(buf, 1, 0, data, 40, 40));
  assert_int_equal(last_error, IWS_E_MESSAGE_TOO_BIG);
  assert_true(output_has_close(&sock, 1009));
  assert_int_equal(fake_finish(&sock), 0);
  assert_int_equal(iws__atomic_load64(&s->rx_held), 0);
  iws_destroy(s);
}

/* IWS_OPT_HEARTBEAT_IF_IDLE's test on the tick thread: a frame that
 * began in the same (even) millisecond as the tick's clock reading is
 * stored 1 ms "ahead" (bit 0 set); that is talking, not 49 days of
 * silence. */
static void heartbeat_if_idle_counts_a_frame_of_this_millisecond(void **state) {
  uint32_t now = 4000; /* even: the frame's stamp is 4001 */
  (void)state;
  assert_true(iws__ws_talked_within(now | 1u, now, 1000));
  assert_true(iws__ws_talked_within(now - 999u, now, 1000));
  assert_false(iws__ws_talked_within(now - 1000u, now, 1000));
  assert_false(iws__ws_talked_within(0, now, 1000)); /* none yet */
  assert_true(iws__ws_talked_within(0xFFFFFFFFu, 3u, 1000)); /* wrapped */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(deferred_response_while_closing),
      cmocka_unit_test(ping_flood_pauses_reading),
      cmocka_unit_test(one_byte_fragments_cost_their_size),
      cmocka_unit_test(announced_size_is_not_reserved),
      cmocka_unit_test(budget_refuses_with_1009),
      cmocka_unit_test(fragments_past_the_maximum_close_1009),
      cmocka_unit_test(heartbeat_if_idle_counts_a_frame_of_this_millisecond),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
