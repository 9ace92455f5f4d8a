/*
 * ws_test_server - the server the integration tests drive with real clients.
 *
 * Usage: ws_test_server [--nofile N] [--docroot DIR] [--log-calls]
 *                       [--on-heartbeat 0|1]
 *                       [--opt NAME=VALUE]...
 *
 * --docroot DIR  sets IWS_OPT_HTTP_DOCUMENT_ROOT (static files); the HTTP
 *              limits are options too: --opt http_max_body_size=N etc.
 *              Plain HTTP requests are answered by on_http_request (the
 *              routes are listed at "HTTP" below).
 *
 * --nofile N   (POSIX only) lowers RLIMIT_NOFILE to N before starting, for
 *              the descriptor-exhaustion test; elsewhere it exits with 2.
 *
 * --listen ADDR/PORT, --listen-tls ADDR/PORT
 *              iws_add_listener (ADDR may be empty: the bind option); at
 *              start, every listener is printed as "LISTENER <i> <port>
 *              <plain|tls>" before PORT.
 *
 * GET /whoami  answers "listener=<i> subject=<client certificate subject>".
 * GET /chain   answers the subjects of the verified client certificate chain
 *              (iws_conn_peer_chain_cert), depth 0 first, separated by "|".
 *
 * --on-heartbeat N  sets on_heartbeat, which prints "HEARTBEAT <id>" and
 *              returns N (0: the library pings; 1: handled, no ping).
 * --log-calls  on_log calls the API back, as the header allows: for a line
 *              naming "connection <id>", iws_conn_peer and iws_conn_path on
 *              that id, then iws_broadcast of "log" to everyone, and prints
 *              "LOGCALL <id> <peer rc> <path rc> <broadcast rc>" (a lock of
 *              the library held around on_log would deadlock here).
 *
 * It creates an iocpws server with every callback, applies the options,
 * starts it and prints "PORT <n>". Every event is printed as one line on
 * stdout (flushed at once; stdout is usually a pipe):
 *
 *   PORT <n>                             the server listens (after start);
 *                                        with TLS only (port=-1), the TLS port
 *   TLS_PORT <n>                         printed before PORT when a TLS
 *                                        listener runs (tls_port >= 0)
 *   CONNECT <id> <path> <proto|-> <ip>   a handshake reached on_connect
 *   WELCOMED <id> <rc>                   /welcome/MS: on_connect sent
 *                                        "welcome" (rc), then sleeps MS ms
 *   REJECT <id> <status>                 on_connect refused it (/reject/NNN)
 *   ADDHDR <id> <rc>...                  /hdr/...: on_connect added headers
 *                                        to its answer (see on_connect)
 *   DISCONNECT <id> <code>               on_disconnect
 *   DOUBLE_DISCONNECT <id>               on_disconnect twice for one id (bug)
 *   UNKNOWN_DISCONNECT <id>              on_disconnect for an id never accepted
 *   ERROR <id> <code> <message>          on_error
 *   LOG <level> <message>                on_log
 *   CLOSE_RC <rc>                        result of "cmd:close"
 *   SEND_FAIL <id> <rc>                  an echo or reply could not be queued
 *
 * Messages: every message is echoed with its opcode, except text messages
 * starting with "cmd:", which are commands answered with a text message:
 *
 *   cmd:close CODE REASON...  iws_close(id, CODE, REASON); no reply
 *   cmd:disconnect            iws_disconnect(id)
 *   cmd:foreign N [SIZE]      a new thread sends "foreign-0".."foreign-<N-1>",
 *                             each padded with '.' to SIZE bytes (<= 65536)
 *   cmd:broadcast TEXT        broadcast TEXT to all but the sender;
 *                             reply "broadcast-sent <n>"
 *   cmd:thread                reply "thread <1|0>": same OS thread as
 *                             this connection's on_connect?
 *   cmd:stats                 reply "stats current=.. total=.. in=.. out=.."
 *   cmd:info                  reply "info <path> <proto|-> <ip> <port>"
 *   cmd:id                    reply "id <id>"
 *   cmd:listener              reply "listener <index>" (iws_conn_listener)
 *   cmd:cert WHAT             reply "cert <rc> <text>": iws_conn_peer_cert
 *                             with WHAT 0 (subject), 1 (issuer), 2 (PEM)
 *   cmd:chain WHAT            reply "chain [<depth 0>] [<depth 1>] ... end=<rc>":
 *                             iws_conn_peer_chain_cert from depth 0 up to
 *                             the first error (rc: -118 = past the end)
 *   cmd:local                 reply "local <ip|-> <port> <rc>" (iws_conn_local)
 *   cmd:lastpong              reply "lastpong <unix ms> <rc>"
 *                             (iws_conn_last_pong)
 *   cmd:sendto ID             send "sendto-from <id>" to ID; reply
 *                             "sendto-rc <rc>"
 *   cmd:ping                  iws_ping(id, "hb"); reply "ping-rc <rc>"
 *   cmd:sleep MS              sleeps MS milliseconds inside on_message (a
 *                             slow callback), then replies "slept"
 *   cmd:subscribe CH          iws_subscribe(id, CH); reply "subscribe-rc <rc>"
 *   cmd:unsubscribe [CH]      iws_unsubscribe(id, CH or NULL = all);
 *                             reply "unsubscribe-rc <rc>"
 *   cmd:publish CH TEXT       iws_publish(CH, TEXT) to everyone subscribed;
 *                             reply "publish-sent <n>" or "publish-rc <rc>"
 *   cmd:publishx CH TEXT      the same, excluding the sender
 *   cmd:publishbin CH TEXT    the same as binary
 *   cmd:channels              reply "channels <a,b,...|->" (join order)
 *   cmd:chanstats             reply "chanstats channels=.. subs=.. pub=..
 *                             redis_out=.. redis_in=.. redis_up=.."
 *
 * Standard input, one command a line:
 *
 *   stop               iws_stop; prints "STOPPED rc=.. connects=.. disconnects=.."
 *   start              iws_start; prints "PORT <n>" (or "START_FAILED ...")
 *   sendall TEXT       broadcast TEXT to everyone; prints "SENDALL <sent> rc=.."
 *   publish CH TEXT    iws_publish from this thread; "PUBLISH <sent> rc=.."
 *   publishn CH N [SIZE]  publishes "CH-0".."CH-<N-1>" from this thread,
 *                      each padded with '.' to SIZE bytes (<= 65536);
 *                      "PUBLISHN <N> rc=.." (the first failure's rc)
 *   subscribe ID CH    iws_subscribe from this thread; "SUBSCRIBE_RC <rc>"
 *   closeid ID CODE [REASON]  iws_close from this thread; "CLOSEID_RC <rc>"
 *   addlistener [tls] ADDR/PORT  iws_add_listener; "ADDLISTENER_RC <rc>"
 *   clearlisteners     iws_clear_listeners; "CLEARLISTENERS_RC <rc>"
 *   proc               prints "PROC rss=<bytes> fds=<n> threads=<n>
 *                      cpu_ms=<n> commit=<bytes>": resident memory, open
 *                      descriptors (Windows: handles), threads, CPU time
 *                      used so far and private memory committed (Linux:
 *                      VmData, reserved or not; Windows: the commit
 *                      charge), for the hostile-client tests and the soak
 *                      (-1 where the platform cannot tell)
 *   quit (or EOF)      iws_destroy; prints "BYE connects=.. disconnects=.."
 *                      and exits 0 when every accepted connection was
 *                      disconnected exactly once, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

/* Threads, locks, sleeping and reading lines: POSIX or Win32. */
#include "portable.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iocpws.h"

#include "procinfo.h"

#include <zlib.h>

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

static iws_server *g_server;
static pt_mutex g_out_lock = PT_MUTEX_INITIALIZER;

static atomic_uint_fast64_t g_connects;
static atomic_uint_fast64_t g_disconnects;
static atomic_int g_anomalies;       /* double / unknown disconnects, etc. */
/* --on-heartbeat N: on_heartbeat is set and returns N (0 = ping, 1 =
 * handled); -1 = no on_heartbeat. */
static int g_on_heartbeat = -1;
static _Atomic uint64_t g_sleeping_id; /* the id inside cmd:sleep, 0 none */
static atomic_int g_foreign_running; /* cmd:foreign threads still sending  */

/* Life of every id: 0 = never accepted, 1 = accepted, 2 = disconnected.
 * Ids start at 1 and only grow, so a growable byte array indexed by id is
 * enough. */
enum { ID_NONE = 0, ID_OPEN = 1, ID_GONE = 2 };
static pt_mutex g_ids_lock = PT_MUTEX_INITIALIZER;
static unsigned char *g_ids;
static size_t g_ids_cap;

/* What a connection carries as user data. */
typedef struct conn_data {
  pt_thread_id connect_thread; /* the thread that ran on_connect */
  iws_conn_id id;
} conn_data;

