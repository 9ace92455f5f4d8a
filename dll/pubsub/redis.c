/*
 * redis.c - channels across servers through Redis pub/sub (built only with
 * hiredis). Two threads of our own use hiredis' synchronous API, because
 * its async adapters need an event loop that the library does not own:
 *
 *  - the subscriber holds one connection in PSUBSCRIBE <prefix>* and hands
 *    every message from another instance to iws__publish_local;
 *  - the publisher drains a queue that iws_publish fills (iws_publish never
 *    blocks on Redis) and pipelines PUBLISH commands on its own connection.
 *
 * Exactly once: the publishing server delivers to its own subscribers at
 * once and tags the Redis message with its instance id (random, chosen at
 * iws_start); every server ignores messages carrying its own id. So nothing
 * loops and nobody gets a message twice.
 *
 * Wire format of a Redis message: "iws1 <16 hex digits of the instance id>
 * <opcode 1|2>\n" followed by the payload bytes.
 *
 * Outages: a link that fails is reported once (on_error id 0 IWS_E_REDIS,
 * and on_log), then retried after 100 ms, doubling to
 * IWS_OPT_REDIS_RECONNECT_MAX_MS; a reconnection is logged at INFO. While
 * the publisher link is down, iws_publish delivers locally only (the
 * message is not queued); while the subscriber link is down, messages
 * published elsewhere are missed (Redis pub/sub keeps nothing).
 *
 * Locks: r->lock guards the queue, the flags and the subscriber's context
 * pointer (so iws_stop can shut its socket down); it is a leaf, never held
 * while calling into Redis, channels or user callbacks.
 *
 * Stopping: iws_stop shuts the subscriber's socket down, which ends its read
 * at once on Linux. Winsock's shutdown does not end a blocking recv, so the
 * subscriber never blocks in one: it waits for its socket to become
 * readable for at most SUB_WAIT_MS at a time (poll, select on Windows),
 * looks at the stop flag, and reads only what is there (redisBufferRead,
 * then hiredis' reader). The publisher's reads end within its 5 s timeout.
 *
 * Windows: hiredis' own Winsock layer (sockcompat.c, hiredis >= 1.0; the
 * DLL links it statically, see scripts/build-windows-deps.sh); the link
 * holds a WSAStartup reference of its own while it exists.
 */
#include <stdio.h>
#include <stdlib.h>

#ifdef _WIN32
#include <winsock2.h>
#else
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#endif

#include <hiredis/hiredis.h>
#include <openssl/rand.h>

#include "channels.h"
#include "../core/core.h"
#include "../ws/frame.h"

#define QUEUE_MAX_MSGS 100000
#define QUEUE_MAX_BYTES (64u * 1024 * 1024)
#define CONNECT_TIMEOUT_MS 2000
#define PING_IDLE_MS 1000 /* an idle publisher link checks itself */
#define SUB_WAIT_MS 250   /* the subscriber looks at the stop flag this often */
#define HEADER_LEN (5 + 16 + 1 + 1 + 1) /* "iws1 " id " " op "\n" */

typedef struct redis_msg {
  struct redis_msg *next;
  size_t chan_len, len; /* len: header + payload */
  char *chan;           /* prefix + channel name */
  char *data;
} redis_msg;

struct iws__redis {
  iws_server *server;
  iws__redis *retired; /* the previous run's link, stopped */
  char *host, *user, *password;
  int port;
  char *prefix;
  size_t prefix_len;
  char *pattern; /* prefix with glob characters escaped, then "*" */
  uint64_t backoff_max_ms;
  char id_hex[17];

  iws__mutex lock;
  iws__cond cond;
  int stop;
  int pub_up, sub_up;
  int pub_reset; /* the subscriber lost Redis: the publisher reconnects too */
  redisContext *sub_ctx; /* while subscribed: iws_stop shuts it down */
  redis_msg *head, *tail;
  size_t qcount, qbytes;
  uint64_t dropped;
  int threads; /* how many were started */
  iws__thread pub_thread, sub_thread;
#ifdef _WIN32
  int wsa_started;
#endif
};

int iws__redis_available(void) { return 1; }

/* ---- helpers ---- */

static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

