/*
 * internal.h - the core's private structures: server, connection, shared
 * frame chunks, timers and worker queues. Not part of the ABI.
 */
#ifndef IWS_INTERNAL_H
#define IWS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../backend/backend.h"
#include "../ws/deflate.h"
#include "../pubsub/channels.h"
#include "../ws/handshake.h"
#include "iocpws.h"
#include "../platform/platform.h"
#include "tls.h"

struct wslay_event_context;
struct ssl_st;

/* ---- options ---- */

#define IWS__OPT_INT_LAST 59 /* 22..29, 39, 41..49 are holes (unknown) */
#define IWS__OPT_STR_FIRST 10001
#define IWS__OPT_STR_LAST 10051 /* 10012..10039, 10042..10049: holes */
#define IWS__OPT_STR_COUNT (IWS__OPT_STR_LAST - IWS__OPT_STR_FIRST + 1)

typedef struct iws__opt_int_spec {
  int32_t id;
  int64_t min, max, def;
  const char *name;
} iws__opt_int_spec;

typedef struct iws__options {
  int64_t ints[IWS__OPT_INT_LAST + 1]; /* indexed by option number */
  char *strs[IWS__OPT_STR_COUNT];      /* by number - FIRST; NULL = default */
} iws__options;

/* The spec of an integer option, or NULL if unknown. */
const iws__opt_int_spec *iws__opt_int_find(int32_t id);
void iws__options_init(iws__options *o);
void iws__options_free(iws__options *o);
/* Validates and stores; returns IWS_OK or an IWS_E_* code. */
int32_t iws__options_set_int(iws__options *o, int32_t id, int64_t value);
int32_t iws__options_set_str(iws__options *o, int32_t id, const char *value);
/* The value of a string option (its default when unset), NULL if unknown. */
const char *iws__options_str(const iws__options *o, int32_t id);
/* A string option's name and longest accepted value (for messages). */
const char *iws__opt_str_name(int32_t id);
size_t iws__opt_str_max(int32_t id);

/* ---- shared frame bytes ---- */

/* One encoded frame, shared by every connection that sends it. */
typedef struct iws__chunk {
  volatile uint32_t refs;
  uint32_t reserved;
  size_t len;
  uint8_t *data; /* points just past the struct */
} iws__chunk;

iws__chunk *iws__chunk_new(size_t len);
void iws__chunk_unref(iws__chunk *c);
/* Encodes one unfragmented server frame (unmasked) with wslay. NULL on OOM. */
iws__chunk *iws__frame_encode(uint32_t opcode, const void *payload,
                              size_t len);
/* The same with RSV1 set (a permessage-deflate message) when `rsv1`. */
iws__chunk *iws__frame_encode_rsv(uint32_t opcode, int rsv1,
                                  const void *payload, size_t len);
/* Encodes a close frame (code 0 = empty payload). */
iws__chunk *iws__frame_close(uint32_t code, const char *reason, size_t len);

int iws__utf8_valid(const uint8_t *s, size_t len);
/* Streaming check: feed chunks in order, starting from IWS__UTF8_ACCEPT;
 * the text so far is valid and complete when the result is ACCEPT, valid
 * but cut inside a sequence for any other value but REJECT. */
#define IWS__UTF8_ACCEPT 0u
#define IWS__UTF8_REJECT 1u
uint32_t iws__utf8_feed(uint32_t state, const uint8_t *s, size_t len);
/* Non-zero if an application may send this close code. */
int iws__close_code_sendable(uint32_t code);

/* ---- timers: FIFO lists (every list has one duration, so appending keeps
 * them sorted by deadline) ---- */

typedef struct iws__tnode {
  struct iws__tnode *prev, *next; /* NULL when not in a list */
  uint64_t deadline;
} iws__tnode;

typedef struct iws__tlist {
  iws__tnode head; /* sentinel */
} iws__tlist;

enum {
  IWS__T_MAIN,
  IWS__T_PING,
  IWS__T_PONG,
  /* plain HTTP (http.c) */
  IWS__T_HREQ,  /* the request being read: IWS_OPT_HTTP_REQUEST_TIMEOUT_MS */
  IWS__T_HIDLE, /* keep-alive idle: IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS */
  IWS__T_HRESP, /* a deferred response: IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS */
  IWS__T_HKICK, /* a next-tick retry (an upgrade waits for the output) */
  IWS__T_COUNT
};
#define IWS__T_HTTP_FIRST IWS__T_HREQ
#define IWS__T_HTTP_COUNT (IWS__T_COUNT - IWS__T_HTTP_FIRST)

