/*
 * calls.c - the exported calls about connections: sending, broadcast,
 * channels (the map is pubsub/channels.c), and a connection's details.
 * Arguments are checked here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/core.h"
#include "api.h"

/* ------------------------------------------------------------------------ */
/* sending                                                                   */
/* ------------------------------------------------------------------------ */

/* Sends are allowed while running and while stopping (the goodbyes). */
int iws__api_running(iws_server *s) {
  uint32_t state = iws__atomic_load32(&s->state);
  return state == IWS__RUNNING || state == IWS__STOPPING;
}

/* The connection for an id: the strand's own without a table lookup. */
static iws__conn *find_conn(iws_server *s, iws_conn_id id);

/* For iws_send: the strand's own connection without a reference either
 * (it lives at least as long as its callback): *own says so. */
static iws__conn *find_conn_for_send(iws_server *s, iws_conn_id id,
                                     int *own) {
  iws__conn *c = iws__t_strand_conn;
  *own = c && c->server == s && c->id == id;
  return *own ? c : iws__table_find(s, id);
}

static iws__conn *find_conn(iws_server *s, iws_conn_id id) {
  iws__conn *c = iws__t_strand_conn;
  if (c && c->server == s && c->id == id) {
    iws__conn_ref(c);
    return c;
  }
  return iws__table_find(s, id);
}

