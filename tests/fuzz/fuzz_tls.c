/*
 * fuzz_tls.c - libFuzzer target for the inbound byte path of a TLS
 * connection (dll/core/tls.c on memory BIOs, then conn.c).
 *
 * Input: byte 0 is the mode.
 *  - bit 7 clear: the rest is raw bytes on the wire (the TLS record layer
 *    and handshake parser see them), read size = bits 0..6.
 *  - bit 7 set: an in-memory OpenSSL client first completes a real TLS
 *    handshake with the server and sends a valid upgrade; the rest is then
 *    encrypted by that client (records of bits 0..6 bytes, 0 = one) and
 *    delivered, so frames go through decryption into the WebSocket parser.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fuzz_common.h"
#include "test_cert.h"

static iws_server *server;
static SSL_CTX *client_ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  server = fz_server(1, fuzz_cert_pem, fuzz_key_pem);
  client_ctx = SSL_CTX_new(TLS_client_method());
  if (!client_ctx) abort();
  SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, NULL);
  return 0;
}

/* Moves what the server wrote to the client, and what the client wrote to
 * the server. */
static void pump(iws__sock *sock, SSL *cl, BIO *to_client, BIO *from_client) {
  int progress = 1;
  while (progress && !sock->closed) {
    uint8_t buf[16384];
    size_t n;
    uint8_t *out = fake_take(sock, &n);
    int r;
    progress = 0;
    if (n) {
      BIO_write(to_client, out, (int)n);
      progress = 1;
    }
    free(out);
    (void)SSL_do_handshake(cl);
    while ((r = SSL_read(cl, buf, sizeof(buf))) > 0) progress = 1;
    while ((r = BIO_read(from_client, buf, sizeof(buf))) > 0) {
      fake_feed(sock, buf, (size_t)r);
      progress = 1;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  iws__sock sock;
  size_t chunk;
  if (size < 1) return 0;
  chunk = data[0] & 0x7f;
  memset(&sock, 0, sizeof(sock));
  if (data[0] & 0x80) {
    SSL *cl = SSL_new(client_ctx);
    BIO *to_client = BIO_new(BIO_s_mem()), *from_client = BIO_new(BIO_s_mem());
    size_t off = 1;
    if (!cl || !to_client || !from_client) abort();
    SSL_set_bio(cl, to_client, from_client);
    SSL_set_connect_state(cl);
    sock.keep_output = 1;
    if (!fake_accept(server, &sock, IWS__LISTEN_TLS)) abort();
    pump(&sock, cl, to_client, from_client);
    if (!SSL_is_init_finished(cl)) abort(); /* our own handshake must work */
    SSL_write(cl, fz_upgrade, (int)sizeof(fz_upgrade) - 1);
    pump(&sock, cl, to_client, from_client);
    while (off < size && !sock.closed) {
      size_t n = chunk && size - off > chunk ? chunk : size - off;
      SSL_write(cl, data + off, (int)n);
      off += n;
      pump(&sock, cl, to_client, from_client);
    }
    SSL_free(cl); /* frees both BIOs */
    ERR_clear_error();
  } else {
    if (!fake_accept(server, &sock, IWS__LISTEN_TLS)) abort();
    fz_feed_chunks(&sock, data + 1, size - 1, chunk);
  }
  if (fake_finish(&sock) != 0) abort();
  return 0;
}
