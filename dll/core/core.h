/*
 * core.h - the core layer (dll/core/) for the layers above it: server,
 * connection, shared frame chunks, timers, worker queues, the protocol
 * table, locks and the log. Not part of the ABI. It includes only what is
 * below the core (the back end, the platform) and the public header;
 * each layer above has its own header (ws/ws.h, ws/frame.h, http/http.h,
 * pubsub/channels.h, api/api.h) that includes what it needs.
 */
#ifndef IWS_CORE_H
#define IWS_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../backend/backend.h"
#include "iocpws.h"
#include "../platform/platform.h"
#include "tls.h"

struct ssl_st;
typedef struct iws__conn iws__conn;
/* The layers above keep these behind pointers in the core's structures
 * (pubsub/channels.h, ws/deflate.h define them). */
typedef struct iws__chan iws__chan;
typedef struct iws__sub iws__sub;
typedef struct iws__redis iws__redis;
typedef struct iws__zstream iws__zstream;

/* ---- permessage-deflate parameters: plain data the core stores for ws/
 * (a connection's negotiated parameters, the server's run configuration);
 * what they mean and the functions over them are ws/deflate.h's ---- */

/* What the server is willing to do (from the options). */
typedef struct iws__pmd_config {
  uint32_t server_max_window_bits; /* 9..15: our compressor's window */
  uint32_t client_max_window_bits; /* 9..15: asked of clients that allow it */
  uint32_t server_no_context_takeover; /* 1 = we never keep a context */
  uint32_t client_no_context_takeover; /* 1 = we ask clients not to */
} iws__pmd_config;

/* What one connection negotiated. */
typedef struct iws__pmd_params {
  uint32_t enabled;
  uint32_t server_bits; /* window our compressor uses */
  uint32_t client_bits; /* window the client may use (our inflater's) */
  uint32_t server_no_context_takeover;
  uint32_t client_no_context_takeover;
  /* for the answer: which parameters to name */
  uint32_t say_server_bits, say_client_bits;
} iws__pmd_params;

/* A connection's permessage-deflate state, made at the handshake when the
 * extension is negotiated (a connection without it, and every idle one
 * counts, pays a pointer). */
typedef struct iws__pmd_conn {
  iws__pmd_params params; /* negotiated; immutable after the handshake */
  uint32_t tx_fresh;      /* a shared (broadcast) frame went out since:
                             reset tx first; under the connection's lock */
  iws__zstream *tx;       /* context-takeover compressor; under lock */
  iws__zstream *rx;       /* context-takeover inflater; strand only */
} iws__pmd_conn;

/* Compression settings for one message. */
typedef struct iws__pmd_deflate_cfg {
  int window_bits; /* 9..15 */
  int mem_level;   /* 1..9 */
  int level;       /* 0..9 */
} iws__pmd_deflate_cfg;

/* ---- options ---- */

#define IWS__OPT_INT_LAST 60 /* 24..29, 39, 41..49 are holes (unknown) */
#define IWS__OPT_STR_FIRST 10001
#define IWS__OPT_STR_LAST 10051 /* 10014..10039, 10042..10049: holes */
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
/* Non-zero if v looks like an IPv4 or IPv6 literal (bind time parses). */
int iws__plausible_address(const char *v);
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

/* Small frames are not queued as chunks of their own: their bytes are
 * copied into the connection's last queued buffer while it has room
 * (iws__conn_queue_copy_locked), so that the frames one turn queues leave
 * in one buffer and one write, and no frame costs an allocation or a
 * reference count. A frame of at most IWS__SMALL_FRAME bytes goes that
 * way; a queue buffer holds IWS__MERGE_CAP bytes. */
#define IWS__SMALL_FRAME 256
#define IWS__MERGE_CAP 992 /* with the chunk header: glibc's thread cache */
/* iws__chunk.reserved: bit 0 a file segment (conn.c), IWS__CHUNK_MERGE a
 * buffer small frames are copied into (bytes.c) */
