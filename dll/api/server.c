/*
 * server.c - the exported API: versions, errors, the life cycle (create,
 * options, start, stop, destroy) and statistics. Arguments are checked
 * here (and in calls.c); connection mechanics live in core/, the I/O in
 * the back end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/core.h"
#include "api.h"
#include "../http/http.h"
#include "../http/static.h"

/* ------------------------------------------------------------------------ */
/* versions                                                                  */
/* ------------------------------------------------------------------------ */

IWS_API uint32_t IWS_CALL iws_version(void) { return IWS_VERSION_NUMBER; }
IWS_API const char *IWS_CALL iws_version_string(void) {
  return IWS_VERSION_STRING;
}
IWS_API uint32_t IWS_CALL iws_abi_version(void) { return IWS_ABI_VERSION; }

/* ------------------------------------------------------------------------ */
/* errors and logs                                                           */
/* ------------------------------------------------------------------------ */

void iws__set_error(iws_server *s, int32_t code, const char *fmt, ...) {
  va_list ap;
  iws__lock(&s->lock);
  s->last_error_code = code;
  va_start(ap, fmt);
  vsnprintf(s->last_error, sizeof(s->last_error), fmt, ap);
  va_end(ap);
  iws__unlock(&s->lock);
}

/* Records a failed call's code with the generic text, and returns it. */
int32_t iws__api_fail(iws_server *s, int32_t code) {
  if (code != IWS_OK && iws__api_valid_server(s))
    iws__set_error(s, code, "%s", iws_strerror(code));
  return code;
}

void iws__report_server_error(iws_server *s, int32_t code, const char *msg) {
  if (s->cb.on_error)
    IWS__IN_CALLBACK(s, s->cb.on_error(s, 0, code, msg, s->user));
  iws__log(s, IWS_LOG_WARN, "%s", msg);
}

IWS_API int32_t IWS_CALL iws_last_error(iws_server *s, char *buffer,
                                        uint32_t size) {
  int32_t code;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  iws__lock(&s->lock);
  code = s->last_error_code;
  if (buffer && size) snprintf(buffer, size, "%s", s->last_error);
  iws__unlock(&s->lock);
  return code;
}

/* ------------------------------------------------------------------------ */
/* life cycle                                                                */
/* ------------------------------------------------------------------------ */

IWS_API int32_t IWS_CALL iws_create(uint32_t abi_version,
                                    const iws_callbacks *callbacks, void *user,
                                    iws_server **out) {
  iws_server *s;
  int t;
  if (!out) return IWS_E_INVALID_ARG;
  *out = NULL;
  if (abi_version != IWS_ABI_VERSION) return IWS_E_ABI_MISMATCH;
  if (callbacks && (callbacks->struct_size < sizeof(uint32_t) ||
                    callbacks->struct_size > sizeof(iws_callbacks)))
    return IWS_E_STRUCT_SIZE;
  if (iws__conn_locks_init() != 0) return IWS_E_NOMEM;
  s = calloc(1, sizeof(*s));
  if (!s) return IWS_E_NOMEM;
  s->magic = IWS__MAGIC;
  /* The core's hooks upward: connections start as HTTP, and their
   * channel subscriptions end with them. */
  s->first_proto = &iws__http_proto;
  s->conn_gone = iws__chan_conn_gone;
  /* Copy only what the caller's version of the struct has; later entries
   * stay NULL. */
  if (callbacks) memcpy(&s->cb, callbacks, callbacks->struct_size);
  s->cb.struct_size = sizeof(s->cb);
  s->user = user;
  iws__options_init(&s->opt);
  iws__mutex_init(&s->lock);
  iws__mutex_init(&s->table_lock);
  iws__cond_init(&s->table_cond);
  iws__mutex_init(&s->timer_lock);
  iws__mutex_init(&s->gate_lock);
  iws__cond_init(&s->gate_cond);
  iws__mutex_init(&s->room_lock);
  iws__cond_init(&s->room_cond);
  iws__channels_init(s);
  for (t = 0; t < IWS__T_COUNT; t++) iws__tlist_init(&s->timers[t]);
  s->state = IWS__STOPPED;
  *out = s;
  return IWS_OK;
}

