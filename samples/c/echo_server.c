/*
 * echo_server.c - the smallest useful iocpws program: every text or binary
 * message comes back to its sender.
 *
 *   echo_server [port]                  (default 8080; 0 = any free port)
 *   echo_server [port] --tls CERT KEY   wss:// only, on that port: CERT and
 *                                       KEY are PEM files (KEY unencrypted)
 *
 * Ctrl-C (SIGINT) or SIGTERM stops it cleanly: clients get close 1001.
 */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iocpws.h"

#ifdef _WIN32
#include <windows.h>
static void sleep_ms(unsigned ms) { Sleep(ms); }
#else
#include <time.h>
static void sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void IWS_CALLBACK on_message(iws_server *server, iws_conn_id id,
                                    uint32_t opcode, const uint8_t *data,
                                    uint64_t length, void *user) {
  (void)user;
  /* Safe inside a callback: queued now, written when the callback returns. */
  iws_send(server, id, opcode, data, length);
}

static void IWS_CALLBACK on_log(iws_server *server, int32_t level,
                                const char *message, void *user) {
  (void)server;
  (void)user;
  fprintf(stderr, "[%d] %s\n", (int)level, message);
}

int main(int argc, char **argv) {
  iws_callbacks cb;
  iws_server *server;
  uint32_t port = 0;
  long requested = argc > 1 ? strtol(argv[1], NULL, 10) : 8080;
  const char *cert = NULL, *key = NULL;
  char detail[512];
  int32_t rc;

  if (argc == 5 && strcmp(argv[2], "--tls") == 0) {
    cert = argv[3];
    key = argv[4];
  }
  if (requested < 0 || requested > 65535 || (argc > 2 && !cert)) {
    fprintf(stderr, "usage: %s [port 0..65535] [--tls CERT.pem KEY.pem]\n",
            argv[0]);
    return 2;
  }
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_message = on_message;
  cb.on_log = on_log;

  rc = iws_create(IWS_ABI_VERSION, &cb, NULL, &server);
  if (rc != IWS_OK) {
    fprintf(stderr, "iws_create: %s\n", iws_strerror(rc));
    return 1;
  }
  if (cert) {
    /* TLS only: no plain listener, the TLS one on the port asked for. */
    iws_set_int(server, IWS_OPT_PORT, -1);
    iws_set_int(server, IWS_OPT_TLS_PORT, requested);
    iws_set_str(server, IWS_OPT_TLS_CERT_FILE, cert);
    iws_set_str(server, IWS_OPT_TLS_KEY_FILE, key);
  } else {
    iws_set_int(server, IWS_OPT_PORT, requested);
  }
  rc = iws_start(server);
  if (rc != IWS_OK) {
    iws_last_error(server, detail, sizeof(detail));
    fprintf(stderr, "iws_start: %s (%s)\n", iws_strerror(rc), detail);
    iws_destroy(server);
    return 1;
  }
  iws_get_port(server, &port);
  printf("iocpws %s echo server listening on port %u%s (Ctrl-C stops)\n",
         iws_version_string(), (unsigned)port, cert ? " (wss://)" : "");
  printf("listening on port %u\n", (unsigned)port);
  fflush(stdout);

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  while (!stop_requested) sleep_ms(100);

  printf("stopping\n");
  iws_destroy(server); /* stops: close 1001 to everyone, then frees */
  return 0;
}