#define IWS__CHUNK_MERGE 2u
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
  IWS__T_MAIN, /* the core's: handshake, TLS handshake and close timeouts */
  /* WebSocket (ws/) */
  IWS__T_PING, /* heartbeat: periodic */
  IWS__T_PONG, /* heartbeat: the answer is due */
  /* plain HTTP (http/) */
  IWS__T_HREQ,  /* the request being read: IWS_OPT_HTTP_REQUEST_TIMEOUT_MS */
  IWS__T_HIDLE, /* keep-alive idle: IWS_OPT_HTTP_KEEPALIVE_TIMEOUT_MS */
  IWS__T_HRESP, /* a deferred response: IWS_OPT_HTTP_RESPONSE_TIMEOUT_MS */
  IWS__T_HKICK, /* a next-tick retry (an upgrade waits for the output) */
  /* WebSocket (ws/) again */
  IWS__T_WIDLE, /* a quiet second: the wslay context goes back */
  IWS__T_COUNT
};
/* A connection has IWS__T_SLOTS timer nodes, not one per list: a protocol's
 * timers share slots (iws__t_slot), and a connection speaks one protocol at
 * a time, so an idle connection pays for 4 nodes, not 8 (WIDLE, the
 * WebSocket's, takes HTTP's slot 3: HTTP clears its timers at the 101). Timers sharing a
 * slot are never armed together (HREQ: a request is being read; HIDLE:
 * nothing is; HRESP: a deferred response, nothing is read meanwhile;
 * HKICK: a retry while no response is outstanding); each slot remembers
 * which list it is in, so that clearing one never clears its neighbour. */
#define IWS__T_SLOTS 4
static inline int iws__t_slot(int which) {
  static const unsigned char slot[IWS__T_COUNT] = {0, 1, 2, 1, 2, 3, 3, 3};
  return slot[which];
}

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

/* A TLS connection's state beside its SSL, allocated with it: a plain
 * connection (most of them, and every idle one counts) pays a pointer
 * instead. Under the connection's lock. */
struct iws__tls_conn {
  iws__bytes out;      /* ciphertext with the back end: frozen while
                          `writing`, freed once written */
  size_t out_off;      /* bytes of out already written */
  iws__bytes pend;     /* ciphertext made since (the BIO's sink) */
  const uint8_t *in;   /* ciphertext the BIO reads from, during a read */
  size_t in_len;
  char *error;         /* the reason of failed, for on_error */
  uint8_t ready;       /* the TLS handshake finished */
  uint8_t failed;      /* fatal TLS error: no more SSL calls */
  uint8_t notify_sent; /* close_notify queued */
  uint8_t reneg;       /* the client tried to renegotiate */
};

/* ---- the protocol table ----
 *
 * What a connection's bytes mean is its protocol's business: HTTP sets the
 * table at accept (through the server's hook, iws_server.first_proto), and
 * WebSocket replaces it at the upgrade. The core calls only through it. A
 * protocol keeps its state in the connection's proto_area (libuv's
 * "subclass by embedding"): no allocation of its own per connection.
 * `proto` is written on the strand under c->lock; other threads read it
 * under c->lock. */
typedef struct iws__proto {
  const char *name;
  /* Strand, no lock: plaintext from the peer (len > 0), valid during the
   * call, and the protocol's to change meanwhile (WebSocket unmasks in
   * place: no copy of a message that arrives whole). */
  void (*input)(iws__conn *c, uint8_t *data, size_t len);
  /* Strand, no lock: reading was resumed or the strand kicked
   * (iws__conn_kick_locked) with no new bytes. NULL: nothing to do. */
  void (*resumed)(iws__conn *c);
  /* Tick thread, no lock: the protocol's timer `which` (not IWS__T_MAIN,
   * the core's) fired. It may find the connection moved on: re-check under
   * c->lock. */
  void (*timer)(iws__conn *c, int which);
  /* Under c->lock, any thread: the socket is gone. NULL: nothing. */
  void (*closed_locked)(iws__conn *c);
  /* Under c->lock: iws_stop ends the connection as its protocol says. */
  void (*stop_locked)(iws__conn *c);
  /* Strand, no lock: the connection ends (on_disconnect if owed), before
   * it leaves the table. NULL: nothing. */
  void (*gone)(iws__conn *c);
  /* The last reference went: free what the protocol state holds. */
  void (*free)(iws__conn *c);
  /* On the connection's strand, no lock: work the protocol asked for
   * from another thread with iws__conn_run_due (WebSocket: the heartbeat
   * with its on_heartbeat). NULL: nothing. */
  void (*due)(iws__conn *c);
} iws__proto;