/* The HTTP timers' nodes live with a connection's HTTP state (allocated
 * once a plain request arrives, freed with the connection), so that a
 * WebSocket connection does not carry them: 96 bytes of every idle
 * connection. */
typedef struct iws__http_timers {
  struct iws__conn *conn;
  iws__tnode node[IWS__T_HTTP_COUNT];
} iws__http_timers;

/* ---- connections ---- */

typedef enum iws__conn_state {
  IWS__HANDSHAKE, /* reading the HTTP request */
  IWS__ACCEPTING, /* inside on_connect */
  IWS__OPEN,      /* WebSocket open (maybe closing: see close flags) */
  IWS__DRAINING,  /* all sent, FIN sent; discarding input until EOF */
  IWS__CLOSED     /* socket gone */
} iws__conn_state;

/* What to do once everything queued is written. */
#define IWS__FINISH_CLOSE 1 /* close TCP: the WebSocket close is done (the
                               server closes first, RFC 6455 7.1.1) */
#define IWS__FINISH_DRAIN 2 /* HTTP refusal: send FIN, discard input until
                               the client's FIN, so no reset eats the answer */

typedef struct iws__outseg {
  iws__chunk *chunk;
  size_t off; /* bytes of the chunk already written */
} iws__outseg;

typedef struct iws__bytes {
  uint8_t *data;
  size_t len, cap;
} iws__bytes;

int iws__bytes_append(iws__bytes *b, const void *data, size_t len);
void iws__bytes_free(iws__bytes *b);

struct iws__conn {
  iws_conn_id id;
  iws_server *server;
  iws__mutex lock;
  volatile uint32_t refs;
  iws__conn *hash_next; /* server table chain, under table_lock */

  /* --- under lock --- */
  iws__sock *sock;  /* NULL once closed */
  uint32_t close_code_sent, close_code_recv, fail_code;
  int32_t pending_error; /* reported before on_disconnect */
  /* Flags and small states are bytes: they are many, and every idle
   * connection pays for each (the idle target is under 1 KiB). */
  uint8_t state;   /* iws__conn_state */
  uint8_t writing; /* a write is with the back end */
  uint8_t flush_posted; /* iws__be_post_flush asked, not yet run */
  uint8_t tcp_closing;
  uint8_t shut_sent;
  uint8_t finish_after_flush; /* IWS__FINISH_*: once the queue is empty */
  uint8_t close_sent, close_recv, we_initiated;
  uint8_t accepted;     /* on_connect accepted: on_disconnect owed */
  volatile uint32_t dropped; /* iws_disconnect was called; set under the
                                lock, read with iws__atomic_load32 */
  uint8_t bad_close;    /* the peer's close frame had a 1-byte payload */
  uint8_t disconnected; /* on_disconnect delivered */
  uint8_t ring_keep; /* a message was queued: keep the ring from now on */
  uint8_t out_paused; /* reading waits: too much output waits (conn.c) */
  iws__outseg *ring; /* NULL until needed, and again once the handshake
                        answer is out if nothing else was queued */
  uint32_t ring_cap, ring_head, ring_count;
  uint64_t queued_bytes;
  void *user_data;
  char *close_reason; /* 124 bytes, made when a reason is kept */
  uint32_t close_reason_len;
  /* worker mode */
  iws__bytes rxq;
  uint8_t read_paused, wqueued, closed_pending;
  iws__conn *wnext;
  /* plain HTTP (http.c): reading held until a response is sent; worker
   * mode: the worker should run the HTTP request cycle */
  uint32_t http_hold, http_kick;
  struct iws__http_conn *http; /* set once a plain request arrived */

  /* --- strand only (the thread running this connection's callbacks) --- */
  /* Handshake bytes; after the 101, the message being reassembled (wslay
   * runs without buffering: see ws_chunk_cb). Its capacity counts in the
   * server's rx_held while it holds a message. */
  iws__bytes inbuf;
  uint64_t rx_msg_size;       /* payload declared so far by the open message */
  const uint8_t *rx_direct;   /* a one-piece message, delivered in place */
  uint8_t rx_frame_data;      /* the current frame is a data frame */
  uint8_t rx_frame_whole;     /* ...the first and last of its message */
  struct wslay_event_context *ws; /* NULL while idle (see ws_feed) */
  uint64_t ws_fed, ws_framed;      /* bytes given to wslay / in whole frames */
  uint64_t ws_frame_size;          /* header + payload of the current frame */
  uint32_t ws_msg_open;            /* a fragmented message is in progress */
  uint64_t last_input_ms;
  const uint8_t *rx_ptr;
  size_t rx_len;
  uint32_t http_pause_asked; /* the HTTP cycle wants reading paused */
  iws__bytes stage; /* frames wslay produced (pongs, close echo) */

