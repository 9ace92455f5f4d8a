/*
 * Wslay - The WebSocket Library
 *
 * Copyright (c) 2011, 2012 Tatsuhiro Tsujikawa
 *
 * Permission is hereby granted, free of charge, to any person obtaining
 * a copy of this software and associated documentation files (the
 * "Software"), to deal in the Software without restriction, including
 * without limitation the rights to use, copy, modify, merge, publish,
 * distribute, sublicense, and/or sell copies of the Software, and to
 * permit persons to whom the Software is furnished to do so, subject to
 * the following conditions:
 *
 * The above copyright notice and this permission notice shall be
 * included in all copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
 * EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 * MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 * NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
 * LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
 * OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
 * WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */
#include "wslay_event_test.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "wslay_event.h"

struct scripted_data_feed {
  uint8_t data[8192];
  uint8_t *datamark;
  uint8_t *datalimit;
  size_t feedseq[8192];
  size_t seqidx;
};

struct accumulator {
  uint8_t buf[4096];
  size_t length;
};

struct my_user_data {
  struct scripted_data_feed *df;
  struct accumulator *acc;
};

static void scripted_data_feed_init(struct scripted_data_feed *df,
                                    const uint8_t *data, size_t data_length) {
  memset(df, 0, sizeof(struct scripted_data_feed));
  if (data_length) {
    memcpy(df->data, data, data_length);
  }
  df->datamark = df->data;
  df->datalimit = df->data + data_length;
  df->feedseq[0] = data_length;
}

static ssize_t
scripted_read_callback(wslay_event_context_ptr ctx, uint8_t *data, size_t len,
                       const union wslay_event_msg_source *source, int *eof,
                       void *user_data) {
  struct scripted_data_feed *df = (struct scripted_data_feed *)source->data;
  size_t wlen = df->feedseq[df->seqidx] > len ? len : df->feedseq[df->seqidx];
  memcpy(data, df->datamark, wlen);
  df->datamark += wlen;
  if (wlen <= len) {
    ++df->seqidx;
  } else {
    df->feedseq[df->seqidx] -= wlen;
  }
  if (df->datamark == df->datalimit) {
    *eof = 1;
  }
  return wlen;
}

static ssize_t scripted_recv_callback(wslay_event_context_ptr ctx,
                                      uint8_t *data, size_t len, int flags,
                                      void *user_data) {
  struct scripted_data_feed *df = ((struct my_user_data *)user_data)->df;
  size_t wlen = df->feedseq[df->seqidx] > len ? len : df->feedseq[df->seqidx];
  memcpy(data, df->datamark, wlen);
  df->datamark += wlen;
  if (wlen <= len) {
    ++df->seqidx;
  } else {
    df->feedseq[df->seqidx] -= wlen;
  }
  return wlen;
}

static ssize_t accumulator_send_callback(wslay_event_context_ptr ctx,
                                         const uint8_t *buf, size_t len,
                                         int flags, void *user_data) {
  struct accumulator *acc = ((struct my_user_data *)user_data)->acc;
  assert(acc->length + len < sizeof(acc->buf));
  memcpy(acc->buf + acc->length, buf, len);
  acc->length += len;
  return len;
}

static ssize_t one_accumulator_send_callback(wslay_event_context_ptr ctx,
                                             const uint8_t *buf, size_t len,
                                             int flags, void *user_data) {
  struct accumulator *acc = ((struct my_user_data *)user_data)->acc;
  assert(len > 0);
  memcpy(acc->buf + acc->length, buf, 1);
  acc->length += 1;
  return 1;
}

static ssize_t fail_recv_callback(wslay_event_context_ptr ctx, uint8_t *data,
                                  size_t len, int flags, void *user_data) {
  wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
  return -1;
}

static ssize_t fail_send_callback(wslay_event_context_ptr ctx,
                                  const uint8_t *buf, size_t len, int flags,
                                  void *user_data) {
  wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
  return -1;
}

void test_wslay_event_send_fragmented_msg(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  const char msg[] = "Hello";
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  const uint8_t ans[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg) - 1);
  df.feedseq[0] = 3;
  df.feedseq[1] = 2;
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 == wslay_event_queue_fragmented_msg(ctx, &arg));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT_EQUAL(9, acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  wslay_event_context_free(ctx);
}

void test_wslay_event_send_fragmented_msg_empty_data(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  const uint8_t ans[] = {0x81, 0x00};
  scripted_data_feed_init(&df, NULL, 0);
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 == wslay_event_queue_fragmented_msg(ctx, &arg));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT_EQUAL(2, acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  wslay_event_context_free(ctx);
}

void test_wslay_event_send_fragmented_msg_with_ctrl(void) {
  int i;
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  const char msg[] = "Hello";
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  struct wslay_event_msg ctrl_arg;
  const uint8_t ans[] = {
      0x01, 0x03, 0x48, 0x65, 0x6c, /* "Hel" */
      0x89, 0x00,                   /* unmasked ping */
      0x80, 0x02, 0x6c, 0x6f        /* "lo" */
  };
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg) - 1);
  df.feedseq[0] = 3;
  df.feedseq[1] = 2;
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = one_accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 == wslay_event_queue_fragmented_msg(ctx, &arg));
  CU_ASSERT(1 == wslay_event_get_queued_msg_count(ctx));
  CU_ASSERT(0 == wslay_event_get_queued_msg_length(ctx));
  CU_ASSERT(0 == wslay_event_send(ctx));

  memset(&ctrl_arg, 0, sizeof(ctrl_arg));
  ctrl_arg.opcode = WSLAY_PING;
  ctrl_arg.msg_length = 0;
  CU_ASSERT(0 == wslay_event_queue_msg(ctx, &ctrl_arg));
  CU_ASSERT(2 == wslay_event_get_queued_msg_count(ctx));
  for (i = 0; i < 10; ++i) {
    CU_ASSERT(0 == wslay_event_send(ctx));
  }
  CU_ASSERT(0 == wslay_event_get_queued_msg_count(ctx));
  CU_ASSERT(11 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  wslay_event_context_free(ctx);
}