/* Room for the protocol state: the WebSocket's, exactly on x86_64 (what
 * it needs while receiving is allocated with its wslay context, the
 * permessage-deflate streams with iws__pmd_conn); HTTP keeps a pointer to
 * its state here (made with the first request's bytes, gone at the
 * upgrade). ws.c and http.c check that theirs fits (_Static_assert). */
#define IWS__PROTO_AREA 32

struct iws__conn {
  iws_conn_id id;
  iws_server *server;
  /* The connection's lock ("c->lock" in comments) is not here: it is one
   * of the server's stripes, iws__conn_lock(c) (see there). */
  volatile uint32_t refs;
  volatile uint32_t dropped; /* iws_disconnect was called; set under the
                                lock, read with iws__atomic_load32 */
  iws__conn *hash_next; /* server table chain, under table_lock */
  const iws__proto *proto; /* see above */

  /* --- under lock --- */
  iws__sock *sock;  /* NULL once closed */
  uint32_t close_code_sent, close_code_recv, fail_code;
  int32_t pending_error; /* reported before on_disconnect */
  /* Flags and small states are bytes: they are many, and every idle
   * connection pays for each (issue 18's idle target: 0.5 KiB). */
  uint8_t state;   /* iws__conn_state */
  uint8_t writing; /* a write is with the back end */
  uint8_t flush_posted; /* iws__be_post_flush asked, not yet run */
  uint8_t tcp_closing;
  uint8_t shut_sent;
  uint8_t finish_after_flush; /* IWS__FINISH_*: once the queue is empty */
  uint8_t close_sent, close_recv, we_initiated;
  uint8_t accepted;     /* on_connect accepted: on_disconnect owed */
  uint8_t bad_close;    /* the peer's close frame had a 1-byte payload */
  uint8_t disconnected; /* on_disconnect delivered */
  uint8_t ring_keep; /* a message was queued: keep the ring from now on */
  uint8_t out_paused; /* reading waits: too much output waits (conn.c) */
  uint8_t room_wait; /* a thread waits in iws__conn_wait_room (conn.c) */
  /* Reading held by the protocol until it kicks (iws__conn_hold_locked,
   * iws__conn_kick_locked); worker mode: the worker should run the
   * protocol's `resumed`. */
  uint8_t read_hold, wkick;
  uint8_t pause_asked; /* strand only: pause reading after this input */
  uint8_t timer_kind[IWS__T_SLOTS]; /* the list each slot is in; timer_lock */
  iws__outseg *ring; /* NULL until needed, and again once the handshake
                        answer is out if nothing else was queued */
  uint32_t ring_cap, ring_head, ring_count;
  uint32_t close_reason_len;
  uint64_t queued_bytes;
  void *user_data;
  char *close_reason; /* 124 bytes, made when a reason is kept */
  /* worker mode (the rest is iws__conn_wk(c)) */
  uint8_t has_wk;       /* made with the worker part behind it */
  uint8_t open_pending; /* on_open not yet run by the worker (under lock) */
  uint8_t opened;       /* on_open ran, on_close is owed (under lock) */
  uint8_t chan_gone;    /* past on_disconnect: no new subscriptions (under
                           the server's chan_lock) */
  uint8_t timers_dead;  /* socket gone: never enter a timer list again
                           (under the server's timer_lock) */
  uint8_t listener;     /* index of the listener that accepted it
                           (< IWS_LISTENERS_MAX); immutable */