  /* --- TLS (NULL ssl: a plain connection); under lock --- */
  struct ssl_st *ssl;
  iws__bytes tls_out;   /* ciphertext with the back end: frozen while
                           `writing`, freed once written */
  size_t tls_out_off;   /* bytes of tls_out already written */
  iws__bytes tls_pend;  /* ciphertext made since (the BIO's sink) */
  const uint8_t *tls_in; /* ciphertext the BIO reads from, during a read */
  size_t tls_in_len;
  uint8_t tls_ready;   /* the TLS handshake finished */
  uint8_t tls_failed;  /* fatal TLS error: no more SSL calls */
  uint8_t tls_notify_sent; /* close_notify queued */
  uint8_t tls_reneg;   /* the client tried to renegotiate */
  char *tls_error;      /* the reason of tls_failed, for on_error */

  /* --- permessage-deflate --- */
  iws__pmd_params pmd;    /* negotiated; immutable after the handshake */
  iws__zstream *pmd_tx;   /* context-takeover compressor; under lock */
  uint32_t pmd_tx_fresh;  /* a shared (broadcast) frame went out since:
                             reset pmd_tx first; under lock */
  iws__zstream *pmd_rx;   /* context-takeover inflater; strand only */
  uint32_t rx_fail;       /* IWS__RXF_*: why the message being received
                             failed (ws_feed closes); strand only */

  /* --- immutable after the handshake --- */
  char *path;
  char *protocol;
  char peer_ip[IWS_ADDRESS_SIZE];
  uint32_t peer_port;
  char local_ip[IWS_ADDRESS_SIZE]; /* Since 0.6: iws_conn_local */
  uint32_t local_port;
  uint32_t worker;

  /* --- under the server's timer_lock --- */
  iws__tnode timers[IWS__T_HTTP_FIRST];
  iws__http_timers *http_timers; /* under the server's timer_lock */
  volatile uint32_t awaiting_pong; /* also read without it: atomic only */
  volatile uint64_t last_pong_ms; /* wall clock of the last pong (0 = none):
                                     written on the strand, read anywhere,
                                     atomic only */
  uint32_t timers_dead; /* socket gone: never enter a list again */

  /* --- under the server's chan_lock --- */
  iws__sub *subs, *subs_tail; /* this connection's channels, join order */
  uint32_t chan_gone;         /* past on_disconnect: no new subscriptions */
};

/* ---- workers ---- */

typedef struct iws__worker {
  iws_server *server;
  iws__thread thread;
  iws__mutex lock;
  iws__cond cond;
  iws__conn *head, *tail;
  int stop;
} iws__worker;

/* ---- the server ---- */

enum { IWS__STOPPED, IWS__STARTING, IWS__RUNNING, IWS__STOPPING };

#define IWS__MAGIC 0x69777331u /* "iws1" */

/* Options resolved at start, immutable while running (read without locks). */
typedef struct iws__runcfg {
  uint32_t io_threads, workers;
  uint64_t max_connections, max_message_size, max_handshake_size;
  uint64_t handshake_timeout_ms, heartbeat_interval_ms, heartbeat_timeout_ms;
  uint64_t send_queue_limit, close_timeout_ms, stop_timeout_ms;
  uint32_t send_queue_policy, log_level;
  const char *subprotocols;
  uint64_t tls_handshake_timeout_ms;
  /* permessage-deflate */
  uint32_t deflate;
  iws__pmd_config pmd;
  iws__pmd_deflate_cfg pmd_deflate; /* window_bits = the server maximum */
  uint64_t deflate_threshold, deflate_max_inflated;
  /* plain HTTP */
  uint64_t http_max_body, http_max_uri, http_request_timeout_ms,
      http_keepalive_ms, http_response_timeout_ms;
  uint32_t http_max_pipelined;
  uint64_t incomplete_limit; /* IWS_OPT_INCOMPLETE_MESSAGES_LIMIT; 0 = none */
} iws__runcfg;