/* redis://[[user]:password@]host[:port][/db]; host may be [IPv6]. The db
 * is accepted and ignored: Redis pub/sub channels span every database. */
static int parse_url(iws__redis *r, const char *url, char *err, size_t errlen) {
  const char *p, *at, *hs, *he, *end;
  long port = 6379;
  if (strncmp(url, "redis://", 8) != 0) {
    snprintf(err, errlen, "Redis URL '%s' does not start with redis://", url);
    return -1;
  }
  p = url + 8;
  end = p + strcspn(p, "/");
  at = NULL;
  for (hs = p; hs < end; hs++)
    if (*hs == '@') at = hs;
  if (at) {
    const char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon) {
      if (colon > p) r->user = dup_n(p, (size_t)(colon - p));
      r->password = dup_n(colon + 1, (size_t)(at - colon - 1));
    } else {
      r->password = dup_n(p, (size_t)(at - p));
    }
    p = at + 1;
  }
  if (*p == '[') {
    hs = p + 1;
    he = memchr(hs, ']', (size_t)(end - hs));
    if (!he) {
      snprintf(err, errlen, "Redis URL '%s': unclosed [", url);
      return -1;
    }
    p = he + 1;
  } else {
    hs = p;
    he = p;
    while (he < end && *he != ':') he++;
    p = he;
  }
  if (he == hs) {
    snprintf(err, errlen, "Redis URL '%s' names no host", url);
    return -1;
  }
  if (p < end && *p == ':') {
    char *stop;
    port = strtol(p + 1, &stop, 10);
    if (stop != end || port < 1 || port > 65535) {
      snprintf(err, errlen, "Redis URL '%s': bad port", url);
      return -1;
    }
  } else if (p != end) {
    snprintf(err, errlen, "Redis URL '%s' cannot be parsed", url);
    return -1;
  }
  r->host = dup_n(hs, (size_t)(he - hs));
  r->port = (int)port;
  return r->host ? 0 : -1;
}

/* The instance id: OpenSSL's CSPRNG on every platform (the ids of servers
 * started at the same moment, under Wine or not, must differ); the clock
 * and the address only matter if it ever fails. */
static void random_id(iws__redis *r) {
  uint64_t v = 0;
  if (RAND_bytes((unsigned char *)&v, (int)sizeof(v)) != 1) v = 0;
  v ^= iws__now_ms() * 0x9E3779B97F4A7C15ull;
  v ^= (uint64_t)(uintptr_t)r;
  snprintf(r->id_hex, sizeof(r->id_hex), "%016llx", (unsigned long long)v);
}

static void update_up(iws__redis *r) {
  iws__atomic_store32(&r->server->st_redis_up,
                      (r->pub_up && r->sub_up) ? 1u : 0u);
}

/* Sleeps up to ms unless stopping; returns non-zero when stopping. */
static int nap(iws__redis *r, uint64_t ms) {
  uint64_t deadline = iws__now_ms() + ms;
  int stop;
  iws__lock(&r->lock);
  while (!r->stop) {
    uint64_t now = iws__now_ms();
    if (now >= deadline) break;
    iws__cond_timedwait(&r->cond, &r->lock, (uint32_t)(deadline - now));
  }
  stop = r->stop;
  iws__unlock(&r->lock);
  return stop;
}

static int stopping(iws__redis *r) {
  int stop;
  iws__lock(&r->lock);
  stop = r->stop;
  iws__unlock(&r->lock);
  return stop;
}

/* Connects and authenticates; NULL with why in err. */
static redisContext *link_open(iws__redis *r, char *err, size_t errlen) {
  struct timeval tv;
  redisContext *ctx;
  tv.tv_sec = CONNECT_TIMEOUT_MS / 1000;
  tv.tv_usec = (CONNECT_TIMEOUT_MS % 1000) * 1000;
  ctx = redisConnectWithTimeout(r->host, r->port, tv);
  if (!ctx || ctx->err) {
    snprintf(err, errlen, "%s", ctx ? ctx->errstr : "out of memory");
    if (ctx) redisFree(ctx);
    return NULL;
  }
  if (r->password) {
    redisReply *rep = r->user ? redisCommand(ctx, "AUTH %s %s", r->user,
                                             r->password)
                              : redisCommand(ctx, "AUTH %s", r->password);
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
      snprintf(err, errlen, "AUTH: %s",
               rep ? rep->str : (ctx->err ? ctx->errstr : "no reply"));
      if (rep) freeReplyObject(rep);
      redisFree(ctx);
      return NULL;
    }
    freeReplyObject(rep);
  }
  return ctx;
}