  /* --- TLS (NULL ssl: a plain connection, and no `tls` either) --- */
  struct ssl_st *ssl;
  iws__tls_conn *tls; /* made with ssl (iws__tls_conn_init); under lock */

  /* --- permessage-deflate: NULL unless negotiated (set under lock at the
   * handshake, immutable after it; ws/ frees it) --- */
  iws__pmd_conn *pmd;

  /* --- immutable after the handshake --- */
  char *path; /* iws__root_path for "/" (not allocated) */
  char *protocol;
  iws__addr peer;  /* iws__addr_text makes it text */
  iws__addr local; /* iws_conn_local (since 0.6) */

  /* --- under the server's timer_lock --- */
  iws__tnode timers[IWS__T_SLOTS]; /* by iws__t_slot */
  volatile uint32_t awaiting_pong; /* also read without it: atomic only */
  volatile uint64_t last_pong_ms; /* wall clock of the last pong (0 = none):
                                     written on the strand, read anywhere,
                                     atomic only */

  /* --- the strand gate (iws__conn_run_due without worker threads; only
   * used when the protocol needs it: atomic only) --- */
  volatile uint32_t strand_in;  /* the I/O thread runs the strand */
  volatile uint32_t due_busy;   /* another thread runs `due` for it */

  /* --- under the server's chan_lock --- */
  iws__sub *subs, *subs_tail; /* this connection's channels, join order */

  /* --- the protocol's state (strand, or as the protocol says) --- */
  union {
    uint64_t align_u64;
    void *align_ptr;
    unsigned char bytes[IWS__PROTO_AREA];
  } proto_area;
};

_Static_assert(IWS_LISTENERS_MAX <= 256, "iws__conn.listener is a byte");

/* Worker mode's part of a connection (IWS_OPT_WORKER_THREADS > 0), made
 * in the same allocation right behind the iws__conn (has_wk), so that a
 * server without workers pays nothing for it. Under c->lock, except
 * `next` (the worker's lock). */
typedef struct iws__wk {
  iws__bytes rxq;       /* input the worker has not run yet */
  iws__conn *next;      /* the worker's queue */
  uint8_t read_paused;  /* reading waits for the worker to catch up */
  uint8_t queued;       /* in the worker's queue */
  uint8_t closed_pending; /* the socket is gone: the worker ends it */
  uint8_t due;          /* the protocol's `due` waits for the worker */
} iws__wk;

static inline iws__wk *iws__conn_wk(iws__conn *c) {
  return (iws__wk *)(void *)(c + 1);
}
_Static_assert(sizeof(iws__conn) % sizeof(void *) == 0,
               "the worker part behind a connection is aligned");

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
  uint32_t heartbeat_if_idle; /* IWS_OPT_HEARTBEAT_IF_IDLE */
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

/* Listener tags the core gives the back end (iws__be_listen.tag): the
 * listener's index, shifted, with IWS__LISTEN_TLS in bit 0. */
#define IWS__LISTEN_PLAIN 0u
#define IWS__LISTEN_TLS 1u
#define IWS__LISTEN_TAG(index, tls) (((uint32_t)(index) << 1) | ((tls) ? 1u : 0u))
#define IWS__LISTEN_INDEX(tag) ((uint32_t)(tag) >> 1)

/* A listener added with iws_add_listener (kept while stopped). */
typedef struct iws__listener {
  char *address; /* NULL = IWS_OPT_BIND_ADDRESS at start */
  uint32_t port, flags;
} iws__listener;

/* A reassembly buffer or a sent frame at least this large, once freed,
 * counts in rx_freed towards giving memory back to the system; the tick
 * trims (iws__mem_trim) at most once a second while rx_freed is not zero,
 * at once past IWS__RX_TRIM_AFTER. */
#define IWS__RX_TRIM_MIN (128 * 1024)
#define IWS__RX_TRIM_AFTER (64u * 1024u * 1024u)

