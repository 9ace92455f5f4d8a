/*
 * bench_server.c - the iocpws server that tests/bench/run.sh measures: the
 * echo of samples/c/echo_server.c, with the thread options and a fan-out
 * broadcaster.
 *
 *   bench_server PORT [--tls CERT KEY] [--io-threads N] [--workers N]
 *                     [--fanout SUBSCRIBERS SIZE]
 *
 * Echo: every text or binary message goes back to its sender (iws_send
 * from on_message). --fanout: no echo; once SUBSCRIBERS connections are
 * open, a thread of its own broadcasts SIZE-byte text messages to all of
 * them with iws_broadcast (one frame encoded per message, shared by every
 * receiver's queue), as fast as the send queues drain: it waits while more
 * than 1 KiB per subscriber is queued. Prints "listening on port N"; SIGTERM
 * or SIGINT stops it and prints the number of broadcasts; SIGUSR1 prints
 * glibc's malloc_stats() (heap in use per arena) on stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#define HAVE_MALLOC_STATS 1
#endif

#include "iocpws.h"

static volatile sig_atomic_t stop_requested, stats_requested;
static iws_server *g_server;
static long g_subs;
static size_t g_size;
static unsigned long long g_broadcasts;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void on_usr1(int sig) {
  (void)sig;
  stats_requested = 1;
}

static void sleep_us(long us) {
  struct timespec ts;
  ts.tv_sec = us / 1000000;
  ts.tv_nsec = (us % 1000000) * 1000L;
  nanosleep(&ts, NULL);
}

static void IWS_CALLBACK on_message(iws_server *server, iws_conn_id id,
                                    uint32_t opcode, const uint8_t *data,
                                    uint64_t length, void *user) {
  (void)user;
  iws_send(server, id, opcode, data, length);
}

static void IWS_CALLBACK on_log(iws_server *server, int32_t level,
                                const char *message, void *user) {
  (void)server;
  (void)user;
  fprintf(stderr, "[%d] %s\n", (int)level, message);
}

static void *broadcaster(void *arg) {
  char *msg = malloc(g_size ? g_size : 1);
  iws_stats st;
  uint64_t limit = (uint64_t)g_subs * 1024;
  (void)arg;
  if (!msg) return NULL;
  memset(msg, 'x', g_size);
  memset(&st, 0, sizeof(st));
  st.struct_size = sizeof(st);
  while (!stop_requested) {
    iws_get_stats(g_server, &st);
    if (st.connections_current < (uint64_t)g_subs) {
      sleep_us(10000);
      continue;
    }
    if (st.bytes_queued > limit) {
      sleep_us(50);
      continue;
    }
    if (iws_broadcast(g_server, IWS_OP_TEXT, msg, g_size, NULL, 0, NULL) ==
        IWS_OK)
      g_broadcasts++;
  }
  free(msg);
  return NULL;
}

int main(int argc, char **argv) {
  iws_callbacks cb;
  uint32_t port = 0;
  long requested, io = -1, workers = -1;
  const char *cert = NULL, *key = NULL;
  char detail[512];
  pthread_t thread;
  int32_t rc;
  int i, fan = 0;

  if (argc < 2) goto usage;
  requested = strtol(argv[1], NULL, 10);
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
      cert = argv[++i];
      key = argv[++i];
    } else if (strcmp(argv[i], "--io-threads") == 0 && i + 1 < argc) {
      io = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
      workers = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--fanout") == 0 && i + 2 < argc) {
      g_subs = strtol(argv[++i], NULL, 10);
      g_size = (size_t)strtol(argv[++i], NULL, 10);
      fan = 1;
    } else {
      goto usage;
    }
  }
  if (requested < 0 || requested > 65535 || (fan && g_subs < 1)) goto usage;

  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  if (!fan) cb.on_message = on_message;
  cb.on_log = on_log;
  rc = iws_create(IWS_ABI_VERSION, &cb, NULL, &g_server);
  if (rc != IWS_OK) {
    fprintf(stderr, "iws_create: %s\n", iws_strerror(rc));
    return 1;
  }
  if (cert) {
    iws_set_int(g_server, IWS_OPT_PORT, -1);
    iws_set_int(g_server, IWS_OPT_TLS_PORT, requested);
    iws_set_str(g_server, IWS_OPT_TLS_CERT_FILE, cert);
    iws_set_str(g_server, IWS_OPT_TLS_KEY_FILE, key);
  } else {
    iws_set_int(g_server, IWS_OPT_PORT, requested);
  }
  if (io >= 0) iws_set_int(g_server, IWS_OPT_IO_THREADS, io);
  if (workers >= 0) iws_set_int(g_server, IWS_OPT_WORKER_THREADS, workers);
  iws_set_int(g_server, IWS_OPT_LISTEN_BACKLOG, 4096);
  rc = iws_start(g_server);
  if (rc != IWS_OK) {
    iws_last_error(g_server, detail, sizeof(detail));
    fprintf(stderr, "iws_start: %s (%s)\n", iws_strerror(rc), detail);
    iws_destroy(g_server);
    return 1;
  }
  iws_get_port(g_server, &port);
  printf("listening on port %u\n", (unsigned)port);
  fflush(stdout);

  {
    struct sigaction sa; /* not signal(): it may reset after one delivery */
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
  }
  if (fan && pthread_create(&thread, NULL, broadcaster, NULL) != 0) fan = 0;
  while (!stop_requested) {
    sleep_us(100000);
    if (stats_requested) { /* SIGUSR1: the heap, for memory per connection */
      stats_requested = 0;
#ifdef HAVE_MALLOC_STATS
      malloc_stats();
#endif
    }
  }
  if (fan) pthread_join(thread, NULL);
  printf("broadcasts %llu\n", g_broadcasts);
  iws_destroy(g_server);
  return 0;

usage:
  fprintf(stderr,
          "usage: %s PORT [--tls CERT KEY] [--io-threads N] [--workers N] "
          "[--fanout SUBSCRIBERS SIZE]\n",
          argv[0]);
  return 2;
}