/* One report per outage and link; the retries stay quiet. */
static void report_down(iws__redis *r, const char *which, const char *why,
                        int *reported) {
  char msg[512];
  if (*reported) {
    iws__log(r->server, IWS_LOG_DEBUG, "redis %s link to %s:%d: %s", which,
             r->host, r->port, why);
    return;
  }
  *reported = 1;
  snprintf(msg, sizeof(msg),
           "redis %s link to %s:%d failed: %s; channels deliver locally "
           "only until it reconnects",
           which, r->host, r->port, why);
  iws__report_server_error(r->server, IWS_E_REDIS, msg);
}

static uint64_t next_backoff(iws__redis *r, uint64_t b) {
  b *= 2;
  return b > r->backoff_max_ms ? r->backoff_max_ms : b;
}

static void free_msgs(redis_msg *m) {
  while (m) {
    redis_msg *next = m->next;
    free(m);
    m = next;
  }
}

/* The publisher link is gone (why NULL: hiredis' own reason): mark it down,
 * free it, report once, wait out the backoff. Returns non-zero when the
 * thread should end (the server is stopping). */
static int publisher_lost(iws__redis *r, redisContext **ctx, const char *why,
                          int *reported, uint64_t *backoff) {
  char err[256];
  redis_msg *stale;
  snprintf(err, sizeof(err), "%s",
           why ? why
               : ((*ctx)->errstr[0] ? (*ctx)->errstr : "connection lost"));
  iws__lock(&r->lock);
  r->pub_up = 0;
  update_up(r);
  /* What was queued for the lost link went to local subscribers only, as
   * everything published during the outage does: sent after the reconnect
   * it would reach other servers late, behind the outage. */
  stale = r->head;
  r->head = r->tail = NULL;
  r->qcount = r->qbytes = 0;
  iws__unlock(&r->lock);
  free_msgs(stale);
  redisFree(*ctx);
  *ctx = NULL;
  if (stopping(r)) return 1;
  report_down(r, "publisher", err, reported);
  if (nap(r, *backoff)) return 1;
  *backoff = next_backoff(r, *backoff);
  return 0;
}


/* ---- the subscriber ---- */

/* Waits at most ms for the subscriber's socket to have something to read
 * (data, the end of the stream or an error: the read that follows says
 * which). Returns non-zero when there is. */
static int wait_readable(redisContext *ctx, int ms) {
#ifdef _WIN32
  fd_set set;
  struct timeval tv;
  FD_ZERO(&set);
  FD_SET((SOCKET)ctx->fd, &set);
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return select(0, &set, NULL, NULL, &tv) != 0; /* -1: let the read fail */
#else
  struct pollfd p;
  int n;
  p.fd = ctx->fd;
  p.events = POLLIN;
  p.revents = 0;
  n = poll(&p, 1, ms);
  return n > 0 || (n < 0 && errno != EINTR);
#endif
}

static void deliver(iws__redis *r, const char *chan, size_t chan_len,
                    const char *msg, size_t len) {
  uint32_t opcode, sent = 0;
  const char *name = chan + r->prefix_len;
  size_t name_len = chan_len - r->prefix_len;
  char nbuf[IWS__CHANNEL_MAX + 1];
  if (chan_len < r->prefix_len || memcmp(chan, r->prefix, r->prefix_len))
    return;
  if (len < HEADER_LEN || memcmp(msg, "iws1 ", 5) != 0 || msg[21] != ' ' ||
      msg[23] != '\n')
    return; /* not ours */
  if (memcmp(msg + 5, r->id_hex, 16) == 0) return; /* our own echo */
  opcode = msg[22] == '2' ? IWS_OP_BINARY : IWS_OP_TEXT;
  if (name_len == 0 || name_len > IWS__CHANNEL_MAX) return;
  memcpy(nbuf, name, name_len);
  nbuf[name_len] = '\0';
  if (iws__channel_name_check(nbuf, NULL) != IWS_OK) return;
  msg += HEADER_LEN;
  len -= HEADER_LEN;
  if (opcode == IWS_OP_TEXT && !iws__utf8_valid((const uint8_t *)msg, len))
    return;
  if (iws__publish_local(r->server, nbuf, name_len, opcode, msg, len, NULL, 0,
                         &sent) == IWS_OK)
    iws__atomic_add64_relaxed(&r->server->st_redis_in, 1);
}