void test_wslay_event_send_fragmented_msg_with_rsv1(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  const char msg[] = "Hello";
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  const uint8_t ans[] = {0x41, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg) - 1);
  df.feedseq[0] = 3;
  df.feedseq[1] = 2;
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 ==
            wslay_event_queue_fragmented_msg_ex(ctx, &arg, WSLAY_RSV1_BIT));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT_EQUAL(9, acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  wslay_event_context_free(ctx);
}

void test_wslay_event_send_msg_with_rsv1(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  const char msg[] = "Hello";
  struct wslay_event_msg arg;
  const uint8_t ans[] = {
      0xc1, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f /* "Hello" */
  };

  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.msg = (const uint8_t *)msg;
  arg.msg_length = 5;
  CU_ASSERT(0 == wslay_event_queue_msg_ex(ctx, &arg, WSLAY_RSV1_BIT));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(7 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  wslay_event_context_free(ctx);
}

void test_wslay_event_send_ctrl_msg_first(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  const char msg[] = "Hello";
  struct wslay_event_msg arg;
  const uint8_t ans[] = {
      0x89, 0x00,                              /* unmasked ping */
      0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f /* "Hello" */
  };
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_PING;
  arg.msg_length = 0;
  CU_ASSERT(0 == wslay_event_queue_msg(ctx, &arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.msg = (const uint8_t *)msg;
  arg.msg_length = 5;
  CU_ASSERT(0 == wslay_event_queue_msg(ctx, &arg));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(9 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  wslay_event_context_free(ctx);
}

void test_wslay_event_send_ctrl_msg_with_rsv1(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct wslay_event_msg arg;

  memset(&callbacks, 0, sizeof(callbacks));

  wslay_event_context_server_init(&ctx, &callbacks, NULL);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_PING;
  arg.msg_length = 0;
  CU_ASSERT(WSLAY_ERR_INVALID_ARGUMENT ==
            wslay_event_queue_msg_ex(ctx, &arg, WSLAY_RSV1_BIT));

  wslay_event_context_free(ctx);
}

void test_wslay_event_queue_close(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  const char msg[] = "H";
  const uint8_t ans[] = {
      0x88, 0x03, 0x03, 0xf1, 0x48 /* "H" */
  };
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  CU_ASSERT(0 == wslay_event_queue_close(ctx, WSLAY_CODE_MESSAGE_TOO_BIG,
                                         (const uint8_t *)msg, 1));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(5 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  CU_ASSERT(1 == wslay_event_get_close_sent(ctx));
  wslay_event_context_free(ctx);
}

void test_wslay_event_queue_close_without_code(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  const uint8_t ans[] = {0x88, 0x00};
  struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  memset(&acc, 0, sizeof(acc));
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  CU_ASSERT(0 == wslay_event_queue_msg(ctx, &ping));
  /* See that ping is not sent because close frame is queued */
  CU_ASSERT(0 == wslay_event_queue_close(ctx, 0, NULL, 0));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(2 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  CU_ASSERT(1 == wslay_event_get_close_sent(ctx));
  CU_ASSERT(WSLAY_CODE_NO_STATUS_RCVD == wslay_event_get_status_code_sent(ctx));
  wslay_event_context_free(ctx);
}

void test_wslay_event_recv_close_without_code(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  const uint8_t msg[] = {0x88u, 0x00};
  struct scripted_data_feed df;
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg));
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.recv_callback = scripted_recv_callback;
  ud.df = &df;
  wslay_event_context_client_init(&ctx, &callbacks, &ud);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  CU_ASSERT(1 == wslay_event_get_close_received(ctx));
  CU_ASSERT(WSLAY_CODE_NO_STATUS_RCVD ==
            wslay_event_get_status_code_received(ctx));
  wslay_event_context_free(ctx);
}

void test_wslay_event_reply_close(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  /* Masked close frame with code = 1009, reason = "Hello" */
  const uint8_t msg[] = {
      0x88u, 0x87u, 0x00u, 0x00u, 0x00u, 0x00u, 0x03, 0xf1, /* 1009 */
      0x48,  0x65,  0x6c,  0x6c,  0x6f                      /* "Hello" */
  };
  const uint8_t ans[] = {
      0x88u, 0x07u, 0x03, 0xf1,      /* 1009 */
      0x48,  0x65,  0x6c, 0x6c, 0x6f /* "Hello" */
  };
  struct scripted_data_feed df;
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg));
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  callbacks.recv_callback = scripted_recv_callback;
  memset(&acc, 0, sizeof(acc));
  ud.df = &df;
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  CU_ASSERT(1 == wslay_event_get_queued_msg_count(ctx));
  /* 7 bytes = 2 bytes status code + "Hello" */
  CU_ASSERT(7 == wslay_event_get_queued_msg_length(ctx));
  CU_ASSERT(1 == wslay_event_get_close_received(ctx));
  CU_ASSERT(WSLAY_CODE_MESSAGE_TOO_BIG ==
            wslay_event_get_status_code_received(ctx));
  CU_ASSERT(WSLAY_CODE_ABNORMAL_CLOSURE ==
            wslay_event_get_status_code_sent(ctx));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(0 == wslay_event_get_queued_msg_count(ctx));
  CU_ASSERT(0 == wslay_event_get_queued_msg_length(ctx));
  CU_ASSERT(9 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  CU_ASSERT(1 == wslay_event_get_close_sent(ctx));
  CU_ASSERT(WSLAY_CODE_MESSAGE_TOO_BIG ==
            wslay_event_get_status_code_received(ctx));
  CU_ASSERT(WSLAY_CODE_MESSAGE_TOO_BIG ==
            wslay_event_get_status_code_sent(ctx));
  wslay_event_context_free(ctx);
}

void test_wslay_event_no_more_msg(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  memset(&callbacks, 0, sizeof(callbacks));
  wslay_event_context_server_init(&ctx, &callbacks, NULL);
  CU_ASSERT(0 == wslay_event_queue_close(ctx, 0, NULL, 0));
  CU_ASSERT(WSLAY_ERR_NO_MORE_MSG == wslay_event_queue_close(ctx, 0, NULL, 0));
  wslay_event_context_free(ctx);
}

void test_wslay_event_callback_failure(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.recv_callback = fail_recv_callback;
  callbacks.send_callback = fail_send_callback;
  wslay_event_context_server_init(&ctx, &callbacks, NULL);
  CU_ASSERT(WSLAY_ERR_CALLBACK_FAILURE == wslay_event_recv(ctx));
  /* close control frame is in queue */
  CU_ASSERT(WSLAY_ERR_CALLBACK_FAILURE == wslay_event_send(ctx));
  wslay_event_context_free(ctx);
}

static void no_buffering_callback(wslay_event_context_ptr ctx,
                                  const struct wslay_event_on_msg_recv_arg *arg,
                                  void *user_data) {
  if (arg->opcode == WSLAY_PING) {
    CU_ASSERT(3 == arg->msg_length);
    CU_ASSERT(0 == memcmp("Foo", arg->msg, arg->msg_length));
  } else {
    CU_ASSERT(WSLAY_TEXT_FRAME == arg->opcode);
    CU_ASSERT(0 == arg->msg_length);
  }
}

void test_wslay_event_no_buffering(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  const uint8_t msg[] = {
      0x01, 0x03, 0x48, 0x65, 0x6c, /* "Hel" */
      0x89, 0x03, 0x46, 0x6f, 0x6f, /* ping with "Foo" */
      0x80, 0x02, 0x6c, 0x6f,       /* "lo" */
  };
  struct scripted_data_feed df;
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg));
  memset(&callbacks, 0, sizeof(callbacks));
  ud.df = &df;
  callbacks.recv_callback = scripted_recv_callback;
  callbacks.on_msg_recv_callback = no_buffering_callback;
  wslay_event_context_client_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_no_buffering(ctx, 1);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  /* pong must be queued */
  CU_ASSERT(wslay_event_want_write(ctx));
  wslay_event_context_free(ctx);
}

static void
text_rsv1_on_msg_recv_callback(wslay_event_context_ptr ctx,
                               const struct wslay_event_on_msg_recv_arg *arg,
                               void *user_data) {
  CU_ASSERT(WSLAY_TEXT_FRAME == arg->opcode);
  CU_ASSERT(WSLAY_RSV1_BIT == arg->rsv);
}

void test_wslay_event_recv_text_frame_with_rsv1(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  const uint8_t msg[] = {
      0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 // "Hello" pm-deflate
  };
  const uint8_t fragmented[] = {
      0x41, 0x03, 0xf2, 0x48, 0xcd,      // First fragment
      0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00 // Second fragment, RSV1 bit off
  };
  const uint8_t bad_fragment[] = {
      0x41, 0x03, 0xf2, 0x48, 0xcd, 0xc0,
      0x04, 0xc9, 0xc9, 0x07, 0x00 // RSV1 bit on
  };
  const uint8_t pingmsg[] = {
      0xc9, 0x03, 0x46, 0x6f, 0x6f /* ping with "Foo" */
  };
  struct scripted_data_feed df;

  /* Message marked with RSV1 should skip UTF-8 validation */
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg));
  memset(&callbacks, 0, sizeof(callbacks));
  ud.df = &df;
  callbacks.recv_callback = scripted_recv_callback;
  callbacks.on_msg_recv_callback = text_rsv1_on_msg_recv_callback;
  wslay_event_context_client_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  CU_ASSERT(0 == wslay_event_want_write(ctx));
  wslay_event_context_free(ctx);

  /* UTF-8 validation is skipped for continuation frames if the
   * initial frame was marked with RSV1 bit */
  scripted_data_feed_init(&df, (const uint8_t *)fragmented, sizeof(fragmented));
  memset(&callbacks, 0, sizeof(callbacks));
  ud.df = &df;
  callbacks.recv_callback = scripted_recv_callback;
  callbacks.on_msg_recv_callback = text_rsv1_on_msg_recv_callback;
  wslay_event_context_client_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  CU_ASSERT(0 == wslay_event_want_write(ctx));
  wslay_event_context_free(ctx);

  /* disallow RSV1 */
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg));
  wslay_event_context_client_init(&ctx, &callbacks, &ud);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  /* Close frame must be queued */
  CU_ASSERT(wslay_event_want_write(ctx));
  wslay_event_context_free(ctx);

  /* RSV1 is not allowed in continuation frame */
  scripted_data_feed_init(&df, (const uint8_t *)bad_fragment,
                          sizeof(bad_fragment));
  wslay_event_context_client_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  /* Close frame must be queued */
  CU_ASSERT(wslay_event_want_write(ctx));
  wslay_event_context_free(ctx);

  /* RSV1 is not allowed in ping frame */
  scripted_data_feed_init(&df, (const uint8_t *)pingmsg, sizeof(pingmsg));
  wslay_event_context_client_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  /* Close frame must be queued */
  CU_ASSERT(wslay_event_want_write(ctx));
  wslay_event_context_free(ctx);
}