/* Listener tags the core gives the back end (iws__be_listen.tag). */
#define IWS__LISTEN_PLAIN 0u
#define IWS__LISTEN_TLS 1u

/* A reassembly buffer or a sent frame at least this large, once freed,
 * counts in rx_freed towards giving memory back to the system; the tick
 * trims (iws__mem_trim) at most once a second while rx_freed is not zero,
 * at once past IWS__RX_TRIM_AFTER. */
#define IWS__RX_TRIM_MIN (128 * 1024)
#define IWS__RX_TRIM_AFTER (64u * 1024u * 1024u)

struct iws_server {
  uint32_t magic;
  iws_callbacks cb;
  void *user;
  iws__options opt;
  iws__runcfg cfg; /* the run configuration (options resolved at start) */

  iws__mutex lock; /* last error, start/stop transitions */
  volatile uint32_t state; /* written under lock, read atomically */
  int32_t last_error_code;
  char last_error[600]; /* room for OpenSSL's reasons */
  iws__be *be;
  uint32_t port;       /* plain listener's port (0 if none) */
  uint32_t tls_port;   /* TLS listener's port (0 if none) */
  iws__tls_ctx *tls;   /* while running with a TLS listener */
  iws__tls_host *tls_hosts; /* iws_tls_add_host entries (stopped only) */
  size_t tls_host_count;

  /* connection table: every connection from accept to after on_disconnect */
  iws__mutex table_lock;
  iws__cond table_cond;
  iws__conn **buckets;
  size_t nbuckets, count;
  int accepting;
  volatile uint64_t next_id;

  iws__mutex timer_lock;
  iws__tlist timers[IWS__T_COUNT];

  iws__worker *workers;
  uint32_t nworkers;

  /* channels (channels.c): name -> subscribers, under chan_lock (a leaf) */
  iws__mutex chan_lock;
  iws__chan **chan_buckets;
  size_t chan_nbuckets, chan_count, sub_count;
  iws__redis *redis; /* while running with IWS_OPT_REDIS_URL set */

  /* static files (static.c): the document root's canonical path while
   * running, NULL if none */
  char *static_root;

  /* statistics */
  volatile uint64_t st_current, st_total, st_refused, st_msg_in, st_msg_out,
      st_bytes_in, st_bytes_out, st_queued;
  volatile uint64_t st_publishes, st_redis_out, st_redis_in;
  volatile uint32_t st_redis_up; /* 1 while both Redis links are up */
  volatile uint64_t st_http_requests, st_http_refused, st_http_current;
  /* Bytes all connections hold for messages still arriving (bounded by
   * IWS_OPT_INCOMPLETE_MESSAGES_LIMIT), and large buffers (reassembly,
   * frames sent) freed since the tick last gave memory back. */
  volatile uint64_t rx_held, rx_freed;
  uint64_t last_trim_ms; /* tick thread only */
};

/* ---- between api/ and core/ ---- */

/* The server whose callback is running on this thread (NULL outside). */
extern IWS_THREAD_LOCAL iws_server *iws__t_callback_server;
/* The connection whose strand runs on this thread (sends are deferred). */
extern IWS_THREAD_LOCAL iws__conn *iws__t_strand_conn;
/* The text message on_message is being given on this thread, already
 * checked as UTF-8: echoing it (or part of it) needs no second check. */
extern IWS_THREAD_LOCAL const uint8_t *iws__t_valid_text;
extern IWS_THREAD_LOCAL size_t iws__t_valid_text_len;
int iws__text_known_valid(const void *data, size_t len);

/* Runs a user callback with the thread marked as inside one of this
 * server's callbacks, so that iws_stop & co. refuse to wait for themselves. */
#define IWS__IN_CALLBACK(server, call)                 \
  do {                                                 \
    iws_server *saved_ = iws__t_callback_server;     \
    IWS__ASSERT_NO_LOCK();                             \
    iws__t_callback_server = (server);               \
    call;                                              \
    iws__t_callback_server = saved_;                 \
  } while (0)