/* ------------------------------------------------------------------------ */
/* Output                                                                    */
/* ------------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void emit(const char *fmt, ...) {
  /* The line is formatted first and written with one fwrite: stdout may be
   * unbuffered (Windows), where a printf would write piece by piece. */
  char small[1024];
  char *buf = small;
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof small) {
    buf = malloc((size_t)n + 1);
    if (buf == NULL) return;
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  buf[n] = '\n'; /* in place of the terminating NUL */
  pt_mutex_lock(&g_out_lock);
  fwrite(buf, 1, (size_t)n + 1, stdout);
  fflush(stdout);
  pt_mutex_unlock(&g_out_lock);
  if (buf != small) free(buf);
}

/* Copies at most len bytes of text into out[size] as one printable line:
 * control characters (newlines included) become spaces. */
static const char *one_line(const char *text, size_t len, char *out,
                            size_t size) {
  size_t i, n = 0;
  if (size == 0) return "";
  if (text == NULL) len = 0;
  for (i = 0; i < len && n + 1 < size; i++) {
    unsigned char c = (unsigned char)text[i];
    out[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
  }
  out[n] = '\0';
  return out;
}

/* ------------------------------------------------------------------------ */
/* Id bookkeeping                                                            */
/* ------------------------------------------------------------------------ */

/* Sets the state of id to `to` and returns the state it had; ~0 if memory
 * ran out. */
static int id_transition(iws_conn_id id, int to) {
  int was;
  pt_mutex_lock(&g_ids_lock);
  if (id >= g_ids_cap) {
    size_t cap = g_ids_cap ? g_ids_cap : 1024;
    unsigned char *grown;
    while (cap <= id) cap *= 2;
    grown = realloc(g_ids, cap);
    if (grown == NULL) {
      pt_mutex_unlock(&g_ids_lock);
      return ~0;
    }
    memset(grown + g_ids_cap, 0, cap - g_ids_cap);
    g_ids = grown;
    g_ids_cap = cap;
  }
  was = g_ids[id];
  g_ids[id] = (unsigned char)to;
  pt_mutex_unlock(&g_ids_lock);
  return was;
}

/* ------------------------------------------------------------------------ */
/* Sending helpers                                                           */
/* ------------------------------------------------------------------------ */

static void reply(iws_conn_id id, const char *text) {
  int32_t rc = iws_send_text(g_server, id, text, strlen(text));
  if (rc != IWS_OK) emit("SEND_FAIL %" PRIu64 " %d", id, (int)rc);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void replyf(iws_conn_id id, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  reply(id, buf);
}

/* ------------------------------------------------------------------------ */
/* cmd:foreign                                                               */
/* ------------------------------------------------------------------------ */

typedef struct foreign_job {
  iws_conn_id id;
  long count;
  size_t size; /* pad each message to this many bytes */
  char buf[65536];
} foreign_job;

static void foreign_main(void *arg) {
  foreign_job *job = arg;
  long i;
  for (i = 0; i < job->count; i++) {
    size_t n = (size_t)snprintf(job->buf, 64, "foreign-%ld", i);
    if (job->size > n) {
      memset(job->buf + n, '.', job->size - n);
      n = job->size;
    }
    int32_t rc = iws_send_text(g_server, job->id, job->buf, (uint64_t)n);
    if (rc != IWS_OK) {
      emit("FOREIGN_FAIL %" PRIu64 " %ld %d", job->id, i, (int)rc);
      break;
    }
  }
  emit("FOREIGN_DONE %" PRIu64 " %ld", job->id, i);
  free(job);
  atomic_fetch_sub(&g_foreign_running, 1);
}

static void start_foreign(iws_conn_id id, long count, long size) {
  foreign_job *job = malloc(sizeof *job);
  if (job == NULL) {
    reply(id, "foreign-failed nomem");
    return;
  }
  job->id = id;
  job->count = count;
  job->size = size < 0 ? 0 : size > 65536 ? 65536 : (size_t)size;
  atomic_fetch_add(&g_foreign_running, 1);
  if (pt_thread_start_detached(foreign_main, job) != 0) {
    atomic_fetch_sub(&g_foreign_running, 1);
    free(job);
    reply(id, "foreign-failed thread");
  }
}

static void wait_foreign_threads(void) {
  while (atomic_load(&g_foreign_running) > 0) pt_sleep_ms(5);
}

/* ------------------------------------------------------------------------ */
/* Commands sent by clients                                                  */
/* ------------------------------------------------------------------------ */

/* Returns the text after `name` when cmd is exactly `name` or starts with
 * `name` followed by a space; NULL otherwise. */
static const char *command_arg(const char *cmd, const char *name) {
  size_t n = strlen(name);
  if (strncmp(cmd, name, n) != 0) return NULL;
  if (cmd[n] == '\0') return cmd + n;
  if (cmd[n] == ' ') return cmd + n + 1;
  return NULL;
}

static void run_command(iws_conn_id id, const char *cmd) {
  const char *arg;

  if ((arg = command_arg(cmd, "close")) != NULL) {
    char *end;
    unsigned long code = strtoul(arg, &end, 10);
    const char *reason = end;
    int32_t rc;
    while (*reason == ' ') reason++;
    rc = iws_close(g_server, id, (uint32_t)code, reason,
                   (uint32_t)strlen(reason));
    emit("CLOSE_RC %d", (int)rc);
  } else if ((arg = command_arg(cmd, "disconnect")) != NULL) {
    int32_t rc = iws_disconnect(g_server, id);
    if (rc != IWS_OK) emit("DISCONNECT_RC %" PRIu64 " %d", id, (int)rc);
  } else if ((arg = command_arg(cmd, "foreign")) != NULL) {
    char *end;
    long count = strtol(arg, &end, 10);
    long size = strtol(end, NULL, 10);
    if (count < 0) count = 0;
    start_foreign(id, count, size);
  } else if ((arg = command_arg(cmd, "broadcast")) != NULL) {
    uint32_t sent = 0;
    int32_t rc = iws_broadcast(g_server, IWS_OP_TEXT, arg, strlen(arg), &id,
                               1, &sent);
    if (rc == IWS_OK)
      replyf(id, "broadcast-sent %u", (unsigned)sent);
    else
      replyf(id, "broadcast-rc %d", (int)rc);
  } else if ((arg = command_arg(cmd, "thread")) != NULL) {
    void *data = NULL;
    int32_t rc = iws_conn_get_user_data(g_server, id, &data);
    if (rc != IWS_OK || data == NULL) {
      replyf(id, "thread-rc %d", (int)rc);
    } else {
      conn_data *cd = data;
      replyf(id, "thread %d",
             pt_thread_equal(cd->connect_thread, pt_thread_self()) ? 1 : 0);
    }
  } else if ((arg = command_arg(cmd, "stats")) != NULL) {
    iws_stats st;
    int32_t rc;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    rc = iws_get_stats(g_server, &st);
    if (rc != IWS_OK)
      replyf(id, "stats-rc %d", (int)rc);
    else
      replyf(id, "stats current=%" PRIu64 " total=%" PRIu64 " in=%" PRIu64
                 " out=%" PRIu64,
             st.connections_current, st.connections_total, st.messages_in,
             st.messages_out);
  } else if ((arg = command_arg(cmd, "info")) != NULL) {
    char path[1024], proto[256], ip[IWS_ADDRESS_SIZE];
    uint32_t port = 0;
    int32_t rc1 = iws_conn_path(g_server, id, path, sizeof path, NULL);
    int32_t rc2 = iws_conn_protocol(g_server, id, proto, sizeof proto, NULL);
    int32_t rc3 = iws_conn_peer(g_server, id, ip, sizeof ip, &port);
    if (rc1 != IWS_OK || rc2 != IWS_OK || rc3 != IWS_OK)
      replyf(id, "info-rc %d %d %d", (int)rc1, (int)rc2, (int)rc3);
    else
      replyf(id, "info %s %s %s %u", path, proto[0] ? proto : "-", ip,
             (unsigned)port);
  } else if ((arg = command_arg(cmd, "local")) != NULL) {
    char ip[IWS_ADDRESS_SIZE];
    uint32_t port = 0;
    int32_t rc = iws_conn_local(g_server, id, ip, sizeof ip, &port);
    replyf(id, "local %s %u %d", rc == IWS_OK ? ip : "-", (unsigned)port,
           (int)rc);
  } else if ((arg = command_arg(cmd, "lastpong")) != NULL) {
    uint64_t ms = 1;
    int32_t rc = iws_conn_last_pong(g_server, id, &ms);
    replyf(id, "lastpong %" PRIu64 " %d", ms, (int)rc);
  } else if ((arg = command_arg(cmd, "id")) != NULL) {
    replyf(id, "id %" PRIu64, id);
  } else if ((arg = command_arg(cmd, "listener")) != NULL) {
    uint32_t index = 0;
    int32_t rc = iws_conn_listener(g_server, id, &index);
    if (rc != IWS_OK)
      replyf(id, "listener-rc %d", (int)rc);
    else
      replyf(id, "listener %u", (unsigned)index);
  } else if ((arg = command_arg(cmd, "cert")) != NULL) {
    char text[8192];
    uint32_t needed = 0;
    int32_t rc = iws_conn_peer_cert(g_server, id, (uint32_t)strtoul(arg, NULL, 10),
                                    text, sizeof text, &needed);
    char out[8300];
    if (rc != IWS_OK) text[0] = '\0';
    snprintf(out, sizeof out, "cert %d %s", (int)rc, text);
    reply(id, out);
  } else if ((arg = command_arg(cmd, "chain")) != NULL) {
    char text[4096], out[16384];
    size_t used = (size_t)snprintf(out, sizeof out, "chain");
    uint32_t depth;
    int32_t rc = IWS_OK;
    for (depth = 0; rc == IWS_OK && depth < 16; depth++) {
      rc = iws_conn_peer_chain_cert(g_server, id, depth,
                                    (uint32_t)strtoul(arg, NULL, 10), text,
                                    sizeof text, NULL);
      if (rc == IWS_OK && used < sizeof out)
        used += (size_t)snprintf(out + used, sizeof out - used, " [%s]", text);
    }
    if (used < sizeof out) snprintf(out + used, sizeof out - used, " end=%d", (int)rc);
    reply(id, out);
  } else if ((arg = command_arg(cmd, "sendto")) != NULL) {
    iws_conn_id to = (iws_conn_id)strtoull(arg, NULL, 10);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "sendto-from %" PRIu64, id);
    int32_t rc = iws_send_text(g_server, to, buf, (uint64_t)n);
    replyf(id, "sendto-rc %d", (int)rc);
  } else if ((arg = command_arg(cmd, "sleep")) != NULL) {
    atomic_store(&g_sleeping_id, id); /* on_heartbeat must not overlap */
    pt_sleep_ms((unsigned)strtoul(arg, NULL, 10));
    atomic_store(&g_sleeping_id, 0);
    reply(id, "slept");
  } else if ((arg = command_arg(cmd, "ping")) != NULL) {
    int32_t rc = iws_ping(g_server, id, "hb", 2);
    replyf(id, "ping-rc %d", (int)rc);
  } else if ((arg = command_arg(cmd, "subscribe")) != NULL) {
    replyf(id, "subscribe-rc %d", (int)iws_subscribe(g_server, id, arg));
  } else if ((arg = command_arg(cmd, "unsubscribe")) != NULL) {
    replyf(id, "unsubscribe-rc %d",
           (int)iws_unsubscribe(g_server, id, arg[0] ? arg : NULL));
  } else if ((arg = command_arg(cmd, "publish")) != NULL ||
             (arg = command_arg(cmd, "publishx")) != NULL ||
             (arg = command_arg(cmd, "publishbin")) != NULL) {
    char ch[512];
    const char *sp = strchr(arg, ' ');
    const char *text = sp ? sp + 1 : "";
    size_t n = sp ? (size_t)(sp - arg) : strlen(arg);
    int exclude = strncmp(cmd, "publishx", 8) == 0;
    uint32_t op = strncmp(cmd, "publishbin", 10) == 0 ? IWS_OP_BINARY
                                                       : IWS_OP_TEXT;
    uint32_t sent = 0;
    int32_t rc;
    if (n >= sizeof ch) n = sizeof ch - 1;
    memcpy(ch, arg, n);
    ch[n] = '\0';
    rc = iws_publish(g_server, ch, op, text, strlen(text), exclude ? &id : NULL,
                     exclude ? 1 : 0, &sent);
    if (rc == IWS_OK)
      replyf(id, "publish-sent %u", (unsigned)sent);
    else
      replyf(id, "publish-rc %d", (int)rc);
  } else if ((arg = command_arg(cmd, "channels")) != NULL) {
    char list[4096], *p;
    int32_t rc = iws_conn_channels(g_server, id, list, sizeof list, NULL);
    size_t n;
    if (rc != IWS_OK) {
      replyf(id, "channels-rc %d", (int)rc);
    } else {
      n = strlen(list);
      if (n) list[--n] = '\0'; /* the last line feed */
      for (p = list; *p; p++)
        if (*p == '\n') *p = ',';
      replyf(id, "channels %s", n ? list : "-");
    }
  } else if ((arg = command_arg(cmd, "chanstats")) != NULL) {
    iws_stats st;
    int32_t rc;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    rc = iws_get_stats(g_server, &st);
    if (rc != IWS_OK)
      replyf(id, "chanstats-rc %d", (int)rc);
    else
      replyf(id, "chanstats channels=%" PRIu64 " subs=%" PRIu64
                 " pub=%" PRIu64 " redis_out=%" PRIu64 " redis_in=%" PRIu64
                 " redis_up=%" PRIu64,
             st.channels_current, st.subscriptions_current, st.publishes,
             st.redis_out, st.redis_in, st.redis_connected);
  } else {
    reply(id, "unknown-command");
  }
}

/* ------------------------------------------------------------------------ */
/* Callbacks                                                                 */
/* ------------------------------------------------------------------------ */

static int32_t IWS_CALLBACK on_connect(iws_server *server, iws_conn_id id,
                                       iws_request *request, void *user) {
  const char *path = iws_request_path(request);
  char ip[IWS_ADDRESS_SIZE];
  char proto[256];
  const char *chosen = NULL;
  conn_data *cd;
  int32_t rc;
  (void)user;

  if (path == NULL) path = "";
  if (iws_conn_peer(server, id, ip, sizeof ip, NULL) != IWS_OK)
    strcpy(ip, "?");

  if (strncmp(path, "/proto/", 7) == 0) {
    size_t n = strcspn(path + 7, "/?#");
    if (n >= sizeof proto) n = sizeof proto - 1;
    memcpy(proto, path + 7, n);
    proto[n] = '\0';
    rc = iws_request_select_protocol(request, proto);
    if (rc != IWS_OK)
      emit("SELECT_PROTOCOL_RC %" PRIu64 " %d", id, (int)rc);
    else
      chosen = proto;
  } else if (iws_conn_protocol(server, id, proto, sizeof proto, NULL) ==
                 IWS_OK &&
             proto[0] != '\0') {
    chosen = proto; /* what the server's preference list picked */
  }

  emit("CONNECT %" PRIu64 " %s %s %s", id, path, chosen ? chosen : "-", ip);

  if (strncmp(path, "/welcome/", 9) == 0) {
    /* A slow on_connect that greets: sends "welcome" (which must reach
     * the client after the 101), prints WELCOMED, sleeps MS, accepts. */
    int32_t wrc = iws_send_text(server, id, "welcome", 7);
    emit("WELCOMED %" PRIu64 " %d", id, (int)wrc);
    pt_sleep_ms((unsigned)strtoul(path + 9, NULL, 10));
  }

  if (strncmp(path, "/hdr/", 5) == 0) {
    /* Headers on the answer (0.6): two lines of one name, a cookie, a
     * Basic challenge; then a CR LF value, a reserved name and an empty
     * name, which must be refused. The rest of the path goes on as usual
     * ("/hdr/reject/401"). */
    int32_t a = iws_request_add_response_header(request, "X-Iws-Test", "one");
    int32_t b = iws_request_add_response_header(request, "X-Iws-Test", "two");
    int32_t c = iws_request_add_response_header(request, "Set-Cookie",
                                                "sid=42; Path=/; HttpOnly");
    int32_t d = iws_request_add_response_header(
        request, "WWW-Authenticate", "Basic realm=\"iocpws\"");
    int32_t e = iws_request_add_response_header(request, "X-Bad",
                                                "a\r\nX-Injected: 1");
    int32_t f = iws_request_add_response_header(request, "Upgrade", "h2c");
    int32_t g = iws_request_add_response_header(request, "", "x");
    emit("ADDHDR %" PRIu64 " %d %d %d %d %d %d %d", id, (int)a, (int)b,
         (int)c, (int)d, (int)e, (int)f, (int)g);
    path += 4;
  }

  if (strncmp(path, "/reject/", 8) == 0) {
    int status = atoi(path + 8);
    emit("REJECT %" PRIu64 " %d", id, status);
    return status;
  }

  cd = malloc(sizeof *cd);
  if (cd == NULL) {
    emit("REJECT %" PRIu64 " 500", id);
    return 500;
  }
  cd->connect_thread = pt_thread_self();
  cd->id = id;
  rc = iws_conn_set_user_data(server, id, cd);
  if (rc != IWS_OK) {
    emit("SET_USER_DATA_RC %" PRIu64 " %d", id, (int)rc);
    free(cd);
  }
  if (id_transition(id, ID_OPEN) != ID_NONE) {
    emit("DUPLICATE_CONNECT %" PRIu64, id);
    atomic_fetch_add(&g_anomalies, 1);
  }
  atomic_fetch_add(&g_connects, 1);
  return IWS_ACCEPT;
}

static void IWS_CALLBACK on_message(iws_server *server, iws_conn_id id,
                                    uint32_t opcode, const uint8_t *data,
                                    uint64_t length, void *user) {
  (void)user;
  if (opcode == IWS_OP_TEXT && length >= 4 && memcmp(data, "cmd:", 4) == 0) {
    char small[1024];
    char *cmd = small;
    size_t n = (size_t)length - 4;
    if (n >= sizeof small) {
      cmd = malloc(n + 1);
      if (cmd == NULL) {
        reply(id, "command-too-long");
        return;
      }
    }
    memcpy(cmd, data + 4, n);
    cmd[n] = '\0';
    run_command(id, cmd);
    if (cmd != small) free(cmd);
    return;
  }
  {
    int32_t rc = iws_send(server, id, opcode, data, length);
    if (rc != IWS_OK) emit("SEND_FAIL %" PRIu64 " %d", id, (int)rc);
  }
}

/* The heartbeat is about to ping `id`: says so, and answers as
 * --on-heartbeat says. It must come for an open connection only, and
 * never while another callback of the same connection runs (cmd:sleep). */
static int32_t IWS_CALLBACK on_heartbeat(iws_server *server, iws_conn_id id,
                                         void *user) {
  int was;
  (void)server;
  (void)user;
  pt_mutex_lock(&g_ids_lock);
  was = id < g_ids_cap ? g_ids[id] : ID_NONE;
  pt_mutex_unlock(&g_ids_lock);
  if (was != ID_OPEN) {
    emit("HEARTBEAT_NOT_OPEN %" PRIu64, id);
    atomic_fetch_add(&g_anomalies, 1);
  }
  if (atomic_load(&g_sleeping_id) == id) {
    emit("HEARTBEAT_OVERLAP %" PRIu64, id);
    atomic_fetch_add(&g_anomalies, 1);
  }
  emit("HEARTBEAT %" PRIu64, id);
  return g_on_heartbeat;
}

static void IWS_CALLBACK on_disconnect(iws_server *server, iws_conn_id id,
                                       uint32_t code, const char *reason,
                                       uint32_t reason_length, void *user) {
  void *data = NULL;
  int was;
  (void)reason;
  (void)reason_length;
  (void)user;

  was = id_transition(id, ID_GONE);
  if (was == ID_GONE) {
    emit("DOUBLE_DISCONNECT %" PRIu64, id);
    atomic_fetch_add(&g_anomalies, 1);
    return; /* the user data was freed the first time */
  }
  if (was != ID_OPEN) {
    emit("UNKNOWN_DISCONNECT %" PRIu64, id);
    atomic_fetch_add(&g_anomalies, 1);
  }
  atomic_fetch_add(&g_disconnects, 1);
  if (iws_conn_get_user_data(server, id, &data) == IWS_OK && data != NULL) {
    iws_conn_set_user_data(server, id, NULL);
    free(data);
  }
  emit("DISCONNECT %" PRIu64 " %u", id, (unsigned)code);
}

static void IWS_CALLBACK on_error(iws_server *server, iws_conn_id id,
                                  int32_t code, const char *message,
                                  void *user) {
  char line[512];
  (void)server;
  (void)user;
  emit("ERROR %" PRIu64 " %d %s", id, (int)code,
       one_line(message, message ? strlen(message) : 0, line, sizeof line));
}

static int g_log_calls; /* --log-calls */

static void IWS_CALLBACK on_log(iws_server *server, int32_t level,
                                const char *message, void *user) {
  char line[512];
  const char *at;
  (void)user;
  emit("LOG %d %s", (int)level,
       one_line(message, message ? strlen(message) : 0, line, sizeof line));
  if (g_log_calls && message &&
      (at = strstr(message, "connection ")) != NULL) {
    iws_conn_id id = strtoull(at + 11, NULL, 10);
    char peer[IWS_ADDRESS_SIZE], path[256];
    uint32_t port = 0, needed = 0, sent = 0;
    int32_t a, b, c;
    if (id == 0) return;
    a = iws_conn_peer(server, id, peer, sizeof peer, &port);
    b = iws_conn_path(server, id, path, sizeof path, &needed);
    c = iws_broadcast(server, IWS_OP_TEXT, "log", 3, NULL, 0, &sent);
    emit("LOGCALL %" PRIu64 " %d %d %d", id, (int)a, (int)b, (int)c);
  }
}

/* ------------------------------------------------------------------------ */
/* HTTP (plain requests, Since 0.5)                                          */
/* ------------------------------------------------------------------------ */
/*
 * on_http_request routes, by document:
 *
 *   /echo              200 application/json: {"method","document","query",
 *                      "params":[[name,value]...],"body","id","headers":N,
 *                      "host"}
 *   /status/N          status N with body "status N"
 *   /defer?ms=N[&tag=T][&status=S]  deferred: another thread answers after
 *                      N ms with "deferred T" (status S, default 200) and
 *                      prints "HTTP_SEND <tag> <rc>"
 *   /deferquick        defers and sends at once from inside the callback
 *   /big?n=N           N bytes of 'a'..'z' repeated
 *   /header?name=N&value=V  adds the header; body "rc=<rc>"
 *   /close             adds Connection: close; body "closing"
 *   /conn              body "conn <id>" (connection reuse)
 *   /untouched         leaves the response untouched (library answers 404)
 *   /reason            status 299 with reason "Fine Thanks"
 *   /nocontent         204
 *   /serve?path=P      iws_http_serve_file(P): body "serve-rc <rc>" if it
 *                      fails (static files)
 *   /httpstats         body "requests=.. refused=.. current=.."
 *   /headrefuse        body "rc=<rc>" of iws_http_head_refuse here (outside
 *                      on_http_head)
 *   anything else      404 (untouched), unless served from the document root
 *
 * on_http_head (Since 0.6) routes, by document; everything else is read
 * into memory (IWS_HTTP_BODY_BUFFER) as without on_http_head:
 *
 *   /deny/N            refused with status N; prints "HTTP_HEAD <id> deny N"
 *   /refuse/N          iws_http_head_refuse(N, "Not Today", "text/plain",
 *                      "refused by the app"), then answers
 *                      IWS_HTTP_BODY_BUFFER (ignored); prints "HTTP_HEAD <id>
 *                      refuse N bad=<rc of status 200> rc=<rc>"
 *   /upload[?delay=MS][&fail=N]  streamed: on_http_body keeps the CRC-32
 *                      (zlib) of the pieces in order, sleeps MS ms per
 *                      piece, and answers 507 once more than N bytes came;
 *                      on_http_request answers "bytes=<n> crc=<hex>
 *                      pieces=<n> maxpiece=<n>"; prints "HTTP_HEAD <id>
 *                      upload" and, for each piece, nothing (200 MiB)
 */

/* Streamed uploads under way, by connection (a test runs a few at once). */
typedef struct upload_slot {
  iws_conn_id id; /* 0 = free */
  uint64_t bytes, pieces, maxpiece, fail;
  unsigned long crc;
  long delay_ms;
} upload_slot;
static pt_mutex g_uploads_lock = PT_MUTEX_INITIALIZER;
static upload_slot g_uploads[32];

/* The slot of `id` (made if `make`), NULL if none; under g_uploads_lock. */
static upload_slot *upload_find(iws_conn_id id, int make) {
  size_t i;
  upload_slot *free_slot = NULL;
  for (i = 0; i < sizeof g_uploads / sizeof g_uploads[0]; i++) {
    if (g_uploads[i].id == id) return &g_uploads[i];
    if (!g_uploads[i].id && !free_slot) free_slot = &g_uploads[i];
  }
  if (!make || !free_slot) return NULL;
  memset(free_slot, 0, sizeof *free_slot);
  free_slot->id = id;
  free_slot->crc = crc32(0L, Z_NULL, 0);
  return free_slot;
}

static int32_t IWS_CALLBACK on_http_head(iws_server *server, iws_conn_id id,
                                         iws_request *req, void *user) {
  const char *doc = iws_request_document(req);
  (void)server;
  (void)user;
  if (strncmp(doc, "/deny/", 6) == 0) {
    long status = strtol(doc + 6, NULL, 10);
    emit("HTTP_HEAD %" PRIu64 " deny %ld", id, status);
    return (int32_t)status;
  }
  if (strncmp(doc, "/refuse/", 8) == 0) {
    static const char body[] = "refused by the app";
    long status = strtol(doc + 8, NULL, 10);
    int32_t bad = iws_http_head_refuse(req, 200, NULL, NULL, NULL, 0);
    int32_t rc = iws_http_head_refuse(req, (int32_t)status, "Not Today",
                                      "text/plain", body, sizeof body - 1);
    emit("HTTP_HEAD %" PRIu64 " refuse %ld bad=%d rc=%d", id, status,
         (int)bad, (int)rc);
    return IWS_HTTP_BODY_BUFFER; /* the refusal wins */
  }
  if (strcmp(doc, "/upload") == 0) {
    const char *delay = iws_request_param(req, "delay");
    const char *fail = iws_request_param(req, "fail");
    upload_slot *u;
    pt_mutex_lock(&g_uploads_lock);
    u = upload_find(id, 0);
    if (u) u->id = 0; /* a previous upload of the connection */
    u = upload_find(id, 1);
    if (u) {
      u->delay_ms = delay ? strtol(delay, NULL, 10) : 0;
      u->fail = fail ? strtoull(fail, NULL, 10) : UINT64_MAX;
    }
    pt_mutex_unlock(&g_uploads_lock);
    emit("HTTP_HEAD %" PRIu64 " upload", id);
    return u ? IWS_HTTP_BODY_STREAM : 503;
  }
  return IWS_HTTP_BODY_BUFFER;
}

static int32_t IWS_CALLBACK on_http_body(iws_server *server, iws_conn_id id,
                                         const uint8_t *data, uint32_t length,
                                         void *user) {
  upload_slot *u;
  long delay = 0;
  int32_t rc = 0;
  (void)server;
  (void)user;
  pt_mutex_lock(&g_uploads_lock);
  u = upload_find(id, 0);
  if (!u || length == 0 || data == NULL) {
    rc = 500; /* a piece for no streamed request, or an empty one: a bug */
  } else {
    u->crc = crc32(u->crc, data, length);
    u->bytes += length;
    u->pieces++;
    if (length > u->maxpiece) u->maxpiece = length;
    delay = u->delay_ms;
    if (u->bytes > u->fail) rc = 507;
  }
  pt_mutex_unlock(&g_uploads_lock);
  if (rc == 500) emit("BAD_PIECE %" PRIu64 " %u", id, (unsigned)length);
  if (delay > 0) pt_sleep_ms((unsigned)delay);
  return rc;
}

/* /upload's answer: what on_http_body saw. */
static void upload_done(iws_conn_id id, iws_http_response *res) {
  char body[200];
  int n;
  upload_slot *u;
  pt_mutex_lock(&g_uploads_lock);
  u = upload_find(id, 0);
  if (u) {
    n = snprintf(body, sizeof body,
                 "bytes=%" PRIu64 " crc=%08lx pieces=%" PRIu64
                 " maxpiece=%" PRIu64,
                 u->bytes, u->crc, u->pieces, u->maxpiece);
    u->id = 0;
  } else {
    n = snprintf(body, sizeof body, "no upload");
  }
  pt_mutex_unlock(&g_uploads_lock);
  iws_http_set_body(res, body, (uint64_t)n);
}

static atomic_int g_defer_running;

typedef struct defer_job {
  iws_http_response *response;
  long ms;
  int status;
  char tag[64];
} defer_job;

static void defer_main(void *arg) {
  defer_job *job = arg;
  char body[128];
  int n;
  int32_t rc;
  pt_sleep_ms((unsigned)job->ms);
  n = snprintf(body, sizeof body, "deferred %s", job->tag);
  iws_http_set_status(job->response, job->status, NULL);
  iws_http_set_body(job->response, body, (uint64_t)n);
  rc = iws_http_send(job->response);
  emit("HTTP_SEND %s %d", job->tag, (int)rc);
  free(job);
  atomic_fetch_sub(&g_defer_running, 1);
}

static void json_string(char **p, size_t *left, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  size_t i;
#define PUT(ch)            \
  do {                     \
    if (*left > 1) {       \
      *(*p)++ = (char)(ch); \
      (*left)--;           \
    }                      \
  } while (0)
  PUT('"');
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      PUT('\\');
      PUT(c);
    } else if (c < 0x20 || c >= 0x7f) {
      /* bytes as \u00XX: the test compares bytes, JSON stays ASCII */
      PUT('\\');
      PUT('u');
      PUT('0');
      PUT('0');
      PUT(hex[c >> 4]);
      PUT(hex[c & 15]);
    } else {
      PUT(c);
    }
  }
  PUT('"');