struct utf8_result {
  size_t msg_count;
  size_t msg_length;
};

static void utf8_on_msg_recv_callback(wslay_event_context_ptr ctx,
                                      const struct wslay_event_on_msg_recv_arg *arg,
                                      void *user_data) {
  struct utf8_result *res =
      (struct utf8_result *)((struct my_user_data *)user_data)->acc;
  (void)ctx;
  if (arg->opcode == WSLAY_TEXT_FRAME) {
    ++res->msg_count;
    res->msg_length = arg->msg_length;
  }
}

/* A server receives one masked text frame carrying payload, read piece
   bytes at a time (0: all at once); returns 1 if it was delivered as a
   message, 0 if wslay answered with close 1007 instead. */
static int utf8_recv_text(const uint8_t *payload, size_t len, size_t piece) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct scripted_data_feed df;
  struct accumulator acc;
  struct utf8_result res;
  uint8_t frame[512];
  const uint8_t mask[4] = {0x37u, 0xfau, 0x21u, 0x3du};
  size_t hdlen, total, i;
  int delivered;
  assert(len <= 256);
  frame[0] = 0x81u;
  if (len < 126) {
    frame[1] = 0x80u | (uint8_t)len;
    hdlen = 2;
  } else {
    frame[1] = 0x80u | 126;
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    hdlen = 4;
  }
  memcpy(frame + hdlen, mask, 4);
  hdlen += 4;
  for (i = 0; i < len; ++i) {
    frame[hdlen + i] = payload[i] ^ mask[i % 4];
  }
  total = hdlen + len;
  scripted_data_feed_init(&df, frame, total);
  if (piece) {
    for (i = 0; i * piece < total; ++i) {
      df.feedseq[i] = total - i * piece < piece ? total - i * piece : piece;
    }
  }
  memset(&res, 0, sizeof(res));
  memset(&acc, 0, sizeof(acc));
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.recv_callback = scripted_recv_callback;
  callbacks.on_msg_recv_callback = utf8_on_msg_recv_callback;
  ud.df = &df;
  ud.acc = (struct accumulator *)(void *)&res;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  /* Each call reads until wslay wants more than one read gave it */
  while (df.datamark != df.datalimit && wslay_event_get_read_enabled(ctx)) {
    CU_ASSERT(0 == wslay_event_recv(ctx));
  }
  delivered = res.msg_count == 1 && res.msg_length == len &&
              !wslay_event_want_write(ctx);
  if (!delivered) {
    /* The close frame wslay queued: code 1007, no message delivered */
    const uint8_t ans[] = {0x88u, 0x02u, 0x03u, 0xefu};
    CU_ASSERT(0 == res.msg_count);
    callbacks.send_callback = accumulator_send_callback;
    wslay_event_config_set_callbacks(ctx, &callbacks);
    ud.acc = &acc;
    CU_ASSERT(0 == wslay_event_send(ctx));
    CU_ASSERT(sizeof(ans) == acc.length);
    CU_ASSERT(0 == memcmp(ans, acc.buf, sizeof(ans)));
  }
  wslay_event_context_free(ctx);
  return delivered;
}