static int32_t check_owner_call(iws_server *s) {
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  if (iws__t_callback_server == s) return IWS_E_IN_CALLBACK;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_set_int(iws_server *s, int32_t option,
                                     int64_t value) {
  int32_t rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  iws__lock(&s->lock);
  rc = s->state == IWS__STOPPED ? iws__options_set_int(&s->opt, option, value)
                                : IWS_E_BAD_STATE;
  iws__unlock(&s->lock);
  if (rc == IWS_E_OPTION_RANGE) {
    const iws__opt_int_spec *spec = iws__opt_int_find(option);
    iws__set_error(s, rc, "option %s: %lld is outside %lld..%lld", spec->name,
                   (long long)value, (long long)spec->min,
                   (long long)spec->max);
    return rc;
  }
  return iws__api_fail(s, rc);
}

IWS_API int32_t IWS_CALL iws_set_str(iws_server *s, int32_t option,
                                     const char *value) {
  int32_t rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  iws__lock(&s->lock);
  rc = s->state == IWS__STOPPED ? iws__options_set_str(&s->opt, option, value)
                                : IWS_E_BAD_STATE;
  iws__unlock(&s->lock);
  if (rc == IWS_E_ADDRESS) {
    iws__set_error(s, rc, "'%s' is not an IPv4 or IPv6 address literal",
                   value);
    return rc;
  }
  if (rc == IWS_E_UNSUPPORTED) {
    iws__set_error(s, rc,
                   "this iocpws library was built without Redis (hiredis)");
    return rc;
  }
  if (rc == IWS_E_OPTION_RANGE) {
    iws__set_error(s, rc, "option %s: the value is longer than %lu bytes",
                   iws__opt_str_name(option),
                   (unsigned long)iws__opt_str_max(option));
    return rc;
  }
  return iws__api_fail(s, rc);
}

IWS_API int32_t IWS_CALL iws_get_int(iws_server *s, int32_t option,
                                     int64_t *value) {
  if (!iws__api_valid_server(s) || !value) return IWS_E_INVALID_ARG;
  if (!iws__opt_int_find(option))
    return iws__opt_str_name(option) != NULL
               ? IWS_E_OPTION_TYPE
               : IWS_E_UNKNOWN_OPTION;
  iws__lock(&s->lock);
  *value = s->opt.ints[option];
  iws__unlock(&s->lock);
  return IWS_OK;
}

int32_t iws__api_copy_out(const char *text, char *buffer, uint32_t size,
                        uint32_t *needed) {
  size_t n = strlen(text) + 1;
  if (needed) *needed = (uint32_t)n;
  if (!buffer || size < n) {
    if (buffer && size) buffer[0] = '\0';
    return IWS_E_BUFFER_TOO_SMALL;
  }
  memcpy(buffer, text, n);
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_get_str(iws_server *s, int32_t option,
                                     char *buffer, uint32_t size,
                                     uint32_t *needed) {
  int32_t rc;
  const char *v;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  iws__lock(&s->lock);
  v = iws__options_str(&s->opt, option);
  if (v && option == IWS_OPT_TLS_PASSWORD) v = ""; /* write-only */
  if (v)
    rc = iws__api_copy_out(v, buffer, size, needed);
  else
    rc = iws__opt_int_find(option) ? IWS_E_OPTION_TYPE : IWS_E_UNKNOWN_OPTION;
  iws__unlock(&s->lock);
  return rc;
}

static void resolve_runcfg(iws_server *s) {
  const int64_t *o = s->opt.ints;
  iws__runcfg *cfg = &s->cfg;
  cfg->io_threads = o[IWS_OPT_IO_THREADS] ? (uint32_t)o[IWS_OPT_IO_THREADS]
                                         : iws__cpu_count();
  cfg->workers = (uint32_t)o[IWS_OPT_WORKER_THREADS];
  cfg->max_connections = (uint64_t)o[IWS_OPT_MAX_CONNECTIONS];
  cfg->max_message_size = (uint64_t)o[IWS_OPT_MAX_MESSAGE_SIZE];
  cfg->max_handshake_size = (uint64_t)o[IWS_OPT_MAX_HANDSHAKE_SIZE];
  cfg->handshake_timeout_ms = (uint64_t)o[IWS_OPT_HANDSHAKE_TIMEOUT_MS];
  cfg->heartbeat_interval_ms = (uint64_t)o[IWS_OPT_HEARTBEAT_INTERVAL_MS];
  cfg->heartbeat_timeout_ms = (uint64_t)o[IWS_OPT_HEARTBEAT_TIMEOUT_MS];
  cfg->heartbeat_if_idle = (uint32_t)o[IWS_OPT_HEARTBEAT_IF_IDLE];
  cfg->send_queue_limit = (uint64_t)o[IWS_OPT_SEND_QUEUE_LIMIT];
  cfg->send_queue_policy = (uint32_t)o[IWS_OPT_SEND_QUEUE_POLICY];
  cfg->close_timeout_ms = (uint64_t)o[IWS_OPT_CLOSE_TIMEOUT_MS];
  cfg->stop_timeout_ms = (uint64_t)o[IWS_OPT_STOP_TIMEOUT_MS];
  cfg->log_level = (uint32_t)o[IWS_OPT_LOG_LEVEL];
  cfg->subprotocols = iws__options_str(&s->opt, IWS_OPT_SUBPROTOCOLS);
  cfg->tls_handshake_timeout_ms =
      (uint64_t)o[IWS_OPT_TLS_HANDSHAKE_TIMEOUT_MS];
  cfg->deflate = (uint32_t)o[IWS_OPT_DEFLATE];
  cfg->pmd.server_max_window_bits =
      (uint32_t)o[IWS_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS];
  cfg->pmd.client_max_window_bits =
      (uint32_t)o[IWS_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS];
  cfg->pmd.server_no_context_takeover =
      (uint32_t)o[IWS_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER];
  cfg->pmd.client_no_context_takeover =
      (uint32_t)o[IWS_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER];
  cfg->pmd_deflate.window_bits = (int)cfg->pmd.server_max_window_bits;
  cfg->pmd_deflate.mem_level = (int)o[IWS_OPT_DEFLATE_MEM_LEVEL];
  cfg->pmd_deflate.level = (int)o[IWS_OPT_DEFLATE_LEVEL];
  cfg->deflate_threshold = (uint64_t)o[IWS_OPT_DEFLATE_THRESHOLD];
  cfg->deflate_max_inflated = o[IWS_OPT_DEFLATE_MAX_INFLATED_SIZE]
                                 ? (uint64_t)o[IWS_OPT_DEFLATE_MAX_INFLATED_SIZE]
                                 : cfg->max_message_size;
  cfg->http_max_body = (uint64_t)o[IWS_OPT_HTTP_MAX_BODY_SIZE];
  cfg->http_max_uri = (uint64_t)o[IWS_OPT_HTTP_MAX_URI_LENGTH];
  cfg->http_request_timeout_ms = (uint64_t)o[IWS_OPT_HTTP_REQUEST_TIMEOUT_MS];
  cfg->http_keepalive_ms = (uint64_t)o[IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS];
  cfg->http_response_timeout_ms =
      (uint64_t)o[IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS];
  cfg->http_max_pipelined = (uint32_t)o[IWS_OPT_HTTP_MAX_PIPELINED];
  cfg->incomplete_limit = (uint64_t)o[IWS_OPT_INCOMPLETE_MESSAGES_LIMIT];
}

static void stop_workers(iws_server *s, uint32_t count) {
  uint32_t i;
  for (i = 0; i < count; i++) {
    iws__worker *w = &s->workers[i];
    iws__lock(&w->lock);
    w->stop = 1;
    iws__cond_signal(&w->cond);
    iws__unlock(&w->lock);
  }
  for (i = 0; i < count; i++) {
    iws__thread_join(s->workers[i].thread);
    iws__cond_destroy(&s->workers[i].cond);
    iws__mutex_destroy(&s->workers[i].lock);
  }
  free(s->workers);
  s->workers = NULL;
  s->nworkers = 0;
}

static int32_t start_workers(iws_server *s) {
  uint32_t i;
  if (!s->cfg.workers) return IWS_OK;
  s->workers = calloc(s->cfg.workers, sizeof(iws__worker));
  if (!s->workers) return IWS_E_NOMEM;
  for (i = 0; i < s->cfg.workers; i++) {
    iws__worker *w = &s->workers[i];
    w->server = s;
    iws__mutex_init(&w->lock);
    iws__cond_init(&w->cond);
    if (iws__thread_create(&w->thread, iws__worker_main, w) != 0) {
      iws__cond_destroy(&w->cond);
      iws__mutex_destroy(&w->lock);
      stop_workers(s, i);
      return IWS_E_THREAD;
    }
    s->nworkers = i + 1;
  }
  return IWS_OK;
}

/* The listening sockets of this start: the added listeners, or the
 * options' one or two. Returns non-zero if one of them is TLS. */
static int listen_config(iws_server *s, iws__be_config *cfg) {
  const char *bind = iws__options_str(&s->opt, IWS_OPT_BIND_ADDRESS);
  int64_t plain_port = s->opt.ints[IWS_OPT_PORT];
  int64_t tls_port = s->opt.ints[IWS_OPT_TLS_PORT];
  int any_tls = 0;
  uint32_t i;
  cfg->nlisten = 0;
  if (s->listener_count) {
    for (i = 0; i < s->listener_count && i < IWS__LISTEN_MAX; i++) {
      const iws__listener *l = &s->listeners[i];
      int tls = (l->flags & IWS_LISTEN_TLS) != 0;
      cfg->listen[i].address = l->address ? l->address : bind;
      cfg->listen[i].port = l->port;
      cfg->listen[i].tag = IWS__LISTEN_TAG(i, tls);
      any_tls |= tls;
    }
    cfg->nlisten = i;
    return any_tls;
  }
  if (plain_port >= 0) {
    cfg->listen[cfg->nlisten].address = bind;
    cfg->listen[cfg->nlisten].port = (uint32_t)plain_port;
    cfg->listen[cfg->nlisten].tag = IWS__LISTEN_TAG(cfg->nlisten, 0);
    cfg->nlisten++;
  }
  if (tls_port >= 0) {
    cfg->listen[cfg->nlisten].address = bind;
    cfg->listen[cfg->nlisten].port = (uint32_t)tls_port;
    cfg->listen[cfg->nlisten].tag = IWS__LISTEN_TAG(cfg->nlisten, 1);
    cfg->nlisten++;
    any_tls = 1;
  }
  return any_tls;
}

IWS_API int32_t IWS_CALL iws_start(iws_server *s) {
  iws__be_config cfg;
  char err[600];
  int any_tls;
  int32_t rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  iws__lock(&s->lock);
  if (s->state != IWS__STOPPED) {
    iws__unlock(&s->lock);
    iws__set_error(s, IWS_E_BAD_STATE, "the server is already running");
    return IWS_E_BAD_STATE;
  }
  /* Nobody may configure, and sends are refused, while options resolve. */
  iws__atomic_store32(&s->state, IWS__STARTING);
  iws__unlock(&s->lock);

  resolve_runcfg(s);
  {
    /* OpenSSL 3 loads its default provider at the first digest: about
     * 2 MB of its code and tables become resident then. Done here, that
     * happens once at start, not inside the first client's handshake
     * (where it also delayed that client's 101). */
    char warm[IWS__ACCEPT_KEY_SIZE];
    iws__ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", warm);
  }
  memset(&cfg, 0, sizeof(cfg));
  any_tls = listen_config(s, &cfg);
  cfg.io_threads = s->cfg.io_threads;
  cfg.backlog = (uint32_t)s->opt.ints[IWS_OPT_LISTEN_BACKLOG];
  cfg.ipv6_only = (uint32_t)s->opt.ints[IWS_OPT_IPV6_ONLY];
  cfg.tcp_nodelay = (uint32_t)s->opt.ints[IWS_OPT_TCP_NODELAY];
  cfg.accepts_posted = (uint32_t)s->opt.ints[IWS_OPT_ACCEPTS_POSTED];
  cfg.keepalive = (uint32_t)s->opt.ints[IWS_OPT_TCP_KEEPALIVE];
  cfg.keepalive_time_ms = (uint32_t)s->opt.ints[IWS_OPT_TCP_KEEPALIVE_TIME_MS];
  cfg.keepalive_interval_ms =
      (uint32_t)s->opt.ints[IWS_OPT_TCP_KEEPALIVE_INTERVAL_MS];

  err[0] = '\0';
  rc = IWS_OK;
  if (cfg.nlisten == 0) {
    rc = IWS_E_OPTION_RANGE;
    snprintf(err, sizeof(err),
             "nothing to listen on: IWS_OPT_PORT and IWS_OPT_TLS_PORT are "
             "both -1");
  } else if (any_tls) {
    /* Every TLS configuration error shows here, with OpenSSL's reason. */
    rc = iws__tls_start(s, &s->tls, err, sizeof(err));
  }
  if (rc == IWS_OK) rc = iws__static_start(s, err, sizeof(err));
  if (rc == IWS_OK && (rc = start_workers(s)) != IWS_OK) {
    snprintf(err, sizeof(err), "cannot start %u worker threads",
             (unsigned)s->cfg.workers);
  } else if (rc == IWS_OK) {
    iws__lock(&s->table_lock);
    s->accepting = 1;
    iws__unlock(&s->table_lock);
    err[0] = '\0';
    rc = iws__be_start(s, &cfg, &s->be, err, sizeof(err));
    if (rc != IWS_OK) {
      iws__lock(&s->table_lock);
      s->accepting = 0;
      iws__unlock(&s->table_lock);
      stop_workers(s, s->nworkers);
    }
  }
  /* A previous run's link (stopped) is kept until iws_destroy: a publish
   * that raced with iws_stop may still hold it. */
  if (rc == IWS_OK) {
    const char *url = iws__options_str(&s->opt, IWS_OPT_REDIS_URL);
    if (url[0]) {
      rc = iws__redis_start(s, url,
                            iws__options_str(&s->opt, IWS_OPT_REDIS_PREFIX),
                            (uint64_t)s->opt.ints[IWS_OPT_REDIS_RECONNECT_MAX_MS],
                            err, sizeof(err));
      if (rc != IWS_OK) {
        iws__lock(&s->table_lock);
        s->accepting = 0;
        iws__unlock(&s->table_lock);
        iws__be_stop_accepting(s->be);
        iws__be_stop(s->be);
        s->be = NULL;
        stop_workers(s, s->nworkers);
        iws__stats_fold(s);
      }
    }
  }
  if (rc != IWS_OK) {
    iws__tls_free(s->tls);
    s->tls = NULL;
    iws__static_stop(s);
  }
  iws__lock(&s->lock);
  s->port = s->tls_port = 0;
  s->run_nlisten = 0;
  if (rc == IWS_OK) {
    uint32_t i;
    int have_plain = 0, have_tls = 0;
    for (i = 0; i < cfg.nlisten; i++) {
      uint32_t port = iws__be_port(s->be, i);
      int tls = (cfg.listen[i].tag & IWS__LISTEN_TLS) != 0;
      s->run_port[i] = port;
      s->run_flags[i] = tls ? IWS_LISTEN_TLS : 0;
      if (tls && !have_tls++) s->tls_port = port;
      if (!tls && !have_plain++) s->port = port;
    }
    s->run_nlisten = cfg.nlisten;
  }
  iws__atomic_store32(&s->state, rc == IWS_OK ? IWS__RUNNING : IWS__STOPPED);
  iws__unlock(&s->lock);
  if (rc != IWS_OK) {
    iws__set_error(s, rc, "%s", err[0] ? err : iws_strerror(rc));
    iws__log(s, IWS_LOG_ERROR, "start failed: %s",
             err[0] ? err : iws_strerror(rc));
    return rc;
  }
  {
    uint32_t i;
    for (i = 0; i < cfg.nlisten; i++)
      iws__log(s, IWS_LOG_INFO,
               "listening%s on %s port %u (listener %u; %s, %u I/O threads, "
               "%u workers)",
               (cfg.listen[i].tag & IWS__LISTEN_TLS) ? " for TLS" : "",
               cfg.listen[i].address, (unsigned)s->run_port[i], (unsigned)i,
               iws__be_name(), (unsigned)s->cfg.io_threads,
               (unsigned)s->cfg.workers);
  }
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_get_port(iws_server *s, uint32_t *port) {
  int32_t rc = IWS_OK;
  if (!iws__api_valid_server(s) || !port) return IWS_E_INVALID_ARG;
  iws__lock(&s->lock);
  if (s->state == IWS__RUNNING)
    *port = s->port ? s->port : s->tls_port;
  else
    rc = IWS_E_BAD_STATE;
  iws__unlock(&s->lock);
  return rc;
}

IWS_API int32_t IWS_CALL iws_get_tls_port(iws_server *s, uint32_t *port) {
  int32_t rc = IWS_OK;
  if (!iws__api_valid_server(s) || !port) return IWS_E_INVALID_ARG;
  iws__lock(&s->lock);
  if (s->state == IWS__RUNNING && s->tls_port)
    *port = s->tls_port;
  else
    rc = IWS_E_BAD_STATE;
  iws__unlock(&s->lock);
  return rc;
}

/* ---- listeners ---- */

static void free_listeners(iws_server *s) {
  uint32_t i;
  for (i = 0; i < s->listener_count; i++) free(s->listeners[i].address);
  free(s->listeners);
  s->listeners = NULL;
  s->listener_count = 0;
}

IWS_API int32_t IWS_CALL iws_add_listener(iws_server *s, const char *address,
                                          uint32_t port, uint32_t flags) {
  iws__listener l, *grown;
  int32_t rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  if (port > 65535 || (flags & ~(uint32_t)IWS_LISTEN_TLS) != 0) {
    iws__set_error(s, IWS_E_INVALID_ARG,
                   port > 65535 ? "listener port %u is over 65535"
                                : "unknown listener flags 0x%x",
                   port > 65535 ? (unsigned)port : (unsigned)flags);
    return IWS_E_INVALID_ARG;
  }
  if (address && address[0] && !iws__plausible_address(address)) {
    iws__set_error(s, IWS_E_ADDRESS,
                   "listener address is not an IPv4 or IPv6 literal");
    return IWS_E_ADDRESS;
  }
  iws__lock(&s->lock);
  if (s->state != IWS__STOPPED) {
    iws__unlock(&s->lock);
    return iws__api_fail(s, IWS_E_BAD_STATE);
  }
  if (s->listener_count >= IWS_LISTENERS_MAX) {
    iws__unlock(&s->lock);
    iws__set_error(s, IWS_E_OPTION_RANGE, "already %u listeners (the most)",
                   (unsigned)IWS_LISTENERS_MAX);
    return IWS_E_OPTION_RANGE;
  }
  memset(&l, 0, sizeof(l));
  l.port = port;
  l.flags = flags;
  if (address && address[0]) {
    size_t n = strlen(address) + 1;
    l.address = malloc(n);
    if (!l.address) {
      iws__unlock(&s->lock);
      return iws__api_fail(s, IWS_E_NOMEM);
    }
    memcpy(l.address, address, n);
  }
  grown = realloc(s->listeners, (s->listener_count + 1) * sizeof(*grown));
  if (!grown) {
    free(l.address);
    iws__unlock(&s->lock);
    return iws__api_fail(s, IWS_E_NOMEM);
  }
  s->listeners = grown;
  s->listeners[s->listener_count++] = l;
  iws__unlock(&s->lock);
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_clear_listeners(iws_server *s) {
  int32_t rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  iws__lock(&s->lock);
  if (s->state != IWS__STOPPED) {
    iws__unlock(&s->lock);
    return iws__api_fail(s, IWS_E_BAD_STATE);
  }
  free_listeners(s);
  iws__unlock(&s->lock);
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_get_listener_count(iws_server *s,
                                                uint32_t *count) {
  int32_t rc = IWS_OK;
  if (!iws__api_valid_server(s) || !count) return IWS_E_INVALID_ARG;
  iws__lock(&s->lock);
  if (s->state == IWS__RUNNING)
    *count = s->run_nlisten;
  else
    rc = IWS_E_BAD_STATE;
  iws__unlock(&s->lock);
  return rc;
}

IWS_API int32_t IWS_CALL iws_get_listener(iws_server *s, uint32_t index,
                                          uint32_t *port, uint32_t *flags) {
  int32_t rc = IWS_OK;
  if (!iws__api_valid_server(s) || !port) return IWS_E_INVALID_ARG;
  iws__lock(&s->lock);
  if (s->state != IWS__RUNNING) {
    rc = IWS_E_BAD_STATE;
  } else if (index >= s->run_nlisten) {
    rc = IWS_E_INVALID_ARG;
  } else {
    *port = s->run_port[index];
    if (flags) *flags = s->run_flags[index];
  }
  iws__unlock(&s->lock);
  return rc;
}

static char *copy_str(const char *v) {
  size_t n;
  char *p;
  if (!v) return NULL;
  n = strlen(v) + 1;
  p = malloc(n);
  if (p) memcpy(p, v, n);
  return p;
}

static void free_host(iws__tls_host *h) {
  if (h->password) memset(h->password, 0, strlen(h->password));
  free(h->name);
  free(h->cert);
  free(h->key);
  free(h->password);
  memset(h, 0, sizeof(*h));
}

static void free_hosts(iws_server *s) {
  size_t i;
  for (i = 0; i < s->tls_host_count; i++) free_host(&s->tls_hosts[i]);
  free(s->tls_hosts);
  s->tls_hosts = NULL;
  s->tls_host_count = 0;
}

IWS_API int32_t IWS_CALL iws_tls_add_host(iws_server *s, const char *host_name,
                                          const char *cert, const char *key,
                                          const char *password) {
  iws__tls_host h, *grown;
  size_t i;
  int32_t rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  iws__lock(&s->lock);
  if (s->state != IWS__STOPPED) {
    iws__unlock(&s->lock);
    return iws__api_fail(s, IWS_E_BAD_STATE);
  }
  if (!host_name) {
    free_hosts(s);
    iws__unlock(&s->lock);
    return IWS_OK;
  }
  if (!cert || !key || !host_name[0] || strlen(host_name) > 253 ||
      !cert[0] || !key[0]) {
    iws__unlock(&s->lock);
    return iws__api_fail(s, IWS_E_INVALID_ARG);
  }
  memset(&h, 0, sizeof(h));
  h.name = copy_str(host_name);
  h.cert = copy_str(cert);
  h.key = copy_str(key);
  h.password = copy_str(password ? password : "");
  if (!h.name || !h.cert || !h.key || !h.password) {
    free_host(&h);
    iws__unlock(&s->lock);
    return iws__api_fail(s, IWS_E_NOMEM);
  }
  for (i = 0; i < s->tls_host_count; i++) {
    const char *a = s->tls_hosts[i].name, *b = host_name;
    while (*a && (*a | 32) == (*b | 32)) a++, b++;
    if (!*a && !*b) {
      free_host(&s->tls_hosts[i]);
      s->tls_hosts[i] = h;
      iws__unlock(&s->lock);
      return IWS_OK;
    }
  }
  grown = realloc(s->tls_hosts, (s->tls_host_count + 1) * sizeof(*grown));
  if (!grown) {
    free_host(&h);
    iws__unlock(&s->lock);
    return iws__api_fail(s, IWS_E_NOMEM);
  }
  s->tls_hosts = grown;
  s->tls_hosts[s->tls_host_count++] = h;
  iws__unlock(&s->lock);
  return IWS_OK;
}

/* Waits until the table is empty or the deadline passes (0 = no deadline).
 * Returns non-zero if it emptied. */
static int wait_table_empty(iws_server *s, uint64_t deadline) {
  int empty;
  iws__lock(&s->table_lock);
  while (s->count) {
    uint64_t now = iws__now_ms();
    if (deadline && now >= deadline) break;
    if (deadline)
      iws__cond_timedwait(&s->table_cond, &s->table_lock,
                          (uint32_t)(deadline - now));
    else
      iws__cond_wait(&s->table_cond, &s->table_lock);
  }
  empty = s->count == 0;
  iws__unlock(&s->table_lock);
  return empty;
}

IWS_API int32_t IWS_CALL iws_stop(iws_server *s) {
  iws__conn **list;
  size_t n, i;
  uint64_t deadline;
  int32_t rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  iws__lock(&s->lock);
  if (s->state != IWS__RUNNING) {
    iws__unlock(&s->lock);
    return IWS_OK;
  }
  iws__atomic_store32(&s->state, IWS__STOPPING);
  iws__unlock(&s->lock);

  /* 0. No more messages from or to other servers. */
  iws__redis_stop(s->redis);

  /* 1. No new connections. */
  iws__lock(&s->table_lock);
  s->accepting = 0;
  iws__unlock(&s->table_lock);
  iws__be_stop_accepting(s->be);

  /* 2. Close 1001 to everyone; handshakes in progress are dropped. */
  list = iws__table_snapshot(s, &n);
  for (i = 0; list && i < n; i++) iws__conn_stop_gracefully(list[i]);
  iws__table_release_snapshot(list, n);

  /* 3. Give the close handshakes their time, then abort the rest. */
  deadline = iws__now_ms() + s->cfg.stop_timeout_ms;
  if (!wait_table_empty(s, s->cfg.stop_timeout_ms ? deadline : 1)) {
    list = iws__table_snapshot(s, &n);
    iws__log(s, IWS_LOG_INFO, "stop: aborting %u connections",
             (unsigned)n);
    for (i = 0; list && i < n; i++) iws__conn_abort(list[i]);
    iws__table_release_snapshot(list, n);
    /* Every socket is closing now; the back end reports each one and the
     * on_disconnects follow, so this wait ends. */
    wait_table_empty(s, 0);
  }

  /* 4. Threads: workers have delivered everything; the I/O loops end. */
  stop_workers(s, s->nworkers);
  iws__be_stop(s->be);
  s->be = NULL;
  iws__stats_fold(s); /* their threads ended */
  iws__tls_free(s->tls); /* every connection (and its SSL) is gone */
  s->tls = NULL;
  iws__static_stop(s);

  iws__lock(&s->lock);
  iws__atomic_store32(&s->state, IWS__STOPPED);
  iws__unlock(&s->lock);
  iws__log(s, IWS_LOG_INFO, "stopped");
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_destroy(iws_server *s) {
  int32_t rc;
  if (s == NULL) return IWS_OK;
  rc = check_owner_call(s);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  iws_stop(s);
  s->magic = 0;
  iws__stats_fold(s);
  iws__options_free(&s->opt);
  free_hosts(s);
  free_listeners(s);
  iws__redis_free(s->redis);
  s->redis = NULL;
  iws__channels_free(s);
  free(s->buckets);
  iws__mutex_destroy(&s->timer_lock);
  iws__cond_destroy(&s->gate_cond);
  iws__mutex_destroy(&s->gate_lock);
  iws__cond_destroy(&s->room_cond);
  iws__mutex_destroy(&s->room_lock);
  iws__cond_destroy(&s->table_cond);
  iws__mutex_destroy(&s->table_lock);
  iws__mutex_destroy(&s->lock);
  free(s);
  return IWS_OK;
}

/* ------------------------------------------------------------------------ */
/* statistics                                                                */
/* ------------------------------------------------------------------------ */

IWS_API int32_t IWS_CALL iws_get_stats(iws_server *s, iws_stats *out) {
  iws_stats st;
  uint32_t size;
  if (!iws__api_valid_server(s) || !out) return IWS_E_INVALID_ARG;
  size = out->struct_size;
  if (size < 2 * sizeof(uint32_t)) return IWS_E_STRUCT_SIZE;
  memset(&st, 0, sizeof(st));
  st.struct_size = size;
  st.connections_current = iws__atomic_load64(&s->st_current);
  st.connections_total = iws__atomic_load64(&s->st_total);
  st.handshakes_refused = iws__atomic_load64(&s->st_refused);
  iws__stats_sum(s, &st.messages_in, &st.messages_out, &st.bytes_in,
                 &st.bytes_out, &st.bytes_queued);
  iws__lock(&s->chan_lock);
  st.channels_current = s->chan_count;
  st.subscriptions_current = s->sub_count;
  iws__unlock(&s->chan_lock);
  st.publishes = iws__atomic_load64(&s->st_publishes);
  st.redis_out = iws__atomic_load64(&s->st_redis_out);
  st.redis_in = iws__atomic_load64(&s->st_redis_in);
  st.redis_connected = iws__atomic_load32(&s->st_redis_up);
  st.http_requests = iws__atomic_load64(&s->st_http_requests);
  st.http_refused = iws__atomic_load64(&s->st_http_refused);
  st.http_connections_current = iws__atomic_load64(&s->st_http_current);
  memcpy(out, &st, size < sizeof(st) ? size : sizeof(st));
  return IWS_OK;
}