void iws__conn_ref(iws__conn *c);
void iws__conn_unref(iws__conn *c);
/* Adds a new connection; IWS_E_BAD_STATE once the server stops accepting. */
int32_t iws__table_insert(iws_server *s, iws__conn *c);
/* Looks a connection up by id; returns it with a reference, or NULL. */
iws__conn *iws__table_find(iws_server *s, iws_conn_id id);
/* Removes a connection (after its on_disconnect) and wakes iws_stop. */
void iws__table_remove(iws_server *s, iws__conn *c);
/* References to every connection in the table (caller unrefs and frees). */
iws__conn **iws__table_snapshot(iws_server *s, size_t *count);
/* Drops a snapshot's references and frees it. */
void iws__table_release_snapshot(iws__conn **list, size_t n);

/* Queues a data or ping frame; returns IWS_OK or an IWS_E_* code. `data_msg`
 * = counts against the send-queue limit. */
int32_t iws__conn_send_chunk(iws__conn *c, iws__chunk *chunk, int data_msg);
/* Sends one data message (text or binary), compressed when the connection
 * negotiated permessage-deflate and the message is long enough. */
int32_t iws__conn_send_message(iws__conn *c, uint32_t opcode,
                               const void *data, size_t len);
/* Broadcast: frames shared by several receivers, made on demand. */
typedef struct iws__shared_frames {
  uint32_t opcode;
  const void *data;
  size_t len;
  iws__chunk *plain;
  iws__chunk *deflated[16]; /* by server window bits */
  int failed;               /* out of memory making one */
} iws__shared_frames;
/* Queues the right shared frame for c; IWS_OK or an IWS_E_* code. */
int32_t iws__conn_send_shared(iws__conn *c, iws__shared_frames *f);
void iws__shared_frames_free(iws__shared_frames *f);
int32_t iws__conn_close(iws__conn *c, uint32_t code, const char *reason,
                        uint32_t len);
int32_t iws__conn_disconnect(iws__conn *c);
/* iws_stop: close 1001 for open connections, abort handshakes. */
void iws__conn_stop_gracefully(iws__conn *c);
void iws__conn_abort(iws__conn *c);

/* Channel delivery to this server's subscribers, compressed like a
 * broadcast (pubsub/channels.c). */
int32_t iws__publish_local(iws_server *s, const char *channel, size_t len,
                           uint32_t opcode, const void *data, size_t dlen,
                           const iws_conn_id *exclude, uint32_t exclude_count,
                           uint32_t *sent);
/* Reports a server-wide error to on_error (id 0) and the log. */
void iws__report_server_error(iws_server *s, int32_t code, const char *msg);

/* ---- the connection layer (core/conn.c, timer.c, worker.c), for the
 * protocols above it; *_locked: the caller holds c->lock ---- */

/* Queues a chunk (its reference is taken over) at the back, or at the
 * front (the handshake answer). 0, or -1 out of memory. */
int iws__conn_ring_push_locked(iws__conn *c, iws__chunk *chunk, int front);
void iws__conn_ring_clear_locked(iws__conn *c);
/* Writes what is queued unless a write is already with the back end. */
void iws__conn_flush_locked(iws__conn *c);
/* The same, unless the strand runs on this thread (it flushes when done)
 * or the I/O thread can be asked to flush soon. */
void iws__conn_maybe_flush_locked(iws__conn *c);
/* IWS_OK if data may be queued now, else the IWS_E_* code why not. */
int iws__conn_can_send_locked(iws__conn *c);
int32_t iws__conn_send_chunk_locked(iws__conn *c, iws__chunk *chunk,
                                    int data_msg);
/* Queues our close frame. fail = we are failing the connection: do not
 * wait for the peer's answer. */
int32_t iws__conn_send_close_locked(iws__conn *c, uint32_t code,
                                    const char *reason, size_t len, int fail);
/* The 124-byte buffer of the peer's close reason, made on first use. */
char *iws__conn_close_reason_buf(iws__conn *c);
/* on_error (id = c's) and the log; no lock held. */
void iws__conn_report_error(iws__conn *c, int32_t code, const char *msg);
/* on_disconnect (if owed), then the connection leaves the table. Strand. */
void iws__conn_deliver_disconnect(iws__conn *c);
/* Under the server's timer_lock: the node of timer `which`, or NULL for
 * an HTTP timer of a connection without HTTP state. */
iws__tnode *iws__conn_timer_node(iws__conn *c, int which);
/* A copy of a NUL-terminated string (malloc), NULL out of memory. */
char *iws__strdup(const char *s);

/* ---- between core/, ws/ and http/ (plain HTTP, Since 0.5) ---- */

