/*
 * fuzz_conn.c - libFuzzer target for the whole inbound byte path of a plain
 * connection (dll/core/conn.c and wslay): upgrade, frames, fragmentation,
 * control frames, UTF-8 and close rules, sends from inside callbacks.
 *
 * Input: byte 0 is the mode: bit 7 set = a valid upgrade request is sent
 * first (so the rest is frames); bits 0..6 = read size (0 = one read).
 * The rest arrives as a socket would bring it, then the peer leaves.
 */
#include "fuzz_common.h"

static iws_server *server;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  server = fz_server(0, NULL, NULL);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  iws__sock sock;
  size_t chunk;
  if (size < 1) return 0;
  chunk = data[0] & 0x7f;
  memset(&sock, 0, sizeof(sock));
  if (!fake_accept(server, &sock, IWS__LISTEN_PLAIN)) abort();
  if (data[0] & 0x80)
    fake_feed(&sock, (const uint8_t *)fz_upgrade, sizeof(fz_upgrade) - 1);
  fz_feed_chunks(&sock, data + 1, size - 1, chunk);
  if (fake_finish(&sock) != 0) abort();
  return 0;
}