#undef PUT
  **p = '\0';
}

static void put_text(char **p, size_t *left, const char *s) {
  size_t n = strlen(s);
  if (n >= *left) n = *left - 1;
  memcpy(*p, s, n);
  *p += n;
  *left -= n;
  **p = '\0';
}

static void http_echo(iws_conn_id id, iws_request *req,
                      iws_http_response *res) {
  const uint8_t *body = NULL;
  uint64_t body_len = 0;
  size_t cap, left;
  char *out, *p, num[64];
  uint32_t i, count = iws_request_param_count(req);
  const char *host = iws_request_header(req, "Host");
  iws_request_body(req, &body, &body_len);
  cap = 4096 + (size_t)body_len * 6 + strlen(iws_request_path(req)) * 12;
  out = malloc(cap);
  if (out == NULL) {
    iws_http_set_status(res, 500, NULL);
    return;
  }
  p = out;
  left = cap;
  put_text(&p, &left, "{\"method\":");
  json_string(&p, &left, iws_request_method(req),
              strlen(iws_request_method(req)));
  put_text(&p, &left, ",\"document\":");
  json_string(&p, &left, iws_request_document(req),
              strlen(iws_request_document(req)));
  put_text(&p, &left, ",\"query\":");
  json_string(&p, &left, iws_request_query(req),
              strlen(iws_request_query(req)));
  put_text(&p, &left, ",\"params\":[");
  for (i = 0; i < count; i++) {
    const char *name, *value;
    if (iws_request_param_at(req, i, &name, &value) != IWS_OK) break;
    if (i) put_text(&p, &left, ",");
    put_text(&p, &left, "[");
    json_string(&p, &left, name, strlen(name));
    put_text(&p, &left, ",");
    json_string(&p, &left, value, strlen(value));
    put_text(&p, &left, "]");
  }
  put_text(&p, &left, "],\"body\":");
  json_string(&p, &left, (const char *)body, (size_t)body_len);
  snprintf(num, sizeof num, ",\"id\":%" PRIu64 ",\"headers\":%u,\"host\":",
           id, (unsigned)iws_request_header_count(req));
  put_text(&p, &left, num);
  if (host)
    json_string(&p, &left, host, strlen(host));
  else
    put_text(&p, &left, "null");
  put_text(&p, &left, "}");
  iws_http_add_header(res, "Content-Type", "application/json");
  iws_http_set_body(res, out, (uint64_t)(p - out));
  free(out);
}

