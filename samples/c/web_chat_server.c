/*
 * web_chat_server.c - one port for a web page and its WebSocket: the chat
 * page of samples/web (index.html, chat.css, chat.js) is served from the
 * document root, the page connects back to ws://<host>/chat, and every text
 * message one page sends is broadcast to every page. GET /stats is answered
 * by on_http_request (JSON), to show a handler beside the static files.
 *
 *   web_chat_server [port] [document root]
 *       port: default 8080 (0 = any free port)
 *       document root: default the samples/web directory of the source tree
 *
 * Then open http://localhost:8080/ in two browser tabs. Ctrl-C (SIGINT) or
 * SIGTERM stops it cleanly.
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

#ifndef IWS_SAMPLE_WEB_ROOT
#define IWS_SAMPLE_WEB_ROOT "samples/web"
#endif

/* Longest chat message relayed (the page limits its input to less). */
#define MAX_CHAT_MESSAGE 16384

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void notice(iws_server *server, const char *what) {
  iws_stats st;
  char text[128];
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  iws_get_stats(server, &st);
  snprintf(text, sizeof text, "{\"notice\": \"someone %s (%lu online)\"}",
           what, (unsigned long)st.connections_current);
  iws_broadcast(server, IWS_OP_TEXT, text, strlen(text), NULL, 0, NULL);
}

static int32_t IWS_CALLBACK on_connect(iws_server *server, iws_conn_id id,
                                       iws_request *request, void *user) {
  const char *path = iws_request_path(request);
  (void)server;
  (void)id;
  (void)user;
  /* The page's WebSocket is /chat (a query string is allowed). */
  if (path == NULL || strncmp(path, "/chat", 5) != 0 ||
      (path[5] != '\0' && path[5] != '?'))
    return 404;
  return IWS_ACCEPT;
}

static void IWS_CALLBACK on_message(iws_server *server, iws_conn_id id,
                                    uint32_t opcode, const uint8_t *data,
                                    uint64_t length, void *user) {
  (void)id;
  (void)user;
  if (opcode != IWS_OP_TEXT || length > MAX_CHAT_MESSAGE) return;
  /* Everyone, the sender too: every page shows one order of messages. The
   * page renders them as text, never as HTML. */
  iws_broadcast(server, IWS_OP_TEXT, data, length, NULL, 0, NULL);
}

static void IWS_CALLBACK on_disconnect(iws_server *server, iws_conn_id id,
                                       uint32_t code, const char *reason,
                                       uint32_t reason_length, void *user) {
  (void)id;
  (void)code;
  (void)reason;
  (void)reason_length;
  (void)user;
  notice(server, "left");
}

/* Requests the document root did not answer. */
static void IWS_CALLBACK on_http_request(iws_server *server, iws_conn_id id,
                                         iws_request *request,
                                         iws_http_response *response,
                                         void *user) {
  const char *doc = iws_request_document(request);
  (void)id;
  (void)user;
  if (doc && strcmp(doc, "/stats") == 0) {
    iws_stats st;
    char body[256];
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    iws_get_stats(server, &st);
    snprintf(body, sizeof body,
             "{\"connections\": %lu, \"messages_in\": %lu, "
             "\"http_requests\": %lu}\n",
             (unsigned long)st.connections_current,
             (unsigned long)st.messages_in, (unsigned long)st.http_requests);
    iws_http_add_header(response, "Content-Type", "application/json");
    iws_http_add_header(response, "Cache-Control", "no-store");
    iws_http_set_body(response, body, strlen(body));
  }
  /* anything else: left untouched, the library answers 404 */
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
  const char *root = argc > 2 ? argv[2] : IWS_SAMPLE_WEB_ROOT;
  char detail[512];
  int32_t rc;

  if (requested < 0 || requested > 65535 || argc > 3) {
    fprintf(stderr, "usage: %s [port 0..65535] [document root]\n", argv[0]);
    return 2;
  }
  memset(&cb, 0, sizeof(cb));
  cb.struct_size = sizeof(cb);
  cb.on_connect = on_connect;
  cb.on_message = on_message;
  cb.on_disconnect = on_disconnect;
  cb.on_http_request = on_http_request;
  cb.on_log = on_log;

  rc = iws_create(IWS_ABI_VERSION, &cb, NULL, &server);
  if (rc != IWS_OK) {
    fprintf(stderr, "iws_create: %s\n", iws_strerror(rc));
    return 1;
  }
  iws_set_int(server, IWS_OPT_PORT, requested);
  rc = iws_set_str(server, IWS_OPT_HTTP_DOCUMENT_ROOT, root);
  if (rc == IWS_OK) rc = iws_start(server);
  if (rc != IWS_OK) {
    iws_last_error(server, detail, sizeof(detail));
    fprintf(stderr, "web_chat_server: %s (%s)\n", iws_strerror(rc), detail);
    iws_destroy(server);
    return 1;
  }
  iws_get_port(server, &port);
  printf("iocpws %s web chat: open http://localhost:%u/ (files from %s; "
         "Ctrl-C stops)\n",
         iws_version_string(), (unsigned)port, root);
  printf("listening on port %u\n", (unsigned)port);
  fflush(stdout);

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  while (!stop_requested) sleep_ms(100);

  printf("stopping\n");
  fflush(stdout);
  iws_destroy(server); /* stops: close 1001 to everyone, then frees */
  return 0;
}