void test_wslay_event_recv_utf8(void) {
  /* ASCII runs longer than 8 bytes around every sequence length */
  const char mixed[] = "0123456789abcdefghij\xc3\xa9"
                       "0123456789abcdefghij\xe2\x82\xac"
                       "0123456789abcdefg\xf0\x9d\x84\x9e"
                       "0123456789";
  /* A sequence cut short by ASCII: the bytes after the lead byte must
     not be skipped as ASCII */
  const char cut[] = "01234567\xc3"
                     "0123456789abcdef";
  const char cut_resumed[] = "01234567\xc3"
                             "0123456789abcdef\xa9"
                             "0123";
  const char cut3[] = "0123456789abcdef\xe2\x82"
                      "0123456789abcdef";
  const char bad_byte[] = "0123456789abcdefg\xff"
                          "0123456789";
  const char overlong[] = "0123456789abcdef\xc0\x80"
                          "01234567";
  const char surrogate[] = "0123456789abcdef\xed\xa0\x80"
                           "01234567";
  const char too_high[] = "01234567\xf4\x90\x80\x80"
                          "0123456789abcdef";
  const char ends_in_seq[] = "0123456789abcdef\xe2\x82";
  /* The boundaries of RFC 3629's table, each inside non-ASCII text */
  static const char *const valid_seqs[] = {
      "\xc2\x80",         "\xdf\xbf",         "\xe0\xa0\x80",
      "\xe0\xbf\xbf",     "\xe1\x80\x80",     "\xec\xbf\xbf",
      "\xed\x80\x80",     "\xed\x9f\xbf",     "\xee\x80\x80",
      "\xef\xbf\xbf",     "\xf0\x90\x80\x80", "\xf0\xbf\xbf\xbf",
      "\xf1\x80\x80\x80", "\xf3\xbf\xbf\xbf", "\xf4\x80\x80\x80",
      "\xf4\x8f\xbf\xbf"};
  static const char *const invalid_seqs[] = {
      "\x80",             "\xbf",             "\xc0\x80",
      "\xc1\xbf",         "\xc2\x7f",         "\xc2\xc0",
      "\xe0\x9f\xbf",     "\xe0\xa0\x7f",     "\xe1\x80\xc0",
      "\xed\xa0\x80",     "\xed\xbf\xbf",     "\xef\xbf\x7f",
      "\xf0\x8f\xbf\xbf", "\xf0\x90\x80\xc0", "\xf4\x90\x80\x80",
      "\xf5\x80\x80\x80", "\xff",             "\xfe"};
  /* two-byte and three-byte text around the sequence under test */
  const char cyr[] = "\xd0\xbf\xd1\x80\xd0\xb8\xe4\xb8\x96";
  uint8_t text[64];
  uint8_t long_ascii[200];
  size_t pieces[] = {0, 1, 3, 7, 9, 16};
  size_t k, j;
  memset(long_ascii, 'a', sizeof(long_ascii));
  for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); ++k) {
    size_t p = pieces[k];
    CU_ASSERT(1 == utf8_recv_text(long_ascii, sizeof(long_ascii), p));
    CU_ASSERT(1 == utf8_recv_text((const uint8_t *)mixed, sizeof(mixed) - 1, p));
    CU_ASSERT(0 == utf8_recv_text((const uint8_t *)cut, sizeof(cut) - 1, p));
    CU_ASSERT(0 == utf8_recv_text((const uint8_t *)cut_resumed,
                                  sizeof(cut_resumed) - 1, p));
    CU_ASSERT(0 == utf8_recv_text((const uint8_t *)cut3, sizeof(cut3) - 1, p));
    CU_ASSERT(0 ==
              utf8_recv_text((const uint8_t *)bad_byte, sizeof(bad_byte) - 1, p));
    CU_ASSERT(0 ==
              utf8_recv_text((const uint8_t *)overlong, sizeof(overlong) - 1, p));
    CU_ASSERT(0 == utf8_recv_text((const uint8_t *)surrogate,
                                  sizeof(surrogate) - 1, p));
    CU_ASSERT(0 ==
              utf8_recv_text((const uint8_t *)too_high, sizeof(too_high) - 1, p));
    CU_ASSERT(0 == utf8_recv_text((const uint8_t *)ends_in_seq,
                                  sizeof(ends_in_seq) - 1, p));
    /* One byte >= 0x80 at the end of a long ASCII run */
    long_ascii[sizeof(long_ascii) - 1] = 0x80u;
    CU_ASSERT(0 == utf8_recv_text(long_ascii, sizeof(long_ascii), p));
    long_ascii[sizeof(long_ascii) - 1] = 'a';
    /* A stray continuation byte, then a whole 2-byte sequence, at every
       position of the run: every step width of the ASCII skip and its
       tail meet the byte at every offset */
    for (j = 0; j + 1 < sizeof(long_ascii); ++j) {
      long_ascii[j] = 0x80u;
      CU_ASSERT(0 == utf8_recv_text(long_ascii, sizeof(long_ascii), p));
      long_ascii[j] = 0xc3u;
      long_ascii[j + 1] = 0xa9u;
      CU_ASSERT(1 == utf8_recv_text(long_ascii, sizeof(long_ascii), p));
      long_ascii[j] = 'a';
      long_ascii[j + 1] = 'a';
    }
    for (j = 0; j < sizeof(valid_seqs) / sizeof(valid_seqs[0]); ++j) {
      size_t n = strlen(valid_seqs[j]), c = sizeof(cyr) - 1;
      memcpy(text, cyr, c);
      memcpy(text + c, valid_seqs[j], n);
      memcpy(text + c + n, cyr, c);
      CU_ASSERT(1 == utf8_recv_text(text, 2 * c + n, p));
    }
    for (j = 0; j < sizeof(invalid_seqs) / sizeof(invalid_seqs[0]); ++j) {
      size_t n = strlen(invalid_seqs[j]), c = sizeof(cyr) - 1;
      memcpy(text, cyr, c);
      memcpy(text + c, invalid_seqs[j], n);
      memcpy(text + c + n, cyr, c);
      CU_ASSERT(0 == utf8_recv_text(text, 2 * c + n, p));
    }
  }
}