/* CPU time this thread has used, in milliseconds (-1 if unknown). */
static long thread_cpu_ms(void) {
#ifdef _WIN32
  FILETIME created, exited, kernel, user;
  ULARGE_INTEGER k, u;
  if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user))
    return -1;
  k.LowPart = kernel.dwLowDateTime;
  k.HighPart = kernel.dwHighDateTime;
  u.LowPart = user.dwLowDateTime;
  u.HighPart = user.dwHighDateTime;
  return (long)((k.QuadPart + u.QuadPart) / 10000u);
#else
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return -1;
  return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
#endif
}

/* /streamwait: a streamed body of `total` bytes in `chunk`-byte pieces,
 * written from a thread of ours that waits with iws_http_stream_wait
 * whenever the queue is full (no polling). Prints
 * "STREAM_WAIT tag sent waits timeouts cpu_ms end_rc". */
typedef struct stream_job {
  iws_http_response *response;
  long total, chunk;
  char tag[64];
} stream_job;

static void stream_main(void *arg) {
  stream_job *job = arg;
  char *buf = malloc((size_t)job->chunk);
  long sent = 0, waits = 0, timeouts = 0, k, cpu0 = thread_cpu_ms();
  int32_t rc = buf ? IWS_OK : IWS_E_NOMEM;
  if (buf)
    for (k = 0; k < job->chunk; k++) buf[k] = (char)('a' + k % 26);
  while (rc == IWS_OK && sent < job->total) {
    long n = job->total - sent < job->chunk ? job->total - sent : job->chunk;
    rc = iws_http_send_chunk(job->response, buf, (uint64_t)n);
    if (rc == IWS_OK) {
      sent += n;
    } else if (rc == IWS_E_QUEUE_FULL) {
      waits++;
      rc = iws_http_stream_wait(job->response, 200);
      if (rc == IWS_E_TIMEOUT) {
        timeouts++;
        rc = IWS_OK; /* still full: the reader is slow; wait again */
      }
    }
  }
  emit("STREAM_WAIT %s %ld %ld %ld %ld %d", job->tag, sent, waits, timeouts,
       thread_cpu_ms() - cpu0, (int)rc);
  iws_http_send(job->response);
  free(buf);
  free(job);
  atomic_fetch_sub(&g_defer_running, 1);
}

