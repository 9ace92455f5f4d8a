/* A consumer that uses every callback type of the ABI, built with the
 * project's warnings as errors on every target (a calling-convention or
 * signature mismatch fails the build), then run: create with all callbacks,
 * broadcast with a filter on a stopped server (an error, no crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "iocpws.h"

static int32_t IWS_CALLBACK on_connect(iws_server *s, iws_conn_id id,
                                       iws_request *r, void *u) {
  (void)s; (void)id; (void)u;
  return iws_request_path(r) ? IWS_ACCEPT : 400;
}
static void IWS_CALLBACK on_message(iws_server *s, iws_conn_id id,
                                    uint32_t op, const uint8_t *d,
                                    uint64_t n, void *u) {
  (void)u;
  iws_send(s, id, op, d, n);
}
static void IWS_CALLBACK on_disconnect(iws_server *s, iws_conn_id id,
                                       uint32_t code, const char *reason,
                                       uint32_t n, void *u) {
  (void)s; (void)id; (void)code; (void)reason; (void)n; (void)u;
}
static void IWS_CALLBACK on_error(iws_server *s, iws_conn_id id, int32_t code,
                                  const char *m, void *u) {
  (void)s; (void)id; (void)code; (void)m; (void)u;
}
static void IWS_CALLBACK on_log(iws_server *s, int32_t level, const char *m,
                                void *u) {
  (void)s; (void)level; (void)m; (void)u;
}
static void IWS_CALLBACK on_open(iws_server *s, iws_conn_id id, void *u) {
  (void)s; (void)id; (void)u;
}
static void IWS_CALLBACK on_close(iws_server *s, iws_conn_id id, void *u) {
  (void)s; (void)id; (void)u;
}
static int32_t IWS_CALLBACK on_heartbeat(iws_server *s, iws_conn_id id,
                                         void *u) {
  (void)s; (void)id; (void)u;
  return 0;
}
static int32_t IWS_CALLBACK filter(iws_conn_id id, void *data, void *ctx) {
  (void)id; (void)data; (void)ctx;
  return 1;
}

static void every_callback_type(void **state) {
  iws_callbacks cb;
  iws_server *s = NULL;
  uint32_t sent = 99;
  (void)state;
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_connect = on_connect;
  cb.on_message = on_message;
  cb.on_disconnect = on_disconnect;
  cb.on_error = on_error;
  cb.on_log = on_log;
  cb.on_open = on_open;
  cb.on_close = on_close;
  cb.on_heartbeat = on_heartbeat;
  assert_int_equal(iws_create(IWS_ABI_VERSION, &cb, NULL, &s), IWS_OK);
  assert_int_equal(iws_broadcast_filter(s, IWS_OP_TEXT, "x", 1, filter, NULL,
                                        &sent),
                   IWS_E_BAD_STATE);
  assert_int_equal(sent, 0);
  assert_int_equal(iws_destroy(s), IWS_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(every_callback_type)};
  return cmocka_run_group_tests_name("callbacks", tests, NULL, NULL);
}