/* wslay_event_recv_buffer: frames written masked into wire */
struct recv_buffer_run {
  uint8_t msgs[4][70000]; /* data messages, as reassembled from chunks */
  size_t msg_lengths[4];
  size_t nmsgs;
  size_t cur_length;     /* the data message being received so far */
  uint8_t cur[70000];
  size_t sent;           /* bytes wslay wrote back */
  uint8_t sent_buf[256];
  const uint8_t *piece;  /* the caller's buffer being parsed */
  size_t piece_length;
  size_t chunks_in_piece; /* chunks whose data lay inside piece */
  size_t chunks;
  int no_buffering;
  int in_ctrl_frame;
};

static size_t put_masked_frame(uint8_t *out, int fin, int opcode,
                               const uint8_t *payload, size_t len) {
  static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  size_t n = 0, i;
  out[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
  if (len < 126) {
    out[n++] = (uint8_t)(0x80 | len);
  } else if (len < 65536) {
    out[n++] = 0x80 | 126;
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
  } else {
    out[n++] = 0x80 | 127;
    for (i = 0; i < 8; ++i) {
      out[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
  }
  memcpy(out + n, key, 4);
  n += 4;
  for (i = 0; i < len; ++i) {
    out[n + i] = payload[i] ^ key[i % 4];
  }
  return n + len;
}

static void recv_buffer_start_callback(
    wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user_data) {
  (void)ctx;
  ((struct recv_buffer_run *)user_data)->in_ctrl_frame =
      (arg->opcode & 0x8) != 0;
}

static void recv_buffer_chunk_callback(
    wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user_data) {
  struct recv_buffer_run *run = (struct recv_buffer_run *)user_data;
  (void)ctx;
  ++run->chunks;
  if (arg->data >= run->piece && arg->data < run->piece + run->piece_length) {
    CU_ASSERT(arg->data + arg->data_length <= run->piece + run->piece_length);
    ++run->chunks_in_piece;
  }
  if (run->no_buffering && !run->in_ctrl_frame) {
    assert(run->cur_length + arg->data_length <= sizeof(run->cur));
    memcpy(run->cur + run->cur_length, arg->data, arg->data_length);
    run->cur_length += arg->data_length;
  }
}

static void recv_buffer_msg_callback(
    wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
    void *user_data) {
  struct recv_buffer_run *run = (struct recv_buffer_run *)user_data;
  (void)ctx;
  if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME) {
    return;
  }
  assert(run->nmsgs < 4);
  if (run->no_buffering) {
    CU_ASSERT(arg->msg == NULL);
    memcpy(run->msgs[run->nmsgs], run->cur, run->cur_length);
    run->msg_lengths[run->nmsgs] = run->cur_length;
  } else {
    memcpy(run->msgs[run->nmsgs], arg->msg, arg->msg_length);
    run->msg_lengths[run->nmsgs] = arg->msg_length;
  }
  ++run->nmsgs;
  run->cur_length = 0;
}

static ssize_t recv_buffer_send_callback(wslay_event_context_ptr ctx,
                                         const uint8_t *data, size_t len,
                                         int flags, void *user_data) {
  struct recv_buffer_run *run = (struct recv_buffer_run *)user_data;
  (void)ctx;
  (void)flags;
  assert(run->sent + len <= sizeof(run->sent_buf));
  memcpy(run->sent_buf + run->sent, data, len);
  run->sent += len;
  return (ssize_t)len;
}

/* Feeds wire[0, len) to a server context in pieces of piece_size bytes,
   each in a buffer of its own that is gone after the call. */
static int recv_buffer_feed(struct recv_buffer_run *run, const uint8_t *wire,
                            size_t len, size_t piece_size, int no_buffering,
                            wslay_event_context_ptr *pctx) {
  struct wslay_event_callbacks callbacks;
  wslay_event_context_ptr ctx;
  size_t off = 0;
  int rv = 0;
  memset(run, 0, sizeof(*run));
  run->no_buffering = no_buffering;
  memset(&callbacks, 0, sizeof(callbacks));
  /* no recv_callback: this context receives only from buffers */
  callbacks.send_callback = recv_buffer_send_callback;
  callbacks.on_frame_recv_start_callback = recv_buffer_start_callback;
  callbacks.on_frame_recv_chunk_callback = recv_buffer_chunk_callback;
  callbacks.on_msg_recv_callback = recv_buffer_msg_callback;
  wslay_event_context_server_init(&ctx, &callbacks, run);
  wslay_event_config_set_no_buffering(ctx, no_buffering);
  while (off < len && rv == 0 && wslay_event_get_read_enabled(ctx)) {
    size_t n = len - off < piece_size ? len - off : piece_size;
    uint8_t *piece = malloc(n);
    assert(piece);
    memcpy(piece, wire + off, n);
    run->piece = piece;
    run->piece_length = n;
    rv = wslay_event_recv_buffer(ctx, piece, n);
    run->piece = NULL;
    run->piece_length = 0;
    free(piece);
    off += n;
  }
  if (rv == 0) {
    rv = wslay_event_send(ctx);
  }
  *pctx = ctx;
  return rv;
}

void test_wslay_event_recv_buffer(void) {
  static uint8_t wire[90000];
  static uint8_t text[10000], binary[70000];
  static struct recv_buffer_run run;
  const uint8_t ping[] = "ping!";
  const uint8_t close_payload[] = {0x03, 0xe8, 'b', 'y', 'e'};
  const uint8_t after_close[] = {0x81, 0x80, 0, 0, 0, 0};
  size_t pieces[] = {1, 2, 3, 5, 13, 100, 4095, 4096, 5000, 65536,
                     sizeof(wire)};
  size_t len = 0, k, i, text_end, bin_end;
  int nb;
  wslay_event_context_ptr ctx;
  for (i = 0; i < sizeof(text); ++i) {
    text[i] = (uint8_t)('a' + i % 26);
  }
  for (i = 0; i < sizeof(binary); ++i) {
    binary[i] = (uint8_t)(i * 7 + (i >> 8));
  }
  /* a text frame (16-bit length), a fragmented message with a ping
     between its frames, a binary frame (64-bit length), a close */
  len += put_masked_frame(wire + len, 1, WSLAY_TEXT_FRAME, text, sizeof(text));
  text_end = len;
  len += put_masked_frame(wire + len, 0, WSLAY_TEXT_FRAME, text, 3);
  len += put_masked_frame(wire + len, 1, WSLAY_PING, ping, sizeof(ping) - 1);
  len += put_masked_frame(wire + len, 1, WSLAY_CONTINUATION_FRAME, text + 3,
                          200);
  len += put_masked_frame(wire + len, 1, WSLAY_BINARY_FRAME, binary,
                          sizeof(binary));
  bin_end = len;
  len += put_masked_frame(wire + len, 1, WSLAY_CONNECTION_CLOSE, close_payload,
                          sizeof(close_payload));
  /* bytes after the close are not read */
  memcpy(wire + len, after_close, sizeof(after_close));
  len += sizeof(after_close);
  for (nb = 0; nb < 2; ++nb) {
    for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); ++k) {
      CU_ASSERT(0 == recv_buffer_feed(&run, wire, len, pieces[k], nb, &ctx));
      CU_ASSERT(3 == run.nmsgs);
      CU_ASSERT(sizeof(text) == run.msg_lengths[0]);
      CU_ASSERT(0 == memcmp(text, run.msgs[0], sizeof(text)));
      CU_ASSERT(203 == run.msg_lengths[1]);
      CU_ASSERT(0 == memcmp(text, run.msgs[1], 203));
      CU_ASSERT(sizeof(binary) == run.msg_lengths[2]);
      CU_ASSERT(0 == memcmp(binary, run.msgs[2], sizeof(binary)));
      /* every chunk was read in place: nothing went through ibuf but
         the headers cut by the end of a piece */
      CU_ASSERT(run.chunks == run.chunks_in_piece);
      /* the close echoed (the pong queued for the ping goes unsent once
         a close is queued, as with wslay_event_recv()) */
      CU_ASSERT(2 + 5 == run.sent);
      CU_ASSERT(0x88 == run.sent_buf[0] && 5 == run.sent_buf[1]);
      CU_ASSERT(0 == memcmp(close_payload, run.sent_buf + 2, 5));
      CU_ASSERT(wslay_event_get_close_received(ctx));
      CU_ASSERT(1000 == wslay_event_get_status_code_received(ctx));
      CU_ASSERT(0 == wslay_event_get_read_enabled(ctx));
      if (nb && pieces[k] >= text_end) {
        /* a frame lying whole in the buffer is one chunk */
        CU_ASSERT(run.chunks >= 1);
      }
      if (nb && pieces[k] == sizeof(wire)) {
        /* text, 3 + 200 (the ping is not a data chunk, but counts),
           binary, close: one chunk each */
        CU_ASSERT(6 == run.chunks);
      }
      wslay_event_context_free(ctx);
    }
  }
  (void)bin_end;
}