static long param_long(iws_request *req, const char *name, long def) {
  const char *v = iws_request_param(req, name);
  return v ? strtol(v, NULL, 10) : def;
}

static void IWS_CALLBACK on_http_request(iws_server *server, iws_conn_id id,
                                         iws_request *req,
                                         iws_http_response *res,
                                         void *user) {
  const char *doc = iws_request_document(req);
  char body[256];
  int n;
  (void)user;
  if (strcmp(doc, "/echo") == 0) {
    http_echo(id, req, res);
  } else if (strcmp(doc, "/upload") == 0) {
    upload_done(id, res);
  } else if (strcmp(doc, "/whoami") == 0) {
    char subject[1024];
    uint32_t index = 99;
    int32_t rc1 = iws_conn_listener(server, id, &index);
    int32_t rc2 = iws_conn_peer_cert(server, id, IWS_CERT_SUBJECT, subject,
                                     sizeof subject, NULL);
    if (rc2 != IWS_OK) snprintf(subject, sizeof subject, "rc%d", (int)rc2);
    n = snprintf(body, sizeof body, "listener=%u subject=%s",
                 rc1 == IWS_OK ? (unsigned)index : 99u, subject);
    if (n >= (int)sizeof body) n = (int)sizeof body - 1;
    iws_http_set_body(res, body, (uint64_t)n);
  } else if (strcmp(doc, "/chain") == 0) {
    /* the verified chain's subjects, depth 0 first, '|' between */
    char subject[1024], chain[4096];
    size_t used = 0;
    uint32_t depth;
    chain[0] = '\0';
    for (depth = 0; depth < 16; depth++) {
      int32_t rc = iws_conn_peer_chain_cert(server, id, depth,
                                            IWS_CERT_SUBJECT, subject,
                                            sizeof subject, NULL);
      if (rc != IWS_OK || !subject[0]) break;
      if (used < sizeof chain)
        used += (size_t)snprintf(chain + used, sizeof chain - used, "%s%s",
                                 depth ? "|" : "", subject);
    }
    iws_http_set_body(res, chain, strlen(chain));
  } else if (strncmp(doc, "/status/", 8) == 0) {
    long status = strtol(doc + 8, NULL, 10);
    n = snprintf(body, sizeof body, "status %ld", status);
    if (iws_http_set_status(res, (int32_t)status, NULL) != IWS_OK) {
      iws_http_set_status(res, 500, NULL);
      n = snprintf(body, sizeof body, "bad status %ld", status);
    }
    iws_http_set_body(res, body, (uint64_t)n);
  } else if (strcmp(doc, "/defer") == 0) {
    defer_job *job = calloc(1, sizeof *job);
    const char *tag = iws_request_param(req, "tag");
    if (job == NULL) {
      iws_http_set_status(res, 500, NULL);
      return;
    }
    job->response = res;
    job->ms = param_long(req, "ms", 0);
    job->status = (int)param_long(req, "status", 200);
    snprintf(job->tag, sizeof job->tag, "%s", tag ? tag : "-");
    if (iws_http_defer(res) != IWS_OK) {
      free(job);
      iws_http_set_status(res, 500, NULL);
      return;
    }
    atomic_fetch_add(&g_defer_running, 1);
    if (pt_thread_start_detached(defer_main, job) != 0) {
      atomic_fetch_sub(&g_defer_running, 1);
      /* Deferred already: it must be sent by us, now. */
      iws_http_set_status(res, 500, NULL);
      iws_http_send(res);
      free(job);
    }
  } else if (strcmp(doc, "/streamwait") == 0) {
    stream_job *job = calloc(1, sizeof *job);
    const char *tag = iws_request_param(req, "tag");
    int32_t in_cb;
    if (job == NULL || iws_http_defer(res) != IWS_OK) {
      free(job);
      iws_http_set_status(res, 500, NULL);
      return;
    }
    job->response = res;
    job->total = param_long(req, "total", 1 << 20);
    job->chunk = param_long(req, "chunk", 65536);
    if (job->chunk <= 0 || job->chunk > (16L << 20)) job->chunk = 65536;
    snprintf(job->tag, sizeof job->tag, "%s", tag ? tag : "-");
    iws_http_add_header(res, "Content-Type", "application/octet-stream");
    iws_http_send_head(res);
    /* inside a callback it must refuse rather than wait for itself */
    in_cb = iws_http_stream_wait(res, 1000);
    emit("STREAM_WAIT_IN_CALLBACK %s %d", job->tag, (int)in_cb);
    atomic_fetch_add(&g_defer_running, 1);
    if (pt_thread_start_detached(stream_main, job) != 0) {
      atomic_fetch_sub(&g_defer_running, 1);
      iws_http_send(res);
      free(job);
    }
  } else if (strcmp(doc, "/deferquick") == 0) {
    int32_t d = iws_http_defer(res), s;
    iws_http_set_body(res, "quick", 5);
    s = iws_http_send(res);
    emit("HTTP_QUICK %d %d", (int)d, (int)s);
  } else if (strcmp(doc, "/big") == 0) {
    long size = param_long(req, "n", 0), k;
    char *big;
    if (size < 0 || size > 64L * 1024 * 1024) size = 0;
    big = malloc((size_t)size + 1);
    if (big == NULL) {
      iws_http_set_status(res, 500, NULL);
      return;
    }
    for (k = 0; k < size; k++) big[k] = (char)('a' + k % 26);
    iws_http_add_header(res, "Content-Type", "application/octet-stream");
    iws_http_set_body(res, big, (uint64_t)size);
    free(big);
  } else if (strcmp(doc, "/header") == 0) {
    const char *name = iws_request_param(req, "name");
    const char *value = iws_request_param(req, "value");
    int32_t rc = iws_http_add_header(res, name, value ? value : "");
    n = snprintf(body, sizeof body, "rc=%d", (int)rc);
    iws_http_set_body(res, body, (uint64_t)n);
  } else if (strcmp(doc, "/close") == 0) {
    iws_http_add_header(res, "Connection", "close");
    iws_http_set_body(res, "closing", 7);
  } else if (strcmp(doc, "/conn") == 0) {
    n = snprintf(body, sizeof body, "conn %" PRIu64, id);
    iws_http_set_body(res, body, (uint64_t)n);
  } else if (strcmp(doc, "/answerheader") == 0) {
    /* iws_request_add_response_header is on_connect's only */
    n = snprintf(body, sizeof body, "rc=%d",
                 (int)iws_request_add_response_header(req, "X-A", "b"));
    iws_http_set_body(res, body, (uint64_t)n);
  } else if (strcmp(doc, "/untouched") == 0) {
    /* the library answers 404 */
  } else if (strcmp(doc, "/reason") == 0) {
    iws_http_set_status(res, 299, "Fine Thanks");
    iws_http_set_body(res, "ok", 2);
  } else if (strcmp(doc, "/nocontent") == 0) {
    iws_http_set_status(res, 204, NULL);
  } else if (strcmp(doc, "/serve") == 0) {
    const char *path = iws_request_param(req, "path");
    int32_t rc = iws_http_serve_file(res, path ? path : "");
    if (rc != IWS_OK) {
      n = snprintf(body, sizeof body, "serve-rc %d", (int)rc);
      iws_http_set_status(res, 404, NULL);
      iws_http_set_body(res, body, (uint64_t)n);
    }
  } else if (strcmp(doc, "/httpstats") == 0) {
    iws_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    iws_get_stats(server, &st);
    n = snprintf(body, sizeof body,
                 "requests=%" PRIu64 " refused=%" PRIu64 " current=%" PRIu64,
                 st.http_requests, st.http_refused,
                 st.http_connections_current);
    iws_http_set_body(res, body, (uint64_t)n);
  } else if (strcmp(doc, "/headrefuse") == 0) {
    /* iws_http_head_refuse outside on_http_head: IWS_E_BAD_STATE */
    n = snprintf(body, sizeof body, "rc=%d",
                 (int)iws_http_head_refuse(req, 403, NULL, NULL, NULL, 0));
    iws_http_set_body(res, body, (uint64_t)n);
  }
}