static int32_t check_message(iws_server *s, uint32_t opcode, const void *data,
                             uint64_t length) {
  if (!data && length) return IWS_E_INVALID_ARG;
  if (opcode == IWS_OP_PING) {
    if (length > 125) return IWS_E_TOO_LONG;
  } else if (opcode != IWS_OP_TEXT && opcode != IWS_OP_BINARY) {
    return IWS_E_INVALID_ARG;
  }
  if (!iws__api_running(s)) return IWS_E_BAD_STATE;
  if (length > s->cfg.max_message_size || length > (uint64_t)SIZE_MAX / 2)
    return IWS_E_MESSAGE_TOO_BIG;
  if (opcode == IWS_OP_TEXT && !iws__text_known_valid(data, (size_t)length) &&
      !iws__utf8_valid(data, (size_t)length))
    return IWS_E_INVALID_UTF8;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_send(iws_server *s, iws_conn_id id,
                                  uint32_t opcode, const void *data,
                                  uint64_t length) {
  iws__conn *c;
  int32_t rc;
  int own;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  if (opcode == IWS_OP_PING) return iws__api_fail(s, IWS_E_INVALID_ARG);
  rc = check_message(s, opcode, data, length);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  c = find_conn_for_send(s, id, &own);
  if (!c) return iws__api_fail(s, IWS_E_NO_CONNECTION);
  rc = iws__conn_send_message(c, opcode, data, (size_t)length);
  if (!own) iws__conn_unref(c);
  return iws__api_fail(s, rc);
}

IWS_API int32_t IWS_CALL iws_send_text(iws_server *s, iws_conn_id id,
                                       const char *text, uint64_t length) {
  return iws_send(s, id, IWS_OP_TEXT, text, length);
}

IWS_API int32_t IWS_CALL iws_send_binary(iws_server *s, iws_conn_id id,
                                         const void *data, uint64_t length) {
  return iws_send(s, id, IWS_OP_BINARY, data, length);
}

IWS_API int32_t IWS_CALL iws_ping(iws_server *s, iws_conn_id id,
                                  const void *data, uint32_t length) {
  iws__conn *c;
  iws__chunk *chunk;
  int32_t rc;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  rc = check_message(s, IWS_OP_PING, data, length);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  c = find_conn(s, id);
  if (!c) return iws__api_fail(s, IWS_E_NO_CONNECTION);
  chunk = iws__frame_encode(IWS_OP_PING, data, length);
  rc = chunk ? iws__conn_send_chunk(c, chunk, 0) : IWS_E_NOMEM;
  iws__chunk_unref(chunk);
  iws__conn_unref(c);
  return iws__api_fail(s, rc);
}

IWS_API int32_t IWS_CALL iws_close(iws_server *s, iws_conn_id id,
                                   uint32_t code, const char *reason,
                                   uint32_t reason_length) {
  iws__conn *c;
  int32_t rc;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  if (code == 0) code = IWS_CLOSE_NORMAL;
  if (!iws__close_code_sendable(code)) return iws__api_fail(s, IWS_E_CLOSE_CODE);
  if (!reason && reason_length) return iws__api_fail(s, IWS_E_INVALID_ARG);
  if (reason_length > 123) return iws__api_fail(s, IWS_E_TOO_LONG);
  if (reason_length && !iws__utf8_valid((const uint8_t *)reason, reason_length))
    return iws__api_fail(s, IWS_E_INVALID_UTF8);
  if (!iws__api_running(s)) return iws__api_fail(s, IWS_E_BAD_STATE);
  c = find_conn(s, id);
  if (!c) return iws__api_fail(s, IWS_E_NO_CONNECTION);
  rc = iws__conn_close(c, code, reason, reason_length);
  iws__conn_unref(c);
  return iws__api_fail(s, rc);
}

IWS_API int32_t IWS_CALL iws_disconnect(iws_server *s, iws_conn_id id) {
  iws__conn *c;
  int32_t rc;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  if (!iws__api_running(s)) return iws__api_fail(s, IWS_E_BAD_STATE);
  c = find_conn(s, id);
  if (!c) return iws__api_fail(s, IWS_E_NO_CONNECTION);
  rc = iws__conn_disconnect(c);
  iws__conn_unref(c);
  return iws__api_fail(s, rc);
}

static int32_t broadcast(iws_server *s, uint32_t opcode, const void *data,
                         uint64_t length, const iws_conn_id *exclude,
                         uint32_t exclude_count, iws_filter_fn filter,
                         void *context, uint32_t *sent) {
  iws__conn **list;
  iws__shared_frames frames;
  size_t n, i;
  uint32_t count = 0;
  int32_t rc;
  if (sent) *sent = 0;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  if (!exclude && exclude_count) return iws__api_fail(s, IWS_E_INVALID_ARG);
  rc = check_message(s, opcode, data, length);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  /* One frame for everybody (one per compressed variant): each queue holds
   * a reference to it. */
  memset(&frames, 0, sizeof(frames));
  frames.opcode = opcode;
  frames.data = data;
  frames.len = (size_t)length;
  list = iws__table_snapshot(s, &n);
  if (!list) return iws__api_fail(s, IWS_E_NOMEM);
  for (i = 0; i < n; i++) {
    iws__conn *c = list[i];
    uint32_t k;
    int skip = 0;
    for (k = 0; k < exclude_count && !skip; k++) skip = exclude[k] == c->id;
    if (!skip && filter) {
      void *ud;
      iws__conn_lock(c);
      skip = !(c->state == IWS__OPEN && c->accepted);
      ud = c->user_data;
      iws__conn_unlock(c);
      if (!skip) skip = !filter(c->id, ud, context);
    }
    if (!skip && iws__conn_send_shared(c, &frames) == IWS_OK) count++;
  }
  iws__table_release_snapshot(list, n);
  iws__shared_frames_free(&frames);
  if (frames.failed && !count) return iws__api_fail(s, IWS_E_NOMEM);
  if (sent) *sent = count;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_broadcast(iws_server *s, uint32_t opcode,
                                       const void *data, uint64_t length,
                                       const iws_conn_id *exclude,
                                       uint32_t exclude_count,
                                       uint32_t *sent) {
  return broadcast(s, opcode, data, length, exclude, exclude_count, NULL,
                   NULL, sent);
}

IWS_API int32_t IWS_CALL iws_broadcast_filter(iws_server *s, uint32_t opcode,
                                              const void *data,
                                              uint64_t length,
                                              iws_filter_fn filter,
                                              void *context, uint32_t *sent) {
  return broadcast(s, opcode, data, length, NULL, 0, filter, context, sent);
}

/* ------------------------------------------------------------------------ */
/* channels (channels.c holds the map, redis.c the link between servers)     */
/* ------------------------------------------------------------------------ */

static iws__conn *detail_conn(iws_server *s, iws_conn_id id);

IWS_API int32_t IWS_CALL iws_subscribe(iws_server *s, iws_conn_id id,
                                       const char *channel) {
  iws__conn *c;
  size_t len = 0;
  int32_t rc;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  rc = iws__channel_name_check(channel, &len);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  c = detail_conn(s, id);
  if (!c) return iws__api_fail(s, IWS_E_NO_CONNECTION);
  rc = iws__chan_subscribe(c, channel, len);
  iws__conn_unref(c);
  return iws__api_fail(s, rc);
}

IWS_API int32_t IWS_CALL iws_unsubscribe(iws_server *s, iws_conn_id id,
                                         const char *channel) {
  iws__conn *c;
  size_t len = 0;
  int32_t rc;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  if (channel) {
    rc = iws__channel_name_check(channel, &len);
    if (rc != IWS_OK) return iws__api_fail(s, rc);
  }
  c = detail_conn(s, id);
  if (!c) return iws__api_fail(s, IWS_E_NO_CONNECTION);
  rc = iws__chan_unsubscribe(c, channel, len);
  iws__conn_unref(c);
  return iws__api_fail(s, rc);
}

IWS_API int32_t IWS_CALL iws_publish(iws_server *s, const char *channel,
                                     uint32_t opcode, const void *data,
                                     uint64_t length,
                                     const iws_conn_id *exclude,
                                     uint32_t exclude_count, uint32_t *sent) {
  size_t len = 0;
  uint32_t count = 0;
  int32_t rc;
  iws__redis *r;
  if (sent) *sent = 0;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  rc = iws__channel_name_check(channel, &len);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  if (!exclude && exclude_count) return iws__api_fail(s, IWS_E_INVALID_ARG);
  if (opcode != IWS_OP_TEXT && opcode != IWS_OP_BINARY)
    return iws__api_fail(s, IWS_E_INVALID_ARG);
  rc = check_message(s, opcode, data, length);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  rc = iws__publish_local(s, channel, len, opcode, data, (size_t)length,
                          exclude, exclude_count, &count);
  if (rc != IWS_OK) return iws__api_fail(s, rc);
  /* s->redis changes only at iws_start; a stopped link drops the message. */
  r = (iws__redis *)iws__atomic_load_ptr((void *volatile *)&s->redis);
  if (r) iws__redis_publish(r, channel, len, opcode, data, (size_t)length);
  iws__atomic_add64_relaxed(&s->st_publishes, 1);
  if (sent) *sent = count;
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_conn_channels(iws_server *s, iws_conn_id id,
                                           char *buffer, uint32_t size,
                                           uint32_t *needed) {
  iws__conn *c;
  char *list;
  int32_t rc;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  list = iws__chan_list(c, NULL);
  iws__conn_unref(c);
  if (!list) return IWS_E_NOMEM;
  rc = iws__api_copy_out(list, buffer, size, needed);
  free(list);
  return rc;
}

/* ------------------------------------------------------------------------ */
/* connection details                                                        */
/* ------------------------------------------------------------------------ */

/* Finds a connection whose details may be read: known and not yet past its
 * on_disconnect. */
static iws__conn *detail_conn(iws_server *s, iws_conn_id id) {
  iws__conn *c = find_conn(s, id);
  if (!c) return NULL;
  iws__conn_lock(c);
  if (c->disconnected && iws__t_strand_conn != c) {
    iws__conn_unlock(c);
    iws__conn_unref(c);
    return NULL;
  }
  iws__conn_unlock(c);
  return c;
}

IWS_API int32_t IWS_CALL iws_conn_set_user_data(iws_server *s, iws_conn_id id,
                                                void *data) {
  iws__conn *c;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  iws__conn_lock(c);
  c->user_data = data;
  iws__conn_unlock(c);
  iws__conn_unref(c);
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_conn_get_user_data(iws_server *s, iws_conn_id id,
                                                void **data) {
  iws__conn *c;
  if (!iws__api_valid_server(s) || !data) return IWS_E_INVALID_ARG;
  *data = NULL;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  iws__conn_lock(c);
  *data = c->user_data;
  iws__conn_unlock(c);
  iws__conn_unref(c);
  return IWS_OK;
}

/* iws_conn_peer and iws_conn_local: one end of a connection, as text.
 * Both addresses are set at accept and never change. */
static int32_t conn_address(iws_server *s, iws_conn_id id, int local,
                            char *buffer, uint32_t size, uint32_t *port) {
  iws__conn *c;
  const iws__addr *a;
  int32_t rc;
  char ip[IWS__ADDR_TEXT];
  if (!iws__api_valid_server(s) || !buffer) return IWS_E_INVALID_ARG;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  a = local ? &c->local : &c->peer;
  rc = iws__api_copy_out(iws__addr_text(a, ip, sizeof(ip)), buffer, size,
                         NULL);
  if (port) *port = a->port;
  iws__conn_unref(c);
  return rc;
}

IWS_API int32_t IWS_CALL iws_conn_peer(iws_server *s, iws_conn_id id,
                                       char *buffer, uint32_t size,
                                       uint32_t *port) {
  return conn_address(s, id, 0, buffer, size, port);
}

IWS_API int32_t IWS_CALL iws_conn_listener(iws_server *s, iws_conn_id id,
                                           uint32_t *index) {
  iws__conn *c;
  if (!iws__api_valid_server(s) || !index) return IWS_E_INVALID_ARG;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  *index = c->listener; /* set at accept, never changed */
  iws__conn_unref(c);
  return IWS_OK;
}

IWS_API int32_t IWS_CALL iws_conn_local(iws_server *s, iws_conn_id id,
                                        char *buffer, uint32_t size,
                                        uint32_t *port) {
  return conn_address(s, id, 1, buffer, size, port);
}

IWS_API int32_t IWS_CALL iws_conn_last_pong(iws_server *s, iws_conn_id id,
                                            uint64_t *unix_ms) {
  iws__conn *c;
  if (!iws__api_valid_server(s) || !unix_ms) return IWS_E_INVALID_ARG;
  *unix_ms = 0;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  *unix_ms = iws__atomic_load64(&c->last_pong_ms);
  iws__conn_unref(c);
  return IWS_OK;
}

/* The client's certificate (chain 0) or the verified chain's entry at
 * depth (chain 1), as text copied out to the caller. */
static int32_t peer_cert_copy(iws_server *s, iws_conn_id id, int chain,
                              uint32_t depth, uint32_t what, char *buffer,
                              uint32_t size, uint32_t *needed) {
  iws__conn *c;
  char *text = NULL;
  int32_t rc;
  if (!iws__api_valid_server(s) || what > IWS_CERT_PEM)
    return IWS_E_INVALID_ARG;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  /* Every call on the SSL is made under conn->lock (tls.h). */
  iws__conn_lock(c);
  rc = chain ? iws__tls_peer_chain_cert(c, depth, what, &text)
             : iws__tls_peer_cert(c, what, &text);
  iws__conn_unlock(c);
  iws__conn_unref(c);
  if (rc != IWS_OK) return rc;
  rc = iws__api_copy_out(text ? text : "", buffer, size, needed);
  free(text);
  return rc;
}

IWS_API int32_t IWS_CALL iws_conn_peer_cert(iws_server *s, iws_conn_id id,
                                            uint32_t what, char *buffer,
                                            uint32_t size, uint32_t *needed) {
  return peer_cert_copy(s, id, 0, 0, what, buffer, size, needed);
}

IWS_API int32_t IWS_CALL iws_conn_peer_chain_cert(iws_server *s,
                                                  iws_conn_id id,
                                                  uint32_t depth,
                                                  uint32_t what, char *buffer,
                                                  uint32_t size,
                                                  uint32_t *needed) {
  return peer_cert_copy(s, id, 1, depth, what, buffer, size, needed);
}

/* path and protocol are set on the strand before on_connect's caller can
 * know the id, and never change afterwards. */
static int32_t conn_string(iws_server *s, iws_conn_id id, int which,
                           char *buffer, uint32_t size, uint32_t *needed) {
  iws__conn *c;
  const char *v;
  int32_t rc;
  if (!iws__api_valid_server(s)) return IWS_E_INVALID_ARG;
  c = detail_conn(s, id);
  if (!c) return IWS_E_NO_CONNECTION;
  iws__conn_lock(c);
  v = which ? c->protocol : c->path;
  if (!v) v = "";
  rc = iws__api_copy_out(v, buffer, size, needed);
  iws__conn_unlock(c);
  iws__conn_unref(c);
  return rc;
}

IWS_API int32_t IWS_CALL iws_conn_path(iws_server *s, iws_conn_id id,
                                       char *buffer, uint32_t size,
                                       uint32_t *needed) {
  return conn_string(s, id, 0, buffer, size, needed);
}

IWS_API int32_t IWS_CALL iws_conn_protocol(iws_server *s, iws_conn_id id,
                                           char *buffer, uint32_t size,
                                           uint32_t *needed) {
  return conn_string(s, id, 1, buffer, size, needed);
}