/* A header cut by the end of one buffer is completed by the next call,
   and wslay_event_recv() carries on where wslay_event_recv_buffer()
   stopped */
static struct scripted_data_feed recv_buffer_df;

static ssize_t recv_buffer_scripted_recv(wslay_event_context_ptr ctx,
                                         uint8_t *data, size_t len, int flags,
                                         void *user_data) {
  size_t n = (size_t)(recv_buffer_df.datalimit - recv_buffer_df.datamark);
  (void)flags;
  (void)user_data;
  if (n == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  if (n > len) {
    n = len;
  }
  memcpy(data, recv_buffer_df.datamark, n);
  recv_buffer_df.datamark += n;
  return (ssize_t)n;
}

void test_wslay_event_recv_buffer_mixed(void) {
  static uint8_t wire[1000];
  static uint8_t payload[300];
  static struct recv_buffer_run run;
  struct wslay_event_callbacks callbacks;
  wslay_event_context_ptr ctx;
  const uint8_t unmasked[] = {0x82, 0x01, 'x'};
  size_t len = 0, cut, i;
  for (i = 0; i < sizeof(payload); ++i) {
    payload[i] = (uint8_t)i;
  }
  len += put_masked_frame(wire + len, 1, WSLAY_BINARY_FRAME, payload, 300);
  len += put_masked_frame(wire + len, 1, WSLAY_BINARY_FRAME, payload, 100);
  len += put_masked_frame(wire + len, 1, WSLAY_BINARY_FRAME, payload, 300);
  for (cut = 0; cut <= len; ++cut) {
    uint8_t *first = malloc(cut + 1);
    assert(first);
    memcpy(first, wire, cut);
    memset(&run, 0, sizeof(run));
    memset(&callbacks, 0, sizeof(callbacks));
    callbacks.recv_callback = recv_buffer_scripted_recv;
    callbacks.send_callback = recv_buffer_send_callback;
    callbacks.on_frame_recv_start_callback = recv_buffer_start_callback;
  callbacks.on_frame_recv_chunk_callback = recv_buffer_chunk_callback;
    callbacks.on_msg_recv_callback = recv_buffer_msg_callback;
    wslay_event_context_server_init(&ctx, &callbacks, &run);
    CU_ASSERT(0 == wslay_event_recv_buffer(ctx, first, cut));
    free(first);
    scripted_data_feed_init(&recv_buffer_df, wire + cut, len - cut);
    CU_ASSERT(0 == wslay_event_recv(ctx));
    CU_ASSERT(3 == run.nmsgs);
    CU_ASSERT(300 == run.msg_lengths[0] && 100 == run.msg_lengths[1] &&
              300 == run.msg_lengths[2]);
    CU_ASSERT(0 == memcmp(payload, run.msgs[0], 300));
    CU_ASSERT(0 == memcmp(payload, run.msgs[1], 100));
    CU_ASSERT(0 == memcmp(payload, run.msgs[2], 300));
    CU_ASSERT(wslay_event_get_read_enabled(ctx));
    wslay_event_context_free(ctx);
  }
  /* an unmasked frame from a client: refused as by wslay_event_recv() */
  memset(&run, 0, sizeof(run));
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = recv_buffer_send_callback;
  callbacks.on_msg_recv_callback = recv_buffer_msg_callback;
  wslay_event_context_server_init(&ctx, &callbacks, &run);
  memcpy(wire, unmasked, sizeof(unmasked));
  CU_ASSERT(0 == wslay_event_recv_buffer(ctx, wire, sizeof(unmasked)));
  CU_ASSERT(0 == wslay_event_get_read_enabled(ctx));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(4 == run.sent && 0x88 == run.sent_buf[0] &&
            0x03 == run.sent_buf[2] && 0xea == run.sent_buf[3]);
  CU_ASSERT(0 == run.nmsgs);
  wslay_event_context_free(ctx);
}

void test_wslay_event_frame_too_big(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  /* Masked text frame */
  const uint8_t msg[] = {
      0x81, 0x85, 0x00, 0x00, 0x00, 0x00,
      0x48, 0x65, 0x6c, 0x6c, 0x6f /* "Hello" */
  };
  const uint8_t ans[] = {
      0x88, 0x02, 0x03, 0xf1 /* 1009 */
  };
  struct scripted_data_feed df;
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg));
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  callbacks.recv_callback = scripted_recv_callback;
  memset(&acc, 0, sizeof(acc));
  ud.df = &df;
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_max_recv_msg_length(ctx, 4);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(4 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  CU_ASSERT(1 == wslay_event_get_close_sent(ctx));
  CU_ASSERT(WSLAY_CODE_MESSAGE_TOO_BIG ==
            wslay_event_get_status_code_sent(ctx));
  wslay_event_context_free(ctx);
}