static void wait_defer_threads(void) {
  while (atomic_load(&g_defer_running) > 0) pt_sleep_ms(5);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct option_name {
  const char *name;
  int32_t option;
  int is_string;
} option_name;

static const option_name k_options[] = {
    {"port", IWS_OPT_PORT, 0},
    {"io_threads", IWS_OPT_IO_THREADS, 0},
    {"worker_threads", IWS_OPT_WORKER_THREADS, 0},
    {"max_connections", IWS_OPT_MAX_CONNECTIONS, 0},
    {"max_message_size", IWS_OPT_MAX_MESSAGE_SIZE, 0},
    {"max_handshake_size", IWS_OPT_MAX_HANDSHAKE_SIZE, 0},
    {"handshake_timeout_ms", IWS_OPT_HANDSHAKE_TIMEOUT_MS, 0},
    {"heartbeat_interval_ms", IWS_OPT_HEARTBEAT_INTERVAL_MS, 0},
    {"heartbeat_timeout_ms", IWS_OPT_HEARTBEAT_TIMEOUT_MS, 0},
    {"send_queue_limit", IWS_OPT_SEND_QUEUE_LIMIT, 0},
    {"send_queue_policy", IWS_OPT_SEND_QUEUE_POLICY, 0},
    {"tcp_nodelay", IWS_OPT_TCP_NODELAY, 0},
    {"listen_backlog", IWS_OPT_LISTEN_BACKLOG, 0},
    {"close_timeout_ms", IWS_OPT_CLOSE_TIMEOUT_MS, 0},
    {"stop_timeout_ms", IWS_OPT_STOP_TIMEOUT_MS, 0},
    {"log_level", IWS_OPT_LOG_LEVEL, 0},
    {"ipv6_only", IWS_OPT_IPV6_ONLY, 0},
    {"accepts_posted", IWS_OPT_ACCEPTS_POSTED, 0},
    {"tls_port", IWS_OPT_TLS_PORT, 0},
    {"tls_min_version", IWS_OPT_TLS_MIN_VERSION, 0},
    {"tls_handshake_timeout_ms", IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS, 0},
    {"tls_verify_client", IWS_OPT_TLS_VERIFY_CLIENT, 0},
    {"tls_verify_depth", IWS_OPT_TLS_VERIFY_DEPTH, 0},
    {"tls_client_ca_file", IWS_OPT_TLS_CLIENT_CA_FILE, 1},
    {"tls_client_ca_pem", IWS_OPT_TLS_CLIENT_CA_PEM, 1}, /* a file to read */
    {"deflate", IWS_OPT_DEFLATE, 0},
    {"deflate_server_max_window_bits", IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS,
     0},
    {"deflate_client_max_window_bits", IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS,
     0},
    {"deflate_server_no_context_takeover",
     IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER, 0},
    {"deflate_client_no_context_takeover",
     IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER, 0},
    {"deflate_mem_level", IWS_OPT_DEFLATE_MEM_LEVEL, 0},
    {"deflate_level", IWS_OPT_DEFLATE_LEVEL, 0},
    {"deflate_threshold", IWS_OPT_DEFLATE_THRESHOLD, 0},
    {"deflate_max_inflated_size", IWS_OPT_DEFLATE_MAX_INFLATED_SIZE, 0},
    {"bind", IWS_OPT_BIND_ADDRESS, 1},
    {"subprotocols", IWS_OPT_SUBPROTOCOLS, 1},
    {"tls_cert_file", IWS_OPT_TLS_CERT_FILE, 1},
    {"tls_key_file", IWS_OPT_TLS_KEY_FILE, 1},
    {"tls_ca_file", IWS_OPT_TLS_CA_FILE, 1},
    {"tls_password", IWS_OPT_TLS_PASSWORD, 1},
    {"tls_cert_pem", IWS_OPT_TLS_CERT_PEM, 1}, /* value: a file to read */
    {"tls_key_pem", IWS_OPT_TLS_KEY_PEM, 1},   /* value: a file to read */
    {"tls_ca_pem", IWS_OPT_TLS_CA_PEM, 1},     /* value: a file to read */
    {"tls_ciphers", IWS_OPT_TLS_CIPHERS, 1},
    {"tls_ciphersuites", IWS_OPT_TLS_CIPHERSUITES, 1},
    {"redis_url", IWS_OPT_REDIS_URL, 1},
    {"redis_prefix", IWS_OPT_REDIS_PREFIX, 1},
    {"redis_reconnect_max_ms", IWS_OPT_REDIS_RECONNECT_MAX_MS, 0},
    {"http_max_body_size", IWS_OPT_HTTP_MAX_BODY_SIZE, 0},
    {"http_max_uri_length", IWS_OPT_HTTP_MAX_URI_LENGTH, 0},
    {"http_request_timeout_ms", IWS_OPT_HTTP_REQUEST_TIMEOUT_MS, 0},
    {"http_keepalive_timeout_ms", IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS, 0},
    {"http_response_timeout_ms", IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS, 0},
    {"http_max_pipelined", IWS_OPT_HTTP_MAX_PIPELINED, 0},
    {"incomplete_messages_limit", IWS_OPT_INCOMPLETE_MESSAGES_LIMIT, 0},
    {"tcp_keepalive", IWS_OPT_TCP_KEEPALIVE, 0},
    {"tcp_keepalive_time_ms", IWS_OPT_TCP_KEEPALIVE_TIME_MS, 0},
    {"tcp_keepalive_interval_ms", IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS, 0},
    {"heartbeat_if_idle", IWS_OPT_HEARTBEAT_IF_IDLE, 0},
    {"http_document_root", IWS_OPT_HTTP_DOCUMENT_ROOT, 1},
    {"http_index_file", IWS_OPT_HTTP_INDEX_FILE, 1},
    /* tls_host=NAME,CERT,KEY[,PASSWORD]: iws_tls_add_host */
    {"tls_host", -1, 1},
};

/* Reads a whole file into a NUL-terminated string (NULL on failure). */
static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    } else {
      buf[n] = '\0';
    }
  }
  fclose(f);
  return buf;
}