/* core/ (conn.c, timer.c), for http.c */
void iws__conn_timer_set(iws__conn *c, int which, uint64_t delay_ms);
void iws__conn_timer_clear(iws__conn *c, int which);
/* Gives the connection its HTTP timers' nodes (kept in http.c's state,
 * which lives as long as the connection). Any thread holding c->lock or
 * none. */
void iws__conn_attach_http_timers(iws__conn *c, iws__http_timers *t);
/* Under c->lock: queues bytes (the chunk's reference is taken) and writes
 * them unless the strand runs on this thread. 0, or -1 (out of memory:
 * the connection is aborted). */
int iws__conn_push_locked(iws__conn *c, iws__chunk *chunk);
/* Under c->lock: once the queue is written, FIN, then input is discarded
 * until the client's FIN (so that no reset eats the last answer). */
void iws__conn_http_finish_locked(iws__conn *c);
void iws__conn_tcp_close_locked(iws__conn *c, int abortive);
uint32_t iws__conn_queued_locked(const iws__conn *c); /* ring entries */
/* ws/ws.c, for http.c. Strand: the request is a WebSocket upgrade after
 * plain requests; runs the usual handshake (on_connect, 101 or refusal),
 * then feeds `rest`. */
void iws__conn_ws_upgrade(iws__conn *c, iws_request *req,
                          const uint8_t *rest, size_t rest_len);

/* http.c, for core/ and ws/ws.c (strand unless said otherwise) */
/* The first request on the connection is plain HTTP: takes c->inbuf and
 * `extra` (bytes behind it). Returns 0, or -1 out of memory. */
int iws__http_begin(iws__conn *c, const uint8_t *extra, size_t extra_len);
void iws__http_input(iws__conn *c, const uint8_t *data, size_t len);
/* Reading resumed / the worker was kicked: continue the request cycle. */
void iws__http_kicked(iws__conn *c);
/* Timer thread: IWS__T_HREQ..IWS__T_HKICK fired. */
void iws__http_timer(iws__conn *c, int which);
/* Under c->lock, any thread: the socket is gone. */
void iws__http_closed_locked(iws__conn *c);
void iws__http_conn_free(iws__conn *c);

void iws__worker_main(void *arg);
/* Under c->lock: queues c for its worker thread (which then runs its rx
 * queue, HTTP kick or close) unless it is queued already. */
void iws__worker_wake_locked(iws__conn *c);

/* ---- locks and the log (log.c) ----
 *
 * The lock order (the one place it is written):
 *
 *   1. iws_server.lock       (last error, start/stop) may take: the back
 *                            end's locks (iws__be_port & co.)
 *   2. iws__conn.lock        (one connection; never two at once) may take:
 *                            the server's timer_lock, its worker's lock
 *                            (iws__worker_wake_locked), the back end's
 *                            locks (iws__be_close, _post_flush, _read_resume)
 *   3. leaves, which take no other lock of ours: table_lock, timer_lock,
 *      chan_lock, iws__worker.lock, the Redis link's lock, the back end's.
 *
 * No callback runs under any of them (the application may call the API,
 * which takes them). Every lock of the core is taken with iws__lock and
 * released with iws__unlock: they count the locks this thread holds, so that a line
 * logged meanwhile waits until the last one is released (on_log may call
 * the API, which takes these locks), and so that debug builds can check
 * that no callback runs under a lock of ours. */
extern IWS_THREAD_LOCAL uint32_t iws__t_locks_held;
extern IWS_THREAD_LOCAL void *iws__t_held_lines;
void iws__log_deliver_held(void);

static inline void iws__lock(iws__mutex *m) {
  iws__mutex_lock(m);
  iws__t_locks_held++;
}

static inline void iws__unlock(iws__mutex *m) {
  iws__mutex_unlock(m);
  if (--iws__t_locks_held == 0 && iws__t_held_lines) iws__log_deliver_held();
}

#ifdef NDEBUG
#define IWS__ASSERT_NO_LOCK() ((void)0)
#else
#include <assert.h>
#define IWS__ASSERT_NO_LOCK() assert(iws__t_locks_held == 0)
#endif

/* A log line for on_log (IWS_LOG_*), delivered now, or when this thread
 * releases its last lock. */
void iws__log(iws_server *s, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void iws__set_error(iws_server *s, int32_t code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

void iws__tlist_init(iws__tlist *l);
void iws__tlist_push(iws__tlist *l, iws__tnode *n, uint64_t deadline);
void iws__tlist_remove(iws__tnode *n);

#endif /* IWS_INTERNAL_H */