/* Connection locks: a connection's lock is one of IWS__CONN_LOCKS
 * mutexes shared by the process, chosen by its id (iws__conn_lock), not a
 * mutex of its own: an idle connection does not pay for a pthread_mutex_t
 * (40 bytes; issue 18's idle target). Sharing is safe because a thread
 * never holds two connections' locks at once (the lock order below; debug
 * builds assert it). They belong to no server because a connection may
 * outlive its server (a deferred HTTP response holds it past
 * iws_destroy). A stripe is a cache line of its own, so that two I/O
 * threads on neighbouring stripes do not share a line. */
#define IWS__CONN_LOCKS 1024
typedef union iws__conn_stripe {
  iws__mutex m;
  unsigned char line[64];
} iws__conn_stripe;
_Static_assert(sizeof(iws__mutex) <= 64, "a stripe holds its mutex");
/* The stripes, made by the first iws__conn_locks_init (iws_create calls it
 * before any connection can exist) and kept for the process's life. */
extern iws__conn_stripe *iws__conn_locks;
/* 0, or -1 out of memory. Any thread. */
int iws__conn_locks_init(void);

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
  iws__listener *listeners; /* iws_add_listener entries (stopped only) */
  uint32_t listener_count;
  /* while running: every listening socket's bound port and flags */
  uint32_t run_nlisten;
  uint32_t run_port[IWS_LISTENERS_MAX], run_flags[IWS_LISTENERS_MAX];
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

  /* The strand gate's waits (iws__conn_run_due): a leaf. */
  iws__mutex gate_lock;
  iws__cond gate_cond;

  /* Threads waiting for a connection's send queue to drain
   * (iws__conn_wait_room): room_gen counts the wake-ups, under room_lock
   * (a leaf). */
  iws__mutex room_lock;
  iws__cond room_cond;
  uint64_t room_gen;

  iws__worker *workers;
  uint32_t nworkers;

  /* channels (channels.c): name -> subscribers, under chan_lock (a leaf) */
  iws__mutex chan_lock;
  iws__chan **chan_buckets;
  size_t chan_nbuckets, chan_count, sub_count;
  iws__redis *redis; /* while running with IWS_OPT_REDIS_URL set */

    /* Per-thread statistics (iws__tstats), under table_lock; the epoch
   * (0 until a thread binds) is also read without it, atomically. */
  struct iws__tstats *tstats;
  volatile uint64_t stats_epoch;

  /* The hooks to the layers above the core, set by api/ at iws_create:
   * the protocol a new connection starts with (HTTP), and what ends with
   * a connection besides it (its channel subscriptions). */
  const iws__proto *first_proto;
  void (*conn_gone)(iws__conn *c);

  /* static files (static.c): the document root's canonical path while
   * running, NULL if none */
  char *static_root;

  /* statistics */
  volatile uint64_t st_current, st_total, st_refused;
  /* and their threads' parts: iws__tstats */
  volatile uint64_t st_msg_in, st_msg_out, st_bytes_in, st_bytes_out,
      st_queued;
  volatile uint64_t st_publishes, st_redis_out, st_redis_in;
  volatile uint32_t st_redis_up; /* 1 while both Redis links are up */
  volatile uint64_t st_http_requests, st_http_refused, st_http_current;
  /* Bytes all connections hold for messages still arriving (bounded by
   * IWS_OPT_INCOMPLETE_MESSAGES_LIMIT), and large buffers (reassembly,
   * frames sent) freed since the tick last gave memory back. */
  volatile uint64_t rx_held, rx_freed;
  uint64_t last_trim_ms; /* tick thread only */
};

/* ---- statistics counted without a read-modify-write ----
 *
 * Each I/O and worker thread of a running server counts messages and
 * bytes in counters of its own (written by that thread only, read by
 * iws_get_stats, which adds them up), so that the message path takes no
 * locked instruction for them; any other thread (the application's,
 * sending) counts in the server's st_* fields with atomics. A thread is
 * bound to its server's counters when the back end first calls the core
 * on it (iws__stats_bind), and the counters of threads that ended are
 * folded into st_* when the server stops (iws__stats_fold), so that every
 * figure stays monotonic (bytes_queued: a level, the sum of the parts). */