/* tls_host=NAME,CERT,KEY[,PASSWORD] */
static int32_t add_host(const char *value) {
  char *copy = malloc(strlen(value) + 1), *parts[4] = {NULL, NULL, NULL, NULL};
  char *p;
  int n = 0;
  int32_t rc;
  if (copy == NULL) return IWS_E_NOMEM;
  strcpy(copy, value);
  for (p = copy; n < 4; n++) {
    parts[n] = p;
    p = strchr(p, ',');
    if (p == NULL) {
      n++;
      break;
    }
    *p++ = '\0';
  }
  rc = n < 3 ? IWS_E_INVALID_ARG
             : iws_tls_add_host(g_server, parts[0], parts[1], parts[2],
                                parts[3]);
  free(copy);
  return rc;
}

static void print_last_error(const char *what, int32_t rc) {
  char detail[512];
  detail[0] = '\0';
  iws_last_error(g_server, detail, sizeof detail);
  emit("%s rc=%d %s: %s", what, (int)rc, iws_error_name(rc), detail);
}

/* "ADDR/PORT" (ADDR may be empty) -> iws_add_listener's result. */
static int32_t add_listener_spec(const char *v, int tls) {
  const char *slash = strrchr(v, '/');
  char addr[128];
  size_t n = slash ? (size_t)(slash - v) : 0;
  if (!slash || n >= sizeof addr) return IWS_E_INVALID_ARG;
  memcpy(addr, v, n);
  addr[n] = '\0';
  return iws_add_listener(g_server, addr,
                          (uint32_t)strtoul(slash + 1, NULL, 10),
                          tls ? IWS_LISTEN_TLS : 0);
}

/* Applies "NAME=VALUE"; returns 0 on success. */
static int apply_option(const char *spec) {
  const char *eq = strchr(spec, '=');
  size_t i, name_len;
  const char *value;
  if (eq == NULL) {
    fprintf(stderr, "ws_test_server: --opt needs NAME=VALUE, got '%s'\n", spec);
    return -1;
  }
  name_len = (size_t)(eq - spec);
  value = eq + 1;
  for (i = 0; i < sizeof k_options / sizeof k_options[0]; i++) {
    const option_name *o = &k_options[i];
    int32_t rc;
    if (strlen(o->name) != name_len || strncmp(o->name, spec, name_len) != 0)
      continue;
    if (o->option == -1) {
      rc = add_host(value);
    } else if (o->is_string && (o->option == IWS_OPT_TLS_CERT_PEM ||
                                o->option == IWS_OPT_TLS_KEY_PEM ||
                                o->option == IWS_OPT_TLS_CA_PEM ||
                                o->option == IWS_OPT_TLS_CLIENT_CA_PEM)) {
      /* The test passes a file; the library gets its text in memory. */
      char *text = read_file(value);
      if (text == NULL) {
        fprintf(stderr, "ws_test_server: cannot read '%s'\n", value);
        return -1;
      }
      rc = iws_set_str(g_server, o->option, text);
      free(text);
    } else if (o->is_string) {
      rc = iws_set_str(g_server, o->option, value);
    } else {
      long long v;
      char *end;
      if (o->option == IWS_OPT_SEND_QUEUE_POLICY &&
          strcmp(value, "close") == 0) {
        v = IWS_QUEUE_CLOSE;
      } else if (o->option == IWS_OPT_SEND_QUEUE_POLICY &&
                 strcmp(value, "error") == 0) {
        v = IWS_QUEUE_ERROR;
      } else {
        errno = 0;
        v = strtoll(value, &end, 0);
        if (errno != 0 || end == value || *end != '\0') {
          fprintf(stderr, "ws_test_server: bad number in '%s'\n", spec);
          return -1;
        }
      }
      rc = iws_set_int(g_server, o->option, (int64_t)v);
    }
    if (rc != IWS_OK) {
      fprintf(stderr, "ws_test_server: option '%s' refused: %d %s (%s)\n",
              spec, (int)rc, iws_error_name(rc), iws_strerror(rc));
      return -1;
    }
    return 0;
  }
  fprintf(stderr, "ws_test_server: unknown option name in '%s'\n", spec);
  return -1;
}

/* ------------------------------------------------------------------------ */
/* Main                                                                      */
/* ------------------------------------------------------------------------ */

/* ------------------------------------------------------------------------ */
/* Process figures ("proc" on stdin)                                         */
/* ------------------------------------------------------------------------ */

static void print_proc(void) {
  pt_proc_info p;
  pt_proc_info_read(&p);
  emit("PROC rss=%lld fds=%lld threads=%lld cpu_ms=%lld commit=%lld", p.rss,
       p.fds, p.threads, p.cpu_ms, p.commit);
}