void test_wslay_event_message_too_big(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct my_user_data ud;
  struct accumulator acc;
  /* Masked text 2 frames */
  const uint8_t msg[] = {
      0x01, 0x85, 0x00, 0x00, 0x00, 0x00,
      0x48, 0x65, 0x6c, 0x6c, 0x6f, /* "Hello" */
      0x80, 0x85, 0x00, 0x00, 0x00, 0x00,
      0x48, 0x65, 0x6c, 0x6c, 0x6f /* "Hello" */
  };
  const uint8_t ans[] = {
      0x88, 0x02, 0x03, 0xf1 /* 1009 */
  };
  struct scripted_data_feed df;
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg));
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  callbacks.recv_callback = scripted_recv_callback;
  memset(&acc, 0, sizeof(acc));
  ud.df = &df;
  ud.acc = &acc;
  wslay_event_context_server_init(&ctx, &callbacks, &ud);
  wslay_event_config_set_max_recv_msg_length(ctx, 9);
  CU_ASSERT(0 == wslay_event_recv(ctx));
  CU_ASSERT(0 == wslay_event_send(ctx));
  CU_ASSERT(4 == acc.length);
  CU_ASSERT(0 == memcmp(ans, acc.buf, acc.length));
  CU_ASSERT(1 == wslay_event_get_close_sent(ctx));
  CU_ASSERT(WSLAY_CODE_MESSAGE_TOO_BIG ==
            wslay_event_get_status_code_sent(ctx));
  wslay_event_context_free(ctx);
}

void test_wslay_event_config_set_allowed_rsv_bits(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;

  memset(&callbacks, 0, sizeof(callbacks));

  CU_ASSERT(0 == wslay_event_context_server_init(&ctx, &callbacks, NULL));
  CU_ASSERT(WSLAY_RSV_NONE == ctx->allowed_rsv_bits);

  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);

  CU_ASSERT(WSLAY_RSV1_BIT == ctx->allowed_rsv_bits);

  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT | WSLAY_RSV2_BIT |
                                                   WSLAY_RSV3_BIT);

  CU_ASSERT(WSLAY_RSV1_BIT == ctx->allowed_rsv_bits);

  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV2_BIT | WSLAY_RSV3_BIT);

  CU_ASSERT(WSLAY_RSV_NONE == ctx->allowed_rsv_bits);

  wslay_event_context_free(ctx);
}