typedef struct iws__tstats {
  volatile uint64_t msg_in, msg_out, bytes_in, bytes_out, queued;
  struct iws__tstats *next;
} iws__tstats;
/* This thread's counters, valid while iws__t_stats_epoch equals its
 * server's stats_epoch: epochs are unique in the process and a server
 * takes a new one when it folds (frees) its threads' counters, so that a
 * thread never follows a freed slab, nor one of an earlier server at the
 * same address. Never dereferenced before the epoch matched. */
extern IWS_THREAD_LOCAL iws__tstats *iws__t_stats;
extern IWS_THREAD_LOCAL uint64_t iws__t_stats_epoch;
static inline iws__tstats *iws__stats_mine(iws_server *s);
/* Binds this thread (the back end's or a worker) to s's counters, once. */
void iws__stats_bind_slow(iws_server *s);
static inline void iws__stats_bind(iws_server *s) {
  if (!iws__stats_mine(s)) iws__stats_bind_slow(s);
}
/* After the server's threads ended (no hook runs meanwhile): their
 * counters go into st_*, and the server takes a new epoch. */
void iws__stats_fold(iws_server *s);
/* The sums (st_* plus every thread's), for iws_get_stats. */
void iws__stats_sum(iws_server *s, uint64_t *msg_in, uint64_t *msg_out,
                    uint64_t *bytes_in, uint64_t *bytes_out,
                    uint64_t *queued);
/* Counts v in counter `field` (msg_in, msg_out, bytes_in, bytes_out,
 * queued) of server s: this thread's own, or s->st_<field>. */
