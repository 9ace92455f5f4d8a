/*
 * fuzz_conn.c - libFuzzer target for the whole inbound byte path of a plain
 * connection (dll/core/conn.c, dll/ws/ws.c and wslay): upgrade, frames, fragmentation,
 * control frames, UTF-8 and close rules, sends from inside callbacks.
 *
 * Input: byte 0 is the mode: bit 7 set = a valid upgrade request is sent
 * first (so the rest is frames); bit 6 set = a server with tiny limits
 * (fz_server_ex; it also keeps deflate contexts); bit 5 set = a slow
 * socket (writes complete later, 7 bytes at a time, so send queues fill);
 * bit 4 set = the upgrade offers permessage-deflate (both servers accept
 * it), so the frames go through the inflater; bits 0..3 = read size (0 =
 * one read).
 * The rest arrives as a socket would bring it, then the peer leaves (its
 * close held open while a deferred HTTP response is sent, for inputs of odd
 * length). A
 * request that is not an upgrade is plain HTTP (fz_http's routes): the HTTP
 * parser, bodies, pipelining and deferred responses are fuzzed too.
 */
#include "fuzz_common.h"

static iws_server *server, *tight;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  server = fz_server_ex(0, NULL, NULL, 0);
  tight = fz_server_ex(0, NULL, NULL, 1);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  iws__sock sock;
  size_t chunk;
  if (size < 1) return 0;
  chunk = data[0] & 0x0f;
  memset(&sock, 0, sizeof(sock));
  sock.slow = (data[0] & 0x20) != 0;
  if (!fake_accept(data[0] & 0x40 ? tight : server, &sock, IWS__LISTEN_PLAIN))
    abort();
  if (data[0] & 0x80) {
    if (data[0] & 0x10)
      fake_feed(&sock, (const uint8_t *)fz_upgrade_deflate,
                sizeof(fz_upgrade_deflate) - 1);
    else
      fake_feed(&sock, (const uint8_t *)fz_upgrade, sizeof(fz_upgrade) - 1);
  }
  fz_feed_chunks(&sock, data + 1, size - 1, chunk);
  /* Plain HTTP: a deferred answer, then what waited behind it; or, for
   * inputs of odd length, the answer comes while the connection is closing
   * but not yet closed (a real back end's close in flight). */
  if (size % 2 == 0) fz_send_pending(&sock);
  if (fake_close_hold(&sock) != 0) abort();
  fz_send_pending(NULL); /* closing: released, IWS_E_NO_CONNECTION */
  fake_close_release(&sock);
  fz_send_pending(NULL); /* too late: released, IWS_E_NO_CONNECTION */
  return 0;
}