void test_wslay_event_write_fragmented_msg(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  const char msg[] = "Hello";
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  const uint8_t ans[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
  uint8_t buf[1024];
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg) - 1);
  df.feedseq[0] = 3;
  df.feedseq[1] = 2;
  memset(&callbacks, 0, sizeof(callbacks));
  wslay_event_context_server_init(&ctx, &callbacks, NULL);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 == wslay_event_queue_fragmented_msg(ctx, &arg));
  CU_ASSERT(sizeof(ans) == wslay_event_write(ctx, buf, sizeof(buf)));
  CU_ASSERT(0 == memcmp(ans, buf, sizeof(ans)));
  wslay_event_context_free(ctx);
}

void test_wslay_event_write_fragmented_msg_empty_data(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  const uint8_t ans[] = {0x81, 0x00};
  uint8_t buf[1024];
  scripted_data_feed_init(&df, NULL, 0);
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  wslay_event_context_server_init(&ctx, &callbacks, NULL);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 == wslay_event_queue_fragmented_msg(ctx, &arg));
  CU_ASSERT(sizeof(ans) == wslay_event_write(ctx, buf, sizeof(buf)));
  CU_ASSERT(0 == memcmp(ans, buf, sizeof(ans)));
  wslay_event_context_free(ctx);
}

void test_wslay_event_write_fragmented_msg_with_ctrl(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  const char msg[] = "Hello";
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  struct wslay_event_msg ctrl_arg;
  const uint8_t ans[] = {
      0x01, 0x03, 0x48, 0x65, 0x6c, /* "Hel" */
      0x89, 0x00,                   /* unmasked ping */
      0x80, 0x02, 0x6c, 0x6f        /* "lo" */
  };
  uint8_t buf[1024];
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg) - 1);
  df.feedseq[0] = 3;
  df.feedseq[1] = 2;
  memset(&callbacks, 0, sizeof(callbacks));
  wslay_event_context_server_init(&ctx, &callbacks, NULL);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 == wslay_event_queue_fragmented_msg(ctx, &arg));
  CU_ASSERT(1 == wslay_event_get_queued_msg_count(ctx));
  CU_ASSERT(0 == wslay_event_get_queued_msg_length(ctx));
  CU_ASSERT(4 == wslay_event_write(ctx, buf, 4));

  memset(&ctrl_arg, 0, sizeof(ctrl_arg));
  ctrl_arg.opcode = WSLAY_PING;
  ctrl_arg.msg_length = 0;
  CU_ASSERT(0 == wslay_event_queue_msg(ctx, &ctrl_arg));
  CU_ASSERT(2 == wslay_event_get_queued_msg_count(ctx));
  CU_ASSERT(7 == wslay_event_write(ctx, buf + 4, sizeof(buf) - 4));
  CU_ASSERT(0 == wslay_event_get_queued_msg_count(ctx));
  CU_ASSERT(0 == memcmp(ans, buf, sizeof(ans)));
  wslay_event_context_free(ctx);
}

void test_wslay_event_write_fragmented_msg_with_rsv1(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  const char msg[] = "Hello";
  struct scripted_data_feed df;
  struct wslay_event_fragmented_msg arg;
  const uint8_t ans[] = {0x41, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
  uint8_t buf[1024];
  scripted_data_feed_init(&df, (const uint8_t *)msg, sizeof(msg) - 1);
  df.feedseq[0] = 3;
  df.feedseq[1] = 2;
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.send_callback = accumulator_send_callback;
  wslay_event_context_server_init(&ctx, &callbacks, NULL);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.source.data = &df;
  arg.read_callback = scripted_read_callback;
  CU_ASSERT(0 ==
            wslay_event_queue_fragmented_msg_ex(ctx, &arg, WSLAY_RSV1_BIT));
  CU_ASSERT(sizeof(ans) == wslay_event_write(ctx, buf, sizeof(buf)));
  CU_ASSERT(0 == memcmp(ans, buf, sizeof(ans)));
  wslay_event_context_free(ctx);
}

void test_wslay_event_write_msg_with_rsv1(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  const char msg[] = "Hello";
  struct wslay_event_msg arg;
  const uint8_t ans[] = {
      0xc1, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f /* "Hello" */
  };
  uint8_t buf[1024];
  memset(&callbacks, 0, sizeof(callbacks));
  wslay_event_context_server_init(&ctx, &callbacks, NULL);
  wslay_event_config_set_allowed_rsv_bits(ctx, WSLAY_RSV1_BIT);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.msg = (const uint8_t *)msg;
  arg.msg_length = 5;
  CU_ASSERT(0 == wslay_event_queue_msg_ex(ctx, &arg, WSLAY_RSV1_BIT));
  CU_ASSERT(sizeof(ans) == wslay_event_write(ctx, buf, sizeof(buf)));
  CU_ASSERT(0 == memcmp(ans, buf, sizeof(ans)));
  wslay_event_context_free(ctx);
}

void test_wslay_event_write_ctrl_msg_first(void) {
  wslay_event_context_ptr ctx;
  struct wslay_event_callbacks callbacks;
  const char msg[] = "Hello";
  struct wslay_event_msg arg;
  const uint8_t ans[] = {
      0x89, 0x00,                              /* unmasked ping */
      0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f /* "Hello" */
  };
  uint8_t buf[1024];
  memset(&callbacks, 0, sizeof(callbacks));
  wslay_event_context_server_init(&ctx, &callbacks, NULL);

  memset(&arg, 0, sizeof(arg));
  arg.opcode = WSLAY_PING;
  arg.msg_length = 0;
  CU_ASSERT(0 == wslay_event_queue_msg(ctx, &arg));
  arg.opcode = WSLAY_TEXT_FRAME;
  arg.msg = (const uint8_t *)msg;
  arg.msg_length = 5;
  CU_ASSERT(0 == wslay_event_queue_msg(ctx, &arg));
  CU_ASSERT(sizeof(ans) == wslay_event_write(ctx, buf, sizeof(buf)));
  CU_ASSERT(0 == memcmp(ans, buf, sizeof(ans)));
  wslay_event_context_free(ctx);
}