#define IWS__STAT(s, field, v)                                        \
  do {                                                                \
    iws__tstats *t_ = iws__stats_mine(s);                             \
    if (t_)                                                           \
      iws__atomic_bump64(&t_->field, (int64_t)(v));                   \
    else                                                              \
      iws__atomic_add64_relaxed(&(s)->st_##field, (int64_t)(v));      \
  } while (0)

static inline iws__tstats *iws__stats_mine(iws_server *s) {
  return iws__t_stats_epoch == iws__atomic_load64_relaxed(&s->stats_epoch)
             ? iws__t_stats
             : NULL;
}

/* ---- between api/ and core/ ---- */

/* The server whose callback is running on this thread (NULL outside). */
extern IWS_THREAD_LOCAL iws_server *iws__t_callback_server;
/* The connection whose strand runs on this thread (sends are deferred). */
extern IWS_THREAD_LOCAL iws__conn *iws__t_strand_conn;
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

int32_t iws__conn_disconnect(iws__conn *c);
/* iws_stop: close 1001 for open connections, abort handshakes. */
void iws__conn_stop_gracefully(iws__conn *c);
void iws__conn_abort(iws__conn *c);

/* Reports a server-wide error to on_error (id 0) and the log. */
void iws__report_server_error(iws_server *s, int32_t code, const char *msg);

/* ---- the connection layer (core/conn.c, timer.c, worker.c), for the
 * protocols above it; *_locked: the caller holds c->lock ---- */

/* Queues a chunk (its reference is taken over) at the back, or at the
 * front (the handshake answer). 0, or -1 out of memory. */
int iws__conn_ring_push_locked(iws__conn *c, iws__chunk *chunk, int front);
void iws__conn_ring_clear_locked(iws__conn *c);
/* The connection went quiet (its protocol says so): an empty send queue
 * gives its ring back (made again by the next send). */
void iws__conn_ring_idle_locked(iws__conn *c);
/* Writes what is queued unless a write is already with the back end. */
void iws__conn_flush_locked(iws__conn *c);
/* The same, unless the strand runs on this thread (it flushes when done)
 * or the I/O thread can be asked to flush soon. */
void iws__conn_maybe_flush_locked(iws__conn *c);
/* The 124-byte buffer of the peer's close reason, made on first use. */
char *iws__conn_close_reason_buf(iws__conn *c);
/* on_error (id = c's) and the log; no lock held. */
void iws__conn_report_error(iws__conn *c, int32_t code, const char *msg);
/* on_open (Since 0.6), on the connection's strand: the accepting I/O
 * thread, or the worker's first run. No lock held. */
void iws__conn_deliver_open(iws__conn *c);
/* on_disconnect (if owed), on_close (if on_open ran), then the connection
 * leaves the table. Strand. */
void iws__conn_deliver_disconnect(iws__conn *c);
/* Under the server's timer_lock: the node of timer `which` (its slot). */
iws__tnode *iws__conn_timer_node(iws__conn *c, int which);
/* Arms timer `which` unless it is armed already, only while timer
 * `while_armed` is, and sets *flag to 1 with it (under the timer lock, so
 * that a clear of `which` cannot slip between). Returns 1 if armed. */
int iws__conn_timer_arm_once(iws__conn *c, int which, uint64_t delay_ms,
                             int while_armed, volatile uint32_t *flag);
/* A copy of a NUL-terminated string (malloc), NULL out of memory. */
char *iws__strdup(const char *s);
/* "/", the path most connections ask for: iws__conn.path points here
 * instead of at a copy (32 bytes of heap per connection less). */
extern const char iws__root_path[2];

/* ---- the connection layer for the protocols (Since 0.5) ---- */

void iws__conn_timer_set(iws__conn *c, int which, uint64_t delay_ms);
void iws__conn_timer_clear(iws__conn *c, int which);
/* Under c->lock: copies n bytes (a whole frame or message) to the end of
 * the send queue, into its last buffer when that has room (see
 * IWS__SMALL_FRAME). 0, or -1 out of memory (nothing queued). Nothing is
 * written here: the caller flushes (iws__conn_maybe_flush_locked). */
int iws__conn_queue_copy_locked(iws__conn *c, const void *bytes, size_t n);
/* Under c->lock: queues bytes (the chunk's reference is taken) and writes
 * them unless the strand runs on this thread. 0, or -1 (out of memory:
 * the connection is aborted). */
int iws__conn_push_locked(iws__conn *c, iws__chunk *chunk);
/* Under c->lock: once the queue is written, FIN, then input is discarded
 * until the client's FIN (so that no reset eats the last answer). */
void iws__conn_http_finish_locked(iws__conn *c);
void iws__conn_tcp_close_locked(iws__conn *c, int abortive);
uint32_t iws__conn_queued_locked(const iws__conn *c); /* ring entries */
/* Under c->lock: bytes queued and not yet written (TLS: plaintext not yet
 * encrypted plus ciphertext not yet written). */
uint64_t iws__conn_backlog_locked(const iws__conn *c);
/* Under c->lock, on a thread that runs no strand or callback: waits
 * (releasing c->lock meanwhile, holding it again on return) until
 * `ready(c, arg)` returns nonzero, re-checked whenever c's unsent bytes
 * fall to the resume mark (half the send-queue limit) or its socket goes,
 * or until timeout_ms passed. Returns 1 when ready, 0 on timeout. No
 * polling: the writer's completion wakes it. */
int iws__conn_wait_room_locked(iws__conn *c, uint32_t timeout_ms,
                               int (*ready)(iws__conn *c, void *arg),
                               void *arg);
/* Strand, under c->lock: reading waits after this input until
 * iws__conn_kick_locked. */
void iws__conn_hold_locked(iws__conn *c);
/* Any thread, under c->lock: reading held by iws__conn_hold_locked goes
 * on, and the strand runs the protocol's `resumed` (the back end calls
 * iws__core_resumed on the reading thread, or the worker runs it). */
void iws__conn_kick_locked(iws__conn *c);
/* Any thread, under c->lock: the strand runs the protocol's `resumed` soon
 * (for a protocol's timer that must act on the strand); reading is neither
 * held nor lifted by it. Nothing once the socket is closing. Epoll and
 * worker threads deliver it; on IOCP a reader that is not parked takes it as
 * a resume request (no `resumed` then: the protocol must cope). */
void iws__conn_wake_locked(iws__conn *c);
/* Runs input on the connection's strand (this thread), then flushes. */
void iws__strand_run(iws__conn *c, uint8_t *data, size_t len);
int iws__strand_run_paused(iws__conn *c, uint8_t *data, size_t len,
                           int check);
/* Under c->lock: the output is over the level that pauses reading. */
int iws__conn_output_over_locked(const iws__conn *c);
/* The protocol's `resumed` on the strand (no new bytes), then a flush. */
void iws__strand_kick(iws__conn *c);
/* Switches the connection to protocol `p` (on its strand): the protocol
 * area is zeroed; the old protocol must have released what it held. */
void iws__conn_set_proto(iws__conn *c, const iws__proto *p);

/* Runs the protocol's `due` on the connection's strand, from another
 * thread (the tick), no lock held. With worker threads it is queued to
 * the connection's worker (in order with its other work; returns 1).
 * Without, it runs here and now, while the connection's I/O thread, if it
 * comes meanwhile, waits at the strand's entry (the gate: only for
 * servers whose callbacks include on_heartbeat, the one user); if the
 * strand is busy on another thread it does not run (returns 0). */
int iws__conn_run_due(iws__conn *c);
/* The strand gate's two sides on the I/O thread (no-ops unless
 * IWS__GATED): around everything that runs a connection's strand. */
void iws__strand_gate_enter(iws__conn *c);
void iws__strand_gate_leave(iws__conn *c);
/* The protocol's `due` on the strand (this thread), then a flush. */
void iws__strand_due(iws__conn *c);
/* Whether the strand gate is in use (see iws__conn_run_due). */
#define IWS__GATED(s) ((s)->cb.on_heartbeat != NULL && !(s)->cfg.workers)

void iws__worker_main(void *arg);
/* Under c->lock: queues c for its worker thread (which then runs its rx
 * queue, the protocol's kick or close) unless it is queued already. */
void iws__worker_wake_locked(iws__conn *c);

/* ---- locks and the log (log.c) ----
 *
 * The lock order (the one place it is written):
 *
 *   1. iws_server.lock       (last error, start/stop) may take: the back
 *                            end's locks (iws__be_port & co.)
 *   2. iws__conn_lock(c)     (one connection; never two at once: they may
 *                            share a stripe, IWS__CONN_LOCKS) may take:
 *                            the server's timer_lock, its worker's lock
 *                            (iws__worker_wake_locked, iws__conn_kick_locked),
 *                            the back end's
 *                            locks (iws__be_close, _post_flush, _read_resume)
 *   3. leaves, which take no other lock of ours: table_lock, timer_lock,
 *      room_lock, chan_lock, iws__worker.lock, the Redis link's lock, the
 *      back end's, gate_lock (the strand gate's waits: iws__conn_run_due).
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
/* The connection whose lock this thread holds (debug builds): a second
 * connection's lock under it could be the same stripe (a self-deadlock). */
extern IWS_THREAD_LOCAL const iws__conn *iws__t_conn_held;
#endif

/* The mutex behind connection c's lock (its stripe). */
static inline iws__mutex *iws__conn_mutex(const iws__conn *c) {
  return &iws__conn_locks[c->id & (IWS__CONN_LOCKS - 1)].m;
}

/* Takes connection c's lock (the "c->lock" of every comment). Never while
 * holding another connection's (lock order, rank 2). */
static inline void iws__conn_lock(iws__conn *c) {
#ifndef NDEBUG
  assert(iws__t_conn_held == NULL);
#endif
  iws__lock(iws__conn_mutex(c));
#ifndef NDEBUG
  iws__t_conn_held = c;
#endif
}

static inline void iws__conn_unlock(iws__conn *c) {
#ifndef NDEBUG
  assert(iws__t_conn_held == c);
  iws__t_conn_held = NULL;
#endif
  iws__unlock(iws__conn_mutex(c));
}

/* Whether a line of `level` would reach on_log: lets a caller skip making
 * its arguments (an address as text) for a line nobody reads. */
int iws__log_wants(const iws_server *s, int level);

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

#endif /* IWS_CORE_H */