static void sub_main(void *arg) {
  iws__redis *r = arg;
  uint64_t backoff = 100;
  int reported = 0;
  char err[256];
  while (!stopping(r)) {
    redisReply *rep;
    redisContext *ctx = link_open(r, err, sizeof(err));
    if (ctx) {
      struct timeval none = {0, 0};
      redisSetTimeout(ctx, none); /* block in reads; iws_stop shuts down */
      rep = redisCommand(ctx, "PSUBSCRIBE %s", r->pattern);
      if (!rep || rep->type == REDIS_REPLY_ERROR) {
        snprintf(err, sizeof(err), "PSUBSCRIBE: %s",
                 rep ? rep->str : (ctx->err ? ctx->errstr : "no reply"));
        if (rep) freeReplyObject(rep);
        redisFree(ctx);
        ctx = NULL;
      } else {
        freeReplyObject(rep);
      }
    }
    if (!ctx) {
      report_down(r, "subscriber", err, &reported);
      if (nap(r, backoff)) break;
      backoff = next_backoff(r, backoff);
      continue;
    }
    iws__lock(&r->lock);
    if (r->stop) {
      iws__unlock(&r->lock);
      redisFree(ctx);
      break;
    }
    r->sub_ctx = ctx;
    r->sub_up = 1;
    update_up(r);
    iws__unlock(&r->lock);
    iws__log(r->server, IWS_LOG_INFO,
             "redis subscriber link to %s:%d up (PSUBSCRIBE %s, instance %s)",
             r->host, r->port, r->pattern, r->id_hex);
    reported = 0;
    backoff = 100;
    for (;;) {
      void *reply = NULL;
      if (redisReaderGetReply(ctx->reader, &reply) != REDIS_OK) {
        snprintf(err, sizeof(err), "protocol error: %s", ctx->reader->errstr);
        break;
      }
      if (!reply) { /* nothing complete yet: read more, or stop */
        if (stopping(r)) {
          snprintf(err, sizeof(err), "stopping");
          break;
        }
        if (!wait_readable(ctx, SUB_WAIT_MS)) continue;
        if (redisBufferRead(ctx) != REDIS_OK) {
          snprintf(err, sizeof(err), "%s",
                   ctx->errstr[0] ? ctx->errstr : "connection lost");
          break;
        }
        continue;
      }
      rep = reply;
      if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
          rep->element[0]->type == REDIS_REPLY_STRING &&
          !strcmp(rep->element[0]->str, "pmessage") &&
          rep->element[2]->type == REDIS_REPLY_STRING &&
          rep->element[3]->type == REDIS_REPLY_STRING)
        deliver(r, rep->element[2]->str, rep->element[2]->len,
                rep->element[3]->str, rep->element[3]->len);
      if (rep) freeReplyObject(rep);
    }
    iws__lock(&r->lock);
    r->sub_ctx = NULL;
    r->sub_up = 0;
    r->pub_reset = 1; /* its socket is most likely dead too */
    iws__cond_broadcast(&r->cond);
    update_up(r);
    iws__unlock(&r->lock);
    redisFree(ctx);
    if (stopping(r)) break;
    report_down(r, "subscriber", err, &reported);
    if (nap(r, backoff)) break;
    backoff = next_backoff(r, backoff);
  }
}

/* ---- the publisher ---- */