static int start_and_report(void) {
  uint32_t port = 0;
  int64_t tls_port = -1;
  int32_t rc = iws_start(g_server);
  if (rc != IWS_OK) {
    print_last_error("START_FAILED", rc);
    return -1;
  }
  uint32_t count = 0, li;
  if (iws_get_listener_count(g_server, &count) != IWS_OK) {
    print_last_error("GET_LISTENER_COUNT_FAILED", IWS_E_BAD_STATE);
    return -1;
  }
  for (li = 0; li < count; li++) {
    uint32_t flags = 0;
    rc = iws_get_listener(g_server, li, &port, &flags);
    if (rc != IWS_OK) {
      print_last_error("GET_LISTENER_FAILED", rc);
      return -1;
    }
    emit("LISTENER %u %u %s", (unsigned)li, (unsigned)port,
         (flags & IWS_LISTEN_TLS) ? "tls" : "plain");
  }
  if (iws_get_int(g_server, IWS_OPT_TLS_PORT, &tls_port) == IWS_OK &&
      tls_port >= 0) {
    rc = iws_get_tls_port(g_server, &port);
    if (rc != IWS_OK) {
      print_last_error("GET_TLS_PORT_FAILED", rc);
      return -1;
    }
    emit("TLS_PORT %u", (unsigned)port);
  }
  rc = iws_get_port(g_server, &port);
  if (rc != IWS_OK) {
    print_last_error("GET_PORT_FAILED", rc);
    return -1;
  }
  emit("PORT %u", (unsigned)port);
  return 0;
}

static void strip_newline(char *line) {
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
}

int main(int argc, char **argv) {
  iws_callbacks cb;
  int32_t rc;
  int i;
  char *line = NULL;
  size_t line_cap = 0;
  uint64_t connects, disconnects;
  int exit_code;

  pt_stdio_setup(); /* Windows: binary stdin/stdout, stdout unbuffered */
  memset(&cb, 0, sizeof cb);
  cb.struct_size = (uint32_t)sizeof cb;
  cb.on_connect = on_connect;
  cb.on_message = on_message;
  cb.on_disconnect = on_disconnect;
  cb.on_error = on_error;
  cb.on_log = on_log;
  cb.on_http_request = on_http_request;
  for (i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--on-heartbeat") == 0)
      g_on_heartbeat = atoi(argv[i + 1]);
  if (g_on_heartbeat >= 0) cb.on_heartbeat = on_heartbeat;
  cb.on_http_head = on_http_head;
  cb.on_http_body = on_http_body;

  rc = iws_create(IWS_ABI_VERSION, &cb, NULL, &g_server);
  if (rc != IWS_OK) {
    fprintf(stderr, "ws_test_server: iws_create failed: %d %s\n", (int)rc,
            iws_error_name(rc));
    return 2;
  }

  for (i = 1; i < argc; i++) {
    const char *spec = NULL;
    if (strcmp(argv[i], "--nofile") == 0 && i + 1 < argc) {
      if (pt_set_nofile("ws_test_server", argv[++i]) != 0) {
        iws_destroy(g_server);
        return 2;
      }
      continue;
    } else if (strcmp(argv[i], "--log-calls") == 0) {
      g_log_calls = 1;
      continue;
    } else if (strcmp(argv[i], "--on-heartbeat") == 0 && i + 1 < argc) {
      i++; /* read before iws_create */
      continue;
    } else if (strcmp(argv[i], "--opt") == 0 && i + 1 < argc) {
      spec = argv[++i];
    } else if (strncmp(argv[i], "--opt=", 6) == 0) {
      spec = argv[i] + 6;
    } else if ((strcmp(argv[i], "--listen") == 0 ||
                strcmp(argv[i], "--listen-tls") == 0) &&
               i + 1 < argc) {
      int tls = strcmp(argv[i], "--listen-tls") == 0;
      const char *v = argv[++i];
      int32_t r = add_listener_spec(v, tls);
      if (r != IWS_OK) {
        fprintf(stderr, "ws_test_server: --listen %s refused: %d %s\n", v,
                (int)r, iws_error_name(r));
        iws_destroy(g_server);
        return 2;
      }
      continue;
    } else if (strcmp(argv[i], "--docroot") == 0 && i + 1 < argc) {
      /* static files (IWS_OPT_HTTP_DOCUMENT_ROOT) */
      int32_t r = iws_set_str(g_server, IWS_OPT_HTTP_DOCUMENT_ROOT, argv[++i]);
      if (r != IWS_OK) {
        fprintf(stderr, "ws_test_server: --docroot refused: %d %s\n", (int)r,
                iws_error_name(r));
        iws_destroy(g_server);
        return 2;
      }
      continue;
    } else {
      fprintf(stderr,
              "usage: ws_test_server [--nofile N] [--docroot DIR] [--log-calls] "
              "[--opt NAME=VALUE]...\n"
              "unexpected argument '%s'\n",
              argv[i]);
      iws_destroy(g_server);
      return 2;
    }
    if (apply_option(spec) != 0) {
      iws_destroy(g_server);
      return 2;
    }
  }

  if (start_and_report() != 0) {
    iws_destroy(g_server);
    return 3;
  }

  while (pt_getline(&line, &line_cap, stdin) != -1) {
    const char *arg;
    strip_newline(line);
    if (strcmp(line, "quit") == 0) break;
    if (strcmp(line, "stop") == 0) {
      rc = iws_stop(g_server);
      emit("STOPPED rc=%d connects=%" PRIu64 " disconnects=%" PRIu64, (int)rc,
           (uint64_t)atomic_load(&g_connects),
           (uint64_t)atomic_load(&g_disconnects));
    } else if (strcmp(line, "start") == 0) {
      start_and_report();
    } else if ((arg = command_arg(line, "addlistener")) != NULL) {
      int tls = strncmp(arg, "tls ", 4) == 0;
      emit("ADDLISTENER_RC %d", (int)add_listener_spec(tls ? arg + 4 : arg, tls));
    } else if (strcmp(line, "clearlisteners") == 0) {
      emit("CLEARLISTENERS_RC %d", (int)iws_clear_listeners(g_server));
    } else if (strcmp(line, "proc") == 0) {
      print_proc();
    } else if ((arg = command_arg(line, "sendall")) != NULL) {
      uint32_t sent = 0;
      rc = iws_broadcast(g_server, IWS_OP_TEXT, arg, strlen(arg), NULL, 0,
                         &sent);
      emit("SENDALL %u rc=%d", (unsigned)sent, (int)rc);
    } else if ((arg = command_arg(line, "publish")) != NULL) {
      char ch[512];
      const char *sp = strchr(arg, ' ');
      const char *text = sp ? sp + 1 : "";
      size_t n = sp ? (size_t)(sp - arg) : strlen(arg);
      uint32_t sent = 0;
      if (n >= sizeof ch) n = sizeof ch - 1;
      memcpy(ch, arg, n);
      ch[n] = '\0';
      rc = iws_publish(g_server, ch, IWS_OP_TEXT, text, strlen(text), NULL, 0,
                       &sent);
      emit("PUBLISH %u rc=%d", (unsigned)sent, (int)rc);
    } else if ((arg = command_arg(line, "publishn")) != NULL) {
      static char msg[65536 + 600];
      char ch[512];
      long count = 0, size = 0, k;
      int32_t first = IWS_OK;
      if (sscanf(arg, "%511s %ld %ld", ch, &count, &size) < 2) count = 0;
      if (size > 65536) size = 65536;
      for (k = 0; k < count; k++) {
        int len = snprintf(msg, 600, "%s-%ld", ch, k);
        while (len < size) msg[len++] = '.';
        rc = iws_publish(g_server, ch, IWS_OP_TEXT, msg, (uint64_t)len, NULL,
                         0, NULL);
        if (rc != IWS_OK && first == IWS_OK) first = rc;
      }
      emit("PUBLISHN %ld rc=%d", count, (int)first);
    } else if ((arg = command_arg(line, "subscribe")) != NULL) {
      char *end;
      iws_conn_id sid = (iws_conn_id)strtoull(arg, &end, 10);
      while (*end == ' ') end++;
      emit("SUBSCRIBE_RC %d", (int)iws_subscribe(g_server, sid, end));
    } else if ((arg = command_arg(line, "closeid")) != NULL) {
      char *end;
      iws_conn_id id = (iws_conn_id)strtoull(arg, &end, 10);
      unsigned long code = strtoul(end, &end, 10);
      const char *reason = end;
      while (*reason == ' ') reason++;
      rc = iws_close(g_server, id, (uint32_t)code, reason,
                     (uint32_t)strlen(reason));
      emit("CLOSEID_RC %d", (int)rc);
    } else if (line[0] != '\0') {
      emit("UNKNOWN_STDIN %s", line);
    }
  }
  free(line);

  wait_foreign_threads();
  wait_defer_threads();
  rc = iws_destroy(g_server);
  g_server = NULL;
  connects = (uint64_t)atomic_load(&g_connects);
  disconnects = (uint64_t)atomic_load(&g_disconnects);
  exit_code = (rc == IWS_OK && connects == disconnects &&
               atomic_load(&g_anomalies) == 0)
                  ? 0
                  : 1;
  emit("BYE connects=%" PRIu64 " disconnects=%" PRIu64 " destroy_rc=%d",
       connects, disconnects, (int)rc);
  free(g_ids);
  return exit_code;
}