static void pub_main(void *arg) {
  iws__redis *r = arg;
  uint64_t backoff = 100;
  int reported = 0;
  char err[256];
  redisContext *ctx = NULL;
  for (;;) {
    redis_msg *batch, *m;
    size_t n = 0, i;
    if (!ctx) {
      if (stopping(r)) break;
      ctx = link_open(r, err, sizeof(err));
      if (!ctx) {
        report_down(r, "publisher", err, &reported);
        if (nap(r, backoff)) break;
        backoff = next_backoff(r, backoff);
        continue;
      }
      {
        struct timeval tv = {5, 0}; /* a Redis that hangs counts as lost */
        redisSetTimeout(ctx, tv);
      }
      iws__lock(&r->lock);
      r->pub_up = 1;
      update_up(r);
      iws__unlock(&r->lock);
      iws__log(r->server, IWS_LOG_INFO, "redis publisher link to %s:%d up",
               r->host, r->port);
      reported = 0;
      backoff = 100;
    }
    iws__lock(&r->lock);
    if (!r->stop && !r->head && !r->pub_reset)
      iws__cond_timedwait(&r->cond, &r->lock, PING_IDLE_MS);
    if (r->stop) {
      iws__unlock(&r->lock);
      break;
    }
    if (r->pub_reset || !r->head) {
      /* Idle, or told the link is probably gone: check it, so that a dead
       * socket is found before a publish is lost on it. */
      int reset = r->pub_reset;
      redisReply *rep;
      r->pub_reset = 0;
      iws__unlock(&r->lock);
      rep = reset ? NULL : redisCommand(ctx, "PING");
      if (rep) {
        freeReplyObject(rep);
        continue;
      }
      if (publisher_lost(r, &ctx,
                         reset ? "the subscriber link was lost" : NULL,
                         &reported, &backoff))
        break;
      continue;
    }
    batch = r->head;
    r->head = r->tail = NULL;
    r->qcount = r->qbytes = 0;
    iws__unlock(&r->lock);
    /* Pipelined: append every command, then read every reply. */
    for (m = batch; m; m = m->next, n++)
      redisAppendCommand(ctx, "PUBLISH %b %b", m->chan, m->chan_len, m->data,
                         m->len);
    for (i = 0; i < n; i++) {
      void *reply = NULL;
      if (redisGetReply(ctx, &reply) != REDIS_OK) break;
      freeReplyObject(reply);
    }
    free_msgs(batch);
    iws__atomic_add64_relaxed(&r->server->st_redis_out, (int64_t)i);
    if (i < n && publisher_lost(r, &ctx, NULL, &reported, &backoff)) break;
  }
  if (ctx) redisFree(ctx);
  iws__lock(&r->lock);
  r->pub_up = 0;
  update_up(r);
  iws__unlock(&r->lock);
}

/* ---- the interface ---- */

void iws__redis_free(iws__redis *r) {
  if (!r) return;
  iws__redis_free(r->retired);
  iws__redis_stop(r);
  free_msgs(r->head);
  free(r->host);
  free(r->user);
  if (r->password) memset(r->password, 0, strlen(r->password));
  free(r->password);
  free(r->prefix);
  free(r->pattern);
  iws__cond_destroy(&r->cond);
  iws__mutex_destroy(&r->lock);
#ifdef _WIN32
  if (r->wsa_started) WSACleanup();
#endif
  free(r);
}

int32_t iws__redis_start(iws_server *s, const char *url, const char *prefix,
                         uint64_t reconnect_max_ms, char *err, size_t errlen) {
  iws__redis *r = calloc(1, sizeof(*r));
  size_t i, n;
  char *p;
  if (!r) return IWS_E_NOMEM;
  r->server = s;
  iws__mutex_init(&r->lock);
  iws__cond_init(&r->cond);
  r->backoff_max_ms = reconnect_max_ms < 100 ? 100 : reconnect_max_ms;
  if (parse_url(r, url, err, errlen) != 0) {
    iws__redis_free(r);
    return IWS_E_OPTION_RANGE;
  }
  n = strlen(prefix);
  r->prefix = dup_n(prefix, n);
  r->prefix_len = n;
  r->pattern = malloc(2 * n + 2);
  if (!r->prefix || !r->pattern) {
    iws__redis_free(r);
    return IWS_E_NOMEM;
  }
  for (i = 0, p = r->pattern; i < n; i++) {
    if (strchr("*?[]\\", prefix[i])) *p++ = '\\';
    *p++ = prefix[i];
  }
  *p++ = '*';
  *p = '\0';
  random_id(r);
#ifdef _WIN32
  {
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
      iws__redis_free(r);
      snprintf(err, errlen, "WSAStartup failed for the Redis link");
      return IWS_E_SYSTEM;
    }
    r->wsa_started = 1;
  }
#endif
  if (iws__thread_create(&r->sub_thread, sub_main, r) != 0) {
    iws__redis_free(r);
    snprintf(err, errlen, "cannot start the Redis threads");
    return IWS_E_THREAD;
  }
  r->threads = 1;
  if (iws__thread_create(&r->pub_thread, pub_main, r) != 0) {
    iws__redis_free(r);
    snprintf(err, errlen, "cannot start the Redis threads");
    return IWS_E_THREAD;
  }
  r->threads = 2;
  r->retired = s->redis;
  iws__atomic_cas_ptr((void *volatile *)&s->redis, r->retired, r);
  return IWS_OK;
}

void iws__redis_publish(iws__redis *r, const char *name, size_t len,
                        uint32_t opcode, const void *data, size_t dlen) {
  redis_msg *m;
  size_t chan_len = r->prefix_len + len;
  iws__lock(&r->lock);
  if (r->stop || !r->pub_up) {
    iws__unlock(&r->lock); /* outage: delivered locally only */
    return;
  }
  if (r->qcount >= QUEUE_MAX_MSGS || r->qbytes + dlen > QUEUE_MAX_BYTES) {
    r->dropped++;
    iws__unlock(&r->lock);
    if ((r->dropped & (r->dropped - 1)) == 0) /* 1, 2, 4, ...: not a flood */
      iws__log(r->server, IWS_LOG_WARN,
               "redis: the publish queue is full; %llu messages went to "
               "local subscribers only",
               (unsigned long long)r->dropped);
    return;
  }
  iws__unlock(&r->lock);
  m = malloc(sizeof(*m) + chan_len + HEADER_LEN + dlen);
  if (!m) return;
  m->next = NULL;
  m->chan = (char *)(m + 1);
  m->chan_len = chan_len;
  memcpy(m->chan, r->prefix, r->prefix_len);
  memcpy(m->chan + r->prefix_len, name, len);
  m->data = m->chan + chan_len;
  m->len = HEADER_LEN + dlen;
  memcpy(m->data, "iws1 ", 5);
  memcpy(m->data + 5, r->id_hex, 16);
  m->data[21] = ' ';
  m->data[22] = opcode == IWS_OP_BINARY ? '2' : '1';
  m->data[23] = '\n';
  if (dlen) memcpy(m->data + HEADER_LEN, data, dlen);
  iws__lock(&r->lock);
  if (r->stop) {
    iws__unlock(&r->lock);
    free(m);
    return;
  }
  if (r->tail)
    r->tail->next = m;
  else
    r->head = m;
  r->tail = m;
  r->qcount++;
  r->qbytes += dlen;
  iws__cond_signal(&r->cond);
  iws__unlock(&r->lock);
}

void iws__redis_stop(iws__redis *r) {
  if (!r) return;
  iws__lock(&r->lock);
  r->stop = 1;
  if (r->sub_ctx) {
    /* Wakes the subscriber from its blocking read. */
#ifdef _WIN32
    shutdown((SOCKET)r->sub_ctx->fd, SD_BOTH);
#else
    shutdown(r->sub_ctx->fd, SHUT_RDWR);
#endif
  }
  iws__cond_broadcast(&r->cond);
  iws__unlock(&r->lock);
  if (r->threads >= 1) iws__thread_join(r->sub_thread);
  if (r->threads >= 2) iws__thread_join(r->pub_thread);
  r->threads = 0;
  iws__atomic_store32(&r->server->st_redis_up, 0);
}

#define IWS__STR2(x) #x
#define IWS__STR(x) IWS__STR2(x)
const char *iws__redis_client_version(void) {
  /* hiredis has no run-time version call: the headers built against (the
   * shared library's soname pins major.minor). */
  return IWS__STR(HIREDIS_MAJOR) "." IWS__STR(HIREDIS_MINOR) "." IWS__STR(
      HIREDIS_PATCH);
}
